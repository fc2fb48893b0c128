//! Live health of a served model: traffic, latency, errors, drift.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// The signals the metrics backend is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Signal {
    /// Requests per second.
    RequestRate,
    /// Fraction of requests that failed (0..=1).
    ErrorRatio,
    /// 50th percentile latency, seconds.
    LatencyP50,
    /// 95th percentile latency, seconds.
    LatencyP95,
    /// 99th percentile latency, seconds.
    LatencyP99,
    /// Highest feature drift score (PSI) across features.
    DriftMax,
}

impl Signal {
    /// Every signal, in display order.
    pub const ALL: [Signal; 6] = [
        Signal::RequestRate,
        Signal::ErrorRatio,
        Signal::LatencyP50,
        Signal::LatencyP95,
        Signal::LatencyP99,
        Signal::DriftMax,
    ];
}

/// Drift verdict against the configured thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DriftStatus {
    /// Below the warning threshold.
    Ok,
    /// Between warning and alert.
    Warning,
    /// Above the alert threshold.
    Drifting,
    /// No data.
    Unknown,
}

impl DriftStatus {
    /// The default PSI at which drift is a warning (the industry's usual
    /// 0.1); profiles override it (`[profiles.X.drift] warn`).
    pub const DEFAULT_WARN: f64 = 0.1;
    /// The default PSI at which drift is an alert (the usual 0.25).
    pub const DEFAULT_ALERT: f64 = 0.25;

    /// Classify a PSI value against `warn` and `alert` (defaults
    /// [`Self::DEFAULT_WARN`], [`Self::DEFAULT_ALERT`]).
    pub fn from_psi(psi: Option<f64>, warn: f64, alert: f64) -> DriftStatus {
        match psi {
            Some(v) if v.is_nan() => DriftStatus::Unknown,
            Some(v) if v >= alert => DriftStatus::Drifting,
            Some(v) if v >= warn => DriftStatus::Warning,
            Some(_) => DriftStatus::Ok,
            None => DriftStatus::Unknown,
        }
    }
}

/// The latest health of one workload. Every value is optional: a backend
/// that has no series for it says so instead of a zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Health {
    /// Requests per second.
    pub request_rate: Option<f64>,
    /// Fraction of failed requests.
    pub error_ratio: Option<f64>,
    /// p50 latency, seconds.
    pub latency_p50: Option<f64>,
    /// p95 latency, seconds.
    pub latency_p95: Option<f64>,
    /// p99 latency, seconds.
    pub latency_p99: Option<f64>,
    /// Highest feature PSI.
    pub drift_max: Option<f64>,
    /// Consumer lag of a stream consumer's group (`None` for other kinds,
    /// or when the backend has no lag series for the group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<super::StreamLag>,
    /// When these values were read.
    pub read_at: Timestamp,
}

impl Health {
    /// The value of `signal`.
    pub fn get(&self, signal: Signal) -> Option<f64> {
        match signal {
            Signal::RequestRate => self.request_rate,
            Signal::ErrorRatio => self.error_ratio,
            Signal::LatencyP50 => self.latency_p50,
            Signal::LatencyP95 => self.latency_p95,
            Signal::LatencyP99 => self.latency_p99,
            Signal::DriftMax => self.drift_max,
        }
    }

    /// Sets the value of `signal`.
    pub fn set(&mut self, signal: Signal, value: Option<f64>) {
        let slot = match signal {
            Signal::RequestRate => &mut self.request_rate,
            Signal::ErrorRatio => &mut self.error_ratio,
            Signal::LatencyP50 => &mut self.latency_p50,
            Signal::LatencyP95 => &mut self.latency_p95,
            Signal::LatencyP99 => &mut self.latency_p99,
            Signal::DriftMax => &mut self.drift_max,
        };
        *slot = value;
    }
}

/// A time series of one signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Series {
    /// (time, value) points in time order; NaN marks a gap.
    #[cfg_attr(feature = "ts", ts(type = "Array<[number, number | null]>"))]
    pub points: Vec<(Timestamp, f64)>,
}

/// A half-open time range with a resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimeRange {
    /// Start (inclusive).
    pub start: Timestamp,
    /// End (inclusive).
    pub end: Timestamp,
    /// Step between points, milliseconds.
    pub step_ms: i64,
}

/// Drift of one input feature against the training reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Feature name.
    pub feature: String,
    /// Population stability index.
    pub psi: f64,
    /// Verdict.
    pub status: DriftStatus,
}
