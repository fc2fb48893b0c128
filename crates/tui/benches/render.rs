//! Frame and recompute costs of the Fleet at scale.
//!
//! - `frame_200x50/<n>`: one frame of the Fleet with `n` workloads after a
//!   cursor move (update + settle + draw on a TestBackend): what a key
//!   press costs. It should not depend on `n`.
//! - `snapshot_update/<n>`: a new snapshot arrives: rebuild the rows,
//!   sort, filter and measure columns (settle), without drawing.
//! - `core_fleet_rows/<n>`: the share of that which is core's `fleet_rows`.
//! - `recompute/filter_keystroke/<n>` and `recompute/sort_change/<n>`: the
//!   recompute after a filter edit or a sort change.
//!
//! The fleet is generated directly (deterministic, no randomness) until the
//! sandbox's `Sandbox::generate` serves workloads.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use modeldeck_core::Snapshot;
use modeldeck_core::console::BackendStatus;
use modeldeck_core::domain::*;
use modeldeck_tui::action::{Action, Nav, PromptKey};
use modeldeck_tui::{App, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

const NOW: Timestamp = Timestamp(1_795_869_880_000);
const SIZES: [usize; 2] = [10_000, 100_000];

fn status() -> BackendStatus {
    BackendStatus {
        endpoint: "bench".into(),
        loaded: true,
        last_ok: Some(NOW),
        error: None,
        failing_since: None,
    }
}

/// `n` workloads over 3 clusters x 20 namespaces serving 50 models.
fn fleet(n: usize) -> Snapshot {
    let clusters = ["prod-eu", "prod-us", "staging"];
    let kinds = WorkloadKind::ALL;
    let models: Vec<RegisteredModel> = (0..50)
        .map(|m| RegisteredModel {
            name: format!("model-{m:02}"),
            description: Some(format!("benchmark model {m}")),
            tags: BTreeMap::new(),
            aliases: [("champion", "5"), ("challenger", "6")]
                .iter()
                .map(|(a, v)| (a.to_string(), v.to_string()))
                .collect(),
            latest_version: Some("6".into()),
            created_at: NOW.plus_millis(-90 * 86_400_000),
            updated_at: NOW.plus_millis(-86_400_000),
        })
        .collect();
    let mut workloads: Vec<Workload> = (0..n)
        .map(|i| {
            let model = i % 50;
            Workload {
                id: WorkloadRef {
                    cluster: clusters[i % 3].into(),
                    namespace: format!("team-{:02}", (i / 3) % 20),
                    kind: kinds[i % 4],
                    name: format!("svc-{i:06}-{}", ["api", "batch", "stream", "shadow"][i % 4]),
                },
                uid: format!("uid-{i}"),
                resource_version: "1".into(),
                model: Some(format!("model-{model:02}")),
                served_version: Some(["5", "6", "4"][i % 3].into()),
                canary: None,
                ready_replicas: (i % 5) as u32,
                desired_replicas: 4,
                rollout: if i % 7 == 0 {
                    RolloutState::Progressing {
                        updated: 2,
                        desired: 4,
                    }
                } else {
                    RolloutState::Available
                },
                labels: [("team".to_string(), format!("team-{:02}", (i / 3) % 20))].into(),
                created_at: NOW.plus_millis(-((i as i64 * 7_919) % 5_000_000_000)),
            }
        })
        .collect();
    workloads.sort_by(|a, b| a.id.cmp(&b.id));
    let health = workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let x = (i as f64 * 0.618_033_988).fract();
            let h = Health {
                request_rate: Some(10.0 + 400.0 * x),
                error_ratio: Some(0.02 * x),
                latency_p50: Some(0.01 + 0.02 * x),
                latency_p95: Some(0.02 + 0.05 * x),
                latency_p99: Some(0.03 + 0.2 * x),
                drift_max: Some(0.4 * x),
                read_at: NOW,
            };
            (w.id.clone(), h)
        })
        .collect();
    Snapshot {
        generation: 1,
        profile: "bench".into(),
        sandbox: true,
        clusters: clusters.iter().map(|c| c.to_string()).collect(),
        workloads: Arc::new(workloads),
        models: Arc::new(models),
        health: Arc::new(health),
        cluster: status(),
        registry: status(),
        metrics: status(),
        drift_warn: 0.1,
        drift_alert: 0.25,
        at: NOW,
    }
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
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
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
