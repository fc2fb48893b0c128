//! What the model registry knows: registered models, their versions and
//! aliases, and the training run behind each version.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A registered model and where its aliases point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisteredModel {
    /// Unique name.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// Model-level tags.
    pub tags: BTreeMap<String, String>,
    /// Alias name -> version (e.g. `champion` -> `"6"`).
    pub aliases: BTreeMap<String, String>,
    /// Highest version number registered, if any.
    pub latest_version: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last update.
    pub updated_at: Timestamp,
}

impl RegisteredModel {
    /// Aliases that point at `version`, sorted.
    pub fn aliases_of(&self, version: &str) -> Vec<String> {
        self.aliases
            .iter()
            .filter(|(_, v)| v.as_str() == version)
            .map(|(a, _)| a.clone())
            .collect()
    }
}

/// Registration status of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum VersionStatus {
    /// Still being registered.
    PendingRegistration,
    /// Registration failed.
    FailedRegistration,
    /// Usable.
    Ready,
}

/// One version of a registered model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelVersion {
    /// Registered model name.
    pub model: String,
    /// Version, a string as MLflow has it (`"7"`).
    pub version: String,
    /// Training run id, if any.
    pub run_id: Option<String>,
    /// Artifact source (`runs:/<run>/model`).
    pub source: String,
    /// Registration status.
    pub status: VersionStatus,
    /// Aliases pointing here (joined from the registered model).
    pub aliases: Vec<String>,
    /// Version tags.
    pub tags: BTreeMap<String, String>,
    /// Description.
    pub description: Option<String>,
    /// Who registered it, if the registry says.
    pub user: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

impl ModelVersion {
    /// The version as a number, for ordering (`"10"` after `"9"`).
    pub fn number(&self) -> u64 {
        self.version.parse().unwrap_or(0)
    }
}

/// The training run behind a version: final metrics, params and tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunData {
    /// Run id.
    pub run_id: String,
    /// Latest value of each metric. NaN and infinities are kept as such.
    pub metrics: BTreeMap<String, f64>,
    /// Params (always strings).
    pub params: BTreeMap<String, String>,
    /// Run tags (system tags start with `mlflow.`).
    pub tags: BTreeMap<String, String>,
    /// Start time.
    pub started_at: Option<Timestamp>,
}

/// A point of a metric's history within a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetricPoint {
    /// Training step.
    pub step: i64,
    /// When it was logged.
    pub at: Timestamp,
    /// Value (may be NaN).
    pub value: f64,
}
