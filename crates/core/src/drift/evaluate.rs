//! A profile against a live sample: one row per feature (method, score,
//! verdict, data quality), the prediction, and dataset drift.
//!
//! Per feature: the method from the profile's policy, else
//! [`choose_method`] (a policy naming KS or Wasserstein for a categorical
//! feature falls back to the automatic choice: both need ordered numeric
//! bins); the threshold from the policy, else the method's default; the
//! score when both sides have values, else `None` (no data). Categorical
//! live values the reference does not name go to the reference's
//! [`OTHER_CATEGORY`] when it has one (the reference may have folded them
//! there), else to an extra `(unseen)` bin the score sees, and are listed
//! in [`DataQuality::unseen_categories`]. Dataset drift: drifted input
//! features / input features with a score, at or above the policy's
//! `dataset_share` (default 0.5); the prediction is scored but not counted.

use super::bins::BinLabels;
use super::math::{Method, Score, Support, choose_method, score};
use super::profile::{Distribution, FeatureKind, FeatureProfile, OTHER_CATEGORY, ReferenceProfile};
use super::sample::{LiveCounts, LiveFeature, LiveSample};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The share of drifted features at which the dataset drifts, unless the
/// policy says otherwise.
pub const DEFAULT_DATASET_SHARE: f64 = 0.5;
/// The label of the extra bin holding live categories the reference never
/// saw (when it has no [`OTHER_CATEGORY`]).
pub const UNSEEN_BIN: &str = "(unseen)";

/// Data quality of one feature over the window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DataQuality {
    /// Missing values / all values seen (present + missing); `None` when
    /// nothing was seen.
    pub missing_rate: Option<f64>,
    /// The reference's missing rate, for comparison.
    pub reference_missing_rate: Option<f64>,
    /// Share of live values in the underflow and overflow bins (numeric).
    pub out_of_range_rate: Option<f64>,
    /// Live categories the reference never saw (categorical).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unseen_categories: Vec<String>,
}

/// One feature's drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDriftRow {
    /// Feature name.
    pub feature: String,
    /// Numeric or categorical.
    pub kind: FeatureKind,
    /// The score with its method and threshold; `None` when the live side
    /// has no data for it (`no_data`).
    pub score: Option<Score>,
    /// Data quality flags.
    pub quality: DataQuality,
    /// Reference values counted.
    pub reference_n: f64,
    /// Live values counted over the window.
    pub live_n: f64,
    /// Live counts per bin or category, in the reference's order (for the
    /// overlay chart), normalised to proportions.
    pub live_share: Vec<f64>,
    /// Reference proportions per bin or category, same order.
    pub reference_share: Vec<f64>,
    /// Bin or category labels, same order (formatted when asked).
    pub bins: BinLabels,
}

/// Every feature of one model version against its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// End of the live window.
    pub at: Timestamp,
    /// Window length, milliseconds.
    pub window_ms: i64,
    /// Input features, in the profile's order.
    pub features: Vec<FeatureDriftRow>,
    /// The prediction, when profiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<FeatureDriftRow>,
    /// Drifted features / features with data.
    pub drifted_share: Option<f64>,
    /// The share at which the dataset counts as drifted.
    pub dataset_threshold: f64,
    /// Whether the dataset drifted.
    pub dataset_drift: bool,
}

impl DriftReport {
    /// The most drifted input feature: drifted ones first, then the one
    /// furthest past its threshold ([`Score::severity`]: distances as
    /// `value / threshold`, p-values as `ln p / ln threshold`); the first in
    /// the profile's order on a tie. `None` when no feature has a score.
    pub fn worst(&self) -> Option<&FeatureDriftRow> {
        let mut best: Option<(&FeatureDriftRow, bool, f64)> = None;
        for row in &self.features {
            let Some(s) = row.score else { continue };
            let sev = s.severity();
            if sev.is_nan() {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, d, v)) => {
                    (s.drifted, sev).partial_cmp(&(d, v)) == Some(std::cmp::Ordering::Greater)
                }
            };
            if better {
                best = Some((row, s.drifted, sev));
            }
        }
        best.map(|(row, _, _)| row)
    }

    /// Input features with a score that drifted.
    pub fn drifted(&self) -> impl Iterator<Item = &FeatureDriftRow> {
        self.features
            .iter()
            .filter(|r| r.score.is_some_and(|s| s.drifted))
    }
}

