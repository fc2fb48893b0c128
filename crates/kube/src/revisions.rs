//! A workload's rollout history (deploy markers on the drift and health
//! charts), read the way the cluster keeps it:
//!
//! - **Deployment** (and stream consumer): what `kubectl rollout history
//!   deployment/x` lists. The ReplicaSets of its namespace matching its
//!   selector and owned by it (ownerReferences uid), each with its
//!   `creationTimestamp`, `deployment.kubernetes.io/revision` annotation,
//!   pod-template container images and `kubernetes.io/change-cause`.
//!   Sorted by revision number (numeric). A rollback reuses the old
//!   ReplicaSet under a new number, so that revision keeps the time its
//!   ReplicaSet was first created (kubectl shows the same); ReplicaSets
//!   without a numeric revision annotation are skipped.
//! - **KServe InferenceService**: in Serverless mode each spec change makes
//!   a Knative `serving.knative.dev/v1` Revision, labelled
//!   `serving.kserve.io/inferenceservice=<name>` and `component=<predictor|
//!   transformer|explainer>` and numbered by its
//!   `serving.knative.dev/configurationGeneration` label: the predictor's
//!   are listed. Without Knative (the resource is not served, or lists
//!   none), in RawDeployment mode KServe runs a Deployment labelled
//!   `serving.kserve.io/inferenceservice=<name>` (named `<name>-predictor`):
//!   its ReplicaSets are listed as above. Neither present: an empty list.
//! - **CronJob**: no rollout history (an empty list).
//!
//! At most the newest [`MAX_REVISIONS`] are kept, oldest first.

use crate::convert::ISVC_POD_LABEL;
use crate::error::{cluster_error, from_kube};
use crate::events::{list_all, selector_string};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::{Client, ResourceExt};
use modeldeck_core::domain::{Revision, Timestamp, WorkloadKind, WorkloadRef};
use modeldeck_core::error::{BackendError, ErrorCode, PortResult};
use serde_json::Value;

/// Most revisions answered (the newest).
pub const MAX_REVISIONS: usize = 50;
/// ReplicaSet (and Deployment) annotation holding the revision number.
pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// Annotation recording why a revision was made (`kubectl annotate` or
/// the old `--record`), copied from the Deployment onto its ReplicaSet.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// Knative label numbering a Revision within its Configuration.
pub const KNATIVE_GENERATION: &str = "serving.knative.dev/configurationGeneration";
/// KServe label naming the component (predictor, transformer, explainer).
pub const KSERVE_COMPONENT: &str = "component";

/// The Knative Serving Revision resource.
pub fn knative_revision_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        "serving.knative.dev",
        "v1",
        "Revision",
    ))
}

/// The rollout history of `t` on context `ctx`, oldest first.
pub async fn collect(client: &Client, ctx: &str, t: &WorkloadRef) -> PortResult<Vec<Revision>> {
    match t.kind {
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer => {
            deployment(client, ctx, &t.namespace, &t.name, false)
                .await
                .map(Option::unwrap_or_default)
        }
        WorkloadKind::InferenceService => inference_service(client, ctx, t).await,
        WorkloadKind::CronJob | WorkloadKind::Pipeline => Ok(Vec::new()),
    }
}

/// An RBAC refusal with what the history needs, in kubectl's words.
fn with_rbac_hint(e: BackendError, ns: &str, needs: &str) -> BackendError {
    if e.code == ErrorCode::Forbidden {
        let message = format!(
            "{}; reading the rollout history needs {needs} in namespace {ns}",
            e.message
        );
        BackendError { message, ..e }
    } else {
        e
    }
}

/// Revisions of the Deployment `ns/name`. `None` when it does not exist
/// and `missing_ok` (an InferenceService's optional predictor).
async fn deployment(
    client: &Client,
    ctx: &str,
    ns: &str,
    name: &str,
    missing_ok: bool,
) -> PortResult<Option<Vec<Revision>>> {
    let d = match Api::<Deployment>::namespaced(client.clone(), ns)
        .get(name)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            let e = from_kube(e, ctx, &format!("get deployments (apps/v1) {ns}/{name}"));
            if missing_ok && e.code == ErrorCode::NotFound {
                return Ok(None);
            }
            return Err(with_rbac_hint(e, ns, "`get deployments`"));
        }
    };
    let uid = d.metadata.uid.clone().unwrap_or_default();
    if uid.is_empty() {
        return Err(cluster_error(
            ErrorCode::MalformedResponse,
            ctx,
            format!("deployment {ns}/{name} has no metadata.uid: its ReplicaSets cannot be told"),
        ));
    }
    let sel = selector_string(&d.spec.selector);
    let rss = list_all(
        &Api::<ReplicaSet>::namespaced(client.clone(), ns),
        ListParams::default().labels(&sel),
        ctx,
        &format!("list replicasets (apps/v1) in namespace {ns} for deployment {name}"),
    )
    .await
    .map_err(|e| with_rbac_hint(e, ns, "`list replicasets` (apps)"))?;
    Ok(Some(from_replicasets(&uid, &rss)))
}

