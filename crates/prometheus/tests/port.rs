//! The `Metrics` port on a real Prometheus with the fixture: fleet health
//! values and its constant query count, signal ranges with gaps, feature
//! drift, feature histograms, data quality, and template errors.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{FixedClock, client, close, fixture};
use modeldeck_core::domain::*;
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::fixture::{Fixture, LATENCY_BOUNDS, NAN_AT, SAMPLES, workloads};
use modeldeck_prometheus::{MAX_POINTS, PrometheusMetrics, PromqlTemplates};
use std::collections::BTreeMap;
use std::sync::Arc;

async fn port_at(i: i64, templates: PromqlTemplates) -> (PrometheusMetrics, Fixture) {
    let c = client();
    let fx = fixture(&c).await;
    let m = PrometheusMetrics::new(c, templates)
        .unwrap()
        .with_clock(Arc::new(FixedClock(fx.timestamp(i))));
    (m, fx)
}

fn targets() -> Vec<MetricsTarget> {
    workloads()
        .iter()
        .map(|w| w.metrics_target("test"))
        .collect()
}

/// The bucket bounds around the `q` quantile of a workload's latency.
fn bucket_of(per_bucket: &[u64; 9], q: f64) -> (f64, f64) {
    let total: u64 = per_bucket.iter().sum();
    let mut cum = 0;
    for (k, n) in per_bucket.iter().enumerate() {
        cum += n;
        if cum as f64 >= q * total as f64 {
            let lo = if k == 0 { 0.0 } else { LATENCY_BOUNDS[k - 1] };
            let hi = LATENCY_BOUNDS.get(k).copied().unwrap_or(LATENCY_BOUNDS[7]);
            return (lo.min(hi), hi);
        }
    }
    (LATENCY_BOUNDS[7], LATENCY_BOUNDS[7])
}

#[tokio::test]
async fn fleet_health_matches_the_fixture() {
    let (m, fx) = port_at(SAMPLES - 1, PromqlTemplates::default()).await;
    let mut asked = targets();
    let ghost = WorkloadRef {
        cluster: "test".into(),
        namespace: "prod".into(),
        kind: WorkloadKind::Deployment,
        name: "ghost".into(),
    };
    asked.push(MetricsTarget::bare(ghost.clone()));
    let health = m.fleet_health(&asked).await.unwrap();
    assert!(!health.contains_key(&ghost), "no data must mean absent");
    assert_eq!(health.len(), 4);
    for w in workloads() {
        let h = &health[&w.workload_ref("test")];
        let name = w.workload;
        assert_eq!(h.read_at, fx.timestamp(SAMPLES - 1));
        assert!(
            close(h.request_rate.unwrap(), w.request_rate()),
            "{name} rps {h:?}"
        );
        assert!(
            close(h.error_ratio.unwrap(), w.error_ratio()),
            "{name} errors {h:?}"
        );
        for (q, got) in [
            (0.5, h.latency_p50),
            (0.95, h.latency_p95),
            (0.99, h.latency_p99),
        ] {
            let got = got.unwrap();
            let (lo, hi) = bucket_of(&w.latency_per_min, q);
            assert!(
                got >= lo && got <= hi,
                "{name} q{q}: {got} outside [{lo}, {hi}]"
            );
            assert!(
                close(got, w.latency_quantile(q)),
                "{name} q{q}: {got} vs {}",
                w.latency_quantile(q)
            );
        }
        assert_eq!(h.drift_max, w.drift_max(SAMPLES - 1), "{name} drift");
    }
    let churn = &health[&workloads()[1].workload_ref("test")];
    assert_eq!(churn.drift_max, Some(0.38));
    let recsys = &health[&workloads()[3].workload_ref("test")];
    assert_eq!(
        recsys.error_ratio,
        Some(0.0),
        "no error series still means 0 %"
    );
    assert_eq!(
        recsys.latency_p99,
        Some(1.0),
        "+Inf bucket answers the top finite bound"
    );
}

