//! Stream consumers' Kafka side (issue 14): the topic and partitions a
//! consumer reads, and its consumer lag as deterministic functions of
//! (seed, workload, time), so the Fleet, charts and the `/metrics`
//! exposition (kafka_exporter's names) all agree.
//!
//! Every stream consumer has a plan: the scenario's `stream` table, else
//! a steady default (`<name>-events`, four partitions). Producers write
//! `rps` messages a second spread unevenly over the partitions; a healthy
//! consumer lags one to two seconds' worth of messages per partition. With
//! `lag_growth` set, from the workload's last deploy the consumer reads
//! `lag_growth` messages a second slower than the producers (partition 2,
//! or the last, takes the largest share), so its lag grows; a later change
//! of the served version (a rollback, a fix) drains it again at the same
//! rate.

use crate::rng::{mix, smooth_noise};
use crate::world::{WorkloadState, World};
use modeldeck_core::domain::{
    CONSUMER_GROUP_LABEL, PartitionLag, StreamLag, Timestamp, WorkloadKind,
};
use serde::{Deserialize, Serialize};

/// How far back the lag history (and its trend) looks.
pub const TREND_WINDOW_MS: i64 = 30 * 60_000;
/// Step of the lag history.
pub const TREND_STEP_MS: i64 = 60_000;

/// A `stream` table of a scenario workload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamSpec {
    /// The topic read.
    pub topic: String,
    #[serde(default = "default_partitions")]
    pub partitions: u32,
    /// Messages a second the consumer falls behind by after its last deploy.
    #[serde(default)]
    pub lag_growth: f64,
}

fn default_partitions() -> u32 {
    4
}

/// A consumer's Kafka side in the world.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StreamPlan {
    pub topic: String,
    pub partitions: u32,
    pub lag_growth: f64,
    /// When the lag starts growing (the last deploy), if it does.
    pub grows_from: Option<Timestamp>,
}

/// What is wrong with a workload's `stream`, as (field, message).
pub(crate) fn problem(
    kind: WorkloadKind,
    rps: Option<f64>,
    spec: Option<&StreamSpec>,
    has_deploys: bool,
) -> Option<(String, String)> {
    let spec = spec?;
    let bad = |f: &str, m: String| Some((format!("stream.{f}"), m));
    if kind != WorkloadKind::StreamConsumer {
        return Some((
            "stream".into(),
            "only a stream_consumer reads a topic".into(),
        ));
    }
    if spec.topic.trim().is_empty() {
        return bad("topic", "must not be empty".into());
    }
    if !(1..=256).contains(&spec.partitions) {
        return bad(
            "partitions",
            format!("{} is outside 1-256", spec.partitions),
        );
    }
    let rps = rps.unwrap_or(200.0);
    if !(spec.lag_growth >= 0.0 && spec.lag_growth < 0.9 * rps) {
        return bad(
            "lag_growth",
            format!(
                "{} must be at least 0 and under 90% of rps ({rps}): the consumer still consumes",
                spec.lag_growth
            ),
        );
    }
    if spec.lag_growth > 0.0 && !has_deploys {
        return bad(
            "lag_growth",
            "the lag grows after the last deploy: give the workload `deploys`".into(),
        );
    }
    None
}

/// The plan for `spec`; `last_deploy` is when the workload was last deployed.
pub(crate) fn plan(spec: &StreamSpec, last_deploy: Option<Timestamp>) -> StreamPlan {
    StreamPlan {
        topic: spec.topic.clone(),
        partitions: spec.partitions,
        lag_growth: spec.lag_growth,
        grows_from: (spec.lag_growth > 0.0).then_some(last_deploy).flatten(),
    }
}

impl WorkloadState {
    /// A stream consumer's plan (the scenario's, else steady on
    /// `<name>-events`); `None` for other kinds.
    pub(crate) fn stream_plan(&self) -> Option<std::borrow::Cow<'_, StreamPlan>> {
        if self.kind != WorkloadKind::StreamConsumer {
            return None;
        }
        Some(
            match self.extra.as_deref().and_then(|e| e.stream.as_ref()) {
                Some(p) => std::borrow::Cow::Borrowed(p),
                None => std::borrow::Cow::Owned(StreamPlan {
                    topic: format!("{}-events", self.name),
                    partitions: 4,
                    lag_growth: 0.0,
                    grows_from: None,
                }),
            },
        )
    }

    /// The consumer group: the `modeldeck.io/consumer-group` label, else the name.
    pub(crate) fn consumer_group(&self) -> &str {
        self.extra
            .as_deref()
            .and_then(|e| e.labels.get(CONSUMER_GROUP_LABEL))
            .map_or(self.name.as_str(), String::as_str)
    }
}

/// Partition `p`'s share of the producers' messages (shares sum to 1).
fn produce_share(plan: &StreamPlan, p: u32) -> f64 {
    let n = plan.partitions.max(1);
    let weight = |q: u32| 1.0 + 0.25 * f64::from((q * 7 + 3) % 5) / 4.0;
    weight(p) / (0..n).map(weight).sum::<f64>()
}

