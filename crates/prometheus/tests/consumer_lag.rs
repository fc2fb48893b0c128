//! Consumer lag (issue 14) on a real Prometheus backfilled with
//! kafka_exporter series: one group keeping up, one falling behind after a
//! deploy, several topics and partitions. Every number the adapter gives
//! is checked against what PromQL itself answers over the same backfilled
//! data at the same instant (sums, rate, topk, and `deriv` over a subquery
//! for the least squares slope), not against numbers written here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{FixedClock, client, fixture};
use modeldeck_core::domain::*;
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::fixture::streams::{GROWING_GROUP, STEADY_GROUP};
use modeldeck_prometheus::fixture::{Fixture, SAMPLES};
use modeldeck_prometheus::{PromClient, PrometheusMetrics, PromqlTemplates, QueryData};
use std::collections::BTreeMap;
use std::sync::Arc;

async fn port(templates: PromqlTemplates) -> (PrometheusMetrics, Fixture) {
    let c = client();
    let fx = fixture(&c).await;
    let m = PrometheusMetrics::new(c, templates)
        .unwrap()
        .with_clock(Arc::new(FixedClock(fx.timestamp(SAMPLES - 1))));
    (m, fx)
}

fn consumer(name: &str) -> MetricsTarget {
    MetricsTarget::bare(WorkloadRef {
        cluster: "test".into(),
        namespace: "risk".into(),
        kind: WorkloadKind::StreamConsumer,
        name: name.into(),
    })
}

/// One value per label set of an instant PromQL query at `at`.
async fn promql(c: &PromClient, q: &str, at: Timestamp) -> Vec<(BTreeMap<String, String>, f64)> {
    let r = c.query(q, Some(at)).await.unwrap();
    let QueryData::Vector(v) = r.data else {
        panic!("{q}: {:?}", r.data)
    };
    v.into_iter()
        .map(|s| (s.labels, s.sample.unwrap().value))
        .collect()
}

