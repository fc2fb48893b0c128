//! The simulated metrics: deterministic, history consistent with the
//! latest values, drift per feature, health that follows the served version.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_core::error::ErrorCode;
use std::time::Duration;

fn drift_eu() -> WorkloadRef {
    wref(
        "prod-eu",
        "commerce",
        WorkloadKind::Deployment,
        "demand-forecaster",
    )
}

#[tokio::test]
async fn history_ends_where_the_latest_value_stands() {
    let sb = demo(42);
    sb.advance(Duration::from_secs(3 * 3600 + 17));
    let m = sb.backends().metrics;
    let now = sb.clock().now();
    let latest = m.fleet_health(&[target(&fraud_eu())]).await.unwrap()[&fraud_eu()].clone();
    assert_eq!(latest.read_at, now);
    for s in Signal::ALL {
        let range = TimeRange {
            start: now.plus_millis(-3_600_000),
            end: now,
            step_ms: 60_000,
        };
        let series = m
            .signal_range(&target(&fraud_eu()), s, range)
            .await
            .unwrap();
        assert_eq!(series.points.len(), 61, "{s:?}");
        let (t, v) = *series.points.last().unwrap();
        assert_eq!(t, now);
        assert_eq!(Some(v), latest.get(s), "{s:?}");
        assert!(
            series
                .points
                .iter()
                .all(|(_, v)| v.is_finite() && *v >= 0.0)
        );
        // The same range asked twice gives the same answer.
        assert_eq!(
            m.signal_range(&target(&fraud_eu()), s, range)
                .await
                .unwrap(),
            series
        );
    }
}

#[tokio::test]
async fn series_are_smooth_and_move() {
    let sb = demo(42);
    sb.advance(Duration::from_secs(7200));
    let now = sb.clock().now();
    let range = TimeRange {
        start: now.plus_millis(-7_200_000),
        end: now,
        step_ms: 10_000,
    };
    let s = sb
        .backends()
        .metrics
        .signal_range(&target(&fraud_eu()), Signal::RequestRate, range)
        .await
        .unwrap();
    let vals: Vec<f64> = s.points.iter().map(|p| p.1).collect();
    let max = vals.iter().cloned().fold(f64::MIN, f64::max);
    let min = vals.iter().cloned().fold(f64::MAX, f64::min);
    assert!(max > min * 1.02, "traffic varies: {min}..{max}");
    for w in vals.windows(2) {
        assert!(
            (w[1] - w[0]).abs() / w[0] < 0.08,
            "no jumps between 10 s points: {w:?}"
        );
    }
}

#[tokio::test]
async fn the_drifting_model_drifts_and_promoting_the_retrained_version_fixes_it() {
    let sb = demo(42);
    let m = sb.backends().metrics;
    let drift = m.feature_drift(&target(&drift_eu())).await.unwrap();
    assert_eq!(drift.len(), 7);
    assert!(
        drift.windows(2).all(|w| w[0].psi >= w[1].psi),
        "highest first"
    );
    let drifting: Vec<&FeatureDrift> = drift.iter().filter(|d| d.psi > 0.25).collect();
    assert!(drifting.len() >= 2, "{drift:?}");
    assert!(drifting.iter().all(|d| d.status == DriftStatus::Drifting));
    let health = m.fleet_health(&[target(&drift_eu())]).await.unwrap();
    assert_eq!(health[&drift_eu()].drift_max, Some(drift[0].psi));

    // Every other model is calm.
    let all: Vec<MetricsTarget> = sb
        .backends()
        .cluster
        .list_workloads()
        .await
        .unwrap()
        .iter()
        .map(MetricsTarget::from)
        .collect();
    let h = m.fleet_health(&all).await.unwrap();
    let alarming: Vec<&WorkloadRef> = h
        .iter()
        .filter(|(_, h)| h.drift_max.unwrap() > 0.25)
        .map(|(r, _)| r)
        .collect();
    assert!(
        alarming.iter().all(|r| r.name == "demand-forecaster"),
        "{alarming:?}"
    );

    sb.backends()
        .cluster
        .set_served_version(&drift_eu(), "6", None)
        .await
        .unwrap();
    sb.advance(Duration::from_secs(120));
    let after = m.feature_drift(&target(&drift_eu())).await.unwrap();
    assert!(after[0].psi < 0.25, "{after:?}");
}

