//! Seeding from the domain: each [`Workload`] of a `Cluster` port becomes
//! the Kubernetes object a real cluster would hold under Modeldeck's binding
//! convention (label `modeldeck.io/model`, pod-template annotation
//! `modeldeck.io/model-version`, env `MODEL_VERSION` / `MODEL_URI`, KServe
//! `storageUri`), plus patches that give it a revision history and put it in
//! the workload's rollout state.

mod argo;
mod cron;
pub mod scale;

pub use argo::crd as argo_crd;

use crate::controller::FAIL_ANNOTATION;
use crate::defaults::apply_defaults;
use crate::ids::template_hash;
use crate::resources::ids;
use modeldeck_core::domain::{Revision, RolloutState, Workload, WorkloadKind, WorkloadRef};
use modeldeck_core::error::PortResult;
use modeldeck_core::ports::Cluster;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Binding label naming the registered model.
pub const MODEL_LABEL: &str = "modeldeck.io/model";
/// Pod-template (and InferenceService) annotation naming the served version.
pub const VERSION_ANNOTATION: &str = "modeldeck.io/model-version";
/// Label marking a Deployment as a stream consumer.
pub const KIND_LABEL: &str = "modeldeck.io/kind";
/// Container image the seeded workloads run.
pub const IMAGE: &str = "ghcr.io/modeldeck/model-server:1.4.2";

/// A merge patch applied after the initial objects settled.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedPatch {
    /// `apiVersion` of the target.
    pub api_version: String,
    /// `kind` of the target.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// The JSON merge patch.
    pub patch: Value,
    /// Apply before serving and settle at once (`true`), or let it roll
    /// live after the server started (`false`).
    pub settle: bool,
}

/// Objects and follow-up patches for one cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seed {
    /// Objects, namespaces first.
    pub objects: Vec<Value>,
    /// Patches applied after the objects settled.
    pub patches: Vec<SeedPatch>,
}

/// `models:/<name>/<version>`.
pub fn model_uri(model: &str, version: &str) -> String {
    format!("models:/{model}/{version}")
}

fn env(model: &str, version: &str) -> Value {
    json!([
        {"name": "MODEL_NAME", "value": model},
        {"name": "MODEL_VERSION", "value": version},
        {"name": "MODEL_URI", "value": model_uri(model, version)},
    ])
}

fn previous(version: &str) -> Option<String> {
    version
        .parse::<u64>()
        .ok()
        .filter(|v| *v > 1)
        .map(|v| (v - 1).to_string())
}

fn labels(w: &Workload, model: &str) -> Map<String, Value> {
    let mut l: Map<String, Value> = w
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    l.insert(MODEL_LABEL.into(), json!(model));
    l.insert("app.kubernetes.io/name".into(), json!(w.id.name));
    if w.id.kind == WorkloadKind::StreamConsumer {
        l.insert(KIND_LABEL.into(), json!("stream"));
    }
    l
}

fn meta(w: &Workload, model: &str) -> Value {
    let mut m = json!({
        "name": w.id.name,
        "namespace": w.id.namespace,
        "labels": labels(w, model),
        "creationTimestamp": w.created_at.rfc3339(),
    });
    if !w.uid.is_empty() {
        m["uid"] = json!(w.uid);
    }
    m
}

fn pod_template(w: &Workload, model: &str, version: &str, container: &str) -> Value {
    json!({
        "metadata": {
            "labels": {"app.kubernetes.io/name": w.id.name, MODEL_LABEL: model},
            "annotations": {VERSION_ANNOTATION: version},
        },
        "spec": {"containers": [{
            "name": container, "image": IMAGE,
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "env": env(model, version),
        }]},
    })
}

