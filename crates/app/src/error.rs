//! Why a session could not be set up. No exit codes here: each front end
//! decides what a [`SetupError`] means to its user (the binary maps
//! [`SetupError::is_user_fixable`] to exit 2, the rest to exit 1).

use modeldeck_core::error::Backend;
use std::path::PathBuf;

/// A session could not be built. Messages name the profile, the setting
/// and the file, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// No profile names any backend and no ecosystem default exists.
    #[error(
        "no profile is configured (no cluster, registry or metrics backend in {}, and \
         neither KUBECONFIG, ~/.kube/config, MLFLOW_TRACKING_URI nor PROMETHEUS_URL is \
         set); run \"modeldeck config init\" to start one, or {TRY_SANDBOX}",
        config.display()
    )]
    NothingConfigured {
        /// The config file that was read.
        config: PathBuf,
    },
    /// The config file is unreadable or invalid, or names no such profile.
    #[error("{message}")]
    Config {
        /// What is wrong, with the file and line.
        message: String,
    },
    /// A backend's settings are invalid, or a secret it needs is missing.
    #[error("profile \"{profile}\": {backend}: {message}")]
    Backend {
        /// The profile.
        profile: String,
        /// Which backend.
        backend: Backend,
        /// What is wrong.
        message: String,
    },
    /// A promotion policy in the profile is invalid.
    #[error("profile \"{profile}\": policies.\"{glob}\": {message}")]
    Policy {
        /// The profile.
        profile: String,
        /// The model glob whose policy is wrong (`(all)` for the set).
        glob: String,
        /// What is wrong.
        message: String,
    },
    /// The audit journal cannot be opened (an unwritable data dir).
    #[error("the audit journal {}: {message}", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// The I/O or format error.
        message: String,
    },
    /// The simulated world could not be built or its saved state read.
    #[error("the sandbox world: {message}")]
    Sandbox {
        /// What failed.
        message: String,
    },
}

/// The hint for a user with nothing configured.
pub const TRY_SANDBOX: &str =
    "try \"modeldeck demo\", or \"modeldeck --sandbox <command>\" for the simulated world";

impl SetupError {
    /// True when the user fixes it by changing settings (the binary's exit
    /// 2); false for a local fault (an unwritable journal, a damaged saved
    /// sandbox state).
    pub fn is_user_fixable(&self) -> bool {
        !matches!(
            self,
            SetupError::Journal { .. } | SetupError::Sandbox { .. }
        )
    }

    /// Stable machine code: `no_profile` for settings the user fixes,
    /// `internal` otherwise (the codes `docs/cli.md` documents).
    pub fn code(&self) -> &'static str {
        if self.is_user_fixable() {
            "no_profile"
        } else {
            "internal"
        }
    }
}
