//! `fleet_rows` walks the health map alongside the workloads and splits
//! large fleets across threads: it must give exactly the rows a lookup per
//! workload gives, whatever the order, gaps and extras.

use super::test_support::status;
use super::*;
use crate::domain::{BatchRun, BatchStatus, RegisteredModel, RolloutState, RunOutcome};
use std::collections::BTreeMap;
use std::sync::Arc;

fn workload(i: usize) -> Workload {
    let kinds = [
        WorkloadKind::Deployment,
        WorkloadKind::InferenceService,
        WorkloadKind::CronJob,
        WorkloadKind::StreamConsumer,
    ];
    Workload {
        id: WorkloadRef {
            cluster: format!("ctx-{}", i % 3),
            namespace: format!("ns-{}", i % 7),
            kind: kinds[i % 4],
            name: format!("w-{i:06}"),
        },
        uid: format!("uid-{i}"),
        resource_version: "1".into(),
        model: Some(format!("m-{}", i % 11)),
        served_version: Some(format!("{}", 1 + i % 5)),
        canary: None,
        ready_replicas: 1,
        desired_replicas: 1,
        rollout: RolloutState::Available,
        labels: Arc::default(),
        created_at: Timestamp(0),
        batch: (kinds[i % 4] == WorkloadKind::CronJob).then(|| hourly(i % 200)),
    }
}

/// A CronJob's status with `n` hourly runs up to the snapshots' clock
/// (more than the 7-day strip keeps once `n` passes 168).
fn hourly(n: usize) -> BatchStatus {
    BatchStatus {
        schedule: "0 * * * *".into(),
        last_schedule: Some(Timestamp(0)),
        last_success: Some(Timestamp(0)),
        runs: (0..n as i64).map(|k| run(-k * 3_600_000, k)).collect(),
        ..BatchStatus::default()
    }
}

fn run(start_ms: i64, k: i64) -> BatchRun {
    BatchRun {
        job: format!("job-{k}"),
        start: Timestamp(start_ms),
        end: Some(Timestamp(start_ms + 60_000)),
        outcome: if k % 9 == 4 {
            RunOutcome::Failed
        } else {
            RunOutcome::Succeeded
        },
        version: Some(format!("{}", 1 + k % 3)),
        rows: None,
    }
}

/// `n` workloads, health for two in three of them plus entries for
/// workloads the snapshot does not hold, sorted as the console keeps them
/// unless `sorted` is false.
fn snapshot(n: usize, sorted: bool) -> Snapshot {
    let mut ws: Vec<Workload> = (0..n).map(workload).collect();
    let mut health = BTreeMap::new();
    for (i, w) in ws.iter().enumerate() {
        if i % 3 != 0 {
            let h = Health {
                request_rate: Some(i as f64),
                latency_p99: Some(i as f64 / 1000.0),
                drift_max: Some((i % 40) as f64 / 100.0),
                ..Health::default()
            };
            health.insert(w.id.clone(), h);
        }
    }
    for i in n..n + n / 10 {
        let gone = workload(i);
        health.insert(gone.id, Health::default());
    }
    if sorted {
        ws.sort_by(|a, b| a.id.cmp(&b.id));
    } else {
        ws.reverse();
    }
    let models = (0..11)
        .map(|m| RegisteredModel {
            name: format!("m-{m}"),
            description: None,
            tags: BTreeMap::new(),
            aliases: BTreeMap::from([("champion".to_string(), format!("{}", 1 + m % 5))]),
            latest_version: Some("5".into()),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        })
        .collect::<Vec<_>>();
    let mut models = models;
    // m-10 sorts before m-2: keep the console's order for the binary search.
    models.sort_by(|a, b| a.name.cmp(&b.name));
    Snapshot {
        generation: 1,
        profile: "test".into(),
        sandbox: false,
        clusters: vec!["ctx-0".into(), "ctx-1".into(), "ctx-2".into()],
        workloads: Arc::new(ws),
        models: Arc::new(models),
        health: Arc::new(health),
        cluster: status(),
        registry: status(),
        metrics: status(),
        drift_warn: 0.1,
        drift_alert: 0.25,
        lag: Default::default(),
        batch_rows: Default::default(),
        at: Timestamp(0),
    }
}

