//! Frame and recompute costs of the Fleet at scale.
//!
//! - `frame_200x50/<n>`: one frame of the Fleet with `n` workloads after a
//!   cursor move (update + settle + draw on a TestBackend): what a key
//!   press costs. It should not depend on `n`.
//! - `snapshot_update/<n>`: the metrics poll (every 10 s, the usual
//!   refresh): new health and a clock 10 s on, the same workloads (the
//!   console keeps their `Arc`): bring the rows up to date, sort, filter
//!   and measure columns (settle), without drawing. The clock keeps moving
//!   across iterations, so CronJob views are judged again whenever it
//!   passes a run, a schedule or the strip's week, as on a live console;
//!   `snapshot_update/relisted/<n>`: the same, with the workloads read
//!   again (a new `Arc` of equal workloads, so each is compared);
//!   `snapshot_update/all_changed/<n>`: every workload changed, so every
//!   row is rebuilt.
//! - `core_fleet_rows/<n>`: the share of that which is core's `fleet_rows`;
//!   `core_fleet_rows/lookup_per_row/<n>` builds the same rows on one thread
//!   with a health-map search per workload, as the baseline.
//! - `recompute/filter_keystroke/<n>` and `recompute/sort_change/<n>`: the
//!   recompute after a filter edit or a sort change.
//!
//! The fleet is the sandbox's generated world (`Sandbox::generate`) read
//! through a real Console once, before timing.

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use modeldeck_core::{Console, ConsoleOptions, Snapshot};
use modeldeck_sandbox::{GenSpec, Sandbox};
use modeldeck_tui::action::{Action, Nav, PromptKey};
use modeldeck_tui::{App, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use std::sync::Arc;

const SIZES: [usize; 2] = [10_000, 100_000];

/// The sandbox's generated world with `n` workloads (1,000 models, 3
/// clusters), read once through a real Console.
fn fleet(n: usize) -> Snapshot {
    let sb = Sandbox::generate(&GenSpec {
        workloads: n,
        ..GenSpec::default()
    });
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            sandbox: true,
            clock: sb.clock(),
            call_timeout: std::time::Duration::from_secs(600),
            ..Default::default()
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(console.refresh_all());
    let snap = console.snapshot();
    assert_eq!(snap.workloads.len(), n, "{:?}", snap.cluster.error);
    (*snap).clone()
}

/// The same data behind new `Arc`s, so the app sees a changed snapshot.
fn renewed(s: &Snapshot) -> Snapshot {
    Snapshot {
        generation: s.generation + 1,
        workloads: Arc::new((*s.workloads).clone()),
        models: Arc::new((*s.models).clone()),
        health: Arc::new((*s.health).clone()),
        ..s.clone()
    }
}

fn settled_app(snap: &Snapshot) -> App {
    let mut app = App::new(Arc::new(snap.clone()), 200, 50);
    app.settle();
    app
}

fn bench_frame(c: &mut Criterion) {
    let mut g = c.benchmark_group("frame_200x50");
    // 0 rows: the fixed cost of a frame (status bar, panel, TestBackend diff).
    for n in std::iter::once(0).chain(SIZES) {
        let snap = fleet(n);
        let mut app = settled_app(&snap);
        let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap_or_else(|e| panic!("{e}"));
        let mut down = true;
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                // Alternate so every frame has changed rows to flush.
                let nav = if down { Nav::Down } else { Nav::Up };
                down = !down;
                app.update(Action::Nav(nav));
                app.settle();
                term.draw(|f| render(f, &app))
                    .unwrap_or_else(|e| panic!("{e}"));
                app.mark_drawn();
            })
        });
    }
    g.finish();
}

