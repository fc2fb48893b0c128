//! A version's reference profile: the population of each feature as it was
//! when the version's training data ended (`created_at` minus a day, or
//! minus an hour for a version retrained on recent data), frozen into 10
//! quantile bins (11 edges at the 0.05 %, 10 %, .., 90 %, 99.95 %
//! quantiles, so the underflow and overflow bins hold 0.05 % each) or
//! category counts. Each version's training sample differs a little from
//! the population: its centre by up to 0.03 sigma, each category's share
//! by up to 4 %, seeded by (seed, model, version). A daily-seasonal
//! feature's reference covers whole days, weighted by the load curve.

use super::catalog::Shape;
use super::dist::{self, Numeric, bin_probs, invert, load_at};
use super::{DATA_LAG_MS, FRESH_DATA_LAG_MS, ModelSim, Sim};
use crate::rng::Rng;
use crate::world::{Model, Version};
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::{
    Distribution, DriftPolicy, FeatureProfile, NumericStats, PROFILE_SCHEMA, ReferenceProfile,
};
use std::collections::BTreeMap;
use std::f64::consts::{FRAC_PI_2, TAU};

/// Probability levels of the frozen edges.
const EDGE_LEVELS: [f64; 11] = [0.0005, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9995];
/// Points of the day a seasonal reference averages over.
const DAY_POINTS: usize = 96;
/// Rows of a training set whose run does not say.
const DEFAULT_ROWS: u64 = 500_000;

/// A reference distribution before binning.
pub(crate) enum RefDist {
    One(Numeric),
    /// Weighted components (a day of a seasonal feature).
    Mix(Vec<(f64, Numeric)>),
    /// The local hour of a request over a whole day.
    Hours,
    Categorical(Vec<String>, Vec<f64>),
}

impl RefDist {
    fn cdf(&self, x: f64) -> f64 {
        match self {
            RefDist::One(n) => n.cdf(x),
            RefDist::Mix(parts) => {
                let total: f64 = parts.iter().map(|(w, _)| w).sum();
                parts.iter().map(|(w, n)| w * n.cdf(x)).sum::<f64>() / total
            }
            RefDist::Hours => dist::hour_of_day_cdf(x),
            RefDist::Categorical(..) => f64::NAN,
        }
    }

    fn quantile(&self, p: f64) -> f64 {
        match self {
            RefDist::One(n) => n.quantile(p),
            RefDist::Mix(parts) => {
                let lo = parts
                    .iter()
                    .map(|(_, n)| n.quantile(1e-9))
                    .fold(f64::INFINITY, f64::min);
                let hi = parts
                    .iter()
                    .map(|(_, n)| n.quantile(1.0 - 1e-9))
                    .fold(f64::NEG_INFINITY, f64::max);
                invert(|x| self.cdf(x), p, lo, hi)
            }
            RefDist::Hours => invert(dist::hour_of_day_cdf, p, 0.0, 24.0),
            RefDist::Categorical(..) => f64::NAN,
        }
    }

    fn moments(&self) -> (f64, f64) {
        match self {
            RefDist::One(n) => n.moments(),
            RefDist::Mix(parts) => {
                let total: f64 = parts.iter().map(|(w, _)| w).sum();
                let (mut m, mut m2) = (0.0, 0.0);
                for (w, n) in parts {
                    let (mean, std) = n.moments();
                    m += w * mean;
                    m2 += w * (std * std + mean * mean);
                }
                let mean = m / total;
                (mean, (m2 / total - mean * mean).max(0.0).sqrt())
            }
            RefDist::Hours => {
                let (mut m, mut m2, mut w) = (0.0, 0.0, 0.0);
                for i in 0..480 {
                    let h = 24.0 * (f64::from(i) + 0.5) / 480.0;
                    let d = load_at(h / 24.0);
                    m += d * h;
                    m2 += d * h * h;
                    w += d;
                }
                let mean = m / w;
                (mean, (m2 / w - mean * mean).max(0.0).sqrt())
            }
            RefDist::Categorical(..) => (f64::NAN, f64::NAN),
        }
    }
}

/// `probs` with `s` of the mass moved to the reversed mix (the rarest
/// categories gain most).
pub(crate) fn mix_categories(probs: &[f64], s: f64) -> Vec<f64> {
    let s = s.clamp(0.0, 1.0);
    probs
        .iter()
        .zip(probs.iter().rev())
        .map(|(p, r)| (1.0 - s) * p + s * r)
        .collect()
}

/// A categorical feature's probabilities with `shift` of the mass moved
/// and, when seasonal, up to `amplitude` more at the daily peak.
pub(crate) fn categories_at(probs: &[f64], shift: f64, seasonal: Option<f64>, u: f64) -> Vec<f64> {
    let s = shift + seasonal.map_or(0.0, |a| 0.5 * a * (1.0 + season_at(1.0, u)));
    mix_categories(probs, s)
}

/// The seasonal offset (sigmas) at local day fraction `u`.
pub(crate) fn season_at(amplitude: f64, u: f64) -> f64 {
    amplitude * (TAU * u - FRAC_PI_2).sin()
}

