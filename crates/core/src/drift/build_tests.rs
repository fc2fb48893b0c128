use super::*;
use crate::drift::{LiveCounts, LiveFeature, LiveSample, evaluate};

/// splitmix64: a small deterministic generator for the tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self, mean: f64, std: f64) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        mean + std * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn numeric_col(values: &[Option<f64>]) -> Column {
    let mut c = Column::new(FeatureKind::Numeric);
    for v in values {
        c.push_number(*v);
    }
    c
}

fn edges_counts(f: &FeatureProfile) -> (Vec<f64>, Vec<u64>) {
    match &f.dist {
        Distribution::Numeric { edges, counts } => (edges.clone(), counts.clone()),
        Distribution::Categorical { .. } => panic!("not numeric"),
    }
}

#[test]
fn quantiles_interpolate_like_numpy() {
    // np.quantile([1, 2, 3, 4, 10], [0.0005, 0.1, 0.5, 0.95, 1])
    let v = [1.0, 2.0, 3.0, 4.0, 10.0];
    let q: Vec<f64> = [0.0005, 0.1, 0.5, 0.95, 1.0]
        .iter()
        .map(|&p| quantile_sorted(&v, p))
        .collect();
    let want = [1.002, 1.4, 3.0, 8.8, 10.0];
    for (a, b) in q.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{q:?}");
    }
    assert!(quantile_sorted(&[], 0.5).is_nan());
}

#[test]
fn bins_follow_the_le_convention() {
    let e = [1.0, 2.0, 3.0];
    assert_eq!(bin_index(&e, 0.5), 0);
    assert_eq!(bin_index(&e, 1.0), 0);
    assert_eq!(bin_index(&e, 1.5), 1);
    assert_eq!(bin_index(&e, 2.0), 1);
    assert_eq!(bin_index(&e, 3.0), 2);
    assert_eq!(bin_index(&e, 3.1), 3);
    assert_eq!(bin_index(&e, f64::INFINITY), 3);
    assert_eq!(bin_index(&e, f64::NEG_INFINITY), 0);
}

#[test]
fn continuous_columns_get_tail_and_decile_edges() {
    let values: Vec<Option<f64>> = (0..1000).map(|i| Some(f64::from(i))).collect();
    let f = numeric_col(&values)
        .finish("x", &BuildOptions::default())
        .unwrap();
    let (edges, counts) = edges_counts(&f);
    assert_eq!(edges.len(), 11, "{edges:?}");
    // The deciles, np.quantile(range(1000), [0.1, .., 0.9]).
    assert_eq!(
        &edges[1..10],
        &[99.9, 199.8, 299.7, 399.6, 499.5, 599.4, 699.3, 799.2, 899.1]
    );
    // Under 2,000 rows the 0.05 % tails hold no value: the first edge goes
    // below the minimum (halfway to the next edge), the last is the maximum.
    assert_eq!((edges[0], edges[10]), (-49.95, 999.0));
    assert_eq!(counts, [&[0][..], &[100; 10], &[0]].concat());
    let s = f.stats.unwrap();
    assert_eq!((s.min, s.max, s.mean), (0.0, 999.0, 499.5));
    assert!((s.std - 288.674_990_257_210_5).abs() < 1e-9, "{}", s.std);
    assert_eq!(s.quantiles["0.5"], 499.5);
    assert_eq!(s.quantiles.len(), 5);
}

