//! `modeldeck versions <model> --metric <name>` on the sandbox (simulated
//! registry): the series agrees with `versions`' own metrics, version by
//! version; aliases are marked; an unknown metric is a clear not_found
//! naming the closest one; `--metric` with `--metrics` is a usage error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json, keys, run, sorted};
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[test]
fn a_metric_across_versions_agrees_with_the_version_list() {
    let list = json(&["versions", "fraud-detector", "--metrics", "all"]);
    let h = json(&["versions", "fraud-detector", "--metric", "auc"]);
    assert_eq!(
        keys(&h),
        sorted(&["model", "metrics", "metric", "points", "missing"])
    );
    assert_eq!(s(&h["metric"]), "auc");
    assert!(
        h["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| s(m) == "f1")
    );
    let points = h["points"].as_array().unwrap();
    let missing = h["missing"].as_array().unwrap();
    let versions = list["versions"].as_array().unwrap();
    assert_eq!(points.len() + missing.len(), versions.len());
    assert!(points.len() >= 2, "too few points to chart: {h}");
    // Oldest first, and every value is the one `versions` reports.
    let numbers: Vec<u64> = points
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    for p in points {
        let v = versions
            .iter()
            .find(|v| v["version"] == p["version"])
            .unwrap_or_else(|| panic!("{p} is not a version"));
        assert_eq!(p["value"], v["metrics"]["auc"], "version {}", p["version"]);
        assert_eq!(p["aliases"], v["aliases"], "version {}", p["version"]);
    }
    assert!(
        points.iter().any(|p| p["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| s(a) == "champion")),
        "the champion is not marked: {h}"
    );
}

#[test]
fn the_table_has_a_row_per_version() {
    let r = run(&["--sandbox", "versions", "fraud-detector", "--metric", "auc"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let header = r.stdout.lines().next().unwrap();
    for col in ["VERSION", "AUC", "TREND", "ALIASES"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(
        r.stdout.lines().any(|l| l.starts_with("v1 ")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("fraud-detector: auc in "), "{}", r.stdout);
}

#[test]
fn an_unknown_metric_names_the_closest() {
    let r = run(&["--sandbox", "versions", "fraud-detector", "--metric", "acu"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("metric \"acu\""), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean \"auc\"?"), "{}", r.stderr);
    assert!(r.stdout.is_empty());

    let r = run(&["--sandbox", "versions", "no-such-model", "--metric", "auc"]);
    assert_eq!(r.code, 3, "{}", r.stderr);

    let r = run(&[
        "--sandbox",
        "versions",
        "fraud-detector",
        "--metric",
        "auc",
        "--metrics",
        "5",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
