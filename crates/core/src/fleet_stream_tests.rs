//! Stream consumers in the Fleet: lag on the row, verdicts, and worst-first
//! sorting across kinds.

use super::test_support::status;
use super::*;
use crate::domain::{LagTrend, PartitionLag, RolloutState, StreamLag, StreamVerdict};
use std::collections::BTreeMap;
use std::sync::Arc;

fn workload(name: &str, kind: WorkloadKind, rollout: RolloutState) -> Workload {
    Workload {
        id: WorkloadRef {
            cluster: "prod".into(),
            namespace: "risk".into(),
            kind,
            name: name.into(),
        },
        uid: name.into(),
        resource_version: "1".into(),
        model: Some("m".into()),
        served_version: Some("1".into()),
        canary: None,
        ready_replicas: 1,
        desired_replicas: 1,
        rollout,
        labels: Arc::default(),
        created_at: Timestamp(0),
        batch: None,
    }
}

fn lag(group: &str, messages: f64, seconds: Option<f64>, trend: LagTrend) -> StreamLag {
    StreamLag {
        group: group.into(),
        topic: "payments".into(),
        lag_messages: messages,
        lag_seconds: seconds,
        throughput: Some(1500.0),
        trend,
        slope_per_s: Some(1.0),
        top_partitions: vec![PartitionLag {
            topic: "payments".into(),
            partition: "3".into(),
            lag: messages / 2.0,
        }],
        // Adapters leave the verdict to the core: this one is wrong on purpose.
        verdict: StreamVerdict::Ok,
        thresholds: None,
        history: vec![(Timestamp(0), messages), (Timestamp(60_000), messages)],
    }
}

