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
    /// The consumer group a stream consumer reads as: its
    /// [`CONSUMER_GROUP_LABEL`](super::CONSUMER_GROUP_LABEL) label, else its
    /// name ([`MetricsTarget::consumer_group`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// A batch workload's runs the cluster keeps (its Jobs), for the rows
    /// each scored ([`Metrics::batch_rows`](crate::ports::Metrics::batch_rows));
    /// empty for other kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<RunWindow>,
}

/// One run of a batch workload as the metrics port sees it: its Job and
/// when it ran (`end` `None`: still running, up to the read time).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RunWindow {
    /// The Job's name.
    pub job: String,
    /// When it started.
    pub start: super::Timestamp,
    /// When it ended.
    pub end: Option<super::Timestamp>,
}

impl MetricsTarget {
    /// A target serving `model`.
    pub fn new(workload: WorkloadRef, model: impl Into<String>) -> Self {
        MetricsTarget {
            workload,
            model: Some(model.into()),
            group: None,
            runs: Vec::new(),
        }
    }

    /// A target whose model is unknown: templates that need `{model}` fail
    /// for it, the others work.
    pub fn bare(workload: WorkloadRef) -> Self {
        MetricsTarget {
            workload,
            model: None,
            group: None,
            runs: Vec::new(),
        }
    }
}

impl MetricsTarget {
    /// The consumer group of a stream consumer: the label's value, else
    /// the workload's name. `None` for other kinds.
    pub fn consumer_group(&self) -> Option<&str> {
        (self.workload.kind == super::WorkloadKind::StreamConsumer)
            .then(|| self.group.as_deref().unwrap_or(&self.workload.name))
    }

    /// This target reading as consumer group `group`.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }
}

impl From<&Workload> for MetricsTarget {
    fn from(w: &Workload) -> Self {
        MetricsTarget {
            workload: w.id.clone(),
            model: w.model.clone(),
            group: w.labels.get(super::CONSUMER_GROUP_LABEL).cloned(),
            runs: w
                .batch
                .iter()
                .flat_map(|b| &b.runs)
                .map(|r| RunWindow {
                    job: r.job.clone(),
                    start: r.start,
                    end: r.end,
                })
                .collect(),
        }
    }
}

impl fmt::Display for MetricsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.workload, f)
    }
}
