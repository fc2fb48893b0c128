//! `modeldeck profile ...`: reference profiles from training data.

use super::OutputArgs;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `modeldeck profile ...`.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Build a reference profile (frozen bins, category counts, statistics)
    /// from a CSV or Parquet file, write it as JSON and/or log it to a
    /// model version in the registry.
    Build(ProfileBuildArgs),
}

/// Arguments of `profile build`.
#[derive(Debug, Clone, Args)]
pub struct ProfileBuildArgs {
    /// The training data: `.csv` (header row, comma separated) or
    /// `.parquet` (flat columns).
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Input feature columns, comma separated (default: every column but
    /// the prediction and the label).
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub features: Vec<String>,
    /// Columns to profile as categories even when they hold numbers
    /// (other columns are numeric unless they hold text).
    #[arg(long, value_name = "COLUMNS", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// The model's prediction column.
    #[arg(long, value_name = "COLUMN")]
    pub prediction: Option<String>,
    /// The label (ground truth) column.
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<String>,
    /// Inner bins of each numeric column (1 to 200), plus an underflow and
    /// an overflow bin.
    #[arg(long, value_name = "N", default_value_t = modeldeck_core::drift::build::DEFAULT_BINS)]
    pub bins: usize,
    /// Where to write the profile (JSON).
    #[arg(long, value_name = "FILE", required_unless_present = "log_to")]
    pub out: Option<PathBuf>,
    /// Also store it as the reference profile of this model version in the
    /// registry (`<model>/<version>`): a run artifact and the version's
    /// `modeldeck.reference_profile` tag.
    #[arg(long, value_name = "MODEL/VERSION")]
    pub log_to: Option<String>,
    /// Output options (of the summary).
    #[command(flatten)]
    pub output: OutputArgs,
}
