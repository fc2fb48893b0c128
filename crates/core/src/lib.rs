//! Modeldeck's core: the domain both front ends show, the ports every backend
//! implements, and the [`Console`] facade that joins them into one live
//! [`Snapshot`]. Nothing here knows a terminal, a webview or a wire format.

pub mod card;
pub mod chart;
pub mod compare;
pub mod compare_curves;
pub mod compare_evidence;
pub mod compare_lineage;
pub mod compare_schema;
pub mod config;
pub mod console;
pub mod cron;
pub mod domain;
pub mod drift;
pub mod error;
pub mod filter;
pub mod fleet;
pub mod policy;
pub mod ports;
pub mod report;
pub mod serving_diff;
pub mod text;
pub mod version_metrics;

pub use console::{Console, ConsoleOptions, Snapshot};
pub use error::{BackendError, ErrorCode};
