//! How to reach one Prometheus: base URL, credentials, timeout, TLS (CA
//! bundle, insecure switch) and the response size cap. The auth and secret
//! types are modeldeck-http's: secrets print as `***` in `Debug` and never
//! appear in URLs, errors or logs.

use crate::error::{PromError, PromErrorKind};
pub use modeldeck_http::{Auth, Secret};
use modeldeck_http::{BaseUrlError, parse_base_url};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default cap on a response body: 32 MiB, far above any answer the console
/// asks for (11,000 points x a few hundred series).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// Settings of a [`crate::PromClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL (`http://prometheus:9090`, `https://thanos/prometheus/`).
    /// A `user:password@` part becomes basic auth and is stripped.
    pub url: String,
    /// Credentials.
    pub auth: Auth,
    /// Whole-request timeout (connect, headers, body). Also sent to the
    /// server as the query `timeout` parameter.
    pub timeout: Duration,
    /// Bodies larger than this are refused with `TooLarge` without being
    /// read in full.
    pub max_body_bytes: u64,
    /// Accept any TLS certificate (discouraged).
    pub insecure_tls: bool,
    /// Extra PEM CA bundle trusted next to the system roots (a Prometheus
    /// behind a private CA).
    pub ca_cert_path: Option<PathBuf>,
}

impl ClientConfig {
    /// Settings for `url` with the defaults (no auth, 10 s, 32 MiB).
    pub fn new(url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            url: url.into(),
            auth: Auth::None,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            insecure_tls: false,
            ca_cert_path: None,
        }
    }

    /// Same, with basic auth.
    pub fn basic_auth(mut self, username: impl Into<String>, password: Secret) -> Self {
        self.auth = Auth::Basic {
            username: username.into(),
            password,
        };
        self
    }

    /// Same, with a bearer token.
    pub fn bearer(mut self, token: Secret) -> Self {
        self.auth = Auth::Bearer(token);
        self
    }

    /// Same, with another timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Same, trusting the PEM CA bundle at `path` too.
    pub fn ca_cert_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_cert_path = Some(path.into());
        self
    }

    /// Same, with another body cap.
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Settings from a profile's `[metrics]` table (URL, user, timeout, CA
    /// bundle, insecure switch); `secret` is the basic auth password (from
    /// the keychain) when `username` is set, else a bearer token if given.
    pub fn from_endpoint(
        settings: &modeldeck_core::config::EndpointSettings,
        secret: Option<Secret>,
    ) -> Result<ClientConfig, PromError> {
        let url = settings.url.clone().ok_or_else(|| {
            PromError::new(
                PromErrorKind::InvalidInput {
                    reason:
                        "no metrics URL configured (set [metrics] url or MODELDECK_METRICS_URL)"
                            .into(),
                },
                "config",
            )
        })?;
        let mut cfg = ClientConfig::new(url);
        cfg.insecure_tls = settings.insecure_tls;
        cfg.ca_cert_path = settings.ca_cert_path.clone();
        if let Some(secs) = settings.timeout_secs {
            cfg.timeout = Duration::from_secs(secs.max(1));
        }
        cfg.auth = match (&settings.username, secret) {
            (Some(u), Some(p)) => Auth::Basic {
                username: u.clone(),
                password: p,
            },
            (None, Some(t)) => Auth::Bearer(t),
            (_, None) => Auth::None,
        };
        Ok(cfg)
    }
}

/// Splits `raw` into a credential-free base URL (path ending in `/`) and
/// the basic auth found in it, if any.
pub(crate) fn base_url(raw: &str) -> Result<(Url, Option<Auth>), PromError> {
    parse_base_url(raw).map_err(|e| {
        let reason = match e {
            BaseUrlError::Invalid { reason, .. } => {
                format!("metrics URL is not a valid URL: {reason}")
            }
            BaseUrlError::Scheme { scheme, .. } => {
                format!("metrics URL must be http or https, not {scheme:?}")
            }
        };
        PromError::new(PromErrorKind::InvalidInput { reason }, "config")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::config::EndpointSettings;

    #[test]
    fn unusable_urls_are_invalid_input_of_the_config() {
        // Parsing itself is modeldeck-http's (and tested there); this is the
        // wording and kind the metrics side gives it.
        let e = base_url("ftp://x").unwrap_err();
        assert_eq!(e.location, "config");
        assert!(
            e.to_string()
                .contains("metrics URL must be http or https, not \"ftp\""),
            "{e}"
        );
        let e = base_url("not a url").unwrap_err();
        assert!(
            matches!(e.kind, PromErrorKind::InvalidInput { .. }),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("metrics URL is not a valid URL"),
            "{e}"
        );
    }

    #[test]
    fn a_profile_table_gives_url_auth_timeout_and_ca() {
        let settings: EndpointSettings = toml::from_str(
            r#"
            url = "https://prom.example:9090"
            username = "ops"
            timeout_secs = 3
            ca_cert_path = "/etc/ssl/private-ca.pem"
            "#,
        )
        .unwrap();
        let cfg = ClientConfig::from_endpoint(&settings, Some(Secret::new("pw"))).unwrap();
        assert_eq!(cfg.url, "https://prom.example:9090");
        assert_eq!(cfg.timeout, Duration::from_secs(3));
        assert_eq!(
            cfg.ca_cert_path.as_deref(),
            Some(std::path::Path::new("/etc/ssl/private-ca.pem"))
        );
        assert!(matches!(cfg.auth, Auth::Basic { ref username, .. } if username == "ops"));
        let bearer = ClientConfig::from_endpoint(
            &EndpointSettings {
                url: Some("http://p".into()),
                ..EndpointSettings::default()
            },
            Some(Secret::new("tok")),
        )
        .unwrap();
        assert_eq!(bearer.auth, Auth::Bearer(Secret::new("tok")));
        assert!(ClientConfig::from_endpoint(&EndpointSettings::default(), None).is_err());
    }
}
