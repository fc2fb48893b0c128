//! The terminal UI on the sandbox's demo world, without the `modeldeck`
//! binary: `cargo run -p modeldeck-tui --example demo [-- :promotions]`.
//! Used to try the real terminal path (raw mode, alternate screen, mouse,
//! restore) under tmux. Promotions run against the world with a journal in
//! a temporary directory; `DEMO_USER=name` acts as someone else than
//! `sandbox-admin` (the demo's pending request is dana.kowalski's).

use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_promotion::{Journal, JournalOptions, PolicySet, Promotions};
use modeldeck_sandbox::Sandbox;
use modeldeck_tui::TuiOptions;
use std::sync::Arc;

const POLICY: &str = r#"
[default]
min_approvals = 1
approval_ttl = "24h"
bake = "10s"
rollout_poll = "2s"
rollout_timeout = "5m"

[[rules]]
models = "fraud-*"
[rules.policy]
min_approvals = 1
metrics = [{ name = "auc", tolerance = 0.002 }, { name = "log_loss" }]
bake = "10s"
rollout_poll = "2s"
rollout_timeout = "5m"
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sb = Sandbox::demo()?;
    if let Ok(user) = std::env::var("DEMO_USER") {
        sb.set_identity(&user, &["system:authenticated"]);
    }
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            profile: "demo".into(),
            sandbox: true,
            clock: sb.clock(),
            ..Default::default()
        },
    );
    let dir = std::env::temp_dir().join(format!("modeldeck-tui-demo-{}", std::process::id()));
    let journal = Journal::open(dir.join("journal.jsonl"), JournalOptions::default())?;
    let policies: PolicySet = toml::from_str(POLICY)?;
    let promotions = Promotions::from_console(&console, policies, Arc::new(journal));
    let opts = TuiOptions {
        start_screen: std::env::args().nth(1),
        promotions: Some(Arc::new(promotions)),
        ..Default::default()
    };
    let result = modeldeck_tui::run(console, opts).await;
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    Ok(())
}