fn template_patch(
    model: &str,
    version: &str,
    container: &str,
    extra_ann: Option<(&str, &str)>,
) -> Value {
    let mut ann = json!({VERSION_ANNOTATION: version});
    if let Some((k, v)) = extra_ann {
        ann[k] = json!(v);
    }
    json!({"metadata": {"annotations": {"kubernetes.io/change-cause": format!("serve {}", model_uri(model, version))}},
           "spec": {"template": {"metadata": {"annotations": ann}, "spec": {"containers": [{
        "name": container, "image": IMAGE,
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": env(model, version)}]}}}})
}

fn patch_for(w: &Workload, obj: &Value, patch: Value, settle: bool) -> SeedPatch {
    SeedPatch {
        api_version: obj["apiVersion"].as_str().unwrap_or("").into(),
        kind: obj["kind"].as_str().unwrap_or("").into(),
        namespace: w.id.namespace.clone(),
        name: w.id.name.clone(),
        patch,
        settle,
    }
}

fn deployment(w: &Workload, model: &str, version: &str, seed: &mut Seed) {
    let container = if w.id.kind == WorkloadKind::StreamConsumer {
        "consumer"
    } else {
        "model-server"
    };
    let first = match (&w.rollout, previous(version)) {
        (RolloutState::Available | RolloutState::Progressing { .. }, Some(p)) => p,
        _ => version.to_string(),
    };
    let mut m = meta(w, model);
    m["annotations"] =
        json!({"kubernetes.io/change-cause": format!("serve {}", model_uri(model, &first))});
    let obj = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": m,
        "spec": {
            "replicas": w.desired_replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": w.id.name}},
            "template": pod_template(w, model, &first, container),
        },
    });
    let mut patches = Vec::new();
    if first != version {
        let live = matches!(w.rollout, RolloutState::Progressing { .. });
        patches.push(patch_for(
            w,
            &obj,
            template_patch(model, version, container, None),
            !live,
        ));
    }
    match &w.rollout {
        RolloutState::Paused => {
            patches.push(patch_for(w, &obj, json!({"spec": {"paused": true}}), true))
        }
        RolloutState::Degraded { .. } => {
            patches.push(patch_for(
                w,
                &obj,
                json!({"spec": {"progressDeadlineSeconds": 10}}),
                true,
            ));
            patches.push(patch_for(
                w,
                &obj,
                template_patch(model, version, container, Some((FAIL_ANNOTATION, "true"))),
                false,
            ));
        }
        _ => {}
    }
    seed.objects.push(obj);
    seed.patches.extend(patches);
}

fn inference_service(w: &Workload, model: &str, version: &str, seed: &mut Seed) {
    let mut m = meta(w, model);
    m["annotations"] = json!({VERSION_ANNOTATION: version});
    let obj = json!({
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": m,
        "spec": {"predictor": {
            "minReplicas": w.desired_replicas,
            "model": {"modelFormat": {"name": "mlflow"}, "protocolVersion": "v2", "storageUri": model_uri(model, version)},
        }},
    });
    if let Some(c) = &w.canary {
        let p = json!({"spec": {"predictor": {"canaryTrafficPercent": c.traffic_percent,
            "model": {"storageUri": model_uri(model, &c.version)}}}});
        seed.patches.push(patch_for(w, &obj, p, true));
    }
    seed.objects.push(obj);
}

/// The objects (and patches) that represent `workloads` in one cluster.
pub fn from_workloads(workloads: &[Workload]) -> Seed {
    from_workloads_with(workloads, &Histories::new())
}

/// [`from_workloads`], each settled Deployment with a known rollout
/// history seeded with its ReplicaSets ([`Histories`]).
pub fn from_workloads_with(workloads: &[Workload], histories: &Histories) -> Seed {
    let mut seed = Seed::default();
    let mut namespaces: BTreeMap<&str, i64> = BTreeMap::new();
    for w in workloads {
        let t = namespaces
            .entry(w.id.namespace.as_str())
            .or_insert(w.created_at.0);
        *t = (*t).min(w.created_at.0);
    }
    for (ns, t) in namespaces {
        let created = modeldeck_core::domain::Timestamp(t).rfc3339();
        seed.objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "creationTimestamp": created}}));
    }
    for w in workloads {
        let model = w.model.clone().unwrap_or_else(|| w.id.name.clone());
        let version = w.served_version.clone().unwrap_or_else(|| "1".into());
        match w.id.kind {
            WorkloadKind::Deployment | WorkloadKind::StreamConsumer => {
                match histories.get(&w.id).filter(|h| settled_with_history(w, h)) {
                    Some(h) => deployment_with_history(w, &model, &version, h, &mut seed),
                    None => deployment(w, &model, &version, &mut seed),
                }
            }
            WorkloadKind::InferenceService => inference_service(w, &model, &version, &mut seed),
            WorkloadKind::CronJob => cron::cron_job(w, &model, &version, &mut seed),
            WorkloadKind::Pipeline => argo::pipeline(w, &model, &version, &mut seed),
        }
    }
    seed
}

/// One seed per cluster of a `Cluster` port's current workloads.
pub async fn from_cluster(cluster: &dyn Cluster) -> PortResult<BTreeMap<String, Seed>> {
    let workloads = cluster.list_workloads().await?;
    // Rollout histories where the port has them (others answer Unsupported).
    let mut histories = Histories::new();
    for w in &workloads {
        if matches!(
            w.id.kind,
            WorkloadKind::Deployment | WorkloadKind::StreamConsumer
        ) && let Ok(h) = cluster.revisions(&w.id).await
        {
            histories.insert(w.id.clone(), h);
        }
    }
    let mut by: BTreeMap<String, Vec<Workload>> = cluster
        .clusters()
        .into_iter()
        .map(|c| (c, Vec::new()))
        .collect();
    for w in workloads {
        by.entry(w.id.cluster.clone()).or_default().push(w);
    }
    let models: std::collections::BTreeSet<String> = by
        .values()
        .flatten()
        .filter_map(|w| w.model.clone())
        .collect();
    let mut seeds: BTreeMap<String, Seed> = by
        .into_iter()
        .map(|(c, ws)| (c, from_workloads_with(&ws, &histories)))
        .collect();
    // Training pipelines (`modeldeck retrain`): a port without them has none.
    for model in models {
        for s in cluster.retrain_sources(&model).await.unwrap_or_default() {
            if let Some(seed) = seeds.get_mut(&s.cluster) {
                seed.objects.push(retrain_cron_job(&s));
            }
        }
    }
    Ok(seeds)
}

/// The CronJob of a training pipeline, labelled for its model.
fn retrain_cron_job(s: &modeldeck_core::domain::RetrainSource) -> Value {
    let containers: Vec<Value> = s
        .containers
        .iter()
        .map(|c| {
            let env: Vec<Value> = c
                .env
                .iter()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            json!({"name": c.name, "image": c.image, "command": c.command, "env": env})
        })
        .collect();
    let labels = json!({modeldeck_core::domain::RETRAIN_LABEL: s.model, "app": s.name});
    json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": s.name, "namespace": s.namespace, "labels": labels},
        "spec": {
            "schedule": s.schedule.clone().unwrap_or_else(|| "0 2 * * *".into()),
            "suspend": s.suspended,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {"backoffLimit": 0, "template": {
                    "metadata": {"labels": labels},
                    "spec": {"restartPolicy": "Never", "containers": containers},
                }},
            },
        },
    })
}

