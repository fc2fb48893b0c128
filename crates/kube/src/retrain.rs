//! Retraining runs on Kubernetes: the training pipelines labelled
//! `modeldeck.io/retrain-for=<model>` (batch/v1 CronJobs, and Argo
//! `WorkflowTemplate`s where the server serves argoproj.io/v1alpha1), a
//! Job made from a CronJob exactly as `kubectl create job
//! --from=cronjob/<name>` makes it (kubectl's `createJobFromCronJob`: the
//! `jobTemplate`'s spec, its labels, its annotations over
//! `cronjob.kubernetes.io/instantiate: manual`, an owner reference to the
//! CronJob) plus our annotations, or a Workflow with
//! `spec.workflowTemplateRef`; and the run's status with its pod's log tail.

use crate::KubeCluster;
use crate::error::{bounded, cluster_error, from_kube};
use crate::events::list_all;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, LogParams, PostParams,
};
use kube::{Client, ResourceExt};
use modeldeck_core::domain::*;
use modeldeck_core::error::{ErrorCode, PortResult};
use modeldeck_core::ports::Cluster;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Longest name prefix before the server's 5-character suffix: a Job's
/// name ends up in its pods' `job-name` label, at most 63 characters.
const MAX_PREFIX: usize = 52;

fn workflow_resource(plural: &str, kind: &str) -> ApiResource {
    let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", kind);
    ApiResource::from_gvk_with_plural(&gvk, plural)
}

fn ts(t: &Option<Time>) -> Option<Timestamp> {
    t.as_ref().map(|t| Timestamp(t.0.as_millisecond()))
}

fn rfc(v: &Value) -> Option<Timestamp> {
    v.as_str().and_then(Timestamp::parse_rfc3339)
}

/// A label value cannot hold every model name (at most 63 of
/// `[A-Za-z0-9._-]`, alphanumeric at both ends).
fn check_label_value(ctx: &str, model: &str) -> PortResult<()> {
    let ok = !model.is_empty()
        && model.len() <= 63
        && model
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && model
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && model
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(cluster_error(
            ErrorCode::InvalidRequest,
            ctx,
            format!(
                "the model name {:?} cannot be a label value, so no pipeline can carry {RETRAIN_LABEL}=<it>",
                modeldeck_core::text::clean(model)
            ),
        ))
    }
}

fn containers_of(cs: &[Container]) -> Vec<RetrainContainer> {
    cs.iter()
        .map(|c| RetrainContainer {
            name: c.name.clone(),
            image: c.image.clone().unwrap_or_default(),
            command: c
                .command
                .iter()
                .flatten()
                .chain(c.args.iter().flatten())
                .cloned()
                .collect(),
            env: c
                .env
                .iter()
                .flatten()
                .filter_map(|e| e.value.clone().map(|v| (e.name.clone(), v)))
                .collect(),
        })
        .collect()
}

fn cron_source(ctx: &str, model: &str, c: &CronJob) -> RetrainSource {
    let spec = Some(&c.spec);
    RetrainSource {
        cluster: ctx.to_string(),
        namespace: c.namespace().unwrap_or_default(),
        name: c.name_any(),
        kind: RetrainSourceKind::CronJob,
        model: model.to_string(),
        schedule: spec.map(|s| s.schedule.clone()),
        suspended: spec.and_then(|s| s.suspend).unwrap_or(false),
        containers: spec
            .and_then(|s| s.job_template.spec.as_ref())
            .and_then(|j| j.template.spec.as_ref())
            .map(|p| containers_of(&p.containers))
            .unwrap_or_default(),
    }
}

