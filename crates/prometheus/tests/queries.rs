//! The client against a real Prometheus loaded with the fixture: instant
//! and range queries return exactly the generated samples, NaN and ±Inf
//! survive the trip, gaps are missing points, metadata endpoints work.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{client, fixture};
use modeldeck_core::domain::Timestamp;
use modeldeck_prometheus::fixture::{
    COUNTER_BASE, Drift, NAN_AT, NEG_INF_AT, POS_INF_AT, SAMPLES, STEP_SECS, workloads,
};
use modeldeck_prometheus::{QueryData, RangeQuery, Sample};

fn only_sample(d: QueryData) -> Sample {
    match d {
        QueryData::Vector(v) => {
            assert_eq!(v.len(), 1, "expected one series, got {v:?}");
            v[0].sample.unwrap()
        }
        QueryData::Scalar(s) => s,
        other => panic!("unexpected result {other:?}"),
    }
}

#[tokio::test]
async fn instant_queries_return_the_generated_samples() {
    let c = client();
    let fx = fixture(&c).await;
    let at = fx.timestamp(100);
    let q = r#"model_predictions_total{workload="fraud-detector",status="ok"}"#;
    let s = only_sample(c.query(q, Some(at)).await.unwrap().data);
    assert_eq!(s.at, at);
    assert_eq!(s.value, (COUNTER_BASE + 594 * 100) as f64);

    // 30 s after a sample, the lookback still answers with that sample.
    let q = r#"model_feature_drift_psi{workload="churn-scorer",feature="tenure"}"#;
    let s = only_sample(c.query(q, Some(at.plus_millis(30_000))).await.unwrap().data);
    assert_eq!(s.value, Drift::RampMilli(20).at(100));
    assert_eq!(s.value, 0.12);

    // rate() of a counter growing by a constant is that constant per second.
    let q = r#"sum(rate(model_predictions_total{workload="fraud-detector"}[5m]))"#;
    let s = only_sample(c.query(q, Some(fx.timestamp(200))).await.unwrap().data);
    assert!(common::close(s.value, 10.0), "{}", s.value);
}

#[tokio::test]
async fn range_queries_return_every_generated_point() {
    let c = client();
    let fx = fixture(&c).await;
    let range =
        RangeQuery::clamped(fx.timestamp(0), fx.timestamp(SAMPLES - 1), STEP_SECS * 1000).unwrap();
    let q = r#"model_feature_drift_psi{workload="churn-scorer",feature="tenure"}"#;
    let r = c.query_range(q, &range).await.unwrap();
    assert_eq!(r.data.len(), 1);
    let s = &r.data[0];
    assert_eq!(s.labels.get("model").map(String::as_str), Some("churn"));
    assert_eq!(s.samples.len() as i64, SAMPLES);
    for (i, p) in s.samples.iter().enumerate() {
        let i = i as i64;
        assert_eq!(p.at, fx.timestamp(i));
        assert_eq!(p.value, Drift::RampMilli(20).at(i), "sample {i}");
    }
    assert!(r.warnings.is_empty() && r.infos.is_empty());
}

#[tokio::test]
async fn nan_and_infinities_round_trip() {
    let c = client();
    let fx = fixture(&c).await;
    let q = r#"model_feature_drift_psi{workload="recsys-nightly",feature="embedding_norm"}"#;
    let v = |i| {
        let c = &c;
        async move { only_sample(c.query(q, Some(fx.timestamp(i))).await.unwrap().data).value }
    };
    assert!(v(NAN_AT).await.is_nan());
    assert_eq!(v(POS_INF_AT).await, f64::INFINITY);
    assert_eq!(v(NEG_INF_AT).await, f64::NEG_INFINITY);
    assert_eq!(v(NAN_AT - 1).await, 0.05);

    // computed specials and the scalar / string result types
    let at = Some(fx.timestamp(0));
    assert!(
        only_sample(c.query("scalar(vector(0)/0)", at).await.unwrap().data)
            .value
            .is_nan()
    );
    assert_eq!(
        only_sample(c.query("-1/0", at).await.unwrap().data).value,
        f64::NEG_INFINITY
    );
    match c.query("\"hello\"", at).await.unwrap().data {
        QueryData::String { at: t, value } => {
            assert_eq!(value, "hello");
            assert_eq!(t, fx.timestamp(0));
        }
        other => panic!("expected a string, got {other:?}"),
    }
}

