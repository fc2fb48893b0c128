//! The Prometheus HTTP API client: instant and range queries, series and
//! label values, and a raw call for anything else. The client, auth, size
//! cap and scrubbing come from modeldeck-http. Every request carries the
//! configured auth and timeout; every body is read through a size cap;
//! every answer goes through one envelope decoder that turns HTTP statuses,
//! error envelopes, HTML pages and broken JSON into typed [`PromError`]s.

use crate::config::{Auth, ClientConfig, base_url};
use crate::error::{PromError, PromErrorKind};
use crate::step::{RangeQuery, step_param, time_param};
use crate::wire::{ApiResponse, Labels, QueryData, RangeSeries, decode_query_data};
use modeldeck_core::domain::Timestamp;
use modeldeck_http::{
    BodyError, ClientOptions, Scrubber, TransportKind, build_client, error_chain, read_capped,
};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::debug;
use url::Url;

/// A client for one Prometheus (or anything speaking its API: Thanos,
/// Mimir, VictoriaMetrics). Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct PromClient {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
    scrubber: Scrubber,
    timeout: Duration,
    max_body: u64,
    sent: AtomicU64,
}

impl PromClient {
    /// Builds a client. Fails on a bad URL, a zero timeout, a zero cap or
    /// an unreadable CA bundle.
    pub fn new(cfg: ClientConfig) -> Result<PromClient, PromError> {
        let (base, url_auth) = base_url(&cfg.url)?;
        let invalid =
            |reason: String| PromError::new(PromErrorKind::InvalidInput { reason }, base.as_str());
        if cfg.max_body_bytes == 0 {
            return Err(invalid("response size cap must be positive".into()));
        }
        let auth = match (cfg.auth, url_auth) {
            (Auth::None, Some(from_url)) => from_url,
            (explicit, _) => explicit,
        };
        let opts = ClientOptions {
            timeout: cfg.timeout,
            ca_cert_path: cfg.ca_cert_path,
            insecure_tls: cfg.insecure_tls,
            user_agent: concat!("modeldeck/", env!("CARGO_PKG_VERSION")).into(),
        };
        let http = build_client(&opts).map_err(|e| invalid(error_chain(&e)))?;
        Ok(PromClient {
            http,
            scrubber: Scrubber::for_auth(&auth),
            base,
            auth,
            timeout: cfg.timeout,
            max_body: cfg.max_body_bytes,
            sent: AtomicU64::new(0),
        })
    }

    /// The base URL, credentials stripped.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// How many HTTP requests this client has sent (for tests and the
    /// "constant number of queries" guarantee).
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Instant query at `at` (server time when `None`).
    pub async fn query(
        &self,
        promql: &str,
        at: Option<Timestamp>,
    ) -> Result<ApiResponse<QueryData>, PromError> {
        let mut form = vec![
            ("query", promql.to_string()),
            ("timeout", step_param(self.timeout.as_millis() as i64)),
        ];
        if let Some(t) = at {
            form.push(("time", time_param(t)));
        }
        let path = "api/v1/query";
        let r = self.post_form(path, &form).await?;
        self.map_data(r, path, decode_query_data)
    }

    /// Range query. `range` is already clamped to the point limit (build it
    /// with [`RangeQuery::clamped`]).
    pub async fn query_range(
        &self,
        promql: &str,
        range: &RangeQuery,
    ) -> Result<ApiResponse<Vec<RangeSeries>>, PromError> {
        let form = vec![
            ("query", promql.to_string()),
            ("start", time_param(range.start)),
            ("end", time_param(range.end)),
            ("step", step_param(range.step_ms)),
            ("timeout", step_param(self.timeout.as_millis() as i64)),
        ];
        let path = "api/v1/query_range";
        let r = self.post_form(path, &form).await?;
        self.map_data(r, path, |v| match decode_query_data(v)? {
            QueryData::Matrix(m) => Ok(m),
            other => Err(format!(
                "range query returned a {}, not a matrix",
                other.kind()
            )),
        })
    }

    /// Series matching any of `matchers` (at least one), optionally within
    /// `[start, end]`.
    pub async fn series(
        &self,
        matchers: &[&str],
        start: Option<Timestamp>,
        end: Option<Timestamp>,
    ) -> Result<ApiResponse<Vec<Labels>>, PromError> {
        let path = "api/v1/series";
        if matchers.is_empty() {
            return Err(PromError::new(
                PromErrorKind::InvalidInput {
                    reason: "series needs at least one match[] selector".into(),
                },
                self.location(path),
            ));
        }
        let mut form: Vec<(&str, String)> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        push_window(&mut form, start, end);
        let r = self.post_form(path, &form).await?;
        self.map_data(r, path, |v| {
            serde_json::from_value(v).map_err(|e| format!("series data: {e}"))
        })
    }