/// Rollout histories by workload (`Cluster::revisions`, oldest first).
pub type Histories = BTreeMap<WorkloadRef, Vec<Revision>>;

/// ReplicaSet annotation holding the revision number.
const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

/// A settled Deployment with a history its ReplicaSets can carry (rolling,
/// paused or stalled ones keep the patch-made history).
fn settled_with_history(w: &Workload, h: &[Revision]) -> bool {
    !h.is_empty()
        && !w.uid.is_empty()
        && matches!(w.rollout, RolloutState::Available | RolloutState::Idle)
}

/// The version a revision served: the `serve models:/<model>/<v>` cause this
/// seed (and the sandbox) write, else `prev`.
fn served_in(cause: Option<&str>, model: &str, prev: &str) -> String {
    let prefix = format!("serve {}", model_uri(model, ""));
    cause
        .and_then(|c| c.strip_prefix(&prefix))
        .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
        .map_or_else(|| prev.to_string(), String::from)
}

/// A container name (DNS label) for `image`, unique among `taken`.
fn container_name(image: &str, taken: &[String]) -> String {
    let repo = image.split('@').next().unwrap_or("");
    let repo = match repo.rfind(':') {
        Some(i) if !repo[i..].contains('/') => &repo[..i],
        _ => repo,
    };
    let last = repo.rsplit('/').next().unwrap_or("");
    let base: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(50)
        .collect();
    let base = if base.is_empty() {
        "sidecar".to_string()
    } else {
        base
    };
    let mut name = base.clone();
    let mut i = 2;
    while taken.contains(&name) {
        name = format!("{base}-{i}");
        i += 1;
    }
    name
}

/// The pod template of one revision: the model container on the first
/// image, one container per further image.
fn revision_template(
    w: &Workload,
    model: &str,
    version: &str,
    container: &str,
    images: &[String],
) -> Value {
    let mut t = pod_template(w, model, version, container);
    if let Some(first) = images.first() {
        t["spec"]["containers"][0]["image"] = json!(first);
    }
    let mut taken = vec![container.to_string()];
    for image in images.iter().skip(1) {
        let name = container_name(image, &taken);
        taken.push(name.clone());
        if let Some(cs) = t["spec"]["containers"].as_array_mut() {
            cs.push(json!({"name": name, "image": image}));
        }
    }
    t
}

