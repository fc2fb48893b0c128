//! A workload's rollout history: when each revision of its pod template
//! was created (a deploy), what it ran, and why. The Drift screen and the
//! health charts draw these as deploy markers.

use super::Timestamp;
use serde::{Deserialize, Serialize};

/// One revision of a workload (for a Deployment: one ReplicaSet, as
/// `kubectl rollout history` lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// When the revision was created (the deploy).
    pub at: Timestamp,
    /// The revision number (`deployment.kubernetes.io/revision`).
    pub revision: String,
    /// Container images of the revision's pod template.
    pub images: Vec<String>,
    /// Why (`kubernetes.io/change-cause`), when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}
