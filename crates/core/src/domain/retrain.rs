//! Retraining: where a model's training pipeline lives in the cluster (a
//! CronJob or an Argo WorkflowTemplate labelled
//! [`RETRAIN_LABEL`]`=<model>`), what a user asks when they start it (the
//! reason, who, and the drift numbers that prompted it), and the run it
//! started (a Job or a Workflow) as it progresses.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The label that names the model a training pipeline retrains.
pub const RETRAIN_LABEL: &str = "modeldeck.io/retrain-for";
/// Annotation on a run: the reason given, stored raw.
pub const REASON_ANNOTATION: &str = "modeldeck.io/reason";
/// Annotation on a run: who asked (the cluster's name for them).
pub const REQUESTED_BY_ANNOTATION: &str = "modeldeck.io/requested-by";
/// Annotation on a run: the drift numbers that prompted it, compact JSON
/// ([`DriftEvidence`]).
pub const DRIFT_ANNOTATION: &str = "modeldeck.io/drift";
/// The annotation `kubectl create job --from=cronjob/...` sets on the Job.
pub const INSTANTIATE_ANNOTATION: &str = "cronjob.kubernetes.io/instantiate";
/// How many of the worst features a request carries.
pub const EVIDENCE_FEATURES: usize = 5;
/// Longest reason accepted (bytes): an annotation is not a document.
pub const MAX_REASON_BYTES: usize = 1024;

/// The kind of a training pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrainSourceKind {
    /// `batch/v1` CronJob: a run is a Job from its `jobTemplate`.
    CronJob,
    /// `argoproj.io/v1alpha1` WorkflowTemplate: a run is a Workflow
    /// referring to it (`spec.workflowTemplateRef`).
    WorkflowTemplate,
}

impl RetrainSourceKind {
    /// `cronjob` / `workflowtemplate`, as kubectl spells the resource.
    pub fn as_str(self) -> &'static str {
        match self {
            RetrainSourceKind::CronJob => "cronjob",
            RetrainSourceKind::WorkflowTemplate => "workflowtemplate",
        }
    }
}

/// One container of a pipeline's pod template (what a run executes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrainContainer {
    /// Container name.
    pub name: String,
    /// Image.
    pub image: String,
    /// Command and arguments, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// Literal environment variables (name, value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
}

/// A training pipeline labelled for a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrainSource {
    /// Cluster (kubeconfig context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Object name.
    pub name: String,
    /// CronJob or WorkflowTemplate.
    pub kind: RetrainSourceKind,
    /// The model it retrains (the label's value).
    pub model: String,
    /// Cron schedule of a CronJob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// A suspended CronJob (runs only when started by hand).
    #[serde(default)]
    pub suspended: bool,
    /// What a run executes (a CronJob's containers; empty for a template).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<RetrainContainer>,
}

impl fmt::Display for RetrainSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} in {}/{}",
            self.kind.as_str(),
            self.name,
            self.cluster,
            self.namespace
        )
    }
}

/// One feature's drift as it stood when a retraining was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftedFeature {
    /// Feature name.
    pub feature: String,
    /// Method (`psi`, `ks`, ...).
    pub method: crate::drift::Method,
    /// Score (a distance, or a p-value for p-value methods).
    pub score: f64,
    /// Threshold the verdict used.
    pub threshold: f64,
    /// The verdict.
    pub drifted: bool,
}

/// The drift numbers that prompted a retraining: the served version's
/// worst features (at most [`EVIDENCE_FEATURES`]) over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftEvidence {
    /// The version whose live data was scored.
    pub version: String,
    /// Window length, milliseconds.
    pub window_ms: i64,
    /// End of the window.
    pub at: Timestamp,
    /// Whether the dataset counted as drifted.
    pub dataset_drift: bool,
    /// Drifted features / features with data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drifted_share: Option<f64>,
    /// Worst first.
    pub features: Vec<DriftedFeature>,
}