/// Compares `live` with `profile`: the method per feature from the
/// profile's policy or the automatic choice, its threshold, data quality,
/// and dataset drift.
pub fn evaluate(profile: &ReferenceProfile, live: &LiveSample) -> DriftReport {
    let by_name: HashMap<&str, &LiveFeature> =
        live.features.iter().map(|f| (f.name.as_str(), f)).collect();
    let row_of =
        |f: &FeatureProfile| feature_row(profile, f, by_name.get(f.name.as_str()).copied());
    let features: Vec<FeatureDriftRow> = profile.features.iter().map(row_of).collect();
    let prediction = profile.prediction.as_ref().map(row_of);
    let scored = features
        .iter()
        .filter(|r| r.score.is_some_and(|s| !s.value.is_nan()))
        .count();
    let drifted = features
        .iter()
        .filter(|r| r.score.is_some_and(|s| s.drifted))
        .count();
    let drifted_share = (scored > 0).then(|| drifted as f64 / scored as f64);
    let dataset_threshold = profile
        .policy
        .dataset_share
        .filter(|s| s.is_finite())
        .unwrap_or(DEFAULT_DATASET_SHARE);
    DriftReport {
        at: live.at,
        window_ms: live.window_ms,
        features,
        prediction,
        drifted_share,
        dataset_threshold,
        dataset_drift: drifted_share.is_some_and(|s| s >= dataset_threshold),
    }
}

/// One feature's row as [`evaluate`] computes it (an input feature, the
/// prediction or the label, by name), `None` when the profile has no such
/// feature. For a score over time: evaluating the whole profile at every
/// point would label every other feature's bins for nothing.
pub fn evaluate_feature(
    profile: &ReferenceProfile,
    name: &str,
    live: Option<&LiveFeature>,
) -> Option<FeatureDriftRow> {
    profile.feature(name).map(|f| feature_row(profile, f, live))
}

/// A count as a share's numerator: negative or non-finite counts are zero.
fn clean(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

fn rate(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0 && whole.is_finite()).then(|| part / whole)
}

fn shares(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().map(|&c| clean(c)).sum();
    counts
        .iter()
        .map(|&c| {
            if total > 0.0 && total.is_finite() {
                clean(c) / total
            } else {
                0.0
            }
        })
        .collect()
}

/// The reference and live counts in the same bins, their labels, and what
/// the live side says about quality.
struct Aligned<'a> {
    reference: Vec<f64>,
    live: Option<Vec<f64>>,
    bins: BinLabels,
    unseen: Vec<String>,
    support: Support<'a>,
}

fn align_numeric<'a>(
    f: &'a FeatureProfile,
    edges: &'a [f64],
    counts: &[u64],
    live: Option<&LiveFeature>,
) -> Aligned<'a> {
    let reference: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let live = live.and_then(|l| match &l.counts {
        LiveCounts::Numeric(v) if v.len() == reference.len() => Some(v.clone()),
        _ => None,
    });
    Aligned {
        reference,
        live,
        bins: if edges.len() + 1 == counts.len() {
            BinLabels::Edges(edges.to_vec())
        } else {
            BinLabels::Names((0..counts.len()).map(|i| format!("bin {i}")).collect())
        },
        unseen: Vec::new(),
        support: Support::Numeric {
            edges,
            reference_std: f.stats.as_ref().map(|s| s.std),
        },
    }
}

fn align_categorical<'a>(
    counts: &std::collections::BTreeMap<String, u64>,
    live: Option<&LiveFeature>,
) -> Aligned<'a> {
    let mut bins: Vec<String> = counts.keys().cloned().collect();
    let mut reference: Vec<f64> = counts.values().map(|&c| c as f64).collect();
    let index: HashMap<&str, usize> = counts
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let other = index.get(OTHER_CATEGORY).copied();
    let mut unseen = Vec::new();
    let live = live.and_then(|l| match &l.counts {
        LiveCounts::Categorical(map) => {
            let mut v = vec![0.0; reference.len()];
            let mut unseen_mass = 0.0;
            for (cat, &c) in map {
                let c = clean(c);
                match index.get(cat.as_str()).copied().or(other) {
                    Some(i) => v[i] += c,
                    None => {
                        if c > 0.0 {
                            unseen_mass += c;
                            unseen.push(cat.clone());
                        }
                    }
                }
            }
            if unseen_mass > 0.0 {
                v.push(unseen_mass);
            }
            Some(v)
        }
        LiveCounts::Numeric(_) => None,
    });
    if live.as_ref().is_some_and(|v| v.len() > reference.len()) {
        reference.push(0.0);
        bins.push(UNSEEN_BIN.to_string());
    }
    Aligned {
        reference,
        live,
        bins: BinLabels::Names(bins),
        unseen,
        support: Support::Categorical,
    }
}

