//! The command line as clap sees it: global flags, the subcommands and their
//! arguments. Parsing only; nothing here touches a backend.

use clap::{Args, Parser, Subcommand, ValueEnum};
use modeldeck_core::error::Backend;
use modeldeck_core::filter::Filter;
use modeldeck_core::fleet::FleetColumn;

mod card;
mod drift;
mod fairness;
mod health;
mod profile;
mod promote;
mod report;
mod retrain;
pub use card::CardArgs;
pub use drift::DriftArgs;
pub use fairness::FairnessArgs;
pub use health::HealthArgs;
pub use profile::{ProfileBuildArgs, ProfileCommand};
pub use promote::*;
pub use report::{ReportArgs, ReportFormat};
pub use retrain::RetrainArgs;

/// `modeldeck`: the console for models in production.
#[derive(Debug, Parser)]
#[command(
    name = "modeldeck",
    version,
    about = "Modeldeck: the console for models in production (TUI and scripting CLI)",
    long_about = "Modeldeck joins the cluster that serves a model, the registry that versions it \
                  and the metrics that watch it. Without a subcommand it opens the terminal UI on \
                  the configured profile; `modeldeck demo` opens it on a simulated world.",
    after_help = "Exit codes: 0 ok, 1 other failure, 2 usage error, 3 not found, 4 backend unavailable or failed, 5 promotion action refused (nothing changed), 6 promotion failed and rolled back.\n\
                  Reference: docs/cli.md"
)]
pub struct Cli {
    /// Flags every subcommand accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Terminal UI options, for `modeldeck` without a subcommand.
    #[command(flatten)]
    pub tui: TuiArgs,
    /// What to do; none opens the terminal UI.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags that choose where the data comes from; valid before or after the subcommand.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Use the built-in simulated world (no cluster, registry or metrics backend needed).
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Seed of the simulated world (with --sandbox or `demo`); same seed, same world.
    #[arg(long, global = true, value_name = "N")]
    pub seed: Option<u64>,
    /// Profile from the config file.
    #[arg(long, global = true, env = "MODELDECK_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Number of workloads in a generated sandbox (benchmarks).
    #[arg(
        long,
        global = true,
        hide = true,
        env = "MODELDECK_SANDBOX_WORKLOADS",
        value_name = "N"
    )]
    pub sandbox_size: Option<usize>,
    /// Simulate an outage of these sandbox backends (`cluster`, `registry`,
    /// `metrics`; comma separated), to see and test failure handling.
    #[arg(
        long,
        global = true,
        hide = true,
        env = "MODELDECK_SANDBOX_OUTAGE",
        value_name = "BACKEND",
        value_delimiter = ',',
        value_parser = parse_backend
    )]
    pub sandbox_outage: Vec<Backend>,
    /// Who you are on the simulated world (default `sandbox-admin`), to act
    /// as a second person: a request by one user, an approval by another.
    #[arg(
        long,
        global = true,
        env = "MODELDECK_SANDBOX_USER",
        value_name = "NAME"
    )]
    pub sandbox_user: Option<String>,
    /// Set by the TUI paths: the sandbox runs on the wall clock (live)
    /// instead of a frozen virtual instant (reproducible scripting output).
    #[arg(skip)]
    pub live: bool,
}

