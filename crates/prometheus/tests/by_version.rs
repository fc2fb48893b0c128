//! `signal_range_by_version` on a real Prometheus with the fixture: the
//! canary InferenceService `staging/fraud-detector-canary` serves version
//! 2 (90 % of its requests) and version 3 (10 %, slower, failing more),
//! its request and latency series labelled `version`. With
//! `version_label = "version"` each signal comes back as one series per
//! version, sorted, matching the fixture's numbers and adding up to the
//! blended series, at the cost of one range query; without it the port
//! answers `Unsupported` and sends nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{FixedClock, client, close, fixture};
use modeldeck_core::domain::*;
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::fixture::{Fixture, FixtureWorkload, SAMPLES, workloads};
use modeldeck_prometheus::{PrometheusMetrics, PromqlTemplates};
use std::collections::BTreeMap;
use std::sync::Arc;

fn templates(overrides: &[(&str, &str)]) -> PromqlTemplates {
    let o: BTreeMap<String, String> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    PromqlTemplates::from_overrides(&o).unwrap()
}

async fn port(templates: PromqlTemplates) -> (PrometheusMetrics, Fixture) {
    let c = client();
    let fx = fixture(&c).await;
    let m = PrometheusMetrics::new(c, templates)
        .unwrap()
        .with_clock(Arc::new(FixedClock(fx.timestamp(SAMPLES - 1))));
    (m, fx)
}

fn canary() -> FixtureWorkload {
    workloads()
        .into_iter()
        .find(|w| w.workload == "fraud-detector-canary")
        .unwrap()
}

/// From sample 10 (a full 5-minute rate window behind it) to the end.
fn range(fx: &Fixture, step_ms: i64) -> TimeRange {
    TimeRange {
        start: fx.timestamp(10),
        end: fx.timestamp(SAMPLES - 1),
        step_ms,
    }
}

#[tokio::test]
async fn the_canary_splits_into_its_versions_with_their_own_numbers() {
    let (m, fx) = port(templates(&[("version_label", "version")])).await;
    let w = canary();
    let target = w.metrics_target("test");
    let [stable, new] = w.versions else {
        panic!("the canary serves two versions")
    };
    // At the sample step and at a step longer than the 5m window (the
    // window then becomes the step).
    for step_ms in [60_000, 600_000] {
        let r = range(&fx, step_ms);
        let points = ((SAMPLES - 1 - 10) * 60_000 / step_ms + 1) as usize;
        type Expect = fn(&modeldeck_prometheus::fixture::FixtureVersion) -> f64;
        let cases: [(Signal, Expect); 5] = [
            (Signal::RequestRate, |v| v.request_rate()),
            (Signal::ErrorRatio, |v| v.error_ratio()),
            (Signal::LatencyP50, |v| v.latency_quantile(0.5)),
            (Signal::LatencyP95, |v| v.latency_quantile(0.95)),
            (Signal::LatencyP99, |v| v.latency_quantile(0.99)),
        ];
        for (signal, expect) in cases {
            let before = m.client().requests_sent();
            let parts = m.signal_range_by_version(&target, signal, r).await.unwrap();
            assert_eq!(m.client().requests_sent() - before, 1, "one range query");
            let versions: Vec<&str> = parts.iter().map(|(v, _)| v.as_str()).collect();
            assert_eq!(versions, ["2", "3"], "{signal:?}");
            for ((_, series), v) in parts.iter().zip([stable, new]) {
                assert_eq!(series.points.len(), points, "{signal:?} {}", v.version);
                assert_eq!(series.points[0].0, r.start);
                for (t, got) in &series.points {
                    assert!(
                        close(*got, expect(v)),
                        "{signal:?} version {} at {t:?}: {got} vs {}",
                        v.version,
                        expect(v)
                    );
                }
            }
            // The versions really differ (the canary is slower, fails more).
            assert!(
                expect(new) > expect(stable) || signal == Signal::RequestRate,
                "{signal:?}"
            );
        }
        // The versions' request rates add up to the blended one, which
        // version_label leaves as it was.
        let blended = m
            .signal_range(&target, Signal::RequestRate, r)
            .await
            .unwrap();
        let parts = m
            .signal_range_by_version(&target, Signal::RequestRate, r)
            .await
            .unwrap();
        assert_eq!(blended.points.len(), points);
        for (k, (t, total)) in blended.points.iter().enumerate() {
            assert!(close(*total, w.request_rate()), "{t:?}: {total}");
            let sum = parts[0].1.points[k].1 + parts[1].1.points[k].1;
            assert!(close(sum, *total), "{t:?}: {sum} vs {total}");
        }
    }
    // The figures the test relies on (rates 1.8 + 0.2 = 2 rps; p99 0.365 s
    // vs 0.97 s; errors 1/108 vs 1/12).
    assert!(close(stable.request_rate(), 1.8) && close(new.request_rate(), 0.2));
    assert!(close(stable.latency_quantile(0.99), 0.365));
    assert!(close(new.latency_quantile(0.99), 0.97));
    assert!(close(new.error_ratio(), 1.0 / 12.0));
}

#[tokio::test]
async fn without_version_label_the_split_is_unsupported_and_costs_nothing() {
    let (m, fx) = port(PromqlTemplates::default()).await;
    let target = canary().metrics_target("test");
    let before = m.client().requests_sent();
    let e = m
        .signal_range_by_version(&target, Signal::LatencyP99, range(&fx, 60_000))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");
    assert!(
        e.message.contains("version_label") && e.message.contains("fraud-detector-canary"),
        "{e}"
    );
    // Drift is no serving signal, set or not.
    let (m2, _) = port(templates(&[("version_label", "version")])).await;
    let before2 = m2.client().requests_sent();
    let e = m2
        .signal_range_by_version(&target, Signal::DriftMax, range(&fx, 60_000))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");
    assert_eq!(m.client().requests_sent(), before);
    assert_eq!(m2.client().requests_sent(), before2);
}

#[tokio::test]
async fn unversioned_series_are_refused_and_no_series_is_no_versions() {
    let (m, fx) = port(templates(&[("version_label", "version")])).await;
    let r = range(&fx, 60_000);
    // prod/fraud-detector's series carry no version label.
    let fraud = workloads()[0].metrics_target("test");
    let e = m
        .signal_range_by_version(&fraud, Signal::ErrorRatio, r)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "{e}");
    assert!(
        e.message.contains("template error_ratio")
            && e.message.contains("\"version\"")
            && e.message.contains("prod/deploy/fraud-detector"),
        "{e}"
    );
    // A template that sums the version away is named too.
    let (flat, _) = port(templates(&[
        ("version_label", "version"),
        (
            "request_rate",
            r#"sum(rate(model_predictions_total{namespace="{namespace}",workload="{workload}"}[{window}]))"#,
        ),
    ]))
    .await;
    let canary = canary().metrics_target("test");
    let e = flat
        .signal_range_by_version(&canary, Signal::RequestRate, r)
        .await
        .unwrap_err();
    assert!(
        e.message.contains("template request_rate")
            && e.message.contains("sum by (namespace, workload, version)"),
        "{e}"
    );
    // A workload with no series: no versions, not an error.
    let ghost = MetricsTarget::bare(WorkloadRef {
        cluster: "test".into(),
        namespace: "staging".into(),
        kind: WorkloadKind::InferenceService,
        name: "ghost".into(),
    });
    let none = m
        .signal_range_by_version(&ghost, Signal::LatencyP99, r)
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
}
