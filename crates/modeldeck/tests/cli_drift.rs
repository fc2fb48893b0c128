//! `modeldeck drift` as a script sees it.
//!
//! On the simulated world (`--sandbox`, frozen at its virtual instant; the
//! numbers are the sandbox's, see crates/sandbox/tests/drift.rs):
//! demand-forecaster's sudden `lag_7d` shift and gradual `temperature`
//! drift are the two drifted features, worst first; eta-predictor's
//! seasonal features alarm over one hour and not over a day;
//! fraud-detector's missing-value incident (5 h to 2 h ago) shows in a 6 h
//! window and not in the last hour; versions default to what is served
//! (a canary's version named), errors name what is wrong with the
//! documented exit codes. The same command on real servers:
//! `cli_drift_real.rs`.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json, keys, run, sorted, yaml};
use serde_json::Value;

const DOC_FIELDS: &[&str] = &[
    "model",
    "version",
    "version_source",
    "version_reason",
    "served",
    "window",
    "window_ms",
    "at",
    "at_ms",
    "reference",
    "live_data",
    "features",
    "prediction",
    "dataset_drift",
];

const FEATURE_FIELDS: &[&str] = &[
    "feature",
    "kind",
    "method",
    "score",
    "score_kind",
    "statistic",
    "threshold",
    "drifted",
    "verdict",
    "severity",
    "missing_rate",
    "reference_missing_rate",
    "out_of_range_rate",
    "unseen_categories",
    "reference_n",
    "live_n",
];

const METHODS: &[&str] = &[
    "psi",
    "ks",
    "jensen_shannon",
    "wasserstein",
    "chi_square",
    "hellinger",
];

fn features(doc: &Value) -> &Vec<Value> {
    doc["features"].as_array().unwrap()
}

fn feature<'a>(doc: &'a Value, name: &str) -> &'a Value {
    features(doc)
        .iter()
        .find(|f| f["feature"] == name)
        .unwrap_or_else(|| panic!("no feature {name} in {doc}"))
}