#[test]
fn discrete_columns_merge_edges_and_keep_the_minimum_out_of_underflow() {
    // 0/1: the minimum gets its own bin below the first edge.
    let values: Vec<Option<f64>> = (0..100).map(|i| Some(f64::from(i % 4 == 0))).collect();
    let f = numeric_col(&values)
        .finish("flag", &BuildOptions::default())
        .unwrap();
    let (edges, counts) = edges_counts(&f);
    assert_eq!(edges, vec![-0.5, 0.0, 1.0]);
    assert_eq!(counts, vec![0, 75, 25, 0]);

    // Small integers: one bin per value, none in the outer bins.
    let values: Vec<Option<f64>> = (0..500).map(|i| Some(f64::from(i % 5 + 1))).collect();
    let f = numeric_col(&values)
        .finish("stars", &BuildOptions::default())
        .unwrap();
    let (edges, counts) = edges_counts(&f);
    assert_eq!(edges, vec![0.5, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(counts, vec![0, 100, 100, 100, 100, 100, 0]);

    // A constant column.
    let f = numeric_col(&[Some(7.0); 10])
        .finish("c", &BuildOptions::default())
        .unwrap();
    let (edges, counts) = edges_counts(&f);
    assert_eq!(edges, vec![3.5, 7.0]);
    assert_eq!(counts, vec![0, 10, 0]);
    let f = numeric_col(&[Some(-1e300); 3])
        .finish("c", &BuildOptions::default())
        .unwrap();
    assert_eq!(edges_counts(&f).1, vec![0, 3, 0]);
    // A constant timestamp (microseconds): rounding it to 6 digits would
    // put every value above the only edge.
    let f = numeric_col(&[Some(1_704_067_200_000_000.0); 4])
        .finish("t", &BuildOptions::default())
        .unwrap();
    let (edges, counts) = edges_counts(&f);
    assert_eq!(edges, vec![852_034_000_000_000.0, 1_704_067_200_000_000.0]);
    assert_eq!(counts, vec![0, 4, 0]);
}

#[test]
fn outer_bins_hold_the_tails_from_2000_rows() {
    // 20,000 distinct values: 10 (0.05 %) in each outer bin.
    let values: Vec<Option<f64>> = (0..20_000).map(|i| Some(f64::from(i) * 0.5)).collect();
    let f = numeric_col(&values)
        .finish("x", &BuildOptions::default())
        .unwrap();
    let (edges, counts) = edges_counts(&f);
    assert_eq!((counts[0], counts[11]), (10, 10), "{edges:?}");
    // Two values: one inner bin, nothing out of range.
    let f = numeric_col(&[Some(1.0), Some(2.0)])
        .finish("x", &BuildOptions::default())
        .unwrap();
    let (edges, counts) = edges_counts(&f);
    assert_eq!((edges, counts), (vec![0.5, 2.0], vec![0, 2, 0]));
}

#[test]
fn edges_are_rounded_only_when_that_keeps_them_apart() {
    let values: Vec<f64> = (0..1000).map(|i| 1.0 + f64::from(i) / 3.0).collect();
    let e = frozen_edges(&values, 10);
    assert!(e.iter().all(|x| x.to_string().len() <= 8), "{e:?}");
    // Values closer than 6 significant digits keep their exact edges.
    let values: Vec<f64> = (0..1000).map(|i| 1e6 + f64::from(i) * 1e-4).collect();
    let e = frozen_edges(&values, 10);
    assert_eq!(e.len(), 11, "{e:?}");
    assert!(e.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn missing_nan_and_infinities() {
    let f = numeric_col(&[
        Some(1.0),
        None,
        Some(f64::NAN),
        Some(f64::INFINITY),
        Some(f64::NEG_INFINITY),
        Some(2.0),
        Some(3.0),
    ])
    .finish("x", &BuildOptions::default())
    .unwrap();
    assert_eq!(f.missing, 2);
    let (_, counts) = edges_counts(&f);
    assert_eq!(counts.iter().sum::<u64>(), 5);
    assert!(counts[0] >= 1 && *counts.last().unwrap() >= 1, "{counts:?}");
    let s = f.stats.unwrap();
    assert_eq!((s.min, s.max, s.mean), (1.0, 3.0, 2.0));

    let e = numeric_col(&[None, Some(f64::NAN)])
        .finish("empty \u{202e}col", &BuildOptions::default())
        .unwrap_err();
    assert!(e.contains("every value is missing (2 rows)"), "{e}");
    assert!(e.contains("\\u{202e}"), "the name is escaped: {e}");
    let e = numeric_col(&[Some(f64::INFINITY)])
        .finish("x", &BuildOptions::default())
        .unwrap_err();
    assert!(e.contains("no finite value"), "{e}");
}

#[test]
fn rare_categories_fold_into_other() {
    let mut c = Column::new(FeatureKind::Categorical);
    for i in 0..1000 {
        let v = match i % 100 {
            0..=59 => Some("de"),
            60..=89 => Some("fr"),
            90..=98 => Some("es"),
            _ => None,
        };
        c.push_category(v);
    }
    // Rare ones: 0.5 % each.
    for _ in 0..5 {
        c.push_category(Some("lu"));
        c.push_category(Some("__other__"));
    }
    c.push_number(Some(3.0));
    assert_eq!(c.rows(), 1011);
    let f = c.finish("country", &BuildOptions::default()).unwrap();
    let Distribution::Categorical { counts } = &f.dist else {
        panic!()
    };
    assert_eq!(f.missing, 10);
    let want: BTreeMap<String, u64> = [("de", 600), ("fr", 300), ("es", 90), ("__other__", 11)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(counts, &want);

    // At most `max_categories`, the most frequent first, ties by name.
    let mut c = Column::new(FeatureKind::Categorical);
    for (cat, n) in [("a", 5), ("b", 5), ("c", 9), ("d", 1)] {
        for _ in 0..n {
            c.push_category(Some(cat));
        }
    }
    let opts = BuildOptions {
        max_categories: 2,
        ..BuildOptions::default()
    };
    let f = c.finish("k", &opts).unwrap();
    let Distribution::Categorical { counts } = &f.dist else {
        panic!()
    };
    assert_eq!(counts.keys().collect::<Vec<_>>(), ["__other__", "a", "c"]);
    assert_eq!(counts["__other__"], 6);

    let mut c = Column::new(FeatureKind::Categorical);
    c.push_category(None);
    assert!(
        c.finish("k", &opts)
            .unwrap_err()
            .contains("every value is missing")
    );
}

#[test]
fn options_are_checked() {
    let o = |bins| BuildOptions {
        bins,
        ..BuildOptions::default()
    };
    assert!(
        o(0).validate()
            .unwrap_err()
            .contains("bins must be 1 to 200")
    );
    assert!(o(201).validate().is_err());
    assert!(o(1).validate().is_ok());
    let f = numeric_col(&[Some(1.0), Some(2.0), Some(3.0)])
        .finish("x", &o(1))
        .unwrap();
    assert_eq!(edges_counts(&f).0.len(), 2);
    assert!(numeric_col(&[Some(1.0)]).finish("x", &o(0)).is_err());
}

#[test]
fn assembled_profiles_validate_and_name_duplicates() {
    let f = numeric_col(&[Some(1.0), Some(2.0)])
        .finish("a", &BuildOptions::default())
        .unwrap();
    let parts = ProfileParts {
        rows: 2,
        source_digest: Some("sha256:00".into()),
        created_at: Timestamp(1_764_900_000_000),
        features: vec![f.clone()],
        prediction: None,
        label: None,
    };
    let p = assemble(parts.clone()).unwrap();
    assert_eq!(p.schema, PROFILE_SCHEMA);
    assert_eq!(p.created_at, "2025-12-05T02:00:00Z");
    let json = serde_json::to_string(&p).unwrap();
    let back: ReferenceProfile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
    let e = assemble(ProfileParts {
        label: Some(f),
        ..parts
    })
    .unwrap_err();
    assert!(e.contains("\"a\" appears twice"), "{e}");
}

#[test]
fn digests_are_sha256_hex() {
    assert_eq!(
        digest_reader(&b"abc"[..]).unwrap(),
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

/// Live counts of `values` in `f`'s bins, as the metrics backend would
/// report them.
fn live_numeric(f: &FeatureProfile, values: &[f64]) -> LiveFeature {
    let (edges, _) = edges_counts(f);
    let mut counts = vec![0.0; edges.len() + 1];
    for &x in values {
        counts[bin_index(&edges, x)] += 1.0;
    }
    LiveFeature {
        name: f.name.clone(),
        counts: LiveCounts::Numeric(counts),
        missing: 0.0,
    }
}

fn live_categorical(name: &str, values: &[&str]) -> LiveFeature {
    let mut counts = BTreeMap::new();
    for v in values {
        *counts.entry(v.to_string()).or_insert(0.0) += 1.0;
    }
    LiveFeature {
        name: name.into(),
        counts: LiveCounts::Categorical(counts),
        missing: 0.0,
    }
}

fn pick<'a>(rng: &mut Rng, shift: bool) -> &'a str {
    let u = rng.uniform();
    match (shift, u) {
        (false, u) if u < 0.5 => "a",
        (false, u) if u < 0.8 => "b",
        (true, u) if u < 0.2 => "a",
        (true, u) if u < 0.5 => "b",
        _ => "c",
    }
}

#[test]
fn live_data_drawn_like_the_reference_scores_about_zero() {
    let mut rng = Rng(42);
    let (mut amount, mut count, mut kind) = (
        Column::new(FeatureKind::Numeric),
        Column::new(FeatureKind::Numeric),
        Column::new(FeatureKind::Categorical),
    );
    for _ in 0..20_000 {
        amount.push_number(Some(rng.normal(50.0, 10.0)));
        count.push_number(Some((rng.uniform() * 6.0).floor()));
        kind.push_category(Some(pick(&mut rng, false)));
    }
    let opts = BuildOptions::default();
    let profile = assemble(ProfileParts {
        rows: 20_000,
        source_digest: None,
        created_at: Timestamp(0),
        features: vec![
            amount.finish("amount", &opts).unwrap(),
            count.finish("count", &opts).unwrap(),
            kind.finish("kind", &opts).unwrap(),
        ],
        prediction: None,
        label: None,
    })
    .unwrap();

    let sample = |rng: &mut Rng, shift: bool| {
        let d = if shift { 8.0 } else { 0.0 };
        let a: Vec<f64> = (0..5000).map(|_| rng.normal(50.0 + d, 10.0)).collect();
        let c: Vec<f64> = (0..5000)
            .map(|_| (rng.uniform() * 6.0).floor() + if shift { 1.0 } else { 0.0 })
            .collect();
        let k: Vec<&str> = (0..5000).map(|_| pick(rng, shift)).collect();
        LiveSample {
            at: Timestamp(0),
            window_ms: 3_600_000,
            features: vec![
                live_numeric(&profile.features[0], &a),
                live_numeric(&profile.features[1], &c),
                live_categorical("kind", &k),
            ],
        }
    };
    let same = evaluate(&profile, &sample(&mut rng, false));
    assert!(!same.dataset_drift);
    for row in &same.features {
        let s = row.score.unwrap();
        assert!(!s.drifted, "{}: {s:?}", row.feature);
        assert!(s.value < 0.05, "{}: {s:?}", row.feature);
        let oor = row.quality.out_of_range_rate.unwrap_or(0.0);
        assert!(oor < 0.005, "{}: out of range {oor}", row.feature);
    }
    let shifted = evaluate(&profile, &sample(&mut rng, true));
    assert!(shifted.dataset_drift);
    for row in &shifted.features {
        assert!(
            row.score.unwrap().drifted,
            "{}: {:?}",
            row.feature,
            row.score
        );
    }
    // The shifted count reaches 6, above the training maximum: out of range.
    let c = &shifted.features[1];
    assert!(c.quality.out_of_range_rate.unwrap() > 0.1, "{c:?}");
}
