//! The simulated world behind `--sandbox` and `modeldeck demo`: the demo
//! scenario, or a generated world of `--sandbox-size` workloads for
//! benchmarks, wrapped in a [`Console`] that runs on the world's clock.
//!
//! The TUI gets the world on the wall clock, so it lives. Scripting
//! subcommands get it frozen at [`GENERATED_START`] on a virtual clock, so
//! the same seed prints the same bytes every time (docs, CI, tests).

use crate::cli::GlobalArgs;
use crate::failure::Failure;
use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_sandbox::{ClockMode, DEMO_SEED, GENERATED_START, GenSpec, Sandbox};

/// A console over the sandbox world chosen by `--seed` / `--sandbox-size`.
///
/// Errors: the embedded scenario failed to load (a bug: exit 1).
pub fn console(global: &GlobalArgs) -> Result<Console, Failure> {
    world(global).map(|(c, _)| c)
}

/// The console and the world behind it (to let time pass in it).
pub fn world(global: &GlobalArgs) -> Result<(Console, Sandbox), Failure> {
    let sandbox = build(global)?;
    for &b in &global.sandbox_outage {
        sandbox.set_outage(b, true);
    }
    let opts = ConsoleOptions {
        profile: "sandbox".into(),
        sandbox: true,
        clock: sandbox.clock(),
        ..ConsoleOptions::default()
    };
    tracing::info!(
        seed = global.seed.unwrap_or(DEMO_SEED),
        size = ?global.sandbox_size,
        live = global.live,
        outages = ?global.sandbox_outage,
        "sandbox world"
    );
    Ok((Console::new(sandbox.backends(), opts), sandbox))
}

fn build(global: &GlobalArgs) -> Result<Sandbox, Failure> {
    let seed = global.seed.unwrap_or(DEMO_SEED);
    if let Some(workloads) = global.sandbox_size {
        return Ok(Sandbox::generate(&gen_spec(seed, workloads)));
    }
    let clock = if global.live {
        ClockMode::Wall
    } else {
        ClockMode::Virtual {
            start: GENERATED_START,
        }
    };
    Sandbox::demo_with(seed, clock)
        .map_err(|e| Failure::Other(anyhow::Error::new(e).context("the demo world")))
}

/// The shape of a generated world with `workloads` workloads: about 50
/// workloads per model, as in a large platform team's fleet.
pub fn gen_spec(seed: u64, workloads: usize) -> GenSpec {
    GenSpec {
        seed,
        clusters: 3,
        namespaces: 8,
        models: (workloads / 50).clamp(4, 400),
        workloads,
        versions_per_model: 8,
    }
}
