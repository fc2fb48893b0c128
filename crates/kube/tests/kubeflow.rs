//! Kubeflow Pipelines' recurring runs (`ScheduledWorkflow`,
//! kubeflow.org/v1beta1) as batch workloads (`WorkloadKind::Pipeline`)
//! through the kube adapter, against the sandbox API server over HTTP: the
//! demo world's weekly pipeline seeded as a ScheduledWorkflow reads back
//! as the world records it (schedule, runs, the failed step's log); a
//! disabled one is suspended, its runs found by KFP's label; a user who
//! may not list them is told once; a cluster without the kubeflow.org
//! group gets no request for them and no error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::seed::argo_crd;
use modeldeck_apiserver::{ApiServer, ServerConfig, fixtures, seed};
use modeldeck_core::domain::{
    BatchRun, RolloutState, RunOutcome, Timestamp, Workload, WorkloadKind,
};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::kubeflow::RUN_LABEL;
use modeldeck_sandbox::Sandbox;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const NS: &str = "commerce";
const NAME: &str = "ltv-retrain-pipeline";
/// The seed option (`modeldeck_apiserver` seed/argo.rs `ENGINE_LABEL`).
const ENGINE_LABEL: &str = "modeldeck.io/pipeline-engine";

type RunKey = (String, i64, Option<i64>, RunOutcome, Option<String>);

fn key(rs: &[BatchRun]) -> Vec<RunKey> {
    rs.iter()
        .map(|r| {
            let end = r.end.map(|e| e.0);
            (r.job.clone(), r.start.0, end, r.outcome, r.version.clone())
        })
        .collect()
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurring_run_with_a_failed_last_run_reads_back_as_the_world_records_it() {
    let sb = Sandbox::demo().unwrap();
    let port = sb.backends().cluster;
    let world = port.list_workloads().await.unwrap();
    let mut w = world
        .iter()
        .find(|w| w.id.cluster == "prod-us" && w.id.name == NAME)
        .cloned()
        .unwrap();
    let want = w.batch.clone().unwrap();
    assert!(
        want.runs.iter().any(|r| r.outcome == RunOutcome::Failed),
        "{want:?}"
    );
    let mut labels = (*w.labels).clone();
    labels.insert(ENGINE_LABEL.into(), "kubeflow".into());
    w.labels = Arc::new(labels);
    let s = seed::from_workloads(std::slice::from_ref(&w));
    let kinds = |k: &str| s.objects.iter().filter(|o| o["kind"] == k).count();
    assert_eq!((kinds("ScheduledWorkflow"), kinds("CronWorkflow")), (1, 0));
    let swf = s
        .objects
        .iter()
        .find(|o| o["kind"] == "ScheduledWorkflow")
        .cloned()
        .unwrap();
    // KFP's cron has seconds.
    assert_eq!(
        swf["spec"]["trigger"]["cronSchedule"]["cron"],
        "0 0 3 * * 0"
    );
    let srv = server("prod-us", s, false).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[srv.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let ws = wait_for(&c, "the recurring run", |ws| find(ws, NS, NAME).is_some()).await;
    let p = find(&ws, NS, NAME).unwrap();
    assert_eq!(p.id.kind, WorkloadKind::Pipeline);
    assert_eq!(p.model.as_deref(), Some("ltv-estimator"));
    assert_eq!(p.served_version, w.served_version);
    let got = p.batch.clone().unwrap();
    assert_eq!(got.schedule, "0 3 * * 0");
    assert!(!got.suspended);
    assert_eq!(key(&got.runs), key(&want.runs));
    assert_eq!(
        (got.last_schedule, got.last_success, got.active),
        (want.last_schedule, want.last_success, want.active)
    );
    // The Fleet computes the next run from the five fields, as KFP's
    // status.trigger.nextTriggeredTime says it.
    let next = swf["status"]["trigger"]["nextTriggeredTime"]
        .as_str()
        .map(t);
    let after_last = got.view(p.created_at, want.last_schedule.unwrap());
    assert_eq!(after_last.note, None);
    assert_eq!(after_last.next_run, next);
    assert!(c.partial_failures().is_empty());
    // The failed run's scoring step's log, as the world writes it.
    failed_log_as_the_world_writes_it(&c, port.as_ref(), &p.id).await;
    // Only the kubeflow.org objects and their Workflows were read.
    let counters = srv.request_counts();
    assert!(
        !counters.keys().any(|(_, plural)| plural == "cronworkflows"),
        "{counters:?}"
    );
    // An event recorded on it is about the ScheduledWorkflow and reads back
    // with its events (the promotion audit's mirror uses both).
    c.record_event(
        &p.id,
        "Normal",
        "ModeldeckCheck",
        "looked at by the on-call",
    )
    .await
    .unwrap();
    let events = c.events(&p.id).await.unwrap();
    assert!(
        events.iter().any(|e| e.reason == "ModeldeckCheck"),
        "{events:?}"
    );
    srv.shutdown().await;
}

fn workflow(name: &str, labels: Value, phase: &str, version: &str) -> Value {
    let mut status = json!({"phase": phase, "startedAt": "2026-12-05T02:00:05Z"});
    if phase != "Running" {
        status["finishedAt"] = json!("2026-12-05T02:20:05Z");
    }
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": name, "namespace": "ml", "labels": labels,
                     "creationTimestamp": "2026-12-05T02:00:00Z"},
        "spec": {"entrypoint": "main", "podMetadata": {"annotations": {"modeldeck.io/model-version": version}},
                 "templates": [{"name": "main", "container": {"image": "s:1"}}]},
        "status": status})
}

