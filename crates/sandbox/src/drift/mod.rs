//! Drift in the simulated world: every model version's reference profile
//! and the live distributions of its features, so the drift math of issue
//! 10 runs on simulated data.
//!
//! The world's input data is one population per model, the same whatever
//! version serves it: each feature has a shape ([`catalog`]) and the
//! model's [`DriftPlan`] moves it over time (a sudden step, a gradual
//! ramp, a daily season, a missing-value incident). A version's reference
//! profile freezes the population as it was when the version's training
//! data ended ([`profile`]); the live counts of a version are the traffic
//! its workloads served over a window, spread over the profile's bins by
//! the population at each instant ([`live`]). So an alias move (a
//! promotion patching the workloads) moves the traffic to another version
//! and the comparison to that version's reference. The Fleet's drift
//! column and `feature_drift` come from the same samples ([`fleet`]).

pub(crate) mod catalog;
pub(crate) mod dist;
pub(crate) mod fleet;
pub(crate) mod live;
pub(crate) mod profile;

use crate::world::{Model, World};
use catalog::Shape;
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::ReferenceProfile;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const DAY_MS: f64 = 86_400_000.0;
/// How far behind a retrained ("fresh") version's data ends: it was
/// trained on the hours just before it was registered.
pub(crate) const FRESH_DATA_LAG_MS: i64 = 3_600_000;
/// How far behind any other version's data ends.
pub(crate) const DATA_LAG_MS: i64 = 86_400_000;

/// How a model's population moves over time (from the scenario's
/// `[models.drift]`, or `drifting = true`'s defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct DriftPlan {
    /// A step change of one feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudden: Option<Step>,
    /// A linear drift of one feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gradual: Option<Ramp>,
    /// Features that follow the local time of day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seasonal: Vec<Season>,
    /// A data-quality incident: one feature missing in a share of rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Outage>,
    /// A protected attribute and the positive-outcome rate of each group
    /// (the data a fairness check will read; no drift of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected: Option<Protected>,
    /// Versions above this number were retrained on recent data: their
    /// data ends [`FRESH_DATA_LAG_MS`] before they were registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_after: Option<u32>,
}

/// `feature` moves by `shift` at `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Step {
    pub feature: String,
    pub at: Timestamp,
    /// Sigmas of the latent normal for a numeric feature; the share of
    /// rows moved to the reversed category mix for a categorical one.
    pub shift: f64,
}

/// `feature` moves by `per_day` per day from `from` on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Ramp {
    pub feature: String,
    pub from: Timestamp,
    pub per_day: f64,
}

/// `feature` follows the local time of day: its centre sits `amplitude`
/// sigmas above average at the daily peak (local noon), as far below at
/// midnight; a feature named `hour_of_day` is the local hour itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Season {
    pub feature: String,
    pub amplitude: f64,
}

/// `feature` is missing in `rate` of the rows from `from` until `until`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Outage {
    pub feature: String,
    pub from: Timestamp,
    pub until: Timestamp,
    pub rate: f64,
}

/// A protected attribute: the categorical `feature` whose groups get the
/// positive `outcome` at the given rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Protected {
    pub feature: String,
    pub outcome: String,
    pub rates: BTreeMap<String, f64>,
}

/// Hours before the start the default sudden shift happens.
pub(crate) const DEFAULT_SUDDEN_HOURS_AGO: i64 = 20;
/// Sigmas of the default sudden shift.
pub(crate) const DEFAULT_SUDDEN_SHIFT: f64 = 1.2;
/// Days before the start the default gradual drift began.
pub(crate) const DEFAULT_GRADUAL_DAYS: i64 = 14;
/// Sigmas the default gradual drift has reached by the start.
pub(crate) const DEFAULT_GRADUAL_SHIFT: f64 = 1.0;

