//! `drift::evaluate` on a hand-built profile and live sample: one numeric
//! feature shifted, one categorical with an unseen category, one folded
//! into `__other__`, one with 30% missing values, one absent; the
//! prediction; policy overrides; dataset drift; `DriftReport::worst`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::evaluate::{UNSEEN_BIN, bin_labels, compact, evaluate_feature};
use modeldeck_core::drift::{
    DataQuality, Distribution, DriftPolicy, DriftReport, FeatureDriftRow, FeatureKind,
    FeatureProfile, LiveCounts, LiveFeature, LiveSample, Method, NumericStats, ReferenceProfile,
    Score, evaluate,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const EDGES: [f64; 5] = [20.0, 30.0, 40.0, 50.0, 60.0];
const COUNTS: [u64; 6] = [100, 900, 1500, 1400, 800, 300];

fn numeric(name: &str, missing: u64) -> FeatureProfile {
    FeatureProfile {
        name: name.into(),
        dist: Distribution::Numeric {
            edges: EDGES.to_vec(),
            counts: COUNTS.to_vec(),
        },
        missing,
        stats: Some(NumericStats {
            min: 5.0,
            max: 90.0,
            mean: 42.0,
            std: 12.0,
            quantiles: BTreeMap::new(),
        }),
    }
}

fn categorical(name: &str, counts: &[(&str, u64)]) -> FeatureProfile {
    FeatureProfile {
        name: name.into(),
        dist: Distribution::Categorical {
            counts: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        },
        missing: 0,
        stats: None,
    }
}

fn profile() -> ReferenceProfile {
    ReferenceProfile {
        schema: 1,
        created_at: "2026-12-01T00:00:00Z".into(),
        rows: 5000,
        source_digest: None,
        features: vec![
            numeric("age", 0),
            numeric("income", 0),
            categorical("country", &[("de", 2000), ("fr", 1500), ("us", 1500)]),
            categorical(
                "device",
                &[("android", 2500), ("ios", 2300), ("__other__", 200)],
            ),
            numeric("tenure", 500),
            numeric("absent", 0),
        ],
        prediction: Some(categorical("approved", &[("no", 4000), ("yes", 1000)])),
        label: None,
        policy: DriftPolicy::default(),
    }
}

fn num(name: &str, counts: &[f64], missing: f64) -> LiveFeature {
    LiveFeature {
        name: name.into(),
        counts: LiveCounts::Numeric(counts.to_vec()),
        missing,
    }
}

fn cat(name: &str, counts: &[(&str, f64)]) -> LiveFeature {
    LiveFeature {
        name: name.into(),
        counts: LiveCounts::Categorical(counts.iter().map(|(k, v)| (k.to_string(), *v)).collect()),
        missing: 0.0,
    }
}

fn sample() -> LiveSample {
    let same: Vec<f64> = COUNTS.iter().map(|&c| c as f64 / 5.0).collect();
    LiveSample {
        at: Timestamp(1_790_000_000_000),
        window_ms: 3_600_000,
        features: vec![
            num("age", &same, 0.0),
            // everything moved up two bins, a third of it past the last edge
            num("income", &[0.0, 10.0, 60.0, 200.0, 400.0, 330.0], 0.0),
            cat(
                "country",
                &[
                    ("de", 2000.0),
                    ("fr", 1500.0),
                    ("us", 1400.0),
                    ("br", 300.0),
                ],
            ),
            cat(
                "device",
                &[
                    ("android", 2500.0),
                    ("ios", 2300.0),
                    ("kaios", 150.0),
                    ("__other__", 50.0),
                ],
            ),
            // 700 values in the reference's proportions, 300 missing
            num("tenure", &COUNTS.map(|c| c as f64 * 0.14), 300.0),
            cat("approved", &[("no", 800.0), ("yes", 200.0)]),
            // a series the profile does not know is ignored
            num("unknown", &[1.0], 0.0),
        ],
    }
}

fn row<'a>(r: &'a DriftReport, name: &str) -> &'a FeatureDriftRow {
    r.features.iter().find(|f| f.feature == name).expect(name)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn rows_verdicts_quality_and_dataset_drift() {
    let r = evaluate(&profile(), &sample());
    let names: Vec<&str> = r.features.iter().map(|f| f.feature.as_str()).collect();
    assert_eq!(
        names,
        ["age", "income", "country", "device", "tenure", "absent"]
    );
    assert_eq!(r.at, Timestamp(1_790_000_000_000));
    assert_eq!(r.window_ms, 3_600_000);

    // > 1000 reference rows: Wasserstein for numeric, Jensen-Shannon for categorical.
    let age = row(&r, "age").score.unwrap();
    assert_eq!((age.method, age.threshold), (Method::Wasserstein, 0.1));
    assert!(age.value.abs() < 1e-12 && !age.drifted, "{age:?}");
    let income = row(&r, "income").score.unwrap();
    assert_eq!(income.method, Method::Wasserstein);
    assert!(income.drifted && income.value > 1.0, "{income:?}");
    assert!(close(
        row(&r, "income").quality.out_of_range_rate.unwrap(),
        330.0 / 1000.0
    ));
    assert!(close(
        row(&r, "age").quality.out_of_range_rate.unwrap(),
        400.0 / 5000.0
    ));

    // An unseen category gets its own bin, which the score sees.
    let country = row(&r, "country");
    let cs = country.score.unwrap();
    assert_eq!(cs.method, Method::JensenShannon);
    assert!(cs.drifted && cs.value > 0.15 && cs.value < 0.2, "{cs:?}");
    assert_eq!(country.quality.unseen_categories, ["br"]);
    assert_eq!(country.bins.to_vec(), ["de", "fr", "us", UNSEEN_BIN]);
    assert_eq!(country.reference_share, [0.4, 0.3, 0.3, 0.0]);
    assert!(close(country.live_share[3], 300.0 / 5200.0));
    assert_eq!(country.live_n, 5200.0);
    assert_eq!(country.quality.out_of_range_rate, None);

    // A category the reference folded into __other__ is counted there, not flagged.
    let device = row(&r, "device");
    assert!(device.quality.unseen_categories.is_empty());
    assert_eq!(device.bins.to_vec(), ["__other__", "android", "ios"]);
    assert!(close(device.live_share[0], 200.0 / 5000.0));
    assert!(!device.score.unwrap().drifted && device.score.unwrap().value < 1e-12);

    // 30% missing: a quality flag, not drift.
    let tenure = row(&r, "tenure");
    assert!(close(tenure.quality.missing_rate.unwrap(), 0.3));
    assert!(close(
        tenure.quality.reference_missing_rate.unwrap(),
        500.0 / 5500.0
    ));
    assert!(!tenure.score.unwrap().drifted);
    assert!(close(tenure.live_n, 700.0));

    // Absent from the live sample: no score, no live quality, the reference still drawn.
    let absent = row(&r, "absent");
    assert_eq!(absent.score, None);
    assert_eq!(
        absent.quality,
        DataQuality {
            reference_missing_rate: Some(0.0),
            ..DataQuality::default()
        }
    );
    assert_eq!(absent.live_n, 0.0);
    assert_eq!(absent.live_share, vec![0.0; 6]);
    assert_eq!(
        absent.bins.to_vec(),
        ["≤20", "20–30", "30–40", "40–50", "50–60", ">60"]
    );
    assert_eq!(absent.reference_share.len(), 6);

    // The prediction is scored, not counted in the share.
    let p = r.prediction.as_ref().unwrap();
    assert_eq!(p.feature, "approved");
    assert_eq!(p.kind, FeatureKind::Categorical);
    assert!(!p.score.unwrap().drifted);

    // income and country of five scored features: 0.4 < 0.5.
    assert!(close(r.drifted_share.unwrap(), 0.4));
    assert_eq!(r.dataset_threshold, 0.5);
    assert!(!r.dataset_drift);
    assert_eq!(r.drifted().count(), 2);
    assert_eq!(r.worst().unwrap().feature, "income");

    // The report serialises and reads back.
    let json = serde_json::to_string(&r).unwrap();
    let back: DriftReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.features.len(), r.features.len());
}

