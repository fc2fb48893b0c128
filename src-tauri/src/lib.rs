//! Modeldeck Desktop: the model reviewer's app. Thin Tauri 2 commands over
//! one [`modeldeck_app::Session`], held as the TUI holds its own; the
//! events pushed to the window come from the console's snapshot and the
//! promotion inbox. Every type crossing IPC has TypeScript bindings in
//! `ui/src/lib/gen/` ([`bindings`]).
//!
//! [`builder`] (or [`configure`] over a given builder, e.g. Tauri's mock
//! one in tests) registers the commands, the managed state and the event
//! pump; `main.rs` runs it with the real runtime.

pub mod audit;
pub mod bindings;
pub mod commands;
pub mod error;
pub mod evidence;
pub mod export;
pub mod links;
pub mod markers;
pub mod model_charts;
pub mod notify;
pub mod pump;
pub mod save_chart;
pub mod state;
pub mod views;

pub use error::DesktopError;
pub use state::{DEMO_BANNER, Desk, DesktopOptions};

use tauri::{Manager, Runtime};

/// Every command the app registers; `build.rs` lists the same names so
/// each needs its `allow-<command>` permission, and
/// `capabilities/default.json` grants exactly these.
pub const COMMANDS: &[&str] = &[
    "session_info",
    "open_profile",
    "inbox",
    "promotions",
    "promotion",
    "approve",
    "reject",
    "execute",
    "rollback",
    "fleet",
    "versions",
    "compare",
    "health",
    "audit",
    "take_open",
    "metric_history",
    "save_chart",
    "compare_evidence",
    "compare_curve",
];

/// The app over the runtime `R`, its first session chosen by the
/// environment ([`DesktopOptions::from_env`]).
pub fn builder<R: Runtime>() -> tauri::Builder<R> {
    configure(tauri::Builder::<R>::new(), DesktopOptions::from_env())
}

/// Adds the commands, the session (opened in `setup`) and the event pump
/// to `builder`.
pub fn configure<R: Runtime>(
    builder: tauri::Builder<R>,
    opts: DesktopOptions,
) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_deep_link::init())
        .invoke_handler(tauri::generate_handler![
            commands::session_info,
            commands::open_profile,
            commands::inbox,
            commands::promotions,
            commands::promotion,
            commands::approve,
            commands::reject,
            commands::execute,
            commands::rollback,
            commands::fleet,
            commands::versions,
            commands::compare,
            commands::health,
            commands::audit,
            commands::take_open,
            model_charts::metric_history,
            save_chart::save_chart,
            evidence::compare_evidence,
            evidence::compare_curve,
        ])
        .setup(move |app| {
            let desk = tauri::async_runtime::block_on(Desk::open(opts))?;
            tracing::info!(?desk, "session open");
            app.manage(desk);
            links::follow(app.handle());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(pump::run(handle));
            Ok(())
        })
}
