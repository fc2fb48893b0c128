//! Retraining through the real kube adapter against the simulated API
//! server (our own, crates/apiserver: its Job controller is a documented
//! stand-in that runs one pod per Job and completes it after a few
//! seconds). The world is the demo sandbox served as `modeldeck sandbox
//! serve` serves it (the sandbox's registry and metrics for the drift
//! numbers, its workloads and the `demand-forecaster-retrain` CronJob
//! seeded into the API server), driven through `Console::retrain` as the
//! CLI and the TUI drive it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::resources::ids;
use modeldeck_apiserver::{ApiServer, ApiServerHandle, Seed, ServerConfig, seed};
use modeldeck_core::console::{Backends, Console, ConsoleOptions, RetrainOrder};
use modeldeck_core::domain::*;
use modeldeck_core::error::ErrorCode;
use modeldeck_kube::KubeCluster;
use modeldeck_sandbox::Sandbox;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const MODEL: &str = "demand-forecaster";
const NS: &str = "commerce";
const CRON: &str = "demand-forecaster-retrain";

/// The demo world's prod-eu cluster served by the API server, a console
/// over it (as `user`) with the sandbox's registry and metrics.
struct World {
    server: ApiServerHandle,
    console: Console,
    _dir: Scratch,
    _sandbox: Sandbox,
}

async fn world(user: &str) -> World {
    let sb = Sandbox::demo().unwrap();
    let b = sb.backends();
    let mut seeds = seed::from_cluster(b.cluster.as_ref()).await.unwrap();
    let eu = seeds.remove("prod-eu").expect("the demo has prod-eu");
    let cfg = ServerConfig {
        controller: fast(),
        ..ServerConfig::named("prod-eu")
    }
    .with_seed(eu);
    let server = ApiServer::start(cfg).await.unwrap();
    let dir = scratch();
    let kube = adapter(
        kubeconfig(&dir, "kc", &[server.kubeconfig_entry(user).unwrap()]),
        Duration::from_secs(10),
    );
    let console = Console::new(
        Backends {
            cluster: Arc::new(kube),
            registry: b.registry.clone(),
            metrics: b.metrics.clone(),
        },
        ConsoleOptions::default(),
    );
    World {
        server,
        console,
        _dir: dir,
        _sandbox: sb,
    }
}

type Entries = Arc<Mutex<Vec<AuditEntry>>>;

fn sink() -> (
    Entries,
    impl Fn(&AuditEntry) -> Result<(), String> + Send + Sync,
) {
    let log: Entries = Arc::default();
    let l = log.clone();
    (log, move |e: &AuditEntry| {
        l.lock().unwrap().push(e.clone());
        Ok(())
    })
}

fn order(model: &str, reason: &str) -> RetrainOrder {
    RetrainOrder {
        model: model.into(),
        reason: reason.into(),
        ..RetrainOrder::default()
    }
}

