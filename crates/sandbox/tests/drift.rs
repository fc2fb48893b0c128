//! Drift in the simulated world (issue 10): reference profiles, live
//! feature distributions and their scenarios (sudden, gradual, seasonal,
//! missing values, a protected attribute), ranges, alias moves, and the
//! Fleet's drift column agreeing with the drift screen's sample.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_core::drift::{
    LiveCounts, LiveFeature, LiveSample, PROFILE_TAG, ReferenceProfile, evaluate,
};
use modeldeck_core::error::{Backend, ErrorCode};
use modeldeck_sandbox::Sandbox;
use std::time::Duration;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

async fn profile(sb: &Sandbox, model: &str, version: &str) -> ReferenceProfile {
    sb.backends()
        .registry
        .reference_profile(model, version)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{model} v{version} has a profile"))
}

async fn sample(
    sb: &Sandbox,
    model: &str,
    version: &str,
    window: i64,
    at: Timestamp,
) -> LiveSample {
    let p = profile(sb, model, version).await;
    sb.backends()
        .metrics
        .feature_sample(model, version, &p, window, Some(at))
        .await
        .unwrap()
}

/// Proportions of a list of counts.
fn shares(c: &[f64]) -> Vec<f64> {
    let t: f64 = c.iter().sum();
    c.iter().map(|x| x / t).collect()
}

/// The live shares of `feature` and the reference's, bin by bin.
fn live_and_reference(p: &ReferenceProfile, live: &LiveFeature) -> (Vec<f64>, Vec<f64>) {
    use modeldeck_core::drift::Distribution;
    let f = p.feature(&live.name).unwrap();
    match (&f.dist, &live.counts) {
        (Distribution::Numeric { counts, .. }, LiveCounts::Numeric(l)) => (
            shares(l),
            shares(&counts.iter().map(|&c| c as f64).collect::<Vec<_>>()),
        ),
        (Distribution::Categorical { counts }, LiveCounts::Categorical(l)) => (
            shares(&counts.keys().map(|k| l[k]).collect::<Vec<_>>()),
            shares(&counts.values().map(|&c| c as f64).collect::<Vec<_>>()),
        ),
        _ => panic!("kinds differ"),
    }
}

/// Largest difference of a bin's share between live and reference.
fn max_diff(p: &ReferenceProfile, s: &LiveSample, feature: &str) -> f64 {
    let (l, r) = live_and_reference(p, s.feature(feature).unwrap());
    l.iter()
        .zip(&r)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

fn missing_rate(s: &LiveSample, feature: &str) -> f64 {
    let f = s.feature(feature).unwrap();
    f.missing / (f.missing + f.counts.total())
}

fn drifted(p: &ReferenceProfile, s: &LiveSample) -> Vec<String> {
    evaluate(p, s)
        .drifted()
        .map(|r| r.feature.clone())
        .collect()
}

#[tokio::test]
async fn every_profile_validates_round_trips_and_follows_the_seed() {
    let (a, b, c) = (demo(42), demo(42), demo(7));
    let r = a.backends().registry;
    let mut seen = 0;
    for m in r.list_models().await.unwrap() {
        for v in r.list_versions(&m.name).await.unwrap() {
            let p = r.reference_profile(&m.name, &v.version).await.unwrap();
            let old = v.version == "1" && r.list_versions(&m.name).await.unwrap().len() > 2;
            assert_eq!(p.is_none(), old, "{} v{}", m.name, v.version);
            assert_eq!(p.is_some(), v.tags.contains_key(PROFILE_TAG));
            let Some(p) = p else { continue };
            seen += 1;
            p.validate().unwrap();
            assert!(p.prediction.is_some());
            for f in &p.features {
                if let modeldeck_core::drift::Distribution::Numeric { edges, counts } = &f.dist {
                    assert_eq!((edges.len(), counts.len()), (11, 12), "{}", f.name);
                    assert!(f.stats.as_ref().unwrap().std > 0.0);
                }
                assert_eq!(f.present() + f.missing, p.rows, "{}", f.name);
            }
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<ReferenceProfile>(&json).unwrap(), p);
            let again = b
                .backends()
                .registry
                .reference_profile(&m.name, &v.version)
                .await;
            assert_eq!(again.unwrap().as_ref(), Some(&p), "same seed, same profile");
            let other = c
                .backends()
                .registry
                .reference_profile(&m.name, &v.version)
                .await;
            assert_ne!(
                other.unwrap().as_ref(),
                Some(&p),
                "another seed, another sample"
            );
        }
    }
    assert_eq!(seen, 50, "62 versions, 12 of them a v1 without a profile");
    let fraud = profile(&a, "fraud-detector", "7").await;
    let names: Vec<&str> = fraud.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "amount",
            "merchant_category",
            "card_age_days",
            "txn_count_24h",
            "device_risk_score",
            "country_mismatch",
            "hour_of_day"
        ]
    );
}

