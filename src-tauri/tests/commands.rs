//! Every command on Tauri's mock runtime over the simulated world (the
//! demo scenario, forced as `MODELDECK_DESKTOP_DEMO=1` does): results are
//! the core's serialized types, errors `{ code, message }` with the CLI's
//! codes, refusals the promotion service's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::TestApp;
use serde_json::{Value, json};

fn first_row(app: &TestApp) -> Value {
    app.wait_loaded();
    let rows = app.ok("fleet", json!({}));
    let rows = rows.as_array().expect("fleet is an array");
    assert!(!rows.is_empty(), "the simulated fleet is empty");
    rows.iter()
        .find(|r| r["model"].is_string())
        .cloned()
        .expect("a workload bound to a model")
}

#[test]
fn session_info_on_the_simulated_world() {
    let app = TestApp::demo();
    let info = app.ok("session_info", json!({}));
    assert_eq!(info["profile"], "sandbox", "{info}");
    assert_eq!(info["sandbox"], true);
    // Forced demo: no "nothing configured" banner.
    assert_eq!(info["banner"], Value::Null);
    let backends = info["backends"].as_array().unwrap();
    let names: Vec<&str> = backends
        .iter()
        .map(|b| b["backend"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cluster", "registry", "metrics"]);
    for b in backends {
        let state = b["state"].as_str().unwrap();
        assert!(
            [
                "loading",
                "ready",
                "empty",
                "partial",
                "stale",
                "not_configured",
                "failed"
            ]
            .contains(&state),
            "{b}"
        );
    }
    assert!(info["profiles"].is_array());
}

#[test]
fn inbox_lists_the_demo_promotion_with_its_summary_and_link() {
    let app = TestApp::demo();
    let inbox = app.ok("inbox", json!({}));
    let items = inbox.as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "the demo has one pending promotion: {inbox}"
    );
    let item = &items[0];
    let p = &item["status"]["promotion"];
    assert_eq!(p["requested_by"], "dana.kowalski");
    assert_eq!(p["state"], "requested");
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        item["link"],
        format!("modeldeck://promotion/{id}?profile=sandbox")
    );
    assert_eq!(item["min_approvals"], 1);
    assert_eq!(item["approvals"], 0);
    let g = &item["gates"];
    let counted: u64 = ["passed", "failed", "pending", "inconclusive"]
        .iter()
        .map(|k| g[k].as_u64().unwrap())
        .sum();
    assert_eq!(
        counted,
        p["gates"].as_array().unwrap().len() as u64,
        "{item}"
    );
    // The same promotion is in the full list.
    let all = app.ok("promotions", json!({}));
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .any(|s| s["promotion"]["id"] == id)
    );
    let model = p["model"].as_str().unwrap();
    let mine = app.ok("promotions", json!({ "model": model }));
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|s| s["promotion"]["model"] == model)
    );
    // An unknown model is the registry's not_found, as `promote list --model`.
    let (code, msg) = app.err("promotions", json!({ "model": "no-such-model" }));
    assert_eq!(code, "not_found", "{msg}");
}

#[test]
fn promotion_detail_has_review_comparison_and_card() {
    let app = TestApp::demo();
    let id = app.pending_id();
    let d = app.ok("promotion", json!({ "id": id }));
    let p = &d["review"]["status"]["promotion"];
    assert_eq!(p["id"], id.as_str());
    assert_eq!(d["review"]["actor"], "sandbox-admin");
    assert_eq!(d["review"]["min_approvals"], 1);
    let approve = d["review"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "approve")
        .cloned()
        .unwrap();
    assert_eq!(approve["blocked"], Value::Null, "{approve}");
    // Candidate (b) against the version it replaces (a).
    let prev = p["previous_version"].as_str().expect("a previous version");
    assert_eq!(d["comparison"]["a"]["version"]["version"], prev);
    assert_eq!(d["comparison"]["b"]["version"]["version"], p["version"]);
    assert_eq!(d["comparison_error"], Value::Null);
    assert_eq!(d["card"]["model"], p["model"]);
    assert_eq!(d["card"]["version"], p["version"]);
    assert_eq!(d["card"]["version_source"], "given");
    assert!(!d["card"]["fields"].as_array().unwrap().is_empty());

    let (code, msg) = app.err("promotion", json!({ "id": "no-such-promotion" }));
    assert_eq!(code, "not_found", "{msg}");
    let (code, msg) = app.err("promotion", json!({ "id": "  " }));
    assert_eq!(code, "invalid_request", "{msg}");
    // A missing argument is refused by the IPC layer before the command.
    assert!(app.invoke("promotion", json!({})).is_err());
}