    /// Values of label `name` (`__name__` lists metric names), optionally
    /// restricted to series matching `matchers` and to `[start, end]`.
    pub async fn label_values(
        &self,
        name: &str,
        matchers: &[&str],
        start: Option<Timestamp>,
        end: Option<Timestamp>,
    ) -> Result<ApiResponse<Vec<String>>, PromError> {
        let mut url = self.base.clone();
        if let Ok(mut seg) = url.path_segments_mut() {
            seg.pop_if_empty()
                .extend(["api", "v1", "label", name, "values"]);
        }
        let mut params: Vec<(&str, String)> = matchers
            .iter()
            .map(|m| ("match[]", m.to_string()))
            .collect();
        push_window(&mut params, start, end);
        let location = url.to_string();
        let req = self.http.get(url).query(&params);
        let r = self.send(req, &location).await?;
        map_data_at(r, &location, |v| {
            serde_json::from_value(v).map_err(|e| format!("label values data: {e}"))
        })
    }

    /// POSTs a form to any API path (relative to the base URL, e.g.
    /// `api/v1/query`) and returns the envelope's raw `data`. Nothing is
    /// added to the form: no timeout, no clamping.
    pub async fn post_form<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        form: &[(K, V)],
    ) -> Result<ApiResponse<Value>, PromError> {
        let url = self.endpoint(path)?;
        let location = url.to_string();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        let req = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        self.send(req, &location).await
    }

    /// GETs any API path and returns the envelope's raw `data`.
    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<ApiResponse<Value>, PromError> {
        let url = self.endpoint(path)?;
        let location = url.to_string();
        self.send(self.http.get(url).query(query), &location).await
    }

    fn endpoint(&self, path: &str) -> Result<Url, PromError> {
        self.base.join(path.trim_start_matches('/')).map_err(|e| {
            PromError::new(
                PromErrorKind::InvalidInput {
                    reason: format!("bad API path {path:?}: {e}"),
                },
                self.base.as_str(),
            )
        })
    }

    fn location(&self, path: &str) -> String {
        self.endpoint(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| self.base.to_string())
    }

    fn map_data<T>(
        &self,
        r: ApiResponse<Value>,
        path: &str,
        f: impl FnOnce(Value) -> Result<T, String>,
    ) -> Result<ApiResponse<T>, PromError> {
        map_data_at(r, &self.location(path), f)
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        location: &str,
    ) -> Result<ApiResponse<Value>, PromError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let req = self.auth.apply(req);
        debug!(%location, "prometheus request");
        let resp = req
            .send()
            .await
            .map_err(|e| self.transport_error(e, location))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("no content type")
            .to_string();
        let body = read_capped(resp, self.max_body)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge { limit, declared } => {
                    PromError::new(PromErrorKind::TooLarge { limit, declared }, location)
                }
                BodyError::Transport(e) => self.transport_error(e, location),
            })?;
        let out = crate::decode::decode_envelope(status, &content_type, &body, &self.scrubber)
            .map_err(|kind| PromError::new(kind, location))?;
        if !out.warnings.is_empty() {
            debug!(%location, warnings = ?out.warnings, "prometheus warnings");
        }
        Ok(out)
    }

    fn transport_error(&self, e: reqwest::Error, location: &str) -> PromError {
        let kind = TransportKind::of(&e);
        let reason = self.scrubber.clean(&error_chain(&e.without_url()));
        let kind = match kind {
            TransportKind::Timeout => PromErrorKind::Timeout {
                after: self.timeout,
            },
            TransportKind::Body => PromErrorKind::Malformed {
                reason: format!("the answer was cut off: {reason}"),
            },
            TransportKind::Connect => PromErrorKind::Unreachable { reason },
            TransportKind::Redirect | TransportKind::Other => {
                PromErrorKind::Disconnected { reason }
            }
        };
        PromError::new(kind, location)
    }
}

fn map_data_at<T>(
    r: ApiResponse<Value>,
    location: &str,
    f: impl FnOnce(Value) -> Result<T, String>,
) -> Result<ApiResponse<T>, PromError> {
    let data = f(r.data)
        .map_err(|reason| PromError::new(PromErrorKind::Malformed { reason }, location))?;
    Ok(ApiResponse {
        data,
        warnings: r.warnings,
        infos: r.infos,
    })
}

fn push_window(form: &mut Vec<(&str, String)>, start: Option<Timestamp>, end: Option<Timestamp>) {
    if let Some(s) = start {
        form.push(("start", time_param(s)));
    }
    if let Some(e) = end {
        form.push(("end", time_param(e)));
    }
}
