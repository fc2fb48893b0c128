//! Pipelines in the seed: an Argo `CronWorkflow` and the `Workflow`s of the
//! runs the world records (`BatchStatus::runs`), as Argo's controller
//! leaves them: each Workflow named `<cronworkflow>-<unix seconds of its
//! schedule>`, labelled `workflows.argoproj.io/cron-workflow`, owned by the
//! CronWorkflow, with `status.phase` (Running, Succeeded, Failed),
//! `startedAt`/`finishedAt`, one pod node per step and the model version
//! in `spec.podMetadata`; plus one pod per run (the `score` step; the one
//! that failed for a failed run) whose log is the world's. Both CRDs are
//! installed, as installing Argo does. No Argo controller runs here: the
//! objects keep the status they were seeded with.
//!
//! A pipeline workload labelled [`ENGINE_LABEL`]`=kubeflow` is seeded as
//! Kubeflow Pipelines leaves a recurring run instead (never in the demo
//! world, whose pipeline is a CronWorkflow): a `ScheduledWorkflow`
//! (kubeflow.org/v1beta1; its cron with KFP's leading seconds field,
//! `enabled` false when suspended, `status.trigger` last and next
//! triggered times) and the same runs as Workflows labelled
//! [`KFP_RUN_LABEL`] and owned by it.

use super::Seed;
use modeldeck_core::domain::{BatchRun, RunOutcome, Timestamp, Workload};
use serde_json::{Value, json};

/// The label Argo puts on the Workflows a CronWorkflow starts.
pub const CRON_LABEL: &str = "workflows.argoproj.io/cron-workflow";
/// The label Argo puts on a Workflow's pods.
pub const WORKFLOW_LABEL: &str = "workflows.argoproj.io/workflow";

/// The label Kubeflow's ScheduledWorkflow controller puts on the Workflows
/// it starts.
pub const KFP_RUN_LABEL: &str = "scheduledworkflows.kubeflow.org/scheduledWorkflowName";
/// The seed option: a pipeline workload with this label set to `kubeflow`
/// is seeded as a Kubeflow `ScheduledWorkflow`.
pub const ENGINE_LABEL: &str = "modeldeck.io/pipeline-engine";

/// The CustomResourceDefinition of an Argo kind (or of Kubeflow's
/// `scheduledworkflows`, group kubeflow.org/v1beta1, whose runs are Argo
/// Workflows).
pub fn crd(plural: &str, kind: &str) -> Value {
    let (group, version) = if plural == "scheduledworkflows" {
        ("kubeflow.org", "v1beta1")
    } else {
        ("argoproj.io", "v1alpha1")
    };
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"kind": kind, "plural": plural, "listKind": format!("{kind}List")},
                 "versions": [{"name": version, "served": true, "storage": true}]}})
}

/// Whether a pipeline workload is seeded as a Kubeflow ScheduledWorkflow.
fn kubeflow(w: &Workload) -> bool {
    w.labels.get(ENGINE_LABEL).map(String::as_str) == Some("kubeflow")
}

fn install_crds(seed: &mut Seed, kinds: &[(&str, &str)]) {
    for (plural, kind) in kinds {
        let c = crd(plural, kind);
        if !seed
            .objects
            .iter()
            .any(|o| o["metadata"]["name"] == c["metadata"]["name"])
        {
            seed.objects.push(c);
        }
    }
}

fn uid_of(w: &Workload) -> String {
    if w.uid.is_empty() {
        format!(
            "cronworkflow-{}-{}-{}",
            w.id.cluster, w.id.namespace, w.id.name
        )
    } else {
        w.uid.clone()
    }
}

fn workflow_spec(model: &str, version: &str) -> Value {
    let step = |name: &str| {
        json!({"name": name, "container": {"image": super::IMAGE, "command": ["python", "-m", name],
            "env": super::env(model, version)}})
    };
    json!({
        "entrypoint": "pipeline",
        "podMetadata": {"annotations": {super::VERSION_ANNOTATION: version}},
        "templates": [
            {"name": "pipeline", "steps": [[{"name": "extract", "template": "extract"}],
                                           [{"name": "score", "template": "score"}]]},
            step("extract"),
            step("score"),
        ],
    })
}