/// The pipelines labelled for `model` in every namespace of `ctx`:
/// CronJobs, then WorkflowTemplates (a server without the Argo CRD, 404,
/// has none).
pub async fn sources(client: &Client, ctx: &str, model: &str) -> PortResult<Vec<RetrainSource>> {
    check_label_value(ctx, model)?;
    let sel = format!("{RETRAIN_LABEL}={model}");
    let lp = ListParams::default().labels(&sel);
    let crons = list_all(
        &Api::<CronJob>::all(client.clone()),
        lp.clone(),
        ctx,
        "listing training CronJobs",
    )
    .await?;
    let mut out: Vec<RetrainSource> = crons.iter().map(|c| cron_source(ctx, model, c)).collect();
    let ar = workflow_resource("workflowtemplates", "WorkflowTemplate");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    match api.list(&lp).await {
        Ok(list) => out.extend(list.items.iter().map(|t| RetrainSource {
            cluster: ctx.to_string(),
            namespace: t.namespace().unwrap_or_default(),
            name: t.name_any(),
            kind: RetrainSourceKind::WorkflowTemplate,
            model: model.to_string(),
            schedule: None,
            suspended: false,
            containers: Vec::new(),
        })),
        Err(e) => {
            let be = from_kube(e, ctx, "listing training WorkflowTemplates");
            if be.code != ErrorCode::NotFound {
                return Err(be);
            }
        }
    }
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Ok(out)
}

fn prefix(name: &str) -> String {
    let mut p: String = name.chars().take(MAX_PREFIX - "-manual-".len()).collect();
    while p.ends_with(['-', '.']) {
        p.pop();
    }
    format!("{p}-manual-")
}

/// The Job `kubectl create job --from=cronjob/<name>` makes of `cron`,
/// named by the server from `<cronjob>-manual-`, with our annotations.
pub fn job_from_cronjob(cron: &CronJob, request: &RetrainRequest) -> Job {
    let tmpl = cron.spec.job_template.clone();
    let tmeta = tmpl.metadata.unwrap_or_default();
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    annotations.insert(INSTANTIATE_ANNOTATION.into(), "manual".into());
    annotations.extend(tmeta.annotations.unwrap_or_default());
    annotations.extend(request.annotations());
    Job {
        metadata: ObjectMeta {
            generate_name: Some(prefix(&cron.name_any())),
            namespace: cron.namespace(),
            labels: tmeta.labels,
            annotations: Some(annotations),
            owner_references: Some(vec![OwnerReference {
                api_version: "batch/v1".into(),
                kind: "CronJob".into(),
                name: cron.name_any(),
                uid: cron.uid().unwrap_or_default(),
                // As kubectl (1.32 here) does: the CronJob is the controller.
                controller: Some(true),
                ..OwnerReference::default()
            }]),
            ..ObjectMeta::default()
        },
        spec: tmpl.spec,
        status: None,
    }
}

fn post_params(dry_run: bool) -> PostParams {
    PostParams {
        dry_run,
        ..PostParams::default()
    }
}

/// Starts one run of `source`.
pub async fn start(
    client: &Client,
    ctx: &str,
    source: &RetrainSource,
    request: &RetrainRequest,
) -> PortResult<RetrainRun> {
    let ns = source.namespace.as_str();
    match source.kind {
        RetrainSourceKind::CronJob => {
            let cron = Api::<CronJob>::namespaced(client.clone(), ns)
                .get(&source.name)
                .await
                .map_err(|e| from_kube(e, ctx, &format!("reading cronjob {ns}/{}", source.name)))?;
            let job = job_from_cronjob(&cron, request);
            let made = Api::<Job>::namespaced(client.clone(), ns)
                .create(&post_params(request.dry_run), &job)
                .await
                .map_err(|e| {
                    from_kube(
                        e,
                        ctx,
                        &format!("creating a Job from cronjob {ns}/{}", source.name),
                    )
                })?;
            let mut run = job_run(ctx, source, &made);
            run.dry_run = request.dry_run;
            Ok(run)
        }
        RetrainSourceKind::WorkflowTemplate => {
            let ar = workflow_resource("workflows", "Workflow");
            let body = json!({
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {
                    "generateName": prefix(&source.name),
                    "namespace": ns,
                    "labels": {RETRAIN_LABEL: source.model},
                    "annotations": request.annotations(),
                },
                "spec": {"workflowTemplateRef": {"name": source.name}},
            });
            let obj: DynamicObject = serde_json::from_value(body).map_err(|e| {
                cluster_error(
                    ErrorCode::InvalidRequest,
                    ctx,
                    format!("building the Workflow: {e}"),
                )
            })?;
            let made = Api::<DynamicObject>::namespaced_with(client.clone(), ns, &ar)
                .create(&post_params(request.dry_run), &obj)
                .await
                .map_err(|e| {
                    from_kube(
                        e,
                        ctx,
                        &format!(
                            "creating a Workflow from workflowtemplate {ns}/{}",
                            source.name
                        ),
                    )
                })?;
            let mut run = workflow_run(ctx, &source.name, &source.model, &made);
            run.dry_run = request.dry_run;
            Ok(run)
        }
    }
}

