//! Building the one reqwest client of an HTTP backend: rustls with the ring
//! provider (the one kube uses, so aws-lc is never built), a whole-request
//! timeout, an extra PEM CA bundle, and the insecure-TLS switch.

use std::path::PathBuf;
use std::time::Duration;

/// Connecting never waits longer than this, even with a long request timeout.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to build a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Whole-request timeout (connect, headers and body).
    pub timeout: Duration,
    /// Extra PEM CA bundle trusted next to the system roots.
    pub ca_cert_path: Option<PathBuf>,
    /// Accept any certificate (discouraged).
    pub insecure_tls: bool,
    /// `User-Agent` of every request.
    pub user_agent: String,
}

impl ClientOptions {
    /// Options with `timeout` and `user_agent`, the system roots, verification on.
    pub fn new(timeout: Duration, user_agent: impl Into<String>) -> ClientOptions {
        ClientOptions {
            timeout,
            ca_cert_path: None,
            insecure_tls: false,
            user_agent: user_agent.into(),
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The CA bundle could not be read.
    #[error("cannot read CA bundle {}", .path.display())]
    ReadCa {
        /// The bundle's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The CA bundle is not PEM certificates.
    #[error("invalid PEM CA bundle {}", .path.display())]
    BadCa {
        /// The bundle's path.
        path: PathBuf,
        /// What reqwest said.
        #[source]
        source: reqwest::Error,
    },
    /// The timeout is zero.
    #[error("the timeout must be positive")]
    ZeroTimeout,
    /// reqwest refused the settings.
    #[error("cannot build the HTTP client")]
    Build(#[source] reqwest::Error),
}

/// A client for `opts`. Installs ring as rustls's process-wide provider if
/// none is installed yet.
pub fn build_client(opts: &ClientOptions) -> Result<reqwest::Client, BuildError> {
    if opts.timeout.is_zero() {
        return Err(BuildError::ZeroTimeout);
    }
    // Fails only when a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(MAX_CONNECT_TIMEOUT))
        .user_agent(opts.user_agent.clone());
    if opts.insecure_tls {
        b = b.tls_danger_accept_invalid_certs(true);
    }
    if let Some(path) = &opts.ca_cert_path {
        let pem = std::fs::read(path).map_err(|source| BuildError::ReadCa {
            path: path.clone(),
            source,
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| BuildError::BadCa {
                path: path.clone(),
                source,
            })?;
        b = b.tls_certs_merge(certs);
    }
    b.build().map_err(BuildError::Build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_bad_ca_bundle_is_named() {
        let mut o = ClientOptions::new(Duration::from_secs(1), "t");
        o.ca_cert_path = Some("/nonexistent/ca.pem".into());
        let e = build_client(&o).unwrap_err();
        assert!(matches!(e, BuildError::ReadCa { .. }), "{e:?}");
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");

        let dir = std::env::temp_dir().join(format!("modeldeck-http-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        o.ca_cert_path = Some(bad);
        let e = build_client(&o).unwrap_err();
        assert!(matches!(e, BuildError::BadCa { .. }), "{e:?}");
        let _ = std::fs::remove_dir_all(&dir);

        let e = build_client(&ClientOptions::new(Duration::ZERO, "t")).unwrap_err();
        assert!(matches!(e, BuildError::ZeroTimeout), "{e:?}");
    }
}
