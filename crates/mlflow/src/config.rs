//! Where the MLflow server is and how to talk to it: base URL, credentials,
//! TLS, timeout, retries, body cap and page sizes. Read from MLflow's own environment
//! conventions or built explicitly. `Debug` never shows a secret.

use modeldeck_http::{Auth, BaseUrlError, RetryPolicy, Secret, parse_base_url, redact_url};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;
use url::Url;

/// Default cap on a response body (32 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// Default per-request timeout (30 s; MLflow's Python client waits 120 s,
/// made for batch jobs, not for a console).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default page size of searches (the server caps registered models at 1000).
pub const DEFAULT_PAGE_SIZE: u32 = 1000;
/// Largest metric-history page MLflow's own client asks for.
pub const MAX_HISTORY_PAGE: u32 = 25_000;
/// Default retries of an idempotent request after a connect error, 429,
/// 502, 503 or 504. MLflow's Python client retries 7 times with a 2 s
/// factor (about 4 minutes of waiting, for batch jobs); a console that
/// polls again anyway gives up sooner: 3 retries, waits of 0, 1 and 2 s.
pub const DEFAULT_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 3,
    backoff_factor: Duration::from_millis(500),
    max_backoff: modeldeck_http::DEFAULT_MAX_BACKOFF,
};
/// Most retries `MLFLOW_HTTP_REQUEST_MAX_RETRIES` may ask for (MLflow's own limit).
pub const MAX_RETRIES_LIMIT: u32 = 10;
/// Largest `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`, in seconds (MLflow's own limit).
pub const MAX_BACKOFF_FACTOR_SECS: u64 = 120;

/// A configuration that cannot be used, naming the variable or value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No tracking URI given.
    #[error("no MLflow tracking URI: set MLFLOW_TRACKING_URI (e.g. http://127.0.0.1:5000)")]
    MissingUri,
    /// The URI does not parse or is not http(s).
    #[error("MLflow tracking URI {uri:?}: {reason}")]
    BadUri {
        /// The URI, credentials stripped.
        uri: String,
        /// Why it is unusable.
        reason: String,
    },
    /// An environment variable has an unusable value.
    #[error("environment variable {var}: {reason}")]
    BadEnv {
        /// Variable name.
        var: String,
        /// Why.
        reason: String,
    },
}

/// Everything the client needs. Build with [`MlflowConfig::new`] or
/// [`MlflowConfig::from_env`], then adjust the public fields.
#[derive(Clone)]
pub struct MlflowConfig {
    /// Server root, without credentials, ending in `/` (`http://host:5000/`).
    pub base_url: Url,
    /// Credentials.
    pub auth: Auth,
    /// Accept any TLS certificate (`MLFLOW_TRACKING_INSECURE_TLS`).
    pub insecure_tls: bool,
    /// Extra PEM CA bundle (`MLFLOW_TRACKING_SERVER_CERT_PATH`).
    pub ca_cert_path: Option<std::path::PathBuf>,
    /// Timeout of one attempt, body included.
    pub timeout: Duration,
    /// Retries of idempotent requests (`MLFLOW_HTTP_REQUEST_MAX_RETRIES`,
    /// `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`).
    pub retry: RetryPolicy,
    /// Largest response body accepted; bigger ones fail with `too_large`.
    pub max_body_bytes: u64,
    /// `max_results` for model and version searches (models clamp to 1000).
    pub page_size: u32,
    /// `max_results` for metric history pages (clamped to 1..=25000).
    pub history_page_size: u32,
}

impl fmt::Debug for MlflowConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MlflowConfig")
            .field("base_url", &redact_url(&self.base_url))
            .field("auth", &self.auth)
            .field("insecure_tls", &self.insecure_tls)
            .field("ca_cert_path", &self.ca_cert_path)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("page_size", &self.page_size)
            .field("history_page_size", &self.history_page_size)
            .finish()
    }
}

impl MlflowConfig {
    /// A config for `uri` with `auth` and default limits. Credentials in the
    /// URI (`http://user:pass@host`) are moved into basic auth unless `auth`
    /// is already set, so the stored URL never carries them.
    pub fn new(uri: &str, auth: Auth) -> Result<Self, ConfigError> {
        let (url, from_url) = parse_base_url(uri).map_err(|e| match e {
            BaseUrlError::Invalid { url, reason } => ConfigError::BadUri { uri: url, reason },
            BaseUrlError::Scheme { url, scheme } => ConfigError::BadUri {
                uri: url,
                reason: format!(
                    "scheme {scheme:?} is not served over REST (need http or https; \
                     file and databricks URIs are not supported)"
                ),
            },
        })?;
        let auth = match (auth, from_url) {
            (Auth::None, Some(basic)) => basic,
            (explicit, _) => explicit,
        };
        Ok(MlflowConfig {
            base_url: url,
            auth,
            insecure_tls: false,
            ca_cert_path: None,
            timeout: DEFAULT_TIMEOUT,
            retry: DEFAULT_RETRY,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            page_size: DEFAULT_PAGE_SIZE,
            history_page_size: MAX_HISTORY_PAGE,
        })
    }