/// Partition `p`'s share of the lag growth: the worst partition takes 40%.
fn growth_share(plan: &StreamPlan, p: u32) -> f64 {
    let n = plan.partitions.max(1);
    if n == 1 {
        return 1.0;
    }
    let worst = 2.min(n - 1);
    if p == worst {
        0.4
    } else {
        0.6 / f64::from(n - 1)
    }
}

/// Seconds of extra consumption deficit accumulated by `t`: growing from
/// the deploy until the next change of the served version, then draining.
fn deficit_secs(w: &WorkloadState, plan: &StreamPlan, t: Timestamp) -> f64 {
    let Some(from) = plan.grows_from else {
        return 0.0;
    };
    if t <= from {
        return 0.0;
    }
    let fixed = w.changes().iter().map(|c| c.at).find(|at| *at > from);
    let secs = |a: Timestamp, b: Timestamp| b.millis_since(a) as f64 / 1000.0;
    match fixed {
        Some(f) if t > f => (secs(from, f) - secs(f, t)).max(0.0),
        _ => secs(from, t),
    }
}

/// One partition at `t`: (messages behind, messages produced per second).
fn partition_at(w: &WorkloadState, plan: &StreamPlan, p: u32, t: Timestamp) -> (f64, f64) {
    let rate = w.base_rps * produce_share(plan, p);
    let noise = smooth_noise(mix(w.key, 900 + u64::from(p)), t.0, 120_000);
    let steady = rate * (1.5 + 0.5 * noise);
    let extra = plan.lag_growth * growth_share(plan, p) * deficit_secs(w, plan, t);
    ((steady + extra).round(), rate)
}

/// One partition of a consumer at one instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartitionAt {
    pub partition: u32,
    /// Messages behind.
    pub lag: f64,
    /// Seconds behind (the lag over the producers' rate).
    pub seconds: f64,
    /// The committed offset.
    pub offset: f64,
}

/// Every partition of `w` at `t`. The offset grows at the producers' rate
/// less the lag, from the workload's creation.
pub(crate) fn partitions_at(w: &WorkloadState, t: Timestamp) -> Vec<PartitionAt> {
    let Some(plan) = w.stream_plan() else {
        return Vec::new();
    };
    (0..plan.partitions)
        .map(|p| {
            let (lag, rate) = partition_at(w, &plan, p, t);
            let produced = rate * (t.millis_since(w.created_at).max(0) as f64 / 1000.0);
            let seconds = if rate > 0.0 { lag / rate } else { 0.0 };
            PartitionAt {
                partition: p,
                lag,
                seconds,
                offset: (produced - lag).max(0.0).round(),
            }
        })
        .collect()
}

/// Messages `w` is behind at `t`, summed over its partitions (`None` for
/// other kinds).
pub(crate) fn lag_total_at(w: &WorkloadState, t: Timestamp) -> Option<f64> {
    let plan = w.stream_plan()?;
    Some(
        (0..plan.partitions)
            .map(|p| partition_at(w, &plan, p, t).0)
            .sum(),
    )
}

/// The consumer lag of `w` at `t` (`None` for other kinds), with its
/// history over [`TREND_WINDOW_MS`] and the trend; the verdict is left to
/// the core.
pub(crate) fn lag_at(_world: &World, w: &WorkloadState, t: Timestamp) -> Option<StreamLag> {
    let plan = w.stream_plan()?;
    let parts = partitions_at(w, t);
    let total = |t: Timestamp| -> f64 { lag_total_at(w, t).unwrap_or(0.0) };
    let mut top: Vec<PartitionLag> = parts
        .iter()
        .map(|p| PartitionLag {
            topic: plan.topic.clone(),
            partition: p.partition.to_string(),
            lag: p.lag,
        })
        .collect();
    top.sort_by(|a, b| b.lag.total_cmp(&a.lag));
    top.truncate(3);
    let end = Timestamp(t.0 - t.0.rem_euclid(TREND_STEP_MS));
    let history: Vec<(Timestamp, f64)> = (0..=TREND_WINDOW_MS / TREND_STEP_MS)
        .rev()
        .map(|k| {
            let at = end.plus_millis(-k * TREND_STEP_MS);
            (at, total(at))
        })
        .collect();
    // The deficit moves by -1, 0 or 1 second a second.
    let moving = deficit_secs(w, &plan, t) - deficit_secs(w, &plan, t.plus_millis(-1000));
    let consumed = w.base_rps - plan.lag_growth * moving;
    let mut s = StreamLag {
        group: w.consumer_group().to_string(),
        topic: plan.topic.clone(),
        lag_messages: parts.iter().map(|p| p.lag).sum(),
        lag_seconds: parts.iter().map(|p| p.seconds).reduce(f64::max),
        throughput: Some(consumed.max(0.0)),
        top_partitions: top,
        history,
        ..StreamLag::default()
    };
    s.set_trend_from_history();
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one() {
        let plan = StreamPlan {
            topic: "t".into(),
            partitions: 6,
            lag_growth: 10.0,
            grows_from: None,
        };
        let p: f64 = (0..6).map(|q| produce_share(&plan, q)).sum();
        let g: f64 = (0..6).map(|q| growth_share(&plan, q)).sum();
        assert!((p - 1.0).abs() < 1e-12 && (g - 1.0).abs() < 1e-12);
    }
}