fn drifted(doc: &Value) -> Vec<String> {
    features(doc)
        .iter()
        .filter(|f| f["drifted"] == true)
        .map(|f| f["feature"].as_str().unwrap().to_string())
        .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Every field of a feature row is there and agrees with the others.
fn check_row(f: &Value) {
    assert_eq!(keys(f), sorted(FEATURE_FIELDS), "{f}");
    if f["verdict"] == "no_data" {
        return;
    }
    let method = f["method"].as_str().unwrap();
    assert!(METHODS.contains(&method), "{f}");
    let p_value = matches!(method, "ks" | "chi_square");
    assert_eq!(
        f["score_kind"],
        if p_value { "p_value" } else { "distance" },
        "{f}"
    );
    let (score, threshold) = (num(&f["score"]), num(&f["threshold"]));
    let past = if p_value {
        score < threshold
    } else {
        score >= threshold
    };
    assert_eq!(f["drifted"], past, "{f}");
    assert_eq!(f["verdict"], if past { "drift" } else { "ok" }, "{f}");
}

#[test]
fn demand_forecaster_names_lag_7d_and_temperature_drifted_worst_first() {
    let doc = json(&["drift", "demand-forecaster"]);
    assert_eq!(keys(&doc), sorted(DOC_FIELDS), "{doc}");
    assert_eq!(doc["model"], "demand-forecaster");
    assert_eq!(doc["version"], "5");
    assert_eq!(doc["version_source"], "served");
    assert_eq!(doc["window"], "24h");
    assert_eq!(doc["window_ms"], 86_400_000);
    assert_eq!(
        doc["at"], "2026-11-28T09:00:00Z",
        "the sandbox's frozen instant"
    );
    assert_eq!(doc["at_ms"], 1_795_856_400_000_i64);
    assert_eq!(doc["live_data"], true);
    let reference = &doc["reference"];
    assert_eq!(
        keys(reference),
        sorted(&["rows", "created", "created_ms", "digest", "schema"])
    );
    assert!(num(&reference["rows"]) > 1000.0, "{reference}");
    let created = reference["created_ms"].as_i64().unwrap();
    assert!(created < doc["at_ms"].as_i64().unwrap(), "{reference}");
    assert!(
        reference["digest"].as_str().unwrap().starts_with("sha256:"),
        "{reference}"
    );
    let served = doc["served"].as_array().unwrap();
    assert_eq!(served[0]["version"], "5");
    assert_eq!(served[0]["role"], "stable");
    assert_eq!(served[0]["workloads"].as_array().unwrap().len(), 2);

    for f in features(&doc) {
        check_row(f);
    }
    check_row(&doc["prediction"]);
    assert_eq!(drifted(&doc), ["lag_7d", "temperature"], "worst first");
    for name in ["lag_7d", "temperature"] {
        let f = feature(&doc, name);
        assert_eq!(f["kind"], "numeric");
        assert_eq!(f["method"], "wasserstein", "the automatic choice: {f}");
        assert_eq!(f["threshold"], 0.1, "{f}");
        assert!(num(&f["score"]) > 1.0, "{f}");
        assert!(num(&f["severity"]) > 10.0, "{f}");
    }
    let sev: Vec<f64> = features(&doc)
        .iter()
        .map(|f| f["severity"].as_f64().unwrap_or(f64::NEG_INFINITY))
        .collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]), "{sev:?}");

    let d = &doc["dataset_drift"];
    assert_eq!(
        keys(d),
        sorted(&[
            "share",
            "threshold",
            "drifted",
            "drifted_features",
            "scored_features"
        ])
    );
    assert_eq!(d["drifted_features"], 2);
    assert_eq!(d["scored_features"], 7);
    assert!(
        (num(&d["share"]) - 2.0 / 7.0).abs() < 1e-12,
        "raw share: {d}"
    );
    assert_eq!(d["threshold"], 0.5);
    assert_eq!(d["drifted"], false);

    // YAML is the same document (floats to YAML's printed precision).
    assert!(same(&yaml(&["drift", "demand-forecaster"]), &doc));
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn the_table_puts_the_worst_feature_first_with_directions() {
    let r = run(&[
        "--sandbox",
        "drift",
        "demand-forecaster",
        "--color",
        "never",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let header = lines.iter().position(|l| l.starts_with("FEATURE")).unwrap();
    for col in [
        "METHOD",
        "SCORE",
        "THRESHOLD",
        "VERDICT",
        "MISSING",
        "OUT OF RANGE",
        "UNSEEN",
    ] {
        assert!(lines[header].contains(col), "{}", lines[header]);
    }
    assert!(lines[header + 1].starts_with("lag_7d "), "{}", r.stdout);
    assert!(lines[header + 1].contains("≥ 0.1"), "{}", lines[header + 1]);
    assert!(lines[header + 1].contains("drift"), "{}", lines[header + 1]);
    assert!(
        lines[header + 2].starts_with("temperature "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("units_forecast (prediction)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "dataset drift: 2 of 7 features drifted (28.6%), threshold 50.0%: no dataset drift"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("low means drift"), "{}", r.stdout);
    assert!(!r.stdout.contains('\u{1b}'), "no color when piped");
}

#[test]
fn the_seasonal_model_alarms_over_an_hour_and_not_over_a_day() {
    let day = json(&["drift", "eta-predictor", "--window", "24h"]);
    assert!(drifted(&day).is_empty(), "{day}");
    assert_eq!(day["dataset_drift"]["drifted"], false);
    let hour = json(&["drift", "eta-predictor", "--window", "1h"]);
    assert_eq!(hour["window"], "1h");
    assert_eq!(hour["window_ms"], 3_600_000);
    let d = drifted(&hour);
    assert!(d.contains(&"traffic_index".to_string()), "{d:?}");
    assert!(d.contains(&"courier_load".to_string()), "{d:?}");
    assert!(!d.contains(&"distance_km".to_string()), "{d:?}");
    // The same features score lower over the day than over the hour.
    for name in ["traffic_index", "courier_load"] {
        assert!(
            num(&feature(&day, name)["score"]) * 5.0 < num(&feature(&hour, name)["score"]),
            "{name}"
        );
    }
}

#[test]
fn the_missing_value_incident_shows_when_the_window_covers_it() {
    // device_risk_score misses 35 % of its values from 5 h to 2 h ago.
    let six = json(&["drift", "fraud-detector", "--window", "6h"]);
    let f = feature(&six, "device_risk_score");
    let (m, r) = (num(&f["missing_rate"]), num(&f["reference_missing_rate"]));
    assert!((0.15..0.19).contains(&m), "3 of 6 hours at 35 %: {f}");
    assert!(r < 0.02, "{f}");
    assert_eq!(f["verdict"], "ok", "the values present still match: {f}");
    assert!(
        num(&feature(&six, "amount")["missing_rate"]) < 0.02,
        "other features are whole"
    );
    let last_hour = json(&["drift", "fraud-detector", "--window", "1h"]);
    let f = feature(&last_hour, "device_risk_score");
    assert!(num(&f["missing_rate"]) < 0.02, "over by now: {f}");

    let t = run(&[
        "--sandbox",
        "drift",
        "fraud-detector",
        "--window",
        "6h",
        "--color",
        "never",
    ]);
    let row = t
        .stdout
        .lines()
        .find(|l| l.starts_with("device_risk_score"))
        .unwrap();
    assert!(row.contains("17.1% (ref 0.6%)"), "{row}");
}

#[test]
fn versions_default_to_what_is_served_and_resolve_aliases() {
    // search-ranker: v5 stable on two workloads, v6 a canary on one.
    let doc = json(&["drift", "search-ranker"]);
    assert_eq!(doc["version"], "5");
    let served: Vec<(&str, &str)> = doc["served"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["version"].as_str().unwrap(), s["role"].as_str().unwrap()))
        .collect();
    assert_eq!(served, [("5", "stable"), ("6", "canary")]);
    let reason = doc["version_reason"].as_str().unwrap();
    assert!(
        reason.contains("v6 (canary)") && reason.contains("--version"),
        "{reason}"
    );
    let canary = json(&["drift", "search-ranker", "--version", "6"]);
    assert_eq!(
        (
            canary["version"].as_str(),
            canary["version_source"].as_str()
        ),
        (Some("6"), Some("given"))
    );
    let champion = json(&["drift", "fraud-detector", "--version", "champion"]);
    assert_eq!(champion["version"], "7");
    assert!(
        champion["version_reason"]
            .as_str()
            .unwrap()
            .contains("champion"),
        "{champion}"
    );
    let v = json(&[
        "drift",
        "fraud-detector",
        "--version",
        "v7",
        "--window",
        "2h",
    ]);
    assert_eq!(
        (v["version"].as_str(), v["window_ms"].as_i64()),
        (Some("7"), Some(7_200_000))
    );
}

#[test]
fn errors_name_what_is_wrong_with_the_documented_exit_codes() {
    let r = run(&["--sandbox", "drift", "fraud-detector", "--window", "3x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--window") && r.stderr.contains("3x") && r.stderr.contains("m, h or d"),
        "{}",
        r.stderr
    );
    let r = run(&[
        "--sandbox",
        "drift",
        "fraud-detector",
        "--window",
        "0h",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["error"]["code"], "usage", "{v}");

    let r = run(&["--sandbox", "drift", "fraud-detectr", "-o", "json"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("\"fraud-detectr\""), "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean \"fraud-detector\""),
        "{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["error"]["code"], "not_found");

    let r = run(&["--sandbox", "drift", "fraud-detector", "--version", "99"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("\"99\""), "{}", r.stderr);

    // v1 of a model with more than two versions has no reference profile.
    let r = run(&["--sandbox", "drift", "search-ranker", "--version", "1"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    for part in [
        "\"search-ranker\"",
        "version 1",
        "modeldeck.reference_profile",
        "modeldeck profile build",
        "--log-to search-ranker/1",
    ] {
        assert!(r.stderr.contains(part), "{part}: {}", r.stderr);
    }
    assert_eq!(r.stdout, "", "nothing printed on stdout for a table");
}

#[test]
fn a_backend_down_is_exit_4_and_a_cluster_down_falls_back_to_the_champion() {
    let outage = |backend: &str, args: &[&str]| {
        let mut all = vec!["--sandbox", "--sandbox-outage", backend, "drift"];
        all.extend_from_slice(args);
        run(&all)
    };
    for backend in ["metrics", "registry"] {
        let r = outage(backend, &["fraud-detector", "-o", "json"]);
        assert_eq!(r.code, 4, "{backend}: {}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["error"]["code"], "unreachable", "{v}");
        assert_eq!(v["error"]["backend"], backend, "{v}");
    }
    // Without the cluster nothing says what is served: the champion, and why.
    let r = outage("cluster", &["fraud-detector", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["version"], "7");
    assert_eq!(doc["version_source"], "default_alias");
    let reason = doc["version_reason"].as_str().unwrap();
    assert!(
        reason.contains("cluster could not be read") && reason.contains("champion"),
        "{reason}"
    );
    assert_eq!(doc["served"], Value::Array(vec![]));
}
