//! What can go wrong talking to Prometheus, one variant per cause, and how
//! each maps onto the port's [`BackendError`] with a stable [`ErrorCode`].
//! Locations are URLs with credentials stripped; messages never hold tokens
//! (the client scrubs them before an error is built).

use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use std::fmt;
use std::time::Duration;

/// `errorType` of a Prometheus error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiErrorType {
    /// `bad_data` (HTTP 400): parse errors, bad parameters, the 11,000-point limit.
    BadData,
    /// `execution` (HTTP 422): the query failed while running.
    Execution,
    /// `timeout` (HTTP 503).
    Timeout,
    /// `canceled` (HTTP 503).
    Canceled,
    /// `internal` (HTTP 500).
    Internal,
    /// `not_found` (HTTP 404).
    NotFound,
    /// `unavailable`.
    Unavailable,
    /// Anything else, verbatim.
    Other(String),
}

impl ApiErrorType {
    /// Parses the wire name.
    pub fn parse(s: &str) -> ApiErrorType {
        match s {
            "bad_data" => ApiErrorType::BadData,
            "execution" => ApiErrorType::Execution,
            "timeout" => ApiErrorType::Timeout,
            "canceled" => ApiErrorType::Canceled,
            "internal" => ApiErrorType::Internal,
            "not_found" => ApiErrorType::NotFound,
            "unavailable" => ApiErrorType::Unavailable,
            other => ApiErrorType::Other(other.to_string()),
        }
    }

    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            ApiErrorType::BadData => "bad_data",
            ApiErrorType::Execution => "execution",
            ApiErrorType::Timeout => "timeout",
            ApiErrorType::Canceled => "canceled",
            ApiErrorType::Internal => "internal",
            ApiErrorType::NotFound => "not_found",
            ApiErrorType::Unavailable => "unavailable",
            ApiErrorType::Other(s) => s,
        }
    }
}

impl fmt::Display for ApiErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The cause of a failed call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromErrorKind {
    /// No connection (refused, DNS, TLS handshake, reset).
    #[error("cannot reach Prometheus: {reason}")]
    Unreachable {
        /// What the transport said.
        reason: String,
    },
    /// Connected, but the connection dropped before an answer came.
    #[error("connection dropped before Prometheus answered: {reason}")]
    Disconnected {
        /// What the transport said.
        reason: String,
    },
    /// No complete answer within the per-request timeout.
    #[error("no complete answer within {} ms", .after.as_millis())]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// Prometheus answered with its error envelope.
    #[error("Prometheus {error_type} error (HTTP {status}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// `errorType`.
        error_type: ApiErrorType,
        /// `error`.
        message: String,
    },
    /// A non-success HTTP status without a Prometheus envelope (a proxy, an
    /// auth layer, a wrong URL).
    #[error("HTTP {status} without a Prometheus answer: {snippet}")]
    Http {
        /// HTTP status.
        status: u16,
        /// Start of the body, sanitized.
        snippet: String,
    },
    /// The body is bigger than the configured cap; it was not read in full.
    #[error("answer larger than the {limit}-byte cap{}", declared_suffix(*.declared))]
    TooLarge {
        /// The cap.
        limit: u64,
        /// Content-Length, when the server declared one.
        declared: Option<u64>,
    },
    /// The answer is not the JSON Prometheus sends.
    #[error("unreadable answer: {reason}")]
    Malformed {
        /// What is wrong, with position when JSON parsing said so.
        reason: String,
    },
    /// The request was refused before sending (bad step, end before start,
    /// bad URL or client settings).
    #[error("invalid request: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
}

fn declared_suffix(declared: Option<u64>) -> String {
    match declared {
        Some(n) => format!(" (Content-Length {n})"),
        None => String::new(),
    }
}

/// A failed Prometheus call: the cause and where (no credentials).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} (at {location})")]
pub struct PromError {
    /// The cause.
    pub kind: PromErrorKind,
    /// URL of the endpoint, credentials stripped.
    pub location: String,
}

impl PromError {
    /// A new error at `location`.
    pub fn new(kind: PromErrorKind, location: impl Into<String>) -> PromError {
        PromError {
            kind,
            location: location.into(),
        }
    }

    /// The stable code of this error: the envelope's `errorType` when
    /// Prometheus sent one, else the HTTP status by the core's one map
    /// ([`ErrorCode::from_http_status`]).
    pub fn code(&self) -> ErrorCode {
        match &self.kind {
            PromErrorKind::Unreachable { .. } | PromErrorKind::Disconnected { .. } => {
                ErrorCode::Unreachable
            }
            PromErrorKind::Timeout { .. } => ErrorCode::Timeout,
            PromErrorKind::Api {
                status, error_type, ..
            } => match error_type {
                ApiErrorType::BadData | ApiErrorType::Execution => ErrorCode::InvalidRequest,
                ApiErrorType::Timeout | ApiErrorType::Canceled => ErrorCode::Timeout,
                ApiErrorType::NotFound => ErrorCode::NotFound,
                ApiErrorType::Internal | ApiErrorType::Unavailable => ErrorCode::ServerError,
                ApiErrorType::Other(_) => ErrorCode::from_http_status(*status),
            },
            PromErrorKind::Http { status, .. } => ErrorCode::from_http_status(*status),
            PromErrorKind::TooLarge { .. } => ErrorCode::TooLarge,
            PromErrorKind::Malformed { .. } => ErrorCode::MalformedResponse,
            PromErrorKind::InvalidInput { .. } => ErrorCode::InvalidRequest,
        }
    }

    /// HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            PromErrorKind::Api { status, .. } | PromErrorKind::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Appended to a 401's message: what to check.
const UNAUTHENTICATED_HINT: &str = " (check the metrics credentials: MODELDECK_METRICS_TOKEN, \
     or MODELDECK_METRICS_USERNAME with MODELDECK_METRICS_PASSWORD, or the user info of the URL)";

impl From<PromError> for BackendError {
    fn from(e: PromError) -> BackendError {
        let code = e.code();
        let mut message = e.kind.to_string();
        if code == ErrorCode::Unauthenticated {
            message.push_str(UNAUTHENTICATED_HINT);
        }
        BackendError::new(Backend::Metrics, code, message).at(e.location)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_envelopes_and_statuses_to_codes() {
        let api = |status, t: &str| {
            PromError::new(
                PromErrorKind::Api {
                    status,
                    error_type: ApiErrorType::parse(t),
                    message: "m".into(),
                },
                "http://p/api/v1/query",
            )
        };
        assert_eq!(api(422, "execution").code(), ErrorCode::InvalidRequest);
        assert_eq!(api(400, "bad_data").code(), ErrorCode::InvalidRequest);
        assert_eq!(api(503, "timeout").code(), ErrorCode::Timeout);
        assert_eq!(api(500, "internal").code(), ErrorCode::ServerError);
        assert_eq!(api(502, "weird").code(), ErrorCode::ServerError);
        let http = |status| {
            PromError::new(
                PromErrorKind::Http {
                    status,
                    snippet: "s".into(),
                },
                "http://p/api/v1/query",
            )
            .code()
        };
        assert_eq!(http(401), ErrorCode::Unauthenticated);
        assert_eq!(http(429), ErrorCode::ServerError);
        let be: BackendError = api(422, "execution").into();
        assert_eq!(be.backend, Backend::Metrics);
        assert_eq!(be.location.as_deref(), Some("http://p/api/v1/query"));
        assert!(be.message.contains("execution error (HTTP 422)"), "{be}");
    }
}
