//! Issue 10's chart benchmark: downsampling 1,000,000 points to 1,600
//! columns (goal: 5 ms or less), and a 7-day series at one point a minute
//! (10,080 points) to a 200-column panel.
//!
//! ```text
//! cargo bench -p modeldeck-core --bench downsample -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use modeldeck_core::chart::downsample;
use std::hint::black_box;

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

/// `n` points `step_ms` apart from time 0: a daily wave, noise, a spike
/// every 5,000 points and a NaN every 10,000 (a missing scrape).
fn series(n: usize, step_ms: i64) -> Vec<(i64, f64)> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let t = i as i64 * step_ms;
            let wave = (t as f64 / 86_400_000.0 * std::f64::consts::TAU).sin();
            let v = match i {
                i if i % 10_000 == 9_999 => f64::NAN,
                i if i % 5_000 == 0 => 50.0,
                _ => 100.0 + 20.0 * wave + rng.next(),
            };
            (t, v)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let big = series(1_000_000, 1000);
    let end = big.last().map_or(0, |p| p.0);
    c.bench_function("downsample 1,000,000 points to 1,600 columns", |b| {
        b.iter(|| downsample(black_box(&big), 0, end, 1600))
    });

    let week = series(10_080, 60_000);
    let end = week.last().map_or(0, |p| p.0);
    c.bench_function(
        "downsample 10,080 points (7 d at 1 min) to 200 columns",
        |b| b.iter(|| downsample(black_box(&week), 0, end, 200)),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
