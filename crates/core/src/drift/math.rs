//! The drift math: pure functions over binned counts. Formulas, smoothing
//! and log bases are stated on each function and in `docs/drift.md`.
//!
//! Every function takes the reference and the live counts in the same bins
//! (floats: Prometheus' `increase()` extrapolates). Counts that are
//! negative or not finite count as zero. When the two slices differ in
//! length, or either side sums to zero, there is nothing to compare: the
//! result is NaN, and [`score`] turns a NaN into "not drifted" (the
//! front ends show it as no data), never into a false alarm.

use super::profile::FeatureKind;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// A drift method. Every score carries its method so two tools' numbers are
/// never confused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Population stability index (natural log, epsilon-smoothed).
    Psi,
    /// Two-sample Kolmogorov-Smirnov on the binned CDFs; drift when the
    /// p-value is below the threshold.
    Ks,
    /// Jensen-Shannon distance, log base 2 (0..=1).
    JensenShannon,
    /// Wasserstein-1 between bin centres, divided by the reference std.
    Wasserstein,
    /// Pearson chi-square test of homogeneity of the reference and live
    /// counts (a 2 x k contingency table, no continuity correction); drift
    /// when the p-value is below the threshold.
    ChiSquare,
    /// Hellinger distance (0..=1).
    Hellinger,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 6] = [
        Method::Psi,
        Method::Ks,
        Method::JensenShannon,
        Method::Wasserstein,
        Method::ChiSquare,
        Method::Hellinger,
    ];

    /// Short label shown next to every score (`psi`, `ks`, `js`, `wasserstein`, `chi2`, `hellinger`).
    pub fn label(self) -> &'static str {
        match self {
            Method::Psi => "psi",
            Method::Ks => "ks",
            Method::JensenShannon => "js",
            Method::Wasserstein => "wasserstein",
            Method::ChiSquare => "chi2",
            Method::Hellinger => "hellinger",
        }
    }

    /// Whether the score is a p-value (low means drift) rather than a
    /// distance (high means drift).
    pub fn is_p_value(self) -> bool {
        matches!(self, Method::Ks | Method::ChiSquare)
    }

    /// The default threshold (Evidently's defaults: PSI 0.1, KS and
    /// chi-square p 0.05, Jensen-Shannon 0.1, Wasserstein 0.1, Hellinger 0.1).
    pub fn default_threshold(self) -> f64 {
        match self {
            Method::Psi => 0.1,
            Method::Ks | Method::ChiSquare => 0.05,
            Method::JensenShannon | Method::Wasserstein | Method::Hellinger => 0.1,
        }
    }

    /// Whether the method needs ordered numeric bins (KS and Wasserstein
    /// read bin order and positions; the others compare bins one by one).
    pub fn needs_numeric(self) -> bool {
        matches!(self, Method::Ks | Method::Wasserstein)
    }
}

/// One method's verdict on one feature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The method.
    pub method: Method,
    /// The value compared with the threshold: a distance, or a p-value for
    /// [`Method::is_p_value`] methods.
    pub value: f64,
    /// The test statistic for p-value methods (KS D, chi-square).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// The threshold the verdict used.
    pub threshold: f64,
    /// Distance at or above the threshold, or p-value below it.
    pub drifted: bool,
}

impl Score {
    /// How far the score is past its threshold, on one scale for every
    /// method: 1 at the threshold, above 1 past it, 0 for no difference.
    /// A distance gives `value / threshold`; a p-value gives
    /// `ln(p) / ln(threshold)` (p = 0 gives infinity), so p-values are
    /// compared as p-values (lower is worse) and not as distances. NaN
    /// when the value is NaN; for a threshold the ratio cannot use
    /// (a distance threshold <= 0, a p threshold outside (0, 1)) it is 1
    /// when drifted and 0 otherwise.
    pub fn severity(&self) -> f64 {
        let (v, t) = (self.value, self.threshold);
        if v.is_nan() {
            return f64::NAN;
        }
        let fallback = if self.drifted { 1.0 } else { 0.0 };
        if self.method.is_p_value() {
            if t > 0.0 && t < 1.0 {
                if v <= 0.0 {
                    f64::INFINITY
                } else {
                    (v.min(1.0).ln() / t.ln()).max(0.0)
                }
            } else {
                fallback
            }
        } else if t > 0.0 {
            v / t
        } else {
            fallback
        }
    }
}