#[tokio::test]
async fn health_follows_the_served_version() {
    // Blend check: halfway through a rollout the latency sits between the
    // two versions' latencies; after it, at the new version's.
    let sb = demo(42);
    let m = sb.backends().metrics;
    let r = fraud_eu();
    let p50 = |h: &std::collections::BTreeMap<WorkloadRef, Health>| h[&r].latency_p50.unwrap();
    let twin = demo(42);
    sb.backends()
        .cluster
        .set_served_version(&r, "3", None)
        .await
        .unwrap();
    sb.advance(Duration::from_secs(300));
    twin.advance(Duration::from_secs(300));
    let moved = p50(&m.fleet_health(&[target(&r)]).await.unwrap());
    let stayed = p50(&twin
        .backends()
        .metrics
        .fleet_health(&[target(&r)])
        .await
        .unwrap());
    assert_ne!(moved, stayed, "another version, another latency");
    // Before the change, history is identical in both worlds.
    let now = sb.clock().now();
    let before = TimeRange {
        start: now.plus_millis(-600_000),
        end: now.plus_millis(-301_000),
        step_ms: 30_000,
    };
    let a = m
        .signal_range(&target(&r), Signal::LatencyP50, before)
        .await
        .unwrap();
    let b = twin
        .backends()
        .metrics
        .signal_range(&target(&r), Signal::LatencyP50, before)
        .await
        .unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn bad_ranges_and_unknown_workloads_are_refused() {
    let sb = demo(42);
    let m = sb.backends().metrics;
    let now = sb.clock().now();
    let e = m
        .signal_range(
            &target(&fraud_eu()),
            Signal::ErrorRatio,
            TimeRange {
                start: now,
                end: now,
                step_ms: 0,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    let e = m
        .signal_range(
            &target(&fraud_eu()),
            Signal::ErrorRatio,
            TimeRange {
                start: now.plus_millis(-86_400_000),
                end: now,
                step_ms: 1_000,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TooLarge);
    let ghost = wref("prod-eu", "risk", WorkloadKind::Deployment, "ghost");
    let e = m.feature_drift(&target(&ghost)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("ghost"));
    assert!(
        m.fleet_health(&[target(&ghost)]).await.unwrap().is_empty(),
        "unknown workloads are absent"
    );
    // A batch job has no request rate or latency, but errors and drift.
    let job = wref(
        "prod-eu",
        "commerce",
        WorkloadKind::CronJob,
        "churn-batch-scoring",
    );
    let h = m.fleet_health(&[target(&job)]).await.unwrap()[&job].clone();
    assert_eq!((h.request_rate, h.latency_p99), (None, None));
    assert!(h.error_ratio.is_some() && h.drift_max.is_some());
}

#[tokio::test]
async fn a_canary_and_its_stable_version_have_their_own_series() {
    let sb = demo(42);
    let m = sb.backends().metrics;
    let now = sb.clock().now();
    let range = TimeRange {
        start: now.plus_millis(-3_600_000),
        end: now,
        step_ms: 60_000,
    };
    // search-ranker in prod-us: an InferenceService with 10 % on the challenger.
    let ranker = target(&wref(
        "prod-us",
        "search",
        WorkloadKind::InferenceService,
        "search-ranker",
    ));
    let blended = |s| m.signal_range(&ranker, s, range);
    let split = |s| m.signal_range_by_version(&ranker, s, range);
    let rate = blended(Signal::RequestRate).await.unwrap();
    let parts = split(Signal::RequestRate).await.unwrap();
    let versions: Vec<&str> = parts.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(versions.len(), 2, "{versions:?}");
    let (stable, canary) = (&parts[0].1, &parts[1].1);
    assert_eq!(stable.points.len(), rate.points.len());
    for (i, (t, total)) in rate.points.iter().enumerate() {
        let (s, c) = (stable.points[i], canary.points[i]);
        assert_eq!((s.0, c.0), (*t, *t));
        // The requests split 90/10 and add up (to the rounding).
        assert!(
            (s.1 + c.1 - total).abs() < 0.002,
            "{t:?}: {s:?} + {c:?} vs {total}"
        );
        assert!((c.1 / total - 0.1).abs() < 1e-3, "{t:?}: {c:?} of {total}");
    }
    // Each version keeps its own latency and errors; the blend lies between.
    for s in [Signal::LatencyP99, Signal::ErrorRatio] {
        let mix = blended(s).await.unwrap();
        let parts = split(s).await.unwrap();
        assert_eq!(parts.len(), 2, "{s:?}");
        let (a, b) = (&parts[0].1.points, &parts[1].1.points);
        assert_ne!(a, b, "{s:?}");
        for (i, (_, v)) in mix.points.iter().enumerate() {
            let (lo, hi) = (a[i].1.min(b[i].1), a[i].1.max(b[i].1));
            assert!(
                *v >= lo - 1e-6 && *v <= hi + 1e-6,
                "{s:?}: {v} not in [{lo}, {hi}]"
            );
        }
    }
    // A workload serving one version: one series, the blended one.
    let fraud = target(&fraud_eu());
    let one = m
        .signal_range_by_version(&fraud, Signal::LatencyP99, range)
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        one[0].1,
        m.signal_range(&fraud, Signal::LatencyP99, range)
            .await
            .unwrap()
    );
    // Drift is not a per-version serving signal; an unknown workload is named.
    let drift = m
        .signal_range_by_version(&ranker, Signal::DriftMax, range)
        .await
        .unwrap_err();
    assert_eq!(drift.code, ErrorCode::Unsupported, "{drift}");
    let ghost = target(&wref(
        "prod-us",
        "search",
        WorkloadKind::Deployment,
        "ghost",
    ));
    let e = m
        .signal_range_by_version(&ghost, Signal::RequestRate, range)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("ghost"), "{e}");
}
