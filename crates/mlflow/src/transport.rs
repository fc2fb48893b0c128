//! The HTTP layer: one reqwest client, credentials on every request, the
//! body read chunk by chunk under a size cap, and every failure turned into
//! a [`Failure`] (a [`BackendError`] plus what the server said, for callers
//! that must tell "missing alias" or "missing route" apart).

use crate::config::{Auth, MlflowConfig};
use crate::errors::{Failure, from_reqwest, from_status, malformed};
use crate::redact::redact_url;
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

/// Path of the REST API under the server root.
pub const API_PREFIX: &str = "api/2.0/mlflow/";
/// At most this much of an error body is read to build a message.
const ERROR_BODY_CAP: u64 = 64 * 1024;

/// The configured HTTP client.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    pub(crate) cfg: MlflowConfig,
}

impl Transport {
    /// Builds the reqwest client (ring as the rustls provider).
    pub(crate) fn new(cfg: MlflowConfig) -> Result<Self, BackendError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let bad = |m: String| {
            BackendError::new(Backend::Registry, ErrorCode::InvalidRequest, m)
                .at(redact_url(&cfg.base_url))
        };
        let mut b = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("modeldeck-mlflow/", env!("CARGO_PKG_VERSION")));
        if cfg.insecure_tls {
            b = b.tls_danger_accept_invalid_certs(true);
        }
        if let Some(p) = &cfg.ca_cert_path {
            let pem = std::fs::read(p)
                .map_err(|e| bad(format!("cannot read CA bundle {}: {e}", p.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| bad(format!("invalid PEM CA bundle {}: {e}", p.display())))?;
            b = b.tls_certs_merge(certs);
        }
        let http = b
            .build()
            .map_err(|e| bad(format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport { http, cfg })
    }

    /// `<root>/api/2.0/mlflow/<endpoint>?<query>`.
    pub(crate) fn api_url(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Url, Failure> {
        self.url(&format!("{API_PREFIX}{endpoint}"), query)
    }

    /// `<root>/<path>?<query>`; `path` is relative to the server root.
    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, Failure> {
        let mut url = self.cfg.base_url.join(path).map_err(|e| {
            Failure::plain(
                BackendError::new(
                    Backend::Registry,
                    ErrorCode::InvalidRequest,
                    format!("cannot build a URL for {path:?}: {e}"),
                )
                .at(redact_url(&self.cfg.base_url)),
            )
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// GET an API endpoint and decode its JSON answer.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
    ) -> Result<T, Failure> {
        let url = self.api_url(endpoint, query)?;
        let body = self.fetch(Method::GET, &url, None).await?;
        decode(endpoint, &url, &body)
    }

    /// POST/PATCH/DELETE an API endpoint with a JSON body (DELETE too: MLflow
    /// reads DELETE parameters from the body) and decode the answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> Result<T, Failure> {
        let url = self.api_url(endpoint, &[])?;
        let bytes = self.fetch(method, &url, Some(body)).await?;
        decode(endpoint, &url, &bytes)
    }

    /// GET any URL under the server and return the raw (capped) body.
    pub(crate) async fn get_bytes(&self, url: &Url) -> Result<Vec<u8>, Failure> {
        self.fetch(Method::GET, url, None).await
    }

    async fn fetch(
        &self,
        method: Method,
        url: &Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Vec<u8>, Failure> {
        let location = redact_url(url);
        tracing::debug!(%method, url = %location, "mlflow request");
        let mut req = self.http.request(method, url.clone());
        req = match &self.cfg.auth {
            Auth::None => req,
            Auth::Basic { username, password } => req.basic_auth(username, Some(password.expose())),
            Auth::Bearer(token) => req.bearer_auth(token.expose()),
        };
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| self.scrub(from_reqwest(e, &location, self.cfg.timeout)))?;
        let status = resp.status();
        if !status.is_success() {
            let ctype = content_type(&resp);
            let (text, _) = self
                .read_capped(resp, ERROR_BODY_CAP, &location, true)
                .await?;
            return Err(self.scrub(from_status(status, &ctype, &text, &location)));
        }
        let (bytes, _) = self
            .read_capped(resp, self.cfg.max_body_bytes, &location, false)
            .await?;
        Ok(bytes)
    }

    /// Reads at most `cap` bytes. Over the cap: `TooLarge` unless `truncate`
    /// (error bodies), in which case the first `cap` bytes are kept.
    async fn read_capped(
        &self,
        mut resp: Response,
        cap: u64,
        location: &str,
        truncate: bool,
    ) -> Result<(Vec<u8>, bool), Failure> {
        let too_large = |n: u64, known: bool| {
            let how = if known {
                "announces"
            } else {
                "exceeds, after reading"
            };
            Failure::plain(
                BackendError::new(
                    Backend::Registry,
                    ErrorCode::TooLarge,
                    format!("response body {how} {n} bytes, over the cap of {cap} bytes"),
                )
                .at(location),
            )
        };
        if let Some(n) = resp.content_length().filter(|n| *n > cap) {
            if !truncate {
                return Err(too_large(n, true));
            }
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => return Ok((out, false)),
                Err(e) => return Err(self.scrub(from_reqwest(e, location, self.cfg.timeout))),
            };
            let room = cap.saturating_sub(out.len() as u64) as usize;
            if chunk.len() > room {
                if truncate {
                    out.extend_from_slice(&chunk[..room]);
                    return Ok((out, true));
                }
                return Err(too_large(out.len() as u64 + chunk.len() as u64, false));
            }
            out.extend_from_slice(&chunk);
        }
    }

    /// Removes every credential value from a failure's message, in case a
    /// hostile or misconfigured server echoed request headers back.
    pub(crate) fn scrub(&self, mut f: Failure) -> Failure {
        let secrets: Vec<&str> = match &self.cfg.auth {
            Auth::None => vec![],
            Auth::Basic { password, .. } => vec![password.expose()],
            Auth::Bearer(t) => vec![t.expose()],
        };
        for s in secrets.into_iter().filter(|s| s.len() >= 4) {
            f.error.message = f.error.message.replace(s, "***");
            if let Some(m) = f.server_message.as_mut() {
                *m = m.replace(s, "***");
            }
        }
        if let Auth::Basic { .. } = &self.cfg.auth {
            // A header echo would show base64(user:pass); hide any Basic credential.
            f.error.message = hide_after(&f.error.message, "Basic ");
        }
        f.error.message = hide_after(&f.error.message, "Bearer ");
        f
    }
}

/// Replaces the word following each `marker` with `***`.
fn hide_after(s: &str, marker: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        let after = &rest[i + marker.len()..];
        let end = after
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(after.len());
        out.push_str("***");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn content_type(resp: &Response) -> String {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn decode<T: DeserializeOwned>(endpoint: &str, url: &Url, body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| malformed(endpoint, &redact_url(url), body, &e))
}

#[cfg(test)]
mod tests {
    use super::hide_after;

    #[test]
    fn hides_credentials_after_markers() {
        assert_eq!(
            hide_after("authorization: Bearer abc.def rest", "Bearer "),
            "authorization: Bearer *** rest"
        );
        assert_eq!(
            hide_after("x\"Basic Ym9iOnB3\"", "Basic "),
            "x\"Basic ***\""
        );
        assert_eq!(hide_after("nothing here", "Bearer "), "nothing here");
    }
}
