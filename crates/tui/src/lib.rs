//! Modeldeck's terminal UI: k9s-style screens (Fleet, Models, Versions,
//! Compare, workload detail, Promotions, Help) over a
//! [`modeldeck_core::Console`] and, when configured, a
//! [`modeldeck_promotion::Promotions`] service.
//!
//! The binary only needs [`run`] and [`TuiOptions`]. The rest is public so
//! tests and benchmarks can drive the same state machine without a
//! terminal: build an [`App`] from a snapshot, feed it [`Action`]s (keys go
//! through [`keymap::handle_key`]), run the [`jobs::Job`]s it asks for with
//! [`jobs::execute`], call [`App::settle`] and draw with [`render()`] on any
//! ratatui backend.

pub mod action;
pub mod app;
pub mod command;
pub mod format;
pub mod jobs;
pub mod keymap;
pub mod markers;
pub mod promo_jobs;
pub mod prompt;
pub mod render;
pub mod retrain;
mod runner;
mod terminal;
mod theme;
pub mod views;
pub mod widgets;

pub use action::Action;
pub use app::App;
pub use render::render;

use std::time::Duration;

/// How the terminal UI runs.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// How often "now" advances (ages, message expiry). Default 250 ms.
    pub tick: Duration,
    /// Capture the mouse (wheel, click). Default true.
    pub mouse: bool,
    /// A command to run first, as typed after `:` (`":models"`, `"fleet"`,
    /// `":ns risk"`); default is the Fleet. An invalid one is reported in
    /// the footer and the Fleet is shown.
    pub start_screen: Option<String>,
    /// The promotion service of this profile; `None` (the default): the
    /// Promotions screen says promotions are not configured.
    pub promotions: Option<std::sync::Arc<modeldeck_promotion::Promotions>>,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            tick: Duration::from_millis(250),
            mouse: true,
            start_screen: None,
            promotions: None,
        }
    }
}

/// Runs the terminal UI until the user quits.
///
/// Enters raw mode, the alternate screen and (if `opts.mouse`) mouse
/// capture; installs a panic hook that restores the terminal and then calls
/// the previous hook; restores the terminal on every exit path, errors
/// included. Starts the console's refresh (one full read, then
/// [`Console::spawn_live`](modeldeck_core::Console::spawn_live)) and stops
/// it on exit, so the caller must not start its own live tasks. Never
/// prints to stdout/stderr besides the UI itself; diagnostics go to
/// `tracing`.
///
/// # Errors
/// The terminal could not be set up, read or written; or a panic elsewhere
/// restored the terminal (the UI then stops rather than draw on it).
pub async fn run(console: modeldeck_core::Console, opts: TuiOptions) -> std::io::Result<()> {
    runner::run(console, opts).await
}

/// The same event loop as [`run`] on any ratatui backend, fed by any
/// stream of terminal events: for tests (a `TestBackend` and a channel of
/// key events) and embedding. Leaves the terminal mode and the panic hook
/// alone. Returns when the user quits or `events` ends.
///
/// # Errors
/// Drawing failed, or `events` yielded an error.
pub async fn run_on<B, S>(
    terminal: &mut ratatui::Terminal<B>,
    console: modeldeck_core::Console,
    opts: TuiOptions,
    events: S,
) -> std::io::Result<()>
where
    B: ratatui::backend::Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: futures::Stream<Item = std::io::Result<crossterm::event::Event>> + Unpin,
{
    runner::event_loop(terminal, &console, &opts, events, &|| false).await
}
