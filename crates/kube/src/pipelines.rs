//! Listing scheduled pipelines of any engine (Argo CronWorkflows, Kubeflow
//! ScheduledWorkflows): the bound objects of a kind, each with the Argo
//! Workflows labelled with its name as its runs.

use crate::argo::{api, key_of, runs_by_owner};
use crate::config::BindingConfig;
use crate::events::list_all;
use kube::Client;
use kube::api::{ApiResource, DynamicObject, ListParams};
use modeldeck_core::domain::{BatchRun, Workload};
use modeldeck_core::error::PortResult;

/// A kind of scheduled pipeline: its resource, the label its runs carry,
/// and how one object and its runs become a workload.
pub(crate) struct PipelineKind {
    pub resource: ApiResource,
    pub what: &'static str,
    pub run_label: &'static str,
    pub workload: fn(&BindingConfig, &str, &DynamicObject, Vec<BatchRun>) -> Option<Workload>,
}

/// The bound objects of `kind` in `namespaces` (`None`: all), each with the
/// Workflows labelled with its name as its runs.
pub(crate) async fn list_pipelines(
    b: &BindingConfig,
    client: &Client,
    ctx: &str,
    namespaces: &[Option<String>],
    kind: &PipelineKind,
) -> PortResult<Vec<Workload>> {
    let mut out = Vec::new();
    for ns in namespaces {
        let objects = list_all(
            &api(client, ns, &kind.resource),
            ListParams::default().labels(&b.model_label),
            ctx,
            kind.what,
        )
        .await?;
        if objects.is_empty() {
            continue;
        }
        let mut by_owner = runs_by_owner(b, client, ctx, ns, kind.run_label).await?;
        for o in &objects {
            let runs = by_owner.remove(&key_of(o)).unwrap_or_default();
            out.extend((kind.workload)(b, ctx, o, runs));
        }
    }
    Ok(out)
}
