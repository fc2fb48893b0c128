//! Consumer lag of stream consumers (issue 14), in the fleet health: five
//! queries whatever the number of consumers, only when a stream consumer
//! is asked about: lag by group and topic (instant, and over
//! `lag_trend_window` for the trend), seconds behind, throughput, and the
//! most lagging partitions.
//!
//! A workload reads as its consumer group ([`MetricsTarget::consumer_group`]:
//! the `modeldeck.io/consumer-group` label, else its name). Results join on
//! the consumer group label, and on the cluster label too when the
//! templates set one and the series carries it. A group's lag is the sum
//! over its topics (each already summed over partitions); its history sums
//! the topics at each step of the range; the trend is the core's least
//! squares slope ([`modeldeck_core::domain::lag_trend`]). The verdict is
//! left to the core, which judges it against its thresholds.

use super::{PrometheusMetrics, port_error};
use crate::step::RangeQuery;
use crate::templates::{regex_alternation, render};
use crate::wire::{InstantSeries, Labels};
use modeldeck_core::domain::{
    MetricsTarget, PartitionLag, Series, StreamLag, TimeRange, Timestamp, WorkloadRef,
};
use modeldeck_core::error::PortResult;
use std::collections::{BTreeMap, BTreeSet};

/// Most partitions kept per group, worst first.
pub const TOP_PARTITIONS: usize = 3;
/// Points the trend range aims at (the step is the window over this).
const TREND_POINTS: i64 = 30;

/// Which asked-for workloads a result's labels stand for.
struct GroupIndex<'a> {
    /// group -> (cluster, workload)
    by_group: BTreeMap<&'a str, Vec<&'a WorkloadRef>>,
    group_label: &'a str,
    cluster_label: &'a str,
}

impl<'a> GroupIndex<'a> {
    fn lookup(&self, labels: &Labels) -> Vec<&'a WorkloadRef> {
        let cluster = (!self.cluster_label.is_empty())
            .then(|| labels.get(self.cluster_label))
            .flatten();
        labels
            .get(self.group_label)
            .and_then(|g| self.by_group.get(g.as_str()))
            .into_iter()
            .flatten()
            .copied()
            .filter(|w| cluster.is_none_or(|c| *c == w.cluster))
            .collect()
    }
}

