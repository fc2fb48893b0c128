//! A stand-in for the Job controller (simulated, not Kubernetes' own): a
//! Job gets the defaults and generated selector a real API server gives it
//! (`batch.kubernetes.io/controller-uid` and `job-name` labels), then one
//! pod from its template; the pod starts after the controller's
//! `ready_after`, runs for [`RUN_SECONDS_ANNOTATION`] seconds (3 by
//! default) and succeeds, or fails with the exit code in
//! [`EXIT_CODE_ANNOTATION`]. The Job's status follows as the real one
//! reads (`active`, `succeeded`/`failed`, `startTime`, `completionTime`,
//! `Complete`/`Failed` conditions). No retries, parallelism or indexes.
//! The pod's log is a short simulated training log ([`training_log`]).

use super::Controller;
use crate::resources::ids;
use crate::time::parse_rfc3339;
use crate::write;
use modeldeck_core::domain::Timestamp;
use serde_json::{Map, Value, json};

/// Pod-template annotation: how long a Job's pod runs (seconds).
pub const RUN_SECONDS_ANNOTATION: &str = "sandbox.modeldeck.io/run-seconds";
/// Pod-template annotation: the exit code a Job's pod ends with (0 by default).
pub const EXIT_CODE_ANNOTATION: &str = "sandbox.modeldeck.io/exit-code";
const CONTROLLER_UID: &str = "batch.kubernetes.io/controller-uid";
const JOB_NAME: &str = "batch.kubernetes.io/job-name";

fn set_default(m: &mut Map<String, Value>, k: &str, v: Value) {
    if m.get(k).is_none_or(Value::is_null) {
        m.insert(k.to_string(), v);
    }
}

/// A Job's defaults (batch/v1 `SetDefaults_Job`) and, unless
/// `spec.manualSelector`, the generated selector and template labels.
pub fn default_job(obj: &mut Value) {
    let uid = obj["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    set_default(spec, "parallelism", json!(1));
    set_default(spec, "completions", json!(1));
    set_default(spec, "backoffLimit", json!(6));
    set_default(spec, "completionMode", json!("NonIndexed"));
    set_default(spec, "suspend", json!(false));
    set_default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    if spec.get("manualSelector") == Some(&json!(true)) || uid.is_empty() {
        return;
    }
    set_default(
        spec,
        "selector",
        json!({"matchLabels": {CONTROLLER_UID: uid}}),
    );
    let tmpl = spec.entry("template").or_insert_with(|| json!({}));
    if !tmpl["metadata"].is_object() {
        tmpl["metadata"] = json!({});
    }
    if !tmpl["metadata"]["labels"].is_object() {
        tmpl["metadata"]["labels"] = json!({});
    }
    if let Some(l) = tmpl["metadata"]["labels"].as_object_mut() {
        for (k, v) in [
            (CONTROLLER_UID, &uid),
            (JOB_NAME, &name),
            ("controller-uid", &uid),
            ("job-name", &name),
        ] {
            set_default(l, k, json!(v));
        }
    }
}

/// What a real server refuses in a Job: a pod template that restarts
/// `Always`.
pub fn validate_job(obj: &Value, causes: &mut Vec<(String, String)>) {
    let rp = obj
        .pointer("/spec/template/spec/restartPolicy")
        .and_then(Value::as_str);
    if !matches!(rp, Some("Never" | "OnFailure")) {
        causes.push((
            "spec.template.spec.restartPolicy".into(),
            format!(
                "Unsupported value: \"{}\": supported values: \"OnFailure\", \"Never\"",
                rp.unwrap_or("")
            ),
        ));
    }
}

fn annotation_i64(tmpl: &Value, key: &str) -> Option<i64> {
    tmpl.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse().ok())
}

pub(crate) fn pod_name(job: &str, uid: &str) -> String {
    let suffix: String = uid
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(5)
        .collect();
    format!("{job}-{suffix}")
}

