//! The drift math against vectors computed with numpy and scipy
//! (`scripts/drift/make_vectors.py` wrote `tests/data/drift_vectors.json`),
//! and its properties under proptest.
//!
//! Tolerance: 1e-9 relative (1e-12 absolute near zero) for every value
//! and statistic. The one looser check is KS's p-value against today's
//! `scipy.stats.ks_2samp(method='asymp')`, which uses the finite-n
//! distribution `kstwo` where we use the asymptotic one with Stephens'
//! correction: 6% relative (the vectors' worst case is 5.2%, at
//! `en = 27` and at p = 2.5e-38); the exact check of that p-value is
//! against `kstwobign`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_core::drift::math::{
    Method, Support, bin_points, binned_std, chi_square, hellinger, jensen_shannon, ks_binned, psi,
    score, wasserstein_binned,
};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Vectors {
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    method: Method,
    reference: Vec<f64>,
    live: Vec<f64>,
    value: f64,
    #[serde(default)]
    statistic: Option<f64>,
    #[serde(default)]
    edges: Option<Vec<f64>>,
    #[serde(default)]
    reference_std: Option<f64>,
    #[serde(default)]
    scipy_ks_2samp_p: Option<f64>,
}

fn vectors() -> Vec<Case> {
    let text = include_str!("data/drift_vectors.json");
    let v: Vectors = serde_json::from_str(text).expect("drift_vectors.json parses");
    v.cases
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    if want.abs() < 1e-300 || want == 0.0 {
        got.abs() <= 1e-12
    } else {
        ((got - want) / want).abs() <= rel
    }
}

#[track_caller]
fn assert_close(name: &str, what: &str, got: f64, want: f64, rel: f64) {
    assert!(
        close(got, want, rel),
        "{name}: {what} = {got:e}, scipy says {want:e} (relative error {:e}, allowed {rel:e})",
        ((got - want) / want).abs()
    );
}

/// Computes one case with the method's own function.
fn compute(c: &Case) -> (f64, Option<f64>) {
    match c.method {
        Method::Psi => (psi(&c.reference, &c.live), None),
        Method::JensenShannon => (jensen_shannon(&c.reference, &c.live), None),
        Method::Hellinger => (hellinger(&c.reference, &c.live), None),
        Method::Ks => {
            let t = ks_binned(&c.reference, &c.live);
            (t.p_value, Some(t.statistic))
        }
        Method::ChiSquare => {
            let t = chi_square(&c.reference, &c.live);
            (t.p_value, Some(t.statistic))
        }
        Method::Wasserstein => {
            let points = bin_points(c.edges.as_deref().expect("wasserstein cases have edges"));
            let std = c
                .reference_std
                .unwrap_or_else(|| binned_std(&points, &c.reference));
            (
                wasserstein_binned(&points, &c.reference, &c.live, std),
                None,
            )
        }
    }
}

fn support(c: &Case) -> Support<'_> {
    match &c.edges {
        Some(edges) => Support::Numeric {
            edges,
            reference_std: c.reference_std,
        },
        None => Support::Categorical,
    }
}

#[test]
fn every_method_matches_the_scipy_vectors() {
    let cases = vectors();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    for m in Method::ALL {
        assert!(
            cases.iter().filter(|c| c.method == m).count() >= 3,
            "{m:?} needs at least three vectors"
        );
    }
    for c in &cases {
        let (value, statistic) = compute(c);
        assert_close(&c.name, "value", value, c.value, 1e-9);
        if let Some(want) = c.statistic {
            assert_close(
                &c.name,
                "statistic",
                statistic.unwrap_or(f64::NAN),
                want,
                1e-9,
            );
        }
        // score() gives the same number, and its verdict has the method's direction.
        let s = score(
            c.method,
            c.method.default_threshold(),
            &c.reference,
            &c.live,
            support(c),
        );
        assert_close(&c.name, "score().value", s.value, c.value, 1e-9);
        assert_eq!(s.statistic.is_some(), c.method.is_p_value(), "{}", c.name);
        let drifted = if c.method.is_p_value() {
            c.value < s.threshold
        } else {
            c.value >= s.threshold
        };
        assert_eq!(s.drifted, drifted, "{}: verdict", c.name);
    }
}

#[test]
fn ks_p_values_stay_near_todays_scipy_ks_2samp() {
    for c in vectors().iter().filter(|c| c.method == Method::Ks) {
        let want = c.scipy_ks_2samp_p.expect("ks cases carry scipy's p");
        let got = ks_binned(&c.reference, &c.live).p_value;
        assert_close(&c.name, "p vs ks_2samp(method='asymp')", got, want, 0.06);
    }
}

#[test]
fn the_vectors_cover_the_hard_cases() {
    let names: Vec<String> = vectors().into_iter().map(|c| c.name).collect();
    for needle in ["equal", "shifted", "empty_bins", "tiny", "large", "unseen"] {
        assert!(names.iter().any(|n| n.contains(needle)), "no {needle} case");
    }
}

#[test]
fn bin_points_put_the_outer_bins_on_the_outer_edges() {
    assert_eq!(bin_points(&[0.0, 1.0, 3.0]), vec![0.0, 0.5, 2.0, 3.0]);
    assert_eq!(bin_points(&[2.0]), vec![2.0, 2.0]);
    assert!(bin_points(&[]).is_empty());
}