impl PrometheusMetrics {
    /// The lag of every stream consumer among `targets` that has lag
    /// series, at `at` (the instant queries' evaluation time).
    pub(super) async fn stream_lags(
        &self,
        targets: &[MetricsTarget],
        at: Timestamp,
    ) -> PortResult<BTreeMap<WorkloadRef, StreamLag>> {
        let t = &self.templates;
        let mut by_group: BTreeMap<&str, Vec<&WorkloadRef>> = BTreeMap::new();
        for target in targets {
            if let Some(g) = target.consumer_group() {
                by_group.entry(g).or_default().push(&target.workload);
            }
        }
        if by_group.is_empty() {
            return Ok(BTreeMap::new());
        }
        let vars = [
            ("groups", regex_alternation(by_group.keys().copied())),
            ("group_by", t.group_by_clause()),
            ("window", t.window.clone()),
        ];
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let lag_q = render(&t.consumer_lag, &refs);
        let window_ms = t.lag_trend_window_ms();
        // Whole seconds, and an end on a multiple of the step, so the points
        // are those of a PromQL subquery `[window:step]` at the same time.
        let step_ms = (window_ms / TREND_POINTS / 1000).max(1) * 1000;
        let end = Timestamp(at.0 - at.0.rem_euclid(step_ms));
        let rq = RangeQuery::clamped(end.plus_millis(-window_ms), end, step_ms)
            .map_err(|e| port_error(e, "lag_trend_window"))?;
        let seconds = async {
            if t.consumer_lag_seconds.trim().is_empty() {
                return Ok(Vec::new());
            }
            let q = render(&t.consumer_lag_seconds, &refs);
            self.instant("consumer_lag_seconds", &q).await
        };
        let history = async {
            self.client
                .query_range(&lag_q, &rq)
                .await
                .map_err(|e| port_error(e, "consumer_lag"))
        };
        let throughput_q = render(&t.consumer_throughput, &refs);
        let top_q = render(&t.consumer_top_partitions, &refs);
        let (lag, seconds, throughput, top, history) = tokio::join!(
            self.instant("consumer_lag", &lag_q),
            seconds,
            self.instant("consumer_throughput", &throughput_q),
            self.instant("consumer_top_partitions", &top_q),
            history,
        );
        let index = GroupIndex {
            by_group,
            group_label: &t.consumer_group_label,
            cluster_label: &t.cluster_label,
        };
        let mut out: BTreeMap<WorkloadRef, StreamLag> = BTreeMap::new();
        let mut topics: BTreeMap<&WorkloadRef, BTreeSet<String>> = BTreeMap::new();
        for s in lag? {
            let Some(v) = finite(&s) else { continue };
            for w in index.lookup(&s.labels) {
                let e = out.entry(w.clone()).or_insert_with(|| StreamLag {
                    group: s
                        .labels
                        .get(&t.consumer_group_label)
                        .cloned()
                        .unwrap_or_default(),
                    ..StreamLag::default()
                });
                e.lag_messages += v;
                if let Some(topic) = s.labels.get(&t.topic_label) {
                    topics.entry(w).or_default().insert(topic.clone());
                }
            }
        }
        for (w, names) in topics {
            if let Some(e) = out.get_mut(w) {
                e.topic = names.into_iter().collect::<Vec<_>>().join(",");
            }
        }
        for s in seconds? {
            let Some(v) = finite(&s) else { continue };
            for w in index.lookup(&s.labels) {
                if let Some(e) = out.get_mut(w) {
                    e.lag_seconds = Some(e.lag_seconds.map_or(v, |old: f64| old.max(v)));
                }
            }
        }
        for s in throughput? {
            let Some(v) = finite(&s) else { continue };
            for w in index.lookup(&s.labels) {
                if let Some(e) = out.get_mut(w) {
                    e.throughput = Some(e.throughput.unwrap_or(0.0) + v);
                }
            }
        }
        for s in top? {
            let Some(v) = finite(&s) else { continue };
            let label = |l: &str| s.labels.get(l).cloned().unwrap_or_default();
            for w in index.lookup(&s.labels) {
                if let Some(e) = out.get_mut(w) {
                    e.top_partitions.push(PartitionLag {
                        topic: label(&t.topic_label),
                        partition: label(&t.partition_label),
                        lag: v,
                    });
                }
            }
        }
        let mut sums: BTreeMap<&WorkloadRef, BTreeMap<Timestamp, f64>> = BTreeMap::new();
        for s in history?.data {
            for w in index.lookup(&s.labels) {
                let steps = sums.entry(w).or_default();
                for p in s.samples.iter().filter(|p| p.value.is_finite()) {
                    *steps.entry(p.at).or_insert(0.0) += p.value;
                }
            }
        }
        for (w, e) in out.iter_mut() {
            e.top_partitions.sort_by(|a, b| {
                b.lag
                    .total_cmp(&a.lag)
                    .then_with(|| (&a.topic, &a.partition).cmp(&(&b.topic, &b.partition)))
            });
            e.top_partitions.truncate(TOP_PARTITIONS);
            e.history = sums
                .remove(w)
                .map(|m| m.into_iter().collect())
                .unwrap_or_default();
            e.set_trend_from_history();
        }
        Ok(out)
    }
}

impl PrometheusMetrics {
    /// `target`'s consumer lag over `range` (the `consumer_lag` template
    /// as a range query at the range's step, clamped to the point limit),
    /// its topics summed at each step; empty when the workload is not a
    /// stream consumer or has no lag series.
    pub(super) async fn lag_range(
        &self,
        target: &MetricsTarget,
        range: TimeRange,
    ) -> PortResult<Series> {
        let t = &self.templates;
        let Some(group) = target.consumer_group() else {
            return Ok(Series::default());
        };
        let vars = [
            ("groups", regex_alternation([group])),
            ("group_by", t.group_by_clause()),
            ("window", t.window.clone()),
        ];
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let q = render(&t.consumer_lag, &refs);
        let rq = RangeQuery::clamped(range.start, range.end, range.step_ms.max(1))
            .map_err(|e| port_error(e, "consumer_lag"))?;
        let data = self
            .client
            .query_range(&q, &rq)
            .await
            .map_err(|e| port_error(e, "consumer_lag"))?
            .data;
        let index = GroupIndex {
            by_group: BTreeMap::from([(group, vec![&target.workload])]),
            group_label: &t.consumer_group_label,
            cluster_label: &t.cluster_label,
        };
        let mut steps: BTreeMap<Timestamp, f64> = BTreeMap::new();
        for s in data {
            if index.lookup(&s.labels).is_empty() {
                continue;
            }
            for p in s.samples.iter().filter(|p| p.value.is_finite()) {
                *steps.entry(p.at).or_insert(0.0) += p.value;
            }
        }
        Ok(Series {
            points: steps.into_iter().collect(),
        })
    }
}

fn finite(s: &InstantSeries) -> Option<f64> {
    s.sample.map(|p| p.value).filter(|v| v.is_finite())
}
