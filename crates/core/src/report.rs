//! An error as it crosses a boundary: a TUI job's result, the desktop's
//! IPC, a JSON document. It keeps the stable machine code next to the
//! message, so a front end branches on the code and shows the message, and
//! never parses the text.

use crate::error::BackendError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `{code, message}`: what a front end needs of any failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// Stable machine code (`unreachable`, `refused_self_approval`,
    /// `not_found`...): the codes `docs/cli.md` lists.
    pub code: String,
    /// One line for a person (never a secret: sources scrub before this).
    pub message: String,
}

impl ErrorReport {
    /// A report with `code` and `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> ErrorReport {
        ErrorReport {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ErrorReport {}

impl From<&BackendError> for ErrorReport {
    fn from(e: &BackendError) -> Self {
        ErrorReport::new(e.code.as_str(), e.to_string())
    }
}

impl From<BackendError> for ErrorReport {
    fn from(e: BackendError) -> Self {
        ErrorReport::from(&e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Backend, ErrorCode};

    #[test]
    fn a_backend_error_keeps_its_code_and_whole_message() {
        let e =
            BackendError::new(Backend::Registry, ErrorCode::NotFound, "no model x").at("mlflow");
        let r = ErrorReport::from(&e);
        assert_eq!(r.code, "not_found");
        assert_eq!(r.message, e.to_string());
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"code": "not_found", "message": e.to_string()})
        );
    }
}