fn pod_for(job: &Value, pod: &str, stamp: &str) -> Value {
    let m = &job["metadata"];
    let tmpl = &job["spec"]["template"];
    let mut spec = tmpl["spec"].clone();
    spec["nodeName"] = json!("sandbox-node-1");
    let statuses: Vec<Value> = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| json!({"name": c["name"], "image": c["image"], "imageID": "", "ready": false,
                        "restartCount": 0, "started": false, "state": {"waiting": {"reason": "ContainerCreating"}}}))
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod,
            "namespace": m["namespace"],
            "labels": tmpl.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
            "annotations": tmpl.pointer("/metadata/annotations").cloned().unwrap_or(json!({})),
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": m["name"], "uid": m["uid"],
                                 "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": "BestEffort", "containerStatuses": statuses,
                   "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp}]},
    })
}

fn container_states(pod: &mut Value, state: Value, ready: bool) {
    if let Some(cs) = pod["status"]["containerStatuses"].as_array_mut() {
        for c in cs {
            c["state"] = state.clone();
            c["ready"] = json!(ready);
            c["started"] = json!(ready);
        }
    }
}

impl Controller {
    /// Reconciles one Job; true while it has not finished.
    pub(super) fn reconcile_job(&mut self, ns: &str, name: &str) -> bool {
        let Some(job) = self.store.get(ids::JOBS, ns, name) else {
            return false;
        };
        let done = |t: &str| {
            job.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| cs.iter().any(|c| c["type"] == t && c["status"] == "True"))
        };
        if done("Complete") || done("Failed") || job.pointer("/spec/suspend") == Some(&json!(true))
        {
            return false;
        }
        let uid = job["metadata"]["uid"].as_str().unwrap_or("").to_string();
        let pod = pod_name(name, &uid);
        let now = self.cfg.clock.now_ms();
        let stamp = Timestamp(now).rfc3339();
        let Some(p) = self.store.get(ids::PODS, ns, &pod) else {
            let mut body = pod_for(&job, &pod, &stamp);
            body["metadata"]["creationTimestamp"] = json!(stamp);
            if write::seed(&self.store, ids::PODS, body).is_err() {
                return true;
            }
            self.recorder.record(
                &job,
                "Normal",
                "SuccessfulCreate",
                &format!("Created pod: {pod}"),
                "job-controller",
            );
            self.set_job_status(ns, name, |st| {
                st["active"] = json!(1);
                st["ready"] = json!(0);
                st["startTime"] = json!(stamp);
            });
            return true;
        };
        let tmpl = &job["spec"]["template"];
        let ms = |v: Option<&Value>| v.and_then(Value::as_str).and_then(parse_rfc3339);
        match p.pointer("/status/phase").and_then(Value::as_str) {
            Some("Pending") => {
                let created = ms(p.pointer("/metadata/creationTimestamp")).unwrap_or(now);
                if now < created + self.ready_after_ms() {
                    return true;
                }
                let _ = self.store.update(ids::PODS, ns, &pod, false, |cur| {
                    let mut n = cur.clone();
                    n["status"]["phase"] = json!("Running");
                    n["status"]["startTime"] = json!(stamp);
                    n["status"]["podIP"] = json!("10.244.9.9");
                    container_states(&mut n, json!({"running": {"startedAt": stamp}}), true);
                    Ok(Some(n))
                });
                self.set_job_status(ns, name, |st| st["ready"] = json!(1));
                true
            }
            Some("Running") => {
                let started = ms(p.pointer("/status/startTime")).unwrap_or(now);
                let run_ms = annotation_i64(tmpl, RUN_SECONDS_ANNOTATION)
                    .unwrap_or(3)
                    .max(0)
                    * 1000;
                if now < started + run_ms {
                    return true;
                }
                let code = annotation_i64(tmpl, EXIT_CODE_ANNOTATION).unwrap_or(0);
                let ok = code == 0;
                let since = p
                    .pointer("/status/startTime")
                    .cloned()
                    .unwrap_or(json!(stamp));
                let _ = self.store.update(ids::PODS, ns, &pod, false, |cur| {
                    let mut n = cur.clone();
                    n["status"]["phase"] = json!(if ok { "Succeeded" } else { "Failed" });
                    let term = json!({"terminated": {"exitCode": code, "reason": if ok { "Completed" } else { "Error" },
                                                     "startedAt": since, "finishedAt": stamp}});
                    container_states(&mut n, term, false);
                    Ok(Some(n))
                });
                let conds = if ok {
                    json!([
                        {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp},
                        {"type": "Complete", "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp},
                    ])
                } else {
                    json!([
                        {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                         "message": "Job has reached the specified backoff limit", "lastProbeTime": stamp, "lastTransitionTime": stamp},
                        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                         "message": "Job has reached the specified backoff limit", "lastProbeTime": stamp, "lastTransitionTime": stamp},
                    ])
                };
                self.set_job_status(ns, name, |st| {
                    if let Some(m) = st.as_object_mut() {
                        m.remove("active");
                    }
                    st["ready"] = json!(0);
                    st[if ok { "succeeded" } else { "failed" }] = json!(1);
                    if ok {
                        st["completionTime"] = json!(stamp);
                    }
                    st["conditions"] = conds;
                });
                let (kind, reason, msg) = if ok {
                    ("Normal", "Completed", "Job completed".to_string())
                } else {
                    (
                        "Warning",
                        "BackoffLimitExceeded",
                        "Job has reached the specified backoff limit".to_string(),
                    )
                };
                self.recorder
                    .record(&job, kind, reason, &msg, "job-controller");
                false
            }
            _ => false,
        }
    }

    fn set_job_status(&mut self, ns: &str, name: &str, f: impl FnOnce(&mut Value)) {
        let _ = self.store.update(ids::JOBS, ns, name, false, |cur| {
            let mut n = cur.clone();
            if !n["status"].is_object() {
                n["status"] = json!({});
            }
            f(&mut n["status"]);
            Ok(Some(n))
        });
    }
}

