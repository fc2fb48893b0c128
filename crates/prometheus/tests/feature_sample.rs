//! `Metrics::feature_sample` on a real Prometheus loaded with the fixture:
//! de-cumulated bins, categories and missing values equal what the fixture
//! wrote (windows aligned to the samples, so `increase()` is exact), the
//! sudden shift shows after and not before it, a counter reset changes
//! nothing, the seasonal day sums to the reference, one query per metric
//! family, buckets at other edges are an error, hostile feature names do
//! not inject, and a dead Prometheus is named without its token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{client, close, fixture};
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::{Distribution, LiveCounts, LiveSample, ReferenceProfile};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::fixture::{
    FEATURE_SAMPLES, Fixture, HOSTILE_FEATURE, PER_HOUR, RESET_AT, SHIFT_AT, feature,
    reference_profile,
};
use modeldeck_prometheus::{ClientConfig, PromClient, PrometheusMetrics, PromqlTemplates, Secret};
use std::collections::BTreeMap;

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

/// `model`'s sample over the `hours` ending at feature sample `j`.
async fn sample(
    m: &PrometheusMetrics,
    fx: &Fixture,
    model: &str,
    hours: i64,
    j: i64,
) -> LiveSample {
    let p = reference_profile(model).unwrap();
    let version = feature_version(model);
    let s = m
        .feature_sample(
            model,
            version,
            &p,
            hours * HOUR_MS,
            Some(fx.feature_timestamp(j)),
        )
        .await
        .unwrap();
    assert_eq!(s.at, fx.feature_timestamp(j));
    assert_eq!(s.window_ms, hours * HOUR_MS);
    s
}

fn feature_version(model: &str) -> &'static str {
    if model == "fx-sudden" { "2" } else { "1" }
}

fn numeric(s: &LiveSample, name: &str) -> Vec<f64> {
    match &s
        .feature(name)
        .unwrap_or_else(|| panic!("{name} absent: {s:?}"))
        .counts
    {
        LiveCounts::Numeric(c) => c.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn categorical(s: &LiveSample, name: &str) -> BTreeMap<String, f64> {
    match &s
        .feature(name)
        .unwrap_or_else(|| panic!("{name} absent: {s:?}"))
        .counts
    {
        LiveCounts::Categorical(c) => c.clone(),
        other => panic!("{name}: {other:?}"),
    }
}

fn assert_counts(actual: &[f64], expected: &[u64], what: &str) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: {actual:?} vs {expected:?}"
    );
    for (a, e) in actual.iter().zip(expected) {
        assert!(close(*a, *e as f64), "{what}: {actual:?} vs {expected:?}");
    }
}

/// The fixture's categories with a non-zero count over `(from, to]`.
fn expected_categories(model: &str, name: &str, from: i64, to: i64) -> BTreeMap<String, f64> {
    let f = feature(model, name).unwrap();
    let modeldeck_prometheus::fixture::Cells::Categories(names) = f.cells else {
        panic!("{name} is numeric")
    };
    names
        .iter()
        .zip(f.increase(from, to))
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| (c.to_string(), n as f64))
        .collect()
}

#[tokio::test]
async fn counts_equal_what_the_fixture_wrote_in_one_query_per_family() {
    let (m, fx) = port().await;
    let j = SHIFT_AT - 2 * PER_HOUR;
    let before = m.client().requests_sent();
    let s = sample(&m, &fx, "fx-sudden", 1, j).await;
    // bins, categories, missing, prediction: four queries for any number of features
    assert_eq!(m.client().requests_sent() - before, 4);
    let names: Vec<&str> = s.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["amount", "channel", "score"]);
    let amount = feature("fx-sudden", "amount").unwrap();
    assert_counts(
        &numeric(&s, "amount"),
        &amount.increase(j - PER_HOUR, j),
        "amount",
    );
    assert_counts(&numeric(&s, "amount"), &[120, 600, 300, 150, 30], "amount");
    assert!(close(s.feature("amount").unwrap().missing, 12.0));
    assert_eq!(
        categorical(&s, "channel"),
        expected_categories("fx-sudden", "channel", j - PER_HOUR, j)
    );
    assert_eq!(s.feature("channel").unwrap().missing, 0.0);
    let score = feature("fx-sudden", "score").unwrap();
    assert_counts(
        &numeric(&s, "score"),
        &score.increase(j - PER_HOUR, j),
        "score",
    );

    // a categorical prediction, and a 3 h window
    let s = sample(&m, &fx, "fx-seasonal", 3, LAST).await;
    let want: BTreeMap<String, f64> = [("yes".into(), 1260.0), ("no".into(), 540.0)].into();
    assert_eq!(categorical(&s, "approved"), want);
}