/// The Jobs not made by a schedule (the seeded world's nightly scoring
/// runs carry the CronJob controller's scheduled-timestamp annotation).
fn jobs(s: &ApiServerHandle) -> Vec<Value> {
    s.store()
        .all(ids::JOBS)
        .iter()
        .filter(|j| {
            j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
                .is_null()
        })
        .map(|j| (**j).clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_from_the_cronjob_with_our_annotations_audited_and_followed_to_success() {
    let w = world("admin").await;
    let (log, audit) = sink();
    let reason = "lag_7d shifted \u{202e}after the pipeline deploy\u{1b}[2J";
    let out = w
        .console
        .retrain(&order(MODEL, reason), &audit)
        .await
        .unwrap();
    assert_eq!(out.source.name, CRON);
    assert_eq!(out.source.kind, RetrainSourceKind::CronJob);
    assert!(
        out.run
            .name
            .starts_with("demand-forecaster-retrain-manual-"),
        "{}",
        out.run.name
    );
    assert_eq!(out.run.kind, RetrainRunKind::Job);

    let cron = w.server.store().get(ids::CRONJOBS, NS, CRON).unwrap();
    let all = jobs(&w.server);
    assert_eq!(all.len(), 1, "{all:#?}");
    let job = &all[0];
    assert_eq!(job["metadata"]["name"], out.run.name.as_str());
    // kubectl create job --from=cronjob/...: the template's spec, labels, owner.
    let tmpl = &cron["spec"]["jobTemplate"];
    let containers = &job["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers, &tmpl["spec"]["template"]["spec"]["containers"]);
    assert_eq!(
        containers[0]["image"],
        "registry.example.com/ml/demand-forecaster-train:2026.11"
    );
    let env = containers[0]["env"].as_array().unwrap();
    assert!(
        env.contains(&json!({"name": "MODEL_NAME", "value": MODEL})),
        "{env:?}"
    );
    for (k, v) in tmpl["metadata"]["labels"].as_object().unwrap() {
        assert_eq!(&job["metadata"]["labels"][k], v, "label {k}");
    }
    assert_eq!(job["metadata"]["labels"][RETRAIN_LABEL], MODEL);
    let owner = &job["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "CronJob");
    assert_eq!(owner["apiVersion"], "batch/v1");
    assert_eq!(owner["name"], CRON);
    assert_eq!(owner["uid"], cron["metadata"]["uid"]);
    // The server's own defaults and generated selector.
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        job["metadata"]["uid"]
    );
    let ann = &job["metadata"]["annotations"];
    assert_eq!(ann[INSTANTIATE_ANNOTATION], "manual");
    assert_eq!(ann[REASON_ANNOTATION], reason, "the reason is stored raw");
    assert_eq!(ann[REQUESTED_BY_ANNOTATION], "admin");
    let drift: DriftEvidence =
        serde_json::from_str(ann[DRIFT_ANNOTATION].as_str().unwrap()).unwrap();
    assert_eq!(drift.features[0].feature, "lag_7d", "{drift:?}");
    assert!(drift.features[0].drifted);

    // The audit entry holds the run and the same drift numbers.
    let entries = log.lock().unwrap().clone();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(
        (e.action.as_str(), e.outcome.as_str(), e.actor.as_str()),
        ("retrain", "ok", "admin")
    );
    assert_eq!(e.after["run"]["name"], out.run.name.as_str());
    assert_eq!(e.after["run"]["uid"], job["metadata"]["uid"]);
    assert_eq!(e.after["reason"], reason);
    let f = &e.after["drift"]["features"][0];
    assert_eq!(f["feature"], "lag_7d");
    assert_eq!(f["method"], json!(drift.features[0].method));
    assert!(
        f["score"].as_f64().unwrap() >= f["threshold"].as_f64().unwrap()
            || f["method"] == "ks"
            || f["method"] == "chi_square"
    );
    assert_eq!(e.after["drift"]["version"], drift.version.as_str());

    // --follow: pending or running, then succeeded with the pod's log.
    let mut run = out.run.clone();
    let mut seen = vec![run.phase];
    for _ in 0..200 {
        run = w.console.retrain_status(&run, 5).await.unwrap();
        if seen.last() != Some(&run.phase) {
            seen.push(run.phase);
        }
        if run.phase.is_done() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(run.phase, RetrainPhase::Succeeded, "phases seen: {seen:?}");
    assert!(seen.contains(&RetrainPhase::Running), "{seen:?}");
    assert_eq!((run.succeeded, run.active), (1, 0));
    assert!(run.started_at.is_some() && run.completed_at.is_some());
    assert!(run.pod.as_deref().is_some_and(|p| p.starts_with(&run.name)));
    assert!(
        run.log_tail
            .last()
            .is_some_and(|l| l.contains("registered a new version of demand-forecaster")),
        "{:?}",
        run.log_tail
    );
    assert!(run.log_tail.len() <= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_create_jobs_is_refused_and_nothing_is_created() {
    let w = world("viewer").await;
    let (log, audit) = sink();
    let e = w
        .console
        .retrain(&order(MODEL, "drift"), &audit)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "{e}");
    for word in [
        "viewer",
        "may not create jobs",
        "group batch",
        "namespace commerce",
        "prod-eu",
        "nothing was created",
    ] {
        assert!(e.message.contains(word), "{word:?} missing from: {e}");
    }
    assert!(jobs(&w.server).is_empty());
    let entries = log.lock().unwrap().clone();
    assert_eq!(entries.len(), 1, "the refusal is audited");
    assert!(
        entries[0].outcome.starts_with("refused: "),
        "{}",
        entries[0].outcome
    );
    assert!(entries[0].after["run"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_labelled_pipeline_names_the_label_and_a_dry_run_creates_nothing() {
    let w = world("admin").await;
    let (log, audit) = sink();
    let e = w
        .console
        .retrain(&order("fraud-detector", "drift"), &audit)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    assert!(
        e.message
            .contains("modeldeck.io/retrain-for=fraud-detector"),
        "{e}"
    );
    let e = w
        .console
        .retrain(&order(MODEL, " \t"), &audit)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "{e}");
    assert!(e.message.contains("reason"), "{e}");

    let dry = RetrainOrder {
        dry_run: true,
        ..order(MODEL, "check")
    };
    let out = w.console.retrain(&dry, &audit).await.unwrap();
    assert!(out.run.dry_run && !out.audited);
    assert!(
        out.run
            .name
            .starts_with("demand-forecaster-retrain-manual-")
    );
    assert!(jobs(&w.server).is_empty(), "a dry run creates nothing");
    assert!(
        log.lock().unwrap().is_empty(),
        "nothing happened, nothing audited"
    );
}

fn cron(ns: &str, name: &str, model: &str) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": ns, "labels": {RETRAIN_LABEL: model}},
        "spec": {"schedule": "0 3 * * *", "suspend": true, "jobTemplate": {"spec": {"template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": "train:1"}]}}}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_matching_pipelines_are_listed_until_a_context_picks_one() {
    let mut handles = Vec::new();
    let mut entries = Vec::new();
    for name in ["alpha", "beta"] {
        let seed = Seed {
            objects: vec![
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
                cron("ml", "churn-train", "churn"),
            ],
            ..Seed::default()
        };
        let s = server(name, seed, false).await;
        entries.push(s.kubeconfig_entry("admin").unwrap());
        handles.push(s);
    }
    let dir = scratch();
    let kube = adapter(kubeconfig(&dir, "kc", &entries), Duration::from_secs(10));
    let sources = kube_sources(&kube, "churn").await;
    assert_eq!(sources.len(), 2, "{sources:?}");
    let sb = Sandbox::demo().unwrap();
    let b = sb.backends();
    let console = Console::new(
        Backends {
            cluster: Arc::new(kube),
            registry: b.registry.clone(),
            metrics: b.metrics.clone(),
        },
        ConsoleOptions::default(),
    );
    let (_, audit) = sink();
    let e = console
        .retrain(&order("churn", "drift"), &audit)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "{e}");
    for word in [
        "cronjob/churn-train in alpha/ml",
        "cronjob/churn-train in beta/ml",
        "--context",
    ] {
        assert!(e.message.contains(word), "{word:?} missing from: {e}");
    }
    let pick = RetrainOrder {
        context: Some("beta".into()),
        ..order("churn", "drift")
    };
    let out = console.retrain(&pick, &audit).await.unwrap();
    assert_eq!(out.run.cluster, "beta");
    assert!(
        out.evidence_note.is_some(),
        "churn is served nowhere: no drift numbers"
    );
    assert!(jobs(&handles[0]).is_empty());
    assert_eq!(jobs(&handles[1]).len(), 1);
}

async fn kube_sources(c: &KubeCluster, model: &str) -> Vec<RetrainSource> {
    use modeldeck_core::ports::Cluster;
    c.retrain_sources(model).await.unwrap()
}

fn crd(plural: &str, kind: &str) -> Value {
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.argoproj.io")},
        "spec": {"group": "argoproj.io", "scope": "Namespaced",
                 "names": {"kind": kind, "plural": plural},
                 "versions": [{"name": "v1alpha1", "served": true, "storage": true}]}})
}

/// Kubeflow Pipelines v2 runs on Argo: a labelled WorkflowTemplate starts a
/// Workflow referring to it. The simulated server stores Argo's types once
/// their CRDs exist but runs no Argo controller, so the test writes the
/// Workflow's status as Argo's controller would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_labelled_workflow_template_starts_a_workflow_referring_to_it() {
    let seed = Seed {
        objects: vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubeflow"}}),
            crd("workflowtemplates", "WorkflowTemplate"),
            crd("workflows", "Workflow"),
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate",
                "metadata": {"name": "churn-pipeline", "namespace": "kubeflow", "labels": {RETRAIN_LABEL: "churn"}},
                "spec": {"entrypoint": "train", "templates": [{"name": "train", "container": {"image": "train:2"}}]}}),
        ],
        ..Seed::default()
    };
    let s = server("kf", seed, false).await;
    let dir = scratch();
    let kube = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let sb = Sandbox::demo().unwrap();
    let b = sb.backends();
    let console = Console::new(
        Backends {
            cluster: Arc::new(kube),
            registry: b.registry.clone(),
            metrics: b.metrics.clone(),
        },
        ConsoleOptions::default(),
    );
    let (log, audit) = sink();
    let out = console
        .retrain(&order("churn", "drift \u{202e}x"), &audit)
        .await
        .unwrap();
    assert_eq!(out.source.kind, RetrainSourceKind::WorkflowTemplate);
    assert_eq!(out.run.kind, RetrainRunKind::Workflow);
    assert!(
        out.run.name.starts_with("churn-pipeline-manual-"),
        "{}",
        out.run.name
    );
    let wf_id =
        modeldeck_apiserver::resources::find("argoproj.io", "v1alpha1", "workflows").unwrap();
    let wf = s.store().get(wf_id, "kubeflow", &out.run.name).unwrap();
    assert_eq!(wf["spec"]["workflowTemplateRef"]["name"], "churn-pipeline");
    assert_eq!(wf["metadata"]["labels"][RETRAIN_LABEL], "churn");
    assert_eq!(
        wf["metadata"]["annotations"][REASON_ANNOTATION],
        "drift \u{202e}x"
    );
    assert_eq!(log.lock().unwrap()[0].after["run"]["kind"], "workflow");

    let r = console.retrain_status(&out.run, 5).await.unwrap();
    assert_eq!(r.phase, RetrainPhase::Pending);
    s.store()
        .update(wf_id, "kubeflow", &out.run.name, false, |cur| {
            let mut n = cur.clone();
            n["status"] = json!({"phase": "Succeeded", "startedAt": "2026-12-05T09:00:00Z",
                                 "finishedAt": "2026-12-05T09:10:00Z"});
            Ok(Some(n))
        })
        .unwrap();
    let r = console.retrain_status(&out.run, 5).await.unwrap();
    assert_eq!(r.phase, RetrainPhase::Succeeded);
    assert_eq!(
        r.completed_at.map(|t| t.rfc3339()).as_deref(),
        Some("2026-12-05T09:10:00Z")
    );
}

