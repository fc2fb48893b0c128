//! Argo Workflows' CronWorkflows (`argoproj.io/v1alpha1`) as batch
//! workloads of kind [`WorkloadKind::Pipeline`], when the cluster serves
//! them. Each context finds out by discovery (re-asked every
//! [`REDISCOVER`]) whether `cronworkflows.argoproj.io` is served; only then
//! are the bound CronWorkflows (binding label) and their Workflows (label
//! `workflows.argoproj.io/cron-workflow`) listed, when workloads are listed.
//! A cluster without Argo costs one discovery call and says nothing; a
//! context whose user may not list them says so once, as one partial
//! failure, and keeps the rest of its Fleet.
//!
//! A run is one Workflow: `status.phase` (Pending/Running, Succeeded,
//! Failed/Error), `status.startedAt`/`finishedAt`, and the model version in
//! the binding annotation of `spec.podMetadata` (the metadata Argo puts on
//! every pod of the workflow) or of the Workflow itself, else a
//! `MODEL_VERSION` env of a container template.

use crate::config::BindingConfig;
use crate::error::{cluster_error, from_kube};
use crate::events::list_all;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use modeldeck_core::domain::{
    BatchRun, BatchStatus, RolloutState, RunOutcome, Timestamp, Workload, WorkloadKind, WorkloadRef,
};
use modeldeck_core::error::{BackendError, ErrorCode, PortResult};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Argo's API group.
pub const GROUP: &str = "argoproj.io";
/// Its served version.
pub const VERSION: &str = "v1alpha1";
/// The label Argo puts on the Workflows a CronWorkflow starts.
pub const CRON_LABEL: &str = "workflows.argoproj.io/cron-workflow";
/// The label Argo puts on a Workflow's pods.
pub const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";
/// How long an answer of discovery ("not served") is trusted.
pub const REDISCOVER: Duration = Duration::from_secs(300);

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, VERSION, kind), plural)
}

/// `cronworkflows.argoproj.io`.
pub fn cron_workflow_resource() -> ApiResource {
    resource("CronWorkflow", "cronworkflows")
}

/// `workflows.argoproj.io`.
pub fn workflow_resource() -> ApiResource {
    resource("Workflow", "workflows")
}

/// Whether `cronworkflows.argoproj.io/v1alpha1` is served (discovery).
pub async fn served(client: &Client, ctx: &str) -> PortResult<bool> {
    let what = "discovering Argo Workflows";
    let groups = client
        .list_api_groups()
        .await
        .map_err(|e| from_kube(e, ctx, what))?;
    let gv = format!("{GROUP}/{VERSION}");
    let has_group = groups
        .groups
        .iter()
        .any(|g| g.name == GROUP && g.versions.iter().any(|v| v.group_version == gv));
    if !has_group {
        return Ok(false);
    }
    let list = client
        .list_api_group_resources(&gv)
        .await
        .map_err(|e| from_kube(e, ctx, what))?;
    Ok(list.resources.iter().any(|r| r.name == "cronworkflows"))
}

fn ts(v: Option<&Value>) -> Option<Timestamp> {
    v.and_then(Value::as_str).and_then(Timestamp::parse_rfc3339)
}

