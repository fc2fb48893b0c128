//! Kubeflow Pipelines' recurring runs as batch workloads of kind
//! [`WorkloadKind::Pipeline`](modeldeck_core::domain::WorkloadKind::Pipeline),
//! like Argo's CronWorkflows ([`crate::argo`], which discovers both and
//! keeps what each context serves). A recurring run is a `ScheduledWorkflow`
//! (`kubeflow.org/v1beta1`) bound by the binding label; each run it
//! triggers is an Argo `Workflow` labelled [`RUN_LABEL`]`=<name>`, read as
//! [`crate::argo::workflow_run`] reads any Workflow (phase, times, model
//! version), and the failed run's pod log as for a CronWorkflow.
//!
//! The schedule is `spec.trigger.cronSchedule.cron`: KFP's cron has a
//! seconds field first (`0 0 2 * * *`), dropped when it is `0` so that the
//! Fleet computes the next run and missed runs from the five fields as for
//! a CronJob (kept as written otherwise, which the Fleet notes as a
//! schedule it cannot read). A periodic trigger
//! (`spec.trigger.periodicSchedule.intervalSecond`) reads `@every <n>s`.
//! `spec.enabled` not `true` is suspended (KFP's controller starts nothing
//! then); `status.trigger.lastTriggeredTime` is the last run's schedule;
//! `status.workflowHistory.active` the runs in flight.

use crate::argo::{ScheduleFacts, pipeline_workload, str_at, ts};
use crate::config::BindingConfig;
use crate::pipelines::{PipelineKind, list_pipelines};
use kube::Client;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind};
use modeldeck_core::domain::{BatchRun, Workload};
use modeldeck_core::error::PortResult;
use serde_json::Value;

/// Kubeflow's API group.
pub const GROUP: &str = "kubeflow.org";
/// The served version of `ScheduledWorkflow`.
pub const VERSION: &str = "v1beta1";
/// The label KFP's ScheduledWorkflow controller puts on the Workflows it
/// starts, naming the ScheduledWorkflow.
pub const RUN_LABEL: &str = "scheduledworkflows.kubeflow.org/scheduledWorkflowName";

/// `scheduledworkflows.kubeflow.org`.
pub fn scheduled_workflow_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(GROUP, VERSION, "ScheduledWorkflow"),
        "scheduledworkflows",
    )
}

/// A KFP cron (six fields, seconds first) as five-field cron when its
/// seconds are `0`; anything else as written.
pub fn five_field_cron(cron: &str) -> String {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    match fields.as_slice() {
        ["0", rest @ ..] if rest.len() == 5 => rest.join(" "),
        _ => cron.trim().to_string(),
    }
}

/// The schedule of a ScheduledWorkflow's `spec.trigger`.
pub fn schedule(d: &Value) -> String {
    if let Some(c) = str_at(d, "/spec/trigger/cronSchedule/cron") {
        return five_field_cron(c);
    }
    match d
        .pointer("/spec/trigger/periodicSchedule/intervalSecond")
        .and_then(Value::as_i64)
    {
        Some(n) => format!("@every {n}s"),
        None => String::new(),
    }
}

/// `spec.workflow.spec`: an Argo workflow spec (older KFP versions store it
/// as a JSON string).
fn workflow_spec(d: &Value) -> Option<Value> {
    match d.pointer("/spec/workflow/spec")? {
        Value::String(s) => serde_json::from_str(s).ok(),
        v => Some(v.clone()),
    }
}

/// A bound ScheduledWorkflow with `runs` (its Workflows, any order); the
/// served version is the binding annotation of its workflow's
/// `podMetadata` or of the ScheduledWorkflow, else a template's
/// `MODEL_VERSION`.
pub fn scheduled_workflow(
    b: &BindingConfig,
    cluster: &str,
    o: &DynamicObject,
    runs: Vec<BatchRun>,
) -> Option<Workload> {
    let d = &o.data;
    let spec = workflow_spec(d);
    let facts = ScheduleFacts {
        schedule: schedule(d),
        time_zone: None,
        suspended: d.pointer("/spec/enabled").and_then(Value::as_bool) != Some(true),
        active: d
            .pointer("/status/workflowHistory/active")
            .and_then(Value::as_array)
            .map(|a| a.len() as u32),
        last_schedule: ts(d.pointer("/status/trigger/lastTriggeredTime")),
        workflow_spec: spec.as_ref(),
        workflow_annotations: None,
    };
    pipeline_workload(b, cluster, o, facts, runs)
}