#[tokio::test]
async fn the_sudden_shift_shows_after_and_not_before() {
    let (m, fx) = port().await;
    let amount = feature("fx-sudden", "amount").unwrap();
    // the hour ending at the shift is all old shape, no crypto, no missing channel
    let s = sample(&m, &fx, "fx-sudden", 1, SHIFT_AT).await;
    assert_counts(&numeric(&s, "amount"), &[120, 600, 300, 150, 30], "before");
    assert!(!categorical(&s, "channel").contains_key("crypto"));
    assert_eq!(s.feature("channel").unwrap().missing, 0.0);
    // the hour after it is all new shape, with the unseen category and the incident
    let j = SHIFT_AT + PER_HOUR;
    let s = sample(&m, &fx, "fx-sudden", 1, j).await;
    assert_counts(
        &numeric(&s, "amount"),
        &amount.increase(SHIFT_AT, j),
        "after",
    );
    assert_counts(&numeric(&s, "amount"), &[30, 180, 360, 480, 150], "after");
    let channel = categorical(&s, "channel");
    assert_eq!(
        channel,
        expected_categories("fx-sudden", "channel", SHIFT_AT, j)
    );
    assert_eq!(channel.get("crypto"), Some(&120.0));
    assert!(close(s.feature("channel").unwrap().missing, 180.0));
}

#[tokio::test]
async fn a_counter_reset_changes_nothing() {
    let (m, fx) = port().await;
    let tenure = feature("fx-gradual", "tenure").unwrap();
    // the hour around the restart (hour-aligned, so constant counts)
    let j = RESET_AT + 3;
    assert_eq!(j % PER_HOUR, 0);
    let q = r#"resets(modeldeck_feature_value_bucket{model="fx-gradual",le="+Inf"}[1h])"#;
    let r = m
        .client()
        .query(q, Some(fx.feature_timestamp(j)))
        .await
        .unwrap();
    let modeldeck_prometheus::QueryData::Vector(v) = r.data else {
        panic!("{:?}", r.data)
    };
    assert_eq!(
        v[0].sample.unwrap().value,
        1.0,
        "the window spans the restart"
    );
    let s = sample(&m, &fx, "fx-gradual", 1, j).await;
    assert_counts(
        &numeric(&s, "tenure"),
        &tenure.increase(j - PER_HOUR, j),
        "reset",
    );
    assert!(close(s.feature("tenure").unwrap().missing, 6.0));
}

#[tokio::test]
async fn the_gradual_feature_moves_a_little_every_hour() {
    let (m, fx) = port().await;
    let tenure = feature("fx-gradual", "tenure").unwrap();
    let mut first_bin = Vec::new();
    for j in [PER_HOUR * 2, PER_HOUR * 100, LAST] {
        let s = sample(&m, &fx, "fx-gradual", 1, j).await;
        let got = numeric(&s, "tenure");
        assert_counts(&got, &tenure.increase(j - PER_HOUR, j), "gradual");
        first_bin.push(got[0]);
    }
    assert!(first_bin.windows(2).all(|w| w[0] > w[1]), "{first_bin:?}");
}

#[tokio::test]
async fn the_seasonal_day_sums_to_the_reference_and_its_hours_do_not() {
    let (m, fx) = port().await;
    let load = reference_profile("fx-seasonal").unwrap();
    let Distribution::Numeric { counts, .. } = &load.features[0].dist else {
        panic!()
    };
    let s = sample(&m, &fx, "fx-seasonal", 24, LAST).await;
    let day = numeric(&s, "load");
    // exact on Prometheus 2.x (both window ends inclusive); within
    // increase()'s extrapolation (1 step of 144) on servers that leave the
    // first sample out
    for (live, reference) in day.iter().zip(counts) {
        let want = *reference as f64 * 144.0 / 1000.0;
        assert!((live - want).abs() <= want / 100.0, "{day:?} vs {counts:?}");
    }
    let (a, b) = (
        sample(&m, &fx, "fx-seasonal", 1, 6 * PER_HOUR).await,
        sample(&m, &fx, "fx-seasonal", 1, 18 * PER_HOUR).await,
    );
    assert_counts(&numeric(&a, "load"), &[120, 180, 600, 540, 120], "morning");
    assert_counts(&numeric(&b, "load"), &[120, 540, 600, 180, 120], "evening");
}