#[test]
fn the_policy_overrides_methods_thresholds_and_the_share() {
    let mut p = profile();
    p.policy.methods.insert("age".into(), Method::Psi);
    p.policy.thresholds.insert("age".into(), 0.2);
    p.policy.methods.insert("income".into(), Method::Ks);
    // KS needs ordered numeric bins: the automatic choice stays for a category.
    p.policy.methods.insert("country".into(), Method::Ks);
    p.policy.methods.insert("device".into(), Method::ChiSquare);
    p.policy.dataset_share = Some(0.4);
    let r = evaluate(&p, &sample());
    let age = row(&r, "age").score.unwrap();
    assert_eq!(
        (age.method, age.threshold, age.drifted),
        (Method::Psi, 0.2, false)
    );
    let income = row(&r, "income").score.unwrap();
    assert_eq!(income.method, Method::Ks);
    assert!(income.drifted && income.value < 1e-10 && income.statistic.unwrap() > 0.5);
    assert_eq!(
        row(&r, "country").score.unwrap().method,
        Method::JensenShannon
    );
    let device = row(&r, "device").score.unwrap();
    assert_eq!(device.method, Method::ChiSquare);
    assert!(!device.drifted && device.value > 0.99);
    assert_eq!(r.dataset_threshold, 0.4);
    assert!(r.dataset_drift);
}

