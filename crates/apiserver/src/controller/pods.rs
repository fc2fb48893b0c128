//! Replicas of a ReplicaSet: the controller's private record of each
//! replica (when it turns ready, whether it fails) and, when enabled, the Pod
//! objects that mirror them, with the kubelet-like Events.

use super::events::Recorder;
use crate::ids::random_suffix;
use crate::resources::ids;
use crate::store::Store;
use crate::write::{self, now_rfc3339};
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};

/// Annotation on a pod template that makes its pods fail to start
/// (ImagePullBackOff), to show a stalled rollout.
pub const FAIL_ANNOTATION: &str = "sandbox.modeldeck.io/fail";

/// One replica of a ReplicaSet.
#[derive(Debug, Clone)]
pub struct Replica {
    /// Pod name.
    pub pod: String,
    /// When it turns ready (ms).
    pub ready_at: i64,
    /// Ready now.
    pub ready: bool,
    /// Never becomes ready.
    pub failing: bool,
}

/// Annotation on a pod template listing model versions (comma-separated)
/// whose pods fail to start: a template patched to serve one of them (the
/// binding annotation `modeldeck.io/model-version`) stalls, one patched back
/// does not. Lets a test stage "this version never gets ready".
pub const FAIL_VERSIONS_ANNOTATION: &str = "sandbox.modeldeck.io/fail-versions";

/// Whether pods of this template fail to start.
pub fn template_fails(template: &Value) -> bool {
    let ann = template.pointer("/metadata/annotations");
    let get = |k: &str| ann.and_then(|a| a.get(k)).and_then(Value::as_str);
    if get(FAIL_ANNOTATION) == Some("true") {
        return true;
    }
    match (
        get(FAIL_VERSIONS_ANNOTATION),
        get("modeldeck.io/model-version"),
    ) {
        (Some(list), Some(v)) => list.split(',').any(|x| x.trim() == v),
        _ => false,
    }
}

fn image(template: &Value) -> String {
    template
        .pointer("/spec/containers/0/image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn pod_object(rs: &Value, name: &str) -> Value {
    let tmpl = &rs["spec"]["template"];
    let m = &rs["metadata"];
    let statuses: Vec<Value> = tmpl
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            json!({"name": c["name"], "image": c["image"], "imageID": "", "ready": false, "restartCount": 0,
                   "started": false, "state": {"waiting": {"reason": "ContainerCreating"}}})
        })
        .collect();
    let mut spec = tmpl["spec"].clone();
    spec["nodeName"] = json!("sandbox-node-1");
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": m["namespace"],
            "labels": tmpl.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
            "annotations": tmpl.pointer("/metadata/annotations").cloned().unwrap_or(json!({})),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": m["name"], "uid": m["uid"],
                                 "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": spec,
        "status": {
            "phase": "Pending",
            "hostIP": "10.0.0.1",
            "qosClass": "BestEffort",
            "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": now_rfc3339()}],
            "containerStatuses": statuses,
        },
    })
}