#[test]
fn known_verdicts() {
    // Disjoint supports: every distance at its maximum, p-values at zero.
    let (r, l) = ([10.0, 10.0, 0.0, 0.0], [0.0, 0.0, 10.0, 10.0]);
    assert!((jensen_shannon(&r, &l) - 1.0).abs() < 1e-12);
    assert!((hellinger(&r, &l) - 1.0).abs() < 1e-12);
    assert!((ks_binned(&r, &l).statistic - 1.0).abs() < 1e-12);
    let edges = [0.0, 1.0, 2.0];
    for m in Method::ALL {
        let s = score(
            m,
            m.default_threshold(),
            &r,
            &l,
            Support::Numeric {
                edges: &edges,
                reference_std: None,
            },
        );
        assert!(s.drifted, "{m:?}: {s:?}");
        let same = score(
            m,
            m.default_threshold(),
            &r,
            &r,
            Support::Numeric {
                edges: &edges,
                reference_std: None,
            },
        );
        assert!(!same.drifted, "{m:?}: {same:?}");
    }
    // Wasserstein needs numeric edges: on categories it has no value and no verdict.
    let s = score(Method::Wasserstein, 0.1, &r, &l, Support::Categorical);
    assert!(s.value.is_nan() && !s.drifted);
}

fn counts(len: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![2 => Just(0.0), 5 => 0.0..1e6f64, 1 => 0.0..1.0f64],
        len,
    )
}

fn pair() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1usize..60).prop_flat_map(|n| (counts(n), counts(n)))
}

fn has_data(v: &[f64]) -> bool {
    v.iter().sum::<f64>() > 0.0
}

fn edges_for(n: usize) -> Vec<f64> {
    (0..n.saturating_sub(1).max(1))
        .map(|i| i as f64 * 1.5 - 3.0)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn identical_distributions_do_not_drift(r in counts(1..60), scale in 0.001..1000.0f64) {
        prop_assume!(has_data(&r));
        let l: Vec<f64> = r.iter().map(|x| x * scale).collect();
        prop_assert!(psi(&r, &r) == 0.0);
        prop_assert!(psi(&r, &l).abs() < 1e-9);
        prop_assert!(jensen_shannon(&r, &l).abs() < 1e-6);
        prop_assert!(jensen_shannon(&r, &r) == 0.0);
        prop_assert!(hellinger(&r, &r) == 0.0);
        let ks = ks_binned(&r, &r);
        prop_assert!(ks.statistic == 0.0 && ks.p_value == 1.0);
        let chi = chi_square(&r, &r);
        prop_assert!(chi.statistic.abs() < 1e-9 && chi.p_value > 1.0 - 1e-9, "{chi:?}");
        let points = bin_points(&edges_for(r.len()));
        if points.len() == r.len() {
            prop_assert!(wasserstein_binned(&points, &r, &r, 1.0) == 0.0);
        }
    }

    #[test]
    fn distances_are_bounded_and_js_symmetric((r, l) in pair()) {
        prop_assume!(has_data(&r) && has_data(&l));
        let js = jensen_shannon(&r, &l);
        prop_assert!((0.0..=1.0).contains(&js), "js {js}");
        prop_assert!((js - jensen_shannon(&l, &r)).abs() <= 1e-12);
        let h = hellinger(&r, &l);
        prop_assert!((0.0..=1.0).contains(&h), "hellinger {h}");
        prop_assert!((h - hellinger(&l, &r)).abs() <= 1e-12);
        prop_assert!(psi(&r, &l) >= 0.0);
        let ks = ks_binned(&r, &l);
        prop_assert!((0.0..=1.0).contains(&ks.statistic) && (0.0..=1.0).contains(&ks.p_value));
        let chi = chi_square(&r, &l);
        prop_assert!(chi.statistic >= 0.0 && (0.0..=1.0).contains(&chi.p_value), "{chi:?}");
    }

    #[test]
    fn scaling_both_sides_keeps_the_distances((r, l) in pair(), c in 0.001..1000.0f64) {
        prop_assume!(has_data(&r) && has_data(&l));
        let (rs, ls): (Vec<f64>, Vec<f64>) = (r.iter().map(|x| x * c).collect(), l.iter().map(|x| x * c).collect());
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
        prop_assert!(near(psi(&r, &l), psi(&rs, &ls)));
        prop_assert!(near(jensen_shannon(&r, &l), jensen_shannon(&rs, &ls)));
        prop_assert!(near(hellinger(&r, &l), hellinger(&rs, &ls)));
        prop_assert!(near(ks_binned(&r, &l).statistic, ks_binned(&rs, &ls).statistic));
        let points = bin_points(&edges_for(r.len()));
        if points.len() == r.len() {
            prop_assert!(near(wasserstein_binned(&points, &r, &l, 2.0), wasserstein_binned(&points, &rs, &ls, 2.0)));
        }
    }

    #[test]
    fn arbitrary_input_never_panics_nor_alarms_without_data(
        r in prop::collection::vec(prop_oneof![Just(0.0), 0.0..1e300f64, 0.0..10.0f64], 0..40),
        l in prop::collection::vec(prop_oneof![Just(0.0), 0.0..1e300f64, 0.0..10.0f64], 0..40),
        std in prop_oneof![Just(None), (0.0..1e6f64).prop_map(Some)],
    ) {
        let edges = edges_for(r.len());
        for m in Method::ALL {
            for support in [Support::Categorical, Support::Numeric { edges: &edges, reference_std: std }] {
                let s = score(m, m.default_threshold(), &r, &l, support);
                if !has_data(&r) || !has_data(&l) || r.len() != l.len() {
                    prop_assert!(s.value.is_nan() && !s.drifted, "{m:?} {s:?}");
                }
                prop_assert!(!(s.value.is_nan() && s.drifted));
            }
        }
    }
}
