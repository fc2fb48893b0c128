//! The reference profile: what the training data looked like, frozen into
//! bins the live data is compared with. A versioned JSON document
//! (`schema`), stored as the MLflow run artifact [`PROFILE_ARTIFACT`] and
//! pointed to by the model-version tag [`PROFILE_TAG`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version this build writes and reads.
pub const PROFILE_SCHEMA: u32 = 1;
/// The model-version tag whose value is the artifact path of the profile
/// (relative to the version's run artifacts).
pub const PROFILE_TAG: &str = "modeldeck.reference_profile";
/// Where the profile is stored among the run's artifacts.
pub const PROFILE_ARTIFACT: &str = "modeldeck/reference_profile.json";
/// The category rare reference categories are folded into.
pub const OTHER_CATEGORY: &str = "__other__";

/// A model version's reference profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// Schema version ([`PROFILE_SCHEMA`]).
    pub schema: u32,
    /// When it was computed (RFC 3339).
    pub created_at: String,
    /// Rows of the reference data.
    pub rows: u64,
    /// Digest of the source data (`sha256:<hex>` of the file), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_digest: Option<String>,
    /// The input features.
    pub features: Vec<FeatureProfile>,
    /// The model's prediction, profiled like a feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<FeatureProfile>,
    /// The label, when the reference has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<FeatureProfile>,
    /// Per-model overrides of methods and thresholds.
    #[serde(default, skip_serializing_if = "DriftPolicy::is_default")]
    pub policy: DriftPolicy,
}

impl ReferenceProfile {
    /// The feature called `name` (the prediction and label included).
    pub fn feature(&self, name: &str) -> Option<&FeatureProfile> {
        self.features
            .iter()
            .chain(self.prediction.iter())
            .chain(self.label.iter())
            .find(|f| f.name == name)
    }

    /// Checks the document's invariants: the schema version, unique names,
    /// strictly increasing finite edges, `counts.len() == edges.len() + 1`.
    /// The message names the feature and what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.schema != PROFILE_SCHEMA {
            return Err(format!(
                "reference profile schema {} is not supported (this build reads {PROFILE_SCHEMA})",
                self.schema
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for f in self
            .features
            .iter()
            .chain(self.prediction.iter())
            .chain(self.label.iter())
        {
            if !seen.insert(f.name.as_str()) {
                return Err(format!("feature {:?} appears twice", f.name));
            }
            f.validate()?;
        }
        Ok(())
    }
}

/// Whether a feature is numeric or categorical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// Binned at frozen edges.
    Numeric,
    /// Counted per category.
    Categorical,
}

/// One feature of the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// Column name.
    pub name: String,
    /// The binned or counted values.
    #[serde(flatten)]
    pub dist: Distribution,
    /// Rows where the value was missing (not in the counts).
    #[serde(default)]
    pub missing: u64,
    /// Summary statistics of a numeric feature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<NumericStats>,
}

impl FeatureProfile {
    /// Numeric or categorical.
    pub fn kind(&self) -> FeatureKind {
        match self.dist {
            Distribution::Numeric { .. } => FeatureKind::Numeric,
            Distribution::Categorical { .. } => FeatureKind::Categorical,
        }
    }

    /// Rows with a value (the counts' sum).
    pub fn present(&self) -> u64 {
        match &self.dist {
            Distribution::Numeric { counts, .. } => counts.iter().sum(),
            Distribution::Categorical { counts } => counts.values().sum(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        match &self.dist {
            Distribution::Numeric { edges, counts } => {
                if edges.is_empty() {
                    return Err(format!("feature {:?}: no bin edges", self.name));
                }
                if edges.iter().any(|e| !e.is_finite()) {
                    return Err(format!("feature {:?}: an edge is not finite", self.name));
                }
                if edges.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(format!(
                        "feature {:?}: edges must increase strictly",
                        self.name
                    ));
                }
                if counts.len() != edges.len() + 1 {
                    return Err(format!(
                        "feature {:?}: {} edges need {} counts (underflow, bins, overflow), found {}",
                        self.name,
                        edges.len(),
                        edges.len() + 1,
                        counts.len()
                    ));
                }
            }
            Distribution::Categorical { counts } => {
                if counts.is_empty() {
                    return Err(format!("feature {:?}: no categories", self.name));
                }
            }
        }
        Ok(())
    }
}

/// The reference distribution of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// `edges.len() + 1` counts: underflow `(-inf, e0]`, the bins
    /// `(e(i-1), e(i)]`, overflow `(en, +inf)`.
    Numeric {
        /// Frozen bin edges (quantiles of the reference), increasing.
        edges: Vec<f64>,
        /// Rows per bin.
        counts: Vec<u64>,
    },
    /// Rows per category; rare ones folded into [`OTHER_CATEGORY`].
    Categorical {
        /// Rows per category.
        counts: BTreeMap<String, u64>,
    },
}

/// Summary statistics of a numeric reference feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation (population).
    pub std: f64,
    /// Quantiles by probability, e.g. `"0.5": 3.2`.
    #[serde(default)]
    pub quantiles: BTreeMap<String, f64>,
}

/// Per-model overrides, carried in the profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DriftPolicy {
    /// A method per feature, overriding the automatic choice.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub methods: BTreeMap<String, super::Method>,
    /// A threshold per feature, overriding the method's default.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, f64>,
    /// Share of drifted features at which the dataset counts as drifted
    /// (default 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_share: Option<f64>,
    /// Fairness thresholds and reference groups (see
    /// [`FairnessPolicy`](super::fairness::FairnessPolicy)).
    #[serde(
        default,
        skip_serializing_if = "super::fairness::FairnessPolicy::is_default"
    )]
    pub fairness: super::fairness::FairnessPolicy,
}

impl DriftPolicy {
    fn is_default(&self) -> bool {
        self == &DriftPolicy::default()
    }
}
