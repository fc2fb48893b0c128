//! Arguments of `modeldeck retrain`: start a run of a model's training
//! pipeline (the CronJob or Argo WorkflowTemplate labelled
//! `modeldeck.io/retrain-for=<model>`) and optionally follow it.

use super::OutputArgs;
use clap::Args;
use modeldeck_core::drift::text::parse_window;

/// Arguments of `retrain`.
#[derive(Debug, Clone, Args)]
pub struct RetrainArgs {
    /// Registered model name.
    pub model: String,
    /// Why it needs retraining (stored raw in the run's
    /// `modeldeck.io/reason` annotation and the audit trail; at most 1024 bytes).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Use the pipeline in this cluster (kubeconfig context) when several match.
    #[arg(long, value_name = "CONTEXT")]
    pub context: Option<String>,
    /// Use the pipeline in this namespace when several match.
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Ask the API server to validate the run only (`dryRun=All`): nothing is
    /// created or audited.
    #[arg(long)]
    pub dry_run: bool,
    /// Follow the run until it succeeds or fails (status and the pod's log tail);
    /// exits 1 when it failed.
    #[arg(long, conflicts_with = "dry_run")]
    pub follow: bool,
    /// How long `--follow` waits at most: `30m`, `2h`...
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = parse_window)]
    pub follow_timeout: i64,
    /// Lines of the pod's log shown by `--follow`.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub log_lines: usize,
    /// Window of the drift numbers recorded with the run.
    #[arg(long, value_name = "WINDOW", default_value = "24h", value_parser = parse_window)]
    pub window: i64,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}
