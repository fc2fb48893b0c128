//! A small fleet with every state on purpose: rollouts in each state, a
//! canary, a drifting model, missing metrics, an unbound workload and
//! hostile strings (escape sequences, bidi overrides) in names and tags.

use modeldeck_core::Snapshot;
use modeldeck_core::compare::{Comparison, Side, compare};
use modeldeck_core::console::BackendStatus;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use std::collections::BTreeMap;
use std::sync::Arc;

/// 2026-11-28T12:44:40Z.
pub const NOW: Timestamp = Timestamp(1_795_869_880_000);
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// A hostile model tag / workload name.
pub const HOSTILE: &str = "pwn\u{1b}[31mred\u{1b}]0;title\u{7}\u{202E}gnp";

pub fn ok_status(endpoint: &str) -> BackendStatus {
    BackendStatus {
        endpoint: endpoint.into(),
        loaded: true,
        last_ok: Some(NOW),
        error: None,
        failing_since: None,
        partial: Vec::new(),
    }
}

pub fn loading_status(endpoint: &str) -> BackendStatus {
    BackendStatus {
        endpoint: endpoint.into(),
        loaded: false,
        last_ok: None,
        error: None,
        failing_since: None,
        partial: Vec::new(),
    }
}

pub fn failed_status(backend: Backend, code: ErrorCode, msg: &str, loaded: bool) -> BackendStatus {
    BackendStatus {
        endpoint: "x".into(),
        loaded,
        last_ok: loaded.then_some(NOW.plus_millis(-5 * MIN)),
        error: Some(BackendError::new(backend, code, msg)),
        failing_since: Some(NOW.plus_millis(-3 * MIN - 17_000)),
        partial: Vec::new(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn wl(
    cluster: &str,
    ns: &str,
    kind: WorkloadKind,
    name: &str,
    model: Option<&str>,
    version: Option<&str>,
    ready: (u32, u32),
    rollout: RolloutState,
    age_ms: i64,
) -> Workload {
    Workload {
        id: WorkloadRef {
            cluster: cluster.into(),
            namespace: ns.into(),
            kind,
            name: name.into(),
        },
        uid: format!("uid-{name}"),
        resource_version: "100".into(),
        model: model.map(Into::into),
        served_version: version.map(Into::into),
        canary: None,
        ready_replicas: ready.0,
        desired_replicas: ready.1,
        rollout,
        labels: labels(&[("team", if ns == "risk" { "risk" } else { "growth" })]).into(),
        created_at: NOW.plus_millis(-age_ms),
        batch: None,
    }
}

pub fn workloads() -> Vec<Workload> {
    use RolloutState::*;
    use WorkloadKind::*;
    let mut canary = wl(
        "prod-eu",
        "risk",
        InferenceService,
        "fraud-isvc",
        Some("fraud-detector"),
        Some("6"),
        (4, 4),
        Available,
        9 * DAY,
    );
    canary.canary = Some(Canary {
        version: "7".into(),
        traffic_percent: 10,
    });
    let mut v = vec![
        wl(
            "prod-eu",
            "risk",
            Deployment,
            "fraud-api",
            Some("fraud-detector"),
            Some("6"),
            (3, 3),
            Available,
            12 * DAY,
        ),
        canary,
        wl(
            "prod-eu",
            "risk",
            CronJob,
            "fraud-batch-nightly",
            Some("fraud-detector"),
            Some("5"),
            (0, 0),
            Idle,
            40 * DAY,
        ),
        wl(
            "prod-eu",
            "growth",
            Deployment,
            "churn-scorer",
            Some("churn-predictor"),
            Some("3"),
            (2, 5),
            Progressing {
                updated: 2,
                desired: 5,
            },
            3 * HOUR,
        ),
        wl(
            "prod-eu",
            "growth",
            StreamConsumer,
            "churn-stream",
            Some("churn-predictor"),
            Some("3"),
            (1, 2),
            Degraded {
                reason: "ProgressDeadlineExceeded".into(),
            },
            2 * DAY,
        ),
        wl(
            "prod-us",
            "search",
            Deployment,
            "ranker-api",
            Some("recsys-ranker"),
            Some("13"),
            (6, 6),
            Available,
            20 * MIN,
        ),
        wl(
            "prod-us",
            "search",
            Deployment,
            "ranker-shadow",
            Some("recsys-ranker"),
            Some("12"),
            (1, 1),
            Paused,
            5 * DAY,
        ),
        wl(
            "prod-us",
            "search",
            CronJob,
            "ranker-retrain",
            Some("recsys-ranker"),
            Some("12"),
            (0, 0),
            Suspended,
            90 * DAY,
        ),
        wl(
            "prod-us",
            "risk",
            Deployment,
            "fraud-api",
            Some("fraud-detector"),
            Some("7"),
            (3, 3),
            Available,
            45_000,
        ),
        wl(
            "prod-us",
            "growth",
            Deployment,
            "legacy-scorer",
            None,
            None,
            (1, 1),
            Available,
            400 * DAY,
        ),
        wl(
            "prod-us",
            "growth",
            Deployment,
            HOSTILE,
            Some("churn-predictor"),
            Some("2"),
            (1, 1),
            Available,
            7 * DAY,
        ),
    ];
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

pub fn models() -> Vec<RegisteredModel> {
    let m =
        |name: &str, latest: &str, aliases: &[(&str, &str)], desc: Option<&str>, updated: i64| {
            RegisteredModel {
                name: name.into(),
                description: desc.map(Into::into),
                tags: BTreeMap::new(),
                aliases: labels(aliases),
                latest_version: Some(latest.into()),
                created_at: NOW.plus_millis(-300 * DAY),
                updated_at: NOW.plus_millis(-updated),
            }
        };
    vec![
        m(
            "churn-predictor",
            "3",
            &[("champion", "3")],
            Some("Monthly churn propensity"),
            3 * HOUR,
        ),
        m(
            "fraud-detector",
            "7",
            &[("champion", "6"), ("challenger", "7")],
            Some("Card-not-present fraud scoring\nsecond line"),
            2 * DAY,
        ),
        m(
            "recsys-ranker",
            "13",
            &[("champion", "13"), ("challenger", "12"), ("shadow", "11")],
            None,
            20 * MIN,
        ),
        m("sentiment", "1", &[], Some(HOSTILE), 30 * DAY),
    ]
}

pub fn health() -> BTreeMap<WorkloadRef, Health> {
    let mut h = BTreeMap::new();
    for w in workloads() {
        let n = w.id.name.len() as f64;
        let drift = if w.model.as_deref() == Some("churn-predictor") {
            0.31
        } else if w.id.cluster == "prod-us" {
            0.12
        } else {
            0.04
        };
        if w.id.kind == WorkloadKind::CronJob {
            continue; // no traffic series for batch jobs
        }
        h.insert(
            w.id.clone(),
            Health {
                request_rate: Some(10.0 * n),
                error_ratio: Some(if w.id.name == "churn-stream" {
                    0.034
                } else {
                    0.0004 * n
                }),
                latency_p50: Some(0.004 * n),
                latency_p95: Some(0.008 * n),
                latency_p99: Some(0.011 * n),
                drift_max: Some(drift),
                stream: (w.id.name == "churn-stream").then(churn_lag),
                read_at: NOW,
            },
        );
    }
    h
}

/// The churn consumer's lag: 412k messages over three partitions and
/// growing, seconds unknown (kafka_exporter counts messages only).
pub fn churn_lag() -> modeldeck_core::domain::StreamLag {
    use modeldeck_core::domain::{LagTrend, PartitionLag, StreamLag, StreamVerdict};
    let part = |p: &str, lag: f64| PartitionLag {
        topic: "customer-events".into(),
        partition: p.into(),
        lag,
    };
    StreamLag {
        group: "churn-stream".into(),
        topic: "customer-events".into(),
        lag_messages: 412_000.0,
        lag_seconds: None,
        throughput: Some(850.0),
        trend: LagTrend::Growing,
        slope_per_s: Some(95.0),
        top_partitions: vec![
            part("2", 300_000.0),
            part("0", 70_000.0),
            part("1", 42_000.0),
        ],
        verdict: StreamVerdict::Ok,
        thresholds: None,
        history: (0..30)
            .map(|i| {
                (
                    NOW.plus_millis((i - 29) * 60_000),
                    247_000.0 + 5_700.0 * i as f64,
                )
            })
            .collect(),
    }
}

/// Everything loaded and fresh.
pub fn ready() -> Snapshot {
    Snapshot {
        generation: 7,
        profile: "prod".into(),
        sandbox: false,
        clusters: vec!["prod-eu".into(), "prod-us".into()],
        workloads: Arc::new(workloads()),
        models: Arc::new(models()),
        health: Arc::new(health()),
        cluster: ok_status("prod-eu,prod-us"),
        registry: ok_status("https://mlflow.internal"),
        metrics: ok_status("https://prometheus.internal"),
        drift_warn: 0.1,
        drift_alert: 0.25,
        lag: Default::default(),
        batch_rows: Default::default(),
        at: NOW,
    }
}

/// Nothing read yet.
pub fn loading() -> Snapshot {
    Snapshot {
        workloads: Arc::new(Vec::new()),
        models: Arc::new(Vec::new()),
        health: Arc::new(BTreeMap::new()),
        cluster: loading_status("prod-eu,prod-us"),
        registry: loading_status("https://mlflow.internal"),
        metrics: loading_status("https://prometheus.internal"),
        ..ready()
    }
}

/// Read fine, nothing there.
pub fn empty() -> Snapshot {
    Snapshot {
        workloads: Arc::new(Vec::new()),
        models: Arc::new(Vec::new()),
        health: Arc::new(BTreeMap::new()),
        ..ready()
    }
}

/// Never read: every backend failed.
pub fn failed() -> Snapshot {
    Snapshot {
        cluster: failed_status(
            Backend::Cluster,
            ErrorCode::Forbidden,
            "listing deployments in prod-eu: deployments.apps is forbidden: User \"oncall\" cannot list resource \"deployments\"",
            false,
        ),
        registry: failed_status(
            Backend::Registry,
            ErrorCode::Unreachable,
            "connection refused (at https://mlflow.internal/api/2.0/mlflow/registered-models/search)",
            false,
        ),
        metrics: failed_status(
            Backend::Metrics,
            ErrorCode::Timeout,
            "reading fleet health did not answer within 10.0s",
            false,
        ),
        ..loading()
    }
}

/// Data present, but every backend failing now.
pub fn stale() -> Snapshot {
    Snapshot {
        cluster: failed_status(
            Backend::Cluster,
            ErrorCode::Unreachable,
            "prod-us: connection refused",
            true,
        ),
        registry: failed_status(
            Backend::Registry,
            ErrorCode::ServerError,
            "HTTP 503 from registered-models/search",
            true,
        ),
        metrics: failed_status(
            Backend::Metrics,
            ErrorCode::Timeout,
            "reading fleet health did not answer within 10.0s",
            true,
        ),
        ..ready()
    }
}

/// The sandbox world.
pub fn sandbox() -> Snapshot {
    Snapshot {
        sandbox: true,
        profile: "demo".into(),
        ..ready()
    }
}

pub fn version(
    model: &str,
    v: u32,
    aliases: &[&str],
    tags: &[(&str, &str)],
    age_ms: i64,
) -> ModelVersion {
    ModelVersion {
        model: model.into(),
        version: v.to_string(),
        run_id: (v != 1).then(|| format!("run{v:03}")),
        source: format!("runs:/run{v:03}/model"),
        status: if v == 4 {
            VersionStatus::FailedRegistration
        } else {
            VersionStatus::Ready
        },
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        tags: labels(tags),
        description: None,
        user: Some("ml-team".into()),
        created_at: NOW.plus_millis(-age_ms),
    }
}

/// fraud-detector's versions, newest first.
pub fn fraud_versions() -> Vec<ModelVersion> {
    vec![
        version(
            "fraud-detector",
            7,
            &["challenger"],
            &[("validated", "true"), ("note", HOSTILE)],
            2 * DAY,
        ),
        version(
            "fraud-detector",
            6,
            &["champion"],
            &[("validated", "true")],
            20 * DAY,
        ),
        version("fraud-detector", 5, &[], &[("validated", "true")], 45 * DAY),
        version("fraud-detector", 4, &[], &[], 60 * DAY),
        version("fraud-detector", 3, &[], &[], 80 * DAY),
        version("fraud-detector", 2, &[], &[], 120 * DAY),
        version("fraud-detector", 1, &[], &[], 200 * DAY),
    ]
}

pub fn run(v: u32) -> RunData {
    let f = f64::from(v);
    let mut r = RunData {
        run_id: format!("run{v:03}"),
        ..Default::default()
    };
    r.metrics.insert("auc".into(), 0.86 + f * 0.008);
    r.metrics.insert("f1".into(), 0.70 + f * 0.01);
    r.metrics.insert("logloss".into(), 0.40 - f * 0.012);
    r.metrics.insert("precision".into(), 0.81);
    r.metrics.insert("latency_ms".into(), 11.0 + f);
    if v == 7 {
        r.metrics.insert("recall".into(), f64::NAN);
    }
    r.params
        .insert("max_depth".into(), if v >= 7 { "8" } else { "6" }.into());
    r.params.insert("n_estimators".into(), "400".into());
    r.params.insert(
        "learning_rate".into(),
        if v >= 6 { "0.05" } else { "0.1" }.into(),
    );
    r.tags.insert("mlflow.user".into(), "ml-team".into());
    r
}

/// Runs of the versions that have one, by version.
pub fn fraud_runs() -> BTreeMap<String, RunData> {
    (2..=7).map(|v| (v.to_string(), run(v))).collect()
}

/// fraud-detector v6 (champion) vs v7 (challenger).
pub fn fraud_comparison() -> Comparison {
    let vs = fraud_versions();
    let side = |v: u32| Side {
        version: vs
            .iter()
            .find(|x| x.version == v.to_string())
            .unwrap()
            .clone(),
        run: Some(run(v)),
    };
    compare(side(6), side(7), &BTreeMap::new(), 0.001)
}

pub fn events() -> Vec<ClusterEvent> {
    let e = |ago: i64, kind: &str, reason: &str, object: &str, message: &str| ClusterEvent {
        at: NOW.plus_millis(-ago),
        kind: kind.into(),
        reason: reason.into(),
        object: object.into(),
        message: message.into(),
    };
    vec![
        e(
            3 * HOUR,
            "Normal",
            "ScalingReplicaSet",
            "Deployment/churn-scorer",
            "Scaled up replica set churn-scorer-7d9c to 5",
        ),
        e(
            2 * HOUR,
            "Normal",
            "SuccessfulCreate",
            "ReplicaSet/churn-scorer-7d9c",
            "Created pod: churn-scorer-7d9c-x2x9q",
        ),
        e(
            40 * MIN,
            "Warning",
            "FailedScheduling",
            "Pod/churn-scorer-7d9c-k8s2d",
            "0/12 nodes are available: 12 Insufficient memory.",
        ),
        e(
            5 * MIN,
            "Warning",
            "BackOff",
            "Pod/churn-scorer-7d9c-x2x9q",
            HOSTILE,
        ),
    ]
}