async fn one(c: &PromClient, q: &str, at: Timestamp) -> f64 {
    let v = promql(c, q, at).await;
    assert_eq!(v.len(), 1, "{q} gave {v:?}");
    v[0].1
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

#[tokio::test]
async fn lag_per_group_equals_promql_over_the_backfill() {
    let (m, fx) = port(PromqlTemplates::default()).await;
    let at = fx.timestamp(SAMPLES - 1);
    // The growing consumer reads under its label's group, the steady one
    // under its own name (the default), a third has no series at all.
    let growing = consumer("payments-scorer").with_group(GROWING_GROUP);
    let steady = consumer(STEADY_GROUP);
    let silent = consumer("no-such-group");
    let deploy = MetricsTarget::bare(WorkloadRef {
        kind: WorkloadKind::Deployment,
        ..steady.workload.clone()
    });
    let asked = [
        growing.clone(),
        steady.clone(),
        silent.clone(),
        deploy.clone(),
    ];
    let before = m.client().requests_sent();
    let health = m.fleet_health(&asked).await.unwrap();
    assert_eq!(
        m.client().requests_sent() - before,
        6 + 5,
        "six serving queries and five for the consumers, whatever their number"
    );
    assert!(
        !health.contains_key(&silent.workload),
        "no lag series, no row"
    );
    assert!(
        health
            .get(&deploy.workload)
            .is_none_or(|h| h.stream.is_none()),
        "only stream consumers read consumer lag"
    );
    let c = client();
    for (target, group) in [(&growing, GROWING_GROUP), (&steady, STEADY_GROUP)] {
        let s = health[&target.workload].stream.clone().unwrap();
        assert_eq!(s.group, group);
        let sel = format!("consumergroup=\"{group}\"");
        let lag = one(&c, &format!("sum(kafka_consumergroup_lag{{{sel}}})"), at).await;
        assert_eq!(s.lag_messages, lag, "{group}: lag in messages");
        let topics: Vec<String> = promql(
            &c,
            &format!("count by (topic) (kafka_consumergroup_lag{{{sel}}})"),
            at,
        )
        .await
        .into_iter()
        .map(|(l, _)| l["topic"].clone())
        .collect();
        assert_eq!(s.topic, topics.join(","), "{group}: topics");
        let rate = one(
            &c,
            &format!("sum(rate(kafka_consumergroup_current_offset{{{sel}}}[5m]))"),
            at,
        )
        .await;
        assert!(
            close(s.throughput.unwrap(), rate, 1e-9),
            "{group}: {s:?} vs {rate}"
        );
        let mut top = promql(
            &c,
            &format!("topk(3, kafka_consumergroup_lag{{{sel}}})"),
            at,
        )
        .await;
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        let want: Vec<(String, String, f64)> = top
            .into_iter()
            .map(|(l, v)| (l["topic"].clone(), l["partition"].clone(), v))
            .collect();
        let got: Vec<(String, String, f64)> = s
            .top_partitions
            .iter()
            .map(|p| (p.topic.clone(), p.partition.clone(), p.lag))
            .collect();
        assert_eq!(got, want, "{group}: top partitions");
        // The trend's slope is least squares over the window's steps: what
        // PromQL's deriv gives over the same points as a subquery.
        let slope = one(
            &c,
            &format!("deriv((sum(kafka_consumergroup_lag{{{sel}}}))[30m:60s])"),
            at,
        )
        .await;
        assert!(
            close(s.slope_per_s.unwrap(), slope, 1e-6),
            "{group}: slope {:?} vs deriv {slope}",
            s.slope_per_s
        );
        assert_eq!(
            s.history.len(),
            31,
            "{group}: 30 minutes at 60 s, both ends"
        );
        assert_eq!(s.history.last().unwrap(), &(at, lag));
    }
    let g = health[&growing.workload].stream.clone().unwrap();
    let st = health[&steady.workload].stream.clone().unwrap();
    assert_eq!(g.trend, LagTrend::Growing);
    assert_eq!(st.trend, LagTrend::Steady);
    // Seconds: the growing group's exporter gives them, the steady one's
    // does not (unknown, not zero).
    let secs = one(
        &c,
        &format!("max(kafka_consumergroup_lag_seconds{{consumergroup=\"{GROWING_GROUP}\"}})"),
        at,
    )
    .await;
    assert_eq!(g.lag_seconds, Some(secs));
    assert_eq!(st.lag_seconds, None);
    // The core judges them: behind (over 5 minutes and growing) and keeping up.
    assert_eq!(g.judge(&LagThresholds::default()), StreamVerdict::Behind);
    assert_eq!(st.judge(&LagThresholds::default()), StreamVerdict::Ok);
}

#[tokio::test]
async fn before_the_deploy_the_growing_group_was_steady() {
    let (m, fx) = port(PromqlTemplates::default()).await;
    let m = m.with_clock(Arc::new(FixedClock(
        fx.timestamp(modeldeck_prometheus::fixture::streams::DEPLOY_AT - 1),
    )));
    let t = consumer(GROWING_GROUP);
    let h = m.fleet_health(std::slice::from_ref(&t)).await.unwrap();
    let s = h[&t.workload].stream.clone().unwrap();
    assert_eq!(s.trend, LagTrend::Steady, "{s:?}");
}

#[tokio::test]
async fn overridden_templates_are_used_and_seconds_can_be_left_unknown() {
    let overrides = BTreeMap::from([
        ("consumer_lag_seconds".to_string(), String::new()),
        // Only the payments topic counts, as a user narrowing the template would.
        (
            "consumer_lag".to_string(),
            r#"sum by ({group_by}, topic) (kafka_consumergroup_lag{consumergroup=~"{groups}",topic="payments"})"#
                .to_string(),
        ),
        ("lag_trend_window".to_string(), "10m".to_string()),
    ]);
    let (m, fx) = port(PromqlTemplates::from_overrides(&overrides).unwrap()).await;
    let at = fx.timestamp(SAMPLES - 1);
    let t = consumer(GROWING_GROUP);
    let before = m.client().requests_sent();
    let h = m.fleet_health(std::slice::from_ref(&t)).await.unwrap();
    assert_eq!(
        m.client().requests_sent() - before,
        6 + 4,
        "no seconds query"
    );
    let s = h[&t.workload].stream.clone().unwrap();
    assert_eq!(s.lag_seconds, None);
    assert_eq!(s.topic, "payments");
    let c = client();
    let lag = one(
        &c,
        &format!(
            "sum(kafka_consumergroup_lag{{consumergroup=\"{GROWING_GROUP}\",topic=\"payments\"}})"
        ),
        at,
    )
    .await;
    assert_eq!(s.lag_messages, lag);
    assert_eq!(s.history.len(), 31, "the step is the window over 30: 20 s");
}

/// The lag over a detail's own window: what PromQL's range query of the
/// summed lag gives at the same start, end and step, for a 6-hour window
/// at 5 minutes (the fleet read keeps only 30 minutes). A group without
/// series, and a workload that is not a consumer, give an empty series.
#[tokio::test]
async fn lag_over_a_range_equals_promql_at_the_same_step() {
    let (m, fx) = port(PromqlTemplates::default()).await;
    let c = client();
    let end = fx.timestamp(SAMPLES - 1);
    let range = TimeRange {
        start: fx.timestamp(0),
        end,
        step_ms: 300_000,
    };
    for (target, group) in [
        (
            consumer("payments-scorer").with_group(GROWING_GROUP),
            GROWING_GROUP,
        ),
        (consumer(STEADY_GROUP), STEADY_GROUP),
    ] {
        let got = m.stream_lag_range(&target, range).await.unwrap();
        let rq = modeldeck_prometheus::RangeQuery::clamped(range.start, end, 300_000).unwrap();
        let want = c
            .query_range(
                &format!("sum(kafka_consumergroup_lag{{consumergroup=\"{group}\"}})"),
                &rq,
            )
            .await
            .unwrap()
            .data;
        assert_eq!(want.len(), 1, "{group}");
        let want: Vec<(Timestamp, f64)> = want[0].samples.iter().map(|p| (p.at, p.value)).collect();
        assert!(want.len() > 31, "{group}: more than the fleet's 30 minutes");
        assert_eq!(got.points, want, "{group}");
    }
    let silent = m
        .stream_lag_range(&consumer("no-such-group"), range)
        .await
        .unwrap();
    assert!(silent.points.is_empty());
    let deploy = MetricsTarget::bare(WorkloadRef {
        kind: WorkloadKind::Deployment,
        ..consumer(STEADY_GROUP).workload
    });
    assert!(
        m.stream_lag_range(&deploy, range)
            .await
            .unwrap()
            .points
            .is_empty()
    );
}
