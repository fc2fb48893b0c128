//! The Fleet's drift column and `feature_drift`, from the same sample the
//! drift screen reads: the served version's live counts over the 24 h
//! ([`FLEET_WINDOW_MS`], the console's default drift window) ending at the
//! last whole minute, aligned with the reference by the core's
//! `evaluate_feature`, scored with the core's PSI (`FeatureDrift` and
//! `Health::drift_max` are PSI-labelled). Every workload serving the same
//! version of a model shows the same numbers (the live counters are per
//! model and version, as in Prometheus). Computed once per (model,
//! version, minute) and kept.

use super::{live, reference, sim};
use crate::world::{WorkloadState, World};
use modeldeck_core::domain::{DriftStatus, FeatureDrift, Timestamp};
use modeldeck_core::drift::evaluate::evaluate_feature;
use std::sync::Arc;

/// The window the Fleet's drift column covers: 24 h (the console's
/// `DEFAULT_DRIFT_WINDOW`).
pub(crate) const FLEET_WINDOW_MS: i64 = 86_400_000;
/// PSI thresholds of the per-feature verdict.
const PSI_WARN: f64 = 0.1;
const PSI_ALERT: f64 = 0.25;

/// Each input feature's PSI, highest first; `None` when the version has no
/// reference profile.
pub(crate) type FleetDrift = Option<Arc<Vec<FeatureDrift>>>;

/// PSI of one feature's live counts against its reference, as the drift
/// screen aligns them. The one place the score is chosen.
fn psi(reference_share: &[f64], live_share: &[f64]) -> f64 {
    modeldeck_core::drift::math::psi(reference_share, live_share)
}

/// The version `w` was set to serve at `t` (the target of the last change
/// before `t`).
pub(crate) fn version_at(w: &WorkloadState, t: Timestamp) -> u32 {
    let changes = w.changes();
    let k = changes.partition_point(|c| c.at <= t);
    match k.checked_sub(1).and_then(|i| changes.get(i)) {
        Some(c) => c.to,
        None => changes.first().map_or(w.served, |c| c.from),
    }
}

/// The drift of model `mi` version `version` over the day ending at `t`.
pub(crate) fn drift(world: &World, mi: u32, version: u32, t: Timestamp) -> FleetDrift {
    let end = live::scrape_end(t);
    let minute = end.0 / live::SCRAPE_MS;
    if let Some((m, d)) = world.drift_cache.borrow().fleet.get(&(mi, version))
        && *m == minute
    {
        return d.clone();
    }
    let d = compute(world, mi, version, end);
    if end == live::scrape_end(world.now) {
        world
            .drift_cache
            .borrow_mut()
            .fleet
            .insert((mi, version), (minute, d.clone()));
    }
    d
}

fn compute(world: &World, mi: u32, version: u32, end: Timestamp) -> FleetDrift {
    let profile = reference(world, mi, version)?;
    let s = sim(world, mi)?;
    let traffic = live::traffic(world, mi, version, end, FLEET_WINDOW_MS);
    let mut out: Vec<FeatureDrift> = profile
        .features
        .iter()
        .filter_map(|pf| {
            let live = live::feature(s.get(&pf.name)?, pf, &traffic, version)?;
            let row = evaluate_feature(&profile, &pf.name, Some(&live))?;
            let v = psi(&row.reference_share, &row.live_share);
            v.is_finite().then(|| FeatureDrift {
                feature: pf.name.clone(),
                psi: v,
                status: DriftStatus::from_psi(Some(v), PSI_WARN, PSI_ALERT),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.psi
            .total_cmp(&a.psi)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    Some(Arc::new(out))
}

/// The drift of what `w` serves at `t`.
pub(crate) fn of_workload(world: &World, w: &WorkloadState, t: Timestamp) -> FleetDrift {
    drift(world, w.model, version_at(w, t), t)
}
