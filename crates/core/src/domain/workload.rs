//! Workloads that serve a model: what the cluster says is running.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The kinds of workload Modeldeck binds to a registered model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum WorkloadKind {
    /// An online `apps/v1` Deployment; version in the pod-template annotation.
    Deployment,
    /// A KServe `serving.kserve.io/v1beta1` InferenceService; version in `storageUri`.
    InferenceService,
    /// A `batch/v1` CronJob that scores in batches.
    CronJob,
    /// A long-running streaming consumer (a Deployment or StatefulSet reading a topic).
    StreamConsumer,
    /// A scheduled pipeline: an Argo Workflows `CronWorkflow`
    /// (`argoproj.io/v1alpha1`) whose runs are Workflows; a batch workload
    /// like a CronJob (same `batch` record), but its version lives in the
    /// workflow spec, not in a pod template.
    Pipeline,
}

impl WorkloadKind {
    /// All kinds, in display order.
    pub const ALL: [WorkloadKind; 5] = [
        WorkloadKind::Deployment,
        WorkloadKind::InferenceService,
        WorkloadKind::CronJob,
        WorkloadKind::StreamConsumer,
        WorkloadKind::Pipeline,
    ];

    /// Short label for tables (`deploy`, `isvc`, `cronjob`, `stream`,
    /// `pipeline`).
    pub fn short(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deploy",
            WorkloadKind::InferenceService => "isvc",
            WorkloadKind::CronJob => "cronjob",
            WorkloadKind::StreamConsumer => "stream",
            WorkloadKind::Pipeline => "pipeline",
        }
    }

    /// Whether it runs on a schedule and has a `batch` record (CronJob,
    /// Pipeline).
    pub fn is_batch(self) -> bool {
        matches!(self, WorkloadKind::CronJob | WorkloadKind::Pipeline)
    }

    /// Why Modeldeck does not change this kind's model version, when it
    /// does not (a promotion is refused with this reason).
    pub fn version_not_patched(self) -> Option<&'static str> {
        match self {
            WorkloadKind::Pipeline => Some(
                "a pipeline's model version is chosen by its workflow (its \
                 workflowSpec and the templates it references), not by one field \
                 Modeldeck could patch; change the CronWorkflow where it is \
                 defined and its next run uses the new version",
            ),
            _ => None,
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

/// Identifies one workload across every cluster Modeldeck watches.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WorkloadRef {
    /// Kubeconfig context (or sandbox cluster) name.
    pub cluster: String,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Workload kind.
    pub kind: WorkloadKind,
    /// Object name.
    pub name: String,
}

impl fmt::Display for WorkloadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.cluster, self.namespace, self.kind, self.name
        )
    }
}

/// Where a rollout stands, computed the way `kubectl rollout status` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RolloutState {
    /// Every replica runs the current template and is available.
    Available,
    /// A rollout is under way: `updated` of `desired` replicas run the new template.
    Progressing {
        /// Replicas already on the new template.
        updated: u32,
        /// Replicas wanted.
        desired: u32,
    },
    /// Paused by an operator (`spec.paused`).
    Paused,
    /// The rollout failed or stalled (e.g. `ProgressDeadlineExceeded`).
    Degraded {
        /// Why, as the cluster said it.
        reason: String,
    },
    /// A CronJob that is suspended.
    Suspended,
    /// A CronJob between runs, or a workload with no replicas asked for.
    Idle,
}

impl RolloutState {
    /// One-word label for tables.
    pub fn label(&self) -> &'static str {
        match self {
            RolloutState::Available => "Available",
            RolloutState::Progressing { .. } => "Progressing",
            RolloutState::Paused => "Paused",
            RolloutState::Degraded { .. } => "Degraded",
            RolloutState::Suspended => "Suspended",
            RolloutState::Idle => "Idle",
        }
    }
}

/// KServe canary split, when a canary is live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canary {
    /// Model version the canary serves.
    pub version: String,
    /// Percent of traffic it receives (0..=100).
    pub traffic_percent: u8,
}

/// One workload bound to a registered model (label `modeldeck.io/model`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Identity.
    #[serde(flatten)]
    pub id: WorkloadRef,
    /// Kubernetes object uid.
    pub uid: String,
    /// Kubernetes resourceVersion seen last; carried by writes as a precondition.
    pub resource_version: String,
    /// Registered model name from the binding label, if bound.
    pub model: Option<String>,
    /// Model version the stable pods serve, from the binding convention.
    pub served_version: Option<String>,
    /// Canary, for progressive rollouts.
    pub canary: Option<Canary>,
    /// Replicas ready.
    pub ready_replicas: u32,
    /// Replicas wanted.
    pub desired_replicas: u32,
    /// Rollout state.
    pub rollout: RolloutState,
    /// Object labels, shared: the store, the snapshot and the Fleet rows
    /// hold one copy between them (a two-entry `BTreeMap` is a 544-byte
    /// node, so three copies of 10,000 were 16 MB).
    pub labels: Labels,
    /// Creation time.
    pub created_at: Timestamp,
    /// A batch workload's schedule and run record (CronJobs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<super::BatchStatus>,
}

/// Object labels of a workload, shared by its copies.
pub type Labels = std::sync::Arc<BTreeMap<String, String>>;

/// A Kubernetes Event about a workload (or its ReplicaSets and pods).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterEvent {
    /// When it was last seen.
    pub at: Timestamp,
    /// `Normal` or `Warning`.
    pub kind: String,
    /// Short machine reason (`ScalingReplicaSet`).
    pub reason: String,
    /// Human message.
    pub message: String,
    /// The object it is about (`ReplicaSet/fraud-7d9c`).
    pub object: String,
}

/// Who the cluster says we are (SelfSubjectReview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// User name.
    pub username: String,
    /// Groups.
    pub groups: Vec<String>,
}

/// A "can I" question (SelfSubjectAccessReview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessCheck {
    /// Verb (`patch`, `approve`).
    pub verb: String,
    /// API group (`apps`, `modeldeck.io`).
    pub group: String,
    /// Resource (`deployments`, `modelpromotions`).
    pub resource: String,
    /// Namespace, or all namespaces when `None`.
    pub namespace: Option<String>,
}