    /// From the process environment; see [`MlflowConfig::from_env_map`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_env_map(&std::env::vars().collect())
    }

    /// From MLflow's variables in `env`: `MLFLOW_TRACKING_URI` (required),
    /// `MLFLOW_TRACKING_USERNAME` + `MLFLOW_TRACKING_PASSWORD` (basic; wins
    /// over the token, as in MLflow's own client), `MLFLOW_TRACKING_TOKEN`
    /// (bearer), then the client variables of [`MlflowConfig::apply_env`].
    pub fn from_env_map(env: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let uri = get("MLFLOW_TRACKING_URI").ok_or(ConfigError::MissingUri)?;
        let auth = match (
            get("MLFLOW_TRACKING_USERNAME"),
            get("MLFLOW_TRACKING_PASSWORD"),
            get("MLFLOW_TRACKING_TOKEN"),
        ) {
            (Some(u), p, _) => Auth::Basic {
                username: u.to_string(),
                password: Secret::new(p.unwrap_or_default()),
            },
            (None, Some(_), _) => {
                return Err(ConfigError::BadEnv {
                    var: "MLFLOW_TRACKING_PASSWORD".into(),
                    reason: "set without MLFLOW_TRACKING_USERNAME".into(),
                });
            }
            (None, None, Some(t)) => Auth::Bearer(Secret::new(t)),
            (None, None, None) => Auth::None,
        };
        let mut cfg = MlflowConfig::new(uri, auth)?;
        cfg.apply_env(env)?;
        Ok(cfg)
    }

    /// Layers MLflow's client variables from `env` over this config:
    /// `MLFLOW_TRACKING_INSECURE_TLS` (true/false),
    /// `MLFLOW_TRACKING_SERVER_CERT_PATH` (PEM CA bundle),
    /// `MLFLOW_HTTP_REQUEST_TIMEOUT` (whole seconds, at least 1; one attempt),
    /// `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (0 to 10) and
    /// `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` (whole seconds, 0 to 120), read
    /// as MLflow's Python client reads them. Empty values are ignored; an
    /// unusable one is an error naming the variable.
    pub fn apply_env(&mut self, env: &BTreeMap<String, String>) -> Result<(), ConfigError> {
        let get = |k: &str| env.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        if let Some(v) = get("MLFLOW_TRACKING_INSECURE_TLS") {
            self.insecure_tls = parse_bool("MLFLOW_TRACKING_INSECURE_TLS", v)?;
        }
        if let Some(v) = get("MLFLOW_TRACKING_SERVER_CERT_PATH") {
            self.ca_cert_path = Some(v.into());
        }
        if let Some(v) = get("MLFLOW_HTTP_REQUEST_TIMEOUT") {
            let secs = parse_whole("MLFLOW_HTTP_REQUEST_TIMEOUT", v, 1, u64::MAX, "seconds")?;
            self.timeout = Duration::from_secs(secs);
        }
        if let Some(v) = get("MLFLOW_HTTP_REQUEST_MAX_RETRIES") {
            let n = parse_whole(
                "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
                v,
                0,
                MAX_RETRIES_LIMIT.into(),
                "retries",
            )?;
            self.retry.max_retries = n as u32;
        }
        if let Some(v) = get("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR") {
            let secs = parse_whole(
                "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
                v,
                0,
                MAX_BACKOFF_FACTOR_SECS,
                "seconds",
            )?;
            self.retry.backoff_factor = Duration::from_secs(secs);
        }
        Ok(())
    }

    /// The server root for status bars, without secrets.
    pub fn describe(&self) -> String {
        format!("mlflow {}", redact_url(&self.base_url))
    }
}

fn parse_bool(var: &str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::BadEnv {
            var: var.into(),
            reason: format!("expected true or false, got {v:?}"),
        }),
    }
}

/// A whole number in `min..=max`, or an error naming `var` and the range.
fn parse_whole(var: &str, v: &str, min: u64, max: u64, unit: &str) -> Result<u64, ConfigError> {
    let range = if max == u64::MAX {
        format!("at least {min}")
    } else {
        format!("{min} to {max}")
    };
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::BadEnv {
            var: var.into(),
            reason: format!("expected whole {unit}, {range}; got {v:?}"),
        }),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
