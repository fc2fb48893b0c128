//! Kubernetes objects to domain [`Workload`]s: only what the views need is
//! kept (no managedFields, no pod specs), which bounds the adapter's memory.

use crate::binding::{isvc_versions, template_version};
use crate::config::BindingConfig;
use crate::rollout;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::DynamicObject;
use modeldeck_core::domain::{
    BatchRun, BatchStatus, RunOutcome, Timestamp, Workload, WorkloadKind, WorkloadRef,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// Label KServe puts on the pods of an InferenceService.
pub const ISVC_POD_LABEL: &str = "serving.kserve.io/inferenceservice";

fn created(m: &ObjectMeta) -> Timestamp {
    Timestamp(
        m.creation_timestamp
            .as_ref()
            .map_or(0, |t| t.0.as_millisecond()),
    )
}

fn base(cluster: &str, kind: WorkloadKind, m: &ObjectMeta, model: String) -> Workload {
    Workload {
        id: WorkloadRef {
            cluster: cluster.to_string(),
            namespace: m.namespace.clone().unwrap_or_default(),
            kind,
            name: m.name.clone().unwrap_or_default(),
        },
        uid: m.uid.clone().unwrap_or_default(),
        resource_version: m.resource_version.clone().unwrap_or_default(),
        model: Some(model),
        served_version: None,
        canary: None,
        ready_replicas: 0,
        desired_replicas: 0,
        rollout: modeldeck_core::domain::RolloutState::Idle,
        labels: m.labels.clone().unwrap_or_default().into(),
        created_at: created(m),
        batch: None,
    }
}

fn model_of(b: &BindingConfig, m: &ObjectMeta) -> Option<String> {
    m.labels
        .as_ref()?
        .get(&b.model_label)
        .filter(|v| !v.is_empty())
        .cloned()
}

fn owned_by_isvc(m: &ObjectMeta) -> bool {
    m.owner_references
        .iter()
        .flatten()
        .any(|o| o.kind == "InferenceService")
}

/// A bound Deployment (or stream consumer); `None` when unbound or when it
/// is the predictor of an InferenceService (shown as the isvc instead).
pub fn deployment(b: &BindingConfig, cluster: &str, d: &Deployment) -> Option<Workload> {
    let m = &d.metadata;
    let model = model_of(b, m)?;
    if owned_by_isvc(m) {
        return None;
    }
    let stream = m
        .labels
        .as_ref()
        .and_then(|l| l.get(&b.kind_label))
        .is_some_and(|v| *v == b.stream_value);
    let kind = if stream {
        WorkloadKind::StreamConsumer
    } else {
        WorkloadKind::Deployment
    };
    let mut w = base(cluster, kind, m, model);
    w.served_version = template_version(b, &d.spec.template);
    w.desired_replicas = d.spec.replicas.unwrap_or(1).max(0) as u32;
    w.ready_replicas = d
        .status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
        .max(0) as u32;
    w.rollout = rollout::deployment(d);
    Some(w)
}

/// A bound CronJob.
pub fn cron_job(b: &BindingConfig, cluster: &str, c: &CronJob) -> Option<Workload> {
    let m = &c.metadata;
    let model = model_of(b, m)?;
    let mut w = base(cluster, WorkloadKind::CronJob, m, model);
    w.served_version = c
        .spec
        .job_template
        .spec
        .as_ref()
        .and_then(|j| template_version(b, &j.template));
    let active = c
        .status
        .as_ref()
        .and_then(|s| s.active.as_ref())
        .map_or(0, Vec::len) as u32;
    w.desired_replicas = active;
    w.ready_replicas = active;
    w.rollout = rollout::cron_job(c);
    let status = c.status.as_ref();
    let time = |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| {
        t.map(|t| Timestamp(t.0.as_millisecond()))
    };
    w.batch = Some(BatchStatus {
        schedule: c.spec.schedule.clone(),
        time_zone: c.spec.time_zone.clone(),
        suspended: c.spec.suspend.unwrap_or(false),
        active,
        last_schedule: time(status.and_then(|s| s.last_schedule_time.as_ref())),
        last_success: time(status.and_then(|s| s.last_successful_time.as_ref())),
        runs: Vec::new(),
    });
    Some(w)
}

/// One run of a CronJob from its Job: start (`status.startTime`, else
/// creation), end (`completionTime`, else the `Failed` condition's time),
/// outcome from the `Complete`/`Failed` conditions, and the model version
/// its pod template names.
pub fn batch_run(b: &BindingConfig, j: &Job) -> BatchRun {
    let st = j.status.as_ref();
    let cond = |t: &str| {
        st.and_then(|s| s.conditions.as_ref())
            .and_then(|cs| cs.iter().find(|c| c.type_ == t && c.status == "True"))
    };
    let ms =
        |t: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time| Timestamp(t.0.as_millisecond());
    let (outcome, end) = if let Some(c) = cond("Complete") {
        let at = st
            .and_then(|s| s.completion_time.as_ref())
            .or(c.last_transition_time.as_ref());
        (RunOutcome::Succeeded, at.map(ms))
    } else if let Some(c) = cond("Failed") {
        (RunOutcome::Failed, c.last_transition_time.as_ref().map(ms))
    } else {
        (RunOutcome::Running, None)
    };
    BatchRun {
        job: j.metadata.name.clone().unwrap_or_default(),
        start: st
            .and_then(|s| s.start_time.as_ref())
            .map_or_else(|| created(&j.metadata), ms),
        end,
        outcome,
        version: j
            .spec
            .as_ref()
            .and_then(|s| template_version(b, &s.template)),
        rows: None,
    }
}

/// A bound KServe InferenceService.
pub fn inference_service(b: &BindingConfig, cluster: &str, o: &DynamicObject) -> Option<Workload> {
    let m = &o.metadata;
    let model = model_of(b, m)?;
    let mut w = base(cluster, WorkloadKind::InferenceService, m, model);
    let mut full = o.data.clone();
    full["metadata"] = serde_json::json!({"generation": m.generation});
    let ann: BTreeMap<String, String> = m.annotations.clone().unwrap_or_default();
    let (served, canary) = isvc_versions(b, &o.data, &ann);
    w.served_version = served;
    w.canary = canary;
    w.desired_replicas = o
        .data
        .pointer("/spec/predictor/minReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
        .max(0) as u32;
    w.rollout = rollout::inference_service(&full, w.desired_replicas);
    if w.rollout == modeldeck_core::domain::RolloutState::Available {
        w.ready_replicas = w.desired_replicas;
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::RolloutState;
    use serde_json::json;

    #[test]
    fn converts_deployments_and_skips_unbound_or_isvc_owned() {
        let b = BindingConfig::default();
        let mut v = json!({"metadata": {"name": "fraud", "namespace": "ml", "uid": "u1", "resourceVersion": "9", "generation": 1,
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "labels": {"modeldeck.io/model": "fraud", "modeldeck.io/kind": "stream"}},
            "spec": {"replicas": 2, "selector": {}, "template": {"metadata": {"annotations": {"modeldeck.io/model-version": "4"}}}},
            "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}});
        let d: Deployment = serde_json::from_value(v.clone()).unwrap();
        let w = deployment(&b, "prod", &d).unwrap();
        assert_eq!(w.id.kind, WorkloadKind::StreamConsumer);
        assert_eq!(w.served_version.as_deref(), Some("4"));
        assert_eq!((w.ready_replicas, w.desired_replicas), (2, 2));
        assert_eq!(w.rollout, RolloutState::Available);
        assert_eq!(w.created_at, Timestamp(1_767_225_600_000));
        v["metadata"]["ownerReferences"] = json!([{"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "name": "x", "uid": "u"}]);
        assert!(deployment(&b, "prod", &serde_json::from_value(v.clone()).unwrap()).is_none());
        v["metadata"]["labels"] = json!({});
        v["metadata"]["ownerReferences"] = json!([]);
        assert!(deployment(&b, "prod", &serde_json::from_value(v).unwrap()).is_none());
    }
}
