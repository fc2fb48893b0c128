//! The simulated metrics backend behind the [`Metrics`] port: fleet health,
//! ranged series and per-feature drift, all from the deterministic
//! functions in `health`, with Prometheus-like limits on ranges. The model a
//! target carries is not needed: the sandbox knows what each of its
//! workloads serves.

use crate::health;
use crate::shared::Shared;
use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::Metrics;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most points one series may have (Prometheus' limit).
const MAX_POINTS: i64 = 11_000;

/// The metrics port of one sandbox.
#[derive(Debug, Clone)]
pub(crate) struct SandboxMetrics {
    pub shared: Arc<Shared>,
}

fn no_series(target: &WorkloadRef) -> BackendError {
    BackendError::not_found(Backend::Metrics, format!("no series for workload {target}"))
        .at(target.to_string())
}

#[async_trait]
impl Metrics for SandboxMetrics {
    fn describe(&self) -> String {
        let seed = self.shared.lock().seed;
        format!("sandbox metrics (seed {seed})")
    }

    async fn fleet_health(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, Health>> {
        self.shared.call(Backend::Metrics, |w| {
            let now = w.now;
            Ok(targets
                .iter()
                .map(|t| &t.workload)
                .filter_map(|r| {
                    let state = w.workloads.get(w.workload_index(r)?)?;
                    Some((r.clone(), health::health_at(w, state, now)))
                })
                .collect())
        })
    }

    async fn signal_range(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Series> {
        let target = &target.workload;
        self.shared.call(Backend::Metrics, |w| {
            if range.step_ms <= 0 {
                return Err(BackendError::new(
                    Backend::Metrics,
                    ErrorCode::InvalidRequest,
                    format!("step must be positive, got {} ms", range.step_ms),
                ));
            }
            if range.end < range.start {
                return Err(BackendError::new(
                    Backend::Metrics,
                    ErrorCode::InvalidRequest,
                    format!(
                        "range end {} is before its start {}",
                        range.end.rfc3339(),
                        range.start.rfc3339()
                    ),
                ));
            }
            let points = range.end.millis_since(range.start) / range.step_ms + 1;
            if points > MAX_POINTS {
                return Err(BackendError::new(
                    Backend::Metrics,
                    ErrorCode::TooLarge,
                    format!(
                        "{points} points asked; at most {MAX_POINTS} per series: widen the step"
                    ),
                ));
            }
            let state = w
                .workloads
                .get(w.workload_index(target).ok_or_else(|| no_series(target))?)
                .ok_or_else(|| no_series(target))?;
            let now = w.now;
            let mut out = Vec::with_capacity(points.max(0) as usize);
            let mut t = range.start;
            while t <= range.end && t <= now {
                if t >= state.created_at
                    && let Some(v) = health::signal_at(w, state, signal, t)
                {
                    out.push((t, v));
                }
                t = t.plus_millis(range.step_ms);
            }
            Ok(Series { points: out })
        })
    }

    async fn feature_drift(&self, target: &MetricsTarget) -> PortResult<Vec<FeatureDrift>> {
        let target = &target.workload;
        self.shared.call(Backend::Metrics, |w| {
            let state = w
                .workloads
                .get(w.workload_index(target).ok_or_else(|| no_series(target))?)
                .ok_or_else(|| no_series(target))?;
            Ok(health::feature_drift_at(w, state, w.now))
        })
    }
}
