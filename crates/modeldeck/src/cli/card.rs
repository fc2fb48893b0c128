//! Arguments of `modeldeck card`: a model's card (intended use,
//! limitations, owner, training data, evaluation and fairness results...).

use super::OutputArgs;
use clap::Args;

/// Arguments of `card`.
#[derive(Debug, Clone, Args)]
pub struct CardArgs {
    /// Registered model name.
    pub model: String,
    /// Version (a number like `7`, `v7`, or an alias like `champion`).
    /// Default: the `champion` alias, else the latest version; a model
    /// without versions shows the model's own card.
    #[arg(long, value_name = "V")]
    pub version: Option<String>,
    /// Exit 5 when the card lacks a field the promotion policy requires
    /// (`card_required`), for CI before a promotion request.
    #[arg(long)]
    pub check: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}