#[test]
fn a_small_reference_gets_ks_and_chi_square() {
    let mut p = profile();
    p.rows = 1000;
    for f in &mut p.features {
        match &mut f.dist {
            Distribution::Numeric { counts, .. } => counts.iter_mut().for_each(|c| *c /= 10),
            Distribution::Categorical { counts } => counts.values_mut().for_each(|c| *c /= 10),
        }
        f.missing /= 10;
    }
    let r = evaluate(&p, &sample());
    assert_eq!(row(&r, "age").score.unwrap().method, Method::Ks);
    assert_eq!(row(&r, "country").score.unwrap().method, Method::ChiSquare);
    assert!(row(&r, "income").score.unwrap().drifted);
    // The reference's size is its rows (missing values included), not the values present.
    let mut big = p.clone();
    big.rows = 1001;
    assert_eq!(
        row(&evaluate(&big, &sample()), "age").score.unwrap().method,
        Method::Wasserstein
    );
    // A numeric feature with at most five values in use: chi-square.
    let mut p2 = p.clone();
    p2.features[0].dist = Distribution::Numeric {
        edges: vec![0.0, 1.0],
        counts: vec![40, 60, 0],
    };
    let mut s = sample();
    s.features[0] = num("age", &[30.0, 70.0, 0.0], 0.0);
    assert_eq!(
        row(&evaluate(&p2, &s), "age").score.unwrap().method,
        Method::ChiSquare
    );
}

#[test]
fn nothing_to_compare_gives_no_score_and_no_dataset_verdict() {
    let empty = LiveSample {
        at: Timestamp(0),
        window_ms: 60_000,
        features: vec![
            num("age", &[0.0; 6], 12.0),     // only missing values
            num("income", &[1.0, 2.0], 0.0), // wrong bin count
            cat("tenure", &[("x", 1.0)]),    // wrong shape
        ],
    };
    let r = evaluate(&profile(), &empty);
    assert!(
        r.features.iter().all(|f| f.score.is_none()),
        "{:?}",
        r.features
    );
    assert_eq!(row(&r, "age").quality.missing_rate, Some(1.0));
    assert_eq!(r.drifted_share, None);
    assert!(!r.dataset_drift);
    assert!(r.worst().is_none());
}

fn scored(name: &str, method: Method, value: f64, threshold: f64) -> FeatureDriftRow {
    let drifted = if method.is_p_value() {
        value < threshold
    } else {
        value >= threshold
    };
    FeatureDriftRow {
        feature: name.into(),
        kind: FeatureKind::Numeric,
        score: Some(Score {
            method,
            value,
            statistic: None,
            threshold,
            drifted,
        }),
        quality: DataQuality::default(),
        reference_n: 1.0,
        live_n: 1.0,
        live_share: vec![],
        reference_share: vec![],
        bins: Vec::<String>::new().into(),
    }
}

