//! The simulated metrics backend behind the [`Metrics`] port: fleet health,
//! ranged series, per-feature drift and live feature distributions, all
//! from the deterministic functions in `health` and `drift`, with
//! Prometheus-like limits on ranges. The model a
//! target carries is not needed: the sandbox knows what each of its
//! workloads serves.

use crate::drift::{self, live};
use crate::health;
use crate::shared::Shared;
use crate::world::World;
use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::drift::fairness::{OutcomeCount, OutcomeSample};
use modeldeck_core::drift::{LiveFeature, LiveSample, ReferenceProfile};
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

/// The workload a range query asks about and its point count, after
/// Prometheus' checks ([`check_range`], at most [`MAX_POINTS`] points).
fn ranged<'w>(
    w: &'w World,
    target: &WorkloadRef,
    range: TimeRange,
) -> PortResult<(&'w crate::world::WorkloadState, usize)> {
    check_range(range)?;
    let points = range.end.millis_since(range.start) / range.step_ms + 1;
    if points > MAX_POINTS {
        return Err(BackendError::new(
            Backend::Metrics,
            ErrorCode::TooLarge,
            format!("{points} points asked; at most {MAX_POINTS} per series: widen the step"),
        ));
    }
    let state = w
        .workloads
        .get(w.workload_index(target).ok_or_else(|| no_series(target))?)
        .ok_or_else(|| no_series(target))?;
    Ok((state, points.max(0) as usize))
}

