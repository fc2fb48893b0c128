//! A CronJob's runs through the kube adapter, against the sandbox API
//! server over HTTP: the demo world's nightly scoring job is seeded with a
//! week of Jobs and pods; the adapter reads them back (by ownerReference)
//! as the world records them, and the CronJob's log tail is its last
//! failed Job's pod's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::{ApiServer, ServerConfig, seed};
use modeldeck_core::domain::{RunOutcome, Workload, WorkloadKind, strip};
use modeldeck_core::ports::Cluster;
use modeldeck_sandbox::Sandbox;
use std::time::Duration;

const NS: &str = "commerce";
const NAME: &str = "churn-batch-scoring";

fn runs_of(ws: &[Workload]) -> Vec<modeldeck_core::domain::BatchRun> {
    find(ws, NS, NAME).unwrap().batch.clone().unwrap().runs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nightly_jobs_read_back_as_the_world_records_them() {
    let sb = Sandbox::demo().unwrap();
    let port = sb.backends().cluster;
    let mut seeds = seed::from_cluster(port.as_ref()).await.unwrap();
    let eu = seeds.remove("prod-eu").unwrap();
    let jobs = eu.objects.iter().filter(|o| o["kind"] == "Job").count();
    let s = ApiServer::start(
        ServerConfig {
            controller: fast(),
            ..ServerConfig::named("prod-eu")
        }
        .with_seed(eu),
    )
    .await
    .unwrap();
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let want = runs_of(&port.list_workloads().await.unwrap());
    assert_eq!(want.len(), 8, "a week and a day of nightly runs");
    assert_eq!(jobs, 8, "each seeded as a Job");
    let failures = want
        .iter()
        .filter(|r| r.outcome == RunOutcome::Failed)
        .count();
    assert!(failures >= 1, "{}", strip(&want));
    wait_for(&c, "the nightly job", |ws| find(ws, NS, NAME).is_some()).await;
    // Runs are read once the context has listed (not while it lists).
    c.wait_ready(Duration::from_secs(10)).await;
    let ws = c.list_workloads().await.unwrap();
    let w = find(&ws, NS, NAME).unwrap();
    assert_eq!(w.id.kind, WorkloadKind::CronJob);
    let got = runs_of(&ws);
    // A run that was running when seeded may have finished by now (the Job
    // controller runs it to its end); finished ones match exactly.
    let finished = |rs: &[modeldeck_core::domain::BatchRun]| -> Vec<_> {
        rs.iter()
            .filter(|r| r.outcome != RunOutcome::Running)
            .map(|r| (r.job.clone(), r.start, r.end, r.outcome, r.version.clone()))
            .collect()
    };
    let (fw, fg) = (finished(&want), finished(&got));
    assert!(fg.len() >= fw.len(), "{fg:?}");
    assert_eq!(fg[..fw.len()], fw[..]);
    assert_eq!(got.len(), want.len(), "{got:?}");
    assert!(got.iter().all(|r| r.version.is_some()), "{got:?}");
    // The CronJob object keeps a week: history limits raised to 7.
    let cj = s.get("batch/v1", "CronJob", NS, NAME).unwrap();
    assert_eq!(cj["spec"]["successfulJobsHistoryLimit"], 7);
    // The failed run's log, as the world writes it, ends with the error.
    let t = w.id.clone();
    let tail = c.log_tail(&t, 5).await.unwrap();
    assert_eq!(tail.len(), 5, "{tail:?}");
    let last = tail.last().unwrap();
    assert!(last.contains("ERROR scoring failed"), "{last}");
    assert!(last.contains("tenure_months"), "{last}");
    let world_tail = port.log_tail(&t, 5).await.unwrap();
    if fg.len() == fw.len() {
        assert_eq!(tail, world_tail);
    }
    s.shutdown().await;
}

/// The CronJob controller on a manual clock, read through the adapter over
/// HTTP: a run is created at its minute (running, with the version its
/// template names), succeeds; the next fails, and its pod's log is the
/// CronJob's log tail; history limits prune the oldest success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_runs_a_schedule_the_adapter_reads() {
    use modeldeck_apiserver::controller::Clock;
    use modeldeck_apiserver::controller::job::{EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION};
    use modeldeck_core::domain::Timestamp;
    use serde_json::json;
    let ms = |s: &str| Timestamp::parse_rfc3339(s).unwrap().0;
    let clock = Clock::manual(ms("2026-12-05T01:58:00Z"));
    let mut ctl = fast();
    ctl.clock = clock.clone();
    let cronjob = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "scorer", "namespace": "ml", "labels": {"modeldeck.io/model": "churn"},
                     "creationTimestamp": "2026-12-05T01:58:00Z"},
        "spec": {"schedule": "0 * * * *", "successfulJobsHistoryLimit": 1, "jobTemplate": {
            "metadata": {"labels": {"modeldeck.io/model": "churn"}},
            "spec": {"backoffLimit": 0, "template": {
                "metadata": {"annotations": {RUN_SECONDS_ANNOTATION: "600", "modeldeck.io/model-version": "4"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "batch-scorer", "image": "s:1",
                    "env": [{"name": "MODEL_NAME", "value": "churn"}, {"name": "MODEL_VERSION", "value": "4"}]}]}}}}}});
    let s = ApiServer::start(ServerConfig {
        controller: ctl,
        objects: vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
            cronjob,
        ],
        ..ServerConfig::named("batch")
    })
    .await
    .unwrap();
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let runs = |ws: &[Workload]| {
        find(ws, "ml", "scorer")
            .and_then(|w| w.batch.clone())
            .map(|b| b.runs)
            .unwrap_or_default()
    };
    let ws = wait_for(&c, "the cronjob", |ws| find(ws, "ml", "scorer").is_some()).await;
    assert!(runs(&ws).is_empty());
    clock.set(ms("2026-12-05T02:00:00Z"));
    let ws = wait_for(&c, "the 02:00 run", |ws| runs(ws).len() == 1).await;
    let r = &runs(&ws)[0];
    assert_eq!(
        r.job,
        format!("scorer-{}", ms("2026-12-05T02:00:00Z") / 60_000)
    );
    assert_eq!(
        (r.outcome, r.version.as_deref()),
        (RunOutcome::Running, Some("4"))
    );
    // The pod is made, starts, then runs its 10 minutes.
    let pods = |phase: &str| {
        s.store()
            .all(modeldeck_apiserver::resources::ids::PODS)
            .iter()
            .filter(|p| p["status"]["phase"] == phase)
            .count()
    };
    eventually("the pod is made", || pods("Pending") == 1).await;
    clock.advance(1_000);
    eventually("the pod runs", || {
        s.store()
            .all(modeldeck_apiserver::resources::ids::PODS)
            .iter()
            .any(|p| p["status"]["phase"] == "Running")
    })
    .await;
    clock.set(ms("2026-12-05T02:11:00Z"));
    // The Job's outcome, and the CronJob's status once its controller saw it.
    let ws = wait_for(&c, "the 02:00 run succeeded", |ws| {
        let b = find(ws, "ml", "scorer").and_then(|w| w.batch.clone());
        runs(ws)
            .first()
            .is_some_and(|r| r.outcome == RunOutcome::Succeeded)
            && b.is_some_and(|b| b.last_success.is_some() && b.active == 0)
    })
    .await;
    let b = find(&ws, "ml", "scorer").unwrap().batch.clone().unwrap();
    assert!(b.last_success.is_some() && b.active == 0, "{b:?}");
    // The next run fails.
    s.merge_patch(
        "batch/v1",
        "CronJob",
        "ml",
        "scorer",
        json!({"spec": {"jobTemplate": {"spec": {"template": {
        "metadata": {"annotations": {EXIT_CODE_ANNOTATION: "1"}}}}}}}),
    )
    .unwrap();
    clock.set(ms("2026-12-05T03:00:00Z"));
    wait_for(&c, "the 03:00 run", |ws| runs(ws).len() == 2).await;
    eventually("the second pod is made", || pods("Pending") == 1).await;
    clock.advance(1_000);
    eventually("the second pod runs", || {
        s.store()
            .all(modeldeck_apiserver::resources::ids::PODS)
            .iter()
            .filter(|p| p["status"]["phase"] == "Running")
            .count()
            == 1
    })
    .await;
    clock.set(ms("2026-12-05T03:11:00Z"));
    let ws = wait_for(&c, "the 03:00 run failed", |ws| {
        runs(ws)
            .last()
            .is_some_and(|r| r.outcome == RunOutcome::Failed)
    })
    .await;
    let w = find(&ws, "ml", "scorer").unwrap();
    let tail = c.log_tail(&w.id, 3).await.unwrap();
    assert!(
        tail.last().unwrap().contains("ERROR scoring failed"),
        "{tail:?}"
    );
    // Another success: with successfulJobsHistoryLimit 1 the 02:00 Job goes.
    s.merge_patch(
        "batch/v1",
        "CronJob",
        "ml",
        "scorer",
        json!({"spec": {"jobTemplate": {"spec": {"template": {
        "metadata": {"annotations": {EXIT_CODE_ANNOTATION: "0"}}}}}}}),
    )
    .unwrap();
    clock.set(ms("2026-12-05T04:00:00Z"));
    wait_for(&c, "the 04:00 run", |ws| {
        runs(ws).len() == 3
            || runs(ws).iter().any(|r| {
                r.job
                    .ends_with(&format!("{}", ms("2026-12-05T04:00:00Z") / 60_000))
            })
    })
    .await;
    eventually("the third pod is made", || pods("Pending") == 1).await;
    clock.advance(1_000);
    eventually("the third pod runs", || {
        s.store()
            .all(modeldeck_apiserver::resources::ids::PODS)
            .iter()
            .filter(|p| p["status"]["phase"] == "Running")
            .count()
            == 1
    })
    .await;
    clock.set(ms("2026-12-05T04:11:00Z"));
    let ws = wait_for(&c, "the 02:00 success pruned", |ws| {
        let rs = runs(ws);
        rs.len() == 2 && rs.iter().all(|r| r.outcome != RunOutcome::Running)
    })
    .await;
    let outcomes: Vec<RunOutcome> = runs(&ws).iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [RunOutcome::Failed, RunOutcome::Succeeded]);
    s.shutdown().await;
}
