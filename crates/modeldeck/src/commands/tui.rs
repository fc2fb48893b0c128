//! Opening the terminal UI. The TUI crate owns the terminal (raw mode, the
//! alternate screen, the panic hook that restores them); this module only
//! hands it the console and turns its result into a [`Failure`] that main
//! prints after the terminal is back to normal.

use crate::cli::TuiArgs;
use crate::failure::Failure;
use modeldeck_core::Console;

/// Runs the TUI until the user quits.
///
/// Errors: terminal I/O failures ([`Failure::Other`], exit 1), returned only
/// once the TUI has restored the terminal.
pub async fn open(console: Console, args: &TuiArgs) -> Result<(), Failure> {
    let _ = (console, args);
    Err(Failure::Other(anyhow::anyhow!(
        "the TUI crate has not landed yet"
    )))
}
