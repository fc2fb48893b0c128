//! Opening the terminal UI. The TUI crate owns the terminal (raw mode, the
//! alternate screen, the panic hook that restores them) and the console's
//! live refresh; this module only hands it the console and turns its result
//! into a [`Failure`] that main prints after the terminal is back to normal.

use crate::cli::TuiArgs;
use crate::failure::Failure;
use anyhow::Context;
use modeldeck_core::Console;
use modeldeck_tui::TuiOptions;
use std::io::IsTerminal;

/// Runs the TUI until the user quits.
///
/// Errors: stdout is not a terminal ([`Failure::Usage`], exit 2, checked
/// before touching the terminal); terminal I/O failures ([`Failure::Other`],
/// exit 1), returned only once the TUI has restored the terminal.
pub async fn open(
    console: Console,
    promotions: Option<std::sync::Arc<modeldeck_promotion::Promotions>>,
    args: &TuiArgs,
) -> Result<(), Failure> {
    if !std::io::stdout().is_terminal() {
        return Err(Failure::Usage(
            "the terminal UI needs a terminal, and stdout is not one; for scripts use a \
             subcommand with --output json (e.g. \"modeldeck --sandbox status --output json\")"
                .into(),
        ));
    }
    let opts = TuiOptions {
        mouse: !args.no_mouse,
        start_screen: args.screen.clone(),
        promotions,
        ..TuiOptions::default()
    };
    tracing::info!(mouse = opts.mouse, start = ?opts.start_screen, "opening the terminal UI");
    modeldeck_tui::run(console, opts)
        .await
        .context("the terminal UI")?;
    tracing::info!("terminal UI closed");
    Ok(())
}
