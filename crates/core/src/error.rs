//! Errors that cross the ports. Each carries a stable [`ErrorCode`] that the
//! CLI's JSON output and the desktop IPC expose, so callers branch on the
//! code and never on message text.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which system of record an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Backend {
    /// Kubernetes (or the sandbox's simulated cluster).
    Cluster,
    /// The model registry (MLflow).
    Registry,
    /// The metrics backend (Prometheus).
    Metrics,
}

impl Backend {
    /// All backends, in display order.
    pub const ALL: [Backend; 3] = [Backend::Cluster, Backend::Registry, Backend::Metrics];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cluster => "cluster",
            Backend::Registry => "registry",
            Backend::Metrics => "metrics",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Stable machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorCode {
    /// Could not connect (refused, DNS, TLS handshake).
    Unreachable,
    /// No answer in time.
    Timeout,
    /// 401: credentials missing or wrong.
    Unauthenticated,
    /// 403: not allowed.
    Forbidden,
    /// The thing asked for does not exist.
    NotFound,
    /// A precondition failed (stale resourceVersion, 409).
    Conflict,
    /// The request was invalid (400, 422, bad query).
    InvalidRequest,
    /// The backend answered something we could not read.
    MalformedResponse,
    /// The backend failed (5xx).
    ServerError,
    /// The answer was larger than the configured cap.
    TooLarge,
    /// The operation is not supported by this backend or server version.
    Unsupported,
    /// The profile leaves this backend out: not a failure, nothing to
    /// read. Front ends show it as "not configured".
    NotConfigured,
}

impl ErrorCode {
    /// snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unreachable => "unreachable",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::MalformedResponse => "malformed_response",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::Unsupported => "unsupported",
            ErrorCode::NotConfigured => "not_configured",
        }
    }

    /// The code of an HTTP error status: the one map every HTTP backend
    /// (Kubernetes, MLflow, Prometheus) goes through, so the same status is
    /// the same code whichever backend sent it. A backend may know better
    /// from its error body (Prometheus's `errorType`, MLflow's missing-alias
    /// 400) and refine the result; the status alone gives:
    ///
    /// | status | code |
    /// |---|---|
    /// | 401 | `unauthenticated` |
    /// | 403 | `forbidden` |
    /// | 404 | `not_found` |
    /// | 408, 504 | `timeout` (a server or gateway gave up waiting) |
    /// | 409 | `conflict` |
    /// | 410 | `conflict`: from the Kubernetes API it means an expired `resourceVersion` or `continue` token, whose remedy is a conflict's (read again, then retry); `not_found` would tell the CLI (exit 3) that the object does not exist |
    /// | 413 | `too_large` (the request or answer was over a size limit) |
    /// | 429 | `server_error`: the server refuses to serve now (rate limit); the request is fine and the same request succeeds later, like a 503, so not `invalid_request`. HTTP clients retry it before it becomes an error |
    /// | other 4xx | `invalid_request` |
    /// | other 5xx | `server_error` |
    /// | anything else (1xx, 2xx, 3xx) | `malformed_response`: not an answer the caller could use |
    pub fn from_http_status(status: u16) -> ErrorCode {
        match status {
            401 => ErrorCode::Unauthenticated,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            408 | 504 => ErrorCode::Timeout,
            409 | 410 => ErrorCode::Conflict,
            413 => ErrorCode::TooLarge,
            429 => ErrorCode::ServerError,
            400..=499 => ErrorCode::InvalidRequest,
            500..=599 => ErrorCode::ServerError,
            _ => ErrorCode::MalformedResponse,
        }
    }
}

/// An error from one backend: which backend, what code, where (a URL or
/// object without secrets) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{backend} {code}: {message}{}", where_suffix(.location))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackendError {
    /// Which backend.
    pub backend: Backend,
    /// Stable code.
    pub code: ErrorCode,
    /// Human message naming the cause.
    pub message: String,
    /// URL (credentials stripped) or object the error concerns.
    pub location: Option<String>,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn where_suffix(location: &Option<String>) -> String {
    match location {
        Some(l) => format!(" (at {l})"),
        None => String::new(),
    }
}