fn str_at<'a>(o: &'a Value, ptr: &str) -> Option<&'a str> {
    o.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The model version a workflow spec (`spec` of a Workflow, `spec.workflowSpec`
/// of a CronWorkflow) and its object's annotations name.
pub fn spec_version(b: &BindingConfig, spec: &Value, annotations: &Value) -> Option<String> {
    let ann = |v: &Value| {
        v.get(&b.version_annotation)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    if let Some(v) = spec.pointer("/podMetadata/annotations").and_then(ann) {
        return Some(v);
    }
    if let Some(v) = ann(annotations) {
        return Some(v);
    }
    spec.get("templates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.pointer("/container/env").and_then(Value::as_array))
        .flatten()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(b.version_env.as_str()))
        .and_then(|e| e.get("value").and_then(Value::as_str))
        .map(String::from)
}

/// One run from its Workflow.
pub fn workflow_run(b: &BindingConfig, o: &DynamicObject) -> BatchRun {
    let d = &o.data;
    let outcome = match str_at(d, "/status/phase") {
        Some("Succeeded") => RunOutcome::Succeeded,
        Some("Failed" | "Error") => RunOutcome::Failed,
        _ => RunOutcome::Running,
    };
    let created = o
        .metadata
        .creation_timestamp
        .as_ref()
        .map_or(Timestamp(0), |t| Timestamp(t.0.as_millisecond()));
    let ann = serde_json::to_value(&o.metadata.annotations).unwrap_or_default();
    BatchRun {
        job: o.metadata.name.clone().unwrap_or_default(),
        start: ts(d.pointer("/status/startedAt")).unwrap_or(created),
        end: ts(d.pointer("/status/finishedAt")).filter(|_| outcome != RunOutcome::Running),
        outcome,
        version: spec_version(b, d.get("spec").unwrap_or(&Value::Null), &ann),
        rows: None,
    }
}

/// A bound CronWorkflow with `runs` (its Workflows, any order): schedule
/// (`spec.schedule`, or `spec.schedules` joined), `spec.timezone`,
/// `spec.suspend`, `status.active`, `status.lastScheduledTime`; the last
/// success is the newest succeeded run's end (a CronWorkflow's status has
/// only counts).
pub fn cron_workflow(
    b: &BindingConfig,
    cluster: &str,
    o: &DynamicObject,
    mut runs: Vec<BatchRun>,
) -> Option<Workload> {
    let m = &o.metadata;
    let labels = m.labels.clone().unwrap_or_default();
    let model = labels
        .get(&b.model_label)
        .filter(|v| !v.is_empty())?
        .clone();
    let d = &o.data;
    runs.sort_by(|a, c| a.start.cmp(&c.start).then_with(|| a.job.cmp(&c.job)));
    let schedule = match (str_at(d, "/spec/schedule"), d.pointer("/spec/schedules")) {
        (Some(s), _) => s.to_string(),
        (None, Some(Value::Array(all))) => all
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    let suspended = d.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    let active = match d.pointer("/status/active").and_then(Value::as_array) {
        Some(a) => a.len() as u32,
        None => runs
            .iter()
            .filter(|r| r.outcome == RunOutcome::Running)
            .count() as u32,
    };
    let last_schedule =
        ts(d.pointer("/status/lastScheduledTime")).or_else(|| runs.iter().map(|r| r.start).max());
    let last_success = runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Succeeded)
        .filter_map(|r| r.end)
        .max();
    let ann = serde_json::to_value(&m.annotations).unwrap_or_default();
    let wf_spec = d.pointer("/spec/workflowSpec").unwrap_or(&Value::Null);
    let wf_ann = d
        .pointer("/spec/workflowMetadata/annotations")
        .unwrap_or(&ann);
    Some(Workload {
        id: WorkloadRef {
            cluster: cluster.to_string(),
            namespace: m.namespace.clone().unwrap_or_default(),
            kind: WorkloadKind::Pipeline,
            name: m.name.clone().unwrap_or_default(),
        },
        uid: m.uid.clone().unwrap_or_default(),
        resource_version: m.resource_version.clone().unwrap_or_default(),
        model: Some(model),
        served_version: spec_version(b, wf_spec, wf_ann),
        canary: None,
        ready_replicas: active,
        desired_replicas: active,
        rollout: if suspended {
            RolloutState::Suspended
        } else if active > 0 {
            RolloutState::Available
        } else {
            RolloutState::Idle
        },
        labels: labels.into(),
        created_at: m
            .creation_timestamp
            .as_ref()
            .map_or(Timestamp(0), |t| Timestamp(t.0.as_millisecond())),
        batch: Some(BatchStatus {
            schedule,
            time_zone: str_at(d, "/spec/timezone").map(String::from),
            suspended,
            active,
            last_schedule,
            last_success,
            runs,
        }),
    })
}

fn api(client: &Client, ns: &Option<String>, ar: &ApiResource) -> Api<DynamicObject> {
    match ns {
        Some(n) => Api::namespaced_with(client.clone(), n, ar),
        None => Api::all_with(client.clone(), ar),
    }
}

/// The bound CronWorkflows of `namespaces` (`None`: all) with their runs.
pub async fn list(
    b: &BindingConfig,
    client: &Client,
    ctx: &str,
    namespaces: &[Option<String>],
) -> PortResult<Vec<Workload>> {
    let mut out = Vec::new();
    for ns in namespaces {
        let crons = list_all(
            &api(client, ns, &cron_workflow_resource()),
            ListParams::default().labels(&b.model_label),
            ctx,
            "listing cronworkflows.argoproj.io",
        )
        .await?;
        if crons.is_empty() {
            continue;
        }
        let wfs = list_all(
            &api(client, ns, &workflow_resource()),
            ListParams::default().labels(CRON_LABEL),
            ctx,
            "listing workflows.argoproj.io",
        )
        .await?;
        let mut by_owner: BTreeMap<(String, String), Vec<BatchRun>> = BTreeMap::new();
        for w in &wfs {
            let owner = w.metadata.labels.as_ref().and_then(|l| l.get(CRON_LABEL));
            if let Some(owner) = owner {
                let key = (
                    w.metadata.namespace.clone().unwrap_or_default(),
                    owner.clone(),
                );
                by_owner.entry(key).or_default().push(workflow_run(b, w));
            }
        }
        for c in &crons {
            let key = (
                c.metadata.namespace.clone().unwrap_or_default(),
                c.metadata.name.clone().unwrap_or_default(),
            );
            let runs = by_owner.remove(&key).unwrap_or_default();
            out.extend(cron_workflow(b, ctx, c, runs));
        }
    }
    Ok(out)
}

/// The names of the Workflows a CronWorkflow started (kept ones).
pub async fn workflow_names(
    client: &Client,
    ctx: &str,
    t: &WorkloadRef,
) -> PortResult<std::collections::BTreeSet<String>> {
    let wfs = list_all(
        &api(client, &Some(t.namespace.clone()), &workflow_resource()),
        ListParams::default().labels(&format!("{CRON_LABEL}={}", t.name)),
        ctx,
        "listing workflows.argoproj.io",
    )
    .await?;
    Ok(wfs.into_iter().filter_map(|w| w.metadata.name).collect())
}

/// The last `lines`-worth of pods to read for a pipeline: the pods of its
/// newest failed (or errored) Workflow, failed pods first; none when no
/// kept run failed.
pub async fn last_failed_pods(
    client: &Client,
    t: &WorkloadRef,
) -> PortResult<Vec<k8s_openapi::api::core::v1::Pod>> {
    let ctx = t.cluster.as_str();
    let ns = Some(t.namespace.clone());
    let wfs = list_all(
        &api(client, &ns, &workflow_resource()),
        ListParams::default().labels(&format!("{CRON_LABEL}={}", t.name)),
        ctx,
        "listing workflows.argoproj.io",
    )
    .await?;
    let b = BindingConfig::default();
    let Some(failed) = wfs
        .iter()
        .map(|w| workflow_run(&b, w))
        .filter(|r| r.outcome == RunOutcome::Failed)
        .max_by(|a, c| a.start.cmp(&c.start).then_with(|| a.job.cmp(&c.job)))
    else {
        return Ok(Vec::new());
    };
    let pods = list_all(
        &Api::<k8s_openapi::api::core::v1::Pod>::namespaced(client.clone(), &t.namespace),
        ListParams::default().labels(&format!("{WORKFLOW_LABEL}={}", failed.job)),
        ctx,
        "listing pods",
    )
    .await?;
    let failed_pods: Vec<_> = pods
        .iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed"))
        .cloned()
        .collect();
    Ok(if failed_pods.is_empty() {
        pods
    } else {
        failed_pods
    })
}

/// What a context is known to serve.
#[derive(Debug, Clone)]
enum Presence {
    /// Not served, as discovery said at that moment.
    Absent(Instant),
    /// Served and listed.
    Served,
    /// Served, but the user may not list them (reported as a partial
    /// failure until a listing succeeds).
    Forbidden(BackendError),
}

/// Per-context discovery answers and refusals.
#[derive(Debug, Default)]
pub struct ArgoState {
    by_context: Mutex<HashMap<String, Presence>>,
}

impl ArgoState {
    fn get(&self, ctx: &str) -> Option<Presence> {
        let m = self.by_context.lock().unwrap_or_else(|e| e.into_inner());
        m.get(ctx).cloned()
    }

    fn set(&self, ctx: &str, p: Presence) {
        let mut m = self.by_context.lock().unwrap_or_else(|e| e.into_inner());
        m.insert(ctx.to_string(), p);
    }

    /// The contexts whose user may not list CronWorkflows, with why.
    pub fn refusals(&self) -> Vec<(String, BackendError)> {
        let m = self.by_context.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<(String, BackendError)> = m
            .iter()
            .filter_map(|(c, p)| match p {
                Presence::Forbidden(e) => Some((c.clone(), e.clone())),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The pipelines of context `ctx`: empty without Argo (discovery
    /// re-asked after [`REDISCOVER`]) or when the user may not list them
    /// (logged once; see [`ArgoState::refusals`]). Other errors are logged
    /// and give none this time.
    pub async fn pipelines(
        &self,
        b: &BindingConfig,
        client: &Client,
        ctx: &str,
        namespaces: &[Option<String>],
    ) -> Vec<Workload> {
        match self.get(ctx) {
            Some(Presence::Absent(at)) if at.elapsed() < REDISCOVER => return Vec::new(),
            Some(Presence::Served | Presence::Forbidden(_)) => {}
            _ => match served(client, ctx).await {
                Ok(true) => self.set(ctx, Presence::Served),
                Ok(false) => {
                    self.set(ctx, Presence::Absent(Instant::now()));
                    return Vec::new();
                }
                Err(e) => {
                    tracing::debug!(context = ctx, error = %e, "argo discovery failed");
                    return Vec::new();
                }
            },
        }
        match list(b, client, ctx, namespaces).await {
            Ok(ws) => {
                self.set(ctx, Presence::Served);
                ws
            }
            Err(e) if e.code == ErrorCode::Forbidden => {
                if !matches!(self.get(ctx), Some(Presence::Forbidden(_))) {
                    tracing::warn!(context = ctx, error = %e, "pipelines not listed");
                }
                let why = cluster_error(
                    ErrorCode::Forbidden,
                    ctx,
                    format!(
                        "Argo pipelines are not shown: {} (needs list on \
                         cronworkflows.argoproj.io and workflows.argoproj.io)",
                        e.message
                    ),
                );
                self.set(ctx, Presence::Forbidden(why));
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(context = ctx, error = %e, "pipelines not listed");
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> DynamicObject {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_workflow_is_a_run_in_every_phase() {
        let b = BindingConfig::default();
        let wf = |phase: &str, end: Option<&str>| {
            obj(
                json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": "p-1", "namespace": "ml", "creationTimestamp": "2026-12-01T03:00:00Z"},
                "spec": {"podMetadata": {"annotations": {"modeldeck.io/model-version": "7"}}},
                "status": {"phase": phase, "startedAt": "2026-12-01T03:00:02Z", "finishedAt": end}}),
            )
        };
        let end = Some("2026-12-01T03:40:02Z");
        let r = workflow_run(&b, &wf("Succeeded", end));
        assert_eq!(
            (r.outcome, r.duration_seconds(), r.version.as_deref()),
            (RunOutcome::Succeeded, Some(2400), Some("7"))
        );
        assert_eq!(
            workflow_run(&b, &wf("Failed", end)).outcome,
            RunOutcome::Failed
        );
        assert_eq!(
            workflow_run(&b, &wf("Error", end)).outcome,
            RunOutcome::Failed
        );
        for phase in ["Pending", "Running", ""] {
            let r = workflow_run(&b, &wf(phase, None));
            assert_eq!((r.outcome, r.end), (RunOutcome::Running, None), "{phase}");
        }
    }

    #[test]
    fn the_version_comes_from_pod_metadata_annotations_or_env() {
        let b = BindingConfig::default();
        let env = json!({"templates": [{"name": "train", "container": {"env": [{"name": "MODEL_VERSION", "value": "4"}]}}]});
        assert_eq!(spec_version(&b, &env, &Value::Null).as_deref(), Some("4"));
        let ann = json!({"modeldeck.io/model-version": "5"});
        assert_eq!(spec_version(&b, &env, &ann).as_deref(), Some("5"));
        assert_eq!(spec_version(&b, &json!({}), &Value::Null), None);
    }
}
