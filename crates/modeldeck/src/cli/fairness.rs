//! Arguments of `modeldeck fairness`: a model version's statistical parity
//! difference and disparate impact ratio per protected attribute.

use super::OutputArgs;
use clap::Args;
use modeldeck_core::drift::text::parse_window;

/// Arguments of `fairness`.
#[derive(Debug, Clone, Args)]
pub struct FairnessArgs {
    /// Registered model name.
    pub model: String,
    /// Version (a number like `7`, `v7`, or an alias like `champion`).
    /// Default: the version most of its workloads serve, else the
    /// `champion` alias, else the latest version.
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Window of the live outcome counters, ending now: `1h`, `6h`, `24h`,
    /// `7d`, or `<N>m`, `<N>h`, `<N>d` (at most 90d).
    #[arg(long, value_name = "WINDOW", default_value = "24h", value_parser = parse_window)]
    pub window: i64,
    /// Exit 5 when an attribute fails a fairness threshold (a CI gate).
    #[arg(long)]
    pub check: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}
