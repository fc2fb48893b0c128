//! The subcommands: each builds one documented, serializable document from
//! the console and hands it to the [`Printer`](crate::render::Printer).
//! Document shapes are the public contract described in `docs/cli.md`.

pub mod audit;
pub mod compare;
pub mod config;
pub mod models;
pub mod promote;
pub mod resolve;
pub mod sandbox;
pub mod status;
pub mod tui;
pub mod versions;

use crate::cli::{Cli, Command};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::wiring::{build_console, build_session};

/// Runs the parsed command line. `Ok` carries the exit code of a command
/// that printed its result but still has something to report (a backend
/// down under `status`).
pub async fn run(cli: Cli) -> Result<Exit, Failure> {
    let Cli {
        mut global,
        tui,
        command,
    } = cli;
    match command {
        None => {
            global.live = true;
            open_tui(&global, &tui).await
        }
        Some(Command::Demo { tui }) => {
            global.sandbox = true;
            global.live = true;
            open_tui(&global, &tui).await
        }
        Some(Command::Status(args)) => {
            let console = build_console(&global).await?;
            status::run(&console, &args, Printer::new(args.out)).await
        }
        Some(Command::Models(out)) => {
            let console = build_console(&global).await?;
            models::run(&console, Printer::new(out)).await
        }
        Some(Command::Versions {
            model,
            metrics,
            out,
        }) => {
            let console = build_console(&global).await?;
            versions::run(&console, &model, metrics, Printer::new(out)).await
        }
        Some(Command::Compare(args)) => {
            let console = build_console(&global).await?;
            compare::run(&console, &args, Printer::new(args.out)).await
        }
        Some(Command::Config(cmd)) => config::run(&cmd, &global),
        Some(Command::Login(args)) => config::login(&args, &global, true),
        Some(Command::Logout(args)) => config::login(&args, &global, false),
        Some(Command::Sandbox(cmd)) => sandbox::run(&cmd, &global).await,
        Some(Command::Promote(cmd)) => {
            let session = build_session(&global).await?;
            promote::run(&session, &cmd).await
        }
        Some(Command::Rollback(args)) => {
            let session = build_session(&global).await?;
            promote::rollback(&session, &args).await
        }
        Some(Command::History(args)) => {
            let session = build_session(&global).await?;
            audit::history(&session, &args).await
        }
        Some(Command::Audit(args)) => {
            if global.sandbox {
                // The sandbox keeps its journal for one process only.
                let session = build_session(&global).await?;
                return audit::audit(session.promotions.journal().path(), &args);
            }
            audit::audit(&crate::promotions::journal_path(), &args)
        }
    }
}

/// The TUI with the promotion service; when only the journal cannot be
/// opened (an unwritable data dir), the TUI still opens, with promotions
/// off and the reason logged.
async fn open_tui(
    global: &crate::cli::GlobalArgs,
    args: &crate::cli::TuiArgs,
) -> Result<Exit, Failure> {
    match build_session(global).await {
        Ok(session) => {
            tui::open(
                session.console.clone(),
                Some(session.promotions.clone()),
                args,
            )
            .await?;
        }
        Err(Failure::Other(e)) => {
            tracing::warn!("promotions are off: {e:#}");
            let console = build_console(global).await?;
            tui::open(console, None, args).await?;
        }
        Err(e) => return Err(e),
    }
    Ok(Exit::Ok)
}