fn one_by_one(snap: &Snapshot) -> Vec<FleetRow> {
    snap.workloads.iter().map(|w| fleet_row(snap, w)).collect()
}

#[test]
fn small_sorted_fleet_matches_a_lookup_per_row() {
    let snap = snapshot(500, true);
    let rows = fleet_rows(&snap);
    assert_eq!(rows, one_by_one(&snap));
    assert!(rows.iter().any(|r| r.rps.is_some()) && rows.iter().any(|r| r.rps.is_none()));
    assert!(rows.iter().any(|r| !r.aliases.is_empty()));
}

#[test]
fn large_fleet_split_across_threads_keeps_order_and_health() {
    let n = PARALLEL_FROM * 2 + 17;
    let snap = snapshot(n, true);
    let rows = fleet_rows(&snap);
    assert_eq!(rows.len(), n);
    assert_eq!(rows, one_by_one(&snap));
}

#[test]
fn unsorted_fleet_falls_back_to_lookups() {
    for n in [300, PARALLEL_FROM + 5] {
        let snap = snapshot(n, false);
        let rows = fleet_rows(&snap);
        assert_eq!(rows, one_by_one(&snap), "{n} workloads");
        assert_eq!(rows[0].name, snap.workloads[0].id.name);
    }
}

#[test]
fn empty_fleet_has_no_rows() {
    assert!(fleet_rows(&snapshot(0, true)).is_empty());
}

/// The same fleet a refresh later: new health for every workload, the
/// clock moved, and every `changed`-th workload rolled to another version.
fn later(snap: &Snapshot, changed: usize) -> Snapshot {
    let mut ws = (*snap.workloads).clone();
    for (i, w) in ws.iter_mut().enumerate() {
        if changed > 0 && i % changed == 0 {
            // A CronJob that changed ran again: its strip grows by one
            // while the hour the clock moves drops the oldest.
            if let Some(b) = w.batch.as_mut() {
                b.runs.push(run(snap.at.0 + 1_800_000, -1));
            }
            w.served_version = Some("9".into());
            w.rollout = RolloutState::Progressing {
                updated: 1,
                desired: 2,
            };
        }
    }
    let health = snap
        .health
        .iter()
        .map(|(id, h)| {
            let h = Health {
                request_rate: h.request_rate.map(|r| r + 1.5),
                drift_max: h.drift_max.map(|d| d * 2.0),
                ..h.clone()
            };
            (id.clone(), h)
        })
        .collect();
    Snapshot {
        generation: snap.generation + 1,
        workloads: Arc::new(ws),
        health: Arc::new(health),
        at: Timestamp(snap.at.0 + 3_600_000),
        ..snap.clone()
    }
}

fn refreshed(old: &Snapshot, new: &Snapshot) -> Vec<FleetRow> {
    refreshed_ids(old, new).0
}

fn refreshed_ids(old: &Snapshot, new: &Snapshot) -> (Vec<FleetRow>, bool) {
    let mut rows = fleet_rows(old);
    let same = refresh_rows(&mut rows, &old.workloads, &old.models, new).same_ids;
    (rows, same)
}

#[test]
fn a_refresh_gives_what_a_rebuild_gives() {
    for n in [400, PARALLEL_FROM * 2 + 3] {
        let old = snapshot(n, true);
        for changed in [0, 7, 1] {
            let new = later(&old, changed);
            let rows = refreshed(&old, &new);
            assert_eq!(
                rows,
                fleet_rows(&new),
                "{n} workloads, every {changed}th changed"
            );
            assert_ne!(rows, fleet_rows(&old), "the refresh changed nothing");
        }
    }
}

