//! The promotion verbs' arguments: `promote request|approve|reject|cancel|
//! execute|status|list`, `rollback`, `audit`, `history`. Parsing only.

use super::OutputArgs;
use clap::{Args, Subcommand};

/// `modeldeck promote ...`.
#[derive(Debug, Subcommand)]
pub enum PromoteCommand {
    /// Ask for a version to take an alias (default `champion`) and the workloads serving the model.
    Request(RequestArgs),
    /// Approve a promotion (bound to what you see now: version, run, gates, workload revisions).
    Approve(ReviewArgs),
    /// Reject a promotion.
    Reject(ReviewArgs),
    /// Withdraw an open promotion (the requester or an operator).
    Cancel(ReviewArgs),
    /// Execute an approved promotion: re-check gates, move the alias, roll the workloads, follow the rollout.
    Execute(ExecuteArgs),
    /// One promotion with its gate checklist, approvals and outcome.
    Status(IdArgs),
    /// Promotions (open and closed), or only those waiting for you with --inbox.
    List(ListArgs),
}

/// Arguments of `promote request`.
#[derive(Debug, Clone, Args)]
pub struct RequestArgs {
    /// Registered model.
    pub model: String,
    /// Candidate version (a number, or an alias such as `challenger`).
    pub version: String,
    /// Alias to move (default: the service default, `champion`).
    #[arg(long)]
    pub alias: Option<String>,
    /// Workloads to roll (`name`, `namespace/name` or `context/namespace/kind/name`);
    /// repeat for several; default: every workload bound to the model.
    #[arg(long = "target", value_name = "WORKLOAD")]
    pub targets: Vec<String>,
    /// Why (shown to reviewers, kept in the audit trail).
    #[arg(long, short = 'm')]
    pub reason: String,
    /// Operation id, for idempotent retries from a pipeline.
    #[arg(long)]
    pub id: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `approve`, `reject` and `cancel`.
#[derive(Debug, Clone, Args)]
pub struct ReviewArgs {
    /// Promotion id.
    pub id: String,
    /// Comment (required to reject or cancel).
    #[arg(long, short = 'm', default_value = "")]
    pub comment: String,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `promote execute`.
#[derive(Debug, Clone, Args)]
pub struct ExecuteArgs {
    /// Promotion id.
    pub id: String,
    /// Go on although some gates are inconclusive (you looked at them).
    #[arg(long)]
    pub confirm_inconclusive: bool,
    /// CronJob targets only: after patching the job template, start one run
    /// now (a Job made as `kubectl create job --from=cronjob/<name>` makes
    /// it, audited) and follow it to its end; if it fails the template is
    /// rolled back (exit 6).
    #[arg(long)]
    pub run_now: bool,
    /// Wait for stream consumer targets' verification (lag back under its
    /// threshold within 15 minutes of the execution); if it fails the
    /// promotion is rolled back (exit 6).
    #[arg(long)]
    pub wait: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// A promotion id.
#[derive(Debug, Clone, Args)]
pub struct IdArgs {
    /// Promotion id.
    pub id: String,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `promote list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only this model's promotions.
    #[arg(long)]
    pub model: Option<String>,
    /// Only what waits for me (I may approve it, or execute it).
    #[arg(long)]
    pub inbox: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `rollback`.
#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// Registered model.
    pub model: String,
    /// Alias whose last promotion is undone (default `champion`).
    #[arg(long)]
    pub alias: Option<String>,
    /// Why (kept in the audit trail).
    #[arg(long, short = 'm')]
    pub reason: String,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    /// `verify` checks the hash chain; `export` prints the journal with its head.
    #[command(subcommand)]
    pub action: Option<AuditAction>,
    /// Only entries about this model.
    #[arg(long)]
    pub model: Option<String>,
    /// Only entries since this long ago (`30m`, `24h`, `7d`) or this RFC 3339 time.
    #[arg(long, value_name = "WHEN", global = true)]
    pub since: Option<String>,
    /// `audit verify`: check the journal's own chain only, without reading
    /// the registry's mirror of it.
    #[arg(long, global = true)]
    pub local_only: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `audit verify` / `audit export`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum AuditAction {
    /// Check every entry's hash and the chain up to the head, then compare
    /// the journal with the registry's mirror of it: detects edits,
    /// deletions, reordering, truncation and a consistent rewrite of the
    /// journal (exit 1, the copy and the first bad entry if any).
    /// `--local-only` skips the registry.
    Verify(OutputArgs),
    /// Print the verified journal as one JSON document (`{"head", "entries"}`).
    Export,
    /// The shared record: every promotion object's history on every
    /// cluster that binds approvals, whoever's machine wrote it.
    Shared(OutputArgs),
}

/// Arguments of `history`.
#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// Registered model.
    pub model: String,
    /// Alias (default `champion`).
    #[arg(long)]
    pub alias: Option<String>,
    /// Which version served at this RFC 3339 time (or `2h` ago).
    #[arg(long, value_name = "WHEN")]
    pub at: Option<String>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}
