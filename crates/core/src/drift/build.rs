//! Building a [`ReferenceProfile`] from the training data's columns (what
//! `modeldeck profile build` does after reading a CSV or Parquet file).
//!
//! **Numeric edges.** With `b` bins (default [`DEFAULT_BINS`]) the edges
//! are the reference's quantiles at the levels [`TAIL`], 1/b, .., (b-1)/b,
//! 1 - [`TAIL`] (numpy's default linear interpolation), so `b` inner bins
//! hold about 1/b of the data each and the underflow and overflow bins
//! about 0.05 % each: live values beyond the training data's tails read as
//! "out of range" at about 0.1 % when nothing changed, and much more when
//! something did. Edges between two reference values are rounded to 6
//! significant digits when that keeps them apart and moves no reference
//! value to another bin (shorter labels, the same `le` text everywhere), then
//! equal edges are merged and so is an inner bin no reference value falls
//! in (a discrete column has fewer bins, one per value). Each outer bin
//! then holds at most `floor(TAIL * rows)` reference values: none below
//! 2,000 rows (the first edge goes below the minimum, halfway to the next
//! edge, and the last edge is the maximum), and none when ties at the
//! minimum or the maximum hold more than the tail (a discrete or constant
//! column keeps its extreme values in their own inner bins). A live value
//! outside the training range is then out of range.
//!
//! **Missing values** (`None`, NaN) are counted in `missing`; infinities
//! are counted in the underflow or overflow bin and left out of the edges
//! and the statistics.
//!
//! **Categories** with at least [`MIN_CATEGORY_SHARE`] of the present
//! values are kept, at most [`MAX_CATEGORIES`] of them (the most frequent;
//! ties by name); the rest are folded into [`OTHER_CATEGORY`] (a category
//! literally called `__other__` is folded in too).

use super::profile::{
    Distribution, FeatureKind, FeatureProfile, NumericStats, OTHER_CATEGORY, PROFILE_SCHEMA,
    ReferenceProfile,
};
use crate::domain::Timestamp;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

/// Inner bins of a numeric feature unless asked otherwise.
pub const DEFAULT_BINS: usize = 10;
/// The most inner bins a numeric feature may have (each is a Prometheus
/// bucket series per model version).
pub const MAX_BINS: usize = 200;
/// Probability mass below the first edge and above the last one.
pub const TAIL: f64 = 0.0005;
/// The smallest share of the present values a category needs to be kept.
pub const MIN_CATEGORY_SHARE: f64 = 0.01;
/// The most categories a categorical feature keeps.
pub const MAX_CATEGORIES: usize = 50;
/// The quantiles recorded in a numeric feature's statistics.
pub const STAT_QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// How columns are binned and folded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildOptions {
    /// Inner bins of a numeric feature (1 to [`MAX_BINS`]).
    pub bins: usize,
    /// The smallest share a kept category has.
    pub min_category_share: f64,
    /// The most categories kept.
    pub max_categories: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            bins: DEFAULT_BINS,
            min_category_share: MIN_CATEGORY_SHARE,
            max_categories: MAX_CATEGORIES,
        }
    }
}

impl BuildOptions {
    /// Checks the options; the message says which one is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_BINS).contains(&self.bins) {
            return Err(format!("bins must be 1 to {MAX_BINS}, got {}", self.bins));
        }
        if !(0.0..=1.0).contains(&self.min_category_share) {
            return Err(format!(
                "the minimum category share must be 0 to 1, got {}",
                self.min_category_share
            ));
        }
        if self.max_categories == 0 {
            return Err("at least one category must be kept".into());
        }
        Ok(())
    }
}

/// One column's values, accumulated row by row.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers (all of them are kept: the edges are exact quantiles).
    Numeric {
        /// Present values, infinities included.
        values: Vec<f64>,
        /// Missing values.
        missing: u64,
    },
    /// Category counts.
    Categorical {
        /// Rows per category.
        counts: HashMap<String, u64>,
        /// Missing values.
        missing: u64,
    },
}

impl Column {
    /// An empty column of `kind`.
    pub fn new(kind: FeatureKind) -> Column {
        match kind {
            FeatureKind::Numeric => Column::Numeric {
                values: Vec::new(),
                missing: 0,
            },
            FeatureKind::Categorical => Column::Categorical {
                counts: HashMap::new(),
                missing: 0,
            },
        }
    }

    /// Numeric or categorical.
    pub fn kind(&self) -> FeatureKind {
        match self {
            Column::Numeric { .. } => FeatureKind::Numeric,
            Column::Categorical { .. } => FeatureKind::Categorical,
        }
    }

