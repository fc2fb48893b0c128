//! Live health as deterministic functions of (seed, workload, time): the
//! latest values and any history come from the same formulas, so a chart
//! always ends where the fleet table stands. Health follows the versions
//! serving at each instant (rollout and canary weights), each version with
//! its own seeded latency and error characteristics; drift comes from the
//! live feature distributions (`crate::drift::fleet`).

use crate::rng::{mix, smooth_noise};
use crate::world::{Model, Traits, WorkloadState, World};
use modeldeck_core::domain::{FeatureDrift, Health, Signal, Timestamp};

const DAY_MS: f64 = 86_400_000.0;

/// Versions serving traffic at one instant, with their shares (sum 1).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shares {
    parts: [(u32, f64); 3],
    len: usize,
}

impl Shares {
    fn push(&mut self, version: u32, weight: f64) {
        if weight <= 0.0 {
            return;
        }
        if let Some(slot) = self.parts.get_mut(self.len) {
            *slot = (version, weight);
            self.len += 1;
        }
    }

    /// (version, share) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.parts.iter().take(self.len).copied()
    }
}

/// Which versions served `w` at `t`, by traffic share.
pub(crate) fn shares_at(w: &WorkloadState, t: Timestamp) -> Shares {
    let changes = w.changes();
    let k = changes.partition_point(|c| c.at <= t);
    let canary = match changes.get(k) {
        Some(next) => next.canary_before,
        None => w.canary,
    };
    let mut base = Shares::default();
    match k.checked_sub(1).and_then(|i| changes.get(i)) {
        None => {
            let stable = changes.first().map_or(w.served, |c| c.from);
            base.push(stable, 1.0);
        }
        Some(c) => {
            let progress = if c.duration_ms <= 0 {
                1.0
            } else {
                (t.millis_since(c.at) as f64 / c.duration_ms as f64).clamp(0.0, 1.0)
            };
            let to = progress * c.max_weight;
            base.push(c.from, 1.0 - to);
            base.push(c.to, to);
        }
    }
    let Some(c) = canary else {
        return base;
    };
    let p = f64::from(c.percent.min(100)) / 100.0;
    let mut out = Shares::default();
    for (v, wt) in base.iter() {
        out.push(v, wt * (1.0 - p));
    }
    out.push(c.version, p);
    out
}

/// Share-weighted mean of `f` over the traits of the versions serving at `t`.
fn blended(model: &Model, w: &WorkloadState, t: Timestamp, f: impl Fn(&Traits) -> f64) -> f64 {
    let mut total = 0.0;
    let mut weight = 0.0;
    for (v, share) in shares_at(w, t).iter() {
        if let Some(version) = model.version(v) {
            total += share * f(&version.traits);
            weight += share;
        }
    }
    if weight > 0.0 { total / weight } else { 0.0 }
}

/// Daily load curve around 1 (0.65..1.35), phase-shifted per workload.
fn diurnal(key: u64, t: Timestamp) -> f64 {
    let phase = (key % 1000) as f64 / 1000.0 * 0.8;
    let day = (t.0.rem_euclid(86_400_000)) as f64 / DAY_MS;
    1.0 + 0.35 * (std::f64::consts::TAU * day - std::f64::consts::FRAC_PI_2 + phase).sin()
}

/// Smooth noise with a slow and a fast component, in about `[-1, 1]`.
fn wiggle(key: u64, t: Timestamp, slow_ms: i64, fast_ms: i64) -> f64 {
    0.75 * smooth_noise(key, t.0, slow_ms) + 0.25 * smooth_noise(mix(key, 1), t.0, fast_ms)
}

/// One signal of workload `w` at time `t`; `None` where the workload has no
/// such series (a batch job has no request rate or latency).
pub(crate) fn signal_at(
    world: &World,
    w: &WorkloadState,
    signal: Signal,
    t: Timestamp,
) -> Option<f64> {
    signal_of(world, w, signal, t, None)
}