/// The bound ScheduledWorkflows of `namespaces` (`None`: all) with their
/// runs.
pub async fn list(
    b: &BindingConfig,
    client: &Client,
    ctx: &str,
    namespaces: &[Option<String>],
) -> PortResult<Vec<Workload>> {
    let kind = PipelineKind {
        resource: scheduled_workflow_resource(),
        what: "listing scheduledworkflows.kubeflow.org",
        run_label: RUN_LABEL,
        workload: scheduled_workflow,
    };
    list_pipelines(b, client, ctx, namespaces, &kind).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::argo::{spec_version, workflow_run};
    use modeldeck_core::domain::{RolloutState, RunOutcome, Timestamp};
    use serde_json::json;

    fn obj(v: Value) -> DynamicObject {
        serde_json::from_value(v).unwrap()
    }

    fn swf(spec: Value, annotations: Value) -> DynamicObject {
        obj(
            json!({"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
            "metadata": {"name": "nightly", "namespace": "ml", "labels": {"modeldeck.io/model": "churn"},
                         "annotations": annotations},
            "spec": spec,
            "status": {"trigger": {"lastTriggeredTime": "2026-12-05T02:00:00Z",
                                   "nextTriggeredTime": "2026-12-06T02:00:00Z"}}}),
        )
    }

    #[test]
    fn kfp_cron_drops_its_seconds_field_when_zero() {
        assert_eq!(five_field_cron("0 0 2 * * *"), "0 2 * * *");
        assert_eq!(five_field_cron(" 0 30 */4 * * 1-5 "), "30 */4 * * 1-5");
        assert_eq!(five_field_cron("15 0 2 * * *"), "15 0 2 * * *");
        assert_eq!(five_field_cron("0 2 * * *"), "0 2 * * *");
        assert_eq!(five_field_cron("@daily"), "@daily");
    }

    #[test]
    fn a_scheduled_workflow_is_a_pipeline() {
        let b = BindingConfig::default();
        let on = swf(
            json!({"enabled": true, "maxConcurrency": 1,
            "trigger": {"cronSchedule": {"cron": "0 0 2 * * *"}},
            "workflow": {"spec": {"entrypoint": "main",
                "templates": [{"name": "main", "container": {"env": [{"name": "MODEL_VERSION", "value": "4"}]}}]}}}),
            json!({}),
        );
        let w = scheduled_workflow(&b, "prod", &on, Vec::new()).unwrap();
        let batch = w.batch.clone().unwrap();
        assert_eq!(batch.schedule, "0 2 * * *");
        assert!(!batch.suspended);
        assert_eq!(w.rollout, RolloutState::Idle);
        assert_eq!(w.served_version.as_deref(), Some("4"));
        assert_eq!(
            batch.last_schedule,
            Timestamp::parse_rfc3339("2026-12-05T02:00:00Z")
        );
        // Disabled (or `enabled` left out: Go omits false) is suspended;
        // a periodic trigger; a spec stored as a string.
        let off = swf(
            json!({"trigger": {"periodicSchedule": {"intervalSecond": 3600}},
            "workflow": {"spec": "{\"entrypoint\": \"main\"}"}}),
            json!({"modeldeck.io/model-version": "3"}),
        );
        let w = scheduled_workflow(&b, "prod", &off, Vec::new()).unwrap();
        let batch = w.batch.unwrap();
        assert!(batch.suspended);
        assert_eq!(w.rollout, RolloutState::Suspended);
        assert_eq!(batch.schedule, "@every 3600s");
        assert_eq!(w.served_version.as_deref(), Some("3"));
    }

    #[test]
    fn its_runs_are_sorted_and_give_the_last_success() {
        let b = BindingConfig::default();
        let run = |job: &str, start: i64, end: Option<i64>, outcome| BatchRun {
            job: job.into(),
            start: Timestamp(start),
            end: end.map(Timestamp),
            outcome,
            version: None,
            rows: None,
        };
        let runs = vec![
            run("b", 2_000, None, RunOutcome::Running),
            run("a", 1_000, Some(1_500), RunOutcome::Succeeded),
        ];
        let on = swf(
            json!({"enabled": true, "trigger": {"cronSchedule": {"cron": "0 0 2 * * *"}}}),
            json!({}),
        );
        let w = scheduled_workflow(&b, "prod", &on, runs).unwrap();
        let batch = w.batch.unwrap();
        assert_eq!(
            batch
                .runs
                .iter()
                .map(|r| r.job.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(
            (batch.active, batch.last_success),
            (1, Some(Timestamp(1_500)))
        );
        assert_eq!(w.rollout, RolloutState::Available);
        let unbound = obj(
            json!({"apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
            "metadata": {"name": "x", "namespace": "ml"}, "spec": {}}),
        );
        assert!(scheduled_workflow(&b, "prod", &unbound, Vec::new()).is_none());
    }

    // The run code both kinds share (crate::argo).
    #[test]
    fn a_workflow_is_a_run_in_every_phase() {
        let b = BindingConfig::default();
        let wf = |phase: &str, end: Option<&str>| {
            obj(
                json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": "p-1", "namespace": "ml", "creationTimestamp": "2026-12-01T03:00:00Z"},
                "spec": {"podMetadata": {"annotations": {"modeldeck.io/model-version": "7"}}},
                "status": {"phase": phase, "startedAt": "2026-12-01T03:00:02Z", "finishedAt": end}}),
            )
        };
        let end = Some("2026-12-01T03:40:02Z");
        let r = workflow_run(&b, &wf("Succeeded", end));
        assert_eq!(
            (r.outcome, r.duration_seconds(), r.version.as_deref()),
            (RunOutcome::Succeeded, Some(2400), Some("7"))
        );
        assert_eq!(
            workflow_run(&b, &wf("Failed", end)).outcome,
            RunOutcome::Failed
        );
        assert_eq!(
            workflow_run(&b, &wf("Error", end)).outcome,
            RunOutcome::Failed
        );
        for phase in ["Pending", "Running", ""] {
            let r = workflow_run(&b, &wf(phase, None));
            assert_eq!((r.outcome, r.end), (RunOutcome::Running, None), "{phase}");
        }
    }

    #[test]
    fn the_version_comes_from_pod_metadata_annotations_or_env() {
        let b = BindingConfig::default();
        let env = json!({"templates": [{"name": "train", "container": {"env": [{"name": "MODEL_VERSION", "value": "4"}]}}]});
        assert_eq!(spec_version(&b, &env, &Value::Null).as_deref(), Some("4"));
        let ann = json!({"modeldeck.io/model-version": "5"});
        assert_eq!(spec_version(&b, &env, &ann).as_deref(), Some("5"));
        assert_eq!(spec_version(&b, &json!({}), &Value::Null), None);
    }
}
