//! What the metrics backend saw over a window: per feature, counts in the
//! reference's bins (or per category) and missing values. Counts are
//! floats because Prometheus' `increase()` extrapolates.

use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The live distributions of one model version over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveSample {
    /// End of the window.
    pub at: Timestamp,
    /// Window length, milliseconds.
    pub window_ms: i64,
    /// Features the backend has data for (absent: no series).
    pub features: Vec<LiveFeature>,
}

impl LiveSample {
    /// The feature called `name`.
    pub fn feature(&self, name: &str) -> Option<&LiveFeature> {
        self.features.iter().find(|f| f.name == name)
    }
}

/// One feature's live counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveFeature {
    /// Column name (the prediction's name for the prediction).
    pub name: String,
    /// Counts in the reference's bins, or per category.
    pub counts: LiveCounts,
    /// Values seen missing over the window.
    #[serde(default)]
    pub missing: f64,
}

/// Live counts, shaped like the reference's distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "counts", rename_all = "snake_case")]
pub enum LiveCounts {
    /// `edges.len() + 1` counts in the reference's bins.
    Numeric(Vec<f64>),
    /// Per category, as reported (unseen categories included).
    Categorical(BTreeMap<String, f64>),
}

impl LiveCounts {
    /// Values counted (missing ones excluded).
    pub fn total(&self) -> f64 {
        match self {
            LiveCounts::Numeric(c) => c.iter().sum(),
            LiveCounts::Categorical(c) => c.values().sum(),
        }
    }
}
