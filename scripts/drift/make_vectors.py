#!/usr/bin/env python3
"""Test vectors for the drift math (crates/core/src/drift/math.rs).

Writes crates/core/tests/data/drift_vectors.json, which is committed; the
Rust tests (crates/core/tests/drift_math.rs) read it and never run Python.
Regenerate (not part of CI) with numpy and scipy in a venv:

    python3 -m venv .cache/drift-venv
    .cache/drift-venv/bin/pip install numpy scipy
    .cache/drift-venv/bin/python scripts/drift/make_vectors.py

Every case holds binned counts (reference and live in the same bins) and
the value scipy or numpy computes for them:

- ks: samples of integers binned at integer edges (a value v falls in the
  bin (v-1, v]), so the binned CDFs equal the empirical CDFs at every data
  point and D is exactly scipy.stats.ks_2samp's statistic. The p-value is
  the asymptotic Kolmogorov distribution with Stephens' correction,
  scipy.stats.kstwobign.sf((sqrt(en) + 0.12 + 0.11 / sqrt(en)) * D),
  en = n m / (n + m) (what ks_2samp computed before scipy 1.3);
  ks_2samp(method='asymp') today uses the finite-n distribution
  kstwo.sf(D, round(en)), recorded as `scipy_ks_2samp_p` for a looser
  comparison.
- jensen_shannon: scipy.spatial.distance.jensenshannon(r, l, base=2).
- wasserstein: scipy.stats.wasserstein_distance(x, x, r, l) / max(std,
  0.001), x the bin points (underflow at the first edge, inner bins at
  their centres, overflow at the last edge), std the raw reference
  sample's population std (np.std), or the binned std when the case has
  no `reference_std`.
- chi_square: scipy.stats.chi2_contingency([r, l], correction=False) after
  dropping bins empty on both sides.
- psi: Evidently's formula (get_binned_data's epsilon, natural log) in
  numpy, bins empty on both sides skipped. scipy has no PSI.
- hellinger: sqrt(1 - sum sqrt(p q)) in numpy. scipy has no Hellinger.
"""

import json
import pathlib

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "core" / "tests" / "data" / "drift_vectors.json"
rng = np.random.default_rng(20261205)


def f(x):
    return float(x)


def counts_at_edges(sample, edges):
    """Counts in (-inf, e0], (e0, e1], ..., (en, +inf): Prometheus' `le` buckets."""
    idx = np.searchsorted(edges, sample, side="left")
    return np.bincount(idx, minlength=len(edges) + 1).astype(float)


def bin_points(edges):
    e = np.asarray(edges, dtype=float)
    return np.concatenate([[e[0]], (e[:-1] + e[1:]) / 2.0, [e[-1]]])


def psi_evidently(r, l):
    r = np.asarray(r, dtype=float)
    l = np.asarray(l, dtype=float)
    keep = (r > 0) | (l > 0)
    p = r[keep] / r.sum()
    q = l[keep] / l.sum()

    def eps(x):
        m = x[x != 0].min()
        return m / 10**6 if m <= 0.0001 else 0.0001

    ep, eq = eps(p), eps(q)
    p = np.where(p == 0, ep, p)
    q = np.where(q == 0, eq, q)
    return f(np.sum((p - q) * np.log(p / q)))


def hellinger(r, l):
    p = np.asarray(r, dtype=float) / np.sum(r)
    q = np.asarray(l, dtype=float) / np.sum(l)
    return f(np.sqrt(1.0 - np.clip(np.sum(np.sqrt(p * q)), 0.0, 1.0)))


def chi2(r, l):
    t = np.array([r, l], dtype=float)
    t = t[:, t.sum(axis=0) > 0]
    res = stats.chi2_contingency(t, correction=False)
    return f(res.statistic), f(res.pvalue)


cases = []


def add(name, method, r, l, value, **extra):
    case = {"name": name, "method": method, "reference": [f(x) for x in r], "live": [f(x) for x in l], "value": value}
    case.update(extra)
    cases.append(case)


# --- PSI
edges = np.quantile(rng.normal(0, 1, 5000), np.linspace(0.1, 0.9, 9))
ref = rng.normal(0, 1, 5000)
r = counts_at_edges(ref, edges)
add("psi_equal", "psi", r, r, psi_evidently(r, r))
l = counts_at_edges(rng.normal(0.5, 1.2, 3000), edges)
add("psi_shifted", "psi", r, l, psi_evidently(r, l))
r2 = [120, 0, 40, 0, 300, 55]
l2 = [0, 0, 70, 12, 310, 5]
add("psi_empty_bins", "psi", r2, l2, psi_evidently(r2, l2))
add("psi_tiny", "psi", [1, 0, 2], [0, 1, 1], psi_evidently([1, 0, 2], [0, 1, 1]))
big_r = [1_000_000, 60, 2_000_000, 0, 500_000]
big_l = [900_000, 0, 2_100_000, 40, 700_000]
add("psi_large_small_epsilon", "psi", big_r, big_l, psi_evidently(big_r, big_l))
# a bin empty on both sides, with different epsilons per side: skipped, not smoothed
be_r = [1_000_000, 50, 0, 2_000_000]
be_l = [10, 20, 0, 5]
add("psi_both_empty_bin", "psi", be_r, be_l, psi_evidently(be_r, be_l))
fr = [10.5, 3.25, 7.0, 0.0]
fl = [4.75, 8.0, 1.5, 2.25]
add("psi_fractional_counts", "psi", fr, fl, psi_evidently(fr, fl))


