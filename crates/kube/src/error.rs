//! Turning kube errors into the port's [`BackendError`]s with stable codes
//! (HTTP statuses by the core's one map, [`ErrorCode::from_http_status`],
//! shared with the MLflow and Prometheus clients), and bounding calls by a
//! timeout. Messages name the context and object, and never carry
//! credentials: kube's own errors hold none, but a server's answer (a
//! Status message, or a non-Status error body kube quotes) may echo the
//! request's `Authorization` header or quote the token, so every message
//! is scrubbed of the kubeconfig secrets the clients were built with
//! ([`register_secrets`]).

use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use std::future::Future;
use std::time::Duration;

/// Credential values of every client built in this process (kubeconfig
/// bearer tokens and passwords), removed from every error message.
static SECRETS: std::sync::RwLock<Vec<String>> = std::sync::RwLock::new(Vec::new());

/// Shown instead of a credential.
const MASK: &str = "***";

/// Remembers the secrets of `auth` (a kubeconfig user: its bearer token
/// and password), so no error message built afterwards shows them.
pub(crate) fn register_secrets(auth: &kube::config::AuthInfo) {
    let Ok(v) = serde_json::to_value(auth) else {
        return;
    };
    let mut found: Vec<String> = ["token", "password"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(|s| s.as_str()))
        .map(|s| s.trim().to_string())
        .filter(|s| s.len() >= 4)
        .collect();
    // A `tokenFile`'s token is read by kube's auth layer at request time,
    // so it is not in `auth`: read it here, as that layer will.
    if let Some(token) = v
        .get("tokenFile")
        .and_then(|p| p.as_str())
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| t.len() >= 4)
    {
        found.push(token);
    }
    if let (Some(user), Some(pw)) = (
        v.get("username").and_then(|s| s.as_str()),
        v.get("password").and_then(|s| s.as_str()),
    ) {
        // The `Authorization: Basic` form an echo would carry.
        found.push(basic_base64(&format!("{user}:{pw}")));
    }
    let mut all = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for s in found {
        if !all.contains(&s) {
            all.push(s);
        }
    }
}

fn basic_base64(text: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in text.as_bytes().chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() {
                A[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

/// `text` with every registered secret replaced by `***`.
pub(crate) fn scrub(text: &str) -> String {
    let all = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for s in all.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// What a transport failure means, in words a user can act on; the
/// transport's own text follows it.
fn transport_hint(lower: &str) -> &'static str {
    if lower.contains("certificate") {
        "TLS handshake failed: the server's certificate is not trusted \
         (certificate-authority-data of the kubeconfig's cluster?): "
    } else if lower.contains("corrupt message") || lower.contains("invalidcontenttype") {
        "TLS handshake failed: the server does not speak TLS (an https:// URL for a \
         plain HTTP port?): "
    } else {
        "cannot reach the API server: "
    }
}

/// A kube error as a port error about `what` (an object or action) on `context`.
pub fn from_kube(e: kube::Error, context: &str, what: &str) -> BackendError {
    let (code, message) = match &e {
        kube::Error::Api(s) => {
            let msg = if s.message.is_empty() {
                format!("{} ({})", s.reason, s.code)
            } else {
                s.message.clone()
            };
            let msg = if s.code == 401 {
                format!(
                    "{msg}; check the kubeconfig user of context {context} (its token, client \
                     certificate or exec plugin: expired or revoked credentials?)"
                )
            } else {
                msg
            };
            (ErrorCode::from_http_status(s.code), msg)
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            let text = chain(&e);
            let lower = text.to_lowercase();
            if lower.contains(crate::cap::LIMIT_MARKER) {
                return BackendError::new(
                    Backend::Cluster,
                    ErrorCode::TooLarge,
                    format!(
                        "{what}: the answer is larger than the size cap (KubeOptions::max_body_bytes); \
                         it was not read further"
                    ),
                )
                .at(format!("context {context}"));
            }
            // The connection ended before the body it announced: the
            // server answered, badly (as the other adapters say it).
            if lower.contains("end of file before message length") {
                return BackendError::new(
                    Backend::Cluster,
                    ErrorCode::MalformedResponse,
                    scrub(&format!("{what}: the answer was cut short: {text}")),
                )
                .at(format!("context {context}"));
            }
            let code = if lower.contains("timed out")
                || lower.contains("timeout")
                || lower.contains("elapsed")
            {
                ErrorCode::Timeout
            } else {
                ErrorCode::Unreachable
            };
            (code, format!("{}{text}", transport_hint(&lower)))
        }
        kube::Error::SerdeError(_) | kube::Error::FromUtf8(_) => {
            (ErrorCode::MalformedResponse, chain(&e))
        }
        kube::Error::Auth(_) => (ErrorCode::Unauthenticated, chain(&e)),
        kube::Error::RustlsTls(_) | kube::Error::TlsRequired => {
            (ErrorCode::Unreachable, format!("TLS: {}", chain(&e)))
        }
        kube::Error::InferKubeconfig(_) | kube::Error::InferConfig(_) => (
            ErrorCode::InvalidRequest,
            format!("kubeconfig: {}", chain(&e)),
        ),
        kube::Error::BuildRequest(_) | kube::Error::HttpError(_) => {
            (ErrorCode::InvalidRequest, chain(&e))
        }
        _ => (ErrorCode::ServerError, chain(&e)),
    };
    BackendError::new(Backend::Cluster, code, scrub(&format!("{what}: {message}")))
        .at(format!("context {context}"))
}

/// A port error of `code` about `context`.
pub fn cluster_error(code: ErrorCode, context: &str, message: impl Into<String>) -> BackendError {
    BackendError::new(Backend::Cluster, code, scrub(&message.into()))
        .at(format!("context {context}"))
}

/// Runs `fut` with a time budget; past it, a `Timeout` error naming `what`.
pub async fn bounded<T>(
    budget: Duration,
    context: &str,
    what: &str,
    fut: impl Future<Output = PortResult<T>>,
) -> PortResult<T> {
    match tokio::time::timeout(budget, fut).await {
        Ok(r) => r,
        Err(_) => Err(cluster_error(
            ErrorCode::Timeout,
            context,
            format!("{what}: no answer within {} ms", budget.as_millis()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_stable_codes() {
        let s =
            kube::core::Status::failure("Operation cannot be fulfilled", "Conflict").with_code(409);
        let e = from_kube(
            kube::Error::Api(Box::new(s)),
            "prod",
            "patch deployments ml/fraud",
        );
        assert_eq!(e.code, ErrorCode::Conflict);
        assert!(e.message.contains("ml/fraud"));
        assert_eq!(e.location.as_deref(), Some("context prod"));
        let status = |code: u16| {
            let s = kube::core::Status::failure("m", "r").with_code(code);
            from_kube(kube::Error::Api(Box::new(s)), "prod", "get x").code
        };
        assert_eq!(status(403), ErrorCode::Forbidden);
        assert_eq!(
            status(410),
            ErrorCode::Conflict,
            "an expired resourceVersion"
        );
        assert_eq!(
            status(429),
            ErrorCode::ServerError,
            "was server_error already"
        );
        assert_eq!(status(413), ErrorCode::TooLarge, "was server_error");
        assert_eq!(status(500), ErrorCode::ServerError);
    }

    #[tokio::test]
    async fn bounded_times_out() {
        let r: PortResult<()> = bounded(Duration::from_millis(10), "c", "slow thing", async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        })
        .await;
        assert_eq!(r.unwrap_err().code, ErrorCode::Timeout);
    }
}
