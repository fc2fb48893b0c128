//! `Metrics::feature_sample_range` on a real Prometheus loaded with the
//! fixture: one point per step with the fixture's exact counts, the sudden
//! shift in time, a seven-day range with its step raised under the
//! 11,000-point limit and a point at every step, two queries per feature
//! (one for the prediction), and an unknown feature refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{client, close, fixture};
use modeldeck_core::domain::TimeRange;
use modeldeck_core::drift::LiveCounts;
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::fixture::{
    FEATURE_SAMPLES, Fixture, PER_HOUR, SHIFT_AT, feature, reference_profile,
};
use modeldeck_prometheus::{MAX_POINTS, PrometheusMetrics, PromqlTemplates, RangeQuery};

const HOUR_MS: i64 = 3_600_000;
const LAST: i64 = FEATURE_SAMPLES - 1;

async fn port() -> (PrometheusMetrics, Fixture) {
    let c = client();
    let fx = fixture(&c).await;
    (
        PrometheusMetrics::new(c, PromqlTemplates::default()).unwrap(),
        fx,
    )
}

fn numeric(c: &LiveCounts) -> Vec<f64> {
    match c {
        LiveCounts::Numeric(v) => v.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn hourly_points_carry_the_fixtures_counts_and_the_shift() {
    let (m, fx) = port().await;
    let p = reference_profile("fx-sudden").unwrap();
    let amount = feature("fx-sudden", "amount").unwrap();
    // twelve hours either side of the shift, hourly, each over the hour before
    let (j0, j1) = (SHIFT_AT - 12 * PER_HOUR, SHIFT_AT + 12 * PER_HOUR);
    let range = TimeRange {
        start: fx.feature_timestamp(j0),
        end: fx.feature_timestamp(j1),
        step_ms: HOUR_MS,
    };
    let before = m.client().requests_sent();
    let points = m
        .feature_sample_range("fx-sudden", "2", &p, "amount", HOUR_MS, range)
        .await
        .unwrap();
    assert_eq!(m.client().requests_sent() - before, 2, "values and missing");
    assert_eq!(points.len(), 25);
    for (k, (t, f)) in points.iter().enumerate() {
        let j = j0 + k as i64 * PER_HOUR;
        assert_eq!(*t, fx.feature_timestamp(j));
        assert_eq!(f.name, "amount");
        let got = numeric(&f.counts);
        let want = amount.increase(j - PER_HOUR, j);
        for (g, w) in got.iter().zip(&want) {
            assert!(close(*g, *w as f64), "step {k}: {got:?} vs {want:?}");
        }
        assert!(close(f.missing, 12.0), "{}", f.missing);
        // the overflow bin jumps exactly after the shift
        let after = j > SHIFT_AT;
        assert_eq!(got[4] > 100.0, after, "step {k} (sample {j}): {got:?}");
    }

    // the categorical feature shows the unseen category and the incident only after
    let points = m
        .feature_sample_range("fx-sudden", "2", &p, "channel", HOUR_MS, range)
        .await
        .unwrap();
    assert_eq!(points.len(), 25);
    for (t, f) in &points {
        let LiveCounts::Categorical(c) = &f.counts else {
            panic!("{f:?}")
        };
        let after = *t > fx.feature_timestamp(SHIFT_AT);
        assert_eq!(c.contains_key("crypto"), after, "{t:?}: {c:?}");
        assert_eq!(f.missing > 0.0, after, "{t:?}: {}", f.missing);
    }
}

#[tokio::test]
async fn seven_days_are_clamped_under_the_point_limit_with_a_point_at_every_step() {
    let (m, fx) = port().await;
    let p = reference_profile("fx-gradual").unwrap();
    let end = fx.feature_timestamp(LAST);
    let start = end.plus_millis(-7 * 24 * HOUR_MS);
    // one point per second asked: 604,801 points, far over the limit
    let range = TimeRange {
        start,
        end,
        step_ms: 1_000,
    };
    let want = RangeQuery::clamped(start, end, 1_000).unwrap();
    assert!(want.step_ms > 1_000 && want.points() <= MAX_POINTS);
    let points = m
        .feature_sample_range("fx-gradual", "1", &p, "tenure", HOUR_MS, range)
        .await
        .unwrap();
    assert_eq!(points.len() as i64, want.points());
    for ((t, f), expected) in points.iter().zip(want.times()) {
        assert_eq!(*t, expected);
        assert_eq!(numeric(&f.counts).len(), 5);
    }
    // and the gradual drift is visible from one end to the other
    let first = numeric(&points[0].1.counts);
    let last = numeric(&points[points.len() - 1].1.counts);
    assert!(
        first[0] > last[0] && first[4] < last[4],
        "{first:?} {last:?}"
    );
}

#[tokio::test]
async fn predictions_take_one_query_and_unknown_features_are_refused() {
    let (m, fx) = port().await;
    let p = reference_profile("fx-seasonal").unwrap();
    let range = TimeRange {
        start: fx.feature_timestamp(LAST - 24 * PER_HOUR),
        end: fx.feature_timestamp(LAST),
        step_ms: 6 * HOUR_MS,
    };
    let before = m.client().requests_sent();
    let points = m
        .feature_sample_range("fx-seasonal", "1", &p, "approved", HOUR_MS, range)
        .await
        .unwrap();
    assert_eq!(m.client().requests_sent() - before, 1);
    assert_eq!(points.len(), 5);
    for (_, f) in &points {
        let LiveCounts::Categorical(c) = &f.counts else {
            panic!("{f:?}")
        };
        assert_eq!(c.get("yes"), Some(&420.0));
        assert_eq!(c.get("no"), Some(&180.0));
    }

    let e = m
        .feature_sample_range("fx-seasonal", "1", &p, "nope", HOUR_MS, range)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.message.contains("\"nope\""), "{e}");
    let e = m
        .feature_sample_range("fx-seasonal", "1", &p, "load", 0, range)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);

    // steps before the history starts have no point
    let range = TimeRange {
        start: fx.feature_timestamp(-5 * PER_HOUR),
        end: fx.feature_timestamp(5 * PER_HOUR),
        step_ms: HOUR_MS,
    };
    let points = m
        .feature_sample_range("fx-seasonal", "1", &p, "load", HOUR_MS, range)
        .await
        .unwrap();
    assert_eq!(points.len(), 5, "{points:?}");
    assert_eq!(points[0].0, fx.feature_timestamp(PER_HOUR));
}