/// A pipeline: the CronWorkflow, and the Workflows and pods of its runs.
pub(super) fn pipeline(w: &Workload, model: &str, version: &str, seed: &mut Seed) {
    if kubeflow(w) {
        return scheduled_workflow(w, model, version, seed);
    }
    install_crds(
        seed,
        &[("cronworkflows", "CronWorkflow"), ("workflows", "Workflow")],
    );
    let mut m = super::meta(w, model);
    m["uid"] = json!(uid_of(w));
    let b = w.batch.clone().unwrap_or_default();
    let mut status = json!({});
    if let Some(t) = b.last_schedule {
        status["lastScheduledTime"] = json!(t.rfc3339());
    }
    let running: Vec<Value> = b
        .runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Running)
        .map(|r| json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": r.job, "namespace": w.id.namespace}))
        .collect();
    status["active"] = json!(running);
    let count = |o: RunOutcome| b.runs.iter().filter(|r| r.outcome == o).count();
    status["succeeded"] = json!(count(RunOutcome::Succeeded));
    status["failed"] = json!(count(RunOutcome::Failed));
    let mut spec = json!({
        "schedule": if b.schedule.is_empty() { "0 3 * * 0" } else { b.schedule.as_str() },
        "suspend": b.suspended,
        "concurrencyPolicy": "Forbid",
        "successfulJobsHistoryLimit": 7,
        "failedJobsHistoryLimit": 7,
        "workflowSpec": workflow_spec(model, version),
    });
    if let Some(tz) = &b.time_zone {
        spec["timezone"] = json!(tz);
    }
    seed.objects.push(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": m,
        "spec": spec,
        "status": status,
    }));
    for r in &b.runs {
        let v = r.version.as_deref().unwrap_or(version);
        seed.objects.extend(run_objects(w, model, v, r));
    }
}

/// A pipeline as Kubeflow Pipelines leaves a recurring run: the
/// ScheduledWorkflow, and the Workflows and pods of its runs.
fn scheduled_workflow(w: &Workload, model: &str, version: &str, seed: &mut Seed) {
    install_crds(
        seed,
        &[
            ("scheduledworkflows", "ScheduledWorkflow"),
            ("workflows", "Workflow"),
        ],
    );
    let mut m = super::meta(w, model);
    m["uid"] = json!(uid_of(w));
    let b = w.batch.clone().unwrap_or_default();
    let schedule = if b.schedule.is_empty() {
        "0 3 * * 0"
    } else {
        b.schedule.as_str()
    };
    let mut trigger = json!({});
    if let Some(t) = b.last_schedule {
        trigger["lastTriggeredTime"] = json!(t.rfc3339());
    }
    let next = modeldeck_core::cron::Schedule::parse(schedule, None)
        .ok()
        .zip(b.last_schedule.or(Some(w.created_at)))
        .and_then(|(s, after)| s.next_after(after));
    if let (Some(n), false) = (next, b.suspended) {
        trigger["nextTriggeredTime"] = json!(n.rfc3339());
    }
    let entry = |r: &BatchRun| {
        let mut e = json!({"name": r.job, "namespace": w.id.namespace, "phase": phase(r.outcome),
            "startedAt": r.start.rfc3339(), "scheduledAt": r.start.rfc3339()});
        if let Some(end) = r.end {
            e["finishedAt"] = json!(end.rfc3339());
        }
        e
    };
    let (active, completed): (Vec<&BatchRun>, Vec<&BatchRun>) = b
        .runs
        .iter()
        .partition(|r| r.outcome == RunOutcome::Running);
    let enabled = if b.suspended { "Disabled" } else { "Enabled" };
    let since = b.last_schedule.unwrap_or(w.created_at).rfc3339();
    seed.objects.push(json!({
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "ScheduledWorkflow",
        "metadata": m,
        "spec": {
            "enabled": !b.suspended,
            "maxConcurrency": 1,
            "maxHistory": 10,
            "noCatchup": true,
            "trigger": {"cronSchedule": {"cron": format!("0 {schedule}")}},
            "workflow": {"spec": workflow_spec(model, version)},
        },
        "status": {
            "conditions": [{"type": enabled, "status": "True", "reason": enabled,
                "lastTransitionTime": since, "lastHeartbeatTime": since}],
            "trigger": trigger,
            "workflowHistory": {"active": active.into_iter().map(entry).collect::<Vec<_>>(),
                                "completed": completed.into_iter().map(entry).collect::<Vec<_>>()},
        },
    }));
    for r in &b.runs {
        let v = r.version.as_deref().unwrap_or(version);
        seed.objects.extend(run_objects(w, model, v, r));
    }
}

fn phase(o: RunOutcome) -> &'static str {
    match o {
        RunOutcome::Running => "Running",
        RunOutcome::Succeeded => "Succeeded",
        RunOutcome::Failed => "Failed",
    }
}