#[tokio::test]
async fn unknown_models_and_versions_are_named() {
    let sb = demo(42);
    let b = sb.backends();
    let e = b
        .registry
        .reference_profile("fraud-detectr", "7")
        .await
        .unwrap_err();
    assert_eq!(
        (e.backend, e.code),
        (Backend::Registry, ErrorCode::NotFound)
    );
    assert!(e.message.contains("fraud-detectr"), "{e}");
    let e = b
        .registry
        .reference_profile("fraud-detector", "42")
        .await
        .unwrap_err();
    assert!(
        e.code == ErrorCode::NotFound && e.message.contains("42"),
        "{e}"
    );
    let p = profile(&sb, "fraud-detector", "7").await;
    let e = b
        .metrics
        .feature_sample("fraud-detectr", "7", &p, DAY, None)
        .await
        .unwrap_err();
    assert_eq!((e.backend, e.code), (Backend::Metrics, ErrorCode::NotFound));
    assert!(e.message.contains("fraud-detectr"), "{e}");
    let e = b
        .metrics
        .feature_sample("fraud-detector", "99", &p, DAY, None)
        .await
        .unwrap_err();
    assert!(
        e.code == ErrorCode::NotFound && e.message.contains("99"),
        "{e}"
    );
    let e = b
        .metrics
        .feature_sample("fraud-detector", "7", &p, 0, None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    // A version nobody serves has no series: an empty sample.
    let p5 = profile(&sb, "fraud-detector", "5").await;
    let s = b
        .metrics
        .feature_sample("fraud-detector", "5", &p5, DAY, None)
        .await
        .unwrap();
    assert!(s.features.is_empty(), "{s:?}");
}

#[tokio::test]
async fn samples_are_deterministic_and_sized_by_traffic() {
    let (a, b) = (demo(42), demo(42));
    let now = a.clock().now();
    let s1 = sample(&a, "fraud-detector", "7", DAY, now).await;
    let s2 = sample(&b, "fraud-detector", "7", DAY, now).await;
    assert_eq!(s1, s2);
    assert_eq!((s1.at, s1.window_ms), (now, DAY));
    // Three workloads at 420 + 310 + 1800 rps on average: ~2.2e8 rows a day.
    let rows = s1.feature("amount").unwrap().counts.total() + s1.feature("amount").unwrap().missing;
    assert!((1.9e8..2.5e8).contains(&rows), "{rows}");
    let names: Vec<&str> = s1.features.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.contains(&"fraud_score"),
        "the prediction is sampled too: {names:?}"
    );
    // A window asked to end in the future ends now.
    let later = sample(&a, "fraud-detector", "7", DAY, now.plus_millis(DAY)).await;
    assert_eq!(later.at, now);
}