#[tokio::test]
async fn fleet_health_costs_the_same_queries_for_any_fleet_size() {
    let (m, _) = port_at(SAMPLES - 1, PromqlTemplates::default()).await;
    let mut sizes = Vec::new();
    let mut big = targets();
    for i in 0..500 {
        big.push(MetricsTarget::bare(WorkloadRef {
            cluster: format!("c{}", i % 3),
            namespace: format!("ns-{}", i % 50),
            kind: WorkloadKind::Deployment,
            name: format!("w-{i}"),
        }));
    }
    for fleet in [&targets()[..1], &targets()[..], &big[..]] {
        let before = m.client().requests_sent();
        let h = m.fleet_health(fleet).await.unwrap();
        sizes.push((fleet.len(), m.client().requests_sent() - before, h.len()));
    }
    assert_eq!(sizes, vec![(1, 6, 1), (4, 6, 4), (504, 6, 4)]);
    assert_eq!(m.fleet_health(&[]).await.unwrap().len(), 0);
}

#[tokio::test]
async fn signal_ranges_sit_on_the_grid_with_nan_gaps() {
    let (m, fx) = port_at(SAMPLES - 1, PromqlTemplates::default()).await;
    let recsys = workloads()[3].metrics_target("test");
    let range = TimeRange {
        start: fx.timestamp(100),
        end: fx.timestamp(200),
        step_ms: 60_000,
    };
    let s = m
        .signal_range(&recsys, Signal::RequestRate, range)
        .await
        .unwrap();
    assert_eq!(s.points.len(), 101);
    for (k, (t, v)) in s.points.iter().enumerate() {
        let i = 100 + k as i64;
        assert_eq!(*t, fx.timestamp(i));
        if i <= 119 || i >= 186 {
            assert!(close(*v, 1.0), "rate at {i}: {v}");
        } else if (126..=180).contains(&i) {
            assert!(v.is_nan(), "rate inside the gap at {i}: {v}");
        }
    }

    let churn = workloads()[1].clone();
    let full = TimeRange {
        start: fx.timestamp(0),
        end: fx.timestamp(SAMPLES - 1),
        step_ms: 1,
    };
    let p99 = m
        .signal_range(&churn.metrics_target("x"), Signal::LatencyP99, full)
        .await
        .unwrap();
    assert!(p99.points.len() as i64 <= MAX_POINTS && p99.points.len() > 10_000);
    let finite: Vec<f64> = p99
        .points
        .iter()
        .map(|p| p.1)
        .filter(|v| !v.is_nan())
        .collect();
    assert!(finite.len() > 10_000);
    // away from the first 5 minutes every point is the fixture's p99
    assert!(
        finite[100..]
            .iter()
            .all(|v| close(*v, churn.latency_quantile(0.99)))
    );

    let ghost = MetricsTarget::bare(WorkloadRef {
        name: "ghost".into(),
        ..recsys.workload
    });
    let none = m
        .signal_range(&ghost, Signal::DriftMax, range)
        .await
        .unwrap();
    assert!(none.points.is_empty());
}

#[tokio::test]
async fn feature_drift_flags_the_drifting_model() {
    let (m, _) = port_at(SAMPLES - 1, PromqlTemplates::default()).await;
    let churn = m
        .feature_drift(&workloads()[1].metrics_target("test"))
        .await
        .unwrap();
    let got: Vec<(&str, f64, DriftStatus)> = churn
        .iter()
        .map(|f| (f.feature.as_str(), f.psi, f.status))
        .collect();
    assert_eq!(
        got,
        vec![
            ("tenure", 0.38, DriftStatus::Drifting),
            ("region", 0.12, DriftStatus::Warning),
            ("plan", 0.08, DriftStatus::Ok),
        ]
    );
    let fraud = m
        .feature_drift(&workloads()[0].metrics_target("test"))
        .await
        .unwrap();
    assert_eq!(fraud.len(), 3);
    assert!(fraud.iter().all(|f| f.status == DriftStatus::Ok));

    let (m, _) = port_at(NAN_AT, PromqlTemplates::default()).await;
    let recsys = m
        .feature_drift(&workloads()[3].metrics_target("test"))
        .await
        .unwrap();
    assert_eq!(recsys[0].feature, "category");
    assert_eq!(
        (recsys[1].feature.as_str(), recsys[1].status),
        ("embedding_norm", DriftStatus::Unknown)
    );
    assert!(recsys[1].psi.is_nan());
}