fn images_of(t: Option<&PodTemplateSpec>) -> Vec<String> {
    t.and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default()
}

fn cause_of(annotations: Option<&std::collections::BTreeMap<String, String>>) -> Option<String> {
    annotations
        .and_then(|a| a.get(CHANGE_CAUSE))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// Newest [`MAX_REVISIONS`] by revision number, oldest first.
fn newest(mut numbered: Vec<(u64, Revision)>) -> Vec<Revision> {
    numbered.sort_by_key(|(n, _)| *n);
    if numbered.len() > MAX_REVISIONS {
        numbered.drain(..numbered.len() - MAX_REVISIONS);
    }
    numbered.into_iter().map(|(_, r)| r).collect()
}

/// The revisions among `rss` owned by the Deployment of uid `owner`.
pub fn from_replicasets(owner: &str, rss: &[ReplicaSet]) -> Vec<Revision> {
    let numbered = rss
        .iter()
        .filter(|r| {
            r.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == owner)
        })
        .filter_map(|r| {
            let ann = r.metadata.annotations.as_ref();
            let n: u64 = ann?.get(REVISION_ANNOTATION)?.trim().parse().ok()?;
            let at = r
                .metadata
                .creation_timestamp
                .as_ref()
                .map_or(0, |t| t.0.as_millisecond());
            let images = images_of(r.spec.template.as_ref());
            Some((
                n,
                Revision {
                    at: Timestamp(at),
                    revision: n.to_string(),
                    images,
                    cause: cause_of(ann),
                },
            ))
        })
        .collect();
    newest(numbered)
}