/// The population of `sim` at `t` averaged over a whole day, plus `jitter`
/// (sigmas for a numeric feature, per-category factors for a categorical one).
pub(crate) fn reference_dist(sim: &Sim, t: Timestamp, jitter: f64, cat_jitter: &[f64]) -> RefDist {
    let shift = sim.shift_at(t);
    match &sim.shape {
        Shape::HourOfDay => RefDist::Hours,
        Shape::Numeric(n) => match sim.seasonal {
            None => RefDist::One(n.shifted(shift + jitter)),
            Some(a) => RefDist::Mix(
                (0..DAY_POINTS)
                    .map(|j| {
                        let u = (j as f64 + 0.5) / DAY_POINTS as f64;
                        (load_at(u), n.shifted(shift + jitter + season_at(a, u)))
                    })
                    .collect(),
            ),
        },
        Shape::Categorical { names, probs } => {
            let mut p = match sim.seasonal {
                None => mix_categories(probs, shift),
                Some(a) => {
                    let mut acc = vec![0.0; probs.len()];
                    let mut total = 0.0;
                    for j in 0..DAY_POINTS {
                        let u = (j as f64 + 0.5) / DAY_POINTS as f64;
                        let w = load_at(u);
                        let mixed = categories_at(probs, shift, Some(a), u);
                        acc.iter_mut().zip(mixed).for_each(|(a, m)| *a += w * m);
                        total += w;
                    }
                    acc.iter().map(|a| a / total).collect()
                }
            };
            p.iter_mut()
                .zip(cat_jitter.iter().chain(std::iter::repeat(&1.0)))
                .for_each(|(p, j)| *p *= j);
            let total: f64 = p.iter().sum();
            p.iter_mut().for_each(|x| *x /= total);
            RefDist::Categorical(names.clone(), p)
        }
    }
}

/// When `v`'s training data ended.
pub(crate) fn data_end(m: &Model, v: &Version) -> Timestamp {
    let fresh = m.drift.fresh_after.is_some_and(|c| v.number > c);
    v.created_at.plus_millis(-if fresh {
        FRESH_DATA_LAG_MS
    } else {
        DATA_LAG_MS
    })
}

/// The reference profile of `m` version `v`.
pub(crate) fn build(seed: u64, m: &Model, v: &Version, sim: &ModelSim) -> ReferenceProfile {
    let rows = v
        .run
        .params
        .get("train_rows")
        .and_then(|r| r.parse::<u64>().ok())
        .unwrap_or(DEFAULT_ROWS);
    let mut rng = Rng::derive(seed, &format!("profile/{}/{}", m.name, v.number));
    let end = data_end(m, v);
    let mut one = |s: &Sim| {
        let jitter = rng.range_f64(-0.03, 0.03);
        let cats: Vec<f64> = (0..8).map(|_| 1.0 + rng.range_f64(-0.04, 0.04)).collect();
        feature(s, &reference_dist(s, end, jitter, &cats), rows)
    };
    let features = sim.features.iter().map(&mut one).collect();
    let prediction = Some(one(&sim.prediction));
    ReferenceProfile {
        schema: PROFILE_SCHEMA,
        created_at: v.created_at.plus_millis(-600_000).rfc3339(),
        rows,
        source_digest: Some(format!("sha256:{}", rng.hex(64))),
        features,
        prediction,
        label: None,
        policy: DriftPolicy::default(),
    }
}

fn feature(sim: &Sim, d: &RefDist, rows: u64) -> FeatureProfile {
    let missing = (rows as f64 * sim.missing).round() as u64;
    let present = rows.saturating_sub(missing);
    if let RefDist::Categorical(names, probs) = d {
        let counts = apportion(present, probs);
        return FeatureProfile {
            name: sim.name.clone(),
            dist: Distribution::Categorical {
                counts: names.iter().cloned().zip(counts).collect(),
            },
            missing,
            stats: None,
        };
    }
    let edges = round_edges(EDGE_LEVELS.iter().map(|&p| d.quantile(p)).collect());
    let mut probs = Vec::with_capacity(edges.len() + 1);
    bin_probs(&edges, |x| d.cdf(x), &mut probs);
    let (mean, std) = d.moments();
    let half_row = 0.5 / rows.max(1) as f64;
    let quantiles: BTreeMap<String, f64> = [0.05, 0.25, 0.5, 0.75, 0.95]
        .iter()
        .map(|&p| (p.to_string(), sig(d.quantile(p), 6)))
        .collect();
    FeatureProfile {
        name: sim.name.clone(),
        dist: Distribution::Numeric {
            counts: apportion(present, &probs),
            edges,
        },
        missing,
        stats: Some(NumericStats {
            min: sig(d.quantile(half_row), 6),
            max: sig(d.quantile(1.0 - half_row), 6),
            mean: sig(mean, 6),
            std: sig(std, 6),
            quantiles,
        }),
    }
}

/// `total` split by `probs` (largest remainders), summing to `total`.
fn apportion(total: u64, probs: &[f64]) -> Vec<u64> {
    let sum: f64 = probs.iter().sum();
    let exact: Vec<f64> = probs
        .iter()
        .map(|p| {
            if sum > 0.0 {
                total as f64 * p / sum
            } else {
                0.0
            }
        })
        .collect();
    let mut counts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total.saturating_sub(counts.iter().sum());
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for i in order {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    counts
}

/// Edges with as few significant digits (4, then 6) as keep them strictly
/// increasing, as a profile built from data would show them.
fn round_edges(edges: Vec<f64>) -> Vec<f64> {
    for digits in [4, 6, 9] {
        let r: Vec<f64> = edges.iter().map(|&e| sig(e, digits)).collect();
        if r.windows(2).all(|w| w[0] < w[1]) {
            return r;
        }
    }
    edges
}

/// `x` rounded to `digits` significant digits.
fn sig(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_keeps_the_total() {
        let c = apportion(1001, &[0.3333, 0.3333, 0.3334]);
        assert_eq!(c.iter().sum::<u64>(), 1001);
        assert_eq!(sig(123_456.0, 4), 123_500.0);
        assert_eq!(sig(0.012_345, 3), 0.0123);
        assert_eq!(round_edges(vec![1.00001, 1.00002]), vec![1.00001, 1.00002]);
    }
}
