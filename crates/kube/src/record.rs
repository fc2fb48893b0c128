//! Writes beyond the served version: a core/v1 Event about a workload (the
//! promotion audit mirror, shown by `kubectl describe` and `kubectl events`)
//! and a KServe canary step (`canaryTrafficPercent` with the candidate's
//! `storageUri`, the stable version kept in the binding annotation).

use crate::binding::storage_uri;
use crate::config::BindingConfig;
use crate::convert;
use crate::error::{cluster_error, from_kube};
use crate::watch::isvc_resource;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use modeldeck_core::domain::{Timestamp, Workload, WorkloadKind, WorkloadRef};
use modeldeck_core::error::{ErrorCode, PortResult};
use serde_json::json;

/// `reportingComponent` and `source.component` of the Events we write.
pub const COMPONENT: &str = "modeldeck";
/// Longest message written (the API server's Event notes stop at 1 KiB).
pub const MAX_MESSAGE: usize = 1024;
/// Annotation KServe reads for the deployment mode; `RawDeployment` has
/// no traffic splitting.
pub const DEPLOYMENT_MODE: &str = "serving.kserve.io/deploymentMode";

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// `(apiVersion, kind, metadata)` of a pipeline: its Argo `CronWorkflow`,
/// or, when there is none of that name, its Kubeflow `ScheduledWorkflow`.
pub(crate) async fn pipeline_object(
    client: &Client,
    t: &WorkloadRef,
) -> PortResult<(&'static str, &'static str, kube::api::ObjectMeta)> {
    let ctx = t.cluster.as_str();
    let what = format!("reading pipeline {}/{}", t.namespace, t.name);
    let argo = crate::argo::cron_workflow_resource();
    let found = Api::<DynamicObject>::namespaced_with(client.clone(), &t.namespace, &argo)
        .get_opt(&t.name)
        .await
        .map_err(|e| from_kube(e, ctx, &what))?;
    if let Some(o) = found {
        return Ok(("argoproj.io/v1alpha1", "CronWorkflow", o.metadata));
    }
    let kfp = crate::kubeflow::scheduled_workflow_resource();
    let o = Api::<DynamicObject>::namespaced_with(client.clone(), &t.namespace, &kfp)
        .get(&t.name)
        .await
        .map_err(|e| from_kube(e, ctx, &what))?;
    Ok(("kubeflow.org/v1beta1", "ScheduledWorkflow", o.metadata))
}

/// `(apiVersion, kind, uid, resourceVersion)` of the workload object.
async fn involved(
    client: &Client,
    t: &WorkloadRef,
) -> PortResult<(String, String, String, String)> {
    let ctx = t.cluster.as_str();
    let what = format!("reading {} {}/{}", t.kind, t.namespace, t.name);
    let (api_version, kind, meta) = match t.kind {
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer => {
            let d = Api::<Deployment>::namespaced(client.clone(), &t.namespace)
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, &what))?;
            ("apps/v1", "Deployment", d.metadata)
        }
        WorkloadKind::CronJob => {
            let c = Api::<CronJob>::namespaced(client.clone(), &t.namespace)
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, &what))?;
            ("batch/v1", "CronJob", c.metadata)
        }
        WorkloadKind::InferenceService => {
            let o = Api::<DynamicObject>::namespaced_with(
                client.clone(),
                &t.namespace,
                &isvc_resource(),
            )
            .get(&t.name)
            .await
            .map_err(|e| from_kube(e, ctx, &what))?;
            ("serving.kserve.io/v1beta1", "InferenceService", o.metadata)
        }
        WorkloadKind::Pipeline => pipeline_object(client, t).await?,
    };
    Ok((
        api_version.into(),
        kind.into(),
        meta.uid.unwrap_or_default(),
        meta.resource_version.unwrap_or_default(),
    ))
}