/// Options of the terminal UI.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Terminal UI options")]
pub struct TuiArgs {
    /// Do not capture the mouse (lets the terminal select text).
    #[arg(long)]
    pub no_mouse: bool,
    /// A `:` command to run first (`models`, `ns risk`, `compare fraud-detector champion challenger`).
    #[arg(long, value_name = "COMMAND")]
    pub screen: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal UI on the simulated world.
    Demo {
        /// Terminal UI options.
        #[command(flatten)]
        tui: TuiArgs,
    },
    /// The fleet: every workload serving a model, with rollout and live health.
    Status(StatusArgs),
    /// Registered models with their aliases.
    Models(OutputArgs),
    /// Versions of one model, newest first, with aliases, status and metrics.
    Versions {
        /// Registered model name.
        model: String,
        /// Read the training run's metrics of the N newest versions (one
        /// registry call each), or of `all`; older versions show none.
        #[arg(long, value_name = "N|all", default_value = "50", value_parser = parse_metrics_scope)]
        metrics: MetricsScope,
        /// Instead of the list: this metric across every version (the
        /// training run's final value), with aliases and what is missing.
        #[arg(long, value_name = "NAME", conflicts_with = "metrics")]
        metric: Option<String>,
        /// Output options.
        #[command(flatten)]
        out: OutputArgs,
    },
    /// Two versions of a model side by side, with direction-aware metric deltas.
    Compare(CompareArgs),
    /// The settings file: create a starter, show the resolved profile, print its path.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Store a registry or metrics secret (token or password) in the OS keychain.
    Login(LoginArgs),
    /// Remove a stored secret from the OS keychain.
    Logout(LoginArgs),
    /// The simulated world as real servers (a Kubernetes API server for kubectl).
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// The cluster objects Modeldeck ships (CRDs, the approval admission policy,
    /// example ClusterRoles): print, install, check.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Promotions: request, approve, reject, execute, cancel, status, list.
    #[command(subcommand)]
    Promote(PromoteCommand),
    /// Restore the version a model's alias (and its workloads) had before its last promotion.
    Rollback(RollbackArgs),
    /// The audit trail: list entries, verify the hash chain, export it.
    Audit(AuditArgs),
    /// Which version of a model served when (from recorded promotions and rollbacks).
    History(HistoryArgs),
    /// A model version's drift report (drift table, per-feature charts, serving
    /// health) as one self-contained HTML file, an SVG or a PNG.
    Report(ReportArgs),
    /// Reference profiles: build one from training data (CSV or Parquet) and
    /// log it to a model version.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Feature drift of a model version against its reference profile over a
    /// window: per feature the method, score, threshold, verdict and data quality.
    Drift(DriftArgs),
    /// Fairness of a model version per protected attribute: each group's
    /// positive rate, statistical parity difference and disparate impact ratio
    /// against the reference group, with verdicts and their source.
    Fairness(FairnessArgs),
    /// A workload's latency p50/p95/p99, request rate and error ratio over a
    /// window, as series.
    Health(HealthArgs),
    /// A model's card: intended use, limitations, owner, training data,
    /// evaluation and fairness results, license, contact, each with its
    /// source (tags, description sections, run metrics); --check exits 5
    /// when a field the promotion policy requires is missing.
    Card(CardArgs),
    /// Start a run of a model's training pipeline (the CronJob or Argo
    /// WorkflowTemplate labelled modeldeck.io/retrain-for=<model>), recorded with
    /// the drift numbers that prompted it; --follow waits for it to finish.
    Retrain(RetrainArgs),
}

/// `modeldeck config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented starter file (never overwrites an existing one).
    Init,
    /// Print the resolved profile (file + environment), with where each secret comes from.
    Show(OutputArgs),
    /// Print the settings file's path.
    Path,
}

/// Which backend a secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SecretTarget {
    /// The model registry (MLflow): a token, or the password of `[registry] username`.
    Registry,
    /// The metrics backend (Prometheus): a token, or the password of `[metrics] username`.
    Metrics,
    /// The audit journal's HMAC key: signs this machine's journal head, so a
    /// consistent rewrite of the file without the key fails `audit verify`.
    Journal,
}

/// Arguments of `login` and `logout`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// The backend the secret is for.
    #[arg(value_enum)]
    pub target: SecretTarget,
    /// Read the secret from stdin (one line) instead of prompting.
    #[arg(long)]
    pub stdin: bool,
}

