//! The terminal UI on the sandbox's demo world, without the `modeldeck`
//! binary: `cargo run -p modeldeck-tui --example demo [-- :models]`. Used to
//! try the real terminal path (raw mode, alternate screen, mouse, restore)
//! under tmux.

use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_sandbox::Sandbox;
use modeldeck_tui::TuiOptions;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sb = Sandbox::demo()?;
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            profile: "demo".into(),
            sandbox: true,
            clock: sb.clock(),
            ..Default::default()
        },
    );
    let opts = TuiOptions {
        start_screen: std::env::args().nth(1),
        ..Default::default()
    };
    modeldeck_tui::run(console, opts).await?;
    Ok(())
}
