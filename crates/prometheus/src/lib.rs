//! Modeldeck's metrics backend on the Prometheus HTTP API (and anything that
//! speaks it: Thanos, Mimir, VictoriaMetrics).
//!
//! - [`PromClient`]: instant and range queries, series, label values; step
//!   clamping to the 11,000-point limit; basic and bearer auth; a response
//!   size cap; a per-request timeout; a CA bundle; every failure a typed
//!   [`PromError`] that converts into the port's `BackendError`. Auth,
//!   TLS setup, size cap and secret scrubbing come from modeldeck-http.
//! - [`PrometheusMetrics`]: the `modeldeck_core::ports::Metrics` port on a
//!   client and [`PromqlTemplates`], live feature distributions for drift
//!   included (`feature_sample`, `feature_sample_range`).
//! - [`fixture`]: the deterministic OpenMetrics history the integration
//!   tests backfill into a real Prometheus (`modeldeck-prom-fixture`).
//!
//! Metric names, templates and the choice of a hand-written client are
//! documented in `docs/metrics.md`.
//!
//! ```no_run
//! use modeldeck_core::ports::Metrics;
//! use modeldeck_prometheus::{ClientConfig, PromClient, PrometheusMetrics, PromqlTemplates, Secret};
//!
//! # async fn demo(workloads: Vec<modeldeck_core::domain::MetricsTarget>)
//! #     -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = ClientConfig::new("https://prometheus.example:9090")
//!     .bearer(Secret::new("token-from-the-keychain"));
//! let metrics = PrometheusMetrics::new(PromClient::new(cfg)?, PromqlTemplates::default())?;
//! let health = metrics.fleet_health(&workloads).await?; // six queries, any fleet size
//! # let _ = health;
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod decode;
mod error;
pub mod fixture;
mod join;
mod metrics;
mod step;
mod templates;
mod wire;

pub use client::PromClient;
pub use config::{Auth, ClientConfig, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, Secret};
pub use error::{ApiErrorType, PromError, PromErrorKind};
pub use metrics::{EDGE_TOLERANCE, FeatureBin, PrometheusMetrics, QualityCheck};
pub use step::{MAX_POINTS, MIN_CHART_STEP_MS, RangeQuery, min_step_ms, step_for_width};
pub use templates::{
    PromqlTemplates, TemplateError, escape_string, placeholders, regex_alternation, render,
};
pub use wire::{
    ApiResponse, HistogramBucket, InstantSeries, Labels, NativeHistogram, QueryData, RangeSeries,
    Sample, parse_value, secs_to_timestamp,
};