#[test]
fn approve_by_a_second_person_counts_and_a_second_decision_is_refused() {
    let app = TestApp::demo();
    let id = app.pending_id();
    let review = app.ok(
        "approve",
        json!({ "id": id, "comment": "metrics hold, card complete" }),
    );
    let mine: Vec<&Value> = review["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["approval"]["approver"] == "sandbox-admin")
        .collect();
    assert_eq!(mine.len(), 1, "{review}");
    assert_eq!(mine[0]["approval"]["decision"], "approve");
    assert_eq!(
        mine[0]["approval"]["comment"],
        "metrics hold, card complete"
    );
    assert_eq!(mine[0]["counts"], true, "{}", mine[0]);
    // One approval is what the simulated world's policy requires.
    let state = review["status"]["promotion"]["state"].as_str().unwrap();
    assert!(state == "approved" || state == "promoted", "{state}");
    // The inbox no longer waits for me.
    let inbox = app.ok("inbox", json!({}));
    assert!(
        !inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["status"]["promotion"]["id"] == id.as_str()),
        "{inbox}"
    );
    let (code, msg) = app.err("approve", json!({ "id": id, "comment": "again" }));
    assert!(
        code == "refused_duplicate_approval" || code == "refused_wrong_state",
        "{code}: {msg}"
    );
    // The decision is in the audit trail, whose chain verifies.
    let audit = app.ok("audit", json!({}));
    assert_eq!(audit["verify"]["ok"], true, "{}", audit["verify"]);
    let entries = audit["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["record"]["entry"]["action"] == "promotion.approve"
                && e["record"]["entry"]["actor"] == "sandbox-admin"),
        "{audit}"
    );
    let model = review["status"]["promotion"]["model"].as_str().unwrap();
    let about = app.ok("audit", json!({ "model": model }));
    assert!(!about["entries"].as_array().unwrap().is_empty());
    let other = app.ok("audit", json!({ "model": "no-such-model" }));
    assert_eq!(other["entries"], json!([]));
}

#[test]
fn reject_needs_a_comment_and_the_requester_cannot_approve() {
    let app = TestApp::demo();
    let id = app.pending_id();
    let (code, msg) = app.err("reject", json!({ "id": id, "comment": "   " }));
    assert_eq!(code, "invalid_input", "{msg}");
    assert!(msg.contains("rejection needs a comment"), "{msg}");
    // Nothing was recorded: the promotion still waits.
    assert_eq!(app.ok("inbox", json!({})).as_array().unwrap().len(), 1);
    let review = app.ok(
        "reject",
        json!({ "id": id, "comment": "latency regresses" }),
    );
    assert_eq!(
        review["status"]["promotion"]["state"], "rejected",
        "{review}"
    );
    let (code, msg) = app.err("execute", json!({ "id": id }));
    assert!(code.starts_with("refused_"), "{code}: {msg}");
    drop(app);

    // As the requester: the four-eyes rule refuses the approval.
    let app = TestApp::with(modeldeck_desktop::DesktopOptions {
        force_demo: true,
        sandbox_user: Some("dana.kowalski".into()),
    });
    let id = {
        let all = app.ok("promotions", json!({}));
        all.as_array()
            .unwrap()
            .iter()
            .find(|s| s["promotion"]["state"] == "requested")
            .map(|s| s["promotion"]["id"].as_str().unwrap().to_string())
            .expect("a requested promotion")
    };
    let (code, msg) = app.err("approve", json!({ "id": id, "comment": "mine" }));
    assert_eq!(code, "refused_self_approval", "{msg}");
}