/// A settled Deployment and the ReplicaSets its history left: one per
/// revision (a template seen twice: the newer), created at the revision's
/// time with its number, images and change-cause, the newest running. The
/// controller adopts them (the newest by its pod-template-hash), so
/// `kubectl rollout history` lists what the port listed.
fn deployment_with_history(
    w: &Workload,
    model: &str,
    version: &str,
    history: &[Revision],
    seed: &mut Seed,
) {
    let container = if w.id.kind == WorkloadKind::StreamConsumer {
        "consumer"
    } else {
        "model-server"
    };
    let first_cause = history.first().and_then(|r| r.cause.as_deref());
    let mut prev = served_in(first_cause, model, version);
    let mut templates = Vec::with_capacity(history.len());
    for (i, r) in history.iter().enumerate() {
        let v = if i + 1 == history.len() {
            version.to_string()
        } else {
            served_in(r.cause.as_deref(), model, &prev)
        };
        templates.push(revision_template(w, model, &v, container, &r.images));
        prev = v;
    }
    let (Some(last), Some(current)) = (history.last(), templates.last()) else {
        return deployment(w, model, version, seed);
    };
    let mut m = meta(w, model);
    let mut ann = json!({REVISION: last.revision});
    if let Some(c) = &last.cause {
        ann[CHANGE_CAUSE] = json!(c);
    }
    m["annotations"] = ann;
    let name = w.id.name.clone();
    seed.objects.push(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": m,
        "spec": {
            "replicas": w.desired_replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": current,
        },
    }));
    let mut seen = BTreeSet::new();
    let mut sets = Vec::new();
    for (i, (r, t)) in history.iter().zip(templates).enumerate().rev() {
        let mut probe = json!({"spec": {"template": t}});
        apply_defaults(ids::REPLICASETS, &mut probe);
        let mut t = probe["spec"]["template"].take();
        let hash = template_hash(&t);
        if !seen.insert(hash.clone()) {
            continue;
        }
        t["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        let mut ann = json!({
            REVISION: r.revision,
            "deployment.kubernetes.io/desired-replicas": w.desired_replicas.to_string(),
            "deployment.kubernetes.io/max-replicas": (w.desired_replicas + 1).to_string(),
        });
        if let Some(c) = &r.cause {
            ann[CHANGE_CAUSE] = json!(c);
        }
        let newest = i + 1 == history.len();
        sets.push(json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": format!("{name}-{hash}"),
                "namespace": w.id.namespace,
                "labels": t["metadata"]["labels"],
                "annotations": ann,
                "creationTimestamp": r.at.rfc3339(),
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                    "uid": w.uid, "controller": true, "blockOwnerDeletion": true}],
            },
            "spec": {
                "replicas": if newest { w.desired_replicas } else { 0 },
                "selector": {"matchLabels": {"app.kubernetes.io/name": name, "pod-template-hash": hash}},
                "template": t,
            },
        }));
    }
    sets.reverse();
    seed.objects.extend(sets);
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::{Canary, Timestamp, WorkloadRef};

    fn w(kind: WorkloadKind, rollout: RolloutState) -> Workload {
        Workload {
            id: WorkloadRef {
                cluster: "c".into(),
                namespace: "ml".into(),
                kind,
                name: "fraud".into(),
            },
            uid: String::new(),
            resource_version: String::new(),
            model: Some("fraud-model".into()),
            served_version: Some("7".into()),
            canary: None,
            ready_replicas: 3,
            desired_replicas: 3,
            rollout,
            labels: Default::default(),
            created_at: Timestamp(1_700_000_000_000),
            batch: None,
        }
    }

    #[test]
    fn deployments_get_history_and_binding() {
        let s = from_workloads(&[w(WorkloadKind::Deployment, RolloutState::Available)]);
        assert_eq!(s.objects[0]["kind"], "Namespace");
        let d = &s.objects[1];
        assert_eq!(d["metadata"]["labels"][MODEL_LABEL], "fraud-model");
        assert_eq!(
            d["spec"]["template"]["metadata"]["annotations"][VERSION_ANNOTATION],
            "6"
        );
        assert_eq!(s.patches.len(), 1);
        assert!(s.patches[0].settle);
        let p = s.patches[0].patch.to_string();
        assert!(p.contains("models:/fraud-model/7"), "{p}");
    }

    #[test]
    fn isvc_canary_and_cronjob_suspend() {
        let mut i = w(WorkloadKind::InferenceService, RolloutState::Available);
        i.canary = Some(Canary {
            version: "8".into(),
            traffic_percent: 20,
        });
        let s = from_workloads(&[i, w(WorkloadKind::CronJob, RolloutState::Suspended)]);
        let isvc = &s.objects[1];
        assert_eq!(
            isvc["spec"]["predictor"]["model"]["storageUri"],
            "models:/fraud-model/7"
        );
        assert_eq!(
            s.patches[0].patch["spec"]["predictor"]["canaryTrafficPercent"],
            20
        );
        assert_eq!(s.objects[2]["spec"]["suspend"], true);
    }
}