# --- KS (integer data at integer edges: exact statistic)
def ks_case(name, ref_s, live_s):
    lo, hi = int(min(ref_s.min(), live_s.min())), int(max(ref_s.max(), live_s.max()))
    e = np.arange(lo, hi + 1, dtype=float)
    rc, lc = counts_at_edges(ref_s, e), counts_at_edges(live_s, e)
    res = stats.ks_2samp(ref_s, live_s, method="asymp")
    n, m = len(ref_s), len(live_s)
    en = n * m / (n + m)
    cr, cl = np.cumsum(rc) / rc.sum(), np.cumsum(lc) / lc.sum()
    d_binned = np.max(np.abs(cr - cl))
    assert abs(d_binned - res.statistic) < 1e-12, (name, d_binned, res.statistic)
    add(
        name,
        "ks",
        rc,
        lc,
        f(stats.kstwobign.sf((np.sqrt(en) + 0.12 + 0.11 / np.sqrt(en)) * res.statistic)),
        statistic=f(res.statistic),
        edges=[f(x) for x in e],
        scipy_ks_2samp_p=f(res.pvalue),
    )


s = rng.poisson(4, 600)
ks_case("ks_equal", s, s.copy())
ks_case("ks_shifted", rng.poisson(4, 500), rng.poisson(4.6, 400))
ks_case("ks_same_law", rng.poisson(6, 800), rng.poisson(6, 700))
ks_case("ks_tiny", np.array([1, 2, 2, 3, 5]), np.array([2, 4, 6]))
ks_case("ks_large", rng.binomial(40, 0.5, 200_000), rng.binomial(40, 0.505, 100_000))
ks_case("ks_empty_bins", np.array([0] * 30 + [5] * 20 + [9] * 10), np.array([0] * 10 + [5] * 25 + [9] * 15))


# --- Jensen-Shannon
add("js_equal", "jensen_shannon", r, r, f(distance.jensenshannon(r, r, base=2)))
add("js_shifted", "jensen_shannon", r, l, f(distance.jensenshannon(r, l, base=2)))
add("js_disjoint", "jensen_shannon", [5, 0, 0], [0, 2, 7], f(distance.jensenshannon([5, 0, 0], [0, 2, 7], base=2)))
# categories a, b, c, unseen: the live side has a category the reference never saw
cat_r = [400, 250, 350, 0]
cat_l = [380, 200, 300, 120]
add("js_categorical_unseen", "jensen_shannon", cat_r, cat_l, f(distance.jensenshannon(cat_r, cat_l, base=2)))


# --- Wasserstein (normed by the reference std)
def w_case(name, rc, lc, e, std):
    x = bin_points(e)
    if std is None:
        mean = np.average(x, weights=rc)
        norm_std = np.sqrt(np.average((x - mean) ** 2, weights=rc))
    else:
        norm_std = std
    wd = stats.wasserstein_distance(x, x, u_weights=rc, v_weights=lc)
    extra = {"edges": [f(v) for v in e]}
    if std is not None:
        extra["reference_std"] = f(std)
    add(name, "wasserstein", rc, lc, f(wd / max(norm_std, 0.001)), **extra)


w_case("wasserstein_equal", r, r, edges, np.std(ref))
w_case("wasserstein_shifted", r, l, edges, np.std(ref))
w_case("wasserstein_binned_std", r, l, edges, None)
w_case("wasserstein_uneven_edges", [3, 10, 0, 25, 4, 1], [0, 2, 9, 20, 11, 6], [-2.0, 0.5, 1.0, 7.5, 30.0], 4.2)
w_case("wasserstein_std_floor", [0, 50, 50, 0], [0, 40, 55, 5], [1.0, 1.0005, 1.001], 0.0002)


# --- chi-square (test of homogeneity, no Yates correction)
for name, cr_, cl_ in [
    ("chi2_equal", [40, 30, 30], [40, 30, 30]),
    ("chi2_proportional", [400, 300, 300], [40, 30, 30]),
    ("chi2_shifted", list(r), list(l)),
    ("chi2_unseen_category", cat_r, cat_l),
    ("chi2_two_bins", [480, 520], [430, 570]),
    ("chi2_empty_bins", [0, 12, 30, 0, 8], [0, 20, 18, 3, 9]),
    ("chi2_large", [200_000, 300_000, 500_000], [21_000, 29_000, 50_000]),
    ("chi2_tiny", [1, 2], [2, 0]),
    ("chi2_fractional_counts", fr, fl),
]:
    st, p = chi2(cr_, cl_)
    add(name, "chi_square", cr_, cl_, p, statistic=st)


# --- Hellinger
add("hellinger_equal", "hellinger", r, r, hellinger(r, r))
add("hellinger_shifted", "hellinger", r, l, hellinger(r, l))
add("hellinger_disjoint", "hellinger", [5, 0, 0], [0, 2, 7], hellinger([5, 0, 0], [0, 2, 7]))
add("hellinger_categorical_unseen", "hellinger", cat_r, cat_l, hellinger(cat_r, cat_l))
add("psi_categorical_unseen", "psi", cat_r, cat_l, psi_evidently(cat_r, cat_l))

doc = {
    "generated_by": "scripts/drift/make_vectors.py",
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "cases": cases,
}
OUT.write_text(json.dumps(doc, indent=1) + "\n")
print(f"{len(cases)} cases -> {OUT.relative_to(ROOT)}")