#[tokio::test]
async fn feature_histograms_and_data_quality() {
    let (m, _) = port_at(SAMPLES - 1, PromqlTemplates::default()).await;
    let fraud = workloads()[0].clone();
    let target = fraud.metrics_target("test");
    let bins = m.feature_histogram(&target, "amount").await.unwrap();
    let (_, per_min) = fraud.feature_values.unwrap();
    assert_eq!(bins.len(), per_min.len());
    for (bin, n) in bins.iter().zip(per_min) {
        assert!(close(bin.count, 60.0 * n as f64), "{bin:?} vs {n}/min");
    }
    assert_eq!((bins[0].lower, bins[0].upper), (f64::NEG_INFINITY, 10.0));
    assert_eq!(bins[4].upper, f64::INFINITY);
    assert!(
        m.feature_histogram(&target, "nope")
            .await
            .unwrap()
            .is_empty()
    );

    let q = m.data_quality(&target).await.unwrap();
    let got: Vec<(&str, f64)> = q.iter().map(|c| (c.check.as_str(), c.value)).collect();
    assert_eq!(got, fraud.quality.to_vec());
}

#[tokio::test]
async fn template_errors_name_the_template() {
    let mut o = BTreeMap::new();
    o.insert("request_rate".to_string(), "sum(".to_string());
    o.insert(
        "drift_max".to_string(),
        "model_feature_drift_psi * on(model) model_feature_drift_psi".to_string(),
    );
    let (m, fx) = port_at(SAMPLES - 1, PromqlTemplates::from_overrides(&o).unwrap()).await;
    let target = workloads()[0].metrics_target("test");
    let range = TimeRange {
        start: fx.timestamp(300),
        end: fx.timestamp(360),
        step_ms: 60_000,
    };
    let e = m
        .signal_range(&target, Signal::RequestRate, range)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(
        e.message
            .starts_with("request_rate: Prometheus bad_data error (HTTP 400)"),
        "{e}"
    );
    let e = m
        .signal_range(&target, Signal::DriftMax, range)
        .await
        .unwrap_err();
    assert!(
        e.message
            .starts_with("drift_max: Prometheus execution error (HTTP 422)"),
        "{e}"
    );
}

/// A template that selects by model only; the namespace keeps the two
/// `fraud` workloads apart for `request_rate`.
fn by_model() -> PromqlTemplates {
    let mut o = BTreeMap::new();
    o.insert(
        "request_rate".to_string(),
        "sum by ({by}) (rate(model_predictions_total{model=\"{model}\",namespace=\"{namespace}\"}[{window}]))"
            .to_string(),
    );
    o.insert(
        "feature_drift".to_string(),
        "max by (feature) (model_feature_drift_psi{model=\"{model}\"})".to_string(),
    );
    PromqlTemplates::from_overrides(&o).unwrap()
}

