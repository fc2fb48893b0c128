//! `compare_evidence` and `compare_curve` on Tauri's mock runtime over the
//! simulated world (issue 13): the same schema diff, data lineage and
//! training curves the TUI and `modeldeck compare -o json` show, through
//! the real IPC path (ACL, argument parsing, serialization); bad arguments
//! and unknown names come back as `{ code, message }`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::TestApp;
use serde_json::{Value, json};

const MODEL: &str = "demand-forecaster";

fn change<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no change of {name:?}: {schema}"))
}

#[test]
fn evidence_has_the_breaking_schema_changes_and_the_paired_datasets() {
    let app = TestApp::demo();
    app.wait_loaded();
    let ev = app.ok(
        "compare_evidence",
        json!({ "model": MODEL, "a": "5", "b": "6" }),
    );
    assert_eq!(ev["schema_error"], Value::Null, "{ev}");
    assert_eq!(ev["lineage_error"], Value::Null, "{ev}");

    let schema = &ev["schema"];
    assert_eq!(schema["breaking"], true, "{schema}");
    assert_eq!(schema["changes"].as_array().unwrap().len(), 2, "{schema}");
    assert_eq!(schema["unchanged"], 6, "{schema}");
    let day = change(schema, "day_of_week");
    assert_eq!(day["part"], "input");
    assert_eq!(day["change"], "retyped");
    assert_eq!(day["breaking"], true);
    assert_eq!(day["a"]["kind"], "string");
    assert_eq!(day["b"]["kind"], "long");
    let reason = day["reason"].as_str().unwrap();
    assert!(reason.contains("string -> long"), "{reason}");
    let holiday = change(schema, "holiday_flag");
    assert_eq!(holiday["change"], "added");
    assert_eq!(holiday["a"], Value::Null);
    assert_eq!(holiday["breaking"], true);
    assert_eq!(schema["a"]["state"], "signature");

    let lineage = &ev["lineage"];
    assert_eq!(lineage["verdict"], "different_data", "{lineage}");
    let rows = lineage["rows"].as_array().unwrap();
    let by = |ctx: &str| {
        rows.iter()
            .find(|r| r["context"] == ctx)
            .unwrap_or_else(|| panic!("no {ctx} row: {lineage}"))
    };
    let eval = by("eval");
    assert_eq!(eval["same"], true);
    assert_eq!(eval["a"]["digest"], eval["b"]["digest"]);
    let training = by("training");
    assert_eq!(training["same"], false);
    assert_ne!(training["a"]["digest"], training["b"]["digest"]);
    assert_eq!(training["a"]["name"], training["b"]["name"]);

    let metrics: Vec<&str> = ev["curve_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(metrics.contains(&"mae"), "{metrics:?}");
}

#[test]
fn a_curve_is_both_runs_history_and_an_unknown_metric_names_the_common_ones() {
    let app = TestApp::demo();
    app.wait_loaded();
    let args = |metric: &str| json!({ "model": MODEL, "a": "5", "b": "6", "metric": metric });
    let curve = app.ok("compare_curve", args("mae"));
    assert_eq!(curve["metric"], "mae");
    for side in ["a", "b"] {
        let pts = curve[side].as_array().unwrap();
        assert_eq!(pts.len(), 400, "{side}: {} points", pts.len());
        let steps: Vec<i64> = pts.iter().map(|p| p["step"].as_i64().unwrap()).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{side} not by step");
        assert!(pts.iter().all(|p| p["at"].is_number()));
    }
    let first = curve["a"][0]["value"].as_f64().unwrap();
    let last = curve["a"][399]["value"].as_f64().unwrap();
    assert!(
        first > last,
        "mae should fall in training: {first} -> {last}"
    );

    let (code, message) = app.err("compare_curve", args("no_such_metric"));
    assert_eq!(code, "not_found");
    assert!(message.contains("no_such_metric"), "{message}");
    assert!(message.contains("mae"), "{message}");
    let (code, _) = app.err("compare_curve", args(" "));
    assert_eq!(code, "invalid_request");
}

#[test]
fn bad_arguments_and_unknown_versions_are_coded_errors() {
    let app = TestApp::demo();
    app.wait_loaded();
    let (code, message) = app.err(
        "compare_evidence",
        json!({ "model": MODEL, "a": "", "b": "6" }),
    );
    assert_eq!(code, "invalid_request");
    assert!(message.contains("version a"), "{message}");
    let (code, _) = app.err(
        "compare_evidence",
        json!({ "model": MODEL, "a": "5", "b": "999" }),
    );
    assert_eq!(code, "not_found");
    let (code, _) = app.err(
        "compare_curve",
        json!({ "model": "no-such-model", "a": "1", "b": "2", "metric": "mae" }),
    );
    assert_eq!(code, "not_found");
    // A missing argument is refused by the IPC layer, not a panic.
    let err = app
        .invoke("compare_evidence", json!({ "model": MODEL, "a": "5" }))
        .unwrap_err();
    assert!(err.to_string().contains('b'), "{err}");
}