/// One signal of the traffic version `version` of `w` serves at `t` (its
/// share of the requests, its own latency and errors); `None` when that
/// version serves none of `w`'s traffic at `t`.
pub(crate) fn version_signal_at(
    world: &World,
    w: &WorkloadState,
    signal: Signal,
    t: Timestamp,
    version: u32,
) -> Option<f64> {
    if signal == Signal::DriftMax {
        return None;
    }
    signal_of(world, w, signal, t, Some(version))
}

/// The traffic's mean of a version trait (the blend, or one version's).
type TraitMean<'a> = dyn Fn(&dyn Fn(&Traits) -> f64) -> f64 + 'a;

fn signal_of(
    world: &World,
    w: &WorkloadState,
    signal: Signal,
    t: Timestamp,
    only: Option<u32>,
) -> Option<f64> {
    let model = world.models.get(w.model as usize)?;
    let batch = w.kind.is_batch();
    let key = mix(w.key, signal as u64 + 1);
    let load = diurnal(w.key, t);
    // The whole workload, or one version's share and traits.
    let (share, base): (f64, &TraitMean) = match only {
        None => (1.0, &|f| blended(model, w, t, f)),
        Some(v) => {
            let share = shares_at(w, t)
                .iter()
                .filter(|(sv, _)| *sv == v)
                .map(|(_, s)| s)
                .sum::<f64>();
            let traits = &model.version(v)?.traits;
            if share <= 0.0 {
                return None;
            }
            (share, &move |f| f(traits))
        }
    };
    match signal {
        Signal::RequestRate if batch => None,
        Signal::RequestRate => {
            let v = w.base_rps * load * (1.0 + 0.12 * wiggle(key, t, 300_000, 30_000)) * share;
            Some(round(v.max(0.0), 3))
        }
        Signal::ErrorRatio => {
            let base = base(&|tr| tr.error_ratio);
            let v = base * (0.8 + 0.3 * load) * (1.0 + 0.35 * wiggle(key, t, 120_000, 15_000));
            Some(round(v.clamp(0.0, 1.0), 6))
        }
        Signal::LatencyP50 | Signal::LatencyP95 | Signal::LatencyP99 if batch => None,
        Signal::LatencyP50 | Signal::LatencyP95 | Signal::LatencyP99 => {
            let lat_key = mix(w.key, 77);
            let base = base(&|tr| tr.latency_s);
            let p50 =
                base * (0.85 + 0.2 * load) * (1.0 + 0.12 * wiggle(lat_key, t, 120_000, 20_000));
            let p95 = p50 * (2.1 + 0.25 * wiggle(mix(lat_key, 2), t, 300_000, 30_000));
            let p99 = p95 * (1.55 + 0.15 * wiggle(mix(lat_key, 3), t, 300_000, 30_000));
            let v = match signal {
                Signal::LatencyP50 => p50,
                Signal::LatencyP95 => p95,
                _ => p99,
            };
            Some(round(v.max(0.0), 6))
        }
        Signal::DriftMax => crate::drift::fleet::of_workload(world, w, t)?
            .iter()
            .map(|f| f.psi)
            .reduce(f64::max),
    }
}

/// Latest health of `w` at `t`.
pub(crate) fn health_at(world: &World, w: &WorkloadState, t: Timestamp) -> Health {
    let mut h = Health {
        read_at: t,
        ..Health::default()
    };
    for s in Signal::ALL {
        h.set(s, signal_at(world, w, s, t));
    }
    h.stream = crate::stream::lag_at(world, w, t);
    h
}

/// Per-feature drift (PSI) of what `w` serves at `t`, highest first;
/// empty when the served version has no reference profile.
pub(crate) fn feature_drift_at(
    world: &World,
    w: &WorkloadState,
    t: Timestamp,
) -> Vec<FeatureDrift> {
    crate::drift::fleet::of_workload(world, w, t)
        .map(|d| d.as_ref().clone())
        .unwrap_or_default()
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}
