//! Argo Workflows' CronWorkflows (`argoproj.io/v1alpha1`) as batch
//! workloads of kind [`WorkloadKind::Pipeline`], when the cluster serves
//! them (and, through [`crate::kubeflow`], Kubeflow Pipelines' recurring
//! runs, whose runs are Argo Workflows too). Each context finds out by
//! discovery (re-asked every [`REDISCOVER`] while one of them is absent)
//! whether `cronworkflows.argoproj.io` and `scheduledworkflows.kubeflow.org`
//! are served; only then are the bound objects (binding label) and their
//! Workflows (label `workflows.argoproj.io/cron-workflow`, or
//! [`crate::kubeflow::RUN_LABEL`]) listed, when workloads are listed. A
//! cluster without them costs one discovery call and says nothing; a
//! context whose user may not list them says so once, as one partial
//! failure per kind, and keeps the rest of its Fleet.
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

/// Which pipeline objects a cluster serves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Served {
    /// `cronworkflows.argoproj.io/v1alpha1`.
    pub cron_workflows: bool,
    /// `scheduledworkflows.kubeflow.org/v1beta1` (Kubeflow Pipelines'
    /// recurring runs, [`crate::kubeflow`]).
    pub scheduled_workflows: bool,
}

/// Whether `plural` is served in `group`/`version`, by discovery: a group
/// the server does not list costs no further request.
async fn has_resource(
    client: &Client,
    ctx: &str,
    groups: &k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList,
    (group, version): (&str, &str),
    plural: &str,
) -> PortResult<bool> {
    let gv = format!("{group}/{version}");
    let has_group = groups
        .groups
        .iter()
        .any(|g| g.name == group && g.versions.iter().any(|v| v.group_version == gv));
    if !has_group {
        return Ok(false);
    }
    let list = client
        .list_api_group_resources(&gv)
        .await
        .map_err(|e| from_kube(e, ctx, "discovering pipelines"))?;
    Ok(list.resources.iter().any(|r| r.name == plural))
}

/// Whether CronWorkflows and ScheduledWorkflows are served (discovery).
pub async fn served(client: &Client, ctx: &str) -> PortResult<Served> {
    let groups = client
        .list_api_groups()
        .await
        .map_err(|e| from_kube(e, ctx, "discovering pipelines"))?;
    let kfp = (crate::kubeflow::GROUP, crate::kubeflow::VERSION);
    Ok(Served {
        cron_workflows: has_resource(client, ctx, &groups, (GROUP, VERSION), "cronworkflows")
            .await?,
        scheduled_workflows: has_resource(client, ctx, &groups, kfp, "scheduledworkflows").await?,
    })
}

pub(crate) fn ts(v: Option<&Value>) -> Option<Timestamp> {
    v.and_then(Value::as_str).and_then(Timestamp::parse_rfc3339)
}

pub(crate) fn str_at<'a>(o: &'a Value, ptr: &str) -> Option<&'a str> {
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

/// What a pipeline's object says of its schedule, for [`pipeline_workload`].
#[derive(Debug, Clone, Default)]
pub(crate) struct ScheduleFacts<'a> {
    pub schedule: String,
    pub time_zone: Option<String>,
    pub suspended: bool,
    /// Runs in flight as the object lists them (else its running runs).
    pub active: Option<u32>,
    /// When a run was last started (else the newest run's start).
    pub last_schedule: Option<Timestamp>,
    /// The workflow spec its runs are made from, and the annotations that
    /// go with it (for the served version).
    pub workflow_spec: Option<&'a Value>,
    pub workflow_annotations: Option<&'a Value>,
}

