//! The HTTP foundation the MLflow and Prometheus clients share, so each
//! decision about talking HTTP is made once:
//!
//! - [`Auth`] and [`Secret`] (the core's secret type, re-exported): how a
//!   request authenticates; `Debug` never shows a secret.
//! - [`Scrubber`]: removes secrets from any text that leaves a client (error
//!   messages, bodies a server echoed, URLs with user info).
//! - [`read_capped`] / [`read_truncated`]: a response body read under a size
//!   cap, a typed [`BodyError::TooLarge`] beyond it.
//! - [`build_client`]: one reqwest client set up with a timeout, a PEM CA
//!   bundle and the insecure-TLS switch, on rustls with the ring provider.
//! - [`RetryPolicy`] and [`send_with_retries`]: retries of idempotent
//!   requests on connect errors, 429, 502, 503 and 504, with backoff.
//! - [`parse_base_url`] and [`redact_url`]: base URLs without credentials,
//!   and URLs safe to print.
//!
//! The status-to-code map is not here but in the core
//! ([`modeldeck_core::error::ErrorCode::from_http_status`]), because the
//! Kubernetes adapter, which does not use this crate, shares it.

mod auth;
mod body;
mod client;
mod retry;
mod scrub;
mod transport;
mod url;

pub use auth::Auth;
pub use body::{BodyError, read_capped, read_truncated};
pub use client::{BuildError, ClientOptions, build_client};
pub use modeldeck_core::config::secrets::Secret;
pub use retry::{
    DEFAULT_MAX_BACKOFF, RetryPolicy, is_retryable_status, retry_after, send_with_retries,
};
pub use scrub::{MASK, Scrubber, strip_userinfo};
pub use transport::{TransportKind, error_chain};
pub use url::{BaseUrlError, parse_base_url, redact_url};