/// `modeldeck cluster ...`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Create or update the shipped CRDs, approval policy and its binding, and
    /// example ClusterRoles in each context; `--dry-run` prints them instead.
    Install(ClusterInstallArgs),
    /// Whether each context has the CRDs and the approval policy as shipped
    /// (exit 0 when all do, 1 otherwise).
    Check(ClusterCheckArgs),
}

/// Which kubeconfig contexts `cluster` works on.
#[derive(Debug, Clone, Args)]
pub struct ClusterTargetArgs {
    /// Kubeconfig file (default: `$KUBECONFIG`, else `~/.kube/config`).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Context to use; repeat for several, `*` for all (default: the current one).
    #[arg(long = "context", value_name = "NAME")]
    pub contexts: Vec<String>,
}

/// Arguments of `cluster install`.
#[derive(Debug, Clone, Args)]
pub struct ClusterInstallArgs {
    /// Print every manifest as one multi-document YAML and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Contexts.
    #[command(flatten)]
    pub target: ClusterTargetArgs,
}

/// Arguments of `cluster check`.
#[derive(Debug, Clone, Args)]
pub struct ClusterCheckArgs {
    /// Contexts.
    #[command(flatten)]
    pub target: ClusterTargetArgs,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `modeldeck sandbox ...`.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the simulated world's clusters by the Kubernetes REST conventions on loopback,
    /// write a kubeconfig, and serve until ctrl-c (kubectl and client libraries work unchanged).
    Serve(Box<ServeArgs>),
    /// Write the simulated world's models, versions, runs (params, metrics, tags),
    /// reference profiles and aliases into a real MLflow (idempotent: versions
    /// already seeded are skipped). Credentials from MLFLOW_TRACKING_USERNAME /
    /// MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN.
    SeedRegistry(SeedRegistryArgs),
    /// Forget what `--sandbox` commands changed in the simulated world of
    /// `--seed` (promotions, aliases, rollouts, its journal): the next one
    /// starts from the demo scenario again.
    Reset,
}

/// Arguments of `sandbox seed-registry`.
#[derive(Debug, Clone, Args)]
pub struct SeedRegistryArgs {
    /// The MLflow tracking server (`http://127.0.0.1:5000`).
    #[arg(value_name = "MLFLOW_URL")]
    pub url: String,
    /// Seed the world of this scenario file instead of the built-in demo.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<std::path::PathBuf>,
}