/// A bound pipeline object (a CronWorkflow, a ScheduledWorkflow) as a
/// [`WorkloadKind::Pipeline`] with `runs` (its Workflows, any order); `None`
/// without the binding label. The last success is the newest succeeded
/// run's end.
pub(crate) fn pipeline_workload(
    b: &BindingConfig,
    cluster: &str,
    o: &DynamicObject,
    f: ScheduleFacts<'_>,
    mut runs: Vec<BatchRun>,
) -> Option<Workload> {
    let m = &o.metadata;
    let labels = m.labels.clone().unwrap_or_default();
    let model = labels
        .get(&b.model_label)
        .filter(|v| !v.is_empty())?
        .clone();
    runs.sort_by(|a, c| a.start.cmp(&c.start).then_with(|| a.job.cmp(&c.job)));
    let active = f.active.unwrap_or_else(|| {
        runs.iter()
            .filter(|r| r.outcome == RunOutcome::Running)
            .count() as u32
    });
    let last_schedule = f
        .last_schedule
        .or_else(|| runs.iter().map(|r| r.start).max());
    let last_success = runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Succeeded)
        .filter_map(|r| r.end)
        .max();
    let ann = serde_json::to_value(&m.annotations).unwrap_or_default();
    let served_version = spec_version(
        b,
        f.workflow_spec.unwrap_or(&Value::Null),
        f.workflow_annotations.unwrap_or(&ann),
    );
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
        served_version,
        canary: None,
        ready_replicas: active,
        desired_replicas: active,
        rollout: if f.suspended {
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
            schedule: f.schedule,
            time_zone: f.time_zone,
            suspended: f.suspended,
            active,
            last_schedule,
            last_success,
            runs,
        }),
    })
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
    runs: Vec<BatchRun>,
) -> Option<Workload> {
    let d = &o.data;
    let schedule = match (str_at(d, "/spec/schedule"), d.pointer("/spec/schedules")) {
        (Some(s), _) => s.to_string(),
        (None, Some(Value::Array(all))) => all
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    let facts = ScheduleFacts {
        schedule,
        time_zone: str_at(d, "/spec/timezone").map(String::from),
        suspended: d.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true),
        active: d
            .pointer("/status/active")
            .and_then(Value::as_array)
            .map(|a| a.len() as u32),
        last_schedule: ts(d.pointer("/status/lastScheduledTime")),
        workflow_spec: d.pointer("/spec/workflowSpec"),
        workflow_annotations: d.pointer("/spec/workflowMetadata/annotations"),
    };
    pipeline_workload(b, cluster, o, facts, runs)
}

pub(crate) fn api(client: &Client, ns: &Option<String>, ar: &ApiResource) -> Api<DynamicObject> {
    match ns {
        Some(n) => Api::namespaced_with(client.clone(), n, ar),
        None => Api::all_with(client.clone(), ar),
    }
}

/// The runs of the Workflows of `ns` that carry `owner_label` (the label
/// naming the object that started them), by (namespace, owner name).
pub(crate) async fn runs_by_owner(
    b: &BindingConfig,
    client: &Client,
    ctx: &str,
    ns: &Option<String>,
    owner_label: &str,
) -> PortResult<BTreeMap<(String, String), Vec<BatchRun>>> {
    let wfs = list_all(
        &api(client, ns, &workflow_resource()),
        ListParams::default().labels(owner_label),
        ctx,
        "listing workflows.argoproj.io",
    )
    .await?;
    let mut by_owner: BTreeMap<(String, String), Vec<BatchRun>> = BTreeMap::new();
    for w in &wfs {
        let owner = w.metadata.labels.as_ref().and_then(|l| l.get(owner_label));
        if let Some(owner) = owner {
            let key = (
                w.metadata.namespace.clone().unwrap_or_default(),
                owner.clone(),
            );
            by_owner.entry(key).or_default().push(workflow_run(b, w));
        }
    }
    Ok(by_owner)
}

/// The (namespace, name) key of an object.
pub(crate) fn key_of(o: &DynamicObject) -> (String, String) {
    (
        o.metadata.namespace.clone().unwrap_or_default(),
        o.metadata.name.clone().unwrap_or_default(),
    )
}

/// The bound CronWorkflows of `namespaces` (`None`: all) with their runs.
pub async fn list(
    b: &BindingConfig,
    client: &Client,
    ctx: &str,
    namespaces: &[Option<String>],
) -> PortResult<Vec<Workload>> {
    let kind = crate::pipelines::PipelineKind {
        resource: cron_workflow_resource(),
        what: "listing cronworkflows.argoproj.io",
        run_label: CRON_LABEL,
        workload: cron_workflow,
    };
    crate::pipelines::list_pipelines(b, client, ctx, namespaces, &kind).await
}

/// The Workflows a pipeline started (kept ones): those labelled with a
/// CronWorkflow's name, else (none) with a Kubeflow ScheduledWorkflow's.
async fn pipeline_workflows(
    client: &Client,
    ctx: &str,
    t: &WorkloadRef,
) -> PortResult<Vec<DynamicObject>> {
    let ns = Some(t.namespace.clone());
    let mut wfs = Vec::new();
    for label in [CRON_LABEL, crate::kubeflow::RUN_LABEL] {
        wfs = list_all(
            &api(client, &ns, &workflow_resource()),
            ListParams::default().labels(&format!("{label}={}", t.name)),
            ctx,
            "listing workflows.argoproj.io",
        )
        .await?;
        if !wfs.is_empty() {
            break;
        }
    }
    Ok(wfs)
}