/// A run's Workflow and the pod of its last step (its times are the run's,
/// so its log is the world's log of the run).
fn run_objects(w: &Workload, model: &str, version: &str, r: &BatchRun) -> Vec<Value> {
    let ns = &w.id.namespace;
    let wf_uid = format!("{}-wf-{}", uid_of(w), r.start.0 / 1000);
    let start = r.start.rfc3339();
    let end = r.end.map(Timestamp::rfc3339);
    let outcome = phase(r.outcome);
    // The extract step took the first tenth of the run; score the rest.
    let mid = r
        .end
        .map(|e| Timestamp(r.start.0 + (e.0 - r.start.0) / 10).rfc3339());
    let node = |name: &str, id: &str, ph: &str, from: &str, to: Option<&String>| {
        let mut n = json!({"id": id, "name": format!("{}.{name}", r.job), "displayName": name,
            "type": "Pod", "templateName": name, "phase": ph, "startedAt": from});
        if let Some(t) = to {
            n["finishedAt"] = json!(t);
        }
        if ph == "Failed" {
            n["message"] = json!("Error (exit code 1)");
        }
        n
    };
    let extract_id = format!("{}-1", r.job);
    let score_id = format!("{}-2", r.job);
    let score_from = mid.clone().unwrap_or_else(|| start.clone());
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        r.job.clone(),
        json!({"id": r.job, "name": r.job, "displayName": r.job, "type": "Steps",
            "templateName": "pipeline", "phase": outcome, "startedAt": start,
            "children": [extract_id, score_id]}),
    );
    nodes.insert(
        extract_id.clone(),
        node("extract", &extract_id, "Succeeded", &start, mid.as_ref()),
    );
    nodes.insert(
        score_id.clone(),
        node("score", &score_id, outcome, &score_from, end.as_ref()),
    );
    let mut status = json!({"phase": outcome, "startedAt": start, "nodes": nodes,
        "progress": if r.outcome == RunOutcome::Succeeded { "2/2" } else { "1/2" }});
    if let Some(e) = &end {
        status["finishedAt"] = json!(e);
    }
    if r.outcome == RunOutcome::Failed {
        status["message"] = json!("child 'score' failed");
    }
    let scheduled = r.start.0 / 60_000 * 60;
    let mut labels = json!({"workflows.argoproj.io/phase": outcome,
        "workflows.argoproj.io/completed": (r.outcome != RunOutcome::Running).to_string(),
        super::MODEL_LABEL: model});
    let owner = if kubeflow(w) {
        labels[KFP_RUN_LABEL] = json!(w.id.name);
        labels["scheduledworkflows.kubeflow.org/isOwnedByScheduledWorkflow"] = json!("true");
        labels["scheduledworkflows.kubeflow.org/workflowEpoch"] = json!(scheduled.to_string());
        ("kubeflow.org/v1beta1", "ScheduledWorkflow")
    } else {
        labels[CRON_LABEL] = json!(w.id.name);
        ("argoproj.io/v1alpha1", "CronWorkflow")
    };
    let wf = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": r.job, "namespace": ns, "uid": wf_uid, "creationTimestamp": start,
            "labels": labels,
            "annotations": {"workflows.argoproj.io/scheduled-time": Timestamp(scheduled * 1000).rfc3339()},
            "ownerReferences": [{"apiVersion": owner.0, "kind": owner.1,
                "name": w.id.name, "uid": uid_of(w), "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": workflow_spec(model, version),
        "status": status,
    });
    let (pod_phase, state) = match (r.outcome, &end) {
        (RunOutcome::Running, _) | (_, None) => {
            ("Running", json!({"running": {"startedAt": start}}))
        }
        (o, Some(e)) => {
            let ok = o == RunOutcome::Succeeded;
            (
                if ok { "Succeeded" } else { "Failed" },
                json!({"terminated": {"exitCode": i32::from(!ok),
                    "reason": if ok { "Completed" } else { "Error" },
                    "startedAt": start, "finishedAt": e}}),
            )
        }
    };
    let pod_name = format!("{}-score-{}", r.job, r.start.0 / 1000 % 10_000_000_000);
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name, "namespace": ns, "creationTimestamp": start,
            "labels": {WORKFLOW_LABEL: r.job, "workflows.argoproj.io/completed": (r.outcome != RunOutcome::Running).to_string()},
            "annotations": {"workflows.argoproj.io/node-name": format!("{}.score", r.job),
                            "workflows.argoproj.io/node-id": score_id,
                            super::VERSION_ANNOTATION: version},
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": r.job,
                "uid": wf_uid, "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": {"nodeName": "sandbox-node-1", "restartPolicy": "Never",
                 "containers": [{"name": "main", "image": super::IMAGE, "env": super::env(model, version)}]},
        "status": {"phase": pod_phase, "startTime": start, "qosClass": "BestEffort",
            "containerStatuses": [{"name": "main", "image": super::IMAGE, "imageID": "",
                "ready": pod_phase == "Running", "started": pod_phase == "Running", "restartCount": 0, "state": state}]},
    });
    vec![wf, pod]
}