#[test]
fn a_refresh_follows_moved_aliases_added_workloads_and_unsorted_input() {
    let old = snapshot(300, true);
    let mut models = (*old.models).clone();
    models[0].aliases.insert("challenger".into(), "9".into());
    models[1].aliases.clear();
    let moved = Snapshot {
        models: Arc::new(models),
        ..later(&old, 5)
    };
    assert_eq!(refreshed(&old, &moved), fleet_rows(&moved));

    let grown = snapshot(301, true);
    assert_eq!(refreshed_ids(&old, &grown), (fleet_rows(&grown), false));

    let mut renamed = later(&old, 0);
    let mut ws = (*renamed.workloads).clone();
    ws[10].id.name.push_str("-b");
    renamed.workloads = Arc::new(ws);
    assert_eq!(refreshed_ids(&old, &renamed), (fleet_rows(&renamed), false));

    let unsorted_old = snapshot(300, false);
    let unsorted_new = later(&unsorted_old, 3);
    assert_eq!(
        refreshed(&unsorted_old, &unsorted_new),
        fleet_rows(&unsorted_new)
    );
}

/// Gives the first CronJob of `snap` the status `batch`; returns its index.
fn with_cronjob(snap: &mut Snapshot, batch: BatchStatus) -> usize {
    let mut ws = (*snap.workloads).clone();
    let cron = ws
        .iter()
        .position(|w| w.id.kind == WorkloadKind::CronJob)
        .unwrap();
    ws[cron].batch = Some(batch);
    snap.workloads = Arc::new(ws);
    cron
}

#[test]
fn a_refresh_moves_a_cronjobs_run_times_with_the_clock() {
    let mut old = snapshot(50, true);
    let cron = with_cronjob(
        &mut old,
        BatchStatus {
            schedule: "0 2 * * *".into(),
            ..BatchStatus::default()
        },
    );
    old.at = Timestamp(86_400_000 * 3 + 3_600_000 * 5);
    let new = later(&old, 0);
    let rows = refreshed(&old, &new);
    assert_eq!(rows, fleet_rows(&new));
    assert_ne!(
        rows[cron].rollout_detail,
        fleet_rows(&old)[cron].rollout_detail
    );
}

#[test]
fn a_suspended_cronjob_that_never_ran_has_a_label_and_no_empty_detail() {
    let mut snap = snapshot(50, true);
    let cron = with_cronjob(
        &mut snap,
        BatchStatus {
            schedule: "0 2 * * *".into(),
            suspended: true,
            ..BatchStatus::default()
        },
    );
    let rows = fleet_rows(&snap);
    assert_eq!(rows[cron].rollout, "Suspended");
    assert_eq!(rows[cron].rollout_detail, None);
}

#[test]
fn a_refresh_says_whether_any_workload_changed() {
    let old = snapshot(400, true);
    for (changed, same) in [(0, true), (7, false), (1, false)] {
        let new = later(&old, changed);
        let mut rows = fleet_rows(&old);
        let r = refresh_rows(&mut rows, &old.workloads, &old.models, &new);
        assert_eq!(
            (r.same_ids, r.same_workloads),
            (true, same),
            "every {changed}th"
        );
    }
    // The same slice (a metrics refresh): nothing compared, nothing changed.
    let mut rows = fleet_rows(&old);
    let r = refresh_rows(&mut rows, &old.workloads, &old.models, &old);
    assert!(r.same_workloads);
    // Other models: every row rebuilt.
    let mut moved = later(&old, 0);
    let mut models = (*old.models).clone();
    models[0].aliases.insert("challenger".into(), "2".into());
    moved.models = Arc::new(models);
    let r = refresh_rows(&mut rows, &old.workloads, &old.models, &moved);
    assert!(!r.same_workloads && !r.same_ids);
}
