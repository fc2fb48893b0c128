//! `--sandbox` keeps the simulated world between commands (in the data
//! dir), so a promotion goes through request, approval, execution, history,
//! rollback and audit as separate processes, two people taking part
//! (`--sandbox-user`); `sandbox reset` starts over, and a read-only command
//! leaves nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{Run, TempDir, run_in};
use serde_json::Value;

fn json_of(r: &Run, what: &str) -> Value {
    assert_eq!(
        r.code, 0,
        "{what}: exit {}\n{}\n{}",
        r.code, r.stdout, r.stderr
    );
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{what}: {e}\n{}", r.stdout))
}

fn champion(dir: &TempDir) -> String {
    let v = json_of(
        &run_in(
            dir,
            &["--sandbox", "versions", "recsys-ranker", "-o", "json"],
        ),
        "versions",
    );
    v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| {
            v["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "champion")
        })
        .map(|v| v["version"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn a_promotion_goes_through_separate_commands_and_two_people() {
    let dir = TempDir::new("sandbox-state");
    let sb = |args: &[&str]| {
        let mut all = vec!["--sandbox"];
        all.extend_from_slice(args);
        run_in(&dir, &all)
    };
    assert_eq!(champion(&dir), "7");
    assert!(
        !dir.0.join("data").join("sandbox").exists(),
        "a read-only command saved a world"
    );

    // 1. sandbox-admin asks for v8 as champion.
    let req = json_of(
        &sb(&[
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
        ]),
        "request",
    );
    let id = req["id"]
        .as_str()
        .or(req["promotion"]["id"].as_str())
        .unwrap()
        .to_string();
    assert!(dir.0.join("data/sandbox/seed-42/world.json").exists());

    // 2. The requester cannot approve her own request (a new process).
    let own = sb(&["promote", "approve", &id, "-o", "json"]);
    assert_eq!(own.code, 5, "self-approval: {}\n{}", own.stdout, own.stderr);

    // 3. bob approves: a third process, another person.
    let ok = sb(&[
        "--sandbox-user",
        "bob",
        "promote",
        "approve",
        &id,
        "-m",
        "looks good",
    ]);
    assert_eq!(ok.code, 0, "bob's approval: {}\n{}", ok.stdout, ok.stderr);

    // 4. Executed by the requester in a fourth process: the alias moves.
    let ex = sb(&["promote", "execute", &id, "-o", "json"]);
    assert_eq!(ex.code, 0, "execute: {}\n{}", ex.stdout, ex.stderr);
    assert_eq!(champion(&dir), "8");
    let st = json_of(&sb(&["promote", "status", &id, "-o", "json"]), "status");
    assert!(st.to_string().contains("promoted"), "{st}");

    // 5. History and rollback, then the audit trail verifies.
    let h = json_of(&sb(&["history", "recsys-ranker", "-o", "json"]), "history");
    assert!(h.to_string().contains(&id), "history lacks {id}: {h}");
    let rb = sb(&[
        "rollback",
        "recsys-ranker",
        "-m",
        "on-call drill",
        "-o",
        "json",
    ]);
    assert_eq!(rb.code, 0, "rollback: {}\n{}", rb.stdout, rb.stderr);
    assert_eq!(champion(&dir), "7");
    let verify = sb(&["audit", "verify"]);
    assert_eq!(
        verify.code, 0,
        "audit verify: {}\n{}",
        verify.stdout, verify.stderr
    );
    let audit = json_of(&sb(&["audit", "-o", "json"]), "audit");
    let text = audit.to_string();
    for word in ["bob", "sandbox-admin", &id] {
        assert!(text.contains(word), "audit lacks {word}: {text}");
    }

    // A rewrite of the world's journal is caught (read as it is: the
    // session does not refuse to start over it).
    let journal = dir.0.join("data/sandbox/seed-42/journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    std::fs::write(&journal, text.replacen("\"bob\"", "\"mallory\"", 1)).unwrap();
    let tampered = sb(&["audit", "verify", "-o", "json"]);
    assert_eq!(tampered.code, 1, "{}\n{}", tampered.stdout, tampered.stderr);
    let v: Value = serde_json::from_str(&tampered.stdout).unwrap();
    assert_eq!(v["ok"], false, "{v}");

    // 6. reset starts over: the scenario's champion, no journal.
    let r = sb(&["sandbox", "reset"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!dir.0.join("data/sandbox/seed-42").exists());
    assert_eq!(champion(&dir), "7");
    let again = sb(&["promote", "status", &id, "-o", "json"]);
    assert_eq!(
        again.code, 3,
        "after reset the promotion is gone: {}",
        again.stdout
    );
}

#[test]
fn a_damaged_saved_world_is_named_and_reset_recovers() {
    let dir = TempDir::new("sandbox-damaged");
    let state = dir.0.join("data/sandbox/seed-42");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("world.json"), "{\"seed\": 42, \"now\":").unwrap();
    let r = run_in(&dir, &["--sandbox", "models"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("world.json") && r.stderr.contains("sandbox reset"),
        "{}",
        r.stderr
    );
    assert_eq!(run_in(&dir, &["--sandbox", "sandbox", "reset"]).code, 0);
    assert_eq!(run_in(&dir, &["--sandbox", "models"]).code, 0);
}

#[test]
fn the_demo_and_other_seeds_do_not_see_a_saved_world() {
    let dir = TempDir::new("sandbox-seeds");
    let req = run_in(
        &dir,
        &[
            "--sandbox",
            "promote",
            "request",
            "recsys-ranker",
            "8",
            "--alias",
            "champion",
            "-m",
            "x",
        ],
    );
    assert_eq!(req.code, 0, "{}", req.stderr);
    let mine = run_in(&dir, &["--sandbox", "promote", "list", "-o", "json"]);
    let other = run_in(
        &dir,
        &["--sandbox", "--seed", "7", "promote", "list", "-o", "json"],
    );
    let n = |r: &Run| json_of(r, "list")["count"].as_u64().unwrap();
    assert_eq!(n(&mine), n(&other) + 1);
}