/// Creates a core/v1 Event about `t` (`kind` Normal or Warning).
pub async fn record_event(
    client: &Client,
    t: &WorkloadRef,
    kind: &str,
    reason: &str,
    message: &str,
) -> PortResult<()> {
    let ctx = t.cluster.as_str();
    if !matches!(kind, "Normal" | "Warning") {
        return Err(cluster_error(
            ErrorCode::InvalidRequest,
            ctx,
            format!("event type must be Normal or Warning, got {kind:?}"),
        ));
    }
    if reason.is_empty() || reason.len() > 128 || !reason.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(cluster_error(
            ErrorCode::InvalidRequest,
            ctx,
            format!(
                "event reason must be 1 to 128 letters or digits (UpperCamelCase), got {reason:?}"
            ),
        ));
    }
    let (api_version, obj_kind, uid, rv) = involved(client, t).await?;
    let now = Timestamp::now().rfc3339();
    let ev: Event = serde_json::from_value(json!({
        "metadata": {"generateName": format!("{}.", t.name), "namespace": t.namespace},
        "involvedObject": {"apiVersion": api_version, "kind": obj_kind, "name": t.name,
            "namespace": t.namespace, "uid": uid, "resourceVersion": rv},
        "reason": reason,
        "message": clip(message, MAX_MESSAGE),
        "type": kind,
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": format!("{COMPONENT}-{}", std::process::id()),
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }))
    .map_err(|e| {
        cluster_error(
            ErrorCode::InvalidRequest,
            ctx,
            format!("cannot build the Event: {e}"),
        )
    })?;
    Api::<Event>::namespaced(client.clone(), &t.namespace)
        .create(&PostParams::default(), &ev)
        .await
        .map_err(|e| from_kube(e, ctx, &format!("recording an Event on {t}")))?;
    Ok(())
}

/// Puts `percent` (1..=99) of an InferenceService's traffic on `version`.
pub async fn set_canary(
    client: &Client,
    b: &BindingConfig,
    t: &WorkloadRef,
    version: &str,
    percent: u8,
    expected_rv: Option<&str>,
) -> PortResult<Workload> {
    let ctx = t.cluster.as_str();
    let what = format!(
        "stepping the canary of {} {}/{}",
        t.kind, t.namespace, t.name
    );
    if t.kind != WorkloadKind::InferenceService {
        return Err(cluster_error(
            ErrorCode::Unsupported,
            ctx,
            format!("{what}: only InferenceServices split traffic"),
        ));
    }
    if !(1..=99).contains(&percent) {
        return Err(cluster_error(
            ErrorCode::InvalidRequest,
            ctx,
            format!("{what}: canary traffic must be 1..=99 percent, got {percent}"),
        ));
    }
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &t.namespace, &isvc_resource());
    let cur = api
        .get(&t.name)
        .await
        .map_err(|e| from_kube(e, ctx, &what))?;
    if cur.annotations().get(DEPLOYMENT_MODE).map(String::as_str) == Some("RawDeployment") {
        return Err(cluster_error(
            ErrorCode::Unsupported,
            ctx,
            format!("{what}: RawDeployment mode has no canaryTrafficPercent (Knative mode only)"),
        ));
    }
    let rv = expected_rv
        .map(String::from)
        .or(cur.resource_version())
        .unwrap_or_default();
    let now = convert::inference_service(b, ctx, &cur).ok_or_else(|| {
        cluster_error(
            ErrorCode::Unsupported,
            ctx,
            format!("{what}: not bound to a model"),
        )
    })?;
    let stable = now.served_version.clone().ok_or_else(|| {
        cluster_error(
            ErrorCode::Unsupported,
            ctx,
            format!("{what}: no stable version to keep"),
        )
    })?;
    let (pointer, uri) = storage_uri(&cur.data).ok_or_else(|| {
        cluster_error(
            ErrorCode::Unsupported,
            ctx,
            format!("{what}: the predictor has no storageUri"),
        )
    })?;
    let model = b
        .parse_uri(&uri)
        .map(|(m, _)| m.to_string())
        .or(now.model.clone())
        .unwrap_or_else(|| t.name.clone());
    let key = pointer
        .trim_start_matches("/spec/predictor/")
        .trim_end_matches("/storageUri")
        .to_string();
    let mut predictor = json!({"canaryTrafficPercent": percent});
    predictor[key] = json!({"storageUri": b.model_uri(&model, version)});
    let patch = json!({"metadata": {"resourceVersion": rv, "annotations": {b.version_annotation.clone(): stable}},
        "spec": {"predictor": predictor}});
    let o = api
        .patch(&t.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|e| {
            let mut be = from_kube(e, ctx, &what);
            if be.code == ErrorCode::Conflict {
                be.message = format!(
                    "{what}: the workload changed since resourceVersion {rv} was read; reload it and try again"
                );
            }
            be
        })?;
    convert::inference_service(b, ctx, &o).ok_or_else(|| {
        cluster_error(
            ErrorCode::MalformedResponse,
            ctx,
            format!("{what}: the patched object is no longer bound"),
        )
    })
}
