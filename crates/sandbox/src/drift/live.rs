//! Live feature distributions: what the metrics backend would have counted
//! for one model version over a window. The window is cut into steps (1/48
//! of it, between 1 and 30 minutes); at each step every workload of the
//! model contributes rows = its rate (requests per second, 25 rows/s for a
//! batch job) x the daily load x the step x the traffic share the version
//! had on it then (rollouts and canaries included), and the rows spread
//! over the profile's bins by the population at that instant (in the
//! workload's local time for a seasonal feature). Expected counts get a
//! Poisson-sized seeded noise (`sqrt(count)` x a deterministic unit
//! normal-like draw) keyed by the window's end minute, so asking twice in
//! the same minute gives the same sample. Counts end at the last whole
//! minute (the sandbox's "scrape").

use super::catalog::Shape;
use super::dist::{bin_probs, hour_span_probs, load_at};
use super::profile::{categories_at, season_at};
use super::{ModelSim, Sim};
use crate::health::shares_at;
use crate::rng::{mix, unit};
use crate::world::{WorkloadState, World};
use modeldeck_core::domain::{Timestamp, WorkloadKind};
use modeldeck_core::drift::{Distribution, FeatureProfile, LiveCounts, LiveFeature};
use std::collections::BTreeMap;
use std::f64::consts::TAU;

/// Rows per second a batch scoring job stands for.
pub(crate) const BATCH_ROWS_PER_S: f64 = 25.0;
/// Minute resolution of the live counters.
pub(crate) const SCRAPE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// One workload's rows of the version during one step.
#[derive(Debug, Clone, Copy)]
struct Piece {
    step: usize,
    t: Timestamp,
    /// Local day fraction at the step's middle.
    u: f64,
    rows: f64,
}

/// Where the version's rows came from over a window.
pub(crate) struct Traffic {
    pieces: Vec<Piece>,
    /// Middle of each step.
    steps: Vec<Timestamp>,
    step_hours: f64,
    /// Rows in all.
    pub total: f64,
    end: Timestamp,
    window_ms: i64,
}

/// The end of a window asked to end at `at`: the last whole minute.
pub(crate) fn scrape_end(at: Timestamp) -> Timestamp {
    Timestamp(at.0.div_euclid(SCRAPE_MS) * SCRAPE_MS)
}

/// The local day fraction of workload `w` at `t` (its daily load curve's
/// phase as a time-zone offset of 0 to 3 hours).
fn local_day(w: &WorkloadState, t: Timestamp) -> f64 {
    let phase = (w.key % 1000) as f64 / 1000.0 * 0.8;
    (t.0.rem_euclid(DAY_MS) as f64 / DAY_MS as f64 + phase / TAU).rem_euclid(1.0)
}

/// Rows per second `w` scores on average.
fn rows_rate(w: &WorkloadState) -> f64 {
    if w.kind == WorkloadKind::CronJob {
        BATCH_ROWS_PER_S
    } else {
        w.base_rps.max(0.0)
    }
}