/// A run whose pod fails (the simulated controller's exit-code annotation)
/// reads as failed with the server's reason, and its log says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_run_is_followed_to_failed_with_the_reason() {
    let mut failing = cron("ml", "churn-train", "churn");
    failing["spec"]["jobTemplate"]["spec"]["template"]["metadata"] = json!({"annotations": {"sandbox.modeldeck.io/exit-code": "3", "sandbox.modeldeck.io/run-seconds": "1"}});
    let seed = Seed {
        objects: vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
            failing,
        ],
        ..Seed::default()
    };
    let s = server("alpha", seed, false).await;
    let dir = scratch();
    let kube = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let sb = Sandbox::demo().unwrap();
    let b = sb.backends();
    let console = Console::new(
        Backends {
            cluster: Arc::new(kube),
            registry: b.registry.clone(),
            metrics: b.metrics.clone(),
        },
        ConsoleOptions::default(),
    );
    let (_, audit) = sink();
    let out = console
        .retrain(&order("churn", "drift"), &audit)
        .await
        .unwrap();
    let mut run = out.run;
    for _ in 0..150 {
        run = console.retrain_status(&run, 3).await.unwrap();
        if run.phase.is_done() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(run.phase, RetrainPhase::Failed, "{run:?}");
    assert_eq!((run.failed, run.succeeded), (1, 0));
    assert_eq!(
        run.message.as_deref(),
        Some("Job has reached the specified backoff limit")
    );
    assert!(
        run.completed_at.is_none(),
        "a failed Job has no completionTime"
    );
    assert!(
        run.log_tail
            .last()
            .is_some_and(|l| l.contains("training failed (exit code 3)")),
        "{:?}",
        run.log_tail
    );
}
