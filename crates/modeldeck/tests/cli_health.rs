//! `modeldeck health` on the simulated world (`--sandbox`, frozen at its
//! virtual instant): the documented fields, series named with their units
//! and never more than two points per column nor 11,000 per series, every
//! workload form resolving to the same workload, ambiguity and typos as
//! errors with the documented exit codes, a canary's two versions each
//! with its series, a batch job without latency, and a promotion
//! made by earlier commands showing as a marker.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Run, TempDir, json, keys, run, run_in, sorted};
use serde_json::Value;

const DOC_FIELDS: &[&str] = &[
    "workload",
    "cluster",
    "namespace",
    "kind",
    "name",
    "model",
    "served",
    "per_version",
    "window",
    "window_ms",
    "start",
    "start_ms",
    "at",
    "at_ms",
    "step_ms",
    "columns",
    "signals",
    "markers",
    "markers_error",
    "deploys",
    "deploys_error",
];

const SIGNALS: &[&str] = &[
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "request_rate_rps",
    "error_ratio",
];

const SIGNAL_FIELDS: &[&str] = &["points", "last", "min", "max", "mean", "error"];

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Checks one series: `[unix_ms, value]` pairs on the step grid inside the
/// window, the summary equal to the points, at most `limit` points.
fn check_series(doc: &Value, name: &str, limit: usize) -> usize {
    let s = &doc["signals"][name];
    assert_eq!(keys(s), sorted(SIGNAL_FIELDS), "{name}");
    assert!(s["error"].is_null(), "{name}: {s}");
    let points = s["points"].as_array().unwrap();
    assert!(
        points.len() <= limit,
        "{name}: {} points > {limit}",
        points.len()
    );
    let (start, end, step) = (
        doc["start_ms"].as_i64().unwrap(),
        doc["at_ms"].as_i64().unwrap(),
        doc["step_ms"].as_i64().unwrap(),
    );
    let mut values = Vec::new();
    for p in points {
        let pair = p.as_array().unwrap();
        assert_eq!(pair.len(), 2, "{p}");
        let t = pair[0].as_i64().unwrap();
        assert!(
            t >= start && t <= end && (t - start) % step == 0,
            "{name}: {t}"
        );
        if let Some(v) = pair[1].as_f64() {
            values.push(v);
        }
    }
    if let Some(last) = values.last() {
        assert_eq!(num(&s["last"]), *last, "{name}");
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((num(&s["min"]), num(&s["max"])), (min, max), "{name}");
    }
    points.len()
}

#[test]
fn health_json_has_the_documented_fields_and_bounded_series() {
    let doc = json(&["health", "prod-eu/risk/fraud-detector"]);
    assert_eq!(keys(&doc), sorted(DOC_FIELDS), "{doc}");
    assert_eq!(keys(&doc["signals"]), sorted(SIGNALS));
    assert_eq!(doc["workload"], "prod-eu/risk/deploy/fraud-detector");
    assert_eq!(doc["kind"], "deployment");
    assert_eq!(doc["model"], "fraud-detector");
    assert_eq!(doc["window"], "24h");
    assert_eq!(doc["window_ms"], 86_400_000);
    assert_eq!(doc["columns"], 120);
    assert_eq!(doc["per_version"], false);
    assert_eq!(doc["start"], "2026-11-27T09:00:00Z");
    assert_eq!(doc["at"], "2026-11-28T09:00:00Z");
    assert_eq!(
        doc["at_ms"].as_i64().unwrap() - doc["start_ms"].as_i64().unwrap(),
        86_400_000
    );
    for name in SIGNALS {
        let n = check_series(&doc, name, 240);
        assert!(
            n > 200,
            "{name}: a day at 120 columns is about 240 points, got {n}"
        );
    }
    let p99 = &doc["signals"]["latency_p99_s"];
    let p50 = &doc["signals"]["latency_p50_s"];
    assert!(
        num(&p99["last"]) > num(&p50["last"]),
        "seconds, p99 above p50"
    );
    assert!(num(&p99["last"]) < 5.0, "seconds, not milliseconds: {p99}");
    let err = num(&doc["signals"]["error_ratio"]["max"]);
    assert!((0.0..=1.0).contains(&err), "a ratio: {err}");
    assert!(num(&doc["signals"]["request_rate_rps"]["mean"]) > 10.0);
}

#[test]
fn a_seven_day_window_at_full_width_stays_under_eleven_thousand_points() {
    let doc = json(&[
        "health",
        "prod-eu/risk/fraud-detector",
        "--window",
        "7d",
        "--columns",
        "5500",
    ]);
    assert_eq!(doc["window"], "7d");
    for name in SIGNALS {
        let n = check_series(&doc, name, 11_000);
        assert!(n > 10_900, "{name}: {n}");
    }
    assert_eq!(doc["step_ms"].as_i64().unwrap() % 1000, 0, "whole seconds");
}

