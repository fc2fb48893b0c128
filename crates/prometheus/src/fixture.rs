//! Deterministic six-hour history for tests, as OpenMetrics text for
//! `promtool tsdb create-blocks-from openmetrics`. Four workloads of three
//! models with constant traffic (so `rate()` is exact), classic latency
//! histograms, per-feature PSI gauges (one model drifting), a one-hour gap,
//! NaN / +Inf / -Inf samples, feature-value histograms and data-quality
//! gauges. The canary InferenceService serves two versions whose request
//! and latency series carry a `version` label ([`FixtureVersion`]). The
//! expected values the integration tests assert come from the same
//! tables, never from the server. Sample `i` is at `start + 60 s * i`;
//! the gauge `modeldeck_fixture_end_seconds` carries the
//! end time so a test can find the fixture's anchor from the server.
//!
//! Live feature distributions for drift (issue 10's convention), eight
//! days at a ten-minute step ending at the same anchor (feature sample `j`
//! at [`Fixture::feature_time`]), with the models' reference profiles
//! ([`reference_profile`]; rows are [`features()`]):
//!
//! - `fx-sudden` `2`: `amount` (numeric) and `channel` (categorical) shift
//!   at [`SHIFT_AT`], 36 h before the end; `channel` gains the unseen
//!   category `crypto` there and starts missing 30 values per step (an
//!   incident); `amount` misses 2 per step throughout; a steady numeric
//!   prediction `score`.
//! - `fx-gradual` `1`: `tenure` moves one observation per step from its
//!   first bin to its last for every hour elapsed (PSI grows for days);
//!   its counters reset at [`RESET_AT`] (a process restart).
//! - `fx-seasonal` `1`: `load` swings between two shapes every 12 h, and
//!   any 24 h sums to exactly the reference; a steady categorical
//!   prediction `approved`.
//! - `fx-hostile` `1`: a categorical feature named [`HOSTILE_FEATURE`].
//!
//! Kafka consumer lag (issue 14) over the six hours, with kafka_exporter's
//! names: one group keeping up, one falling behind after a deploy
//! ([`streams`]).

use modeldeck_core::domain::{MetricsTarget, WorkloadKind, WorkloadRef};

/// Seconds between samples.
pub const STEP_SECS: i64 = 60;
/// Samples per series (6 h, both ends included).
pub const SAMPLES: i64 = 361;
/// Finite upper bounds of the latency histogram, seconds (+Inf follows).
pub const LATENCY_BOUNDS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
/// Finite upper bounds of the feature-value histogram (+Inf follows).
pub const FEATURE_BOUNDS: [f64; 4] = [10.0, 50.0, 100.0, 500.0];
/// Sample index holding NaN in a [`Drift::WithSpecials`] gauge.
pub const NAN_AT: i64 = 300;
/// Sample index holding +Inf.
pub const POS_INF_AT: i64 = 310;
/// Sample index holding -Inf.
pub const NEG_INF_AT: i64 = 320;
/// Counters start at `COUNTER_BASE` so `rate()` never extrapolates to zero.
pub const COUNTER_BASE: u64 = 1000;
/// Name of the anchor gauge.
pub const ANCHOR_METRIC: &str = "modeldeck_fixture_end_seconds";

// Representative latency per bucket in ms, for `_sum` (not asserted exactly).
const LATENCY_MID_MS: [u64; 9] = [3, 8, 18, 38, 75, 175, 375, 750, 1500];

/// How a feature's PSI evolves over the samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Drift {
    /// The same value at every sample.
    Constant(f64),
    /// `(start_milli + i) / 1000` at sample `i`: a model drifting away.
    RampMilli(u32),
    /// The value, except NaN at [`NAN_AT`], +Inf at [`POS_INF_AT`], -Inf at [`NEG_INF_AT`].
    WithSpecials(f64),
}

impl Drift {
    /// Value at sample `i`.
    pub fn at(self, i: i64) -> f64 {
        match self {
            Drift::Constant(v) => v,
            Drift::RampMilli(s) => (i64::from(s) + i) as f64 / 1000.0,
            Drift::WithSpecials(v) => match i {
                NAN_AT => f64::NAN,
                POS_INF_AT => f64::INFINITY,
                NEG_INF_AT => f64::NEG_INFINITY,
                _ => v,
            },
        }
    }
}