/// A test statistic with its p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    /// KS D or the chi-square statistic.
    pub statistic: f64,
    /// The probability of a statistic at least this large when both sides
    /// come from one distribution.
    pub p_value: f64,
}

impl TestResult {
    const NAN: TestResult = TestResult {
        statistic: f64::NAN,
        p_value: f64::NAN,
    };
}

/// A count as the math reads it: negative or non-finite counts are zero.
fn clean(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

/// The two totals, or `None` when the lengths differ or a side is empty.
fn totals(reference: &[f64], live: &[f64]) -> Option<(f64, f64)> {
    if reference.len() != live.len() || reference.is_empty() {
        return None;
    }
    let r: f64 = reference.iter().map(|&x| clean(x)).sum();
    let l: f64 = live.iter().map(|&x| clean(x)).sum();
    (r > 0.0 && l > 0.0 && r.is_finite() && l.is_finite()).then_some((r, l))
}

/// Evidently's smoothing of an empty bin's proportion: the smallest
/// non-zero proportion / 10^6 when that smallest proportion is at most
/// 10^-4, else 10^-4.
fn psi_epsilon(min_nonzero: f64) -> f64 {
    if min_nonzero <= 1e-4 {
        min_nonzero / 1e6
    } else {
        1e-4
    }
}

/// Population stability index, natural log:
/// `PSI = sum_i (r_i - l_i) * ln(r_i / l_i)` over the proportions `r_i`,
/// `l_i`. An empty bin's proportion is replaced by an epsilon, per side, as
/// Evidently does: the side's smallest non-zero proportion / 10^6 if that
/// smallest proportion is at most 10^-4, else 10^-4 (proportions are not
/// renormalised after). Bins empty on both sides are skipped (they carry no
/// information; Evidently's numeric histograms would add a tiny term).
/// Always >= 0; NaN when a side has no data.
pub fn psi(reference: &[f64], live: &[f64]) -> f64 {
    let Some((rt, lt)) = totals(reference, live) else {
        return f64::NAN;
    };
    let (mut rmin, mut lmin) = (f64::INFINITY, f64::INFINITY);
    for (&r, &l) in reference.iter().zip(live) {
        let (r, l) = (clean(r), clean(l));
        if r > 0.0 {
            rmin = rmin.min(r / rt);
        }
        if l > 0.0 {
            lmin = lmin.min(l / lt);
        }
    }
    let (re, le) = (psi_epsilon(rmin), psi_epsilon(lmin));
    let mut sum = 0.0;
    for (&r, &l) in reference.iter().zip(live) {
        let (r, l) = (clean(r), clean(l));
        if r == 0.0 && l == 0.0 {
            continue;
        }
        let p = if r > 0.0 { r / rt } else { re };
        let q = if l > 0.0 { l / lt } else { le };
        sum += (p - q) * (p / q).ln();
    }
    sum.max(0.0)
}

/// The survival function of the Kolmogorov distribution,
/// `P(K > x) = 2 * sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2)`; below x = 0.82
/// it is computed as `1 - sqrt(2 pi)/x * sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 x^2))`,
/// the form that converges there (as scipy's `kstwobign.sf`).
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x <= 0.82 {
        let w = (2.0 * std::f64::consts::PI).sqrt() / x;
        let a = -std::f64::consts::PI * std::f64::consts::PI / (8.0 * x * x);
        let mut cdf = 0.0;
        for k in 1..=50u32 {
            let j = f64::from(2 * k - 1);
            let term = (a * j * j).exp();
            cdf += term;
            if term <= 1e-17 * cdf {
                break;
            }
        }
        (1.0 - w * cdf).clamp(0.0, 1.0)
    } else {
        let mut sum = 0.0;
        let mut sign = 1.0;
        for k in 1..=100u32 {
            let kf = f64::from(k);
            let term = (-2.0 * kf * kf * x * x).exp();
            sum += sign * term;
            if term <= 1e-17 * sum.abs() {
                break;
            }
            sign = -sign;
        }
        (2.0 * sum).clamp(0.0, 1.0)
    }
}

