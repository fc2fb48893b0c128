//! MLflow for Modeldeck: a client of the MLflow REST API 2.0 (registered
//! models, versions, aliases, tags, runs, metric history, small artifacts)
//! and [`MlflowRegistry`], the `Registry` port on top of it, reference
//! profiles (drift) included: read from and logged to run artifacts
//! ([`profiles`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), modeldeck_core::BackendError> {
//! use modeldeck_mlflow::{MlflowClient, MlflowRegistry};
//! use modeldeck_core::ports::Registry;
//! let client = MlflowClient::from_env()?; // MLFLOW_TRACKING_URI, _USERNAME/_PASSWORD or _TOKEN
//! let versions = client.list_model_versions("fraud-detector").await?;
//! let registry = MlflowRegistry::new(client);
//! registry.set_alias("fraud-detector", "champion", &versions[0].version).await?;
//! # Ok(()) }
//! ```
//!
//! Every failure is a [`modeldeck_core::BackendError`] with backend
//! `registry`, a stable code, and a location without credentials. Auth,
//! TLS, size caps, retries and secret scrubbing come from `modeldeck-http`.

pub mod artifacts;
pub mod client;
pub mod config;
mod de;
mod errors;
pub mod profiles;
pub mod registry;
mod runs;
pub mod signature;
pub mod stages;
mod transport;
pub mod types;

pub use client::MlflowClient;
pub use config::{ConfigError, MlflowConfig};
pub use modeldeck_http::{Auth, RetryPolicy, Secret, redact_url};
pub use registry::MlflowRegistry;
pub use stages::{AliasMode, ServerVersion, StageMapping};
