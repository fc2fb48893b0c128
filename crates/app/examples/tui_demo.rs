//! The terminal UI on the sandbox's demo world, without the `modeldeck`
//! binary: `cargo run -p modeldeck-app --example tui_demo [-- :promotions]`.
//! It lives here, not in modeldeck-tui, so the TUI crate depends on no
//! adapter even for its examples (`cargo tree -p modeldeck-tui`).
//! Used to try the real terminal path (raw mode, alternate screen, mouse,
//! restore) under tmux. The session (world, policy, journal) is the one
//! `modeldeck demo` gets, from `modeldeck-app`; `DEMO_USER=name` acts as
//! someone else than `sandbox-admin` (the demo's pending request is
//! dana.kowalski's).

use modeldeck_app::{SandboxOptions, Session, SessionOptions, Source};
use modeldeck_tui::TuiOptions;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = SandboxOptions {
        user: std::env::var("DEMO_USER").ok(),
        ..SandboxOptions::default()
    };
    let session = Session::open(SessionOptions::new(Source::Sandbox(sandbox), true)).await?;
    let opts = TuiOptions {
        start_screen: std::env::args().nth(1),
        promotions: Some(session.promotions()?),
        ..Default::default()
    };
    let result = modeldeck_tui::run(session.console.clone(), opts).await;
    session.close()?;
    result?;
    Ok(())
}
