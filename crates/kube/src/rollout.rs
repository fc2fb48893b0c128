//! Rollout state the way `kubectl rollout status` decides it (Deployment),
//! plus the CronJob and KServe equivalents.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use modeldeck_core::domain::RolloutState;
use serde_json::Value;

fn clamp(v: Option<i32>) -> u32 {
    v.unwrap_or(0).max(0) as u32
}

/// Rollout state of a Deployment: paused, then kubectl's checks in order
/// (spec observed, progress deadline, updated, old replicas, available).
pub fn deployment(d: &Deployment) -> RolloutState {
    let spec = &d.spec;
    let status = d.status.as_ref();
    let desired = spec.replicas.unwrap_or(1).max(0) as u32;
    let updated = clamp(status.and_then(|s| s.updated_replicas));
    let replicas = clamp(status.and_then(|s| s.replicas));
    let available = clamp(status.and_then(|s| s.available_replicas));
    if spec.paused.unwrap_or(false) {
        return RolloutState::Paused;
    }
    let generation = d.metadata.generation.unwrap_or(0);
    let observed = status.and_then(|s| s.observed_generation).unwrap_or(0);
    let progressing = RolloutState::Progressing { updated, desired };
    if generation > observed {
        return progressing;
    }
    let deadline = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.type_.as_deref() == Some("Progressing"))
        })
        .filter(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
    if let Some(c) = deadline {
        let reason = c
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "ProgressDeadlineExceeded".into());
        return RolloutState::Degraded { reason };
    }
    if desired == 0 && replicas == 0 {
        return RolloutState::Idle;
    }
    if updated < desired || replicas > updated || available < updated {
        return progressing;
    }
    RolloutState::Available
}

/// Rollout state of a CronJob: suspended, running (a job is active) or idle.
pub fn cron_job(c: &CronJob) -> RolloutState {
    if c.spec.suspend.unwrap_or(false) {
        return RolloutState::Suspended;
    }
    let active = c
        .status
        .as_ref()
        .and_then(|s| s.active.as_ref())
        .map_or(0, Vec::len);
    if active > 0 {
        RolloutState::Available
    } else {
        RolloutState::Idle
    }
}

/// Rollout state of an InferenceService from its `Ready` condition and
/// observed generation.
pub fn inference_service(obj: &Value, desired: u32) -> RolloutState {
    let generation = obj
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let observed = obj
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let ready = obj
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"));
    let progressing = RolloutState::Progressing {
        updated: 0,
        desired,
    };
    match ready.and_then(|c| c["status"].as_str()) {
        Some("True") if observed >= generation => RolloutState::Available,
        Some("False") => {
            let reason = ready.and_then(|c| c["reason"].as_str()).unwrap_or("");
            let message = ready.and_then(|c| c["message"].as_str()).unwrap_or("");
            let failed = reason.contains("Fail")
                || reason.contains("Invalid")
                || reason == "ContainerMissing";
            if failed {
                let why = if message.is_empty() { reason } else { message };
                RolloutState::Degraded {
                    reason: why.to_string(),
                }
            } else {
                progressing
            }
        }
        _ => progressing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(v: Value) -> Deployment {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn follows_kubectl_order() {
        let base = |generation: i64, obs: i64, st: Value| {
            let mut s = st;
            s["observedGeneration"] = json!(obs);
            d(
                json!({"metadata": {"generation": generation}, "spec": {"replicas": 3, "selector": {}, "template": {}}, "status": s}),
            )
        };
        assert_eq!(
            deployment(&base(
                2,
                1,
                json!({"updatedReplicas": 3, "replicas": 3, "availableReplicas": 3})
            )),
            RolloutState::Progressing {
                updated: 3,
                desired: 3
            }
        );
        assert_eq!(
            deployment(&base(
                2,
                2,
                json!({"updatedReplicas": 1, "replicas": 4, "availableReplicas": 3})
            )),
            RolloutState::Progressing {
                updated: 1,
                desired: 3
            }
        );
        assert_eq!(
            deployment(&base(
                2,
                2,
                json!({"updatedReplicas": 3, "replicas": 4, "availableReplicas": 3})
            )),
            RolloutState::Progressing {
                updated: 3,
                desired: 3
            },
            "old replicas pending termination"
        );
        assert_eq!(
            deployment(&base(
                2,
                2,
                json!({"updatedReplicas": 3, "replicas": 3, "availableReplicas": 2})
            )),
            RolloutState::Progressing {
                updated: 3,
                desired: 3
            }
        );
        assert_eq!(
            deployment(&base(
                2,
                2,
                json!({"updatedReplicas": 3, "replicas": 3, "availableReplicas": 3})
            )),
            RolloutState::Available
        );
        let stuck = base(
            2,
            2,
            json!({"updatedReplicas": 1, "replicas": 4, "conditions": [
            {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"x\" has timed out progressing."}]}),
        );
        assert!(
            matches!(deployment(&stuck), RolloutState::Degraded { reason } if reason.contains("timed out"))
        );
        let paused = d(json!({"spec": {"paused": true, "selector": {}, "template": {}}}));
        assert_eq!(deployment(&paused), RolloutState::Paused);
        let idle = d(
            json!({"metadata": {"generation": 1}, "spec": {"replicas": 0, "selector": {}, "template": {}}, "status": {"observedGeneration": 1}}),
        );
        assert_eq!(deployment(&idle), RolloutState::Idle);
    }

    #[test]
    fn isvc_states() {
        let ok = json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(inference_service(&ok, 1), RolloutState::Available);
        let failing = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "RevisionFailed", "message": "image pull failed"}]}});
        assert!(matches!(
            inference_service(&failing, 1),
            RolloutState::Degraded { .. }
        ));
        assert!(matches!(
            inference_service(&json!({}), 2),
            RolloutState::Progressing { desired: 2, .. }
        ));
    }
}