/// One workload of the fixture and everything it emits per minute.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureWorkload {
    /// Namespace label.
    pub namespace: &'static str,
    /// Workload label.
    pub workload: &'static str,
    /// Model label.
    pub model: &'static str,
    /// Kind, for building a [`WorkloadRef`].
    pub kind: WorkloadKind,
    /// Successful requests per minute (`status="ok"`).
    pub ok_per_min: u64,
    /// Failed requests per minute (`status="error"`; no series when 0).
    pub errors_per_min: u64,
    /// Requests per minute per latency bucket (not cumulative), the last
    /// one above the highest finite bound. Sums to ok + errors.
    pub latency_per_min: [u64; 9],
    /// PSI gauges by feature.
    pub features: &'static [(&'static str, Drift)],
    /// Data-quality gauges by check.
    pub quality: &'static [(&'static str, f64)],
    /// Feature-value histogram: feature and observations per minute per bin.
    pub feature_values: Option<(&'static str, [u64; 5])>,
    /// Sample indexes `[from, to)` with no samples at all (a scrape outage).
    pub gap: Option<(i64, i64)>,
    /// The model versions serving it, when its request and latency series
    /// carry a `version` label: their traffic adds up to the workload's
    /// numbers above, bucket by bucket, so the default templates (which
    /// sum the versions) read the same. Empty = series without `version`.
    pub versions: &'static [FixtureVersion],
}

/// One model version's share of a [`FixtureWorkload`]'s traffic, emitted
/// with a `version` label on `model_predictions_total` and
/// `model_request_latency_seconds` (the other families stay unversioned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixtureVersion {
    /// `version` label.
    pub version: &'static str,
    /// Successful requests per minute.
    pub ok_per_min: u64,
    /// Failed requests per minute (no error series when 0).
    pub errors_per_min: u64,
    /// Requests per minute per latency bucket, as the workload's.
    pub latency_per_min: [u64; 9],
}

impl FixtureVersion {
    /// Requests per second.
    pub fn request_rate(&self) -> f64 {
        (self.ok_per_min + self.errors_per_min) as f64 / 60.0
    }

    /// Failed fraction.
    pub fn error_ratio(&self) -> f64 {
        self.errors_per_min as f64 / (self.ok_per_min + self.errors_per_min) as f64
    }

    /// The latency quantile `q` as `histogram_quantile` computes it.
    pub fn latency_quantile(&self, q: f64) -> f64 {
        bucket_quantile(q, &self.latency_per_min, &LATENCY_BOUNDS)
    }
}

impl FixtureWorkload {
    /// Requests per second.
    pub fn request_rate(&self) -> f64 {
        (self.ok_per_min + self.errors_per_min) as f64 / 60.0
    }

    /// Failed fraction.
    pub fn error_ratio(&self) -> f64 {
        self.errors_per_min as f64 / (self.ok_per_min + self.errors_per_min) as f64
    }

    /// Whether sample `i` is missing.
    pub fn in_gap(&self, i: i64) -> bool {
        self.gap.is_some_and(|(a, b)| i >= a && i < b)
    }

    /// The workload as the port names it, in `cluster`.
    pub fn workload_ref(&self, cluster: &str) -> WorkloadRef {
        WorkloadRef {
            cluster: cluster.into(),
            namespace: self.namespace.into(),
            kind: self.kind,
            name: self.workload.into(),
        }
    }

    /// The workload with the model it serves, as the metrics port is asked
    /// about it, in `cluster`.
    pub fn metrics_target(&self, cluster: &str) -> MetricsTarget {
        MetricsTarget::new(self.workload_ref(cluster), self.model)
    }

    /// Highest PSI at sample `i` (NaN ignored, as PromQL `max` does).
    pub fn drift_max(&self, i: i64) -> Option<f64> {
        self.features
            .iter()
            .map(|(_, d)| d.at(i))
            .filter(|v| !v.is_nan())
            .reduce(f64::max)
    }

    /// The latency quantile `q` Prometheus' `histogram_quantile` computes
    /// from these buckets (linear interpolation, the +Inf bucket answering
    /// with the highest finite bound).
    pub fn latency_quantile(&self, q: f64) -> f64 {
        bucket_quantile(q, &self.latency_per_min, &LATENCY_BOUNDS)
    }

    /// Its serving series: `(version label, ok, errors, latency buckets)`
    /// per version, or the workload's own numbers without a version.
    pub fn serving_series(&self) -> Vec<(Option<&'static str>, u64, u64, [u64; 9])> {
        if self.versions.is_empty() {
            return vec![(
                None,
                self.ok_per_min,
                self.errors_per_min,
                self.latency_per_min,
            )];
        }
        self.versions
            .iter()
            .map(|v| {
                (
                    Some(v.version),
                    v.ok_per_min,
                    v.errors_per_min,
                    v.latency_per_min,
                )
            })
            .collect()
    }

