//! Sandbox speed: building worlds and answering the ports at benchmark
//! scale. Figures go to crates/sandbox/README.md.
//! Run: `cargo bench -p modeldeck-sandbox --bench world`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use modeldeck_core::domain::{MetricsTarget, Signal, TimeRange};
use modeldeck_sandbox::{GenSpec, Sandbox};
use std::hint::black_box;
use std::time::Duration;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.bench_function("demo scenario", |b| {
        b.iter(|| black_box(Sandbox::demo().unwrap()))
    });
    g.bench_function("generate 10k workloads / 1k models", |b| {
        b.iter(|| black_box(Sandbox::generate(&GenSpec::default())))
    });
    g.bench_function("generate 100k workloads / 1k models", |b| {
        let spec = GenSpec {
            workloads: 100_000,
            ..GenSpec::default()
        };
        b.iter(|| black_box(Sandbox::generate(&spec)))
    });
    g.finish();
}

fn ports(c: &mut Criterion) {
    let rt = rt();
    let sb = Sandbox::generate(&GenSpec::default());
    let b = sb.backends();
    let targets: Vec<MetricsTarget> = rt
        .block_on(b.cluster.list_workloads())
        .unwrap()
        .iter()
        .map(MetricsTarget::from)
        .collect();
    let mut g = c.benchmark_group("ports (10k workloads)");
    g.sample_size(20);
    g.bench_function("list_workloads", |bn| {
        bn.iter(|| black_box(rt.block_on(b.cluster.list_workloads()).unwrap()))
    });
    g.bench_function("fleet_health (all)", |bn| {
        bn.iter(|| black_box(rt.block_on(b.metrics.fleet_health(&targets)).unwrap()))
    });
    g.bench_function("list_models", |bn| {
        bn.iter(|| black_box(rt.block_on(b.registry.list_models()).unwrap()))
    });
    let now = sb.clock().now();
    let range = TimeRange {
        start: now.plus_millis(-6 * 3_600_000),
        end: now,
        step_ms: 15_000,
    };
    g.bench_function("signal_range 6h @15s", |bn| {
        bn.iter(|| {
            black_box(
                rt.block_on(
                    b.metrics
                        .signal_range(&targets[123], Signal::LatencyP95, range),
                ),
            )
            .unwrap()
        })
    });
    g.bench_function("advance 1s + list_workloads", |bn| {
        bn.iter(|| {
            sb.advance(Duration::from_secs(1));
            black_box(rt.block_on(b.cluster.list_workloads()).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, build, ports);
criterion_main!(benches);
