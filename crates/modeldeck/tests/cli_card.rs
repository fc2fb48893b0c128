//! `modeldeck card` as a script sees it, on the simulated world
//! (`--sandbox`): the demo's models carry `modeldeck.card.*` model tags
//! (crates/sandbox/scenarios/demo.toml); fraud-detector's card is complete,
//! ltv-estimator's lacks limitations and owner, which the sandbox policy
//! (`card_required = ["intended_use", "limitations", "owner"]` for every
//! model but fraud-*) requires: `card --check` exits 5, and a promotion of
//! ltv-estimator carries a failing `card` gate naming both fields, so its
//! approval and its execution are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{Run, TempDir, json, keys, run, run_in, sorted};
use serde_json::Value;

const DOC_FIELDS: &[&str] = &[
    "model",
    "version",
    "version_source",
    "summary",
    "fields",
    "fairness",
    "metrics",
    "required",
    "missing",
    "policy_error",
];

const FIELD_KEYS: &[&str] = &[
    "intended_use",
    "limitations",
    "owner",
    "contact",
    "training_data",
    "evaluation",
    "fairness",
    "license",
];

fn field<'a>(doc: &'a Value, key: &str) -> &'a Value {
    doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no field {key} in {doc}"))
}

#[test]
fn fraud_detector_has_a_complete_card_from_model_tags() {
    let doc = json(&["card", "fraud-detector"]);
    assert_eq!(keys(&doc), sorted(DOC_FIELDS), "{doc}");
    assert_eq!(doc["model"], "fraud-detector");
    assert_eq!(doc["version"], "7", "the champion by default");
    assert_eq!(doc["version_source"], "champion");
    assert_eq!(
        doc["summary"],
        "Card-not-present fraud scoring for checkout"
    );
    let keys_in_order: Vec<&str> = doc["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys_in_order, FIELD_KEYS);
    let owner = field(&doc, "owner");
    assert_eq!(owner["value"], "dana.kowalski (risk-ml)");
    assert_eq!(owner["label"], "Owner");
    assert_eq!(owner["source"]["kind"], "model_tag");
    assert_eq!(owner["source"]["key"], "modeldeck.card.owner");
    for k in ["intended_use", "limitations", "training_data", "license"] {
        assert!(field(&doc, k)["value"].is_string(), "{k}: {doc}");
    }
    // fraud-* has its own sandbox policy rule, without card_required.
    assert_eq!(doc["required"], serde_json::json!([]));
    assert_eq!(doc["missing"], serde_json::json!([]));
    assert_eq!(doc["policy_error"], Value::Null);
    // The run's metrics are the evaluation's numbers.
    assert!(doc["metrics"]["auc"].as_f64().unwrap() > 0.5, "{doc}");
}

#[test]
fn ltv_estimator_lacks_limitations_and_owner_and_check_exits_5() {
    let doc = json(&["card", "ltv-estimator", "--version", "v2"]);
    assert_eq!(doc["version"], "2");
    assert_eq!(doc["version_source"], "given");
    assert_eq!(
        doc["required"],
        serde_json::json!(["intended_use", "limitations", "owner"])
    );
    assert_eq!(doc["missing"], serde_json::json!(["limitations", "owner"]));
    assert_eq!(field(&doc, "owner")["value"], Value::Null);
    assert_eq!(field(&doc, "owner")["source"], Value::Null);
    // `team = growth` is a model tag too, and is not taken for an owner.
    assert!(doc["fields"].to_string().find("growth").is_none(), "{doc}");

    let r = run(&["--sandbox", "card", "ltv-estimator", "--check"]);
    assert_eq!(r.code, 5, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("Model card: ltv-estimator v"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("missing for promotion (card_required): limitations, owner"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Limitations (required, missing)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Intended use (required)  [model tag modeldeck.card.intended_use]"),
        "{}",
        r.stdout
    );
    let complete = run(&["--sandbox", "card", "churn-model", "--check"]);
    assert_eq!(complete.code, 0, "{}", complete.stderr);
}

#[test]
fn unknown_models_and_versions_are_exit_3() {
    let r = run(&["--sandbox", "card", "ltv-estimatr"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("ltv-estimator"),
        "did you mean: {}",
        r.stderr
    );
    let r = run(&["--sandbox", "card", "ltv-estimator", "--version", "99"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("99"), "{}", r.stderr);
}

fn sb(dir: &TempDir, args: &[&str]) -> Run {
    let mut all = vec!["--sandbox"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

#[test]
fn a_promotion_of_ltv_estimator_fails_the_card_gate_and_is_refused() {
    let dir = TempDir::new("card-gate");
    let req = sb(
        &dir,
        &[
            "promote",
            "request",
            "ltv-estimator",
            "3",
            "--alias",
            "champion",
            "-m",
            "new features",
            "-o",
            "json",
        ],
    );
    assert_eq!(req.code, 0, "request: {}\n{}", req.stdout, req.stderr);
    let v: Value = serde_json::from_str(&req.stdout).unwrap();
    let id = v["id"]
        .as_str()
        .or(v["promotion"]["id"].as_str())
        .unwrap()
        .to_string();
    let st = sb(&dir, &["promote", "status", &id, "-o", "json"]);
    assert_eq!(st.code, 0, "{}", st.stderr);
    let st: Value = serde_json::from_str(&st.stdout).unwrap();
    let gates = st["gates"]
        .as_array()
        .or(st["promotion"]["gates"].as_array())
        .unwrap_or_else(|| panic!("no gates in {st}"));
    let card = gates
        .iter()
        .find(|g| g["name"] == "card")
        .unwrap_or_else(|| panic!("no card gate in {st}"));
    assert_eq!(
        card["status"].as_str().map(str::to_lowercase),
        Some("fail".into())
    );
    let detail = card["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("model card of v3 lacks limitations, owner"),
        "{detail}"
    );

    let approve = sb(
        &dir,
        &[
            "--sandbox-user",
            "bob",
            "promote",
            "approve",
            &id,
            "-m",
            "ok",
        ],
    );
    assert_eq!(approve.code, 5, "{}\n{}", approve.stdout, approve.stderr);
    assert!(approve.stderr.contains("card"), "{}", approve.stderr);
    assert!(
        approve.stderr.contains("limitations, owner"),
        "{}",
        approve.stderr
    );

    let exec = sb(&dir, &["promote", "execute", &id]);
    assert_eq!(exec.code, 5, "{}\n{}", exec.stdout, exec.stderr);
}