    fn labels(&self) -> String {
        format!(
            "model=\"{}\",namespace=\"{}\",workload=\"{}\"",
            self.model, self.namespace, self.workload
        )
    }
}

/// `histogram_quantile` of Prometheus 2.x on per-bucket counts.
pub fn bucket_quantile(q: f64, per_bucket: &[u64], bounds: &[f64]) -> f64 {
    let cum: Vec<f64> = per_bucket
        .iter()
        .scan(0u64, |acc, n| {
            *acc += n;
            Some(*acc as f64)
        })
        .collect();
    let total = cum.last().copied().unwrap_or(0.0);
    let rank = q * total;
    let b = cum.iter().position(|c| *c >= rank).unwrap_or(cum.len() - 1);
    if b >= bounds.len() {
        return bounds.last().copied().unwrap_or(f64::NAN);
    }
    let (start, below) = if b == 0 {
        (0.0, 0.0)
    } else {
        (bounds[b - 1], cum[b - 1])
    };
    start + (bounds[b] - start) * ((rank - below) / (cum[b] - below))
}

/// The four fixture workloads.
pub fn workloads() -> Vec<FixtureWorkload> {
    use WorkloadKind::*;
    vec![
        FixtureWorkload {
            namespace: "prod",
            workload: "fraud-detector",
            model: "fraud",
            kind: Deployment,
            ok_per_min: 594,
            errors_per_min: 6,
            latency_per_min: [30, 90, 170, 160, 90, 45, 8, 7, 0],
            features: &[
                ("amount", Drift::Constant(0.03)),
                ("country", Drift::Constant(0.05)),
                ("device", Drift::Constant(0.02)),
            ],
            quality: &[
                ("missing_values", 0.002),
                ("out_of_range", 0.01),
                ("schema_violations", 0.0),
            ],
            feature_values: Some(("amount", [100, 250, 150, 80, 20])),
            gap: None,
            versions: &[],
        },
        FixtureWorkload {
            namespace: "prod",
            workload: "churn-scorer",
            model: "churn",
            kind: Deployment,
            ok_per_min: 285,
            errors_per_min: 15,
            latency_per_min: [0, 0, 30, 90, 120, 40, 15, 5, 0],
            features: &[
                ("tenure", Drift::RampMilli(20)),
                ("plan", Drift::Constant(0.08)),
                ("region", Drift::Constant(0.12)),
            ],
            quality: &[("missing_values", 0.03)],
            feature_values: None,
            gap: None,
            versions: &[],
        },
        FixtureWorkload {
            namespace: "staging",
            workload: "fraud-detector-canary",
            model: "fraud",
            kind: InferenceService,
            ok_per_min: 118,
            errors_per_min: 2,
            latency_per_min: [6, 18, 34, 32, 18, 8, 2, 2, 0],
            features: &[
                ("amount", Drift::Constant(0.04)),
                ("country", Drift::Constant(0.06)),
                ("device", Drift::Constant(0.01)),
            ],
            quality: &[],
            feature_values: None,
            gap: None,
            // A KServe canary rollout: 90 % of the requests on the stable
            // version 2, 10 % on the canary 3, slower and failing more.
            versions: &[
                FixtureVersion {
                    version: "2",
                    ok_per_min: 107,
                    errors_per_min: 1,
                    latency_per_min: [6, 17, 32, 30, 16, 5, 2, 0, 0],
                },
                FixtureVersion {
                    version: "3",
                    ok_per_min: 11,
                    errors_per_min: 1,
                    latency_per_min: [0, 1, 2, 2, 2, 3, 0, 2, 0],
                },
            ],
        },
        FixtureWorkload {
            namespace: "batch",
            workload: "recsys-nightly",
            model: "recsys",
            kind: CronJob,
            ok_per_min: 60,
            errors_per_min: 0,
            latency_per_min: [0, 0, 0, 0, 6, 12, 14, 16, 12],
            features: &[
                ("embedding_norm", Drift::WithSpecials(0.05)),
                ("category", Drift::Constant(0.07)),
            ],
            quality: &[],
            feature_values: None,
            gap: Some((120, 180)),
            versions: &[],
        },
    ]
}

pub mod batch;
mod feature_render;
mod features;
mod render;
pub mod streams;
pub use features::{
    Cells, FEATURE_BASE, FEATURE_SAMPLES, FEATURE_STEP_SECS, FixtureFeature, HOSTILE_FEATURE,
    PER_HOUR, REFERENCE_STEPS, RESET_AT, SHIFT_AT, Scenario, feature, features, reference_profile,
};
pub use render::Fixture;