fn feature_row(
    profile: &ReferenceProfile,
    f: &FeatureProfile,
    live: Option<&LiveFeature>,
) -> FeatureDriftRow {
    let a = match &f.dist {
        Distribution::Numeric { edges, counts } => align_numeric(f, edges, counts, live),
        Distribution::Categorical { counts } => align_categorical(counts, live),
    };
    let kind = f.kind();
    let reference_n: f64 = a.reference.iter().sum();
    let live_n: f64 = a
        .live
        .as_deref()
        .map_or(0.0, |v| v.iter().map(|&c| clean(c)).sum());
    let live_missing = live.map_or(0.0, |l| clean(l.missing));
    let score = a
        .live
        .as_deref()
        .filter(|_| live_n > 0.0 && reference_n > 0.0)
        .map(|lv| {
            let method = method_for(profile, f, kind, &a.reference, lv);
            let threshold = profile
                .policy
                .thresholds
                .get(&f.name)
                .copied()
                .filter(|t| t.is_finite())
                .unwrap_or_else(|| method.default_threshold());
            score(method, threshold, &a.reference, lv, a.support)
        });
    let out_of_range_rate = match (&a.live, kind) {
        (Some(v), FeatureKind::Numeric) if live_n > 0.0 => {
            let outer = v.first().map_or(0.0, |&c| clean(c)) + v.last().map_or(0.0, |&c| clean(c));
            rate(outer, live_n)
        }
        _ => None,
    };
    let quality = DataQuality {
        missing_rate: if live.is_some() {
            rate(live_missing, live_n + live_missing)
        } else {
            None
        },
        reference_missing_rate: rate(f.missing as f64, reference_n + f.missing as f64),
        out_of_range_rate,
        unseen_categories: a.unseen,
    };
    FeatureDriftRow {
        feature: f.name.clone(),
        kind,
        score,
        quality,
        reference_n,
        live_n,
        live_share: a
            .live
            .as_deref()
            .map_or_else(|| vec![0.0; a.reference.len()], shares),
        reference_share: shares(&a.reference),
        bins: a.bins,
    }
}

/// The policy's method, else the automatic one; the automatic one too when
/// the policy names a numeric-only method for a categorical feature.
fn method_for(
    profile: &ReferenceProfile,
    f: &FeatureProfile,
    kind: FeatureKind,
    reference: &[f64],
    live: &[f64],
) -> Method {
    match profile.policy.methods.get(&f.name) {
        Some(m) if !(m.needs_numeric() && kind == FeatureKind::Categorical) => *m,
        _ => {
            let values = reference
                .iter()
                .zip(live)
                .filter(|(r, l)| **r > 0.0 || clean(**l) > 0.0)
                .count();
            let rows = profile.rows.max(f.present() + f.missing);
            choose_method(kind, rows, values)
        }
    }
}

/// Labels of the bins at `edges`: `≤e0`, `e0–e1`, .., `>en`, the numbers
/// written with as few significant digits (4 to 12) as keep neighbouring
/// edges apart.
pub fn bin_labels(edges: &[f64]) -> Vec<String> {
    if edges.is_empty() {
        return vec!["(all)".to_string()];
    }
    let mut sig = 4;
    let mut text: Vec<String> = edges.iter().map(|&e| compact(e, sig)).collect();
    while sig < 12 && text.windows(2).any(|w| w[0] == w[1]) {
        sig += 1;
        text = edges.iter().map(|&e| compact(e, sig)).collect();
    }
    let join = |a: &str, mid: &str, b: &str| {
        let mut s = String::with_capacity(a.len() + mid.len() + b.len());
        s.push_str(a);
        s.push_str(mid);
        s.push_str(b);
        s
    };
    let mut labels = Vec::with_capacity(edges.len() + 1);
    labels.push(join("≤", &text[0], ""));
    labels.extend(text.windows(2).map(|w| join(&w[0], "–", &w[1])));
    labels.push(join(">", &text[text.len() - 1], ""));
    labels
}

/// `v` with at most `sig` significant digits, trailing zeros dropped, in
/// exponent form below 0.001 and from 10^6 (`0.25`, `12.5`, `1.5e6`, `2e-4`).
pub fn compact(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    let sig = sig.max(1);
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{:.*e}", sig - 1, v);
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim(m.to_string())),
            None => s,
        };
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (sig as i32 - 1 - magnitude).clamp(0, 15);
    // Integer digits format much faster than floats (a report labels
    // tens of thousands of edges): `a` rounded to `decimals` places is
    // `n / 10^decimals`, and n < 10^(sig + 1) fits easily.
    let scale = 10u64.pow(decimals as u32);
    let n = (a * scale as f64).round() as u64;
    let (int, frac) = (n / scale, n % scale);
    let mut out = String::with_capacity(sig + 3);
    if v < 0.0 && n > 0 {
        out.push('-');
    }
    let _ = write!(out, "{int}");
    if frac > 0 {
        let _ = write!(out, ".{frac:0width$}", width = decimals as usize);
    }
    trim(out)
}

/// Drops trailing zeros after a decimal point, and the point if nothing follows.
fn trim(mut s: String) -> String {
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    s
}