fn set_running(pod: &Value, n: u64) -> Value {
    let mut p = pod.clone();
    let now = now_rfc3339();
    p["status"]["phase"] = json!("Running");
    p["status"]["startTime"] = json!(now);
    p["status"]["podIP"] = json!(format!("10.244.{}.{}", (n >> 8) % 250, n % 250 + 2));
    p["status"]["conditions"] = json!([
        {"type": "Initialized", "status": "True", "lastTransitionTime": now},
        {"type": "Ready", "status": "True", "lastTransitionTime": now},
        {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
    ]);
    if let Some(cs) = p["status"]["containerStatuses"].as_array_mut() {
        for c in cs {
            c["ready"] = json!(true);
            c["started"] = json!(true);
            c["state"] = json!({"running": {"startedAt": now}});
            c["containerID"] = json!(format!("containerd://{:064x}", n));
        }
    }
    p
}

fn set_failing(pod: &Value) -> Value {
    let mut p = pod.clone();
    if let Some(cs) = p["status"]["containerStatuses"].as_array_mut() {
        for c in cs {
            c["state"] = json!({"waiting": {"reason": "ImagePullBackOff",
                "message": format!("Back-off pulling image \"{}\"", c["image"].as_str().unwrap_or(""))}});
        }
    }
    p
}

/// Brings the replicas of `rs` to `spec.replicas`, turns due ones ready and
/// mirrors them as pods. `settle` makes new replicas ready at once, quietly.
pub fn sync(
    store: &Store,
    rec: &mut Recorder,
    rs: &Value,
    list: &mut Vec<Replica>,
    ready_after_ms: i64,
    pods: bool,
    settle: bool,
) {
    let ns = rs["metadata"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let rs_name = rs["metadata"]["name"].as_str().unwrap_or("").to_string();
    let want = rs
        .pointer("/spec/replicas")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let tmpl = &rs["spec"]["template"];
    let failing = template_fails(tmpl);
    let now = Timestamp::now().0;
    if pods {
        list.retain(|r| store.get(ids::PODS, &ns, &r.pod).is_some());
    }
    while list.len() < want {
        let pod = format!("{rs_name}-{}", random_suffix(5));
        let r = Replica {
            pod: pod.clone(),
            ready_at: if settle { now } else { now + ready_after_ms },
            ready: false,
            failing,
        };
        if pods {
            match write::create(store, ids::PODS, &ns, pod_object(rs, &pod), false) {
                Ok(p) => {
                    rec.record(
                        rs,
                        "Normal",
                        "SuccessfulCreate",
                        &format!("Created pod: {pod}"),
                        "replicaset-controller",
                    );
                    if !settle {
                        rec.record(
                            &p,
                            "Normal",
                            "Scheduled",
                            &format!("Successfully assigned {ns}/{pod} to sandbox-node-1"),
                            "default-scheduler",
                        );
                        rec.record(
                            &p,
                            "Normal",
                            "Pulling",
                            &format!("Pulling image \"{}\"", image(tmpl)),
                            "kubelet",
                        );
                    }
                }
                Err(_) => break,
            }
        }
        list.push(r);
    }
    while list.len() > want {
        let idx = list
            .iter()
            .rposition(|r| !r.ready)
            .unwrap_or(list.len() - 1);
        let r = list.remove(idx);
        if pods && write::delete(store, ids::PODS, &ns, &r.pod, None, false, false).is_ok() {
            rec.record(
                rs,
                "Normal",
                "SuccessfulDelete",
                &format!("Deleted pod: {}", r.pod),
                "replicaset-controller",
            );
        }
    }
    for (i, r) in list.iter_mut().enumerate() {
        if r.ready || now < r.ready_at {
            continue;
        }
        if r.failing {
            if pods
                && let Some(p) = store.get(ids::PODS, &ns, &r.pod)
                && p.pointer("/status/containerStatuses/0/state/waiting/reason")
                    != Some(&json!("ImagePullBackOff"))
            {
                let _ = store.update(ids::PODS, &ns, &r.pod, false, |cur| {
                    Ok(Some(set_failing(cur)))
                });
                rec.record(
                    &p,
                    "Warning",
                    "Failed",
                    &format!("Failed to pull image \"{}\": not found", image(tmpl)),
                    "kubelet",
                );
                rec.record(
                    &p,
                    "Normal",
                    "BackOff",
                    &format!("Back-off pulling image \"{}\"", image(tmpl)),
                    "kubelet",
                );
            }
            continue;
        }
        r.ready = true;
        if pods {
            let n = now as u64 + i as u64;
            if let Ok(p) = store.update(ids::PODS, &ns, &r.pod, false, |cur| {
                Ok(Some(set_running(cur, n)))
            }) && !settle
            {
                rec.record(
                    &p,
                    "Normal",
                    "Pulled",
                    &format!("Successfully pulled image \"{}\"", image(tmpl)),
                    "kubelet",
                );
                rec.record(&p, "Normal", "Created", "Created container", "kubelet");
                rec.record(&p, "Normal", "Started", "Started container", "kubelet");
            }
        }
    }
}

#[cfg(test)]
mod fail_tests {
    use super::*;

    #[test]
    fn listed_versions_fail_and_others_start() {
        let t = |v: &str| json!({"metadata": {"annotations": {FAIL_VERSIONS_ANNOTATION: "7, 9", "modeldeck.io/model-version": v}}});
        assert!(template_fails(&t("7")));
        assert!(template_fails(&t("9")));
        assert!(!template_fails(&t("6")));
        assert!(template_fails(
            &json!({"metadata": {"annotations": {FAIL_ANNOTATION: "true"}}})
        ));
        assert!(!template_fails(&json!({"metadata": {}})));
    }
}
