//! MLflow's objects as the REST API 2.0 returns them (3.17.2 checked): every
//! list defaults to empty (MLflow omits empty fields), every scalar is
//! optional, unknown fields are ignored, versions stay strings.

use crate::de;
use serde::{Deserialize, Serialize};

/// A `{key, value}` tag or param.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    /// Key.
    pub key: String,
    /// Value (MLflow omits empty values).
    #[serde(default)]
    pub value: String,
}

/// An alias entry of a registered model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasEntry {
    /// Alias name (`champion`).
    pub alias: String,
    /// Version it points at.
    #[serde(deserialize_with = "de::version")]
    pub version: String,
}

/// A registered model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredModel {
    /// Unique name.
    pub name: String,
    /// Creation, Unix ms.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub creation_timestamp: Option<i64>,
    /// Last update, Unix ms.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub last_updated_timestamp: Option<i64>,
    /// Description (`""` read as absent).
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub description: Option<String>,
    /// Owner, rarely returned.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub user_id: Option<String>,
    /// Latest READY version per stage (no aliases in these entries).
    #[serde(default)]
    pub latest_versions: Vec<ModelVersion>,
    /// Model tags.
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    /// Aliases (servers >= 2.3).
    #[serde(default)]
    pub aliases: Vec<AliasEntry>,
}

/// A model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// Registered model name.
    pub name: String,
    /// Version number, as a string.
    #[serde(deserialize_with = "de::version")]
    pub version: String,
    /// Creation, Unix ms.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub creation_timestamp: Option<i64>,
    /// Last update, Unix ms.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub last_updated_timestamp: Option<i64>,
    /// Who registered it.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub user_id: Option<String>,
    /// Deprecated stage: `None`, `Staging`, `Production`, `Archived`.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub current_stage: Option<String>,
    /// Description (`""` read as absent).
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub description: Option<String>,
    /// Artifact source (`runs:/<run>/model`, `models:/m-..`, a URI).
    #[serde(default)]
    pub source: String,
    /// Training run.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub run_id: Option<String>,
    /// `PENDING_REGISTRATION`, `FAILED_REGISTRATION` or `READY`.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub status: Option<String>,
    /// Why the status is what it is.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub status_message: Option<String>,
    /// Version tags.
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    /// Aliases: present on `model-versions/get` and get-by-alias, absent
    /// from search results (join them from the registered model).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One metric value at a step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Metric name.
    pub key: String,
    /// Value; NaN and ±infinity preserved.
    #[serde(deserialize_with = "de::metric_value")]
    pub value: f64,
    /// When logged, Unix ms.
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub timestamp: i64,
    /// Training step.
    #[serde(default, deserialize_with = "de::i64_or_zero")]
    pub step: i64,
}

/// Run metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Run id (filled from `run_uuid` when a server sends only that).
    #[serde(default)]
    pub run_id: String,
    /// Legacy duplicate of `run_id`.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub run_uuid: Option<String>,
    /// Display name.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub run_name: Option<String>,
    /// Experiment.
    #[serde(default)]
    pub experiment_id: String,
    /// Owner.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub user_id: Option<String>,
    /// `RUNNING`, `FINISHED`, ...
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub status: Option<String>,
    /// Start, Unix ms.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub start_time: Option<i64>,
    /// End, Unix ms.
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub end_time: Option<i64>,
    /// Root of the run's artifacts (`mlflow-artifacts:/..`, `file:///..`, `s3://..`).
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub artifact_uri: Option<String>,
    /// `active` or `deleted`.
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub lifecycle_stage: Option<String>,
}

/// Run contents: latest value per metric, params, tags.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunData {
    /// Latest value of each metric.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// Params.
    #[serde(default)]
    pub params: Vec<KeyValue>,
    /// Tags (system ones start with `mlflow.`).
    #[serde(default)]
    pub tags: Vec<KeyValue>,
}

/// A run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Metadata.
    pub info: RunInfo,
    /// Contents.
    #[serde(default)]
    pub data: RunData,
    /// Datasets (and, in MLflow 3, models) the run used.
    #[serde(default)]
    pub inputs: RunInputs,
}

/// `run.inputs`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RunInputs {
    /// One entry per dataset logged with `mlflow.log_input`.
    #[serde(default)]
    pub dataset_inputs: Vec<DatasetInput>,
}

/// A dataset input: the dataset and its input tags (`mlflow.data.context`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInput {
    /// Input tags.
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    /// The dataset.
    pub dataset: Dataset,
}

/// A dataset as MLflow tracks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Content digest.
    #[serde(default)]
    pub digest: String,
    /// Source kind (`local`, `http`, `code` ...).
    #[serde(default)]
    pub source_type: String,
    /// Source, a JSON string.
    #[serde(default)]
    pub source: String,
    /// Schema, a JSON string (`{"mlflow_colspec": [...]}`).
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub schema: Option<String>,
    /// Profile, a JSON string (`{"num_rows": .., "num_elements": ..}`).
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub profile: Option<String>,
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Token of the next page; `None` on the last one.
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ModelsPage {
    #[serde(default)]
    pub registered_models: Vec<RegisteredModel>,
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct VersionsPage {
    #[serde(default)]
    pub model_versions: Vec<ModelVersion>,
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct MetricsPage {
    #[serde(default)]
    pub metrics: Vec<Metric>,
    #[serde(default, deserialize_with = "de::opt_nonempty")]
    pub next_page_token: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ModelEnvelope {
    pub registered_model: RegisteredModel,
}

#[derive(Deserialize)]
pub(crate) struct VersionEnvelope {
    pub model_version: ModelVersion,
}

#[derive(Deserialize)]
pub(crate) struct RunEnvelope {
    pub run: Run,
}

#[derive(Deserialize)]
pub(crate) struct DownloadUri {
    pub artifact_uri: String,
}

/// Answers whose content we ignore (`{}`), still checked to be JSON.
#[derive(Deserialize)]
pub(crate) struct Empty {}
