//! How to reach one Prometheus: base URL, credentials, timeout and the
//! response size cap. Secrets print as `<redacted>` in `Debug` and never
//! appear in URLs, errors or logs.

use crate::error::{PromError, PromErrorKind};
use std::fmt;
use std::time::Duration;
use url::Url;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default cap on a response body: 32 MiB, far above any answer the console
/// asks for (11,000 points x a few hundred series).
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;

/// A password or token. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for building the `Authorization` header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP basic auth.
    Basic {
        /// User name (not secret).
        username: String,
        /// Password.
        password: Secret,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
}

impl Auth {
    /// The secret strings to scrub from any text that leaves the client.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::None => Vec::new(),
            Auth::Basic { password, .. } => vec![password.expose()],
            Auth::Bearer(t) => vec![t.expose()],
        }
    }
}

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

    /// Same, with another body cap.
    pub fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Settings from a profile's `[metrics]` table; `password` is the basic
    /// auth secret (from the keychain) when `username` is set, else a bearer
    /// token if given.
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
pub(crate) fn parse_base_url(raw: &str) -> Result<(Url, Option<Auth>), PromError> {
    let invalid = |reason: String| PromError::new(PromErrorKind::InvalidInput { reason }, "config");
    let mut url = Url::parse(raw.trim())
        .map_err(|e| invalid(format!("metrics URL is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "metrics URL must be http or https, not {:?}",
            url.scheme()
        )));
    }
    let found = if url.username().is_empty() {
        None
    } else {
        Some(Auth::Basic {
            username: decode(url.username()),
            password: Secret::new(decode(url.password().unwrap_or(""))),
        })
    };
    // Both setters fail only for cannot-be-a-base URLs, excluded by the scheme check.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok((url, found))
}

/// Percent-decodes a URL user-info part (`%40` -> `@`); bad escapes stay as is.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_credentials_and_keeps_prefix() {
        let (u, a) = parse_base_url("https://bob:s%40cret@thanos.example/prom?x=1").unwrap();
        assert_eq!(u.as_str(), "https://thanos.example/prom/");
        let Some(Auth::Basic { username, password }) = a else {
            panic!("no auth")
        };
        assert_eq!(username, "bob");
        assert_eq!(password.expose(), "s@cret");
        assert_eq!(format!("{password:?}"), "Secret(<redacted>)");
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
    }
}
