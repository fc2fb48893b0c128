//! `modeldeck compare` on the sandbox: the schema, lineage and curve fields
//! agree with each side's own signature, datasets and final metrics, and
//! the table shows the sections.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json, run};
use serde_json::Value;
use std::collections::BTreeMap;

fn columns(side: &Value, part: &str) -> BTreeMap<String, (String, bool)> {
    side["signature"][part]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                (
                    c["kind"].as_str().unwrap().to_string(),
                    c["required"].as_bool().unwrap(),
                ),
            )
        })
        .collect()
}

/// The changes recomputed from the two signatures the document carries.
fn expected_changes(schema: &Value) -> Vec<(String, String, String, bool)> {
    let mut out = Vec::new();
    for part in ["inputs", "outputs", "params"] {
        let (a, b) = (columns(&schema["a"], part), columns(&schema["b"], part));
        let word = &part[..part.len() - 1];
        let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
        names.sort();
        names.dedup();
        for n in names {
            let (change, breaking) = match (a.get(n), b.get(n)) {
                (None, Some((_, req))) => ("added", word == "input" && *req),
                (Some(_), None) => ("removed", word != "param"),
                (Some((ka, _)), Some((kb, _))) if ka != kb => ("retyped", true),
                (Some((_, ra)), Some((_, rb))) if ra != rb => ("required_changed", *rb),
                _ => continue,
            };
            out.push((word.to_string(), n.clone(), change.to_string(), breaking));
        }
    }
    out
}

fn changes(schema: &Value) -> Vec<(String, String, String, bool)> {
    schema["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["part"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
                c["breaking"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn schema_changes_follow_the_signatures() {
    for (model, want) in [
        ("fraud-detector", ("input", "hour_of_day", "added", true)),
        (
            "demand-forecaster",
            ("input", "day_of_week", "retyped", true),
        ),
        (
            "recsys-ranker",
            ("input", "category_affinity", "added", false),
        ),
    ] {
        let c = json(&["compare", model, "champion", "challenger"]);
        let schema = &c["schema"];
        assert!(schema["error"].is_null(), "{model}: {schema}");
        assert_eq!(schema["comparable"], true);
        let got = changes(schema);
        assert_eq!(got, expected_changes(schema), "{model}");
        let want = (want.0.into(), want.1.into(), want.2.into(), want.3);
        assert!(got.contains(&want), "{model}: {got:?}");
        let any_breaking = got.iter().any(|c| c.3);
        assert_eq!(schema["breaking"], any_breaking, "{model}");
    }
}

#[test]
fn lineage_pairs_datasets_by_context_and_compares_digests() {
    let c = json(&["compare", "fraud-detector", "champion", "challenger"]);
    let l = &c["lineage"];
    assert!(l["error"].is_null(), "{l}");
    let rows = l["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let same = r["a"]["digest"] == r["b"]["digest"] && !r["a"].is_null();
        assert_eq!(r["same"], same, "{r}");
    }
    let all_same = rows.iter().all(|r| r["same"] == true);
    assert_eq!(
        l["verdict"],
        if all_same {
            "same_data"
        } else {
            "different_data"
        }
    );
    // A version compared with itself trained on the same data.
    let same = json(&["compare", "fraud-detector", "champion", "champion"]);
    assert_eq!(same["lineage"]["verdict"], "same_data");
    assert_eq!(same["schema"]["changes"].as_array().unwrap().len(), 0);
}

#[test]
fn curves_end_at_the_runs_final_values() {
    let c = json(&["compare", "fraud-detector", "champion", "challenger"]);
    let metrics: Vec<&str> = c["curve_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(metrics.contains(&"auc"), "{metrics:?}");
    assert!(c["curves"].as_array().unwrap().is_empty());
    let c = json(&[
        "compare",
        "fraud-detector",
        "champion",
        "challenger",
        "--curve",
        "log_loss",
        "--curve",
        "auc",
    ]);
    let curves = c["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 2);
    for curve in curves {
        let key = curve["metric"].as_str().unwrap();
        let m = c["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .unwrap();
        for side in ["a", "b"] {
            let h = curve[side].as_array().unwrap();
            assert!(h.len() > 100, "{key} {side}: {}", h.len());
            let steps: Vec<i64> = h.iter().map(|p| p[0].as_i64().unwrap()).collect();
            assert!(
                steps.windows(2).all(|w| w[0] <= w[1]),
                "{key} {side} steps unsorted"
            );
            assert_eq!(h.last().unwrap()[1], m[side], "{key} {side}");
        }
    }
    let r = run(&[
        "--sandbox",
        "compare",
        "fraud-detector",
        "champion",
        "challenger",
        "--curve",
        "no_such_metric",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("no_such_metric") && r.stderr.contains("auc"),
        "{}",
        r.stderr
    );
}

#[test]
fn table_shows_schema_and_data_sections() {
    let r = run(&[
        "--sandbox",
        "compare",
        "demand-forecaster",
        "champion",
        "challenger",
        "--curve",
        "rmse",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("schema: 2 changed"), "{out}");
    assert!(
        out.contains("day_of_week") && out.contains("retyped"),
        "{out}"
    );
    assert!(out.contains("string -> long"), "{out}");
    assert!(out.contains("data: different data"), "{out}");
    assert!(out.contains("curve rmse: A 400 steps"), "{out}");
}

/// The metrics the sandbox policy gates on (auc within 0.2 %, log_loss
/// exactly) carry the gate's tolerance, and a difference within it is a
/// tie, as the gate judges; the others keep the tie tolerance.
#[test]
fn gate_metrics_carry_the_policy_tolerance() {
    let c = json(&["compare", "fraud-detector", "champion", "challenger"]);
    let metric = |k: &str| {
        c["metrics"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["key"] == k))
            .cloned()
            .unwrap_or_else(|| panic!("no {k} in {c}"))
    };
    assert_eq!(metric("auc")["gate_tolerance"], 0.002);
    assert_eq!(metric("log_loss")["gate_tolerance"], 0.0);
    assert_eq!(metric("log_loss")["direction"], "lower_is_better");
    assert!(metric("accuracy")["gate_tolerance"].is_null());
    // v8's auc gain (+0.0055 on 0.9005, 0.61 %) is beyond 0.2 %: B wins.
    assert_eq!(metric("auc")["winner"], "b");
}