/// Calls `f` at each step of `range` from the workload's creation up to now.
fn for_steps(
    w: &World,
    state: &crate::world::WorkloadState,
    range: TimeRange,
    mut f: impl FnMut(Timestamp),
) {
    let mut t = range.start;
    while t <= range.end && t <= w.now {
        if t >= state.created_at {
            f(t);
        }
        t = t.plus_millis(range.step_ms);
    }
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
            let (state, points) = ranged(w, target, range)?;
            let mut out = Vec::with_capacity(points);
            for_steps(w, state, range, |t| {
                if let Some(v) = health::signal_at(w, state, signal, t) {
                    out.push((t, v));
                }
            });
            Ok(Series { points: out })
        })
    }

    async fn signal_range_by_version(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Vec<(String, Series)>> {
        let target = &target.workload;
        if signal == Signal::DriftMax {
            // As the Prometheus adapter: drift is the model's, not a
            // serving signal split by version.
            return Err(BackendError::new(
                Backend::Metrics,
                ErrorCode::Unsupported,
                format!("drift_max is not split by version ({target})"),
            ));
        }
        self.shared.call(Backend::Metrics, |w| {
            let (state, _) = ranged(w, target, range)?;
            let mut by: BTreeMap<u32, Series> = BTreeMap::new();
            for_steps(w, state, range, |t| {
                for (v, _) in health::shares_at(state, t).iter() {
                    if let Some(x) = health::version_signal_at(w, state, signal, t, v) {
                        by.entry(v).or_default().points.push((t, x));
                    }
                }
            });
            Ok(by.into_iter().map(|(v, s)| (v.to_string(), s)).collect())
        })
    }

    async fn batch_rows(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, BTreeMap<String, f64>>> {
        self.shared.call(Backend::Metrics, |w| {
            let now = w.now;
            Ok(targets
                .iter()
                .filter_map(|t| {
                    let state = w.workloads.get(w.workload_index(&t.workload)?)?;
                    let rows = crate::batch::rows::rows_by_job(state, now);
                    (!rows.is_empty()).then(|| (t.workload.clone(), rows))
                })
                .collect())
        })
    }

    async fn stream_lag_range(
        &self,
        target: &MetricsTarget,
        range: TimeRange,
    ) -> PortResult<Series> {
        let target = &target.workload;
        self.shared.call(Backend::Metrics, |w| {
            let (state, points) = ranged(w, target, range)?;
            let mut out = Vec::with_capacity(points);
            for_steps(w, state, range, |t| {
                if let Some(v) = crate::stream::lag_total_at(state, t) {
                    out.push((t, v));
                }
            });
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

    async fn feature_sample(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<LiveSample> {
        self.shared.call(Backend::Metrics, |w| {
            let (mi, n) = model_version(w, model, version)?;
            positive_window(window_ms)?;
            let at = at.map_or(w.now, |a| a.min(w.now));
            let Some(sim) = drift::sim(w, mi) else {
                return Err(model_missing(model));
            };
            let traffic = live::traffic(w, mi, n, live::scrape_end(at), window_ms);
            Ok(LiveSample {
                at,
                window_ms,
                features: live::sample(&sim, profile, &traffic, n),
            })
        })
    }

    async fn feature_sample_range(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
        feature: &str,
        window_ms: i64,
        range: TimeRange,
    ) -> PortResult<Vec<(Timestamp, LiveFeature)>> {
        self.shared.call(Backend::Metrics, |w| {
            let (mi, n) = model_version(w, model, version)?;
            positive_window(window_ms)?;
            check_range(range)?;
            let Some(pf) = profile.feature(feature) else {
                return Err(BackendError::new(
                    Backend::Metrics,
                    ErrorCode::InvalidRequest,
                    format!("{model} v{version}'s reference profile has no feature {feature:?}"),
                ));
            };
            let Some(sim) = drift::sim(w, mi) else {
                return Err(model_missing(model));
            };
            let Some(fsim) = sim.get(feature) else {
                return Ok(Vec::new());
            };
            // Clamp the step so no series passes the point limit.
            let span = range.end.millis_since(range.start);
            let step = range.step_ms.max(span / (MAX_POINTS - 1) + 1);
            let mut out = Vec::new();
            let mut t = range.start;
            while t <= range.end && t <= w.now {
                let traffic = live::traffic(w, mi, n, live::scrape_end(t), window_ms);
                if let Some(f) = live::feature(fsim, pf, &traffic, n) {
                    out.push((t, f));
                }
                t = t.plus_millis(step);
            }
            Ok(out)
        })
    }

    async fn outcome_counts(
        &self,
        model: &str,
        version: &str,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<OutcomeSample> {
        self.shared.call(Backend::Metrics, |w| {
            let (mi, n) = model_version(w, model, version)?;
            positive_window(window_ms)?;
            let at = at.map_or(w.now, |a| a.min(w.now));
            Ok(OutcomeSample {
                at,
                window_ms,
                counts: outcomes(w, mi, n, at, window_ms),
            })
        })
    }
}

/// The expected rows per group and outcome of model `mi`'s protected
/// attribute (if it has one) served by `version` over the window: the
/// version's rows x the group's share of the categorical feature x the
/// group's positive rate (`<outcome>`) or its complement
/// (`not_<outcome>`). Expected counts, no noise: they add up over windows.
fn outcomes(w: &World, mi: u32, version: u32, at: Timestamp, window_ms: i64) -> Vec<OutcomeCount> {
    let Some(p) = w
        .models
        .get(mi as usize)
        .and_then(|m| m.drift.protected.as_ref())
    else {
        return Vec::new();
    };
    let Some(sim) = drift::sim(w, mi) else {
        return Vec::new();
    };
    let Some(drift::catalog::Shape::Categorical { names, probs }) =
        sim.get(&p.feature).map(|f| &f.shape)
    else {
        return Vec::new();
    };
    let total = live::traffic(w, mi, version, live::scrape_end(at), window_ms).total;
    if total <= 0.0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (group, share) in names.iter().zip(probs) {
        let rate = p.rates.get(group).copied().unwrap_or(0.0).clamp(0.0, 1.0);
        let rows = total * share;
        for (outcome, n) in [
            (p.outcome.clone(), rows * rate),
            (format!("not_{}", p.outcome), rows * (1.0 - rate)),
        ] {
            out.push(OutcomeCount {
                attribute: p.feature.clone(),
                group: group.clone(),
                outcome,
                count: n,
            });
        }
    }
    out
}

fn model_missing(model: &str) -> BackendError {
    BackendError::not_found(
        Backend::Metrics,
        format!("no feature series for model {model:?}: the sandbox has no such model"),
    )
    .at(format!("sandbox://metrics/models/{model}"))
}

/// The model's index and the version's number, or not-found naming them.
fn model_version(w: &World, model: &str, version: &str) -> PortResult<(u32, u32)> {
    let mi = w.model_index(model).ok_or_else(|| model_missing(model))?;
    let n = version
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| w.models.get(mi).is_some_and(|m| m.version(*n).is_some()))
        .ok_or_else(|| {
            BackendError::not_found(
                Backend::Metrics,
                format!("no feature series for version {version:?} of model {model:?}"),
            )
            .at(format!(
                "sandbox://metrics/models/{model}/versions/{version}"
            ))
        })?;
    Ok((mi as u32, n))
}

fn positive_window(window_ms: i64) -> PortResult<()> {
    if window_ms <= 0 {
        return Err(BackendError::new(
            Backend::Metrics,
            ErrorCode::InvalidRequest,
            format!("window must be positive, got {window_ms} ms"),
        ));
    }
    Ok(())
}

fn check_range(range: TimeRange) -> PortResult<()> {
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
    Ok(())
}