#[test]
fn every_workload_form_names_the_same_workload() {
    let want = "prod-us/search/isvc/search-ranker";
    for form in [
        "prod-us/search/search-ranker",
        "prod-us/search/isvc/search-ranker",
        "prod-us/search/inference_service/search-ranker",
    ] {
        let doc = json(&["health", form, "--window", "1h"]);
        assert_eq!(doc["workload"], want, "{form}");
    }
    assert_eq!(
        json(&["health", "commerce/price-optimizer", "--window", "1h"])["workload"],
        "prod-us/commerce/deploy/price-optimizer"
    );
    assert_eq!(
        json(&["health", "ltv-estimator", "--window", "1h"])["workload"],
        "prod-us/commerce/isvc/ltv-estimator"
    );
}

#[test]
fn a_canary_and_its_stable_version_each_have_their_series() {
    let doc = json(&["health", "prod-us/search/search-ranker"]);
    let served: Vec<(&str, &str, i64)> = doc["served"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["version"].as_str().unwrap(),
                s["role"].as_str().unwrap(),
                s["traffic_percent"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(served, [("5", "stable", 90), ("6", "canary", 10)]);
    assert_eq!(doc["per_version"], true);
    assert!(doc.get("per_version_note").is_none(), "{doc}");
    for name in SIGNALS {
        let s = &doc["signals"][*name];
        let parts = s["by_version"].as_array().unwrap();
        let who: Vec<(&str, &str)> = parts
            .iter()
            .map(|v| (v["version"].as_str().unwrap(), v["role"].as_str().unwrap()))
            .collect();
        assert_eq!(who, [("5", "stable"), ("6", "canary")], "{name}");
        for v in parts {
            assert_eq!(
                v["points"].as_array().unwrap().len(),
                s["points"].as_array().unwrap().len()
            );
        }
    }
    // The simulated canary takes 10 % of the requests; the two add up.
    let rate = &doc["signals"]["request_rate_rps"];
    let (stable, canary) = (
        num(&rate["by_version"][0]["last"]),
        num(&rate["by_version"][1]["last"]),
    );
    assert!(
        (stable + canary - num(&rate["last"])).abs() < 0.01,
        "{rate}"
    );
    assert!((canary / num(&rate["last"]) - 0.1).abs() < 0.001, "{rate}");
    let t = run(&[
        "--sandbox",
        "health",
        "prod-us/search/search-ranker",
        "--color",
        "never",
    ]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(
        t.stdout.contains(
            "serves v5 (stable, 90%) and v6 (canary, 10%): each signal per version below the workload's"
        ),
        "{}",
        t.stdout
    );
    let rows: Vec<&str> = t
        .stdout
        .lines()
        .filter(|l| l.starts_with("  v6 canary"))
        .collect();
    assert_eq!(rows.len(), 5, "{}", t.stdout);
    // A workload serving one version has no per-version series.
    let one = json(&["health", "prod-eu/risk/fraud-detector"]);
    assert!(
        one["signals"]["latency_p99_s"].get("by_version").is_none(),
        "{one}"
    );
}

#[test]
fn the_table_summarises_each_signal() {
    let t = run(&[
        "--sandbox",
        "health",
        "prod-eu/risk/fraud-detector",
        "--color",
        "never",
    ]);
    assert_eq!(t.code, 0, "{}", t.stderr);
    let header = t.stdout.lines().find(|l| l.starts_with("SIGNAL")).unwrap();
    for col in ["UNIT", "NOW", "MIN", "MAX", "MEAN", "POINTS", "SUMMARY"] {
        assert!(header.contains(col), "{header}");
    }
    for (signal, unit) in [
        ("latency p50", "ms"),
        ("latency p95", "ms"),
        ("latency p99", "ms"),
        ("request rate", "req/s"),
        ("error ratio", "%"),
    ] {
        let row = t
            .stdout
            .lines()
            .find(|l| l.starts_with(signal))
            .unwrap_or_else(|| panic!("no {signal} row: {}", t.stdout));
        assert!(row.contains(unit) && row.contains("vs window max"), "{row}");
    }
}

#[test]
fn a_batch_job_has_no_latency_and_is_not_a_failure() {
    let doc = json(&["health", "churn-batch-scoring", "--window", "6h"]);
    for name in ["latency_p99_s", "request_rate_rps"] {
        let s = &doc["signals"][name];
        assert_eq!(s["points"], Value::Array(vec![]), "{name}");
        assert!(s["last"].is_null() && s["error"].is_null(), "{name}: {s}");
    }
    assert!(check_series(&doc, "error_ratio", 240) > 0);
    let t = run(&[
        "--sandbox",
        "health",
        "churn-batch-scoring",
        "--color",
        "never",
    ]);
    assert_eq!(t.code, 0);
    let row = t
        .stdout
        .lines()
        .find(|l| l.starts_with("latency p99"))
        .unwrap();
    assert!(row.contains("no data"), "{row}");
}

#[test]
fn ambiguity_typos_and_bad_flags_are_clear_errors() {
    let r = run(&["--sandbox", "health", "demand-forecaster"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for m in [
        "ambiguous",
        "prod-eu/commerce/deploy/demand-forecaster",
        "prod-us/commerce/deploy/demand-forecaster",
    ] {
        assert!(r.stderr.contains(m), "{m}: {}", r.stderr);
    }
    let r = run(&["--sandbox", "health", "fraud-detectr", "-o", "json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("\"fraud-detectr\" not found"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean"), "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["error"]["code"], "not_found");
    let r = run(&["--sandbox", "health", "fraud-detector", "--window", "3x"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("m, h or d"), "{}", r.stderr);
    let r = run(&[
        "--sandbox",
        "health",
        "prod-eu/risk/fraud-detector",
        "--columns",
        "0",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--columns"), "{}", r.stderr);
}

#[test]
fn series_that_cannot_be_read_are_printed_with_their_error_and_exit_4() {
    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "metrics",
        "health",
        "prod-eu/risk/fraud-detector",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    for name in SIGNALS {
        let s = &doc["signals"][name];
        assert_eq!(s["error"]["code"], "unreachable", "{name}: {s}");
        assert_eq!(s["error"]["backend"], "metrics", "{name}: {s}");
        assert_eq!(s["points"], Value::Array(vec![]), "{name}");
    }
    assert!(
        r.stderr.contains("error: latency p99: metrics unreachable"),
        "{}",
        r.stderr
    );
    // Without the cluster the workload cannot be found: its error, exit 4.
    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "cluster",
        "health",
        "fraud-detector",
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains("cluster unreachable"), "{}", r.stderr);
}

#[test]
fn the_deploy_at_the_shift_is_in_the_window() {
    // Both demand-forecaster workloads deployed feature transformer 2.4.0
    // 20 h before the sandbox's instant (the cause of lag_7d's shift).
    let doc = json(&["health", "prod-eu/commerce/demand-forecaster"]);
    assert!(doc["deploys_error"].is_null(), "{doc}");
    let deploys = doc["deploys"].as_array().unwrap();
    assert_eq!(deploys.len(), 1, "only the one inside 24 h: {deploys:?}");
    let d = &deploys[0];
    assert_eq!(
        doc["at_ms"].as_i64().unwrap() - d["at_ms"].as_i64().unwrap(),
        20 * 3_600_000
    );
    assert_eq!(d["at"], "2026-11-27T13:00:00Z");
    assert!(
        d["cause"].as_str().unwrap().contains("transformer 2.4.0"),
        "{d}"
    );
    assert!(
        d["images"].to_string().contains("demand-transformer:2.4.0"),
        "{d}"
    );
    let quarter = json(&[
        "health",
        "prod-eu/commerce/demand-forecaster",
        "--window",
        "90d",
    ]);
    assert!(
        quarter["deploys"].as_array().unwrap().len() >= 2,
        "creation too: {quarter}"
    );
    let t = run(&[
        "--sandbox",
        "health",
        "prod-eu/commerce/demand-forecaster",
        "--color",
        "never",
    ]);
    assert!(
        t.stdout
            .contains("deploys:\n  2026-11-27T13:00:00Z  revision 2"),
        "{}",
        t.stdout
    );
}

fn ok(r: Run, what: &str) -> Run {
    assert_eq!(r.code, 0, "{what}: {}\n{}", r.stdout, r.stderr);
    r
}

#[test]
fn a_promotion_made_earlier_is_a_marker() {
    let dir = TempDir::new("health-markers");
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
    let id = req["id"]
        .as_str()
        .or(req["promotion"]["id"].as_str())
        .unwrap()
        .to_string();
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
    let r = ok(
        sb(&["health", "prod-eu/search/recsys-ranker", "-o", "json"]),
        "health",
    );
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let markers = doc["markers"].as_array().unwrap();
    let m = markers
        .iter()
        .find(|m| m["promotion"] == id.as_str())
        .unwrap_or_else(|| panic!("no marker for {id}: {doc}"));
    assert_eq!(m["kind"], "promoted");
    assert_eq!(m["version"], "8");
    assert_eq!(m["previous"], "7");
    let t = ok(
        sb(&["health", "prod-eu/search/recsys-ranker", "--color", "never"]),
        "table",
    );
    assert!(t.stdout.contains("promoted v8 (was v7)"), "{}", t.stdout);
}
