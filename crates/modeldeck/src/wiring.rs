//! Chooses the backends behind the [`Console`]: the single place that will
//! pick real adapters once profiles can build them. Today it builds the
//! sandbox world, or explains that no profile is configured.

use crate::cli::GlobalArgs;
use crate::failure::Failure;
use modeldeck_core::Console;
use modeldeck_core::config::{ConfigError, config_path, load_file};

/// Builds the console the command runs against: the simulated world with
/// `--sandbox` (or `demo`), otherwise the configured profile.
///
/// Errors: [`Failure::NoProfile`] (exit 2) while no profile can be used.
pub fn build_console(global: &GlobalArgs) -> Result<Console, Failure> {
    if global.sandbox {
        return crate::sandbox_world::console(global);
    }
    Err(explain_no_profile(global))
}

const TRY_SANDBOX: &str =
    "try \"modeldeck demo\", or \"modeldeck --sandbox <command>\" for the simulated world";

fn explain_no_profile(global: &GlobalArgs) -> Failure {
    let path = config_path();
    let file = match load_file(&path) {
        Ok(f) => f,
        Err(e @ (ConfigError::Parse { .. } | ConfigError::Read { .. })) => {
            return Failure::NoProfile(format!("{e}; {TRY_SANDBOX}"));
        }
        Err(e) => return Failure::NoProfile(e.to_string()),
    };
    let wanted = global
        .profile
        .clone()
        .or_else(|| file.default_profile.clone());
    let message = match wanted {
        Some(name) if file.profiles.contains_key(&name) => format!(
            "profile \"{name}\" is configured in {}, but this build cannot connect to real \
             backends yet; {TRY_SANDBOX}",
            path.display()
        ),
        Some(name) if !file.profiles.is_empty() => format!(
            "no profile named \"{name}\" in {} (profiles: {}); {TRY_SANDBOX}",
            path.display(),
            file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        _ if path.exists() => format!(
            "no profile is configured in {}; {TRY_SANDBOX}",
            path.display()
        ),
        _ => format!(
            "no profile is configured (no config file at {}); {TRY_SANDBOX}",
            path.display()
        ),
    };
    Failure::NoProfile(message)
}
