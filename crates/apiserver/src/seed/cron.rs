//! CronJobs in the seed: the status the CronJob controller leaves, and the
//! Jobs (with their finished pods) of the runs the world records
//! (`BatchStatus::runs`), as the controller would have made them: named
//! `<cronjob>-<minutes since the epoch>`, owned by the CronJob, each with
//! the pod template of the model version it ran. The CronJob's history
//! limits are raised to keep a week of them, and its job template carries
//! the duration and outcome later runs have (`run-seconds`: the typical
//! duration; `exit-code` 1 while the last finished run failed).

use super::Seed;
use crate::controller::cronjob::SCHEDULED_ANNOTATION;
use crate::controller::job::{EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION, pod_name};
use modeldeck_core::domain::{
    BatchRun, RolloutState, RunOutcome, Timestamp, Workload, typical_duration_seconds,
};
use serde_json::{Map, Value, json};

/// History limits of a seeded CronJob with runs (a week of nightly runs).
pub(super) const HISTORY_LIMIT: usize = 7;

/// A CronJob's status as the CronJob controller leaves it: the last run's
/// schedule time, the last success, and the Job in flight (the world's
/// record, `Workload::batch`).
pub(super) fn status(w: &Workload) -> Value {
    let Some(b) = &w.batch else {
        return json!({});
    };
    let mut status = Map::new();
    if let Some(t) = b.last_schedule {
        status.insert("lastScheduleTime".into(), json!(t.rfc3339()));
        if b.active > 0 {
            let job = format!("{}-{}", w.id.name, t.0 / 60_000);
            status.insert(
                "active".into(),
                json!([{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                        "namespace": w.id.namespace}]),
            );
        }
    }
    if let Some(t) = b.last_success {
        status.insert("lastSuccessfulTime".into(), json!(t.rfc3339()));
    }
    Value::Object(status)
}

/// The CronJob's uid (the world's, else one made from its place).
pub(super) fn uid_of(w: &Workload) -> String {
    if w.uid.is_empty() {
        format!("cronjob-{}-{}-{}", w.id.cluster, w.id.namespace, w.id.name)
    } else {
        w.uid.clone()
    }
}

/// Sets the spec fields that make later runs behave as recorded ones did,
/// and raises the history limits.
pub(super) fn shape_spec(w: &Workload, spec: &mut Value) {
    let Some(b) = w.batch.as_ref().filter(|b| !b.runs.is_empty()) else {
        return;
    };
    spec["successfulJobsHistoryLimit"] = json!(HISTORY_LIMIT);
    spec["failedJobsHistoryLimit"] = json!(HISTORY_LIMIT);
    spec["concurrencyPolicy"] = json!("Forbid");
    let secs = typical_duration_seconds(&b.runs).unwrap_or(60);
    let last_failed = b
        .runs
        .iter()
        .filter(|r| r.outcome != RunOutcome::Running)
        .max_by_key(|r| r.start)
        .is_some_and(|r| r.outcome == RunOutcome::Failed);
    let ann = &mut spec["jobTemplate"]["spec"]["template"]["metadata"]["annotations"];
    ann[RUN_SECONDS_ANNOTATION] = json!(secs.to_string());
    ann[EXIT_CODE_ANNOTATION] = json!(if last_failed { "1" } else { "0" });
}

/// The Jobs and pods of the kept runs (the newest [`HISTORY_LIMIT`]
/// successes and failures, and any running), `template_of` giving the pod
/// template of a version.
pub(super) fn run_objects(
    w: &Workload,
    job_template: &Value,
    template_of: impl Fn(&str) -> Value,
) -> Vec<Value> {
    let Some(b) = &w.batch else {
        return Vec::new();
    };
    let mut runs: Vec<&BatchRun> = b.runs.iter().collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.start));
    let (mut ok, mut failed) = (0, 0);
    let mut out = Vec::new();
    for r in runs {
        let count = match r.outcome {
            RunOutcome::Succeeded => &mut ok,
            RunOutcome::Failed => &mut failed,
            RunOutcome::Running => &mut 0,
        };
        *count += 1;
        if *count > HISTORY_LIMIT {
            continue;
        }
        let mut tmpl = template_of(r.version.as_deref().unwrap_or("1"));
        tmpl["spec"]["restartPolicy"] = json!("OnFailure");
        tmpl["metadata"]["annotations"][RUN_SECONDS_ANNOTATION] = job_template
            .pointer("/spec/template/metadata/annotations")
            .and_then(|a| a.get(RUN_SECONDS_ANNOTATION))
            .cloned()
            .unwrap_or(json!("60"));
        // A finished run's outcome is recorded; a running one ends as the
        // CronJob's template says later runs do.
        let code = match r.outcome {
            RunOutcome::Failed => json!("1"),
            RunOutcome::Succeeded => json!("0"),
            RunOutcome::Running => job_template
                .pointer("/spec/template/metadata/annotations")
                .and_then(|a| a.get(EXIT_CODE_ANNOTATION))
                .cloned()
                .unwrap_or(json!("0")),
        };
        tmpl["metadata"]["annotations"][EXIT_CODE_ANNOTATION] = code;
        let (job, pod) = run_pair(w, r, tmpl);
        out.push(job);
        out.push(pod);
    }
    out
}

