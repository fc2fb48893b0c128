//! Arguments of `modeldeck health`: a workload's latency, request rate and
//! error ratio over a window.

use super::OutputArgs;
use clap::Args;
use modeldeck_core::drift::text::parse_window;

/// Arguments of `health`.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// The workload: `name`, `namespace/name`, `context/namespace/name` or
    /// `context/namespace/kind/name` (kind as in `status`: deploy, isvc,
    /// cronjob, stream, pipeline).
    pub workload: String,
    /// Window ending now: `1h`, `6h`, `24h`, `7d`, or `<N>m`, `<N>h`,
    /// `<N>d` (at most 90d).
    #[arg(long, value_name = "WINDOW", default_value = "24h", value_parser = parse_window)]
    pub window: i64,
    /// Chart width the series are read for: at most two points per column
    /// and never more than 11,000 per series.
    #[arg(long, value_name = "N", default_value_t = 120,
          value_parser = clap::value_parser!(u32).range(1..=5500))]
    pub columns: u32,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}
