//! Stream consumers' Kafka side in the exposition, with the danielqsj
//! kafka_exporter's metric names so Modeldeck's default consumer-lag
//! templates read the sandbox as they read a real cluster:
//! `kafka_consumergroup_lag` and `kafka_consumergroup_current_offset`
//! (gauges by `consumergroup`, `topic`, `partition`), and
//! `kafka_consumergroup_lag_seconds` as kafka-lag-exporter gives it. A
//! `cluster` label tells the simulated clusters apart, as on the serving
//! series. Values are the world's at `t` (`crate::stream`).

use super::{esc, header, sample};
use crate::stream::PartitionAt;
use crate::world::World;
use modeldeck_core::domain::Timestamp;

pub(super) fn write(w: &World, t: Timestamp, out: &mut String) {
    let mut rows: Vec<(String, Vec<PartitionAt>)> = Vec::new();
    for s in &w.workloads {
        let Some(plan) = s.stream_plan() else {
            continue;
        };
        let cluster = w
            .clusters
            .get(s.cluster as usize)
            .map_or("", String::as_str);
        let labels = format!(
            "cluster=\"{}\",consumergroup=\"{}\",topic=\"{}\"",
            esc(cluster),
            esc(s.consumer_group()),
            esc(&plan.topic)
        );
        rows.push((labels, crate::stream::partitions_at(s, t)));
    }
    if rows.is_empty() {
        return;
    }
    type Value = fn(&PartitionAt) -> f64;
    let families: [(&str, &str, Value); 3] = [
        (
            "kafka_consumergroup_lag",
            "Current approximate lag of a consumer group at topic/partition (simulated).",
            |p| p.lag,
        ),
        (
            "kafka_consumergroup_current_offset",
            "Current offset of a consumer group at topic/partition (simulated).",
            |p| p.offset,
        ),
        (
            "kafka_consumergroup_lag_seconds",
            "Approximate seconds a consumer group is behind at topic/partition (simulated).",
            |p| p.seconds,
        ),
    ];
    for (name, help, value) in families {
        header(out, name, "gauge", help);
        for (labels, parts) in &rows {
            for p in parts {
                let labels = format!("{labels},partition=\"{}\"", p.partition);
                sample(out, name, &labels, value(p));
            }
        }
    }
}
