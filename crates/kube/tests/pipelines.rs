//! Argo CronWorkflows as batch workloads (`WorkloadKind::Pipeline`) through
//! the kube adapter, against the sandbox API server over HTTP: the demo
//! world's weekly pipeline read back as the world records it (runs, the
//! failed step's log); a Workflow in every phase; a cluster without Argo
//! (discovery has no `argoproj.io`) lists as before, with no partial
//! failure; a user who may not list CronWorkflows is told once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::seed::argo_crd;
use modeldeck_apiserver::{ApiServer, ServerConfig, fixtures, seed};
use modeldeck_core::domain::{BatchRun, RunOutcome, WorkloadKind};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Cluster;
use modeldeck_sandbox::Sandbox;
use serde_json::{Value, json};
use std::time::Duration;

const NS: &str = "commerce";
const NAME: &str = "ltv-retrain-pipeline";

/// A run as (name, start, end, outcome, version), for comparing.
type RunKey = (String, i64, Option<i64>, RunOutcome, Option<String>);

fn key(rs: &[BatchRun]) -> Vec<RunKey> {
    rs.iter()
        .map(|r| {
            (
                r.job.clone(),
                r.start.0,
                r.end.map(|e| e.0),
                r.outcome,
                r.version.clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_pipeline_reads_back_as_the_world_records_it() {
    let sb = Sandbox::demo().unwrap();
    let port = sb.backends().cluster;
    let mut seeds = seed::from_cluster(port.as_ref()).await.unwrap();
    let us = seeds.remove("prod-us").unwrap();
    let kinds = |k: &str| us.objects.iter().filter(|o| o["kind"] == k).count();
    assert_eq!(kinds("CronWorkflow"), 1);
    assert!(kinds("Workflow") >= 1);
    let s = ApiServer::start(
        ServerConfig {
            controller: fast(),
            ..ServerConfig::named("prod-us")
        }
        .with_seed(us),
    )
    .await
    .unwrap();
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let world = port.list_workloads().await.unwrap();
    let want = world
        .iter()
        .find(|w| w.id.cluster == "prod-us" && w.id.name == NAME)
        .and_then(|w| w.batch.clone())
        .unwrap();
    assert!(
        want.runs.iter().any(|r| r.outcome == RunOutcome::Failed),
        "{want:?}"
    );
    // Every workload of the cluster, the pipeline among them (the watchers
    // may still be listing when the pipeline is first seen).
    let all = world.iter().filter(|w| w.id.cluster == "prod-us").count();
    let ws = wait_for(&c, "the pipeline and the rest", |ws| {
        find(ws, NS, NAME).is_some() && ws.len() == all
    })
    .await;
    let w = find(&ws, NS, NAME).unwrap();
    assert_eq!(w.id.kind, WorkloadKind::Pipeline);
    assert_eq!(w.model.as_deref(), Some("ltv-estimator"));
    let got = w.batch.clone().unwrap();
    assert_eq!(got.schedule, "0 3 * * 0");
    assert_eq!(key(&got.runs), key(&want.runs));
    assert_eq!(
        (got.last_schedule, got.last_success, got.active),
        (want.last_schedule, want.last_success, want.active)
    );
    assert!(c.partial_failures().is_empty());
    // The failed run's scoring step's log, as the world writes it.
    failed_log_as_the_world_writes_it(&c, port.as_ref(), &w.id).await;
    // A promotion is refused with the reason, nothing patched.
    let err = c.set_served_version(&w.id, "1", None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unsupported, "{err}");
    assert!(err.message.contains("workflow"), "{err}");
    s.shutdown().await;
}

fn workflow(name: &str, owner: Option<&str>, phase: Option<&str>, version: &str) -> Value {
    let mut labels = json!({});
    if let Some(o) = owner {
        labels["workflows.argoproj.io/cron-workflow"] = json!(o);
    }
    let mut status = json!({});
    if let Some(p) = phase {
        status["phase"] = json!(p);
        if p != "Pending" {
            status["startedAt"] = json!("2026-12-01T03:00:05Z");
        }
        if matches!(p, "Succeeded" | "Failed" | "Error") {
            status["finishedAt"] = json!("2026-12-01T03:30:05Z");
        }
    }
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": name, "namespace": "ml", "labels": labels,
                     "creationTimestamp": "2026-12-01T03:00:00Z"},
        "spec": {"entrypoint": "main", "podMetadata": {"annotations": {"modeldeck.io/model-version": version}},
                 "templates": [{"name": "main", "container": {"image": "s:1"}}]},
        "status": status})
}

fn argo_objects() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
        argo_crd("cronworkflows", "CronWorkflow"),
        argo_crd("workflows", "Workflow"),
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
            "metadata": {"name": "scorer", "namespace": "ml", "labels": {"modeldeck.io/model": "churn"},
                         "creationTimestamp": "2026-11-01T00:00:00Z"},
            "spec": {"schedule": "0 3 * * *", "timezone": "UTC", "suspend": false,
                     "workflowSpec": {"entrypoint": "main", "podMetadata": {"annotations": {"modeldeck.io/model-version": "9"}}}},
            "status": {"lastScheduledTime": "2026-12-01T03:00:00Z",
                       "active": [{"kind": "Workflow", "name": "scorer-running", "namespace": "ml"}]}}),
        // Unbound: not a pipeline of the Fleet.
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
            "metadata": {"name": "cleanup", "namespace": "ml"},
            "spec": {"schedule": "0 * * * *", "workflowSpec": {"entrypoint": "main"}}}),
        workflow("scorer-pending", Some("scorer"), Some("Pending"), "9"),
        workflow("scorer-running", Some("scorer"), Some("Running"), "9"),
        workflow("scorer-succeeded", Some("scorer"), Some("Succeeded"), "8"),
        workflow("scorer-failed", Some("scorer"), Some("Failed"), "8"),
        workflow("scorer-error", Some("scorer"), Some("Error"), "8"),
        workflow("scorer-new", Some("scorer"), None, "9"),
        workflow("cleanup-1", Some("cleanup"), Some("Succeeded"), "1"),
        workflow("by-hand", None, Some("Failed"), "1"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workflow_in_every_phase_and_a_user_who_may_not_list_them() {
    let (s, _dir, c) = admin_and_limited(
        "argo",
        "no-argo",
        &["", "apps", "batch", "serving.kserve.io"],
        argo_objects(),
    )
    .await;
    let both = |ws: &[modeldeck_core::domain::Workload], ctx: &str| {
        ws.iter().filter(|w| w.id.cluster == ctx).count()
    };
    let ws = wait_for(&c, "both contexts", |ws| {
        both(ws, "argo") == 9 && both(ws, "limited") == 8
    })
    .await;
    let p = ws
        .iter()
        .find(|w| w.id.cluster == "argo" && w.id.kind == WorkloadKind::Pipeline)
        .unwrap();
    assert_eq!(p.id.name, "scorer");
    assert_eq!(p.served_version.as_deref(), Some("9"));
    let b = p.batch.clone().unwrap();
    assert_eq!((b.active, b.suspended), (1, false));
    assert_eq!(b.time_zone.as_deref(), Some("UTC"));
    let mut outcomes: Vec<(String, RunOutcome, Option<String>)> = b
        .runs
        .iter()
        .map(|r| (r.job.clone(), r.outcome, r.version.clone()))
        .collect();
    outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    let v = |s: &str| Some(s.to_string());
    assert_eq!(
        outcomes,
        vec![
            ("scorer-error".into(), RunOutcome::Failed, v("8")),
            ("scorer-failed".into(), RunOutcome::Failed, v("8")),
            ("scorer-new".into(), RunOutcome::Running, v("9")),
            ("scorer-pending".into(), RunOutcome::Running, v("9")),
            ("scorer-running".into(), RunOutcome::Running, v("9")),
            ("scorer-succeeded".into(), RunOutcome::Succeeded, v("8")),
        ]
    );
    let ok = b.runs.iter().find(|r| r.job == "scorer-succeeded").unwrap();
    assert_eq!(ok.duration_seconds(), Some(1800));
    assert_eq!(b.last_success, ok.end);
    // The limited user's context: its other workloads, no pipeline, and
    // one partial failure saying why (however often it is listed).
    assert!(
        !ws.iter()
            .any(|w| w.id.cluster == "limited" && w.id.kind == WorkloadKind::Pipeline)
    );
    c.list_workloads().await.unwrap();
    let pf = c.partial_failures();
    assert_eq!(pf.len(), 1, "{pf:?}");
    assert_eq!(pf[0].context, "limited");
    assert_eq!(pf[0].error.code, ErrorCode::Forbidden);
    assert!(
        pf[0].error.message.contains("cronworkflows.argoproj.io"),
        "{}",
        pf[0].error.message
    );
    assert!(!pf[0].stale);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_without_argo_lists_as_before() {
    let s = ApiServer::start(
        ServerConfig {
            controller: fast(),
            ..ServerConfig::named("plain")
        }
        .with_seed(fixtures::demo_seed("plain")),
    )
    .await
    .unwrap();
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let ws = wait_for(&c, "the demo cluster", |ws| ws.len() == 8).await;
    assert!(ws.iter().all(|w| w.id.kind != WorkloadKind::Pipeline));
    c.list_workloads().await.unwrap();
    assert!(c.partial_failures().is_empty());
    // Discovery was asked once, not per listing: no cronworkflows read.
    let counters = s.request_counts();
    assert!(
        !counters.keys().any(|(_, plural)| plural == "cronworkflows"),
        "{counters:?}"
    );
    s.shutdown().await;
}
