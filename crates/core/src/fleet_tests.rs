//! `fleet_rows` walks the health map alongside the workloads and splits
//! large fleets across threads: it must give exactly the rows a lookup per
//! workload gives, whatever the order, gaps and extras.

use super::*;
use crate::console::BackendStatus;
use crate::domain::{RegisteredModel, RolloutState};
use std::collections::BTreeMap;
use std::sync::Arc;

fn status() -> BackendStatus {
    BackendStatus {
        endpoint: "test".into(),
        loaded: true,
        last_ok: Some(Timestamp(0)),
        error: None,
        failing_since: None,
        partial: Vec::new(),
    }
}

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
        batch: None,
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