/// The rows `version` of model `mi` served over the `window_ms` ending at
/// `end` (already a scrape end).
pub(crate) fn traffic(
    world: &World,
    mi: u32,
    version: u32,
    end: Timestamp,
    window_ms: i64,
) -> Traffic {
    let target_step = (window_ms / 48).clamp(SCRAPE_MS, 1_800_000);
    let k = ((window_ms + target_step - 1) / target_step).clamp(1, 4000) as usize;
    let dt = window_ms as f64 / k as f64;
    let start = end.plus_millis(-window_ms);
    let steps: Vec<Timestamp> = (0..k)
        .map(|i| start.plus_millis(((i as f64 + 0.5) * dt) as i64))
        .collect();
    let mut pieces = Vec::new();
    let mut total = 0.0;
    for wi in super::workloads_of(world, mi) {
        let Some(w) = world.workloads.get(wi as usize) else {
            continue;
        };
        let rate = rows_rate(w);
        if rate <= 0.0 {
            continue;
        }
        // Where the version's share stops being constant or linear: the
        // share is exact at the middle of each piece between them.
        let mut cuts: Vec<Timestamp> = vec![w.created_at, world.now];
        for c in w.changes() {
            cuts.push(c.at);
            cuts.push(c.at.plus_millis(c.duration_ms.max(0)));
        }
        cuts.sort();
        for (step, &mid) in steps.iter().enumerate() {
            let half = (dt / 2.0) as i64;
            let (a, b) = (mid.plus_millis(-half), mid.plus_millis(half));
            let mut from = a.max(w.created_at);
            let first = from;
            let inner: Vec<Timestamp> = cuts
                .iter()
                .copied()
                .filter(|&c| c > first && c < b)
                .collect();
            for to in inner.into_iter().chain(std::iter::once(b)) {
                let to = to.min(world.now);
                if to <= from {
                    continue;
                }
                let t = from.plus_millis(to.millis_since(from) / 2);
                let share: f64 = shares_at(w, t)
                    .iter()
                    .filter(|(v, _)| *v == version)
                    .map(|(_, s)| s)
                    .sum();
                if share > 0.0 {
                    let u = local_day(w, t);
                    let rows = rate * load_at(u) * to.millis_since(from) as f64 / 1000.0 * share;
                    total += rows;
                    pieces.push(Piece { step, t, u, rows });
                }
                from = to;
            }
        }
    }
    Traffic {
        pieces,
        steps,
        step_hours: dt / 3_600_000.0,
        total,
        end,
        window_ms,
    }
}

/// A unit-variance noise draw in about `[-1.7, 1.7]`.
fn draw(key: u64) -> f64 {
    let (a, b, c) = (unit(mix(key, 1)), unit(mix(key, 2)), unit(mix(key, 3)));
    (a + b + c - 1.5) * 2.0
}

/// `count` with Poisson-sized noise.
fn noisy(count: f64, key: u64) -> f64 {
    (count + count.sqrt() * draw(key)).max(0.0)
}

/// The live counts of `sim` in the bins of `pf` over `traffic`, `None`
/// when the profile's kind is not the simulated one or no rows were served.
pub(crate) fn feature(
    sim: &Sim,
    pf: &FeatureProfile,
    traffic: &Traffic,
    version: u32,
) -> Option<LiveFeature> {
    let (mut counts, labels, missing) = raw(sim, pf, traffic)?;
    let key = mix(
        mix(sim.key, u64::from(version)),
        mix(traffic.end.0 as u64, traffic.window_ms as u64),
    );
    counts
        .iter_mut()
        .enumerate()
        .for_each(|(i, c)| *c = noisy(*c, mix(key, i as u64)));
    let missing = noisy(missing, mix(key, u64::MAX));
    Some(assemble(sim, counts, labels, missing))
}

/// [`feature`] without the noise: the expected counts, which add up over
/// consecutive windows (the `/metrics` exposition's counters).
pub(crate) fn expected(sim: &Sim, pf: &FeatureProfile, traffic: &Traffic) -> Option<LiveFeature> {
    let (counts, labels, missing) = raw(sim, pf, traffic)?;
    Some(assemble(sim, counts, labels, missing))
}

/// Counts per bin (or per category, in the simulation's order), the
/// category names, and the missing rows, before noise.
type Raw<'a> = (Vec<f64>, Option<&'a Vec<String>>, f64);

/// [`Raw`] counts of `sim` in the bins of `pf` over `traffic`.
fn raw<'a>(sim: &'a Sim, pf: &FeatureProfile, traffic: &Traffic) -> Option<Raw<'a>> {
    if traffic.total <= 0.0 {
        return None;
    }
    let (counts, labels) = match (&pf.dist, &sim.shape) {
        (Distribution::Numeric { edges, .. }, Shape::Numeric(_) | Shape::HourOfDay) => (
            spread(sim, traffic, |t, u, out| {
                numeric_probs(sim, edges, t, u, traffic.step_hours, out)
            }),
            None,
        ),
        (Distribution::Categorical { .. }, Shape::Categorical { names, probs }) => (
            spread(sim, traffic, |t, u, out| {
                out.clear();
                out.extend(categories_at(probs, sim.shift_at(t), sim.seasonal, u));
            }),
            Some(names),
        ),
        _ => return None,
    };
    let missing = match sim.outage {
        None => traffic.total * sim.missing,
        Some(_) => traffic
            .pieces
            .iter()
            .map(|p| p.rows * sim.missing_at(p.t))
            .sum(),
    };
    Some((counts, labels, missing))
}