    /// Adds a number (`None` or NaN: missing). On a categorical column the
    /// number is counted under its shortest decimal form (`3`, `2.5`).
    pub fn push_number(&mut self, v: Option<f64>) {
        match self {
            Column::Numeric { values, missing } => match v {
                Some(x) if !x.is_nan() => values.push(x),
                _ => *missing += 1,
            },
            Column::Categorical { .. } => {
                let text = v.filter(|x| !x.is_nan()).map(|x| x.to_string());
                self.push_category(text.as_deref());
            }
        }
    }

    /// Adds a category (`None`: missing). On a numeric column the text is
    /// parsed; text that is not a number counts as missing (the reader
    /// decides kinds before it pushes, so this does not happen there).
    pub fn push_category(&mut self, v: Option<&str>) {
        match self {
            Column::Categorical { counts, missing } => match v {
                Some(s) => match counts.get_mut(s) {
                    Some(c) => *c += 1,
                    None => {
                        counts.insert(s.to_string(), 1);
                    }
                },
                None => *missing += 1,
            },
            Column::Numeric { .. } => {
                let x = v.and_then(|s| s.trim().parse::<f64>().ok());
                self.push_number(x);
            }
        }
    }

    /// Rows seen (present and missing).
    pub fn rows(&self) -> u64 {
        match self {
            Column::Numeric { values, missing } => values.len() as u64 + missing,
            Column::Categorical { counts, missing } => counts.values().sum::<u64>() + missing,
        }
    }

    /// The feature profile of this column. Errors (naming `name`) when
    /// the column has no present value, or no finite one.
    pub fn finish(self, name: &str, opts: &BuildOptions) -> Result<FeatureProfile, String> {
        opts.validate()?;
        match self {
            Column::Numeric { values, missing } => numeric(name, values, missing, opts),
            Column::Categorical { counts, missing } => categorical(name, counts, missing, opts),
        }
    }
}

fn numeric(
    name: &str,
    mut values: Vec<f64>,
    missing: u64,
    opts: &BuildOptions,
) -> Result<FeatureProfile, String> {
    let mut finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if finite.is_empty() {
        return Err(if values.is_empty() {
            format!("column {name:?}: every value is missing ({missing} rows); nothing to profile")
        } else {
            format!("column {name:?}: no finite value (only infinities); nothing to profile")
        });
    }
    finite.sort_by(f64::total_cmp);
    let edges = frozen_edges(&finite, opts.bins);
    let mut counts = vec![0u64; edges.len() + 1];
    for &x in &values {
        counts[bin_index(&edges, x)] += 1;
    }
    values.clear();
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    let var = finite.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let quantiles = STAT_QUANTILES
        .iter()
        .map(|&p| (p.to_string(), quantile_sorted(&finite, p)))
        .collect();
    Ok(FeatureProfile {
        name: name.to_string(),
        dist: Distribution::Numeric { edges, counts },
        missing,
        stats: Some(NumericStats {
            min: finite[0],
            max: finite[finite.len() - 1],
            mean,
            std: var.sqrt(),
            quantiles,
        }),
    })
}

fn categorical(
    name: &str,
    counts: HashMap<String, u64>,
    missing: u64,
    opts: &BuildOptions,
) -> Result<FeatureProfile, String> {
    let present: u64 = counts.values().sum();
    if present == 0 {
        return Err(format!(
            "column {name:?}: every value is missing ({missing} rows); nothing to profile"
        ));
    }
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut kept = BTreeMap::new();
    let mut other = 0u64;
    for (cat, c) in ranked {
        let share = c as f64 / present as f64;
        if cat != OTHER_CATEGORY
            && share >= opts.min_category_share
            && kept.len() < opts.max_categories
        {
            kept.insert(cat, c);
        } else {
            other += c;
        }
    }
    if other > 0 {
        kept.insert(OTHER_CATEGORY.to_string(), other);
    }
    Ok(FeatureProfile {
        name: name.to_string(),
        dist: Distribution::Categorical { counts: kept },
        missing,
        stats: None,
    })
}

/// The bin of `x` among `edges` by the `le` convention: 0 for
/// `x <= e0`, `i` for `e(i-1) < x <= e(i)`, `edges.len()` above the last.
/// NaN goes to the overflow bin (callers count it as missing first).
pub fn bin_index(edges: &[f64], x: f64) -> usize {
    edges.partition_point(|&e| e < x)
}

/// The `p` quantile of `sorted` (ascending, finite, not empty) by linear
/// interpolation between the closest ranks (numpy's default, R's type 7).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    if a == b {
        a
    } else {
        a + (h - lo as f64) * (b - a)
    }
}