#[tokio::test]
async fn gaps_are_missing_points() {
    let c = client();
    let fx = fixture(&c).await;
    let recsys = &workloads()[3];
    let (gap_from, gap_to) = recsys.gap.unwrap();
    let range = RangeQuery::clamped(fx.timestamp(100), fx.timestamp(200), 60_000).unwrap();
    let q = r#"model_feature_drift_psi{workload="recsys-nightly",feature="category"}"#;
    let r = c.query_range(q, &range).await.unwrap();
    let times: Vec<Timestamp> = r.data[0].samples.iter().map(|s| s.at).collect();
    for i in 100..=200 {
        let present = times.contains(&fx.timestamp(i));
        if i < gap_from || i >= gap_to {
            assert!(present, "sample {i} outside the gap is missing");
        } else if i > gap_from + 5 {
            // beyond the 5-minute lookback after the last sample
            assert!(!present, "point {i} inside the gap is present");
        }
    }
    assert!(r.data[0].samples.iter().all(|s| s.value == 0.07));
}

#[tokio::test]
async fn series_and_label_values() {
    let c = client();
    let fx = fixture(&c).await;
    let (start, end) = (Some(fx.timestamp(0)), Some(fx.timestamp(SAMPLES - 1)));
    let series = c
        .series(&["model_predictions_total"], start, end)
        .await
        .unwrap()
        .data;
    // One ok series per serving series (per version where split), one
    // error series more where it fails.
    let expected: usize = workloads()
        .iter()
        .flat_map(|w| w.serving_series())
        .map(|(_, _, errors, _)| if errors > 0 { 2 } else { 1 })
        .sum();
    assert_eq!(expected, 9, "4 workloads, the canary split in two");
    assert_eq!(series.len(), expected);
    assert!(series.iter().any(|l| l.get("workload").map(String::as_str)
        == Some("fraud-detector-canary")
        && l.get("status").map(String::as_str) == Some("error")));

    let mut names = c
        .label_values("workload", &["model_predictions_total"], start, end)
        .await
        .unwrap()
        .data;
    names.sort();
    let mut want: Vec<String> = workloads().iter().map(|w| w.workload.to_string()).collect();
    want.sort();
    assert_eq!(names, want);

    let metrics = c
        .label_values("__name__", &[], None, None)
        .await
        .unwrap()
        .data;
    for m in [
        "model_predictions_total",
        "model_request_latency_seconds_bucket",
        "model_feature_drift_psi",
    ] {
        assert!(
            metrics.iter().any(|n| n == m),
            "{m} missing from {metrics:?}"
        );
    }
}

#[tokio::test]
async fn credentials_in_the_url_never_show() {
    // Prometheus ignores the Authorization header; the URL's credentials
    // must still vanish from everything we print.
    let url = common::prom_url().replacen("http://", "http://reader:hunter2@", 1);
    let c = modeldeck_prometheus::PromClient::new(modeldeck_prometheus::ClientConfig::new(url))
        .unwrap();
    let fx = fixture(&c).await;
    assert!(fx.end > 0);
    assert!(!c.base_url().as_str().contains("hunter2"));
    assert!(!format!("{c:?}").contains("hunter2"));
    let e = c.query("sum(", None).await.unwrap_err();
    assert!(
        !e.to_string().contains("hunter2") && !e.location.contains("reader"),
        "{e}"
    );
}