impl DriftEvidence {
    /// The evidence of a drift report: its worst features first (drifted
    /// ones, then by severity), at most [`EVIDENCE_FEATURES`].
    pub fn from_report(version: &str, report: &crate::drift::DriftReport) -> DriftEvidence {
        let mut rows: Vec<(&str, crate::drift::Score)> = report
            .features
            .iter()
            .filter_map(|r| r.score.map(|s| (r.feature.as_str(), s)))
            .filter(|(_, s)| !s.severity().is_nan())
            .collect();
        rows.sort_by(|a, b| {
            (b.1.drifted, b.1.severity())
                .partial_cmp(&(a.1.drifted, a.1.severity()))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        DriftEvidence {
            version: version.to_string(),
            window_ms: report.window_ms,
            at: report.at,
            dataset_drift: report.dataset_drift,
            drifted_share: report.drifted_share,
            features: rows
                .into_iter()
                .take(EVIDENCE_FEATURES)
                .map(|(f, s)| DriftedFeature {
                    feature: f.to_string(),
                    method: s.method,
                    score: s.value,
                    threshold: s.threshold,
                    drifted: s.drifted,
                })
                .collect(),
        }
    }
}

/// What a user asks: retrain `model`, because `reason`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainRequest {
    /// Registered model.
    pub model: String,
    /// Why, as typed (stored raw; screens neutralize it).
    pub reason: String,
    /// Who (the cluster's name for the caller).
    pub requested_by: String,
    /// The drift numbers that prompted it, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<DriftEvidence>,
    /// Ask the server to validate only (`dryRun=All`): nothing is created.
    #[serde(default)]
    pub dry_run: bool,
}

impl RetrainRequest {
    /// Our annotations on the run: the reason (raw), who, and the
    /// evidence as compact JSON.
    pub fn annotations(&self) -> BTreeMap<String, String> {
        let mut a = BTreeMap::new();
        a.insert(REASON_ANNOTATION.to_string(), self.reason.clone());
        a.insert(
            REQUESTED_BY_ANNOTATION.to_string(),
            self.requested_by.clone(),
        );
        if let Some(e) = &self.evidence
            && let Ok(j) = serde_json::to_string(e)
        {
            a.insert(DRIFT_ANNOTATION.to_string(), j);
        }
        a
    }
}

/// The kind of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrainRunKind {
    /// `batch/v1` Job.
    Job,
    /// `argoproj.io/v1alpha1` Workflow.
    Workflow,
}

impl RetrainRunKind {
    /// `job` / `workflow`.
    pub fn as_str(self) -> &'static str {
        match self {
            RetrainRunKind::Job => "job",
            RetrainRunKind::Workflow => "workflow",
        }
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrainPhase {
    /// Created, no pod running yet.
    Pending,
    /// A pod is running.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished and failed.
    Failed,
}

impl RetrainPhase {
    /// Whether the run has finished.
    pub fn is_done(self) -> bool {
        matches!(self, RetrainPhase::Succeeded | RetrainPhase::Failed)
    }

    /// `pending`, `running`, `succeeded`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RetrainPhase::Pending => "pending",
            RetrainPhase::Running => "running",
            RetrainPhase::Succeeded => "succeeded",
            RetrainPhase::Failed => "failed",
        }
    }
}

/// A retraining run (a Job or a Workflow) as last read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrainRun {
    /// Cluster (kubeconfig context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Object name (for a dry run: the name it would get).
    pub name: String,
    /// Job or Workflow.
    pub kind: RetrainRunKind,
    /// The pipeline it came from (object name).
    pub source: String,
    /// The model it retrains.
    pub model: String,
    /// Object uid (empty for a dry run).
    #[serde(default)]
    pub uid: String,
    /// Only validated by the server, never created.
    #[serde(default)]
    pub dry_run: bool,
    /// Where it is.
    pub phase: RetrainPhase,
    /// Pods running (Job `status.active`).
    #[serde(default)]
    pub active: u32,
    /// Pods that succeeded.
    #[serde(default)]
    pub succeeded: u32,
    /// Pods that failed.
    #[serde(default)]
    pub failed: u32,
    /// When the object was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// When it started running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// Why it failed, when the server says (a condition's message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Its newest pod, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The last lines of that pod's log (raw; screens neutralize them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
}

impl fmt::Display for RetrainRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} in {}/{}",
            self.kind.as_str(),
            self.name,
            self.cluster,
            self.namespace
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_hold_the_raw_reason_and_compact_evidence() {
        let r = RetrainRequest {
            model: "m".into(),
            reason: "lag\u{202e}7d \u{1b}[31m".into(),
            requested_by: "alice".into(),
            evidence: Some(DriftEvidence {
                version: "5".into(),
                window_ms: 3_600_000,
                at: Timestamp(1),
                dataset_drift: true,
                drifted_share: Some(0.5),
                features: vec![DriftedFeature {
                    feature: "lag_7d".into(),
                    method: crate::drift::Method::Psi,
                    score: 1.2,
                    threshold: 0.1,
                    drifted: true,
                }],
            }),
            dry_run: false,
        };
        let a = r.annotations();
        assert_eq!(a[REASON_ANNOTATION], "lag\u{202e}7d \u{1b}[31m");
        assert_eq!(a[REQUESTED_BY_ANNOTATION], "alice");
        let d = &a[DRIFT_ANNOTATION];
        assert!(!d.contains(' '), "compact: {d}");
        let back: DriftEvidence = serde_json::from_str(d).unwrap();
        assert_eq!(back.features[0].method, crate::drift::Method::Psi);
    }
}