/// `drifting = true`'s drifts: the first feature shifts suddenly
/// [`DEFAULT_SUDDEN_HOURS_AGO`] hours before `start`, the second has drifted
/// gradually over the [`DEFAULT_GRADUAL_DAYS`] days before it.
pub(crate) fn drifting_defaults(
    features: &[String],
    start: Timestamp,
) -> (Option<Step>, Option<Ramp>) {
    let sudden = features.first().map(|f| Step {
        feature: f.clone(),
        at: start.plus_millis(-DEFAULT_SUDDEN_HOURS_AGO * 3_600_000),
        shift: DEFAULT_SUDDEN_SHIFT,
    });
    let gradual = features.get(1).map(|f| Ramp {
        feature: f.clone(),
        from: start.plus_millis(-DEFAULT_GRADUAL_DAYS * 86_400_000),
        per_day: DEFAULT_GRADUAL_SHIFT / DEFAULT_GRADUAL_DAYS as f64,
    });
    (sudden, gradual)
}

/// A step (when, sigmas) or a ramp (from when, sigmas per day).
type Move = Option<(Timestamp, f64)>;

/// One feature (or the prediction) of a model as the simulation draws it.
#[derive(Debug, Clone)]
pub(crate) struct Sim {
    pub name: String,
    pub shape: Shape,
    /// Share of rows missing outside any incident.
    pub missing: f64,
    pub sudden: Move,
    /// Start and sigmas per day.
    pub gradual: Move,
    pub seasonal: Option<f64>,
    pub outage: Option<(Timestamp, Timestamp, f64)>,
    /// For the prediction: the input steps and ramps it follows, scaled.
    pub follows: Vec<(Move, Move)>,
    /// Stable key of this feature's noise.
    pub key: u64,
}

/// How much the prediction moves per sigma its drifting inputs move.
const PREDICTION_FOLLOWS: f64 = 0.35;

impl Sim {
    /// The non-seasonal shift at `t`.
    pub fn shift_at(&self, t: Timestamp) -> f64 {
        let own = step_ramp(self.sudden, self.gradual, t);
        let followed: f64 = self
            .follows
            .iter()
            .map(|(s, g)| step_ramp(*s, *g, t).abs())
            .sum();
        own + PREDICTION_FOLLOWS * followed
    }

    /// The missing share at `t`.
    pub fn missing_at(&self, t: Timestamp) -> f64 {
        match self.outage {
            Some((from, until, rate)) if t >= from && t < until => rate,
            _ => self.missing,
        }
    }

    /// Whether the values (not the missing share) change with time.
    pub fn moves(&self) -> bool {
        self.sudden.is_some()
            || self.gradual.is_some()
            || self.seasonal.is_some()
            || !self.follows.is_empty()
            || self.shape == Shape::HourOfDay
    }
}

fn step_ramp(sudden: Move, gradual: Move, t: Timestamp) -> f64 {
    let mut s = 0.0;
    if let Some((at, shift)) = sudden
        && t >= at
    {
        s += shift;
    }
    if let Some((from, per_day)) = gradual
        && t > from
    {
        s += per_day * t.millis_since(from) as f64 / DAY_MS;
    }
    s
}

/// Every simulated feature of a model, and its prediction.
#[derive(Debug, Clone)]
pub(crate) struct ModelSim {
    pub features: Vec<Sim>,
    pub prediction: Sim,
}

impl ModelSim {
    /// The model's simulation, from the seed, its feature names and plan.
    pub fn build(seed: u64, m: &Model) -> ModelSim {
        let plan = &m.drift;
        let key = crate::rng::mix(seed, crate::rng::hash_str(&m.name));
        let features: Vec<Sim> = m
            .features
            .iter()
            .map(|f| {
                let seasonal = plan
                    .seasonal
                    .iter()
                    .find(|s| s.feature == f.name)
                    .map(|s| s.amplitude);
                let shape = match &plan.protected {
                    Some(p) if p.feature == f.name => {
                        let names: Vec<String> = p.rates.keys().cloned().collect();
                        let mut rng = crate::rng::Rng::derive(seed, &format!("groups/{}", m.name));
                        let weights = names.iter().map(|_| rng.range_f64(0.5, 1.5)).collect();
                        catalog::categorical(names, weights)
                    }
                    _ if seasonal.is_some() && f.name == "hour_of_day" => Shape::HourOfDay,
                    _ => catalog::feature_shape(seed, &m.name, &f.name),
                };
                Sim {
                    name: f.name.clone(),
                    shape,
                    missing: catalog::base_missing(seed, &m.name, &f.name),
                    sudden: plan
                        .sudden
                        .as_ref()
                        .filter(|s| s.feature == f.name)
                        .map(|s| (s.at, s.shift)),
                    gradual: plan
                        .gradual
                        .as_ref()
                        .filter(|g| g.feature == f.name)
                        .map(|g| (g.from, g.per_day)),
                    seasonal,
                    outage: plan
                        .missing
                        .as_ref()
                        .filter(|o| o.feature == f.name)
                        .map(|o| (o.from, o.until, o.rate)),
                    follows: Vec::new(),
                    key: crate::rng::mix(key, f.key),
                }
            })
            .collect();
        let task = m.tags.get("task").map_or("classifier", String::as_str);
        let (name, shape) = catalog::prediction_shape(seed, &m.name, task);
        let follows = features
            .iter()
            .filter(|f| matches!(f.shape, Shape::Numeric(_)))
            .filter(|f| f.sudden.is_some() || f.gradual.is_some())
            .map(|f| (f.sudden, f.gradual))
            .collect();
        let prediction = Sim {
            key: crate::rng::mix(key, crate::rng::hash_str(&name)),
            name,
            shape,
            missing: 0.0,
            sudden: None,
            gradual: None,
            seasonal: None,
            outage: None,
            follows,
        };
        ModelSim {
            features,
            prediction,
        }
    }