/// The predictor's revisions among Knative `revisions` (JSON objects).
pub fn from_knative(revisions: &[Value]) -> Vec<Revision> {
    let numbered = revisions
        .iter()
        .filter(|r| {
            r.pointer("/metadata/labels")
                .and_then(|l| l.get(KSERVE_COMPONENT))
                .and_then(Value::as_str)
                .is_none_or(|c| c == "predictor")
        })
        .filter_map(|r| {
            let meta: ObjectMeta = serde_json::from_value(r.get("metadata")?.clone()).ok()?;
            let name = meta.name.as_deref()?;
            let n: u64 = meta
                .labels
                .as_ref()
                .and_then(|l| l.get(KNATIVE_GENERATION))
                .and_then(|g| g.trim().parse().ok())
                .or_else(|| name.rsplit('-').next()?.parse().ok())?;
            let at = meta
                .creation_timestamp
                .as_ref()
                .map_or(0, |t| t.0.as_millisecond());
            let images = r
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map(|cs| {
                    cs.iter()
                        .filter_map(|c| c["image"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            let cause = cause_of(meta.annotations.as_ref());
            Some((
                n,
                Revision {
                    at: Timestamp(at),
                    revision: n.to_string(),
                    images,
                    cause,
                },
            ))
        })
        .collect();
    newest(numbered)
}

async fn inference_service(
    client: &Client,
    ctx: &str,
    t: &WorkloadRef,
) -> PortResult<Vec<Revision>> {
    let ns = &t.namespace;
    let sel = format!("{ISVC_POD_LABEL}={}", t.name);
    let ar = knative_revision_resource();
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
    let what = format!(
        "list revisions (serving.knative.dev/v1) in namespace {ns} for inferenceservice {}",
        t.name
    );
    match list_all(&api, ListParams::default().labels(&sel), ctx, &what).await {
        Ok(list) if !list.is_empty() => {
            let values: Vec<Value> = list
                .iter()
                .filter_map(|o| serde_json::to_value(o).ok())
                .collect();
            return Ok(from_knative(&values));
        }
        // No Knative here (RawDeployment mode, or a cluster without it).
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::NotFound => {}
        Err(e) => {
            return Err(with_rbac_hint(
                e,
                ns,
                "`list revisions` (serving.knative.dev)",
            ));
        }
    }
    // RawDeployment mode: the predictor Deployment KServe labels.
    let deps = list_all(
        &Api::<Deployment>::namespaced(client.clone(), ns),
        ListParams::default().labels(&sel),
        ctx,
        &format!(
            "list deployments (apps/v1) in namespace {ns} for inferenceservice {}",
            t.name
        ),
    )
    .await
    .map_err(|e| with_rbac_hint(e, ns, "`list deployments` (apps)"))?;
    let predictor = format!("{}-predictor", t.name);
    let Some(d) = deps.iter().find(|d| d.name_any() == predictor).or_else(|| {
        deps.iter()
            .find(|d| d.labels().get(KSERVE_COMPONENT).map(String::as_str) == Some("predictor"))
    }) else {
        return Ok(Vec::new());
    };
    Ok(deployment(client, ctx, ns, &d.name_any(), true)
        .await?
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rs(owner: &str, rev: Option<&str>, at: &str, images: &[&str], cause: Option<&str>) -> Value {
        let mut ann = serde_json::Map::new();
        if let Some(r) = rev {
            ann.insert(REVISION_ANNOTATION.into(), json!(r));
        }
        if let Some(c) = cause {
            ann.insert(CHANGE_CAUSE.into(), json!(c));
        }
        let containers: Vec<Value> = images
            .iter()
            .enumerate()
            .map(|(i, im)| json!({"name": format!("c{i}"), "image": im}))
            .collect();
        json!({
            "metadata": {"name": format!("x-{}", rev.unwrap_or("none")), "creationTimestamp": at,
                "annotations": ann, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "x", "uid": owner}]},
            "spec": {"selector": {}, "template": {"spec": {"containers": containers}}},
        })
    }

    fn parse(v: Vec<Value>) -> Vec<ReplicaSet> {
        v.into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect()
    }

    #[test]
    fn replicasets_sort_numerically_and_keep_the_owners() {
        let list = parse(vec![
            rs(
                "u1",
                Some("10"),
                "2026-01-10T00:00:00Z",
                &["m:3"],
                Some("serve v3"),
            ),
            rs(
                "u1",
                Some("9"),
                "2026-01-09T00:00:00Z",
                &["m:2", "t:1"],
                None,
            ),
            rs("u2", Some("11"), "2026-01-11T00:00:00Z", &["other:1"], None),
            rs("u1", None, "2026-01-01T00:00:00Z", &["m:0"], None),
            rs(
                "u1",
                Some("2"),
                "2026-01-02T00:00:00Z",
                &["m:1"],
                Some("  "),
            ),
        ]);
        let r = from_replicasets("u1", &list);
        let nums: Vec<&str> = r.iter().map(|r| r.revision.as_str()).collect();
        assert_eq!(
            nums,
            vec!["2", "9", "10"],
            "numeric, not lexical; owner only"
        );
        assert_eq!(r[1].images, vec!["m:2", "t:1"]);
        assert_eq!(r[2].cause.as_deref(), Some("serve v3"));
        assert_eq!(r[0].cause, None, "a blank cause is none");
        assert_eq!(r[2].at, Timestamp(1_768_003_200_000));
    }

    #[test]
    fn keeps_the_newest_fifty() {
        let list = parse(
            (1..=70)
                .map(|n| {
                    rs(
                        "u",
                        Some(&n.to_string()),
                        "2026-01-01T00:00:00Z",
                        &["m"],
                        None,
                    )
                })
                .collect(),
        );
        let r = from_replicasets("u", &list);
        assert_eq!(r.len(), MAX_REVISIONS);
        assert_eq!(r[0].revision, "21");
        assert_eq!(r[49].revision, "70");
    }

    #[test]
    fn knative_predictor_revisions_by_generation() {
        let rev = |name: &str, generation: Option<&str>, component: &str, image: &str| {
            let mut labels = json!({ISVC_POD_LABEL: "fraud", KSERVE_COMPONENT: component});
            if let Some(g) = generation {
                labels[KNATIVE_GENERATION] = json!(g);
            }
            json!({"metadata": {"name": name, "labels": labels, "creationTimestamp": "2026-02-01T10:00:00Z"},
                   "spec": {"containers": [{"name": "kserve-container", "image": image}]}})
        };
        let r = from_knative(&[
            rev(
                "fraud-predictor-00012",
                Some("12"),
                "predictor",
                "mlserver:1.6",
            ),
            rev("fraud-predictor-00003", None, "predictor", "mlserver:1.5"),
            rev("fraud-transformer-00004", Some("4"), "transformer", "t:1"),
        ]);
        let nums: Vec<&str> = r.iter().map(|r| r.revision.as_str()).collect();
        assert_eq!(nums, vec!["3", "12"], "the name's number without the label");
        assert_eq!(r[1].images, vec!["mlserver:1.6"]);
        assert!(r[0].at.0 > 0);
    }
}
