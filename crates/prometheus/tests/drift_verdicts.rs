//! The core's drift verdicts (`modeldeck_core::drift::evaluate`) on live
//! samples read from a real Prometheus loaded with the fixture: the sudden
//! shift alarms after and not before, the gradual drift alarms days later
//! and not at first, the seasonal feature does not alarm over a day (while
//! one hour of it does), and the data-quality flags show.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{client, fixture};
use modeldeck_core::drift::{DriftReport, evaluate};
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::fixture::{
    FEATURE_SAMPLES, Fixture, PER_HOUR, SHIFT_AT, reference_profile,
};
use modeldeck_prometheus::{PrometheusMetrics, PromqlTemplates};

const HOUR_MS: i64 = 3_600_000;
const LAST: i64 = FEATURE_SAMPLES - 1;

async fn report(model: &str, hours: i64, j: i64) -> DriftReport {
    let c = client();
    let fx: Fixture = fixture(&c).await;
    let m = PrometheusMetrics::new(c, PromqlTemplates::default()).unwrap();
    let p = reference_profile(model).unwrap();
    let version = if model == "fx-sudden" { "2" } else { "1" };
    let live = m
        .feature_sample(
            model,
            version,
            &p,
            hours * HOUR_MS,
            Some(fx.feature_timestamp(j)),
        )
        .await
        .unwrap();
    evaluate(&p, &live)
}

fn drifted(r: &DriftReport, name: &str) -> bool {
    let row = r.features.iter().find(|f| f.feature == name).unwrap();
    row.score
        .unwrap_or_else(|| panic!("{name} has no score: {row:?}"))
        .drifted
}

#[tokio::test]
async fn the_sudden_shift_alarms_after_and_not_before() {
    let before = report("fx-sudden", 6, SHIFT_AT).await;
    assert!(
        !drifted(&before, "amount") && !drifted(&before, "channel"),
        "{before:?}"
    );
    assert!(!before.dataset_drift);
    let after = report("fx-sudden", 6, SHIFT_AT + 6 * PER_HOUR).await;
    assert!(
        drifted(&after, "amount") && drifted(&after, "channel"),
        "{after:?}"
    );
    assert!(after.dataset_drift);
    let channel = after
        .features
        .iter()
        .find(|f| f.feature == "channel")
        .unwrap();
    assert_eq!(channel.quality.unseen_categories, ["crypto"]);
    assert!(channel.quality.missing_rate.unwrap() > 0.1, "{channel:?}");
}

#[tokio::test]
async fn the_gradual_drift_alarms_days_later_and_not_at_first() {
    let first = report("fx-gradual", 24, 24 * PER_HOUR).await;
    assert!(!drifted(&first, "tenure"), "{first:?}");
    let last = report("fx-gradual", 24, LAST).await;
    assert!(drifted(&last, "tenure"), "{last:?}");
}

#[tokio::test]
async fn the_seasonal_day_does_not_alarm() {
    let day = report("fx-seasonal", 24, LAST).await;
    assert!(!drifted(&day, "load"), "{day:?}");
    assert!(!day.dataset_drift);
    // an hour of it, on its own, is far from the daily reference
    let hour = report("fx-seasonal", 1, 6 * PER_HOUR).await;
    assert!(drifted(&hour, "load"), "{hour:?}");
}
