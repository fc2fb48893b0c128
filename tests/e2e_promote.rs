//! A promotion through the CLI on the REAL backends (real MLflow, the
//! sandbox Kubernetes API server with TLS and per-user tokens, a real
//! Prometheus): alice requests, cannot approve her own request, bob
//! approves and executes; MLflow's alias and the Deployment's pod template
//! move together; `audit verify` proves the journal; `rollback` restores
//! both exactly; `history` tells which version served when. A read-only
//! user is refused with the reason. Assertions read each backend directly
//! (MLflow REST, kubectl), not Modeldeck's own view.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod people;
mod real;
mod tmux;

use people::alias_of;
use real::World;
use serde_json::Value;
use std::path::Path;

/// One approval, quick bake; the fixture's fraud p99 (about 0.57 s) is
/// under this SLO.
const FAST_POLICY: &str = r#"
[profiles.e2e.policies."*"]
min_approvals = 1
bake = "1s"
rollout_poll = "1s"
rollout_timeout = "60s"
drift_max_psi = 10.0
slo = { latency_p99_max_secs = 2.0 }
"#;

/// The same with the default p99 SLO (0.5 s): the fixture's fraud p99
/// fails it after deploy.
const STRICT_POLICY: &str = r#"
[profiles.e2e.policies."*"]
min_approvals = 1
bake = "1s"
rollout_poll = "1s"
rollout_timeout = "60s"
drift_max_psi = 10.0
"#;