#[tokio::test]
async fn model_placeholders_need_known_models() {
    let (m, fx) = port_at(SAMPLES - 1, by_model()).await;
    let fraud = workloads()[0].metrics_target("test");
    let range = TimeRange {
        start: fx.timestamp(300),
        end: fx.timestamp(360),
        step_ms: 60_000,
    };
    let before = m.client().requests_sent();
    let e = m
        .signal_range(
            &MetricsTarget::bare(fraud.workload.clone()),
            Signal::RequestRate,
            range,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(
        e.message.contains("request_rate uses {model}")
            && e.message
                .contains("model served by test/prod/deploy/fraud-detector is unknown")
            && e.message.contains("select by {workload}"),
        "{e}"
    );
    assert!(!e.message.contains("set_workload_models"), "{e}");
    assert_eq!(
        m.client().requests_sent(),
        before,
        "refused before any query is sent"
    );
    let s = m
        .signal_range(&fraud, Signal::RequestRate, range)
        .await
        .unwrap();
    assert_eq!(s.points.len(), 61);
    assert!(s.points.iter().all(|(_, v)| close(*v, 10.0)), "{s:?}");
    assert!(m.describe().starts_with("prometheus http://127.0.0.1:"));
}

#[tokio::test]
async fn model_templates_work_on_the_first_call() {
    // Before the port carried the model, an adapter learnt the models from
    // the console's snapshots, so its first `{model}` query was refused.
    // Now the first call of a fresh adapter is answered from the model the
    // call carries.
    let churn = workloads()[1].metrics_target("test");
    let (m, _) = port_at(SAMPLES - 1, by_model()).await;
    let before = m.client().requests_sent();
    let drift = m.feature_drift(&churn).await.unwrap();
    assert_eq!(m.client().requests_sent() - before, 1);
    let got: Vec<(&str, f64)> = drift.iter().map(|f| (f.feature.as_str(), f.psi)).collect();
    assert_eq!(
        got,
        vec![("tenure", 0.38), ("region", 0.12), ("plan", 0.08)]
    );

    let (m, fx) = port_at(SAMPLES - 1, by_model()).await;
    let before = m.client().requests_sent();
    let range = TimeRange {
        start: fx.timestamp(300),
        end: fx.timestamp(360),
        step_ms: 60_000,
    };
    let rate = m
        .signal_range(&churn, Signal::RequestRate, range)
        .await
        .unwrap();
    assert_eq!(m.client().requests_sent() - before, 1);
    assert_eq!(rate.points.len(), 61);
    let want = workloads()[1].request_rate();
    assert!(rate.points.iter().all(|(_, v)| close(*v, want)), "{rate:?}");

    // The model selects: the same workload said to serve another model has
    // no series under these templates.
    let elsewhere = MetricsTarget::new(churn.workload.clone(), "no-such-model");
    assert!(m.feature_drift(&elsewhere).await.unwrap().is_empty());
    assert!(
        m.signal_range(&elsewhere, Signal::RequestRate, range)
            .await
            .unwrap()
            .points
            .is_empty()
    );
}

/// The profile examples of docs/metrics.md, as template sets.
fn documented_profiles() -> Vec<(String, PromqlTemplates)> {
    let doc = include_str!("../../../docs/metrics.md");
    let mut out = Vec::new();
    for block in doc.split("```toml").skip(1) {
        let table: toml::Table = toml::from_str(block.split("```").next().unwrap()).unwrap();
        for (name, profile) in table["profiles"].as_table().unwrap() {
            let promql: BTreeMap<String, String> = profile["promql"]
                .as_table()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            out.push((
                name.clone(),
                PromqlTemplates::from_overrides(&promql).unwrap(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn documented_mappings_are_valid_promql() {
    // The KServe / Seldon / custom examples query metrics the fixture does
    // not have: every call must succeed (empty), none may be refused.
    let profiles = documented_profiles();
    // KServe, Seldon v1, custom names, and the per-version example.
    assert_eq!(profiles.len(), 4);
    for (name, templates) in profiles {
        let (m, fx) = port_at(SAMPLES - 1, templates).await;
        let asked = targets();
        m.fleet_health(&asked)
            .await
            .unwrap_or_else(|e| panic!("{name}: fleet_health: {e}"));
        let range = TimeRange {
            start: fx.timestamp(300),
            end: fx.timestamp(360),
            step_ms: 60_000,
        };
        for signal in Signal::ALL {
            m.signal_range(&asked[0], signal, range)
                .await
                .unwrap_or_else(|e| panic!("{name}: {signal:?}: {e}"));
        }
        if !m.templates().version_label.is_empty() {
            let canary = &asked[2];
            let parts = m
                .signal_range_by_version(canary, Signal::LatencyP99, range)
                .await
                .unwrap_or_else(|e| panic!("{name}: by version: {e}"));
            assert_eq!(parts.len(), 2, "{name}: {canary:?}");
        }
    }
}