/// The names of the Workflows a pipeline (CronWorkflow or ScheduledWorkflow)
/// started (kept ones).
pub async fn workflow_names(
    client: &Client,
    ctx: &str,
    t: &WorkloadRef,
) -> PortResult<std::collections::BTreeSet<String>> {
    let wfs = pipeline_workflows(client, ctx, t).await?;
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
    let wfs = pipeline_workflows(client, ctx, t).await?;
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

/// Whether one kind of pipeline object is listed in a context.
#[derive(Debug, Clone)]
enum Source {
    /// Not served, as discovery said.
    Absent,
    /// Served and listed.
    Served,
    /// Served, but the user may not list them (reported as a partial
    /// failure until a listing succeeds).
    Forbidden(BackendError),
}

/// What a context is known to serve: Argo's CronWorkflows and Kubeflow's
/// ScheduledWorkflows, as discovery said at `at`.
#[derive(Debug, Clone)]
struct Presence {
    at: Instant,
    cron: Source,
    kubeflow: Source,
}

/// Per-context discovery answers and refusals.
#[derive(Debug, Default)]
pub struct ArgoState {
    by_context: Mutex<HashMap<String, Presence>>,
}

/// Lists one kind of pipeline and records how that went in `src`.
async fn list_source(
    src: &mut Source,
    ctx: &str,
    what: &str,
    needs: &str,
    listing: impl std::future::Future<Output = PortResult<Vec<Workload>>>,
) -> Vec<Workload> {
    if matches!(src, Source::Absent) {
        return Vec::new();
    }
    match listing.await {
        Ok(ws) => {
            *src = Source::Served;
            ws
        }
        Err(e) if e.code == ErrorCode::Forbidden => {
            if !matches!(src, Source::Forbidden(_)) {
                tracing::warn!(context = ctx, error = %e, "pipelines not listed");
            }
            let why = cluster_error(
                ErrorCode::Forbidden,
                ctx,
                format!(
                    "{what} are not shown: {} (needs list on {needs})",
                    e.message
                ),
            );
            *src = Source::Forbidden(why);
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(context = ctx, error = %e, "pipelines not listed");
            Vec::new()
        }
    }
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

    /// The contexts whose user may not list CronWorkflows or
    /// ScheduledWorkflows, with why (one entry for each kind refused).
    pub fn refusals(&self) -> Vec<(String, BackendError)> {
        let m = self.by_context.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<(String, BackendError)> = m
            .iter()
            .flat_map(|(c, p)| [(c, &p.cron), (c, &p.kubeflow)])
            .filter_map(|(c, s)| match s {
                Source::Forbidden(e) => Some((c.clone(), e.clone())),
                _ => None,
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The pipelines of context `ctx` (Argo CronWorkflows, then Kubeflow
    /// ScheduledWorkflows): none of a kind the cluster does not serve
    /// (discovery re-asked after [`REDISCOVER`]) or the user may not list
    /// (logged once; see [`ArgoState::refusals`]). Other errors are logged
    /// and give none of that kind this time.
    pub async fn pipelines(
        &self,
        b: &BindingConfig,
        client: &Client,
        ctx: &str,
        namespaces: &[Option<String>],
    ) -> Vec<Workload> {
        // Discovery is asked again after REDISCOVER while a kind is absent;
        // a refusal is kept (and said once) while the kind is served.
        let absent = |s: &Source| matches!(s, Source::Absent);
        let keep = |was: Option<&Source>, on: bool| match (on, was) {
            (false, _) => Source::Absent,
            (true, Some(Source::Forbidden(e))) => Source::Forbidden(e.clone()),
            (true, _) => Source::Served,
        };
        let mut p = match self.get(ctx) {
            Some(p) if !(absent(&p.cron) || absent(&p.kubeflow)) => p,
            Some(p) if p.at.elapsed() < REDISCOVER => p,
            was => match served(client, ctx).await {
                Ok(s) => Presence {
                    at: Instant::now(),
                    cron: keep(was.as_ref().map(|p| &p.cron), s.cron_workflows),
                    kubeflow: keep(was.as_ref().map(|p| &p.kubeflow), s.scheduled_workflows),
                },
                Err(e) => {
                    tracing::debug!(context = ctx, error = %e, "pipeline discovery failed");
                    match was {
                        Some(p) => p,
                        None => return Vec::new(),
                    }
                }
            },
        };
        let mut out = list_source(
            &mut p.cron,
            ctx,
            "Argo pipelines",
            "cronworkflows.argoproj.io and workflows.argoproj.io",
            list(b, client, ctx, namespaces),
        )
        .await;
        out.extend(
            list_source(
                &mut p.kubeflow,
                ctx,
                "Kubeflow recurring runs",
                "scheduledworkflows.kubeflow.org and workflows.argoproj.io",
                crate::kubeflow::list(b, client, ctx, namespaces),
            )
            .await,
        );
        self.set(ctx, p);
        out
    }
}
