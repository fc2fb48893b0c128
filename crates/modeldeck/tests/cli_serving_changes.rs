//! `modeldeck promote status <id>` says what the promotion changes in
//! production (issue 13): `serving_changes` per target in JSON, a
//! `what changes in production` section in the table, while the promotion
//! waits; nothing once it has executed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Run, TempDir, run_in};
use serde_json::Value;

fn ok(r: Run, what: &str) -> Run {
    assert_eq!(r.code, 0, "{what}: {}\n{}", r.stdout, r.stderr);
    r
}

#[test]
fn status_lists_each_targets_changes_until_it_executes() {
    let dir = TempDir::new("serving-changes");
    let sb = |args: &[&str]| {
        let mut all = vec!["--sandbox"];
        all.extend_from_slice(args);
        run_in(&dir, &all)
    };
    let req = ok(
        sb(&[
            "promote",
            "request",
            "recsys-ranker",
            "8",
            "-m",
            "better ndcg",
            "-o",
            "json",
        ]),
        "request",
    );
    let req: Value = serde_json::from_str(&req.stdout).unwrap();
    let id = req["id"].as_str().unwrap().to_string();
    let doc: Value =
        serde_json::from_str(&ok(sb(&["promote", "status", &id, "-o", "json"]), "status").stdout)
            .unwrap();
    let targets = doc["targets"].as_array().unwrap();
    let changes = doc["serving_changes"].as_array().unwrap();
    assert_eq!(changes.len(), targets.len(), "{doc:#}");
    assert!(!changes.is_empty());
    for (c, t) in changes.iter().zip(targets) {
        assert_eq!(&c["target"], t);
        assert_eq!(c["candidate"], "8");
        assert_eq!(c["already_on_candidate"], false, "{c:#}");
        assert_eq!(c["unavailable"], Value::Null, "{c:#}");
        let uri = c["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                let p = f["path"].as_str().unwrap();
                p.ends_with("env[MODEL_URI]") || p == "spec.predictor.model.storageUri"
            })
            .unwrap_or_else(|| panic!("no model URI among {c:#}"));
        assert_eq!(uri["before"], "models:/recsys-ranker/7");
        assert_eq!(uri["after"], "models:/recsys-ranker/8");
    }
    let table = ok(sb(&["promote", "status", &id, "--color", "never"]), "table").stdout;
    assert!(
        table.contains("what changes in production (serving v8):"),
        "{table}"
    );
    assert!(
        table.contains("env[MODEL_URI]: models:/recsys-ranker/7 -> models:/recsys-ranker/8"),
        "{table}"
    );
    // Lists stay cheap: no spec reads.
    let list: Value =
        serde_json::from_str(&ok(sb(&["promote", "list", "-o", "json"]), "list").stdout).unwrap();
    for p in list["promotions"].as_array().unwrap() {
        assert_eq!(p["serving_changes"], Value::Array(vec![]), "{p:#}");
    }

    ok(
        sb(&[
            "--sandbox-user",
            "bob",
            "promote",
            "approve",
            &id,
            "-m",
            "ok",
        ]),
        "approve",
    );
    ok(sb(&["promote", "execute", &id]), "execute");
    let after: Value =
        serde_json::from_str(&ok(sb(&["promote", "status", &id, "-o", "json"]), "status").stdout)
            .unwrap();
    assert_eq!(after["state"], "promoted", "{after:#}");
    assert_eq!(after["serving_changes"], Value::Array(vec![]));
    let table = ok(sb(&["promote", "status", &id, "--color", "never"]), "table").stdout;
    assert!(!table.contains("what changes in production"), "{table}");
}
