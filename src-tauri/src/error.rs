//! The one error shape that crosses IPC: `{ code, message }`, with the
//! codes the CLI prints in `--output json` (`docs/cli.md`): a backend's
//! [`ErrorCode`](modeldeck_core::error::ErrorCode), a promotion refusal's
//! code (`refused_self_approval`, `gate_failed`...), `no_profile` /
//! `internal` for a session that cannot be set up, `not_found`,
//! `invalid_request` for bad arguments. Messages are the core's, which
//! scrubs secrets; nothing here adds a backend's raw text.

use modeldeck_app::SetupError;
use modeldeck_core::error::{BackendError, ErrorCode};
use modeldeck_promotion::PromotionError;
use serde::Serialize;

/// A failed command, as the UI receives it (the rejected promise's value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DesktopError {
    /// Stable machine code, the same as the CLI's.
    pub code: String,
    /// One human line, no secrets.
    pub message: String,
}

impl DesktopError {
    /// An error with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> DesktopError {
        DesktopError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// A bad argument from the UI (`invalid_request`).
    pub fn invalid(message: impl Into<String>) -> DesktopError {
        DesktopError::new(ErrorCode::InvalidRequest.as_str(), message)
    }

    /// Something that is not there (`not_found`).
    pub fn not_found(message: impl Into<String>) -> DesktopError {
        DesktopError::new(ErrorCode::NotFound.as_str(), message)
    }
}

impl std::fmt::Display for DesktopError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for DesktopError {}

impl From<BackendError> for DesktopError {
    fn from(e: BackendError) -> Self {
        // As the CLI's JSON error body: the code and the backend's message.
        DesktopError::new(e.code.as_str(), e.message)
    }
}

impl From<PromotionError> for DesktopError {
    fn from(e: PromotionError) -> Self {
        match e {
            PromotionError::Backend(b) => b.into(),
            other => DesktopError::new(other.code(), other.to_string()),
        }
    }
}

impl From<SetupError> for DesktopError {
    fn from(e: SetupError) -> Self {
        DesktopError::new(e.code(), e.to_string())
    }
}

/// What a command returns.
pub type DeskResult<T> = Result<T, DesktopError>;