#[test]
fn execute_and_rollback_follow_the_service() {
    let app = TestApp::demo();
    let id = app.pending_id();
    // Not approved yet: the service refuses and says why.
    let (code, msg) = app.err("execute", json!({ "id": id }));
    assert!(
        code.starts_with("refused_") || code.starts_with("gate_"),
        "{code}: {msg}"
    );
    assert!(!msg.is_empty());
    app.ok("approve", json!({ "id": id, "comment": "ok" }));
    // The simulated rollout runs on the wall clock (bake 20 s): execute
    // returns when the promotion is Promoted.
    let report = app.ok("execute", json!({ "id": id, "confirmInconclusive": true }));
    assert_eq!(report["id"], id.as_str());
    assert_eq!(report["state"], "promoted", "{report}");
    assert!(report["gates"].is_array());
    // Executing again writes nothing.
    let again = app.ok("execute", json!({ "id": id }));
    assert_eq!(again["wrote"], false, "{again}");
    let (code, msg) = app.err("rollback", json!({ "id": id, "reason": "   " }));
    assert!(
        code == "invalid_input" || code.starts_with("refused_"),
        "{code}: {msg}"
    );
    let r = app.ok("rollback", json!({ "id": id, "reason": "drill" }));
    assert_eq!(r["promotion"], id.as_str());
    let prev = app.ok("promotion", json!({ "id": id }))["review"]["status"]["promotion"]
        ["previous_version"]
        .clone();
    assert_eq!(r["restored_version"], prev, "{r}");
    let (code, msg) = app.err("rollback", json!({ "id": id, "reason": "twice" }));
    assert!(code.starts_with("refused_"), "{code}: {msg}");
    let (code, msg) = app.err(
        "rollback",
        json!({ "id": "no-such-promotion", "reason": "x" }),
    );
    assert_eq!(code, "not_found", "{msg}");
}

#[test]
fn fleet_versions_compare_and_health() {
    let app = TestApp::demo();
    let row = first_row(&app);
    let model = row["model"].as_str().unwrap();
    let versions = app.ok("versions", json!({ "model": model }));
    let vs = versions.as_array().unwrap();
    assert!(vs.len() >= 2, "{versions}");
    let (a, b) = (
        vs[1]["version"].as_str().unwrap(),
        vs[0]["version"].as_str().unwrap(),
    );
    let cmp = app.ok("compare", json!({ "model": model, "a": a, "b": b }));
    assert_eq!(cmp["model"], model);
    assert_eq!(cmp["a"]["version"]["version"], a);
    assert!(cmp["metrics"].is_array());
    let (code, _) = app.err("versions", json!({ "model": "no-such-model" }));
    assert_eq!(code, "not_found");
    let (code, _) = app.err("compare", json!({ "model": model, "a": a, "b": "999" }));
    assert_eq!(code, "not_found");
    let (code, _) = app.err("compare", json!({ "model": model, "a": "", "b": b }));
    assert_eq!(code, "invalid_request");

    let at = |w: i64, c: u32| {
        json!({
            "cluster": row["cluster"], "namespace": row["namespace"], "name": row["name"],
            "windowMs": w, "columns": c,
        })
    };
    let h = app.ok("health", at(3_600_000, 60));
    let signals = h["health"]["signals"].as_array().unwrap();
    assert_eq!(signals.len(), 5, "{h}");
    for s in signals {
        let n = s["series"]["points"].as_array().unwrap().len();
        assert!(n <= 2 * 60 + 2, "{n} points for 60 columns");
    }
    assert!(h["markers"].is_array());
    assert_eq!(h["health"]["model"], model);
    let (code, _) = app.err("health", at(0, 60));
    assert_eq!(code, "invalid_request");
    let (code, _) = app.err(
        "health",
        json!({ "cluster": "nowhere", "namespace": "x", "name": "y", "windowMs": 1000, "columns": 10 }),
    );
    assert_eq!(code, "not_found");
}

#[test]
fn a_hostile_registry_string_round_trips_as_plain_data() {
    let app = TestApp::demo();
    let row = first_row(&app);
    let model = row["model"].as_str().unwrap().to_string();
    let version = row["version"].as_str().unwrap().to_string();
    let hostile = "<script>alert(1)</script>";
    let s = app.desk().session();
    tauri::async_runtime::block_on(
        s.console
            .backends()
            .registry
            .set_version_tag(&model, &version, "note", hostile),
    )
    .unwrap();
    let versions = app.ok("versions", json!({ "model": model }));
    let v = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == version.as_str())
        .unwrap();
    // Exactly the characters the registry holds: not escaped, not stripped,
    // not interpreted (the UI renders it as text).
    assert_eq!(v["tags"]["note"], hostile);
}

#[test]
fn open_profile_switches_and_refuses_unknown_profiles() {
    let app = TestApp::demo();
    let info = app.ok("open_profile", json!({ "name": null }));
    assert_eq!(info["profile"], "sandbox");
    let info = app.ok("open_profile", json!({}));
    assert_eq!(info["sandbox"], true);
    let (code, msg) = app.err("open_profile", json!({ "name": "no-such-profile-xyz" }));
    assert_eq!(code, "no_profile", "{msg}");
    let (code, _) = app.err("open_profile", json!({ "name": " " }));
    assert_eq!(code, "invalid_request");
    // The session is still the simulated world after a refused switch.
    assert_eq!(app.ok("session_info", json!({}))["profile"], "sandbox");
}