/// The simulated log of a Job's pod: a training run's, a line a second
/// from its start up to its end, or a batch scorer's (container
/// `batch-scorer`: `modeldeck_sandbox::batch::scoring_log`, ending with
/// its error when it failed; an Argo Workflow's `main` step container
/// likewise); `None` for pods no Job or Workflow owns.
pub fn training_log(pod: &Value, now_ms: i64) -> Option<Vec<String>> {
    let owned = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|rs| {
            rs.iter()
                .any(|r| r["kind"] == "Job" || r["kind"] == "Workflow")
        });
    if !owned {
        return None;
    }
    let start = pod
        .pointer("/status/startTime")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)?;
    let term = pod.pointer("/status/containerStatuses/0/state/terminated");
    let end = term
        .and_then(|t| t["finishedAt"].as_str())
        .and_then(parse_rfc3339)
        .unwrap_or(now_ms);
    let c = pod
        .pointer("/spec/containers/0")
        .cloned()
        .unwrap_or_default();
    let env = |k: &str| {
        c["env"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["name"] == k))
            .and_then(|e| e["value"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let exit = term.and_then(|t| t["exitCode"].as_i64());
    // An Argo step's container is `main`: a pipeline's scoring step.
    if c["name"] == "batch-scorer" || c["name"] == "main" {
        return Some(modeldeck_sandbox::batch::scoring_log(
            &env("MODEL_NAME"),
            &env("MODEL_VERSION"),
            Timestamp(start),
            Timestamp(end),
            term.is_some(),
            exit.is_some_and(|c| c != 0),
        ));
    }
    Some(modeldeck_sandbox::retrain::training_log(
        &env("MODEL_NAME"),
        c["image"].as_str().unwrap_or(""),
        &env("TRAINING_DATA"),
        start,
        end,
        term.map(|_| exit.unwrap_or(-1)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_get_a_generated_selector_and_must_not_restart_always() {
        let mut j = json!({"metadata": {"name": "t-manual-x", "uid": "u-1"},
            "spec": {"template": {"metadata": {"labels": {"app": "t"}}, "spec": {"restartPolicy": "Never"}}}});
        default_job(&mut j);
        assert_eq!(j["spec"]["backoffLimit"], 6);
        assert_eq!(j["spec"]["selector"]["matchLabels"][CONTROLLER_UID], "u-1");
        assert_eq!(
            j["spec"]["template"]["metadata"]["labels"]["job-name"],
            "t-manual-x"
        );
        assert_eq!(j["spec"]["template"]["metadata"]["labels"]["app"], "t");
        let mut causes = Vec::new();
        validate_job(&j, &mut causes);
        assert!(causes.is_empty());
        j["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        validate_job(&j, &mut causes);
        assert!(causes[0].1.contains("Unsupported value"), "{causes:?}");
    }
}