/// Two-sample Kolmogorov-Smirnov on binned data, the bins in increasing
/// order: `D = max_i |R_i - L_i|` over the cumulative proportions after
/// each bin, and the p-value from the asymptotic Kolmogorov distribution
/// with Stephens' small-sample correction,
/// `kolmogorov_sf((sqrt(en) + 0.12 + 0.11 / sqrt(en)) * D)`, with the
/// effective size `en = n m / (n + m)`, `n` and `m` the two totals.
/// `D` equals `scipy.stats.ks_2samp`'s statistic whenever every sample
/// value sits on a bin's upper edge; the p-value is scipy's
/// `kstwobign.sf((sqrt(en) + 0.12 + 0.11 / sqrt(en)) * D)`, what
/// `ks_2samp` computed before scipy 1.3. Today's
/// `ks_2samp(method='asymp')` uses the finite-n distribution
/// `kstwo.sf(D, round(en))`: near p = 0.05 the two agree within 0.07% of
/// p for `en >= 200` (the uncorrected `sqrt(en) * D` is 7% off at 200, 3%
/// at 1000); across the test vectors, within 6%.
pub fn ks_binned(reference: &[f64], live: &[f64]) -> TestResult {
    let Some((rt, lt)) = totals(reference, live) else {
        return TestResult::NAN;
    };
    let (mut rc, mut lc, mut d) = (0.0, 0.0, 0.0f64);
    for (&r, &l) in reference.iter().zip(live) {
        rc += clean(r);
        lc += clean(l);
        d = d.max((rc / rt - lc / lt).abs());
    }
    let d = d.min(1.0);
    let sqrt_en = (rt * lt / (rt + lt)).sqrt();
    TestResult {
        statistic: d,
        p_value: kolmogorov_sf((sqrt_en + 0.12 + 0.11 / sqrt_en) * d),
    }
}

/// Jensen-Shannon distance, log base 2, in [0, 1]: with the proportions
/// `p`, `q` and `m = (p + q) / 2`,
/// `JS = sqrt((KL(p || m) + KL(q || m)) / 2)`, `KL(a || b) = sum a_i log2(a_i / b_i)`
/// (`0 log 0 = 0`), as `scipy.spatial.distance.jensenshannon(p, q, base=2)`.
/// No smoothing (Evidently smooths neither).
pub fn jensen_shannon(reference: &[f64], live: &[f64]) -> f64 {
    let Some((rt, lt)) = totals(reference, live) else {
        return f64::NAN;
    };
    let mut js = 0.0;
    for (&r, &l) in reference.iter().zip(live) {
        let (p, q) = (clean(r) / rt, clean(l) / lt);
        let m = (p + q) / 2.0;
        if p > 0.0 {
            js += p * (p / m).ln();
        }
        if q > 0.0 {
            js += q * (q / m).ln();
        }
    }
    (js / std::f64::consts::LN_2 / 2.0).max(0.0).sqrt().min(1.0)
}

/// Hellinger distance in [0, 1] over the proportions:
/// `H = sqrt(1 - sum_i sqrt(p_i q_i))` (Evidently's form), computed as the
/// equal `sqrt(sum_i (sqrt(p_i) - sqrt(q_i))^2 / 2)`, which keeps its
/// precision for small distances and is exactly 0 for equal ones.
pub fn hellinger(reference: &[f64], live: &[f64]) -> f64 {
    let Some((rt, lt)) = totals(reference, live) else {
        return f64::NAN;
    };
    let sq: f64 = reference
        .iter()
        .zip(live)
        .map(|(&r, &l)| {
            let d = (clean(r) / rt).sqrt() - (clean(l) / lt).sqrt();
            d * d
        })
        .sum();
    (sq / 2.0).sqrt().min(1.0)
}

/// Pearson's chi-square test of homogeneity on the 2 x k table of the
/// reference and live counts: with `c_i = r_i + l_i` and `N` the grand
/// total, expected counts `R c_i / N` and `L c_i / N`,
/// `X2 = sum (O - E)^2 / E`, `k - 1` degrees of freedom, p-value the
/// chi-square survival function (`statrs`). Bins empty on both sides are
/// dropped first (they have no expected count). This is
/// `scipy.stats.chi2_contingency(table, correction=False)`; no Yates
/// correction, even at one degree of freedom. With one non-empty bin the
/// statistic is 0 and p is 1.
pub fn chi_square(reference: &[f64], live: &[f64]) -> TestResult {
    let Some((rt, lt)) = totals(reference, live) else {
        return TestResult::NAN;
    };
    let n = rt + lt;
    let (mut stat, mut k) = (0.0, 0u32);
    for (&r, &l) in reference.iter().zip(live) {
        let (r, l) = (clean(r), clean(l));
        let c = r + l;
        if c == 0.0 {
            continue;
        }
        k += 1;
        let (er, el) = (rt * c / n, lt * c / n);
        stat += (r - er) * (r - er) / er + (l - el) * (l - el) / el;
    }
    if k < 2 {
        return TestResult {
            statistic: 0.0,
            p_value: 1.0,
        };
    }
    let p = match ChiSquared::new(f64::from(k - 1)) {
        Ok(d) if stat.is_finite() => d.sf(stat.max(0.0)),
        _ => f64::NAN,
    };
    TestResult {
        statistic: stat.max(0.0),
        p_value: p.clamp(0.0, 1.0),
    }
}