fn served_by_deployment(kubeconfig: &Path, ns: &str, name: &str) -> String {
    let out = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["get", "deploy", "-n", ns, name, "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    d["spec"]["template"]["metadata"]["annotations"]["modeldeck.io/model-version"]
        .as_str()
        .unwrap_or_else(|| panic!("no version annotation: {d}"))
        .to_string()
}

/// `config`'s user requests `version` of `model` for prod/fraud-detector.
async fn request(w: &World, config: &Path, model: &str, version: &str) -> Value {
    let r = w
        .run_with(
            config,
            &[
                "promote",
                "request",
                model,
                version,
                "--target",
                "prod/fraud-detector",
                "--reason",
                "v3 beats v2 offline",
                "-o",
                "json",
            ],
        )
        .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    json(&r)
}

fn json(r: &common::Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_approve_execute_audit_and_roll_back_on_real_backends() {
    let w = World::start("promote").await;
    let alice = w.config_as("alice", FAST_POLICY);
    let bob = w.config_as("bob", FAST_POLICY);
    let viewer = w.config_as("viewer", FAST_POLICY);
    let model = w.bound("prod", "fraud-detector").model.clone();
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );
    assert_eq!(
        served_by_deployment(&w.kubeconfig, "prod", "fraud-detector"),
        "2"
    );

    // alice requests v3 for the prod Deployment.
    let req = request(&w, &alice, &model, "challenger").await;
    let id = req["id"].as_str().unwrap().to_string();
    assert_eq!(req["state"], "requested");
    assert_eq!(req["version"], "3");
    assert_eq!(req["previous_version"], "2");
    assert_eq!(req["requested_by"], "alice");

    // Four eyes: alice cannot approve her own request; nothing changes.
    let r = w
        .run_with(&alice, &["promote", "approve", &id, "-o", "json"])
        .await;
    assert_eq!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(json(&r)["error"]["code"], "refused_self_approval");
    assert!(r.stderr.contains("four-eyes"), "{}", r.stderr);

    // A read-only user is refused by RBAC, with the reason.
    let r = w
        .run_with(&viewer, &["promote", "approve", &id, "-o", "json"])
        .await;
    assert_eq!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(json(&r)["error"]["code"], "refused_rbac", "{}", r.stdout);

    // Executing before any approval is refused and writes nothing.
    let r = w
        .run_with(&bob, &["promote", "execute", &id, "-o", "json"])
        .await;
    assert_eq!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );
    assert_eq!(
        served_by_deployment(&w.kubeconfig, "prod", "fraud-detector"),
        "2"
    );

    // bob approves and executes.
    let r = w
        .run_with(
            &bob,
            &[
                "promote",
                "approve",
                &id,
                "-m",
                "numbers hold",
                "-o",
                "json",
            ],
        )
        .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(json(&r)["state"], "approved");
    let r = w
        .run_with(&bob, &["promote", "execute", &id, "-o", "json"])
        .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let ex = json(&r);
    assert_eq!(ex["state"], "promoted", "{ex}");
    assert_eq!(ex["wrote"], true);
    // Both backends moved, read directly.
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("3")
    );
    assert_eq!(
        served_by_deployment(&w.kubeconfig, "prod", "fraud-detector"),
        "3"
    );
    // Executing again writes nothing.
    let r = w
        .run_with(&bob, &["promote", "execute", &id, "-o", "json"])
        .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["wrote"], false);

    // The audit trail verifies and tells the story.
    let r = w.run_with(&bob, &["audit", "verify", "-o", "json"]).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(v["ok"], true);
    let r = w
        .run_with(&bob, &["audit", "--model", &model, "-o", "json"])
        .await;
    let audit = json(&r);
    let actions: Vec<(String, String, String)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let has = |actor: &str, action: &str, ok: bool| {
        actions
            .iter()
            .any(|(a, act, o)| a == actor && act.contains(action) && (o == "ok") == ok)
    };
    assert!(has("alice", "request", true), "{actions:?}");
    assert!(
        has("alice", "approv", false),
        "self-approval refusal audited: {actions:?}"
    );
    assert!(
        has("viewer", "approv", false),
        "RBAC refusal audited: {actions:?}"
    );
    assert!(has("bob", "approv", true), "{actions:?}");

    // Rollback restores the alias and the pod template exactly.
    let r = w
        .run_with(
            &bob,
            &[
                "rollback",
                &model,
                "--reason",
                "p99 regression",
                "-o",
                "json",
            ],
        )
        .await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let rb = json(&r);
    assert_eq!(rb["restored_version"], "2", "{rb}");
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );
    assert_eq!(
        served_by_deployment(&w.kubeconfig, "prod", "fraud-detector"),
        "2"
    );

    // History: promoted, then rolled back.
    let r = w.run_with(&bob, &["history", &model, "-o", "json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let h = json(&r);
    let kinds: Vec<&str> = h["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["promoted", "rolled_back"], "{h}");

    // Tampering with the journal is detected.
    let journal = w.dir.0.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    std::fs::write(&journal, text.replacen("\"bob\"", "\"mallory\"", 1)).unwrap();
    let r = w.run_with(&bob, &["audit", "verify", "-o", "json"]).await;
    assert_eq!(r.code, 1, "{}", r.stdout);
    let v = json(&r);
    assert_eq!(v["ok"], false);
    assert!(v["error"]["line"].as_u64().unwrap() >= 1, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_post_deploy_gate_compensates_both_backends() {
    let w = World::start("compensate").await;
    let alice = w.config_as("alice", STRICT_POLICY);
    let bob = w.config_as("bob", STRICT_POLICY);
    let model = w.bound("prod", "fraud-detector").model.clone();
    let id = request(&w, &alice, &model, "3").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = w
        .run_with(&bob, &["promote", "approve", &id, "-o", "json"])
        .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = w
        .run_with(&bob, &["promote", "execute", &id, "-o", "json"])
        .await;
    assert_eq!(r.code, 6, "{}\n{}", r.stdout, r.stderr);
    let err = json(&r);
    assert_eq!(err["error"]["code"], "rolled_back");
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("slo:latency_p99") && msg.contains("> 0.5s"),
        "numbers shown: {msg}"
    );
    // Both backends are back where they were, read directly.
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );
    assert_eq!(
        served_by_deployment(&w.kubeconfig, "prod", "fraud-detector"),
        "2"
    );
    let r = w
        .run_with(&bob, &["promote", "status", &id, "-o", "json"])
        .await;
    assert_eq!(json(&r)["state"], "rolled_back", "{}", r.stdout);
    let r = w.run_with(&bob, &["audit", "verify", "-o", "json"]).await;
    assert_eq!(r.code, 0, "{}", r.stdout);
}
