//! A stand-in for the CronJob controller (simulated, not Kubernetes' own,
//! after `pkg/controller/cronjob/cronjob_controllerv2.go`): on each
//! schedule time (five-field cron, UTC, read with the controllers'
//! [`super::Clock`]) it creates a Job `<cronjob>-<minutes since the epoch>`
//! from `spec.jobTemplate` (its labels and annotations, the
//! `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation, a
//! controller ownerReference to the CronJob); the Job controller then makes
//! its pod. The CronJob's `status.active`, `lastScheduleTime` and
//! `lastSuccessfulTime` follow as the real controller keeps them; finished
//! Jobs beyond `successfulJobsHistoryLimit` (3) and
//! `failedJobsHistoryLimit` (1) are deleted, oldest first, with their pods.
//! `suspend`, `startingDeadlineSeconds` and `concurrencyPolicy` (Allow,
//! Forbid, Replace) are honoured. Only the most recent missed time is run,
//! as the real controller does.

use super::Controller;
use crate::resources::ids;
use crate::time::parse_rfc3339;
use crate::write;
use modeldeck_core::cron::Schedule;
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;

/// Job annotation: the schedule time the Job was made for.
pub const SCHEDULED_ANNOTATION: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

fn finished(job: &Value) -> Option<bool> {
    let cs = job.pointer("/status/conditions")?.as_array()?;
    let on = |t: &str| cs.iter().any(|c| c["type"] == t && c["status"] == "True");
    if on("Complete") {
        Some(true)
    } else if on("Failed") {
        Some(false)
    } else {
        None
    }
}

/// When a finished Job ended (its completion, else its `Failed`
/// condition's transition), in ms.
fn ended_ms(job: &Value) -> Option<i64> {
    let t = job
        .pointer("/status/completionTime")
        .and_then(Value::as_str);
    let failed = || {
        job.pointer("/status/conditions")?
            .as_array()?
            .iter()
            .find(|c| c["type"] == "Failed")?["lastTransitionTime"]
            .as_str()
    };
    t.or_else(failed).and_then(parse_rfc3339)
}

fn created_ms(o: &Value) -> i64 {
    o.pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
        .unwrap_or(0)
}

fn owned_by(job: &Value, uid: &str) -> bool {
    job.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|rs| {
            rs.iter()
                .any(|r| r["controller"] == true && r["uid"] == uid)
        })
}

fn job_ref(job: &Value) -> Value {
    let m = &job["metadata"];
    json!({"apiVersion": "batch/v1", "kind": "Job", "name": m["name"], "namespace": m["namespace"],
           "uid": m["uid"], "resourceVersion": m["resourceVersion"]})
}

/// The Job a CronJob makes for the run scheduled at `at`.
pub fn job_for(cj: &Value, at: Timestamp, now: Timestamp) -> Value {
    let m = &cj["metadata"];
    let name = format!("{}-{}", m["name"].as_str().unwrap_or(""), at.0 / 60_000);
    let tmpl = &cj["spec"]["jobTemplate"];
    let mut ann = tmpl
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or(json!({}));
    if !ann.is_object() {
        ann = json!({});
    }
    ann[SCHEDULED_ANNOTATION] = json!(at.rfc3339());
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": m["namespace"],
            "creationTimestamp": now.rfc3339(),
            "labels": tmpl.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
            "annotations": ann,
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": m["name"],
                                 "uid": m["uid"], "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": tmpl["spec"].clone(),
    })
}

