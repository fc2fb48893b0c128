//! Issue 10's drift benchmark: every method over 1,000 features x 50 bins
//! (goal: 2 ms or less for all features with one method), and the full
//! `drift::evaluate` of a 1,000-feature profile (numeric and categorical,
//! the automatic choice).
//!
//! ```text
//! cargo bench -p modeldeck-core --bench drift -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::math::{Method, Support, score};
use modeldeck_core::drift::{
    Distribution, DriftPolicy, FeatureProfile, LiveCounts, LiveFeature, LiveSample, NumericStats,
    ReferenceProfile, evaluate,
};
use std::collections::BTreeMap;
use std::hint::black_box;

const FEATURES: usize = 1000;
const BINS: usize = 50;

/// A small deterministic generator (xorshift), so runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Bell-shaped counts over `BINS` bins, shifted by `shift` bins, with
/// noise and a few empty bins.
fn counts(rng: &mut Rng, total: f64, shift: f64) -> Vec<f64> {
    let centre = BINS as f64 / 2.0 + shift;
    let raw: Vec<f64> = (0..BINS)
        .map(|i| {
            let z = (i as f64 - centre) / 8.0;
            let noise = 0.8 + 0.4 * rng.next();
            let w = (-z * z / 2.0).exp() * noise;
            if rng.next() < 0.05 { 0.0 } else { w }
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|w| (w / sum * total).round()).collect()
}

fn edges() -> Vec<f64> {
    (0..BINS - 1).map(|i| i as f64 * 0.5 - 12.0).collect()
}

fn bench_methods(c: &mut Criterion) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let edges = edges();
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..FEATURES)
        .map(|i| {
            let shift = if i % 10 == 0 { 3.0 } else { 0.0 };
            (
                counts(&mut rng, 100_000.0, 0.0),
                counts(&mut rng, 5_000.0, shift),
            )
        })
        .collect();
    let mut group = c.benchmark_group("drift 1000 features x 50 bins");
    for method in Method::ALL {
        group.bench_function(method.label(), |b| {
            b.iter(|| {
                let mut drifted = 0;
                for (r, l) in &pairs {
                    let support = Support::Numeric {
                        edges: &edges,
                        reference_std: Some(5.0),
                    };
                    let s = score(method, method.default_threshold(), r, l, support);
                    drifted += usize::from(s.drifted);
                }
                black_box(drifted)
            })
        });
    }
    group.finish();
}

fn profile_and_sample() -> (ReferenceProfile, LiveSample) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let edges = edges();
    let mut features = Vec::with_capacity(FEATURES);
    let mut live = Vec::with_capacity(FEATURES);
    for i in 0..FEATURES {
        let name = format!("f{i:04}");
        let shift = if i % 10 == 0 { 3.0 } else { 0.0 };
        if i % 4 == 3 {
            // categorical: 50 categories, one unseen in the live side
            let r = counts(&mut rng, 100_000.0, 0.0);
            let l = counts(&mut rng, 5_000.0, shift);
            let cats = |v: &[f64]| -> BTreeMap<String, f64> {
                v.iter()
                    .enumerate()
                    .map(|(j, &c)| (format!("c{j:02}"), c))
                    .collect()
            };
            let mut lc = cats(&l);
            lc.insert("new".into(), 7.0);
            features.push(FeatureProfile {
                name: name.clone(),
                dist: Distribution::Categorical {
                    counts: cats(&r).into_iter().map(|(k, v)| (k, v as u64)).collect(),
                },
                missing: 10,
                stats: None,
            });
            live.push(LiveFeature {
                name,
                counts: LiveCounts::Categorical(lc),
                missing: 3.0,
            });
        } else {
            let r = counts(&mut rng, 100_000.0, 0.0);
            let l = counts(&mut rng, 5_000.0, shift);
            features.push(FeatureProfile {
                name: name.clone(),
                dist: Distribution::Numeric {
                    edges: edges.clone(),
                    counts: r.iter().map(|&c| c as u64).collect(),
                },
                missing: 10,
                stats: Some(NumericStats {
                    min: -13.0,
                    max: 13.0,
                    mean: 0.0,
                    std: 5.0,
                    quantiles: BTreeMap::new(),
                }),
            });
            live.push(LiveFeature {
                name,
                counts: LiveCounts::Numeric(l),
                missing: 3.0,
            });
        }
    }
    let profile = ReferenceProfile {
        schema: 1,
        created_at: "2026-12-01T00:00:00Z".into(),
        rows: 100_010,
        source_digest: None,
        features,
        prediction: None,
        label: None,
        policy: DriftPolicy::default(),
    };
    let sample = LiveSample {
        at: Timestamp(0),
        window_ms: 3_600_000,
        features: live,
    };
    (profile, sample)
}

fn bench_evaluate(c: &mut Criterion) {
    let (profile, sample) = profile_and_sample();
    c.bench_function("evaluate 1000 features (automatic choice)", |b| {
        b.iter(|| black_box(evaluate(black_box(&profile), black_box(&sample))))
    });
    // What the lazy labels save: the same, then every bin label formatted
    // (what a JSON dump or a report of every feature pays).
    c.bench_function("evaluate 1000 features + every bin label", |b| {
        b.iter(|| {
            let r = evaluate(black_box(&profile), black_box(&sample));
            let n: usize = r.features.iter().map(|f| f.bins.to_vec().len()).sum();
            black_box(n)
        })
    });
    // The same with the p-value methods a small reference gets (KS for
    // numeric, chi-square for categorical), named in the policy.
    let mut tests = profile.clone();
    for f in &profile.features {
        let m = match f.dist {
            Distribution::Numeric { .. } => Method::Ks,
            Distribution::Categorical { .. } => Method::ChiSquare,
        };
        tests.policy.methods.insert(f.name.clone(), m);
    }
    c.bench_function("evaluate 1000 features (policy: ks, chi2)", |b| {
        b.iter(|| black_box(evaluate(black_box(&tests), black_box(&sample))))
    });
}

criterion_group!(benches, bench_methods, bench_evaluate);
criterion_main!(benches);
