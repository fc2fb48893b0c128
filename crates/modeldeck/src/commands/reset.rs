//! `modeldeck sandbox reset`: forgets the simulated world that `--sandbox`
//! commands keep in the data dir, so the next one starts from the scenario.

use crate::cli::GlobalArgs;
use crate::failure::{Exit, Failure};
use crate::render::write_stdout;
use modeldeck_sandbox::DEMO_SEED;

/// Removes the saved world of `--seed` (default the demo's) and its journal.
pub fn run(global: &GlobalArgs) -> Result<Exit, Failure> {
    let seed = global.seed.unwrap_or(DEMO_SEED);
    let paths = crate::session::paths();
    let removed = modeldeck_app::reset_sandbox(&paths, seed)?;
    let dir = paths.sandbox_dir(seed);
    let msg = if removed {
        format!(
            "removed the saved sandbox world {}; the next --sandbox command starts over\n",
            dir.display()
        )
    } else {
        format!(
            "no saved sandbox world at {}; nothing to reset\n",
            dir.display()
        )
    };
    write_stdout(&msg)?;
    Ok(Exit::Ok)
}