#[tokio::test]
async fn the_sudden_shift_shows_after_the_event_and_not_before() {
    // demand-forecaster: lag_7d jumps 1.15 sigma 20 h before the start.
    let sb = demo(42);
    let now = sb.clock().now();
    let p = profile(&sb, "demand-forecaster", "5").await;
    let before = sample(
        &sb,
        "demand-forecaster",
        "5",
        HOUR,
        now.plus_millis(-21 * HOUR),
    )
    .await;
    let after = sample(
        &sb,
        "demand-forecaster",
        "5",
        HOUR,
        now.plus_millis(-19 * HOUR),
    )
    .await;
    assert!(
        max_diff(&p, &before, "lag_7d") < 0.02,
        "{}",
        max_diff(&p, &before, "lag_7d")
    );
    assert!(
        max_diff(&p, &after, "lag_7d") > 0.2,
        "{}",
        max_diff(&p, &after, "lag_7d")
    );
    // The shift is upwards: the top bins fill.
    let (l, r) = live_and_reference(&p, after.feature("lag_7d").unwrap());
    assert!(
        l[9..].iter().sum::<f64>() > 3.0 * r[9..].iter().sum::<f64>(),
        "{l:?}"
    );
    // Other features do not move with it.
    assert!(max_diff(&p, &after, "price") < 0.02);
    assert!(max_diff(&p, &after, "promo_active") < 0.02);
}

#[tokio::test]
async fn the_gradual_drift_grows_over_days() {
    // demand-forecaster: temperature falls 1.2 sigma over the 14 days before the start.
    let sb = demo(42);
    let now = sb.clock().now();
    let p = profile(&sb, "demand-forecaster", "5").await;
    let mut low = Vec::new();
    for days_ago in [14, 10, 6, 2, 0] {
        let s = sample(
            &sb,
            "demand-forecaster",
            "5",
            DAY,
            now.plus_millis(-days_ago * DAY),
        )
        .await;
        let (l, _) = live_and_reference(&p, s.feature("temperature").unwrap());
        low.push(l[..4].iter().sum::<f64>());
    }
    assert!(low.windows(2).all(|w| w[1] > w[0] + 0.03), "{low:?}");
    assert!(
        (low[0] - 0.3).abs() < 0.03,
        "near the reference at first: {low:?}"
    );
    assert!(low[4] > 0.65, "{low:?}");
}

#[tokio::test]
async fn a_whole_day_of_the_seasonal_model_matches_its_reference_an_hour_does_not() {
    // eta-predictor: traffic_index and courier_load peak at local noon.
    let sb = demo(42);
    let now = sb.clock().now();
    let p = profile(&sb, "eta-predictor", "5").await;
    for hours_ago in [0, 5, 11, 17] {
        let s = sample(
            &sb,
            "eta-predictor",
            "5",
            DAY,
            now.plus_millis(-hours_ago * HOUR),
        )
        .await;
        for f in ["traffic_index", "courier_load", "hour_of_day"] {
            assert!(
                max_diff(&p, &s, f) < 0.01,
                "{f} {hours_ago}h ago: {}",
                max_diff(&p, &s, f)
            );
        }
        assert!(drifted(&p, &s).is_empty(), "{:?}", drifted(&p, &s));
    }
    // One hour at a time over the last day: the peak hours differ from the
    // whole-day reference, and the evaluation says so.
    let mut worst = (0.0, 0);
    for h in 0..24 {
        let s = sample(&sb, "eta-predictor", "5", HOUR, now.plus_millis(-h * HOUR)).await;
        let d = max_diff(&p, &s, "traffic_index");
        if d > worst.0 {
            worst = (d, h);
        }
    }
    assert!(worst.0 > 0.15, "{worst:?}");
    let peak = sample(
        &sb,
        "eta-predictor",
        "5",
        HOUR,
        now.plus_millis(-worst.1 * HOUR),
    )
    .await;
    let d = drifted(&p, &peak);
    assert!(d.contains(&"traffic_index".to_string()), "{d:?}");
    assert!(!d.contains(&"distance_km".to_string()), "{d:?}");
}