/// Where each numeric bin's mass sits for [`wasserstein_binned`]: the
/// underflow bin at the first edge, each inner bin at its centre, the
/// overflow bin at the last edge (`edges.len() + 1` points).
pub fn bin_points(edges: &[f64]) -> Vec<f64> {
    let (Some(&first), Some(&last)) = (edges.first(), edges.last()) else {
        return Vec::new();
    };
    let mut points = Vec::with_capacity(edges.len() + 1);
    points.push(first);
    points.extend(edges.windows(2).map(|w| (w[0] + w[1]) / 2.0));
    points.push(last);
    points
}

/// The population standard deviation of the reference placed at
/// `points` (what [`score`] divides by when the profile has no std).
pub fn binned_std(points: &[f64], counts: &[f64]) -> f64 {
    if points.len() != counts.len() {
        return f64::NAN;
    }
    let total: f64 = counts.iter().map(|&c| clean(c)).sum();
    if total <= 0.0 {
        return f64::NAN;
    }
    let mean = points
        .iter()
        .zip(counts)
        .map(|(&x, &c)| x * clean(c))
        .sum::<f64>()
        / total;
    let var = points
        .iter()
        .zip(counts)
        .map(|(&x, &c)| (x - mean) * (x - mean) * clean(c))
        .sum::<f64>()
        / total;
    var.sqrt()
}

/// The floor Evidently puts under the reference std it divides by.
pub const WASSERSTEIN_MIN_STD: f64 = 0.001;

/// Wasserstein-1 between the two binned distributions with all of bin
/// `i`'s mass at `points[i]` (increasing), divided by the reference std:
/// `W1 = sum_i |R_i - L_i| (x_(i+1) - x_i)` over the cumulative proportions,
/// then `W1 / max(reference_std, 0.001)` (Evidently's normed
/// `wasserstein`). Equals
/// `scipy.stats.wasserstein_distance(points, points, r, l) / max(std, 0.001)`.
/// NaN when the points are not increasing or the lengths differ.
pub fn wasserstein_binned(
    points: &[f64],
    reference: &[f64],
    live: &[f64],
    reference_std: f64,
) -> f64 {
    let Some((rt, lt)) = totals(reference, live) else {
        return f64::NAN;
    };
    if points.len() != reference.len()
        || points.iter().any(|x| !x.is_finite())
        || points.windows(2).any(|w| w[1] < w[0])
    {
        return f64::NAN;
    }
    let (mut rc, mut lc, mut w) = (0.0, 0.0, 0.0);
    for i in 0..points.len() - 1 {
        rc += clean(reference[i]);
        lc += clean(live[i]);
        w += (rc / rt - lc / lt).abs() * (points[i + 1] - points[i]);
    }
    let norm = if reference_std.is_nan() {
        WASSERSTEIN_MIN_STD
    } else {
        reference_std.max(WASSERSTEIN_MIN_STD)
    };
    w / norm
}

/// The automatic method, after Evidently's `get_default_stattest`, from
/// the reference's row count and the number of distinct values (for a
/// binned numeric feature: the bins holding data on either side; for a
/// categorical one: the categories):
///
/// | reference rows | numeric, > 5 values | numeric, <= 5 values | categorical |
/// |---|---|---|---|
/// | <= 1000 | KS | chi-square | chi-square |
/// | > 1000 | Wasserstein | Jensen-Shannon | Jensen-Shannon |
///
/// Evidently uses a proportion Z-test for two values (binary) with a
/// small reference; we use chi-square there too (with one degree of
/// freedom, without continuity correction, it is the two-sided Z-test's
/// square and gives the same p-value).
pub fn choose_method(kind: FeatureKind, reference_rows: u64, n_values: usize) -> Method {
    let numeric_many = kind == FeatureKind::Numeric && n_values > 5;
    match (reference_rows <= 1000, numeric_many) {
        (true, true) => Method::Ks,
        (true, false) => Method::ChiSquare,
        (false, true) => Method::Wasserstein,
        (false, false) => Method::JensenShannon,
    }
}

