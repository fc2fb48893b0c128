//! The simulated world behind `--sandbox` and `modeldeck demo`.

use crate::cli::GlobalArgs;
use crate::failure::Failure;
use modeldeck_core::Console;

/// A console over the sandbox world chosen by `--seed` / `--sandbox-size`.
pub fn console(_global: &GlobalArgs) -> Result<Console, Failure> {
    Err(Failure::Other(anyhow::anyhow!(
        "the sandbox crate has not landed yet"
    )))
}