#[tokio::test]
async fn the_missing_value_incident_shows_in_missing() {
    // fraud-detector: device_risk_score missing in 35 % of rows from 5 h to 2 h before the start.
    let sb = demo(42);
    let now = sb.clock().now();
    let during = sample(&sb, "fraud-detector", "7", HOUR, now.plus_millis(-3 * HOUR)).await;
    let before = sample(&sb, "fraud-detector", "7", HOUR, now.plus_millis(-8 * HOUR)).await;
    let day = sample(&sb, "fraud-detector", "7", DAY, now).await;
    let r = missing_rate(&during, "device_risk_score");
    assert!((0.34..0.36).contains(&r), "{r}");
    assert!(missing_rate(&before, "device_risk_score") < 0.02);
    let r = missing_rate(&day, "device_risk_score");
    assert!((0.04..0.06).contains(&r), "3 of 24 hours: {r}");
    assert!(
        missing_rate(&during, "amount") < 0.02,
        "other features are whole"
    );
    let p = profile(&sb, "fraud-detector", "7").await;
    let row = evaluate(&p, &during);
    let q = &row
        .features
        .iter()
        .find(|f| f.feature == "device_risk_score")
        .unwrap()
        .quality;
    assert!(
        q.missing_rate.unwrap() > 0.3 && q.reference_missing_rate.unwrap() < 0.02,
        "{q:?}"
    );
    assert!(
        drifted(&p, &during).is_empty(),
        "values present still match"
    );
}