    /// The feature (or prediction) called `name`.
    pub fn get(&self, name: &str) -> Option<&Sim> {
        self.features
            .iter()
            .chain(std::iter::once(&self.prediction))
            .find(|s| s.name == name)
    }
}

/// What the drift simulation computes once and keeps (never saved with
/// the world: everything in it follows from the seed and the world).
#[derive(Default)]
pub(crate) struct Cache {
    sims: HashMap<u32, Arc<ModelSim>>,
    profiles: HashMap<(u32, u32), Option<Arc<ReferenceProfile>>>,
    /// Workload indices per model index, and the workload count it was built for.
    by_model: (usize, Vec<Vec<u32>>),
    /// The Fleet's drift per (model, version): the minute it was computed for.
    fleet: HashMap<(u32, u32), (i64, fleet::FleetDrift)>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriftCache")
            .field("sims", &self.sims.len())
            .field("profiles", &self.profiles.len())
            .field("fleet", &self.fleet.len())
            .finish()
    }
}

/// The cache, as the world holds it (ports see the world through `&`).
pub(crate) type CacheCell = RefCell<Cache>;

/// The simulation of model `mi`.
pub(crate) fn sim(world: &World, mi: u32) -> Option<Arc<ModelSim>> {
    if let Some(s) = world.drift_cache.borrow().sims.get(&mi) {
        return Some(s.clone());
    }
    let m = world.models.get(mi as usize)?;
    let s = Arc::new(ModelSim::build(world.seed, m));
    world.drift_cache.borrow_mut().sims.insert(mi, s.clone());
    Some(s)
}

/// The reference profile of model `mi` version `version`: `None` when the
/// version has no `modeldeck.reference_profile` tag.
pub(crate) fn reference(world: &World, mi: u32, version: u32) -> Option<Arc<ReferenceProfile>> {
    let m = world.models.get(mi as usize)?;
    let v = m.version(version)?;
    if !v.tags.contains_key(modeldeck_core::drift::PROFILE_TAG) {
        return None;
    }
    if let Some(p) = world.drift_cache.borrow().profiles.get(&(mi, version)) {
        return p.clone();
    }
    let s = sim(world, mi)?;
    let p = Some(Arc::new(profile::build(world.seed, m, v, &s)));
    world
        .drift_cache
        .borrow_mut()
        .profiles
        .insert((mi, version), p.clone());
    p
}

/// Indices of the workloads serving model `mi`.
pub(crate) fn workloads_of(world: &World, mi: u32) -> Vec<u32> {
    {
        let c = world.drift_cache.borrow();
        if c.by_model.0 == world.workloads.len() && !c.by_model.1.is_empty() {
            return c.by_model.1.get(mi as usize).cloned().unwrap_or_default();
        }
    }
    let mut index = vec![Vec::new(); world.models.len()];
    for (i, w) in world.workloads.iter().enumerate() {
        if let Some(list) = index.get_mut(w.model as usize) {
            list.push(i as u32);
        }
    }
    let out = index.get(mi as usize).cloned().unwrap_or_default();
    world.drift_cache.borrow_mut().by_model = (world.workloads.len(), index);
    out
}
