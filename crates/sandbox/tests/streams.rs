//! The demo's fraud consumer falls behind after its last deploy (issue 14):
//! its lag through the metrics port, the same numbers in the exposition
//! under kafka_exporter's names, and the steady default of other consumers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{demo, target, wref};
use modeldeck_core::domain::*;
use std::collections::BTreeMap;
use std::time::Duration;

fn scorer() -> WorkloadRef {
    wref(
        "prod-eu",
        "risk",
        WorkloadKind::StreamConsumer,
        "fraud-stream-scorer",
    )
}

async fn lag(sb: &modeldeck_sandbox::Sandbox) -> StreamLag {
    let m = sb.backends().metrics;
    let h = m.fleet_health(&[target(&scorer())]).await.unwrap();
    h[&scorer()].stream.clone().expect("the consumer has lag")
}

fn kafka(body: &str, name: &str, group: &str) -> BTreeMap<String, f64> {
    body.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| l.contains(&format!("consumergroup=\"{group}\"")))
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse::<f64>().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_fraud_consumer_falls_behind_after_its_deploy() {
    let sb = demo(42);
    let s = lag(&sb).await;
    assert_eq!(
        s.group, "fraud-scoring",
        "from the modeldeck.io/consumer-group label"
    );
    assert_eq!(s.topic, "payments.authorizations");
    assert_eq!(s.trend, LagTrend::Growing);
    assert_eq!(s.judge(&LagThresholds::default()), StreamVerdict::Behind);
    let secs = s.lag_seconds.unwrap();
    // Two hours at 250 msg/s, 40% on the worst partition of ~300 msg/s:
    // about 40 minutes behind.
    assert!((30.0 * 60.0..50.0 * 60.0).contains(&secs), "{secs}");
    assert_eq!(s.top_partitions.len(), 3);
    assert_eq!(s.top_partitions[0].partition, "2");
    assert!(s.top_partitions[0].lag >= s.top_partitions[1].lag);
    assert_eq!(s.throughput, Some(1800.0 - 250.0));
    assert_eq!(s.history.len(), 31);
    let slope = s.slope_per_s.unwrap();
    assert!((slope - 250.0).abs() < 5.0, "slope {slope}");
    // Ten minutes later it is further behind.
    sb.advance(Duration::from_secs(600));
    let later = lag(&sb).await;
    assert!(later.lag_messages > s.lag_messages + 250.0 * 590.0);
}

#[tokio::test]
async fn the_exposition_says_the_same_under_kafka_exporter_names() {
    let sb = demo(42);
    let s = lag(&sb).await;
    let body = sb.exporter().render();
    let lag = kafka(&body, "kafka_consumergroup_lag", "fraud-scoring");
    assert_eq!(lag.len(), 6, "six partitions: {lag:?}");
    assert!(
        lag.keys().all(|k| k.contains("cluster=\"prod-eu\"")
            && k.contains("topic=\"payments.authorizations\""))
    );
    assert_eq!(lag.values().sum::<f64>(), s.lag_messages);
    let secs = kafka(&body, "kafka_consumergroup_lag_seconds", "fraud-scoring");
    assert_eq!(secs.values().copied().reduce(f64::max), s.lag_seconds);
    // The committed offsets advance at the consumption rate.
    let off = kafka(&body, "kafka_consumergroup_current_offset", "fraud-scoring");
    sb.advance(Duration::from_secs(60));
    let body2 = sb.exporter().render();
    let off2 = kafka(
        &body2,
        "kafka_consumergroup_current_offset",
        "fraud-scoring",
    );
    let consumed: f64 = off2.values().sum::<f64>() - off.values().sum::<f64>();
    assert!(
        (consumed / 60.0 - 1550.0).abs() < 1550.0 * 0.02,
        "{consumed}"
    );
}

#[tokio::test]
async fn other_consumers_keep_up_and_serving_workloads_have_no_lag() {
    let sb = demo(42);
    let m = sb.backends().metrics;
    let snapshot = sb.backends().cluster.list_workloads().await.unwrap();
    let targets: Vec<MetricsTarget> = snapshot.iter().map(MetricsTarget::from).collect();
    let h = m.fleet_health(&targets).await.unwrap();
    for w in &snapshot {
        let s = h.get(&w.id).and_then(|h| h.stream.as_ref());
        if w.id.kind != WorkloadKind::StreamConsumer {
            assert!(s.is_none(), "{}", w.id);
        } else if w.id != scorer() {
            let s = s.unwrap();
            assert_eq!(s.trend, LagTrend::Steady, "{}: {s:?}", w.id);
            assert_eq!(s.judge(&LagThresholds::default()), StreamVerdict::Ok);
        }
    }
}
