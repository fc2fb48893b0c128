//! The command line's choice of data, as [`SessionOptions`]: `--sandbox`
//! (with its seed, size, outages and user) or `--profile`. Everything else
//! about building a session belongs to `modeldeck-app`.

use crate::cli::GlobalArgs;
use crate::failure::Failure;
use modeldeck_app::{Paths, SandboxOptions, Session, SessionOptions, Source};
use modeldeck_sandbox::DEMO_SEED;

/// The options `global` asks for; `live` for the TUI.
pub fn options(global: &GlobalArgs) -> SessionOptions {
    let source = if global.sandbox {
        Source::Sandbox(SandboxOptions {
            seed: global.seed.unwrap_or(DEMO_SEED),
            workloads: global.sandbox_size,
            outages: global.sandbox_outage.clone(),
            user: global.sandbox_user.clone(),
            // A scripting command's changes carry to the next command.
            persist: !global.live,
        })
    } else {
        Source::Profile(global.profile.clone())
    };
    SessionOptions::new(source, global.live)
}

/// Opens the session `global` asks for.
///
/// Errors: [`Failure::Setup`] (exit 2 for settings the user fixes).
pub async fn open(global: &GlobalArgs) -> Result<Session, Failure> {
    Ok(Session::open(options(global)).await?)
}

/// The paths of this installation (config file, data dir, journal).
pub fn paths() -> Paths {
    Paths::from_env()
}
