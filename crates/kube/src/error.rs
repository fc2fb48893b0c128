//! Turning kube errors into the port's [`BackendError`]s with stable codes
//! (HTTP statuses by the core's one map, [`ErrorCode::from_http_status`],
//! shared with the MLflow and Prometheus clients), and bounding calls by a
//! timeout. Messages name the context and object;
//! they never carry credentials (kube's errors hold none, Status messages
//! come from the server).

use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use std::future::Future;
use std::time::Duration;

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
    BackendError::new(Backend::Cluster, code, format!("{what}: {message}"))
        .at(format!("context {context}"))
}

/// A port error of `code` about `context`.
pub fn cluster_error(code: ErrorCode, context: &str, message: impl Into<String>) -> BackendError {
    BackendError::new(Backend::Cluster, code, message).at(format!("context {context}"))
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
