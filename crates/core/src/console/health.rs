//! A workload's serving health over a window as the front ends ask for it
//! ([`Console::health`]): latency p50/p95/p99, request rate and error
//! ratio as series, each read through `Metrics::signal_range` at the step
//! of [`crate::chart::step_ms`]: at most two points per chart column and
//! never more than Prometheus' 11,000 per series.
//!
//! Per-version series: the metrics port selects a workload's signals by
//! workload (`MetricsTarget` carries no version, the default PromQL
//! templates select by namespace and workload, the sandbox blends a
//! canary's traffic into its workload's numbers), so a workload that
//! serves a stable and a canary version has one series per signal, both
//! versions mixed. [`HealthView::served`] says which versions that mix
//! holds and [`HealthView::per_version`] is false, rather than inventing a
//! split the backend cannot give.

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
pub struct HealthSeries {
    /// Which signal.
    pub signal: Signal,
    /// Its points (NaN marks a gap); empty when the backend has no series
    /// for it (a batch job has no latency) or the read failed.
    pub series: Series,
    /// Why it could not be read, when it could not.
    pub error: Option<BackendError>,
}

/// A workload's health over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthView {
    /// The workload.
    pub target: WorkloadRef,
    /// The registered model it serves, when bound.
    pub model: Option<String>,
    /// The versions it serves (stable first, then a canary's).
    pub served: Vec<ServedVersion>,
    /// Whether the series are split by version. Always false today: the
    /// metrics port selects by workload (see the module doc).
    pub per_version: bool,
    /// The range asked for (end = now, step from [`crate::chart::step_ms`]).
    pub range: TimeRange,
    /// One entry per [`HEALTH_SIGNALS`] signal, in that order.
    pub signals: Vec<HealthSeries>,
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
        let read = |signal: Signal| {
            let (m, mt) = (m.clone(), mt.clone());
            async move {
                let r = self
                    .bounded(
                        Backend::Metrics,
                        "reading a health series",
                        m.signal_range(&mt, signal, range),
                    )
                    .await;
                match r {
                    Ok(series) => HealthSeries {
                        signal,
                        series,
                        error: None,
                    },
                    Err(e) => HealthSeries {
                        signal,
                        series: Series::default(),
                        error: Some(e),
                    },
                }
            }
        };
        let [a, b, c, d, e] = HEALTH_SIGNALS;
        let (a, b, c, d, e) = tokio::join!(read(a), read(b), read(c), read(d), read(e));
        Ok(HealthView {
            target: target.clone(),
            model: mt.model.clone(),
            served: self.served_versions(target),
            per_version: false,
            range,
            signals: vec![a, b, c, d, e],
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
