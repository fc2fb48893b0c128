//! Changing the served version under the binding convention with one JSON
//! merge patch that carries the resourceVersion the user saw (a stale one is
//! a 409, reported as `Conflict`): pod-template annotation and the serving
//! containers' `MODEL_VERSION` / `MODEL_URI` for Deployments and CronJobs,
//! `storageUri` (and the stable-version annotation) for InferenceServices.

use crate::binding::storage_uri;
use crate::config::BindingConfig;
use crate::convert;
use crate::error::{cluster_error, from_kube};
use crate::watch::isvc_resource;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::{Client, ResourceExt};
use modeldeck_core::domain::{Workload, WorkloadKind, WorkloadRef};
use modeldeck_core::error::{ErrorCode, PortResult};
use serde_json::{Value, json};

/// The `containers` of a pod template with the binding env set to `version`;
/// `None` when no container carries the binding env (then only the
/// annotation changes). Merge patches replace lists, so all containers go.
pub fn containers_with_version(
    b: &BindingConfig,
    containers: &Value,
    model: &str,
    version: &str,
) -> Option<Value> {
    let list = containers.as_array()?;
    let mut touched = false;
    let out: Vec<Value> = list
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) {
                for e in env.iter_mut() {
                    let name = e["name"].as_str().unwrap_or("").to_string();
                    let value = if name == b.version_env {
                        Some(version.to_string())
                    } else if name == b.uri_env {
                        let cur = e["value"].as_str().unwrap_or("");
                        let m = b.parse_uri(cur).map_or(model, |(m, _)| m);
                        Some(b.model_uri(m, version))
                    } else {
                        None
                    };
                    if let Some(v) = value {
                        *e = json!({"name": name, "value": v});
                        touched = true;
                    }
                }
            }
            c
        })
        .collect();
    touched.then_some(Value::Array(out))
}

fn template_patch(b: &BindingConfig, template: &Value, model: &str, version: &str) -> Value {
    let mut t = json!({"metadata": {"annotations": {b.version_annotation.clone(): version}}});
    if let Some(cs) = template
        .pointer("/spec/containers")
        .and_then(|c| containers_with_version(b, c, model, version))
    {
        t["spec"] = json!({"containers": cs});
    }
    t
}

fn conflict_or(
    e: kube::Error,
    ctx: &str,
    what: &str,
    expected: &str,
) -> modeldeck_core::error::BackendError {
    let mut be = from_kube(e, ctx, what);
    if be.code == ErrorCode::Conflict {
        be.message = format!(
            "{what}: the workload changed since resourceVersion {expected} was read; reload it and try again"
        );
    }
    be
}

/// The served-version change of one workload: the object as read (JSON, as
/// the server answered it) and the merge patch that serves the version.
/// [`set_served_version`] sends `patch`; [`crate::preview`] applies it in
/// memory to `current`, so what a reviewer is shown is what is written.
#[derive(Debug, Clone)]
pub struct ServedVersionPatch {
    /// The object now.
    pub current: Value,
    /// The JSON merge patch (carrying the resourceVersion precondition).
    pub patch: Value,
    /// The resourceVersion the patch is conditioned on.
    pub rv: String,
}

fn model_of(
    labels: &std::collections::BTreeMap<String, String>,
    b: &BindingConfig,
    t: &WorkloadRef,
) -> String {
    labels
        .get(&b.model_label)
        .cloned()
        .unwrap_or_else(|| t.name.clone())
}