impl Controller {
    /// Reconciles one CronJob at the controllers' clock; true while it is
    /// scheduled (so it is looked at again next pass).
    pub(super) fn reconcile_cronjob(&mut self, ns: &str, name: &str) -> bool {
        let Some(cj) = self.store.get(ids::CRONJOBS, ns, name) else {
            return false;
        };
        let now = self.cfg.clock.now();
        let uid = cj["metadata"]["uid"].as_str().unwrap_or("").to_string();
        let mut jobs: Vec<Arc<Value>> = self
            .store
            .all(ids::JOBS)
            .into_iter()
            .filter(|j| j["metadata"]["namespace"] == ns && owned_by(j, &uid))
            .collect();
        jobs.sort_by_key(|j| created_ms(j));
        // Jobs that finished since the last look.
        let was_active: Vec<String> = cj
            .pointer("/status/active")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r["name"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for j in &jobs {
            let jn = j["metadata"]["name"].as_str().unwrap_or("");
            if let Some(ok) = finished(j).filter(|_| was_active.iter().any(|a| a == jn)) {
                let st = if ok { "Complete" } else { "Failed" };
                let msg = format!("Saw completed job: {jn}, status: {st}");
                self.recorder
                    .record(&cj, "Normal", "SawCompletedJob", &msg, "cronjob-controller");
            }
        }
        let mut active: Vec<Value> = jobs
            .iter()
            .filter(|j| finished(j).is_none())
            .map(|j| job_ref(j))
            .collect();
        let last_success = jobs
            .iter()
            .filter(|j| finished(j) == Some(true))
            .filter_map(|j| ended_ms(j))
            .max();
        let spec = &cj["spec"];
        let suspended = spec["suspend"] == true;
        let mut last_schedule = cj
            .pointer("/status/lastScheduleTime")
            .and_then(Value::as_str)
            .and_then(parse_rfc3339);
        let schedule = Schedule::parse(
            spec["schedule"].as_str().unwrap_or(""),
            spec["timeZone"].as_str(),
        );
        if let (false, Ok(s)) = (suspended, &schedule) {
            let since = last_schedule.unwrap_or_else(|| created_ms(&cj));
            let due = s.prev_at_or_before(now).filter(|d| d.0 > since);
            let deadline = spec["startingDeadlineSeconds"].as_i64();
            let too_late = |d: Timestamp| deadline.is_some_and(|s| now.0 - d.0 > s * 1000);
            if let Some(d) = due {
                if too_late(d) {
                    // As the real controller: the miss is reported (here once
                    // per time) and `lastScheduleTime` stays as it was.
                    if self.missed.insert((uid.clone(), d.0)) {
                        let msg = format!("Missed scheduled time to start a job: {}", d.rfc3339());
                        self.recorder.record(
                            &cj,
                            "Warning",
                            "MissSchedule",
                            &msg,
                            "cronjob-controller",
                        );
                    }
                } else {
                    match spec["concurrencyPolicy"].as_str().unwrap_or("Allow") {
                        "Forbid" if !active.is_empty() => {
                            // Not started, and tried again next pass while due.
                            let _ = due;
                        }
                        policy => {
                            if policy == "Replace" {
                                for a in std::mem::take(&mut active) {
                                    let jn = a["name"].as_str().unwrap_or("");
                                    if write::delete(
                                        &self.store,
                                        ids::JOBS,
                                        ns,
                                        jn,
                                        None,
                                        false,
                                        false,
                                    )
                                    .is_ok()
                                    {
                                        let msg = format!("Deleted job {jn}");
                                        self.recorder.record(
                                            &cj,
                                            "Normal",
                                            "SuccessfulDelete",
                                            &msg,
                                            "cronjob-controller",
                                        );
                                    }
                                }
                            }
                            let body = job_for(&cj, d, now);
                            let jn = body["metadata"]["name"].as_str().unwrap_or("").to_string();
                            match write::seed(&self.store, ids::JOBS, body) {
                                Ok(j) => {
                                    active.push(job_ref(&j));
                                    let msg = format!("Created job {jn}");
                                    self.recorder.record(
                                        &cj,
                                        "Normal",
                                        "SuccessfulCreate",
                                        &msg,
                                        "cronjob-controller",
                                    );
                                    self.dirty.insert((ids::JOBS, ns.to_string(), jn));
                                }
                                Err(e) => {
                                    let msg = format!("Error creating job: {}", e.message);
                                    self.recorder.record(
                                        &cj,
                                        "Warning",
                                        "FailedCreate",
                                        &msg,
                                        "cronjob-controller",
                                    );
                                }
                            }
                            last_schedule = Some(d.0);
                        }
                    }
                }
            }
        }
        self.prune_history(&cj, &jobs);
        let status_now = cj["status"].clone();
        let mut st = if status_now.is_object() {
            status_now.clone()
        } else {
            json!({})
        };
        if let Some(o) = st.as_object_mut() {
            if active.is_empty() {
                o.remove("active");
            } else {
                o.insert("active".into(), json!(active));
            }
            if let Some(t) = last_schedule {
                o.insert("lastScheduleTime".into(), json!(Timestamp(t).rfc3339()));
            }
            let known = o
                .get("lastSuccessfulTime")
                .and_then(Value::as_str)
                .and_then(parse_rfc3339);
            if let Some(t) = last_success.filter(|&t| known.is_none_or(|k| t > k)) {
                o.insert("lastSuccessfulTime".into(), json!(Timestamp(t).rfc3339()));
            }
        }
        if st != status_now {
            let _ = self.store.update(ids::CRONJOBS, ns, name, false, |cur| {
                let mut n = cur.clone();
                n["status"] = st.clone();
                Ok(Some(n))
            });
        }
        !suspended && schedule.is_ok()
    }

    /// Deletes finished Jobs beyond the history limits, oldest first.
    fn prune_history(&mut self, cj: &Value, jobs: &[Arc<Value>]) {
        let ns = cj["metadata"]["namespace"].as_str().unwrap_or("");
        let limit = |k: &str, d: i64| cj["spec"][k].as_i64().unwrap_or(d).max(0) as usize;
        for (ok, keep) in [
            (true, limit("successfulJobsHistoryLimit", 3)),
            (false, limit("failedJobsHistoryLimit", 1)),
        ] {
            let mut done: Vec<&Arc<Value>> =
                jobs.iter().filter(|j| finished(j) == Some(ok)).collect();
            done.sort_by_key(|j| ended_ms(j).unwrap_or_else(|| created_ms(j)));
            let extra = done.len().saturating_sub(keep);
            for j in done.into_iter().take(extra) {
                let jn = j["metadata"]["name"].as_str().unwrap_or("");
                if write::delete(&self.store, ids::JOBS, ns, jn, None, false, false).is_ok() {
                    let msg = format!("Deleted job {jn}");
                    self.recorder.record(
                        cj,
                        "Normal",
                        "SuccessfulDelete",
                        &msg,
                        "cronjob-controller",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "cronjob_tests.rs"]
mod tests;
