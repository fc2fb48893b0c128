//! How every failure becomes a [`BackendError`] with a stable code: HTTP
//! status and MLflow's JSON error envelope (or the plain-text and HTML
//! bodies some answers carry), transport errors, undecodable JSON.

use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_http::{TransportKind, error_chain};
use reqwest::StatusCode;
use serde::Deserialize;
use std::time::Duration;

/// A failed call: the error for callers, plus what the server said.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The error as it crosses the port.
    pub error: BackendError,
    /// HTTP status, if an answer arrived.
    pub status: Option<u16>,
    /// MLflow's `error_code`, if the body was MLflow's JSON envelope.
    pub mlflow_code: Option<String>,
    /// MLflow's `message`, likewise.
    pub server_message: Option<String>,
}

impl Failure {
    /// A failure without an HTTP answer.
    pub(crate) fn plain(error: BackendError) -> Self {
        Failure {
            error,
            status: None,
            mlflow_code: None,
            server_message: None,
        }
    }

    /// A 404 whose body was not MLflow's envelope: the route does not exist
    /// (an older server, or not MLflow at all).
    pub(crate) fn is_missing_route(&self) -> bool {
        self.status == Some(404) && self.mlflow_code.is_none()
    }

    /// The same failure with another code and message prefix.
    pub(crate) fn recode(mut self, code: ErrorCode, why: &str) -> Self {
        self.error.code = code;
        self.error.message = format!("{why}: {}", self.error.message);
        self
    }
}

impl From<Failure> for BackendError {
    fn from(f: Failure) -> Self {
        f.error
    }
}

fn err(code: ErrorCode, message: String, location: &str) -> BackendError {
    BackendError::new(Backend::Registry, code, message).at(location)
}

/// A transport-level reqwest error. The caller scrubs it.
pub(crate) fn from_reqwest(e: reqwest::Error, location: &str, timeout: Duration) -> Failure {
    let kind = TransportKind::of(&e);
    let cause = error_chain(&e.without_url());
    let (code, msg) = match kind {
        TransportKind::Timeout => (
            ErrorCode::Timeout,
            format!("no complete answer within {:.1} s", timeout.as_secs_f64()),
        ),
        TransportKind::Connect => (ErrorCode::Unreachable, format!("cannot connect: {cause}")),
        TransportKind::Body => (
            ErrorCode::MalformedResponse,
            format!("response body ended early or was corrupt: {cause}"),
        ),
        TransportKind::Redirect => (ErrorCode::ServerError, format!("redirect failed: {cause}")),
        TransportKind::Other => (ErrorCode::Unreachable, format!("request failed: {cause}")),
    };
    Failure::plain(err(code, msg, location))
}

#[derive(Deserialize)]
struct Envelope {
    error_code: String,
    #[serde(default)]
    message: String,
}

/// A non-2xx answer. The code is the status's, by the core's one map
/// ([`ErrorCode::from_http_status`]); `body` may be MLflow's JSON envelope
/// (its `error_code` and `message` are kept for callers and the message),
/// plain text (basic-auth 401/403), or HTML (unknown routes, proxies).
pub(crate) fn from_status(status: StatusCode, ctype: &str, body: &[u8], location: &str) -> Failure {
    let envelope = serde_json::from_slice::<Envelope>(body).ok();
    let code = ErrorCode::from_http_status(status.as_u16());
    let reason = status.canonical_reason().unwrap_or("");
    let msg = match &envelope {
        Some(env) => format!(
            "HTTP {} {}: {}",
            status.as_u16(),
            env.error_code,
            short(&env.message, 500)
        ),
        None => {
            let text = snippet(body, ctype);
            let kind = if ctype.is_empty() {
                "no content type".to_string()
            } else {
                ctype.to_string()
            };
            let hint = if status == StatusCode::NOT_FOUND {
                " (no such API route: not an MLflow tracking server, or one too old for this call)"
            } else {
                ""
            };
            if text.is_empty() {
                format!("HTTP {} {reason} ({kind}){hint}", status.as_u16())
            } else {
                format!("HTTP {} {reason} ({kind}){hint}: {text}", status.as_u16())
            }
        }
    };
    // A 404 without MLflow's envelope on its REST API: the route does not
    // exist. Real MLflow answers a missing model, version or alias there
    // with its JSON envelope, so this is not "no such model" (exit 3) but a
    // server that is not MLflow, or one too old for this call. (`/version`
    // and the artifact routes keep `not_found`: older servers lack the
    // first, and a missing file is a plain 404.)
    let (code, msg) = if status == StatusCode::NOT_FOUND
        && envelope.is_none()
        && location.contains("/2.0/mlflow/")
    {
        (
            ErrorCode::Unsupported,
            format!("not an MLflow server at {}: {msg}", server_of(location)),
        )
    } else {
        (code, msg)
    };
    let msg = if matches!(code, ErrorCode::Unauthenticated) {
        format!(
            "{msg} (check MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN)"
        )
    } else {
        msg
    };
    Failure {
        error: err(code, msg, location),
        status: Some(status.as_u16()),
        mlflow_code: envelope.as_ref().map(|e| e.error_code.clone()),
        server_message: envelope.map(|e| e.message),
    }
}

/// The server part of an endpoint URL: what comes before MLflow's API
/// prefix (`/api/2.0/mlflow/…` or `/ajax-api/…`), else the URL itself.
fn server_of(location: &str) -> &str {
    ["/api/2.0/", "/ajax-api/"]
        .iter()
        .find_map(|p| location.find(p).map(|i| &location[..i]))
        .unwrap_or(location)
}

/// A 2xx answer whose JSON could not be decoded.
pub(crate) fn malformed(
    endpoint: &str,
    location: &str,
    body: &[u8],
    e: &serde_json::Error,
) -> Failure {
    let what = if body.is_empty() {
        "empty body".to_string()
    } else if e.is_eof() {
        format!("JSON truncated after {} bytes ({e})", body.len())
    } else {
        format!(
            "invalid JSON ({e}); body starts {:?}",
            short(&String::from_utf8_lossy(body), 80)
        )
    };
    Failure::plain(err(
        ErrorCode::MalformedResponse,
        format!("unreadable answer from MLflow endpoint {endpoint}: {what}"),
        location,
    ))
}

/// Printable text of a body: tags dropped from HTML, whitespace collapsed, short.
fn snippet(body: &[u8], ctype: &str) -> String {
    let raw = String::from_utf8_lossy(body);
    let text = if ctype.contains("html") || raw.trim_start().starts_with('<') {
        let mut out = String::new();
        let mut in_tag = false;
        for c in raw.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    } else {
        raw.into_owned()
    };
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    short(&collapsed, 200)
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
#[path = "errors_tests.rs"]
mod tests;