/// How a backend the profile leaves out describes itself, and how the
/// message of its [`ErrorCode::NotConfigured`] error begins (for people:
/// code branches on the code).
pub const NOT_CONFIGURED: &str = "not configured";

impl BackendError {
    /// True for the error of a backend the profile does not configure
    /// ([`ErrorCode::NotConfigured`]): the front ends show it as "not
    /// configured", not as a failure.
    pub fn is_not_configured(&self) -> bool {
        self.code == ErrorCode::NotConfigured
    }

    /// The error every call to a backend the profile leaves out answers;
    /// `hint` says how to configure it.
    pub fn not_configured(backend: Backend, hint: impl fmt::Display) -> Self {
        BackendError::new(
            backend,
            ErrorCode::NotConfigured,
            format!("{NOT_CONFIGURED}: {hint}"),
        )
    }

    /// A new error without a location.
    pub fn new(backend: Backend, code: ErrorCode, message: impl Into<String>) -> Self {
        BackendError {
            backend,
            code,
            message: message.into(),
            location: None,
        }
    }

    /// The same error, located at `location` (must not carry secrets).
    pub fn at(mut self, location: impl Into<String>) -> Self {
        self.location = Some(location.into());
        self
    }

    /// Shorthand for a not-found error.
    pub fn not_found(backend: Backend, what: impl Into<String>) -> Self {
        BackendError::new(backend, ErrorCode::NotFound, what)
    }
}

/// One part of a backend that could not be read while the rest answered: a
/// dead or unauthorized kube context among live ones. Typed, so front ends
/// name the context without reading it out of a message or a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialFailure {
    /// The part (kube context) that failed.
    pub context: String,
    /// Its server URL (no credentials), when known.
    pub server: Option<String>,
    /// Why it failed.
    pub error: BackendError,
    /// True when it answered before and its data (the last seen) is still
    /// shown; false when it never answered.
    pub stale: bool,
}

impl PartialFailure {
    /// One human line: `context: cause (server URL)`, plus a note when its
    /// data is the last seen. The message of `error` already says what
    /// failed; this adds where.
    pub fn summary(&self) -> String {
        let mut s = format!("{}: {}", self.context, self.error.message);
        if let Some(url) = &self.server {
            s.push_str(&format!(" (server {})", url.trim_end_matches('/')));
        }
        if self.stale {
            s.push_str(" (its workloads are the last ones seen)");
        }
        s
    }
}

impl fmt::Display for PartialFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.error.backend,
            self.error.code,
            self.summary()
        )
    }
}

/// Result of a port call.
pub type PortResult<T> = Result<T, BackendError>;

#[cfg(test)]
mod http_status_tests {
    use super::ErrorCode;

    #[test]
    fn http_statuses_map_to_one_code_each() {
        let c = ErrorCode::from_http_status;
        for (status, code) in [
            (400, ErrorCode::InvalidRequest),
            (401, ErrorCode::Unauthenticated),
            (403, ErrorCode::Forbidden),
            (404, ErrorCode::NotFound),
            (405, ErrorCode::InvalidRequest),
            (408, ErrorCode::Timeout),
            (409, ErrorCode::Conflict),
            (410, ErrorCode::Conflict),
            (413, ErrorCode::TooLarge),
            (422, ErrorCode::InvalidRequest),
            (429, ErrorCode::ServerError),
            (499, ErrorCode::InvalidRequest),
            (500, ErrorCode::ServerError),
            (502, ErrorCode::ServerError),
            (503, ErrorCode::ServerError),
            (504, ErrorCode::Timeout),
            (599, ErrorCode::ServerError),
            (200, ErrorCode::MalformedResponse),
            (302, ErrorCode::MalformedResponse),
            (600, ErrorCode::MalformedResponse),
        ] {
            assert_eq!(c(status), code, "HTTP {status}");
        }
    }
}