/// Reads `t` and builds the merge patch that serves `version` under the
/// binding convention. `expected_rv` as in [`set_served_version`].
pub async fn plan_served_version(
    client: &Client,
    b: &BindingConfig,
    t: &WorkloadRef,
    version: &str,
    expected_rv: Option<&str>,
) -> PortResult<ServedVersionPatch> {
    let ctx = t.cluster.as_str();
    let what = format!("patching {} {}/{}", t.kind, t.namespace, t.name);
    let rv_of = |cur: Option<String>| expected_rv.map(String::from).or(cur).unwrap_or_default();
    if let Some(why) = t.kind.version_not_patched() {
        return Err(cluster_error(
            ErrorCode::Unsupported,
            ctx,
            format!("{what}: {why}"),
        ));
    }
    match t.kind {
        WorkloadKind::Pipeline => unreachable_pipeline(ctx, &what),
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer => {
            let api: Api<Deployment> = Api::namespaced(client.clone(), &t.namespace);
            let cur = api
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, &what))?;
            let rv = rv_of(cur.resource_version());
            let model = model_of(cur.labels(), b, t);
            let tmpl = serde_json::to_value(&cur.spec.template).unwrap_or_default();
            let patch = json!({"metadata": {"resourceVersion": rv}, "spec": {"template": template_patch(b, &tmpl, &model, version)}});
            Ok(ServedVersionPatch {
                current: serde_json::to_value(&cur).unwrap_or_default(),
                patch,
                rv,
            })
        }
        WorkloadKind::CronJob => {
            let api: Api<CronJob> = Api::namespaced(client.clone(), &t.namespace);
            let cur = api
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, &what))?;
            let rv = rv_of(cur.resource_version());
            let model = model_of(cur.labels(), b, t);
            let tmpl = cur
                .spec
                .job_template
                .spec
                .as_ref()
                .map(|s| serde_json::to_value(&s.template).unwrap_or_default())
                .unwrap_or_default();
            let patch = json!({"metadata": {"resourceVersion": rv},
                "spec": {"jobTemplate": {"spec": {"template": template_patch(b, &tmpl, &model, version)}}}});
            Ok(ServedVersionPatch {
                current: serde_json::to_value(&cur).unwrap_or_default(),
                patch,
                rv,
            })
        }
        WorkloadKind::InferenceService => {
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &t.namespace, &isvc_resource());
            let cur = api
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, &what))?;
            let rv = rv_of(cur.resource_version());
            let model = model_of(cur.labels(), b, t);
            let (pointer, uri) = storage_uri(&cur.data).ok_or_else(|| {
                cluster_error(
                    ErrorCode::Unsupported,
                    ctx,
                    format!("{what}: the predictor has no storageUri to point at a version"),
                )
            })?;
            let m = match b.parse_uri(&uri) {
                Some((m, _)) => m.to_string(),
                None if uri.is_empty() => model,
                None => {
                    return Err(cluster_error(
                        ErrorCode::Unsupported,
                        ctx,
                        format!(
                            "{what}: storageUri `{uri}` does not follow the `{}<model>/<version>` binding; change it with the tooling that owns it",
                            b.uri_prefix
                        ),
                    ));
                }
            };
            let mut predictor = json!({"canaryTrafficPercent": null});
            let key = pointer
                .trim_start_matches("/spec/predictor/")
                .trim_end_matches("/storageUri")
                .to_string();
            predictor[key] = json!({"storageUri": b.model_uri(&m, version)});
            let patch = json!({"metadata": {"resourceVersion": rv, "annotations": {b.version_annotation.clone(): version}},
                "spec": {"predictor": predictor}});
            Ok(ServedVersionPatch {
                current: serde_json::to_value(&cur).unwrap_or_default(),
                patch,
                rv,
            })
        }
    }
}

/// Sets the served version of `t` to `version`. `expected_rv` is the
/// resourceVersion the caller saw; without one, the version just read is
/// used, so a concurrent write still cannot be overwritten blindly.
pub async fn set_served_version(
    client: &Client,
    b: &BindingConfig,
    t: &WorkloadRef,
    version: &str,
    expected_rv: Option<&str>,
) -> PortResult<Workload> {
    let ctx = t.cluster.as_str();
    let what = format!("patching {} {}/{}", t.kind, t.namespace, t.name);
    let pp = PatchParams::default();
    let plan = plan_served_version(client, b, t, version, expected_rv).await?;
    let (patch, rv) = (&plan.patch, plan.rv.as_str());
    let unbound = || {
        cluster_error(
            ErrorCode::MalformedResponse,
            ctx,
            format!("{what}: the patched object is no longer bound"),
        )
    };
    match t.kind {
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer => {
            let api: Api<Deployment> = Api::namespaced(client.clone(), &t.namespace);
            let d = api
                .patch(&t.name, &pp, &Patch::Merge(patch))
                .await
                .map_err(|e| conflict_or(e, ctx, &what, rv))?;
            convert::deployment(b, ctx, &d).ok_or_else(unbound)
        }
        WorkloadKind::CronJob => {
            let api: Api<CronJob> = Api::namespaced(client.clone(), &t.namespace);
            let c = api
                .patch(&t.name, &pp, &Patch::Merge(patch))
                .await
                .map_err(|e| conflict_or(e, ctx, &what, rv))?;
            convert::cron_job(b, ctx, &c).ok_or_else(unbound)
        }
        WorkloadKind::InferenceService => {
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &t.namespace, &isvc_resource());
            let o = api
                .patch(&t.name, &pp, &Patch::Merge(patch))
                .await
                .map_err(|e| conflict_or(e, ctx, &what, rv))?;
            convert::inference_service(b, ctx, &o).ok_or_else(unbound)
        }
        WorkloadKind::Pipeline => unreachable_pipeline(ctx, &what),
    }
}

/// A pipeline is refused before any read (`WorkloadKind::version_not_patched`).
fn unreachable_pipeline<T>(ctx: &str, what: &str) -> PortResult<T> {
    Err(cluster_error(
        ErrorCode::Unsupported,
        ctx,
        format!("{what}: pipelines are not patched"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_binding_env_changes_and_all_containers_are_kept() {
        let b = BindingConfig::default();
        let cs = json!([
            {"name": "server", "image": "m:1", "env": [{"name": "MODEL_VERSION", "value": "6"}, {"name": "MODEL_URI", "value": "models:/fraud/6"}, {"name": "X", "value": "x"}]},
            {"name": "sidecar", "image": "s:1"}
        ]);
        let out = containers_with_version(&b, &cs, "ignored", "7").unwrap();
        assert_eq!(out[0]["env"][0]["value"], "7");
        assert_eq!(out[0]["env"][1]["value"], "models:/fraud/7");
        assert_eq!(out[0]["env"][2]["value"], "x");
        assert_eq!(out[1], cs[1]);
        assert!(containers_with_version(&b, &json!([{"name": "s"}]), "m", "1").is_none());
    }
}