fn bench_snapshot_update(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot_update");
    g.sample_size(10);
    for n in SIZES {
        let snap = fleet(n);
        // Two copies behind different Arcs: alternating forces a rebuild
        // each time without timing a clone of the data.
        let pair = [Arc::new(renewed(&snap)), Arc::new(renewed(&snap))];
        let mut app = settled_app(&snap);
        let mut i = 0;
        let mut tick = 0;
        // The next refresh, 10 s on: the other copy's health, and its
        // workloads too when `relisted` (built before timing; the data
        // stays behind the pair's Arcs, so this is cheap).
        let mut next = |relisted: bool| {
            i ^= 1;
            tick += 1;
            let other = &pair[i];
            Arc::new(Snapshot {
                generation: snap.generation + tick,
                at: snap.at.plus_millis(10_000 * tick as i64),
                // A metrics refresh keeps the workloads the app was
                // settled on; a relist brings them behind a new Arc.
                workloads: if relisted {
                    other.workloads.clone()
                } else {
                    snap.workloads.clone()
                },
                ..(**other).clone()
            })
        };
        for (id, relisted) in [
            (BenchmarkId::from_parameter(n), false),
            (BenchmarkId::new("relisted", n), true),
        ] {
            g.bench_with_input(id, &n, |b, _| {
                b.iter_batched(
                    || next(relisted),
                    |s| {
                        app.update(Action::Snapshot(s));
                        app.settle();
                        black_box(app.fleet().len());
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        // Every workload differs from the previous snapshot's (a new
        // resourceVersion on each): every row is rebuilt.
        let mut bumped = renewed(&snap);
        bumped.workloads = Arc::new(
            snap.workloads
                .iter()
                .map(|w| modeldeck_core::domain::Workload {
                    resource_version: format!("{}-2", w.resource_version),
                    ..w.clone()
                })
                .collect(),
        );
        let pair = [Arc::new(renewed(&snap)), Arc::new(bumped)];
        g.bench_with_input(BenchmarkId::new("all_changed", n), &n, |b, _| {
            b.iter(|| {
                i ^= 1;
                app.update(Action::Snapshot(pair[i].clone()));
                app.settle();
                black_box(app.fleet().len());
            })
        });
    }
    g.finish();
}

/// The part of `snapshot_update` that is core's `fleet_rows` (joining
/// workloads, aliases and health), for the breakdown.
fn bench_fleet_rows(c: &mut Criterion) {
    let mut g = c.benchmark_group("core_fleet_rows");
    g.sample_size(10);
    for n in SIZES {
        let snap = fleet(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(modeldeck_core::fleet::fleet_rows(&snap).len()))
        });
        // The same rows built the plain way, in the same run: one thread,
        // a health-map search per workload (what fleet_rows did before).
        g.bench_with_input(BenchmarkId::new("lookup_per_row", n), &n, |b, _| {
            b.iter(|| {
                let rows: Vec<_> = snap
                    .workloads
                    .iter()
                    .map(|w| modeldeck_core::fleet::fleet_row(&snap, w))
                    .collect();
                black_box(rows.len())
            })
        });
    }
    g.finish();
}

fn bench_filter_and_sort(c: &mut Criterion) {
    let mut g = c.benchmark_group("recompute");
    g.sample_size(10);
    for n in SIZES {
        let snap = fleet(n);
        let mut app = settled_app(&snap);
        app.update(Action::OpenFilter);
        for c in "api".chars() {
            app.update(Action::Prompt(PromptKey::Insert(c)));
        }
        let mut typed = false;
        g.bench_with_input(BenchmarkId::new("filter_keystroke", n), &n, |b, _| {
            b.iter(|| {
                // "api" <-> "api7": every iteration re-filters all rows.
                let key = if typed {
                    PromptKey::Backspace
                } else {
                    PromptKey::Insert('7')
                };
                typed = !typed;
                app.update(Action::Prompt(key));
                app.settle();
                black_box(app.fleet().len());
            })
        });
        let mut app = settled_app(&snap);
        let mut flip = false;
        g.bench_with_input(BenchmarkId::new("sort_change", n), &n, |b, _| {
            b.iter(|| {
                flip = !flip;
                let col = if flip {
                    modeldeck_core::fleet::FleetColumn::P99
                } else {
                    modeldeck_core::fleet::FleetColumn::Name
                };
                app.update(Action::SortBy(col));
                app.settle();
                black_box(app.fleet().len());
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_frame,
    bench_snapshot_update,
    bench_fleet_rows,
    bench_filter_and_sort
);
criterion_main!(benches);