fn run_pair(w: &Workload, r: &BatchRun, tmpl: Value) -> (Value, Value) {
    let cj_uid = uid_of(w);
    let minute = r.start.0 / 60_000;
    let job_uid = format!("{cj_uid}-job-{minute}");
    let start = r.start.rfc3339();
    let scheduled = Timestamp(minute * 60_000).rfc3339();
    let end = r.end.map(Timestamp::rfc3339);
    let ns = &w.id.namespace;
    let mut labels = tmpl["metadata"]["labels"].clone();
    let mut status = json!({"startTime": start});
    let mut pod_status = json!({"phase": "Running", "startTime": start, "qosClass": "BestEffort",
        "podIP": "10.244.9.9"});
    let container = tmpl["spec"]["containers"][0]["name"].clone();
    let image = tmpl["spec"]["containers"][0]["image"].clone();
    match (r.outcome, &end) {
        (RunOutcome::Running, _) | (_, None) => {
            status["active"] = json!(1);
            status["ready"] = json!(1);
            pod_status["containerStatuses"] = json!([{"name": container, "image": image, "imageID": "",
                "ready": true, "started": true, "restartCount": 0, "state": {"running": {"startedAt": start}}}]);
        }
        (outcome, Some(e)) => {
            let ok = outcome == RunOutcome::Succeeded;
            status["ready"] = json!(0);
            status[if ok { "succeeded" } else { "failed" }] = json!(1);
            let cond = |t: &str| {
                let mut c = json!({"type": t, "status": "True", "lastProbeTime": e, "lastTransitionTime": e});
                if !ok {
                    c["reason"] = json!("BackoffLimitExceeded");
                    c["message"] = json!("Job has reached the specified backoff limit");
                }
                c
            };
            if ok {
                status["completionTime"] = json!(e);
                status["conditions"] = json!([cond("SuccessCriteriaMet"), cond("Complete")]);
            } else {
                status["conditions"] = json!([cond("FailureTarget"), cond("Failed")]);
            }
            pod_status["phase"] = json!(if ok { "Succeeded" } else { "Failed" });
            pod_status.as_object_mut().map(|m| m.remove("podIP"));
            let code = i32::from(!ok);
            let reason = if ok { "Completed" } else { "Error" };
            pod_status["containerStatuses"] = json!([{"name": container, "image": image, "imageID": "",
                "ready": false, "started": false, "restartCount": 0,
                "state": {"terminated": {"exitCode": code, "reason": reason, "startedAt": start, "finishedAt": e}}}]);
        }
    }
    let job = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": r.job, "namespace": ns, "uid": job_uid, "creationTimestamp": start,
            "labels": labels.clone(),
            "annotations": {SCHEDULED_ANNOTATION: scheduled},
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": w.id.name,
                                 "uid": cj_uid, "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": {"backoffLimit": 0, "template": tmpl.clone()},
        "status": status,
    });
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", &job_uid),
        ("batch.kubernetes.io/job-name", &r.job),
        ("controller-uid", &job_uid),
        ("job-name", &r.job),
    ] {
        labels[k] = json!(v);
    }
    let mut spec = tmpl["spec"].clone();
    spec["nodeName"] = json!("sandbox-node-1");
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(&r.job, &job_uid), "namespace": ns, "creationTimestamp": start,
            "labels": labels,
            "annotations": tmpl["metadata"]["annotations"],
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": r.job, "uid": job_uid,
                                 "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": spec,
        "status": pod_status,
    });
    (job, pod)
}

/// A CronJob, and the Jobs and pods of its recorded runs.
pub(super) fn cron_job(w: &Workload, model: &str, version: &str, seed: &mut Seed) {
    let mut tmpl = super::pod_template(w, model, version, "batch-scorer");
    tmpl["spec"]["restartPolicy"] = json!("OnFailure");
    let mut m = super::meta(w, model);
    let has_runs = w.batch.as_ref().is_some_and(|b| !b.runs.is_empty());
    if has_runs {
        m["uid"] = json!(uid_of(w));
    }
    let mut obj = json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": m,
        "spec": {
            "schedule": w.batch.as_ref().map_or("0 * * * *", |b| b.schedule.as_str()),
            "suspend": w.rollout == RolloutState::Suspended,
            "jobTemplate": {"metadata": {"labels": super::labels(w, model)}, "spec": {"template": tmpl}},
        },
        "status": status(w),
    });
    shape_spec(w, &mut obj["spec"]);
    let runs = run_objects(w, &obj["spec"]["jobTemplate"], |v| {
        let mut t = super::pod_template(w, model, v, "batch-scorer");
        if let Some(l) = t["metadata"]["labels"].as_object_mut() {
            l.extend(super::labels(w, model));
        }
        t
    });
    seed.objects.push(obj);
    seed.objects.extend(runs);
}