/// Arguments of `sandbox serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Where to write the kubeconfig (default: a temporary file, removed on exit).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The user the kubeconfig authenticates as: `admin` (may do everything) or
    /// `viewer` (read-only), `admin` by default. With `--users`: the user of the
    /// current context, one of them (default: the first).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Serve several people: comma-separated user names, each with an own
    /// token, identity and rules (`admin`: everything; `viewer` and the
    /// `--viewers`: read-only; the `--requesters`: request and execute but
    /// never approve; everyone else: request, approve and execute
    /// promotions, patch workloads). The kubeconfig gets one context per
    /// cluster and user, named `<user>@<cluster>`.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        conflicts_with = "plain"
    )]
    pub users: Vec<String>,
    /// Users of `--users` that are read-only, like `viewer`.
    #[arg(long, value_name = "NAMES", value_delimiter = ',', requires = "users")]
    pub viewers: Vec<String>,
    /// Users of `--users` that may request and execute promotions and patch
    /// workloads but never approve (no `approve` verb, no `modelapprovals`).
    #[arg(long, value_name = "NAMES", value_delimiter = ',', requires = "users")]
    pub requesters: Vec<String>,
    /// Also write one kubeconfig per user, `DIR/<user>.kubeconfig`, with contexts
    /// named after the clusters (what each person's profile should point at).
    #[arg(long, value_name = "DIR")]
    pub kubeconfig_dir: Option<std::path::PathBuf>,
    /// Serve the world of this scenario file (format: crates/sandbox/README.md)
    /// instead of the built-in demo.
    #[arg(long, value_name = "FILE", conflicts_with = "scale")]
    pub scenario: Option<std::path::PathBuf>,
    /// Port of the first cluster's server (0: any free port; the others always take a free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Serve plain HTTP without authentication (requests act as admin) instead of TLS with tokens.
    #[arg(long)]
    pub plain: bool,
    /// Serve N generated Deployments in one cluster instead of the demo world (benchmarks).
    #[arg(long, value_name = "N")]
    pub scale: Option<usize>,
    /// Where to serve the world's Prometheus metrics (`GET /metrics`, plain HTTP,
    /// no authentication: simulated data only; port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_addr: std::net::SocketAddr,
    /// Do not serve `/metrics`.
    #[arg(long, conflicts_with = "metrics_addr")]
    pub no_metrics: bool,
    /// Before serving, write the world's metrics of the last `--backfill-hours`
    /// to FILE as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`;
    /// `/metrics` then continues the same counters.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["no_metrics", "scale"])]
    pub backfill: Option<std::path::PathBuf>,
    /// Hours of history `--backfill` writes (1 to 168; one sample every 5 minutes
    /// for 24 h, more often for fewer hours).
    #[arg(long, value_name = "N", default_value_t = 24, requires = "backfill",
          value_parser = clap::value_parser!(u64).range(1..=168))]
    pub backfill_hours: u64,
    /// Leave out the shipped promotion ledger (CRDs, approval admission policy and
    /// its binding, example ClusterRoles), installed in every served cluster by
    /// default: approvals on the served clusters are then not identity-bound.
    #[arg(long)]
    pub no_ledger: bool,
}

/// How many versions get their run's metrics read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsScope {
    /// The N newest.
    Newest(usize),
    /// Every version.
    All,
}

fn parse_metrics_scope(s: &str) -> Result<MetricsScope, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(MetricsScope::All);
    }
    s.parse()
        .map(MetricsScope::Newest)
        .map_err(|_| format!("expected a number of versions or `all`, got {s:?}"))
}

/// `--output` and `--color`, shared by the scripting subcommands.
#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Colors in tables: `auto` colors only a terminal and honours NO_COLOR.
    #[arg(long, value_enum, default_value_t = ColorMode::Auto)]
    pub color: ColorMode,
}

/// Output formats of the scripting subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// JSON, the documented shape.
    Json,
    /// YAML, the same shape as JSON.
    Yaml,
}

/// When tables use color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorMode {
    /// Only when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Keep rows matching this filter (as the TUI's `/`: text, regex, `key=value`, `!` negates).
    #[arg(long, short = 'f', value_name = "EXPR", value_parser = parse_filter)]
    pub filter: Option<Filter>,
    /// Sort by this column (cluster, namespace, name, kind, model, version, ready,
    /// rollout, rps, p99, errors, drift, age).
    #[arg(long, short = 's', value_name = "COLUMN", value_parser = parse_column)]
    pub sort: Option<FleetColumn>,
    /// Sort descending.
    #[arg(long, requires = "sort")]
    pub desc: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Registered model name.
    pub model: String,
    /// First version (a number like `6`, `v6`, or an alias like `champion`).
    pub a: String,
    /// Second version (a number or an alias).
    pub b: String,
    /// Show only metrics, params and tags that differ.
    #[arg(long)]
    pub diff_only: bool,
    /// Also both runs' history of this metric (repeatable); JSON `curves`.
    #[arg(long, value_name = "METRIC")]
    pub curve: Vec<String>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

