//! The session the window shows, held as the TUI holds its own: one
//! [`Session`] with the console's live refresh running, replaced as a whole
//! when the user switches profile.

use crate::error::{DeskResult, DesktopError};
use crate::views::OpenEvent;
use modeldeck_app::{SandboxOptions, Session, SessionOptions, SetupError, Source};
use modeldeck_core::console::LiveTasks;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// The banner shown when nothing is configured and the demo opens instead.
pub const DEMO_BANNER: &str = "No profile configured: showing the simulated world (modeldeck demo)";

/// How the app picks its first session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesktopOptions {
    /// Open the simulated world whatever is configured
    /// (`MODELDECK_DESKTOP_DEMO=1`).
    pub force_demo: bool,
    /// Who the simulated clusters say the user is (`MODELDECK_SANDBOX_USER`,
    /// as the CLI's `--sandbox-user`; default `sandbox-admin`).
    pub sandbox_user: Option<String>,
}

impl DesktopOptions {
    /// The options the environment asks for.
    pub fn from_env() -> DesktopOptions {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        DesktopOptions {
            force_demo: var("MODELDECK_DESKTOP_DEMO").is_some_and(|v| v != "0" && v != "false"),
            sandbox_user: var("MODELDECK_SANDBOX_USER"),
        }
    }

    fn sandbox(&self) -> SessionOptions {
        SessionOptions::new(
            Source::Sandbox(SandboxOptions {
                user: self.sandbox_user.clone(),
                ..SandboxOptions::default()
            }),
            true,
        )
    }
}

/// One open session and its live refresh (stopped when dropped).
struct Current {
    session: Arc<Session>,
    banner: Option<String>,
    _live: LiveTasks,
}

/// The app's managed state.
pub struct Desk {
    opts: DesktopOptions,
    current: RwLock<Current>,
    /// Increases whenever the session is replaced (the event pump follows).
    epoch: AtomicU64,
    /// The promotion a deep link asked to open, until the window takes it.
    pending_open: std::sync::Mutex<Option<OpenEvent>>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("opts", &self.opts)
            .field("epoch", &self.epoch.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Desk {
    /// Opens the first session: the configured profile (live), or the
    /// simulated world with a banner when nothing is configured or
    /// `force_demo` is set. Must run inside the async runtime (the live
    /// refresh is spawned on it).
    ///
    /// Errors: the profile is configured but broken (a bad setting, an
    /// unreadable config file): the setup error, as the CLI reports it.
    pub async fn open(opts: DesktopOptions) -> DeskResult<Desk> {
        let (session, banner) = if opts.force_demo {
            (Session::open(opts.sandbox()).await?, None)
        } else {
            match Session::open(SessionOptions::new(Source::Profile(None), true)).await {
                Ok(s) => (s, None),
                Err(SetupError::NothingConfigured { .. }) => (
                    Session::open(opts.sandbox()).await?,
                    Some(DEMO_BANNER.to_string()),
                ),
                Err(e) => return Err(e.into()),
            }
        };
        Ok(Desk {
            current: RwLock::new(Current::start(session, banner)),
            opts,
            epoch: AtomicU64::new(0),
            pending_open: std::sync::Mutex::new(None),
        })
    }

    /// The session now (cheap: commands never hold the lock while they wait).
    pub fn session(&self) -> Arc<Session> {
        self.read(|c| c.session.clone())
    }

    /// The banner now.
    pub fn banner(&self) -> Option<String> {
        self.read(|c| c.banner.clone())
    }

    /// How many times the session was replaced.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Replaces the session with profile `name` (`None`: the simulated
    /// world). The old session stays as it is if the new one cannot open.
    ///
    /// Errors: the profile's setup error (`no_profile` for a missing or
    /// misconfigured profile, `internal` for a local fault).
    pub async fn switch(&self, name: Option<String>) -> DeskResult<()> {
        let session = match name {
            Some(n) if n.trim().is_empty() => {
                return Err(DesktopError::invalid(
                    "open_profile: the profile name is empty (null opens the simulated world)",
                ));
            }
            Some(n) => Session::open(SessionOptions::new(Source::Profile(Some(n)), true)).await?,
            None => Session::open(self.opts.sandbox()).await?,
        };
        let next = Current::start(session, None);
        let old = {
            let mut g = self
                .current
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::replace(&mut *g, next)
        };
        self.epoch.fetch_add(1, Ordering::SeqCst);
        drop(old);
        Ok(())
    }

    /// Keeps the promotion a deep link asked to open.
    pub fn set_pending_open(&self, ev: OpenEvent) {
        *self
            .pending_open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ev);
    }

    /// Takes the promotion a deep link asked to open, if any.
    pub fn take_pending_open(&self) -> Option<OpenEvent> {
        self.pending_open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    fn read<T>(&self, f: impl FnOnce(&Current) -> T) -> T {
        f(&self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl Current {
    fn start(session: Session, banner: Option<String>) -> Current {
        // As the TUI: the console refreshes itself while the window is open.
        let live = session.console.spawn_live();
        Current {
            session: Arc::new(session),
            banner,
            _live: live,
        }
    }
}