/// The frozen edges of `sorted` (ascending, finite, not empty) with
/// `bins` inner bins, by the rule in the module doc.
pub fn frozen_edges(sorted: &[f64], bins: usize) -> Vec<f64> {
    let bins = bins.clamp(1, MAX_BINS);
    let mut levels = Vec::with_capacity(bins + 1);
    levels.push(TAIL);
    levels.extend((1..bins).map(|k| k as f64 / bins as f64));
    levels.push(1.0 - TAIL);
    let exact: Vec<f64> = levels.iter().map(|&p| quantile_sorted(sorted, p)).collect();
    let exact = dedup(exact);
    let at_or_below = |e: f64| sorted.partition_point(|&x| x <= e);
    // An edge that is a reference value stays as it is (a discrete
    // column's labels are its values: 1704067200000000, not 1.70407e15);
    // rounding the others may not move a reference value to another bin.
    let is_value = |e: f64| sorted.binary_search_by(|x| x.total_cmp(&e)).is_ok();
    let rounded = dedup(
        exact
            .iter()
            .map(|&e| if is_value(e) { e } else { round_sig(e, 6) })
            .collect(),
    );
    let candidates = if rounded.len() == exact.len()
        && rounded
            .iter()
            .zip(&exact)
            .all(|(&r, &e)| at_or_below(r) == at_or_below(e))
    {
        rounded
    } else {
        exact
    };
    // An inner bin no reference value falls in (an edge interpolated
    // between two neighbouring values of a discrete column) is merged
    // with the next one: its upper edge is dropped.
    let mut edges: Vec<f64> = Vec::with_capacity(candidates.len() + 1);
    for e in candidates {
        match edges.last() {
            Some(&prev) if at_or_below(e) == at_or_below(prev) => {}
            _ => edges.push(e),
        }
    }
    // Each outer bin holds at most k = floor(TAIL * n) reference values:
    // none below 2,000 rows, where the tail quantiles fall between the two
    // smallest (largest) values, and none when ties at the minimum or the
    // maximum hold more than the tail (a discrete column).
    let n = sorted.len();
    let k = (TAIL * n as f64).floor() as usize;
    let last = edges[edges.len() - 1];
    if n - at_or_below(last) > k {
        // The (k+1)-th largest value is above `last`: the edges stay increasing.
        let top = if k > 0 && sorted[n - k - 1] < sorted[n - k] {
            sorted[n - k - 1]
        } else {
            sorted[n - 1]
        };
        if let Some(e) = edges.last_mut() {
            *e = top;
        }
    }
    if at_or_below(edges[0]) > k {
        let min = sorted[0];
        let first = edges[0];
        // A reference value as first edge (ties) keeps its own bin and gets
        // one below it; an interpolated one is replaced.
        let keep = is_value(first);
        let next = edges
            .iter()
            .skip(usize::from(!keep))
            .copied()
            .find(|&e| e > min);
        let below = if k > 0 && sorted[k - 1] < sorted[k] {
            sorted[k - 1]
        } else {
            let b = min - next.map_or(0.5 * min.abs().max(1.0), |e| (e - min) / 2.0);
            Some(round_sig(b, 6)).filter(|&r| r < min).unwrap_or(b)
        };
        if below < first && below.is_finite() {
            if keep {
                edges.insert(0, below);
            } else {
                edges[0] = below;
            }
        }
    }
    if edges.windows(2).any(|w| w[0] >= w[1]) {
        // Not reachable by the rules above; never hand out a bad profile.
        edges = dedup(edges);
    }
    edges
}

fn dedup(mut v: Vec<f64>) -> Vec<f64> {
    v.dedup_by(|b, a| *b <= *a);
    v
}

/// `x` rounded to `digits` significant digits, as the shortest decimal.
fn round_sig(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{:.*e}", digits.saturating_sub(1), x)
        .parse()
        .unwrap_or(x)
}

/// What a profile is assembled from.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileParts {
    /// Rows of the reference data.
    pub rows: u64,
    /// `sha256:<hex>` of the source, when known ([`digest_reader`]).
    pub source_digest: Option<String>,
    /// When it was built.
    pub created_at: Timestamp,
    /// Input features, in order.
    pub features: Vec<FeatureProfile>,
    /// The prediction.
    pub prediction: Option<FeatureProfile>,
    /// The label.
    pub label: Option<FeatureProfile>,
}

/// The profile of `parts`, validated ([`ReferenceProfile::validate`]).
pub fn assemble(parts: ProfileParts) -> Result<ReferenceProfile, String> {
    let p = ReferenceProfile {
        schema: PROFILE_SCHEMA,
        created_at: parts.created_at.rfc3339(),
        rows: parts.rows,
        source_digest: parts.source_digest,
        features: parts.features,
        prediction: parts.prediction,
        label: parts.label,
        policy: Default::default(),
    };
    p.validate()?;
    Ok(p)
}

/// `sha256:<hex>` of everything `r` yields, read in blocks.
pub fn digest_reader(mut r: impl Read) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in h.finalize() {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
    }
    Ok(out)
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