impl Command {
    /// The subcommand as typed (`status`, `demo`...), for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Demo { .. } => "demo",
            Command::Status(_) => "status",
            Command::Models(_) => "models",
            Command::Versions { .. } => "versions",
            Command::Compare(_) => "compare",
            Command::Config(_) => "config",
            Command::Login(_) => "login",
            Command::Logout(_) => "logout",
            Command::Sandbox(_) => "sandbox",
            Command::Cluster(_) => "cluster",
            Command::Promote(_) => "promote",
            Command::Rollback(_) => "rollback",
            Command::Audit(_) => "audit",
            Command::History(_) => "history",
            Command::Report(_) => "report",
            Command::Profile(_) => "profile",
            Command::Drift(_) => "drift",
            Command::Fairness(_) => "fairness",
            Command::Health(_) => "health",
            Command::Card(_) => "card",
            Command::Retrain(_) => "retrain",
        }
    }

    /// The output options of a scripting subcommand (`None` for `demo`).
    pub fn output(&self) -> Option<OutputArgs> {
        match self {
            Command::Demo { .. } => None,
            Command::Status(a) => Some(a.out),
            Command::Models(o) => Some(*o),
            Command::Versions { out, .. } => Some(*out),
            Command::Compare(a) => Some(a.out),
            Command::Config(ConfigCommand::Show(o)) => Some(*o),
            Command::Config(_) | Command::Login(_) | Command::Logout(_) | Command::Sandbox(_) => {
                None
            }
            Command::Cluster(ClusterCommand::Install(_)) => None,
            Command::Cluster(ClusterCommand::Check(a)) => Some(a.out),
            Command::Promote(p) => Some(match p {
                PromoteCommand::Request(a) => a.out,
                PromoteCommand::Approve(a)
                | PromoteCommand::Reject(a)
                | PromoteCommand::Cancel(a) => a.out,
                PromoteCommand::Execute(a) => a.out,
                PromoteCommand::Status(a) => a.out,
                PromoteCommand::List(a) => a.out,
            }),
            Command::Rollback(a) => Some(a.out),
            Command::Audit(AuditArgs {
                action: Some(AuditAction::Verify(o)),
                ..
            }) => Some(*o),
            Command::Audit(a) => Some(a.out),
            Command::History(a) => Some(a.out),
            Command::Report(a) => Some(a.out),
            Command::Profile(ProfileCommand::Build(a)) => Some(a.output),
            Command::Drift(a) => Some(a.out),
            Command::Fairness(a) => Some(a.out),
            Command::Health(a) => Some(a.out),
            Command::Card(a) => Some(a.out),
            Command::Retrain(a) => Some(a.out),
        }
    }
}

fn parse_filter(s: &str) -> Result<Filter, String> {
    Filter::parse(s).map_err(|e| e.reason.trim_start_matches("error: ").to_string())
}

fn parse_backend(s: &str) -> Result<Backend, String> {
    Backend::ALL
        .into_iter()
        .find(|b| b.name() == s.trim())
        .ok_or_else(|| "expected cluster, registry or metrics".to_string())
}

fn parse_column(s: &str) -> Result<FleetColumn, String> {
    FleetColumn::parse(s).ok_or_else(|| {
        "expected one of cluster, namespace, name, kind, model, version, ready, rollout, \
         rps, p99, errors, drift, lag, age"
            .to_string()
    })
}

/// Best effort for errors clap raises before parsing finished: did the
/// user ask for JSON? Looks for `--output json`, `--output=json`, `-o json`, `-ojson`.
pub fn raw_args_want_json(args: &[String]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        let next_is_json = || args.get(i + 1).is_some_and(|n| n == "json");
        match a.as_str() {
            "--output" | "-o" => next_is_json(),
            "--output=json" | "-ojson" | "-o=json" => true,
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn spots_json_in_raw_args() {
        let v = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(raw_args_want_json(&v(
            "modeldeck status --output json --bad"
        )));
        assert!(raw_args_want_json(&v("modeldeck status -o json")));
        assert!(raw_args_want_json(&v("modeldeck status --output=json")));
        assert!(!raw_args_want_json(&v("modeldeck status --output yaml")));
        assert!(!raw_args_want_json(&v("modeldeck versions json")));
    }
}