fn kubeflow_objects() -> Vec<Value> {
    let run = |owner: &str| json!({RUN_LABEL: owner, "scheduledworkflows.kubeflow.org/isOwnedByScheduledWorkflow": "true"});
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
        argo_crd("scheduledworkflows", "ScheduledWorkflow"),
        argo_crd("workflows", "Workflow"),
        json!({"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
            "metadata": {"name": "nightly-scorer", "namespace": "ml", "labels": {"modeldeck.io/model": "churn"},
                         "creationTimestamp": "2026-11-01T00:00:00Z"},
            "spec": {"enabled": false, "maxConcurrency": 1,
                     "trigger": {"cronSchedule": {"cron": "0 0 2 * * *"}},
                     "workflow": {"spec": {"entrypoint": "main",
                         "templates": [{"name": "main", "container": {"image": "s:1",
                             "env": [{"name": "MODEL_VERSION", "value": "6"}]}}]}}},
            "status": {"conditions": [{"type": "Disabled", "status": "True"}],
                       "trigger": {"lastTriggeredTime": "2026-12-05T02:00:00Z"}}}),
        // Unbound: not a pipeline of the Fleet.
        json!({"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
            "metadata": {"name": "cleanup", "namespace": "ml"},
            "spec": {"enabled": true, "trigger": {"periodicSchedule": {"intervalSecond": 3600}}}}),
        workflow(
            "nightly-scorer-1-111",
            run("nightly-scorer"),
            "Succeeded",
            "5",
        ),
        workflow("nightly-scorer-2-222", run("nightly-scorer"), "Failed", "6"),
        workflow("cleanup-1-333", run("cleanup"), "Succeeded", "1"),
        // Same name, but an Argo CronWorkflow's run: not one of its runs.
        workflow(
            "nightly-scorer-cron",
            json!({"workflows.argoproj.io/cron-workflow": "nightly-scorer"}),
            "Failed",
            "1",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_recurring_run_is_suspended_and_a_user_who_may_not_list_them_is_told_once() {
    let (s, _dir, c) = admin_and_limited(
        "kfp",
        "no-kubeflow",
        &["", "apps", "batch", "serving.kserve.io", "argoproj.io"],
        kubeflow_objects(),
    )
    .await;
    let count = |ws: &[Workload], ctx: &str| ws.iter().filter(|w| w.id.cluster == ctx).count();
    let ws = wait_for(&c, "both contexts", |ws| {
        count(ws, "kfp") == 9 && count(ws, "limited") == 8
    })
    .await;
    let p = ws
        .iter()
        .find(|w| w.id.cluster == "kfp" && w.id.kind == WorkloadKind::Pipeline)
        .unwrap();
    assert_eq!(p.id.name, "nightly-scorer");
    assert_eq!(p.served_version.as_deref(), Some("6"));
    assert_eq!(p.rollout, RolloutState::Suspended);
    let b = p.batch.clone().unwrap();
    assert!(b.suspended);
    assert_eq!(b.schedule, "0 2 * * *");
    assert_eq!(b.last_schedule, Some(t("2026-12-05T02:00:00Z")));
    let runs: Vec<(&str, RunOutcome, Option<&str>)> = b
        .runs
        .iter()
        .map(|r| (r.job.as_str(), r.outcome, r.version.as_deref()))
        .collect();
    assert_eq!(
        runs,
        vec![
            ("nightly-scorer-1-111", RunOutcome::Succeeded, Some("5")),
            ("nightly-scorer-2-222", RunOutcome::Failed, Some("6")),
        ]
    );
    assert_eq!(b.runs[0].duration_seconds(), Some(1200));
    assert_eq!(b.last_success, Some(t("2026-12-05T02:20:05Z")));
    // Suspended: no next run.
    let v = b.view(p.created_at, t("2026-12-06T00:00:00Z"));
    assert_eq!(v.next_run, None);
    // The limited user's context: its other workloads, no pipeline, and
    // one partial failure naming what to grant (however often listed).
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
        pf[0]
            .error
            .message
            .contains("scheduledworkflows.kubeflow.org"),
        "{}",
        pf[0].error.message
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_without_kubeflow_gets_no_request_for_it() {
    // Argo is installed (its CronWorkflows are listed); kubeflow.org is not.
    let s = ApiServer::start(
        ServerConfig {
            controller: fast(),
            objects: vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
                argo_crd("cronworkflows", "CronWorkflow"),
                argo_crd("workflows", "Workflow"),
                json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
                    "metadata": {"name": "scorer", "namespace": "ml", "labels": {"modeldeck.io/model": "churn"}},
                    "spec": {"schedule": "0 3 * * *", "workflowSpec": {"entrypoint": "main"}}}),
            ],
            ..ServerConfig::named("argo-only")
        }
        .with_seed(fixtures::demo_seed("argo-only")),
    )
    .await
    .unwrap();
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let ws = wait_for(&c, "the cluster", |ws| ws.len() == 9).await;
    let p: Vec<&str> = ws
        .iter()
        .filter(|w| w.id.kind == WorkloadKind::Pipeline)
        .map(|w| w.id.name.as_str())
        .collect();
    assert_eq!(p, ["scorer"]);
    c.list_workloads().await.unwrap();
    assert!(c.partial_failures().is_empty());
    let counters = s.request_counts();
    assert!(
        !counters
            .keys()
            .any(|(_, plural)| plural == "scheduledworkflows"),
        "{counters:?}"
    );
    assert!(
        counters.keys().any(|(_, plural)| plural == "cronworkflows"),
        "{counters:?}"
    );
    s.shutdown().await;
}
