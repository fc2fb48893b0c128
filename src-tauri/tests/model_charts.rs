//! The Model screen's metric-across-versions command, the SLO thresholds
//! of the health chart, and the notification when a promotion the user
//! approved is executed or rolled back, on the mock runtime over the
//! simulated world.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::TestApp;
use modeldeck_core::domain::PromotionState;
use modeldeck_desktop::notify::{Outcome, Outcomes, outcome_body};
use serde_json::{Value, json};

fn served_row(app: &TestApp) -> Value {
    app.wait_loaded();
    let rows = app.ok("fleet", json!({}));
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"].is_string())
        .cloned()
        .expect("a workload bound to a model")
}

#[test]
fn metric_history_charts_a_metric_across_versions() {
    let app = TestApp::demo();
    let row = served_row(&app);
    let model = row["model"].as_str().unwrap();
    let versions = app.ok("versions", json!({ "model": model }));
    let n_versions = versions.as_array().unwrap().len();
    let h = app.ok("metric_history", json!({ "model": model }));
    assert_eq!(h["model"], model);
    let metrics = h["metrics"].as_array().unwrap();
    assert!(!metrics.is_empty(), "{h}");
    // Sorted names; the first is charted when none is asked for.
    let names: Vec<&str> = metrics.iter().map(|m| m.as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert_eq!(h["metric"], names[0]);
    // Every version is a point or missing, oldest first.
    let pts = h["points"].as_array().unwrap();
    let missing = h["missing"].as_array().unwrap();
    assert_eq!(pts.len() + missing.len(), n_versions, "{h}");
    let nums: Vec<u64> = pts.iter().map(|p| p["number"].as_u64().unwrap()).collect();
    assert!(nums.windows(2).all(|w| w[0] < w[1]), "{nums:?}");
    // The values are the runs' own: each point agrees with `compare`.
    let last = names.last().copied().unwrap();
    let h = app.ok("metric_history", json!({ "model": model, "metric": last }));
    assert_eq!(h["metric"], last);
    for p in h["points"].as_array().unwrap() {
        let v = p["version"].as_str().unwrap();
        let cmp = app.ok("compare", json!({ "model": model, "a": v, "b": v }));
        let m = cmp["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == last)
            .unwrap_or_else(|| panic!("{last} not in {cmp}"));
        assert_eq!(m["a"], p["value"], "{m}");
    }
    // Aliases are carried, so the chart can mark them.
    let aliased: Vec<&Value> = versions
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !v["aliases"].as_array().unwrap().is_empty())
        .collect();
    for v in aliased {
        let all: Vec<&Value> = h["points"]
            .as_array()
            .unwrap()
            .iter()
            .chain(h["missing"].as_array().unwrap())
            .filter(|p| p["version"] == v["version"])
            .collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0]["aliases"], v["aliases"]);
    }
    // A metric no run logged: every version missing, with why.
    let none = app.ok(
        "metric_history",
        json!({ "model": model, "metric": "no_such_metric" }),
    );
    assert_eq!(none["points"], json!([]));
    let why = none["missing"][0]["reason"].as_str().unwrap();
    assert!(why.contains("no_such_metric"), "{why}");
    let (code, _) = app.err("metric_history", json!({ "model": "no-such-model" }));
    assert_eq!(code, "not_found");
    let (code, _) = app.err("metric_history", json!({ "model": "  " }));
    assert_eq!(code, "invalid_request");
    // A missing argument is refused by Tauri's argument parsing.
    assert!(app.invoke("metric_history", json!({})).is_err());
}

#[test]
fn the_health_chart_carries_the_policy_slo_as_thresholds() {
    let app = TestApp::demo();
    let row = served_row(&app);
    let h = app.ok(
        "health",
        json!({
            "cluster": row["cluster"], "namespace": row["namespace"], "name": row["name"],
            "windowMs": 3_600_000, "columns": 60,
        }),
    );
    let th = h["thresholds"].as_array().unwrap();
    let p99 = th.iter().find(|t| t["signal"] == "latency_p99").unwrap();
    let errors = th.iter().find(|t| t["signal"] == "error_ratio").unwrap();
    // The simulated world's policy: the default SLO.
    let slo = modeldeck_core::policy::Slo::default();
    assert_eq!(p99["value"].as_f64(), slo.latency_p99_max_secs);
    assert_eq!(errors["value"].as_f64(), slo.error_ratio_max);
    assert_eq!(p99["low_is_bad"], false);
    assert_eq!(p99["label"], "SLO p99");
    let none = modeldeck_desktop::views::slo_thresholds(&modeldeck_core::policy::Slo {
        latency_p99_max_secs: None,
        error_ratio_max: Some(f64::NAN),
    });
    assert!(none.is_empty());
}

#[test]
fn an_approved_promotion_executed_or_rolled_back_is_notified_once() {
    let app = TestApp::demo();
    let id = app.pending_id();
    app.ok("approve", json!({ "id": id, "comment": "ok" }));
    let read = || {
        let d = app.desk();
        let s = d.session();
        tauri::async_runtime::block_on(s.promotions().unwrap().list(None)).unwrap()
    };
    let list = read();
    let me = "sandbox-admin";
    let mut outcomes = Outcomes::default();
    // What the app opens on is not news, even when already promoted.
    let mut promoted = list.clone();
    for s in &mut promoted {
        if s.promotion.id == id {
            s.promotion.state = PromotionState::Promoted;
        }
    }
    assert!(outcomes.changes(me, &promoted).is_empty());
    let mut outcomes = Outcomes::default();
    assert!(outcomes.changes(me, &list).is_empty());
    assert!(outcomes.changes(me, &list).is_empty());
    let got = outcomes.changes(me, &promoted);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0.promotion.id, id);
    assert_eq!(got[0].1, Outcome::Executed);
    // Once.
    assert!(outcomes.changes(me, &promoted).is_empty());
    let mut rolled = promoted.clone();
    for s in &mut rolled {
        if s.promotion.id == id {
            s.promotion.state = PromotionState::RolledBack;
        }
    }
    let got = outcomes.changes(me, &rolled);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, Outcome::RolledBack);
    assert_eq!(got[0].1.title(), "A promotion you approved was rolled back");
    // Someone who did not approve it hears nothing (the requester did not).
    let requester = list
        .iter()
        .find(|s| s.promotion.id == id)
        .unwrap()
        .promotion
        .requested_by
        .clone();
    let mut theirs = Outcomes::default();
    assert!(theirs.changes(&requester, &list).is_empty());
    assert!(theirs.changes(&requester, &promoted).is_empty());
    // The text is plain: registry strings cleaned and markup escaped.
    let mut hostile = rolled
        .iter()
        .find(|s| s.promotion.id == id)
        .unwrap()
        .clone();
    hostile.promotion.model = "<b>x</b>&\u{202e}".into();
    hostile.promotion.previous_version = Some("<i>3</i>".into());
    let text = outcome_body(&hostile, Outcome::RolledBack);
    assert!(
        text.starts_with("&lt;b&gt;x&lt;/b&gt;&amp;\u{fffd} v"),
        "{text}"
    );
    assert!(text.ends_with("back to v&lt;i&gt;3&lt;/i&gt;"), "{text}");
}
