//! What the Fleet's test modules share.

use crate::console::BackendStatus;
use crate::domain::Timestamp;

/// A backend that has loaded and answered.
pub(super) fn status() -> BackendStatus {
    BackendStatus {
        endpoint: "test".into(),
        loaded: true,
        last_ok: Some(Timestamp(0)),
        error: None,
        failing_since: None,
        partial: Vec::new(),
    }
}
