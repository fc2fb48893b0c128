//! A report of 100 features in each format: time to render, and the size
//! written (printed once before timing). The input is synthetic: the demo
//! sandbox's demand-forecaster rows and score histories (simulated
//! backends, read through a real Console) repeated as 100 features.
//!
//! Run: `cargo bench -p modeldeck-report --bench report`

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use modeldeck_report::{Format, render};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let base = rt.block_on(common::demand_forecaster(None));
    let input = common::synthetic(&base, 100);
    let mut g = c.benchmark_group("report_100_features");
    g.sample_size(10);
    for format in Format::ALL {
        let bytes = render(&input, format).unwrap();
        eprintln!(
            "report of 100 features (synthetic), {}: {} bytes",
            format.name(),
            bytes.len()
        );
        g.bench_function(format.name(), |b| {
            b.iter(|| render(black_box(&input), format).unwrap().len())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