fn assemble(
    sim: &Sim,
    counts: Vec<f64>,
    labels: Option<&Vec<String>>,
    missing: f64,
) -> LiveFeature {
    let counts = match labels {
        None => LiveCounts::Numeric(counts),
        Some(names) => LiveCounts::Categorical(
            names
                .iter()
                .cloned()
                .zip(counts)
                .collect::<BTreeMap<_, _>>(),
        ),
    };
    LiveFeature {
        name: sim.name.clone(),
        counts,
        missing,
    }
}

/// Present rows of every piece spread by `probs_at(t, u)`: once for a
/// feature that does not move, once per step for one that moves the same
/// for every workload, once per piece for a seasonal one.
fn spread(
    sim: &Sim,
    traffic: &Traffic,
    probs_at: impl Fn(Timestamp, f64, &mut Vec<f64>),
) -> Vec<f64> {
    let mut probs = Vec::new();
    let present = |p: &Piece| p.rows * (1.0 - sim.missing_at(p.t));
    let mut acc: Vec<f64> = Vec::new();
    let add = |acc: &mut Vec<f64>, probs: &[f64], rows: f64| {
        if acc.is_empty() {
            acc.resize(probs.len(), 0.0);
        }
        acc.iter_mut().zip(probs).for_each(|(a, p)| *a += rows * p);
    };
    let per_piece = sim.seasonal.is_some() || sim.shape == Shape::HourOfDay;
    if !sim.moves() {
        probs_at(traffic.end, 0.5, &mut probs);
        let rows: f64 = traffic.pieces.iter().map(present).sum();
        add(&mut acc, &probs, rows);
    } else if per_piece {
        for p in &traffic.pieces {
            probs_at(p.t, p.u, &mut probs);
            add(&mut acc, &probs, present(p));
        }
    } else {
        let mut rows = vec![0.0; traffic.steps.len()];
        for p in &traffic.pieces {
            rows[p.step] += present(p);
        }
        for (step, &t) in traffic.steps.iter().enumerate() {
            if rows[step] > 0.0 {
                probs_at(t, 0.5, &mut probs);
                add(&mut acc, &probs, rows[step]);
            }
        }
    }
    acc
}

/// Bin probabilities of a numeric (or hour-of-day) feature at `t`, local
/// day fraction `u`, over a step of `step_hours`.
fn numeric_probs(
    sim: &Sim,
    edges: &[f64],
    t: Timestamp,
    u: f64,
    step_hours: f64,
    out: &mut Vec<f64>,
) {
    match &sim.shape {
        Shape::Numeric(n) => {
            let season = sim.seasonal.map_or(0.0, |a| season_at(a, u));
            let n = n.shifted(sim.shift_at(t) + season);
            bin_probs(edges, |x| n.cdf(x), out);
        }
        Shape::HourOfDay => {
            let len = step_hours.min(24.0);
            hour_span_probs(edges, 24.0 * u - len / 2.0, len, out);
        }
        Shape::Categorical { .. } => out.clear(),
    }
}

/// Every feature of `profile` (and its prediction) the model simulates,
/// over the traffic.
pub(crate) fn sample(
    sim: &ModelSim,
    profile: &modeldeck_core::drift::ReferenceProfile,
    traffic: &Traffic,
    version: u32,
) -> Vec<LiveFeature> {
    profile
        .features
        .iter()
        .chain(profile.prediction.iter())
        .filter_map(|pf| feature(sim.get(&pf.name)?, pf, traffic, version))
        .collect()
}