#[tokio::test]
async fn features_without_series_are_absent() {
    let (m, fx) = port().await;
    let mut p = reference_profile("fx-sudden").unwrap();
    p.features[0].name = "no_such_feature".into();
    let s = m
        .feature_sample(
            "fx-sudden",
            "2",
            &p,
            HOUR_MS,
            Some(fx.feature_timestamp(LAST)),
        )
        .await
        .unwrap();
    assert!(s.feature("no_such_feature").is_none(), "{s:?}");
    assert!(s.feature("channel").is_some());
    // another version of the model has no series at all
    let s = m
        .feature_sample(
            "fx-sudden",
            "1",
            &p,
            HOUR_MS,
            Some(fx.feature_timestamp(LAST)),
        )
        .await
        .unwrap();
    assert!(s.features.is_empty(), "{s:?}");
    // before the history starts
    let s = m
        .feature_sample(
            "fx-sudden",
            "2",
            &p,
            HOUR_MS,
            Some(fx.feature_timestamp(-10)),
        )
        .await
        .unwrap();
    assert!(s.features.is_empty(), "{s:?}");
}

#[tokio::test]
async fn buckets_at_other_edges_are_an_error_naming_the_feature() {
    let (m, fx) = port().await;
    let mut p = reference_profile("fx-sudden").unwrap();
    p.features[0].dist = Distribution::Numeric {
        edges: vec![10.0, 50.0, 100.0, 250.0],
        counts: vec![1; 5],
    };
    let e = m
        .feature_sample(
            "fx-sudden",
            "2",
            &p,
            HOUR_MS,
            Some(fx.feature_timestamp(LAST)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedResponse, "{e}");
    assert!(
        e.message.contains("\"amount\"") && e.message.contains("le 500 vs edge 250"),
        "{e}"
    );
    p.features[0].dist = Distribution::Numeric {
        edges: vec![10.0, 50.0, 100.0],
        counts: vec![1; 4],
    };
    let e = m
        .feature_sample(
            "fx-sudden",
            "2",
            &p,
            HOUR_MS,
            Some(fx.feature_timestamp(LAST)),
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("5 buckets, expected 4"), "{e}");
}

#[tokio::test]
async fn hostile_feature_names_do_not_inject() {
    let (m, fx) = port().await;
    // the hostile name is read back as the literal it is
    let s = sample(&m, &fx, "fx-hostile", 1, LAST).await;
    let got = categorical(&s, HOSTILE_FEATURE);
    assert_eq!(got, [("x".to_string(), 6.0)].into());
    assert_eq!(s.features.len(), 1);

    // and on a model without it, it matches nothing: no vector(1), no
    // parse error, the other features untouched
    let mut p: ReferenceProfile = reference_profile("fx-sudden").unwrap();
    p.features[1].name = HOSTILE_FEATURE.into();
    let mut wildcard = p.features[0].clone();
    wildcard.name = ".*".into();
    p.features.push(wildcard);
    let s = m
        .feature_sample(
            "fx-sudden",
            "2",
            &p,
            HOUR_MS,
            Some(fx.feature_timestamp(LAST)),
        )
        .await
        .unwrap();
    let names: Vec<&str> = s.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["amount", "score"], "{s:?}");
    // a model or version that tries to break out finds nothing either
    let s = m
        .feature_sample(
            "fx-sudden\"} or vector(1) or x{a=\"",
            "2\\",
            &p,
            HOUR_MS,
            Some(fx.feature_timestamp(LAST)),
        )
        .await
        .unwrap();
    assert!(s.features.is_empty(), "{s:?}");
}

#[tokio::test]
async fn a_dead_prometheus_is_named_without_its_token() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let token = "tok-3f9a1c77e2";
    let c = PromClient::new(ClientConfig::new(&url).bearer(Secret::new(token))).unwrap();
    let m = PrometheusMetrics::new(c, PromqlTemplates::default()).unwrap();
    let p = reference_profile("fx-sudden").unwrap();
    let e = m
        .feature_sample("fx-sudden", "2", &p, HOUR_MS, Some(Timestamp::now()))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
    let text = format!("{e} {e:?}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(!text.contains(token), "{text}");
}
