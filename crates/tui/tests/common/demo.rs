//! The sandbox's demo world (seed 42, virtual clock at the fixtures' NOW)
//! under a real Console, and the loop that answers the jobs an app asks for.

use super::Harness;
use super::fixture::NOW;
use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_sandbox::{ClockMode, Sandbox};
use modeldeck_tui::{Action, jobs};

/// The demo world, read once (the sandbox must outlive the console's use).
pub async fn world() -> (Sandbox, Console) {
    let sb = Sandbox::demo_with(42, ClockMode::Virtual { start: NOW }).unwrap();
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            profile: "demo".into(),
            sandbox: true,
            clock: sb.clock(),
            ..Default::default()
        },
    );
    console.refresh_all().await;
    (sb, console)
}

/// Answers every job the app asked for, until it asks for none.
pub async fn run_jobs(t: &mut Harness, console: &Console) {
    while let Some(req) = t.requests.pop() {
        let r = jobs::execute(console, req).await;
        t.act(Action::JobDone(Box::new(r)));
    }
}
