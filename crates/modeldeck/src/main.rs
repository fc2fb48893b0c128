//! The `modeldeck` binary: parses the command line, sets up file logging and
//! the async runtime, runs the TUI or a scripting subcommand, and maps the
//! outcome to the documented exit codes (see `docs/cli.md`).

mod cli;
mod commands;
mod failure;
mod logging;
mod render;
mod session;

use clap::Parser;
use cli::{Cli, OutputFormat, raw_args_want_json};
use failure::{Exit, Failure};
use std::process::ExitCode;
use std::time::Duration;

/// The interactive front end (`demo`, no subcommand) and `sandbox serve`.
fn runs_on_all_cores(command: Option<&cli::Command>) -> bool {
    matches!(
        command,
        None | Some(cli::Command::Demo { .. } | cli::Command::Sandbox(_))
    )
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match Cli::try_parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => return clap_failure(&e, raw_args_want_json(&raw)),
    };
    let json = cli
        .command
        .as_ref()
        .and_then(|c| c.output())
        .is_some_and(|o| o.output == OutputFormat::Json);

    let _log_guard = match logging::init() {
        Ok(guard) => Some(guard),
        Err(warning) => {
            eprintln!("warning: {warning}");
            None
        }
    };
    // Only the subcommand's name: arguments may one day carry secrets.
    tracing::info!(
        command = cli.command.as_ref().map_or("tui", cli::Command::name),
        version = env!("CARGO_PKG_VERSION"),
        "start"
    );

    // The TUI and the sandbox API server run on every core. A scripting
    // command runs on this one thread: it mostly waits on the network, and
    // one allocating thread keeps glibc to one malloc arena (`status` of
    // 10,000 Deployments: peak RSS 59 -> 49 MiB, same time; docs/benchmarks.md).
    let mut builder = if runs_on_all_cores(cli.command.as_ref()) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let f = Failure::Other(anyhow::Error::new(e).context("starting the async runtime"));
            failure::report(&f, json);
            return f.exit().into();
        }
    };
    let outcome = runtime.block_on(commands::run(cli));
    // Background refresh tasks may still be parked on a timer; do not wait for them.
    runtime.shutdown_timeout(Duration::from_millis(200));

    // The TUI (if any) has restored the terminal by now, so errors print cleanly.
    match outcome {
        Ok(exit) => {
            tracing::info!(code = exit as u8, "done");
            exit.into()
        }
        Err(f) => {
            tracing::error!(code = f.code(), exit = f.exit() as u8, "{f}");
            failure::report(&f, json);
            f.exit().into()
        }
    }
}

/// Help and version go to stdout with exit 0; usage errors to stderr with
/// exit 2 (clap's code), plus the JSON error object when JSON was asked for.
fn clap_failure(e: &clap::Error, json: bool) -> ExitCode {
    if e.use_stderr() && json {
        let rendered = e.render().to_string();
        let first = rendered
            .lines()
            .next()
            .unwrap_or("invalid command line")
            .trim_start_matches("error: ")
            .to_string();
        let doc = Failure::Usage(first).to_json();
        if let Ok(s) = serde_json::to_string_pretty(&doc) {
            println!("{s}");
        }
    }
    // Printing can only fail if stdout/stderr are closed; nothing left to tell then.
    let _ = e.print();
    let code = e.exit_code();
    if code == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(Exit::Usage as u8)
    }
}