/// What the bins of [`score`] are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Support<'a> {
    /// Numeric bins at the frozen `edges` (`edges.len() + 1` counts), with
    /// the reference's std when the profile knows it (else the binned std
    /// is used).
    Numeric {
        /// The frozen edges.
        edges: &'a [f64],
        /// The reference's population std.
        reference_std: Option<f64>,
    },
    /// Categories, in any fixed order.
    Categorical,
}

/// Scores `live` against `reference` with `method` and `threshold`: a
/// distance drifts at or above the threshold, a p-value below it. A NaN
/// value (no data on a side, mismatched lengths, Wasserstein without
/// numeric edges) never drifts.
pub fn score(
    method: Method,
    threshold: f64,
    reference: &[f64],
    live: &[f64],
    support: Support<'_>,
) -> Score {
    let (value, statistic) = match method {
        Method::Psi => (psi(reference, live), None),
        Method::JensenShannon => (jensen_shannon(reference, live), None),
        Method::Hellinger => (hellinger(reference, live), None),
        Method::Ks => {
            let t = ks_binned(reference, live);
            (t.p_value, Some(t.statistic))
        }
        Method::ChiSquare => {
            let t = chi_square(reference, live);
            (t.p_value, Some(t.statistic))
        }
        Method::Wasserstein => match support {
            Support::Numeric {
                edges,
                reference_std,
            } => {
                let points = bin_points(edges);
                let std = reference_std
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .unwrap_or_else(|| binned_std(&points, reference));
                (wasserstein_binned(&points, reference, live, std), None)
            }
            Support::Categorical => (f64::NAN, None),
        },
    };
    let drifted = if method.is_p_value() {
        value < threshold
    } else {
        value >= threshold
    };
    Score {
        method,
        value,
        statistic,
        threshold,
        drifted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sides_give_nan_and_no_drift() {
        for m in Method::ALL {
            let s = score(
                m,
                m.default_threshold(),
                &[0.0, 0.0],
                &[1.0, 2.0],
                Support::Categorical,
            );
            assert!(s.value.is_nan() && !s.drifted, "{m:?}");
            let s = score(m, m.default_threshold(), &[], &[], Support::Categorical);
            assert!(s.value.is_nan() && !s.drifted, "{m:?}");
            let s = score(
                m,
                m.default_threshold(),
                &[1.0],
                &[1.0, 2.0],
                Support::Categorical,
            );
            assert!(s.value.is_nan() && !s.drifted, "{m:?}");
        }
    }

    #[test]
    fn kolmogorov_sf_known_values() {
        // scipy.stats.kstwobign.sf
        assert!((kolmogorov_sf(1.0) - 0.26999967167735456).abs() < 1e-15);
        assert!((kolmogorov_sf(0.5) - 0.9639452436648751).abs() < 1e-15);
        assert_eq!(kolmogorov_sf(0.0), 1.0);
        assert_eq!(kolmogorov_sf(40.0), 0.0);
    }

    #[test]
    fn choice_follows_evidently() {
        use FeatureKind::*;
        assert_eq!(choose_method(Numeric, 1000, 12), Method::Ks);
        assert_eq!(choose_method(Numeric, 1000, 5), Method::ChiSquare);
        assert_eq!(choose_method(Categorical, 10, 40), Method::ChiSquare);
        assert_eq!(choose_method(Numeric, 1001, 6), Method::Wasserstein);
        assert_eq!(choose_method(Numeric, 5000, 2), Method::JensenShannon);
        assert_eq!(choose_method(Categorical, 5000, 3), Method::JensenShannon);
    }

    #[test]
    fn severity_compares_p_values_as_p_values() {
        let s = |method, value, threshold| Score {
            method,
            value,
            statistic: None,
            threshold,
            drifted: false,
        };
        assert!((s(Method::Ks, 0.05, 0.05).severity() - 1.0).abs() < 1e-12);
        assert!(s(Method::Ks, 0.001, 0.05).severity() > s(Method::Ks, 0.01, 0.05).severity());
        assert_eq!(s(Method::ChiSquare, 0.0, 0.05).severity(), f64::INFINITY);
        assert_eq!(s(Method::Ks, 1.0, 0.05).severity(), 0.0);
        assert!((s(Method::Psi, 0.2, 0.1).severity() - 2.0).abs() < 1e-12);
    }
}
