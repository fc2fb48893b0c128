//! A CronJob's runs: its Jobs (by controller ownerReference), read when
//! workloads are listed. The watch cache holds CronJobs, not Jobs, so the
//! runs are one list of Jobs per namespace holding a bound CronJob (paged,
//! within the call budget); a namespace whose Jobs cannot be read keeps
//! its CronJobs without runs (logged, the listing still answers).

use crate::config::BindingConfig;
use crate::convert::batch_run;
use crate::events::list_all;
use k8s_openapi::api::batch::v1::Job;
use kube::Client;
use kube::api::{Api, ListParams};
use modeldeck_core::domain::{BatchRun, Workload, WorkloadKind};
use modeldeck_core::error::PortResult;
use std::collections::{BTreeMap, BTreeSet};

/// The runs of the CronJob with uid `owner` among `jobs`, oldest first.
pub fn runs_owned_by(b: &BindingConfig, jobs: &[Job], owner: &str) -> Vec<BatchRun> {
    let mut runs: Vec<BatchRun> = jobs
        .iter()
        .filter(|j| {
            j.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.controller == Some(true) && o.uid == owner)
        })
        .map(|j| batch_run(b, j))
        .collect();
    runs.sort_by(|a, c| a.start.cmp(&c.start).then_with(|| a.job.cmp(&c.job)));
    runs
}

/// The Jobs of namespace `ns`.
pub async fn jobs_in(client: &Client, ctx: &str, ns: &str) -> PortResult<Vec<Job>> {
    list_all(
        &Api::<Job>::namespaced(client.clone(), ns),
        ListParams::default(),
        ctx,
        "listing jobs",
    )
    .await
}

/// Fills `batch.runs` of the CronJobs of context `ctx` in `ws`.
pub async fn attach_runs(b: &BindingConfig, client: &Client, ctx: &str, ws: &mut [Workload]) {
    let namespaces: BTreeSet<String> = ws
        .iter()
        .filter(|w| w.id.cluster == ctx && w.id.kind == WorkloadKind::CronJob)
        .map(|w| w.id.namespace.clone())
        .collect();
    let mut jobs: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    for ns in namespaces {
        match jobs_in(client, ctx, &ns).await {
            Ok(j) => {
                jobs.insert(ns, j);
            }
            Err(e) => {
                tracing::warn!(context = ctx, namespace = %ns, error = %e, "cronjob runs not read")
            }
        }
    }
    for w in ws
        .iter_mut()
        .filter(|w| w.id.cluster == ctx && w.id.kind == WorkloadKind::CronJob)
    {
        let (Some(js), Some(batch)) = (jobs.get(&w.id.namespace), w.batch.as_mut()) else {
            continue;
        };
        batch.runs = runs_owned_by(b, js, &w.uid);
    }
}
