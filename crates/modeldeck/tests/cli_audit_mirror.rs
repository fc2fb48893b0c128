//! `audit verify` compares the local journal with the registry's mirror of
//! it (the audit tags the promotion service writes), on a kept sandbox
//! world after a real request / approve (bob) / execute flow: a consistent
//! rewrite of the journal (recomputed chain and head) passes the journal's
//! own check but not the mirror's; so does a deleted last entry.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{Run, TempDir, run_in};
use modeldeck_promotion::journal::head::{Head, head_path, write_head};
use modeldeck_promotion::journal::line::{GENESIS, encode_line};
use modeldeck_promotion::journal::read_path;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn sb(dir: &TempDir, args: &[&str]) -> Run {
    let mut all = vec!["--sandbox"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

fn ok(r: &Run, what: &str) {
    assert_eq!(
        r.code, 0,
        "{what}: exit {}\n{}\n{}",
        r.code, r.stdout, r.stderr
    );
}

fn json(r: &Run, what: &str) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{what}: {e}\n{}", r.stdout))
}

/// Request v8 of recsys-ranker, bob approves, the requester executes.
fn flow(dir: &TempDir) -> PathBuf {
    let req = sb(
        dir,
        &[
            "promote",
            "request",
            "recsys-ranker",
            "8",
            "--alias",
            "champion",
            "-m",
            "better ndcg",
            "-o",
            "json",
        ],
    );
    ok(&req, "request");
    let v = json(&req, "request");
    let id = v["id"]
        .as_str()
        .or(v["promotion"]["id"].as_str())
        .unwrap()
        .to_string();
    ok(
        &sb(
            dir,
            &[
                "--sandbox-user",
                "bob",
                "promote",
                "approve",
                &id,
                "-m",
                "ok",
            ],
        ),
        "approve",
    );
    ok(
        &sb(dir, &["promote", "execute", &id, "-o", "json"]),
        "execute",
    );
    dir.0.join("data/sandbox/seed-42/journal.jsonl")
}

/// Rewrites the journal from `lines`, recomputing every hash with the
/// journal's own encoding and the head to match: a consistent rewrite.
fn rewrite(journal: &Path, lines: &[modeldeck_promotion::journal::JournalLine]) {
    let mut prev = GENESIS.to_string();
    let mut text = String::new();
    for (i, l) in lines.iter().enumerate() {
        let (line, hash) = encode_line(i as u64 + 1, &prev, &l.record).unwrap();
        text.push_str(&line);
        text.push('\n');
        prev = hash;
    }
    std::fs::write(journal, text).unwrap();
    write_head(journal, &Head::new(lines.len() as u64, prev, None), false).unwrap();
}

fn verify(dir: &TempDir, extra: &[&str]) -> (Run, Value) {
    let mut args = vec!["audit", "verify", "-o", "json"];
    args.extend_from_slice(extra);
    let r = sb(dir, &args);
    let v = json(&r, "audit verify");
    (r, v)
}

fn registry_copy(v: &Value) -> &Value {
    v["copies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "registry")
        .unwrap_or_else(|| panic!("no registry copy: {v}"))
}

#[test]
fn the_mirror_agrees_after_a_real_flow_and_catches_a_consistent_rewrite() {
    let dir = TempDir::new("audit-mirror");
    let journal = flow(&dir);

    // (a) The copies agree.
    let (r, v) = verify(&dir, &[]);
    ok(&r, "verify after the flow");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["mirror"]["checked"], true, "{v}");
    assert!(v["mirror"]["agreeing"].as_u64().unwrap() >= 3, "{v}");
    assert_eq!(v["mirror"]["foreign"], 0, "one journal writes here: {v}");
    assert_eq!(registry_copy(&v)["ok"], true, "{v}");
    assert!(v["first_bad"].is_null(), "{v}");
    let text = sb(&dir, &["audit", "verify"]);
    ok(&text, "verify (text)");
    assert!(
        text.stdout.contains("registry mirror agrees"),
        "{}",
        text.stdout
    );

    // The shared record lists the same story for anyone who may read it.
    let shared = sb(
        &dir,
        &["--sandbox-user", "viewer", "audit", "shared", "-o", "json"],
    );
    ok(&shared, "audit shared");
    let sv = json(&shared, "audit shared");
    let entries: Vec<(String, String)> = sv["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["chain_ok"] == true)
        .flat_map(|p| p["entries"].as_array().unwrap().clone())
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        "promotion.requested",
        "promotion.approved",
        "promotion.promoted",
    ] {
        assert!(entries.iter().any(|(_, a)| a == want), "{want}: {sv}");
    }
    assert!(
        entries.contains(&("bob".to_string(), "promotion.approved".to_string())),
        "{sv}"
    );

    // (b) bob's approval becomes mallory's, every later hash and the head
    // recomputed: the chain alone cannot tell.
    let original = std::fs::read(&journal).unwrap();
    let original_head = std::fs::read(head_path(&journal)).unwrap();
    let mut lines = read_path(&journal).unwrap();
    let at = lines
        .iter()
        .position(|l| l.record.entry.actor == "bob")
        .unwrap_or_else(|| panic!("no entry by bob: {lines:?}"));
    lines[at].record.entry.actor = "mallory".into();
    rewrite(&journal, &lines);
    let (local, lv) = verify(&dir, &["--local-only"]);
    ok(&local, "the local-only check passes a consistent rewrite");
    assert_eq!(lv["mirror"]["checked"], false, "{lv}");
    assert_eq!(lv["mirror"]["reason"], "--local-only", "{lv}");

    let (r, v) = verify(&dir, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["copies"][0]["name"], "journal", "{v}");
    assert_eq!(v["error"], Value::Null, "the chain itself verifies: {v}");
    // Both other copies witnessed the original: the journal is the one that moved.
    assert_eq!(v["copies"][0]["ok"], false, "{v}");
    assert_eq!(v["copies"][2]["name"], "shared", "{v}");
    assert_eq!(v["copies"][2]["ok"], true, "{v}");
    assert!(
        v["copies"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("disagrees with the shared record")),
        "{v}"
    );
    let reg = registry_copy(&v);
    assert_eq!(reg["ok"], false, "{v}");
    assert_eq!(v["first_bad"]["seq"], at as u64 + 1, "{v}");
    assert_eq!(v["first_bad"]["reason"], "hash_differs", "{v}");
    let detail = v["first_bad"]["detail"].as_str().unwrap();
    assert!(
        detail.contains("mallory") && detail.contains("bob"),
        "{detail}"
    );
    assert!(
        r.stderr.contains(&format!("entry #{}", at + 1)),
        "{}",
        r.stderr
    );
    let text = sb(&dir, &["audit", "verify"]);
    assert_eq!(text.code, 1);
    assert!(
        text.stdout.contains("DISAGREES: the registry mirror"),
        "{}",
        text.stdout
    );

    // (c) The last entry deleted: plainly (the head still counts it) and
    // consistently (the head rewritten too).
    std::fs::write(&journal, &original).unwrap();
    std::fs::write(head_path(&journal), &original_head).unwrap();
    ok(&verify(&dir, &[]).0, "restored");
    let mut lines = read_path(&journal).unwrap();
    let last = lines.pop().unwrap();
    let mut cut = original.clone();
    cut.truncate(original.len() - 1);
    let keep = cut.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
    std::fs::write(&journal, &original[..keep]).unwrap();
    let (r, v) = verify(&dir, &[]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(v["first_bad"]["reason"], "truncated", "{v}");

    rewrite(&journal, &lines);
    ok(
        &verify(&dir, &["--local-only"]).0,
        "a consistent truncation passes the chain",
    );
    let (r, v) = verify(&dir, &[]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(registry_copy(&v)["ok"], false, "{v}");
    assert_eq!(v["first_bad"]["seq"], last.seq, "{v}");
    assert_eq!(v["first_bad"]["reason"], "missing_from_journal", "{v}");

    // An unreachable registry: the journal alone, said so, not a failure.
    std::fs::write(&journal, &original).unwrap();
    std::fs::write(head_path(&journal), &original_head).unwrap();
    let (r, v) = verify(&dir, &["--sandbox-outage", "registry"]);
    ok(&r, "verify with the registry down");
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["mirror"]["checked"], false, "{v}");
    assert!(
        v["mirror"]["reason"].as_str().unwrap().contains("registry"),
        "{v}"
    );
    let text = sb(&dir, &["--sandbox-outage", "registry", "audit", "verify"]);
    ok(&text, "verify (text) with the registry down");
    assert!(
        text.stdout.contains("registry mirror not checked: "),
        "{}",
        text.stdout
    );
}
