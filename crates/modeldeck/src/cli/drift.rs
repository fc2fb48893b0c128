//! Arguments of `modeldeck drift`: a model version's feature drift against
//! its reference profile over a window.

use super::OutputArgs;
use clap::Args;
use modeldeck_core::drift::text::parse_window;

/// Arguments of `drift`.
#[derive(Debug, Clone, Args)]
pub struct DriftArgs {
    /// Registered model name.
    pub model: String,
    /// Version (a number like `7`, `v7`, or an alias like `champion`).
    /// Default: the version its workloads serve (the most served one; a
    /// canary's is named in the output), else the `champion` alias, else
    /// the latest version.
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Live window ending now: `1h`, `6h`, `24h`, `7d`, or `<N>m`, `<N>h`,
    /// `<N>d` (at most 90d).
    #[arg(long, value_name = "WINDOW", default_value = "24h", value_parser = parse_window)]
    pub window: i64,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}