fn job_run(ctx: &str, source: &RetrainSource, j: &Job) -> RetrainRun {
    let mut run = RetrainRun {
        cluster: ctx.to_string(),
        namespace: j.namespace().unwrap_or_default(),
        name: j.name_any(),
        kind: RetrainRunKind::Job,
        source: source.name.clone(),
        model: source.model.clone(),
        uid: j.uid().unwrap_or_default(),
        dry_run: false,
        phase: RetrainPhase::Pending,
        active: 0,
        succeeded: 0,
        failed: 0,
        created_at: ts(&j.metadata.creation_timestamp),
        started_at: None,
        completed_at: None,
        message: None,
        pod: None,
        log_tail: Vec::new(),
    };
    apply_job_status(&mut run, j);
    run
}

fn apply_job_status(run: &mut RetrainRun, j: &Job) {
    let Some(st) = j.status.as_ref() else { return };
    let n = |v: Option<i32>| u32::try_from(v.unwrap_or(0)).unwrap_or(0);
    run.active = n(st.active);
    run.succeeded = n(st.succeeded);
    run.failed = n(st.failed);
    run.started_at = ts(&st.start_time);
    run.completed_at = ts(&st.completion_time);
    let cond = |ty: &str| {
        st.conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == ty && c.status == "True")
    };
    run.phase = if cond("Complete").is_some() {
        RetrainPhase::Succeeded
    } else if let Some(c) = cond("Failed") {
        run.message = c.message.clone().or_else(|| c.reason.clone());
        RetrainPhase::Failed
    } else if run.active > 0 {
        RetrainPhase::Running
    } else {
        RetrainPhase::Pending
    };
}

fn workflow_run(ctx: &str, source: &str, model: &str, w: &DynamicObject) -> RetrainRun {
    let st = w.data.get("status").cloned().unwrap_or(Value::Null);
    let phase = match st["phase"].as_str() {
        Some("Running") => RetrainPhase::Running,
        Some("Succeeded") => RetrainPhase::Succeeded,
        Some("Failed" | "Error") => RetrainPhase::Failed,
        _ => RetrainPhase::Pending,
    };
    RetrainRun {
        cluster: ctx.to_string(),
        namespace: w.namespace().unwrap_or_default(),
        name: w.name_any(),
        kind: RetrainRunKind::Workflow,
        source: source.to_string(),
        model: model.to_string(),
        uid: w.uid().unwrap_or_default(),
        dry_run: false,
        phase,
        active: u32::from(phase == RetrainPhase::Running),
        succeeded: u32::from(phase == RetrainPhase::Succeeded),
        failed: u32::from(phase == RetrainPhase::Failed),
        created_at: ts(&w.metadata.creation_timestamp),
        started_at: rfc(&st["startedAt"]),
        completed_at: rfc(&st["finishedAt"]),
        message: st["message"].as_str().map(String::from),
        pod: None,
        log_tail: Vec::new(),
    }
}

