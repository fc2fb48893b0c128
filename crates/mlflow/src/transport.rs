//! The HTTP layer: one reqwest client (built by `modeldeck-http`),
//! credentials on every request, idempotent requests retried on transient
//! failures, the body read under a size cap, and every failure turned into
//! a [`Failure`] (a [`BackendError`] plus what the server said, for callers
//! that must tell "missing alias" or "missing route" apart) with every
//! secret scrubbed from it.

use crate::config::MlflowConfig;
use crate::errors::{Failure, from_reqwest, from_status, malformed};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_http::{
    BodyError, ClientOptions, Scrubber, build_client, error_chain, read_capped, read_truncated,
    redact_url, send_with_retries,
};
use reqwest::{Method, Response};
use serde::de::DeserializeOwned;
use url::Url;

/// Path of the REST API under the server root.
pub const API_PREFIX: &str = "api/2.0/mlflow/";
/// At most this much of an error body is read to build a message.
const ERROR_BODY_CAP: u64 = 64 * 1024;

/// Whether repeating a request is harmless, which decides if it may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// By its method: GET, HEAD, PUT, DELETE, OPTIONS are idempotent.
    ByMethod,
    /// A POST that sets a named thing to a given value (a tag, an alias):
    /// a repeat leaves the same state.
    Idempotent,
}

/// What a request carries.
#[derive(Debug, Clone, Copy)]
enum Body<'a> {
    /// Nothing.
    Empty,
    /// A JSON document (`Content-Type: application/json`).
    Json(&'a serde_json::Value),
    /// Raw bytes (`Content-Type: application/octet-stream`).
    Bytes(&'a [u8]),
}

/// The configured HTTP client.
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    scrubber: Scrubber,
    pub(crate) cfg: MlflowConfig,
}

impl Transport {
    /// Builds the reqwest client. Fails (`invalid_request`) on an unusable
    /// CA bundle or a zero timeout.
    pub(crate) fn new(cfg: MlflowConfig) -> Result<Self, BackendError> {
        let opts = ClientOptions {
            timeout: cfg.timeout,
            ca_cert_path: cfg.ca_cert_path.clone(),
            insecure_tls: cfg.insecure_tls,
            user_agent: concat!("modeldeck-mlflow/", env!("CARGO_PKG_VERSION")).into(),
        };
        let http = build_client(&opts).map_err(|e| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::InvalidRequest,
                error_chain(&e),
            )
            .at(redact_url(&cfg.base_url))
        })?;
        Ok(Transport {
            http,
            scrubber: Scrubber::for_auth(&cfg.auth),
            cfg,
        })
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
        let body = self
            .fetch(Method::GET, &url, Body::Empty, Repeat::ByMethod)
            .await?;
        decode(endpoint, &url, &body).map_err(|f| self.scrub(f))
    }

    /// POST/PATCH/DELETE an API endpoint with a JSON body (DELETE too: MLflow
    /// reads DELETE parameters from the body) and decode the answer.
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        body: &serde_json::Value,
        repeat: Repeat,
    ) -> Result<T, Failure> {
        let url = self.api_url(endpoint, &[])?;
        let bytes = self.fetch(method, &url, Body::Json(body), repeat).await?;
        decode(endpoint, &url, &bytes).map_err(|f| self.scrub(f))
    }

    /// GET any URL under the server and return the raw (capped) body.
    pub(crate) async fn get_bytes(&self, url: &Url) -> Result<Vec<u8>, Failure> {
        self.fetch(Method::GET, url, Body::Empty, Repeat::ByMethod)
            .await
    }

    /// PUT raw bytes to any URL under the server (the artifact proxy's
    /// upload); the answer's body is read under the cap and dropped. PUT is
    /// idempotent, so it is retried like a GET.
    pub(crate) async fn put_bytes(&self, url: &Url, bytes: &[u8]) -> Result<(), Failure> {
        self.fetch(Method::PUT, url, Body::Bytes(bytes), Repeat::ByMethod)
            .await
            .map(drop)
    }

    async fn fetch(
        &self,
        method: Method,
        url: &Url,
        body: Body<'_>,
        repeat: Repeat,
    ) -> Result<Vec<u8>, Failure> {
        let location = redact_url(url);
        tracing::debug!(%method, url = %location, "mlflow request");
        let idempotent = repeat == Repeat::Idempotent || method.is_idempotent();
        let build = || {
            let req = self
                .cfg
                .auth
                .apply(self.http.request(method.clone(), url.clone()));
            match body {
                Body::Json(b) => req.json(b),
                Body::Bytes(b) => req
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(b.to_vec()),
                Body::Empty => req,
            }
        };
        let resp = send_with_retries(&self.cfg.retry, idempotent, build)
            .await
            .map_err(|e| self.scrub(from_reqwest(e, &location, self.cfg.timeout)))?;
        let status = resp.status();
        if !status.is_success() {
            let ctype = content_type(&resp);
            let (text, _) = read_truncated(resp, ERROR_BODY_CAP)
                .await
                .map_err(|e| self.scrub(from_reqwest(e, &location, self.cfg.timeout)))?;
            return Err(self.scrub(from_status(status, &ctype, &text, &location)));
        }
        read_capped(resp, self.cfg.max_body_bytes)
            .await
            .map_err(|e| match e {
                BodyError::Transport(e) => from_reqwest(e, &location, self.cfg.timeout),
                too_large @ BodyError::TooLarge { .. } => Failure::plain(
                    BackendError::new(
                        Backend::Registry,
                        ErrorCode::TooLarge,
                        too_large.to_string(),
                    )
                    .at(&location),
                ),
            })
            .map_err(|f| self.scrub(f))
    }

    /// Removes every credential from a failure's texts, in case a hostile or
    /// misconfigured server echoed request headers back or quoted the token.
    pub(crate) fn scrub(&self, mut f: Failure) -> Failure {
        f.error.message = self.scrubber.clean(&f.error.message);
        if let Some(m) = f.server_message.as_mut() {
            *m = self.scrubber.clean(m);
        }
        f
    }
}

fn content_type(resp: &Response) -> String {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Decodes a 2xx answer. Every MLflow answer is a JSON object; serde would
/// read a struct whose fields all have defaults from an array (`[]`), so a
/// server that is not MLflow would pass as "nothing found". The caller
/// scrubs the failure (its message quotes the body).
fn decode<T: DeserializeOwned>(endpoint: &str, url: &Url, body: &[u8]) -> Result<T, Failure> {
    let value = serde_json::from_slice(body)
        .map_err(|e| malformed(endpoint, &redact_url(url), body, &e))?;
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => Ok(value),
        Some(_) => {
            let text = String::from_utf8_lossy(body);
            let start: String = text.trim().chars().take(80).collect();
            Err(Failure::plain(
                BackendError::new(
                    Backend::Registry,
                    ErrorCode::MalformedResponse,
                    format!(
                        "unreadable answer from MLflow endpoint {endpoint}: JSON that is not an \
                         object (body starts {start:?}); is this an MLflow server?"
                    ),
                )
                .at(redact_url(url)),
            ))
        }
    }
}
