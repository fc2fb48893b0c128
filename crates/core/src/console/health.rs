//! A workload's serving health over a window as the front ends ask for it
//! ([`Console::health`]): latency p50/p95/p99, request rate and error
//! ratio as series, each read through `Metrics::signal_range` at the step
//! of [`crate::chart::step_ms`]: at most two points per chart column and
//! never more than Prometheus' 11,000 per series.
//!
//! A stream consumer's view also carries its consumer lag over the same
//! range and step ([`HealthView::lag`], `Metrics::stream_lag_range`), so
//! its lag chart follows the detail's window like the other charts.
//!
//! Per-version series: when the workload serves two versions (a canary and
//! its stable one), each signal is also read through
//! `Metrics::signal_range_by_version`, one series per version
//! ([`HealthSeries::by_version`], [`HealthView::per_version`]). A backend
//! whose series carry no version (the default PromQL templates select by
//! namespace and workload; `version_label` unset) answers `Unsupported`:
//! the view then has the blended series only and [`HealthView::per_version_note`]
//! says why, rather than inventing a split the backend cannot give.

use super::Console;
use crate::domain::{Series, Signal, TimeRange, WorkloadRef};
use crate::error::{Backend, BackendError, PortResult};
use serde::Serialize;

/// The signals a health view reads, in display order.
pub const HEALTH_SIGNALS: [Signal; 5] = [
    Signal::LatencyP50,
    Signal::LatencyP95,
    Signal::LatencyP99,
    Signal::RequestRate,
    Signal::ErrorRatio,
];

/// A version a workload serves, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServedVersion {
    /// Model version.
    pub version: String,
    /// `stable` or `canary`.
    pub role: &'static str,
    /// Percent of the workload's traffic, when the cluster says (a canary's
    /// split; the stable version gets the rest).
    pub traffic_percent: Option<u8>,
}

/// One signal over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HealthSeries {
    /// Which signal.
    pub signal: Signal,
    /// Its points (NaN marks a gap); empty when the backend has no series
    /// for it (a batch job has no latency) or the read failed.
    pub series: Series,
    /// Why it could not be read, when it could not.
    pub error: Option<BackendError>,
    /// The same signal per serving version, when the backend splits it
    /// (sorted by version); empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<VersionSeries>>", optional))]
    pub by_version: Vec<VersionSeries>,
}

/// One signal of one version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionSeries {
    /// Model version.
    pub version: String,
    /// `stable` or `canary` when the workload serves it now; `None` for a
    /// version that served earlier in the window.
    pub role: Option<&'static str>,
    /// Its points (NaN marks a gap).
    pub series: Series,
}

/// A workload's health over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HealthView {
    /// The workload.
    pub target: WorkloadRef,
    /// The registered model it serves, when bound.
    pub model: Option<String>,
    /// The versions it serves (stable first, then a canary's).
    pub served: Vec<ServedVersion>,
    /// Whether the signals carry per-version series ([`HealthSeries::by_version`]).
    pub per_version: bool,
    /// Why there are no per-version series although the workload serves
    /// two versions (the backend cannot split, or the split read failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub per_version_note: Option<String>,
    /// The range asked for (end = now, step from [`crate::chart::step_ms`]).
    pub range: TimeRange,
    /// One entry per [`HEALTH_SIGNALS`] signal, in that order.
    pub signals: Vec<HealthSeries>,
    /// A stream consumer's lag over the same range; absent for other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub lag: Option<LagSeries>,
}

/// A stream consumer's consumer lag over a health view's range.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LagSeries {
    /// Messages behind, summed over the group's partitions, at the range's
    /// step (steps without data absent).
    pub series: Series,
    /// Why it could not be read (`unsupported` from a backend that reads
    /// lag only at an instant), when it could not.
    pub error: Option<BackendError>,
}

impl HealthView {
    /// The series of `signal`, when it was read.
    pub fn get(&self, signal: Signal) -> Option<&HealthSeries> {
        self.signals.iter().find(|s| s.signal == signal)
    }
}

