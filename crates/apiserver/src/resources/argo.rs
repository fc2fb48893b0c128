//! Argo Workflows' `WorkflowTemplate`, `Workflow` and `CronWorkflow`
//! (argoproj.io/v1alpha1), and Kubeflow Pipelines' `ScheduledWorkflow`
//! (kubeflow.org/v1beta1, a recurring run whose runs are Workflows),
//! served like the modeldeck.io types: only while their
//! CustomResourceDefinition is installed. Stored as sent (no Argo
//! controller runs here: a Workflow keeps whatever status it is given), so
//! `modeldeck retrain` can be shown creating a Workflow from a template as
//! Kubeflow Pipelines v2 runs on Argo.

use super::{ResourceType, res};

/// `workflowtemplates.argoproj.io`.
pub const WORKFLOW_TEMPLATES: ResourceType = ResourceType {
    short_names: &["wftmpl"],
    generation: true,
    strategic: false,
    ..res(
        "argoproj.io",
        "v1alpha1",
        "workflowtemplates",
        "workflowtemplate",
        "WorkflowTemplate",
        true,
    )
};

/// `workflows.argoproj.io` (Argo keeps `status` in the main resource).
pub const WORKFLOWS: ResourceType = ResourceType {
    short_names: &["wf"],
    generation: true,
    strategic: false,
    ..res(
        "argoproj.io",
        "v1alpha1",
        "workflows",
        "workflow",
        "Workflow",
        true,
    )
};

/// `cronworkflows.argoproj.io`: a schedule of Workflows (the Fleet's
/// pipelines). Stored as sent, like the others.
pub const CRON_WORKFLOWS: ResourceType = ResourceType {
    short_names: &["cwf", "cronwf"],
    generation: true,
    strategic: false,
    ..res(
        "argoproj.io",
        "v1alpha1",
        "cronworkflows",
        "cronworkflow",
        "CronWorkflow",
        true,
    )
};

/// `scheduledworkflows.kubeflow.org`: a Kubeflow Pipelines recurring run
/// (its runs are Workflows). Stored as sent: no KFP controller runs here.
pub const SCHEDULED_WORKFLOWS: ResourceType = ResourceType {
    short_names: &["swf"],
    generation: true,
    strategic: false,
    ..res(
        "kubeflow.org",
        "v1beta1",
        "scheduledworkflows",
        "scheduledworkflow",
        "ScheduledWorkflow",
        true,
    )
};
