//! The subcommands: each builds one documented, serializable document from
//! the console and hands it to the [`Printer`](crate::render::Printer).
//! Document shapes are the public contract described in `docs/cli.md`.

pub mod audit;
pub mod audit_shared;
pub mod card;
pub mod cluster;
pub mod compare;
pub mod config;
pub mod drift;
pub mod fairness;
pub mod health;
pub mod history;
pub mod metric_history;
pub mod models;
pub mod profile;
pub mod promote;
pub mod report;
pub mod reset;
pub mod resolve;
pub mod retrain;
pub mod sandbox;
pub mod status;
pub mod tui;
pub mod verify;
pub mod versions;

use crate::cli::{Cli, Command};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::session;

/// Runs the parsed command line. `Ok` carries the exit code of a command
/// that printed its result but still has something to report (a backend
/// down under `status`).
pub async fn run(cli: Cli) -> Result<Exit, Failure> {
    let Cli {
        mut global,
        tui,
        command,
    } = cli;
    let command = match command {
        None => {
            global.live = true;
            return open_tui(&global, &tui).await;
        }
        Some(Command::Demo { tui }) => {
            global.sandbox = true;
            global.live = true;
            return open_tui(&global, &tui).await;
        }
        Some(Command::Config(cmd)) => return config::run(&cmd, &global),
        Some(Command::Login(args)) => return config::login(&args, &global, true),
        Some(Command::Logout(args)) => return config::login(&args, &global, false),
        Some(Command::Sandbox(cmd)) => return sandbox::run(&cmd, &global).await,
        Some(Command::Cluster(cmd)) => return cluster::run(&cmd).await,
        // The journal as it is, never opened through the promotion service
        // (a damaged journal is what verify reports). Listing and export need
        // no backend; only `audit verify` opens a session, to read the
        // registry's mirror (see `audit::run`).
        Some(Command::Audit(args)) => return audit::run(&global, &args).await,
        // Reads a local file; opens a session only to log the profile.
        Some(Command::Profile(cmd)) => return profile::run(&cmd, &global).await,
        Some(c) => c,
    };
    let s = session::open(&global).await?;
    let exit = match command {
        Command::Status(args) => status::run(&s.console, &args, Printer::new(args.out)).await,
        Command::Models(out) => models::run(&s.console, Printer::new(out)).await,
        Command::Versions {
            model,
            metric: Some(name),
            out,
            ..
        } => metric_history::run(&s.console, &model, &name, Printer::new(out)).await,
        Command::Versions {
            model,
            metrics,
            out,
            ..
        } => versions::run(&s.console, &model, metrics, Printer::new(out)).await,
        Command::Compare(args) => compare::run(&s.console, &args, Printer::new(args.out)).await,
        Command::Promote(cmd) => promote::run(&s, &cmd).await,
        Command::Rollback(args) => promote::rollback(&s, &args).await,
        Command::History(args) => history::history(&s, &args).await,
        Command::Report(args) => report::run(&s, &args).await,
        Command::Drift(args) => drift::run(&s.console, &args, Printer::new(args.out)).await,
        Command::Fairness(args) => fairness::run(&s.console, &args, Printer::new(args.out)).await,
        Command::Health(args) => health::run(&s, &args, Printer::new(args.out)).await,
        Command::Card(args) => card::run(&s, &args, Printer::new(args.out)).await,
        Command::Retrain(args) => retrain::run(&s, &args).await,
        Command::Demo { .. }
        | Command::Audit(_)
        | Command::Profile(_)
        | Command::Config(_)
        | Command::Login(_)
        | Command::Logout(_)
        | Command::Sandbox(_)
        | Command::Cluster(_) => unreachable_command(),
    };
    // Whatever the command did (even when it failed after writing), a kept
    // sandbox world is saved for the next command.
    s.close()?;
    exit
}

/// The commands handled before a session is opened never get here.
fn unreachable_command() -> Result<Exit, Failure> {
    Err(Failure::Usage("internal: command dispatched twice".into()))
}

/// The TUI with the promotion service; when only the journal cannot be
/// opened (an unwritable data dir), the TUI still opens, with promotions
/// off and the reason logged.
async fn open_tui(
    global: &crate::cli::GlobalArgs,
    args: &crate::cli::TuiArgs,
) -> Result<Exit, Failure> {
    let s = session::open(global).await?;
    let promotions = match s.promotions() {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("promotions are off: {e}");
            None
        }
    };
    tui::open(s.console.clone(), promotions, args).await?;
    s.close()?;
    Ok(Exit::Ok)
}