impl Console {
    /// `target`'s latency p50/p95/p99, request rate and error ratio over
    /// the `window_ms` ending now, for a chart `columns` wide (the step
    /// from [`crate::chart::step_ms`]: at most `2 * columns` points and at
    /// most 11,000 per series, whole seconds). The five series are read concurrently;
    /// one that fails carries its error and leaves the others.
    ///
    /// Errors: `invalid_request` for a window that is not positive.
    pub async fn health(
        &self,
        target: &WorkloadRef,
        window_ms: i64,
        columns: u32,
    ) -> PortResult<HealthView> {
        if window_ms <= 0 {
            return Err(BackendError::new(
                Backend::Metrics,
                crate::error::ErrorCode::InvalidRequest,
                format!("a health window must be positive, got {window_ms} ms"),
            ));
        }
        let end = self.now();
        let range = TimeRange {
            start: end.plus_millis(-window_ms),
            end,
            step_ms: crate::chart::step_ms(window_ms, columns as usize),
        };
        let mt = self.metrics_target(target);
        let m = self.inner.backends.metrics.clone();
        let served = self.served_versions(target);
        let split = served.len() >= 2;
        let read = |signal: Signal| {
            let (m, mt) = (m.clone(), mt.clone());
            async move {
                let blended = self.bounded(
                    Backend::Metrics,
                    "reading a health series",
                    m.signal_range(&mt, signal, range),
                );
                let by_version = async {
                    if !split {
                        return Ok(Vec::new());
                    }
                    self.bounded(
                        Backend::Metrics,
                        "reading a health series by version",
                        m.signal_range_by_version(&mt, signal, range),
                    )
                    .await
                };
                let (r, v) = tokio::join!(blended, by_version);
                let (series, error) = match r {
                    Ok(series) => (series, None),
                    Err(e) => (Series::default(), Some(e)),
                };
                (
                    HealthSeries {
                        signal,
                        series,
                        error,
                        by_version: Vec::new(),
                    },
                    v,
                )
            }
        };
        let lag = async {
            if target.kind != crate::domain::WorkloadKind::StreamConsumer {
                return None;
            }
            let r = self
                .bounded(
                    Backend::Metrics,
                    "reading a consumer lag series",
                    m.stream_lag_range(&mt, range),
                )
                .await;
            Some(match r {
                Ok(series) => LagSeries {
                    series,
                    error: None,
                },
                Err(e) => LagSeries {
                    series: Series::default(),
                    error: Some(e),
                },
            })
        };
        let [a, b, c, d, e] = HEALTH_SIGNALS;
        let ((a, b, c, d, e), lag) = tokio::join!(
            async { tokio::join!(read(a), read(b), read(c), read(d), read(e)) },
            lag
        );
        let mut note = None;
        let mut signals = Vec::with_capacity(HEALTH_SIGNALS.len());
        for (mut hs, v) in [a, b, c, d, e] {
            match v {
                Ok(parts) => {
                    hs.by_version = parts
                        .into_iter()
                        .map(|(version, series)| VersionSeries {
                            role: served.iter().find(|s| s.version == version).map(|s| s.role),
                            version,
                            series,
                        })
                        .collect();
                }
                Err(e) if note.is_none() => {
                    note = Some(if e.code == crate::error::ErrorCode::Unsupported {
                        format!("versions mixed: {}", e.message)
                    } else {
                        format!("versions mixed: the split read failed: {e}")
                    });
                }
                Err(_) => {}
            }
            signals.push(hs);
        }
        let per_version = signals.iter().any(|s| !s.by_version.is_empty());
        Ok(HealthView {
            target: target.clone(),
            model: mt.model.clone(),
            served,
            per_version,
            per_version_note: if per_version { None } else { note },
            range,
            signals,
            lag,
        })
    }

    /// The versions the snapshot says `target` serves: the stable one, then
    /// a canary's with its traffic split.
    fn served_versions(&self, target: &WorkloadRef) -> Vec<ServedVersion> {
        let snap = self.snapshot();
        let Ok(i) = snap.workloads.binary_search_by(|w| w.id.cmp(target)) else {
            return Vec::new();
        };
        let w = &snap.workloads[i];
        let mut out = Vec::new();
        if let Some(v) = &w.served_version {
            out.push(ServedVersion {
                version: v.clone(),
                role: "stable",
                traffic_percent: w.canary.as_ref().map(|c| 100 - c.traffic_percent.min(100)),
            });
        }
        if let Some(c) = &w.canary {
            out.push(ServedVersion {
                version: c.version.clone(),
                role: "canary",
                traffic_percent: Some(c.traffic_percent),
            });
        }
        out
    }
}
