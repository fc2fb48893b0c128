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
    let ws = wait_for(&c, "the nightly job", |ws| find(ws, NS, NAME).is_some()).await;
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
