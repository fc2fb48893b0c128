//! The journal's optional HMAC key (`modeldeck login journal`, or
//! `MODELDECK_JOURNAL_KEY`): with it every head is signed, and `audit
//! verify --local-only` catches a consistent rewrite of the file (chain and
//! head recomputed) by someone who does not hold the key, which the chain
//! alone cannot see. On a kept sandbox world (simulated cluster).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{BIN, Run, TempDir};
use modeldeck_promotion::journal::head::{Head, write_head};
use modeldeck_promotion::journal::line::{GENESIS, encode_line};
use modeldeck_promotion::journal::read_path;
use serde_json::Value;
use std::process::Command;

const KEY: &str = "a-journal-key-only-this-machine-holds";

fn sb(dir: &TempDir, key: Option<&str>, args: &[&str]) -> Run {
    let mut c = Command::new(BIN);
    c.arg("--sandbox")
        .args(args)
        .env("MODELDECK_LOG_DIR", &dir.0)
        .env("MODELDECK_DATA_DIR", dir.0.join("data"))
        .env("MODELDECK_CONFIG", dir.0.join("no-such-config.toml"))
        .env_remove("MODELDECK_JOURNAL")
        .env_remove("MODELDECK_SANDBOX_USER")
        .env_remove("MODELDECK_JOURNAL_KEY");
    if let Some(k) = key {
        c.env("MODELDECK_JOURNAL_KEY", k);
    }
    c.output().unwrap().into()
}

fn verify(dir: &TempDir, key: Option<&str>) -> (Run, Value) {
    let r = sb(dir, key, &["audit", "verify", "--local-only", "-o", "json"]);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r, v)
}

#[test]
fn a_signed_journal_rewritten_without_the_key_fails_verify() {
    let dir = TempDir::new("journal-key");
    let req = sb(
        &dir,
        Some(KEY),
        &[
            "promote",
            "request",
            "recsys-ranker",
            "8",
            "-m",
            "better ndcg",
            "-o",
            "json",
        ],
    );
    assert_eq!(req.code, 0, "{}\n{}", req.stdout, req.stderr);
    let journal = dir.0.join("data/sandbox/seed-42/journal.jsonl");
    let head = std::fs::read_to_string(format!("{}.head", journal.display())).unwrap();
    assert!(head.contains("\"mac\""), "the head is signed: {head}");

    let (r, v) = verify(&dir, Some(KEY));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        (v["ok"].clone(), v["signed"].clone()),
        (Value::Bool(true), Value::Bool(true)),
        "{v}"
    );

    // A consistent rewrite by someone without the key: the requester
    // becomes mallory, every hash and the head recomputed, unsigned.
    let mut lines = read_path(&journal).unwrap();
    lines[0].record.entry.actor = "mallory".into();
    let mut prev = GENESIS.to_string();
    let mut text = String::new();
    for (i, l) in lines.iter().enumerate() {
        let (line, hash) = encode_line(i as u64 + 1, &prev, &l.record).unwrap();
        text.push_str(&line);
        text.push('\n');
        prev = hash;
    }
    std::fs::write(&journal, text).unwrap();
    write_head(
        &journal,
        &Head::new(lines.len() as u64, prev.clone(), None),
        false,
    )
    .unwrap();

    // Without the key the file looks whole; with it, the head is not ours.
    let (r, v) = verify(&dir, None);
    assert_eq!(r.code, 0, "unsigned check: {v}");
    assert_eq!(v["signed"], false, "{v}");
    let (r, v) = verify(&dir, Some(KEY));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(v["first_bad"]["copy"], "journal", "{v}");
    assert!(!v["error"].is_null(), "{v}");

    // Signed with a guessed key: still refused.
    write_head(
        &journal,
        &Head::new(lines.len() as u64, prev, Some(b"guess")),
        false,
    )
    .unwrap();
    let (r, _) = verify(&dir, Some(KEY));
    assert_eq!(r.code, 1, "{}", r.stdout);
}
