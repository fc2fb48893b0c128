//! The shapes the simulated features are drawn from, and the few numbers
//! the drift simulation needs of them: bin probabilities at a profile's
//! edges, quantiles (for the reference's frozen edges) and moments. Every
//! numeric shape is a transformed normal, `x = g(z)` with `z ~ N(mu, sigma)`
//! (normal, lognormal, a logistic-normal share scaled to `0..scale`), so a
//! drift is a shift of `mu` in units of `sigma`. The local hour of the day
//! is its own shape (the time of the request, weighted by the load curve).

use std::f64::consts::{FRAC_PI_2, TAU};

/// Amplitude of the daily load curve (as `health::diurnal`).
pub(crate) const LOAD_AMPLITUDE: f64 = 0.35;

/// How a latent normal value becomes the feature's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Transform {
    /// `x = z` (a normal feature).
    Identity,
    /// `x = exp(z)` (lognormal: amounts, counts, durations).
    Exp,
    /// `x = scale / (1 + exp(-z))` (shares, scores, bounded indices).
    Logistic(f64),
}

impl Transform {
    /// `g(z)`.
    pub fn apply(self, z: f64) -> f64 {
        match self {
            Transform::Identity => z,
            Transform::Exp => z.exp(),
            Transform::Logistic(s) => s / (1.0 + (-z).exp()),
        }
    }

    /// `g^-1(x)`, with the ends of the support mapped to infinities.
    pub fn inverse(self, x: f64) -> f64 {
        match self {
            Transform::Identity => x,
            Transform::Exp if x <= 0.0 => f64::NEG_INFINITY,
            Transform::Exp => x.ln(),
            Transform::Logistic(_) if x <= 0.0 => f64::NEG_INFINITY,
            Transform::Logistic(s) if x >= s => f64::INFINITY,
            Transform::Logistic(s) => (x / (s - x)).ln(),
        }
    }
}

/// A transformed normal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Numeric {
    pub transform: Transform,
    pub mu: f64,
    pub sigma: f64,
}

impl Numeric {
    /// The same shape with `mu` moved by `shift` sigmas.
    pub fn shifted(self, shift: f64) -> Numeric {
        Numeric {
            mu: self.mu + shift * self.sigma,
            ..self
        }
    }

    /// `P(X <= x)`.
    pub fn cdf(&self, x: f64) -> f64 {
        let z = self.transform.inverse(x);
        if z == f64::NEG_INFINITY {
            return 0.0;
        }
        if z == f64::INFINITY {
            return 1.0;
        }
        normal_cdf((z - self.mu) / self.sigma)
    }

    /// The `p` quantile.
    pub fn quantile(&self, p: f64) -> f64 {
        self.transform
            .apply(self.mu + self.sigma * normal_quantile(p))
    }

    /// Mean and population std, by quadrature over the latent normal.
    pub fn moments(&self) -> (f64, f64) {
        const N: usize = 400;
        let (mut s, mut s2, mut w) = (0.0, 0.0, 0.0);
        for i in 0..N {
            let u = -7.0 + 14.0 * (i as f64 + 0.5) / N as f64;
            let weight = (-0.5 * u * u).exp();
            let x = self.transform.apply(self.mu + self.sigma * u);
            s += weight * x;
            s2 += weight * x * x;
            w += weight;
        }
        let mean = s / w;
        (mean, (s2 / w - mean * mean).max(0.0).sqrt())
    }
}

/// Probabilities of the bins at `edges` (`edges.len() + 1` of them: the
/// underflow `(-inf, e0]`, `(e(i-1), e(i)]`, the overflow `(en, inf)`),
/// from a CDF.
pub(crate) fn bin_probs(edges: &[f64], cdf: impl Fn(f64) -> f64, out: &mut Vec<f64>) {
    out.clear();
    let mut prev = 0.0;
    for &e in edges {
        let c = cdf(e).clamp(prev, 1.0);
        out.push(c - prev);
        prev = c;
    }
    out.push((1.0 - prev).max(0.0));
}

/// The daily load at local day fraction `u` (1 on average, peak at noon).
pub(crate) fn load_at(u: f64) -> f64 {
    1.0 + LOAD_AMPLITUDE * (TAU * u - FRAC_PI_2).sin()
}

/// CDF of the local hour of a request over a whole day, requests weighted
/// by the load curve: `F(h) = u - a sin(2 pi u) / (2 pi)` with `u = h / 24`.
pub(crate) fn hour_of_day_cdf(h: f64) -> f64 {
    let u = (h / 24.0).clamp(0.0, 1.0);
    u - LOAD_AMPLITUDE * (TAU * u).sin() / TAU
}

/// Probabilities of the bins at `edges` for hours spread evenly over
/// `[h0, h0 + len)` (wrapping past 24), `len` at most 24.
pub(crate) fn hour_span_probs(edges: &[f64], h0: f64, len: f64, out: &mut Vec<f64>) {
    let len = len.clamp(1e-9, 24.0);
    let h0 = h0.rem_euclid(24.0);
    let first = (h0, (h0 + len).min(24.0));
    let second = (0.0, (h0 + len - 24.0).max(0.0));
    // Uniform mass over the pieces: the CDF is the covered length below x.
    let covered = |x: f64| {
        let piece = |(a, b): (f64, f64)| (x.min(b) - a).max(0.0);
        (piece(first) + piece(second)) / len
    };
    bin_probs(edges, covered, out);
}

/// Inverts a CDF on `[lo, hi]` by bisection.
pub(crate) fn invert(cdf: impl Fn(f64) -> f64, p: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The standard normal CDF.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' `erfcc`,
/// fractional error below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The standard normal quantile (Acklam's rational approximation, relative
/// error below 1.2e-9), for `p` in `(0, 1)`.
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_functions_match_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
        for p in [1e-6, 0.0005, 0.1, 0.5, 0.9, 0.9995] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6 * p.max(1e-3));
        }
    }

    #[test]
    fn bins_sum_to_one_and_shapes_invert() {
        let n = Numeric {
            transform: Transform::Logistic(24.0),
            mu: 0.2,
            sigma: 0.9,
        };
        let edges: Vec<f64> = (1..10).map(|i| n.quantile(f64::from(i) / 10.0)).collect();
        let mut p = Vec::new();
        bin_probs(&edges, |x| n.cdf(x), &mut p);
        assert!(p.iter().all(|&x| (x - 0.1).abs() < 1e-6), "{p:?}");
        hour_span_probs(&[6.0, 12.0, 18.0], 22.0, 4.0, &mut p);
        assert_eq!(p, vec![0.5, 0.0, 0.0, 0.5]);
        let h = invert(hour_of_day_cdf, 0.5, 0.0, 24.0);
        assert!((h - 12.0).abs() < 1e-9, "{h}");
        let (mean, std) = Numeric {
            transform: Transform::Exp,
            mu: 0.0,
            sigma: 0.5,
        }
        .moments();
        assert!((mean - (0.125f64).exp()).abs() < 1e-4, "{mean}");
        assert!(std > 0.5 && std < 0.65, "{std}");
    }
}