#[tokio::test]
async fn a_protected_attribute_carries_outcome_rates() {
    let sb = demo(42);
    let a = sb.protected_attribute("credit-scorer").unwrap();
    assert_eq!(
        (a.attribute.as_str(), a.outcome.as_str()),
        ("age_band", "approved")
    );
    let rates: Vec<f64> = a.groups.iter().map(|g| g.rate).collect();
    let (lo, hi) = rates
        .iter()
        .fold((1.0f64, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
    assert!(hi - lo > 0.1, "parity difference over 0.1: {rates:?}");
    assert!(lo / hi < 0.8, "impact ratio under 0.8: {rates:?}");
    assert!((a.groups.iter().map(|g| g.share).sum::<f64>() - 1.0).abs() < 1e-9);
    let p = profile(&sb, "credit-scorer", "4").await;
    assert!(p.feature("age_band").is_some());
    assert!(sb.protected_attribute("fraud-detector").is_none());
}

#[tokio::test]
async fn a_range_has_one_point_per_step_each_equal_to_its_sample() {
    let sb = demo(42);
    let b = sb.backends();
    let now = sb.clock().now();
    let p = profile(&sb, "demand-forecaster", "5").await;
    let range = TimeRange {
        start: now.plus_millis(-24 * HOUR),
        end: now,
        step_ms: HOUR,
    };
    let pts = b
        .metrics
        .feature_sample_range("demand-forecaster", "5", &p, "lag_7d", HOUR, range)
        .await
        .unwrap();
    assert_eq!(pts.len(), 25);
    for (i, (t, f)) in pts.iter().enumerate() {
        assert_eq!(*t, range.start.plus_millis(i as i64 * HOUR));
        let s = sample(&sb, "demand-forecaster", "5", HOUR, *t).await;
        assert_eq!(s.feature("lag_7d"), Some(f));
    }
    // Before and after the shift at -20 h, from the range alone.
    let (early, _) = live_and_reference(&p, &pts[2].1);
    let (late, r) = live_and_reference(&p, &pts[24].1);
    assert!(early.iter().zip(&r).all(|(a, b)| (a - b).abs() < 0.02));
    assert!(late.iter().zip(&r).any(|(a, b)| (a - b).abs() > 0.2));
    // A week at 1 s would be 604,801 points: the step is clamped.
    let week = TimeRange {
        start: now.plus_millis(-7 * DAY),
        end: now,
        step_ms: 1000,
    };
    let pts = b
        .metrics
        .feature_sample_range("demand-forecaster", "5", &p, "price", HOUR, week)
        .await
        .unwrap();
    assert!(pts.len() <= 11_000 && pts.len() > 10_000, "{}", pts.len());
    let e = b
        .metrics
        .feature_sample_range("demand-forecaster", "5", &p, "no_such", HOUR, range)
        .await
        .unwrap_err();
    assert!(
        e.code == ErrorCode::InvalidRequest && e.message.contains("no_such"),
        "{e}"
    );
}

#[tokio::test]
async fn an_alias_move_serves_the_new_versions_distributions() {
    // Promote the retrained demand-forecaster v6 as the promotion service
    // does: patch the workloads, move the alias.
    let sb = demo(42);
    let b = sb.backends();
    let eu = wref(
        "prod-eu",
        "commerce",
        WorkloadKind::Deployment,
        "demand-forecaster",
    );
    let us = wref(
        "prod-us",
        "commerce",
        WorkloadKind::Deployment,
        "demand-forecaster",
    );
    let before = b.metrics.fleet_health(&[target(&eu)]).await.unwrap()[&eu]
        .drift_max
        .unwrap();
    assert!(before > 0.25, "{before}");
    let p6 = profile(&sb, "demand-forecaster", "6").await;
    let s6 = b
        .metrics
        .feature_sample("demand-forecaster", "6", &p6, DAY, None)
        .await
        .unwrap();
    assert!(s6.features.is_empty(), "nobody serves v6 yet");
    for r in [&eu, &us] {
        b.cluster.set_served_version(r, "6", None).await.unwrap();
    }
    b.registry
        .set_alias("demand-forecaster", "champion", "6")
        .await
        .unwrap();
    sb.advance(Duration::from_secs(600));
    let now = sb.clock().now();
    let s6 = sample(&sb, "demand-forecaster", "6", DAY, now).await;
    for f in ["lag_7d", "temperature"] {
        assert!(max_diff(&p6, &s6, f) < 0.02, "{f} matches v6's reference");
    }
    assert!(drifted(&p6, &s6).is_empty(), "{:?}", drifted(&p6, &s6));
    // v5 served nothing over the last five minutes.
    let s5 = sample(&sb, "demand-forecaster", "5", 300_000, now).await;
    assert!(s5.features.is_empty());
    let after = b.metrics.fleet_health(&[target(&eu)]).await.unwrap()[&eu]
        .drift_max
        .unwrap();
    assert!(after < 0.1, "{after}");
}

#[tokio::test]
async fn the_fleet_column_agrees_with_the_drift_screen() {
    let sb = demo(42);
    sb.advance(Duration::from_secs(95));
    let b = sb.backends();
    let now = sb.clock().now();
    let workloads = b.cluster.list_workloads().await.unwrap();
    let targets: Vec<MetricsTarget> = workloads.iter().map(MetricsTarget::from).collect();
    let health = b.metrics.fleet_health(&targets).await.unwrap();
    for w in &workloads {
        let (model, version) = (w.model.clone().unwrap(), w.served_version.clone().unwrap());
        let p = profile(&sb, &model, &version).await;
        // What the drift screen reads: the served version over 24 h ending now.
        let report = evaluate(&p, &sample(&sb, &model, &version, DAY, now).await);
        let drift = b
            .metrics
            .feature_drift(&MetricsTarget::from(w))
            .await
            .unwrap();
        assert_eq!(drift.len(), report.features.len(), "{}", w.id);
        for row in &report.features {
            let psi = modeldeck_core::drift::math::psi(&row.reference_share, &row.live_share);
            let d = drift.iter().find(|d| d.feature == row.feature).unwrap();
            assert!(
                (d.psi - psi).abs() < 1e-12,
                "{} {}: {} vs {psi}",
                w.id,
                row.feature,
                d.psi
            );
            // A PSI alarm is a drifted row on the screen.
            if d.psi >= 0.25 {
                assert!(row.score.unwrap().drifted, "{} {}", w.id, row.feature);
            }
        }
        let max = drift.iter().map(|d| d.psi).reduce(f64::max);
        assert_eq!(health[&w.id].drift_max, max, "{}", w.id);
        // Only the drifting model drifts at 24 h, on both sides.
        let drifting = model == "demand-forecaster";
        assert_eq!(max.unwrap() > 0.25, drifting, "{}: {max:?}", w.id);
        let names: Vec<&str> = report.drifted().map(|r| r.feature.as_str()).collect();
        if drifting {
            assert_eq!(names, ["lag_7d", "temperature"], "{}", w.id);
            assert_eq!(report.worst().unwrap().feature, "lag_7d");
        } else {
            assert!(names.is_empty(), "{}: {names:?}", w.id);
        }
    }
}