#[test]
fn worst_puts_drift_first_then_compares_p_values_as_p_values() {
    let mut r = evaluate(&profile(), &sample());
    r.features = vec![
        scored("psi_ok", Method::Psi, 0.09, 0.1),
        scored("psi_drift", Method::Psi, 0.15, 0.1),
        scored("ks_drift", Method::Ks, 1e-6, 0.05),
        scored("chi_ok", Method::ChiSquare, 0.06, 0.05),
    ];
    // ln(1e-6) / ln(0.05) = 4.6 beats 0.15 / 0.1 = 1.5
    assert_eq!(r.worst().unwrap().feature, "ks_drift");
    r.features.retain(|f| f.feature != "ks_drift");
    assert_eq!(r.worst().unwrap().feature, "psi_drift");
    r.features.retain(|f| f.feature != "psi_drift");
    // neither drifted: p = 0.06 (ln 0.06 / ln 0.05 = 0.94) is nearer its threshold than PSI 0.09 (0.9)
    assert_eq!(r.worst().unwrap().feature, "chi_ok");
    r.features.push(scored("nan", Method::Psi, f64::NAN, 0.1));
    assert_eq!(r.worst().unwrap().feature, "chi_ok");
    // A threshold the ratio cannot use: drifted still comes first on a tie.
    r.features = vec![
        scored("p_at_threshold", Method::Ks, 0.05, 0.05),
        scored("zero_threshold", Method::Psi, 0.0, 0.0),
    ];
    assert_eq!(r.worst().unwrap().feature, "zero_threshold");
}

#[test]
fn numbers_in_bin_labels_are_compact_and_distinct() {
    assert_eq!(compact(0.25, 4), "0.25");
    assert_eq!(compact(12.5, 4), "12.5");
    assert_eq!(compact(1234.5678, 4), "1235");
    assert_eq!(compact(-3.0, 4), "-3");
    assert_eq!(compact(1_500_000.0, 4), "1.5e6");
    assert_eq!(compact(0.0002, 4), "2e-4");
    assert_eq!(bin_labels(&[0.5, 1.0]), ["≤0.5", "0.5–1", ">1"]);
    let close_edges = bin_labels(&[100.01, 100.02]);
    assert_eq!(close_edges, ["≤100.01", "100.01–100.02", ">100.02"]);
    assert_eq!(bin_labels(&[]), ["(all)"]);
}

#[test]
fn one_feature_alone_gives_the_same_row() {
    let (p, s) = (profile(), sample());
    let all = evaluate(&p, &s);
    for name in ["age", "income", "country", "device", "tenure", "absent"] {
        let one = evaluate_feature(&p, name, s.feature(name)).unwrap();
        assert_eq!(&one, row(&all, name));
    }
    let pred = evaluate_feature(&p, "approved", s.feature("approved")).unwrap();
    assert_eq!(Some(&pred), all.prediction.as_ref());
    assert!(evaluate_feature(&p, "nope", None).is_none());
}

proptest! {
    #[test]
    fn compact_numbers_read_back_close(v in prop_oneof![-1e7..1e7f64, -1.0..1.0f64, -1e-2..1e-2f64], sig in 4usize..12) {
        let text = compact(v, sig);
        let back: f64 = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        let tolerance = v.abs() * 10f64.powi(1 - sig as i32);
        prop_assert!((back - v).abs() <= tolerance, "{v} -> {text}");
        let trailing_zero = text.contains('.') && !text.contains('e') && text.ends_with('0');
        prop_assert!(!text.ends_with('.') && !trailing_zero, "{text}");
    }
}

#[test]
fn the_documented_profile_example_parses_and_validates() {
    let doc = include_str!("../../../docs/drift.md");
    let start = doc
        .find("```json\n")
        .expect("docs/drift.md has a JSON example")
        + 8;
    let len = doc[start..].find("```").unwrap();
    let p: ReferenceProfile = serde_json::from_str(&doc[start..start + len]).unwrap();
    p.validate().unwrap();
    assert_eq!(p.policy.methods.get("age"), Some(&Method::Psi));
    assert_eq!(p.feature("age").unwrap().present() + 110, p.rows);
}
