//! Arguments of `modeldeck report`: a model version's drift report (the
//! drift table, per-feature charts, serving health) written as HTML, SVG
//! or PNG.

use super::OutputArgs;
use clap::{Args, ValueEnum};
use modeldeck_core::drift::text::parse_window;
use std::path::PathBuf;

/// Arguments of `report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Registered model name.
    pub model: String,
    /// Version (a number like `7`, `v7`, or an alias like `champion`).
    /// Default: the version its workloads serve (the most served one),
    /// else the `champion` alias, else the latest version.
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Live window ending now: `1h`, `6h`, `24h`, `7d`, or `<N>m`, `<N>h`,
    /// `<N>d` (at most 90d). The score charts span 24h, 3d, 7d or 28d for
    /// windows up to 1h, 6h, 24h and beyond.
    #[arg(long, value_name = "WINDOW", default_value = "24h", value_parser = parse_window)]
    pub window: i64,
    /// The file to write; its extension (`.html`, `.svg`, `.png`) picks the
    /// format unless `--format` is given. Replaced if it exists.
    #[arg(long = "out", value_name = "FILE")]
    pub file: PathBuf,
    /// The format, whatever the file is called.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,
    /// Chart only the N most drifted features (default: every feature in
    /// HTML, 8 in SVG and PNG). The table always lists every feature.
    #[arg(long, value_name = "N")]
    pub charts: Option<usize>,
    /// Leave out serving health (p99 latency and error ratio of the
    /// workloads serving the model).
    #[arg(long)]
    pub no_health: bool,
    /// Output options (of the summary printed after writing).
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML file (no scripts, charts as inline SVG).
    Html,
    /// One SVG image.
    Svg,
    /// One PNG image.
    Png,
}