fn snapshot() -> Snapshot {
    let mut ws = vec![
        workload("api", WorkloadKind::Deployment, RolloutState::Available),
        workload(
            "broken",
            WorkloadKind::Deployment,
            RolloutState::Degraded {
                reason: "ImagePullBackOff".into(),
            },
        ),
        workload(
            "rolling",
            WorkloadKind::Deployment,
            RolloutState::Progressing {
                updated: 1,
                desired: 3,
            },
        ),
        workload(
            "behind",
            WorkloadKind::StreamConsumer,
            RolloutState::Available,
        ),
        workload(
            "growing",
            WorkloadKind::StreamConsumer,
            RolloutState::Available,
        ),
        workload(
            "steady",
            WorkloadKind::StreamConsumer,
            RolloutState::Available,
        ),
        workload(
            "no-series",
            WorkloadKind::StreamConsumer,
            RolloutState::Available,
        ),
    ];
    ws.sort_by(|a, b| a.id.cmp(&b.id));
    let mut health = BTreeMap::new();
    let mut put = |name: &str, kind, s: Option<StreamLag>| {
        let w = workload(name, kind, RolloutState::Available);
        health.insert(
            w.id,
            Health {
                request_rate: Some(10.0),
                stream: s,
                ..Health::default()
            },
        );
    };
    put("api", WorkloadKind::Deployment, None);
    put(
        "behind",
        WorkloadKind::StreamConsumer,
        Some(lag("g-behind", 2.0e6, Some(1200.0), LagTrend::Growing)),
    );
    put(
        "growing",
        WorkloadKind::StreamConsumer,
        Some(lag("g-growing", 9_000.0, None, LagTrend::Growing)),
    );
    put(
        "steady",
        WorkloadKind::StreamConsumer,
        Some(lag("g-steady", 800.0, None, LagTrend::Steady)),
    );
    Snapshot {
        generation: 1,
        profile: "test".into(),
        sandbox: false,
        clusters: vec!["prod".into()],
        workloads: Arc::new(ws),
        models: Arc::new(Vec::new()),
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

fn names(rows: &[FleetRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

#[test]
fn a_consumer_row_carries_its_lag_judged_by_the_core() {
    let rows = fleet_rows(&snapshot());
    let row = |n: &str| rows.iter().find(|r| r.name == n).unwrap();
    let behind = row("behind").stream.as_ref().unwrap();
    assert_eq!(behind.verdict, StreamVerdict::Behind);
    assert_eq!(behind.lag_seconds, Some(1200.0));
    assert!(behind.history.is_empty(), "rows leave the history out");
    assert_eq!(
        row("growing").stream.as_ref().unwrap().verdict,
        StreamVerdict::Growing
    );
    assert_eq!(
        row("steady").stream.as_ref().unwrap().verdict,
        StreamVerdict::Ok
    );
    assert_eq!(row("no-series").stream, None);
    assert_eq!(row("api").stream, None);
    let json = serde_json::to_value(row("behind")).unwrap();
    assert_eq!(json["stream"]["trend"], "growing");
    assert_eq!(json["stream"]["verdict"], "behind");
    assert!(json["stream"].get("history").is_none());
    assert!(
        serde_json::to_value(row("api"))
            .unwrap()
            .get("stream")
            .is_none()
    );
}

#[test]
fn worst_first_puts_a_falling_behind_consumer_with_degraded_rollouts() {
    let mut rows = fleet_rows(&snapshot());
    sort_rows(&mut rows, FleetColumn::Rollout, false);
    assert_eq!(
        names(&rows),
        [
            "behind",
            "broken",
            "growing",
            "rolling",
            "api",
            "no-series",
            "steady"
        ]
    );
    // The same worst-first order as the refresh path gives.
    let snap = snapshot();
    let mut again = fleet_rows(&snap);
    let kept = refresh_rows(&mut again, &snap.workloads, &snap.models, &snap);
    assert!(kept.same_ids && kept.same_workloads);
    sort_rows(&mut again, FleetColumn::Rollout, false);
    assert_eq!(names(&rows), names(&again));
}

#[test]
fn sorting_by_lag_puts_the_worst_verdict_first_and_rows_without_lag_last() {
    let mut rows = fleet_rows(&snapshot());
    sort_rows(&mut rows, FleetColumn::Lag, true);
    assert_eq!(&names(&rows)[..3], ["behind", "growing", "steady"]);
    sort_rows(&mut rows, FleetColumn::Lag, false);
    assert_eq!(&names(&rows)[..3], ["steady", "growing", "behind"]);
    assert_eq!(FleetColumn::parse("LAG"), Some(FleetColumn::Lag));
}

/// The profile's thresholds, then a workload's own labels, change the
/// verdict the row carries, and the row says which thresholds it used.
#[test]
fn thresholds_from_the_profile_and_the_workload_labels_judge_the_row() {
    use crate::domain::{LagSettings, MAX_LAG_MESSAGES_LABEL, ThresholdSource};
    let verdict = |snap: &Snapshot, n: &str| {
        let rows = fleet_rows(snap);
        let s = rows
            .iter()
            .find(|r| r.name == n)
            .unwrap()
            .stream
            .clone()
            .unwrap();
        (s.verdict, s.thresholds.unwrap())
    };
    // "steady" lags 800 messages (seconds unknown): fine by default.
    let mut snap = snapshot();
    let (v, th) = verdict(&snap, "steady");
    assert_eq!(v, StreamVerdict::Ok);
    assert_eq!(th.max_messages, 100_000.0);
    assert_eq!(th.max_messages_from, ThresholdSource::Default);
    // A strict profile: 500 messages is the most this team tolerates.
    snap.lag = LagSettings {
        max_seconds: None,
        max_messages: Some(500.0),
    };
    let (v, th) = verdict(&snap, "steady");
    assert_eq!(v, StreamVerdict::High);
    assert_eq!(th.max_messages_from, ThresholdSource::Profile);
    // The workload's own label wins over the profile; a bad one is named.
    let mut ws = (*snap.workloads).clone();
    for w in ws.iter_mut() {
        if w.id.name == "steady" {
            w.labels = Arc::new(BTreeMap::from([(
                MAX_LAG_MESSAGES_LABEL.to_string(),
                "5000".to_string(),
            )]));
        }
        if w.id.name == "growing" {
            w.labels = Arc::new(BTreeMap::from([(
                MAX_LAG_MESSAGES_LABEL.to_string(),
                "lots".to_string(),
            )]));
        }
    }
    snap.workloads = Arc::new(ws);
    let (v, th) = verdict(&snap, "steady");
    assert_eq!(v, StreamVerdict::Ok);
    assert_eq!(
        (th.max_messages, th.max_messages_from),
        (5000.0, ThresholdSource::Workload)
    );
    let (v, th) = verdict(&snap, "growing");
    assert_eq!(v, StreamVerdict::Behind, "9,000 over the profile's 500");
    assert_eq!(th.max_messages_from, ThresholdSource::Profile);
    assert!(th.problems[0].contains("\"lots\""), "{:?}", th.problems);
    let rows = fleet_rows(&snap);
    let json = serde_json::to_value(rows.iter().find(|r| r.name == "growing").unwrap()).unwrap();
    assert_eq!(json["stream"]["thresholds"]["max_messages"], 500.0);
    assert_eq!(json["stream"]["thresholds"]["max_messages_from"], "profile");
    assert!(json["stream"]["thresholds"]["problems"][0].is_string());
}
