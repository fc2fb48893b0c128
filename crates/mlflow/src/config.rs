//! Where the MLflow server is and how to talk to it: base URL, credentials,
//! TLS, timeout, body cap and page sizes. Read from MLflow's own environment
//! conventions or built explicitly. `Debug` never shows a secret.

use crate::redact::redact_url;
use modeldeck_core::config::secrets::Secret;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;
use url::Url;

/// Default cap on a response body (32 MiB).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// Default per-request timeout (30 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default page size of searches (the server caps registered models at 1000).
pub const DEFAULT_PAGE_SIZE: u32 = 1000;
/// Largest metric-history page MLflow's own client asks for.
pub const MAX_HISTORY_PAGE: u32 = 25_000;

/// How requests authenticate.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// HTTP basic (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// `Authorization: Bearer` (`MLFLOW_TRACKING_TOKEN`).
    Bearer(Secret),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { username, .. } => {
                write!(f, "Basic {{ username: {username:?}, password: *** }}")
            }
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

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
    /// Whole-request timeout, body included.
    pub timeout: Duration,
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
        let mut url = Url::parse(uri.trim()).map_err(|e| ConfigError::BadUri {
            uri: strip_userinfo_text(uri),
            reason: e.to_string(),
        })?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(ConfigError::BadUri {
                uri: redact_url(&url),
                reason: format!(
                    "scheme {:?} is not served over REST (need http or https; \
                     file and databricks URIs are not supported)",
                    url.scheme()
                ),
            });
        }
        let mut auth = auth;
        if !url.username().is_empty() && auth == Auth::None {
            auth = Auth::Basic {
                username: url.username().to_string(),
                password: Secret::new(url.password().unwrap_or_default().to_string()),
            };
        }
        // Both setters only fail on URLs that cannot have credentials (checked above).
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.set_fragment(None);
        if !url.path().ends_with('/') {
            let p = format!("{}/", url.path());
            url.set_path(&p);
        }
        Ok(MlflowConfig {
            base_url: url,
            auth,
            insecure_tls: false,
            ca_cert_path: None,
            timeout: DEFAULT_TIMEOUT,
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
    /// (bearer), `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH`,
    /// `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds).
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
        if let Some(v) = get("MLFLOW_TRACKING_INSECURE_TLS") {
            cfg.insecure_tls = parse_bool("MLFLOW_TRACKING_INSECURE_TLS", v)?;
        }
        if let Some(v) = get("MLFLOW_TRACKING_SERVER_CERT_PATH") {
            cfg.ca_cert_path = Some(v.into());
        }
        if let Some(v) = get("MLFLOW_HTTP_REQUEST_TIMEOUT") {
            let secs: u64 = v.parse().map_err(|_| ConfigError::BadEnv {
                var: "MLFLOW_HTTP_REQUEST_TIMEOUT".into(),
                reason: format!("expected whole seconds, got {v:?}"),
            })?;
            cfg.timeout = Duration::from_secs(secs.max(1));
        }
        Ok(cfg)
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

/// For a URI that does not even parse: drop anything before an `@`.
fn strip_userinfo_text(uri: &str) -> String {
    match (uri.find("://"), uri.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***@{}", &uri[..s + 3], &uri[at + 1..]),
        _ => uri.to_string(),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
