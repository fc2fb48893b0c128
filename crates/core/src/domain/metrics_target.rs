//! What the metrics port is asked about: a workload and the registered model
//! it serves, so an adapter can select series by either without keeping its
//! own copy of the cluster's bindings.

use super::{Workload, WorkloadRef};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One workload as the [`Metrics`](crate::ports::Metrics) port sees it.
///
/// `model` is the registered model the workload serves (its binding label),
/// `None` when unknown (an unbound workload, or a caller holding only a
/// ref). Adapters that select series by model refuse a target without one;
/// answers are still keyed by `workload`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetricsTarget {
    /// The workload.
    pub workload: WorkloadRef,
    /// The registered model it serves, when known.
    pub model: Option<String>,
}

impl MetricsTarget {
    /// A target serving `model`.
    pub fn new(workload: WorkloadRef, model: impl Into<String>) -> Self {
        MetricsTarget {
            workload,
            model: Some(model.into()),
        }
    }

    /// A target whose model is unknown: templates that need `{model}` fail
    /// for it, the others work.
    pub fn bare(workload: WorkloadRef) -> Self {
        MetricsTarget {
            workload,
            model: None,
        }
    }
}

impl From<&Workload> for MetricsTarget {
    fn from(w: &Workload) -> Self {
        MetricsTarget {
            workload: w.id.clone(),
            model: w.model.clone(),
        }
    }
}

impl fmt::Display for MetricsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.workload, f)
    }
}