/// `run` re-read, with its newest started pod and that pod's last `lines`
/// log lines (at most [`crate::logs::MAX_NEWEST_TAIL`]).
pub async fn status(
    client: &Client,
    ctx: &str,
    run: &RetrainRun,
    lines: usize,
) -> PortResult<RetrainRun> {
    let ns = run.namespace.as_str();
    let (mut out, selector) = match run.kind {
        RetrainRunKind::Job => {
            let j = Api::<Job>::namespaced(client.clone(), ns)
                .get(&run.name)
                .await
                .map_err(|e| from_kube(e, ctx, &format!("reading job {ns}/{}", run.name)))?;
            let mut r = run.clone();
            apply_job_status(&mut r, &j);
            let uid = j.uid().unwrap_or_default();
            (r, format!("batch.kubernetes.io/controller-uid={uid}"))
        }
        RetrainRunKind::Workflow => {
            let ar = workflow_resource("workflows", "Workflow");
            let w = Api::<DynamicObject>::namespaced_with(client.clone(), ns, &ar)
                .get(&run.name)
                .await
                .map_err(|e| from_kube(e, ctx, &format!("reading workflow {ns}/{}", run.name)))?;
            let r = workflow_run(ctx, &run.source, &run.model, &w);
            (r, format!("workflows.argoproj.io/workflow={}", run.name))
        }
    };
    out.dry_run = run.dry_run;
    let pods = list_all(
        &Api::<Pod>::namespaced(client.clone(), ns),
        ListParams::default().labels(&selector),
        ctx,
        "listing the run's pods",
    )
    .await?;
    let newest = pods
        .iter()
        .filter(|p| crate::logs::has_log(p))
        .max_by(|a, b| {
            (a.metadata.creation_timestamp.as_ref(), a.name_any())
                .cmp(&(b.metadata.creation_timestamp.as_ref(), b.name_any()))
        });
    out.pod = newest
        .map(|p| p.name_any())
        .or_else(|| pods.first().map(|p| p.name_any()));
    out.log_tail = Vec::new();
    let lines = lines.min(crate::logs::MAX_NEWEST_TAIL);
    if let (Some(p), true) = (newest, lines > 0) {
        let name = p.name_any();
        let lp = LogParams {
            tail_lines: Some(i64::try_from(lines).unwrap_or(i64::MAX)),
            container: p
                .spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .map(|c| c.name.clone()),
            ..LogParams::default()
        };
        let text = Api::<Pod>::namespaced(client.clone(), ns)
            .logs(&name, &lp)
            .await
            .map_err(|e| from_kube(e, ctx, &format!("reading the log of pod {name}")))?;
        let all: Vec<&str> = text.lines().collect();
        out.log_tail = all[all.len().saturating_sub(lines)..]
            .iter()
            .map(|l| l.to_string())
            .collect();
    }
    Ok(out)
}

/// [`sources`] of every watched context. A context that cannot be read
/// is skipped with a warning while another answers; when none answers,
/// the first error is returned.
pub async fn all_sources(cluster: &KubeCluster, model: &str) -> PortResult<Vec<RetrainSource>> {
    let mut out = Vec::new();
    let mut first_err = None;
    let mut answered = false;
    for ctx in cluster.clusters() {
        let r = match cluster.client(&ctx).await {
            Ok(client) => {
                bounded(
                    cluster.budget(),
                    &ctx,
                    "listing training pipelines",
                    sources(&client, &ctx, model),
                )
                .await
            }
            Err(e) => Err(e),
        };
        match r {
            Ok(found) => {
                answered = true;
                out.extend(found);
            }
            Err(e) if e.code == ErrorCode::InvalidRequest => return Err(e),
            Err(e) => {
                tracing::warn!(context = %ctx, error = %e, "training pipelines not listed");
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) if !answered => Err(e),
        _ => Ok(out),
    }
}

/// A run's context client, bounded calls.
pub async fn start_in(
    cluster: &KubeCluster,
    source: &RetrainSource,
    request: &RetrainRequest,
) -> PortResult<RetrainRun> {
    let client = cluster.client(&source.cluster).await?;
    bounded(
        cluster.budget(),
        &source.cluster,
        "starting a retraining run",
        start(&client, &source.cluster, source, request),
    )
    .await
}

/// [`status`] through the run's context.
pub async fn status_in(
    cluster: &KubeCluster,
    run: &RetrainRun,
    lines: usize,
) -> PortResult<RetrainRun> {
    let client = cluster.client(&run.cluster).await?;
    bounded(
        cluster.budget(),
        &run.cluster,
        "reading a retraining run",
        status(&client, &run.cluster, run, lines),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_a_label_and_hostile_models_are_refused() {
        assert_eq!(
            prefix("demand-forecaster-retrain"),
            "demand-forecaster-retrain-manual-"
        );
        let long = prefix(&"a".repeat(80));
        assert!(long.len() <= MAX_PREFIX, "{long}");
        assert!(check_label_value("c", "demand-forecaster").is_ok());
        let e = check_label_value("c", "bad model,x=y").unwrap_err();
        assert!(e.message.contains("cannot be a label value"), "{e}");
    }
}
