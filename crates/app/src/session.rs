//! The session every front end holds: one [`Console`] over the chosen
//! backends, the promotion service over the same ports, who the user is,
//! and where files live. [`Session::open`] reads the profile once and is the
//! only place that decides which adapters back a console.

use crate::backends;
use crate::error::SetupError;
use crate::paths::Paths;
use crate::promotions;
use crate::sandbox::{self, SandboxOptions, SandboxWorld};
use modeldeck_core::config::Profile;
use modeldeck_core::config::secrets::{SecretKind, SecretStore};
use modeldeck_core::domain::Identity;
use modeldeck_core::error::PortResult;
use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_promotion::{PolicySet, Promotions};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Where a session's data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A profile of the config file: `None` takes `MODELDECK_PROFILE`, then
    /// the file's default, layered with the environment.
    Profile(Option<String>),
    /// The simulated world.
    Sandbox(SandboxOptions),
}

/// What a front end asks for.
#[derive(Clone)]
pub struct SessionOptions {
    /// Profile or sandbox.
    pub source: Source,
    /// A live session (TUI, desktop) shows each cluster context as it
    /// connects and runs the sandbox on the wall clock; a one-shot session
    /// (a scripting command) waits, bounded, until every context answered,
    /// and freezes the sandbox's clock so output is reproducible.
    pub live: bool,
    /// Where files live.
    pub paths: Paths,
    /// The environment the profile is layered with (`KUBECONFIG`,
    /// `MLFLOW_TRACKING_URI`, `MODELDECK_*`...).
    pub env: BTreeMap<String, String>,
    /// Where secrets come from; `None` opens the OS keychain when a secret
    /// is first needed.
    pub secrets: Option<Arc<dyn SecretStore>>,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("source", &self.source)
            .field("live", &self.live)
            .field("paths", &self.paths)
            .field("env_vars", &self.env.len())
            .finish_non_exhaustive()
    }
}

impl SessionOptions {
    /// A session on `source` with the process's environment and the
    /// platform's paths.
    pub fn new(source: Source, live: bool) -> SessionOptions {
        SessionOptions {
            source,
            live,
            paths: Paths::from_env(),
            env: modeldeck_core::config::process_env(),
            secrets: None,
        }
    }

    /// This machine's audit journal for these options, decided without
    /// opening anything (so `audit verify` can read a damaged one, and needs
    /// no backend): the profile's [`Paths::journal`]; a kept sandbox world's
    /// own beside its state; a per-process scratch one otherwise.
    pub fn journal_path(&self) -> PathBuf {
        match &self.source {
            Source::Profile(_) => self.paths.journal.clone(),
            Source::Sandbox(s) if sandbox::is_kept(s, self.live) => {
                self.paths.sandbox_dir(s.seed).join("journal.jsonl")
            }
            Source::Sandbox(_) => scratch_dir().join("journal.jsonl"),
        }
    }

    /// The embedded default: the demo world, live.
    pub fn demo() -> SessionOptions {
        SessionOptions::new(Source::Sandbox(SandboxOptions::default()), true)
    }
}

/// What the session runs on.
#[derive(Debug)]
enum Origin {
    /// A profile and its policy set (checked when the session opened).
    Profile(Box<Profile>, Box<PolicySet>),
    Sandbox(Mutex<SandboxWorld>),
}

/// One console, its promotion service, the user's identity and the paths:
/// everything a front end needs, and nothing it has to build itself.
pub struct Session {
    /// The console (live snapshot, reads, compare).
    pub console: Console,
    /// Where files live.
    pub paths: Paths,
    origin: Origin,
    journal: PathBuf,
    /// HMAC key of the journal head (`login journal`), if any.
    journal_key: Option<Vec<u8>>,
    promotions: OnceLock<Result<Arc<Promotions>, SetupError>>,
    live: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("profile", &self.profile_name())
            .field("sandbox", &self.is_sandbox())
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Opens a session: reads the profile once (or builds the simulated
    /// world), builds the adapters it names, and for a one-shot session
    /// waits (at most 10 s) until every cluster context answered.
    ///
    /// Errors: [`SetupError`]: nothing configured, an unreadable or invalid
    /// config file, a bad backend setting, a damaged saved sandbox world.
    pub async fn open(opts: SessionOptions) -> Result<Session, SetupError> {
        let journal = opts.journal_path();
        match &opts.source {
            Source::Sandbox(s) => {
                let world = sandbox::open(s, opts.live, &opts.paths)?;
                let console = Console::new(
                    world.world.backends(),
                    ConsoleOptions {
                        profile: "sandbox".into(),
                        sandbox: true,
                        clock: world.world.clock(),
                        policies: promotions::sandbox_policies()?,
                        ..ConsoleOptions::default()
                    },
                );
                let journal_key = opts
                    .env
                    .get(SecretKind::JournalKey.env_var())
                    .filter(|v| !v.is_empty())
                    .map(|v| v.as_bytes().to_vec());
                Ok(Session {
                    console,
                    paths: opts.paths,
                    origin: Origin::Sandbox(Mutex::new(world)),
                    journal,
                    journal_key,
                    promotions: OnceLock::new(),
                    live: opts.live,
                })
            }
            Source::Profile(name) => {
                let profile =
                    backends::load_profile(&opts.paths.config, name.as_deref(), &opts.env)?;
                if !backends::anything_configured(&profile) {
                    return Err(SetupError::NothingConfigured {
                        config: opts.paths.config.clone(),
                    });
                }
                // Policies are checked now, so a bad one fails every command
                // the same way, not only the promotion verbs.
                let policies = promotions::policies_of(&profile)?;
                let store = opts.secrets.clone();
                let source = move || store.clone().unwrap_or_else(backends::keychain);
                let built = backends::profile_backends(&profile, &opts.env, &source)?;
                let journal_key = backends::journal_key(&profile, &opts.env, &source);
                let console = Console::new(
                    built.backends,
                    ConsoleOptions {
                        profile: profile.name.clone(),
                        sandbox: false,
                        drift_warn: profile.drift.warn,
                        drift_alert: profile.drift.alert,
                        lag: profile.lag,
                        policies: policies.clone(),
                        ..ConsoleOptions::default()
                    },
                );
                if let Some(kube) = built.kube.filter(|_| !opts.live) {
                    // A one-shot command reports every context, so it waits
                    // (bounded) until none is still connecting; a live front
                    // end shows them as they come.
                    kube.wait_ready(Duration::from_secs(10)).await;
                }
                Ok(Session {
                    console,
                    paths: opts.paths,
                    origin: Origin::Profile(Box::new(profile), Box::new(policies)),
                    journal,
                    journal_key,
                    promotions: OnceLock::new(),
                    live: opts.live,
                })
            }
        }
    }

    /// The profile's name (`sandbox` on the simulated world).
    pub fn profile_name(&self) -> &str {
        match &self.origin {
            Origin::Profile(p, _) => &p.name,
            Origin::Sandbox(_) => "sandbox",
        }
    }

    /// The deep link that opens promotion `id` in this session's profile
    /// (`modeldeck://promotion/<id>?profile=<p>`, see [`crate::link`]).
    pub fn promotion_link(&self, id: &str) -> String {
        crate::link::promotion_link(self.profile_name(), id)
    }

    /// The profile, when the session runs on one.
    pub fn profile(&self) -> Option<&Profile> {
        match &self.origin {
            Origin::Profile(p, _) => Some(p),
            Origin::Sandbox(_) => None,
        }
    }

    /// True on the simulated world.
    pub fn is_sandbox(&self) -> bool {
        matches!(self.origin, Origin::Sandbox(_))
    }

    /// The promotion service over this session's ports, built on first use
    /// (it opens the audit journal).
    ///
    /// Errors: [`SetupError::Journal`] when the journal cannot be opened;
    /// the rest of the session works without promotions then.
    pub fn promotions(&self) -> Result<Arc<Promotions>, SetupError> {
        self.promotions
            .get_or_init(|| self.build_promotions().map(Arc::new))
            .clone()
    }

    fn build_promotions(&self) -> Result<Promotions, SetupError> {
        let journal = (self.journal.as_path(), self.journal_key.clone());
        match &self.origin {
            Origin::Profile(_, policies) => {
                promotions::for_profile(&self.console, (**policies).clone(), journal)
            }
            Origin::Sandbox(w) => {
                let w = w.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                promotions::for_sandbox(&self.console, &w.world, self.live, journal)
            }
        }
    }

    /// The journal's HMAC key, when one is set (`modeldeck login journal`
    /// or `MODELDECK_JOURNAL_KEY`): heads are signed with it and `audit
    /// verify` checks the signature.
    pub fn journal_key(&self) -> Option<&[u8]> {
        self.journal_key.as_deref()
    }

    /// This machine's audit journal for the session (see
    /// [`SessionOptions::journal_path`]), not opened.
    pub fn journal_path(&self) -> PathBuf {
        self.journal.clone()
    }

    /// Who the user is on `cluster` (the cluster's own answer:
    /// SelfSubjectReview on Kubernetes).
    ///
    /// Errors: the cluster port's error (unreachable, not configured).
    pub async fn identity(&self, cluster: &str) -> PortResult<Identity> {
        self.console.backends().cluster.whoami(cluster).await
    }

    /// Ends the session: a kept sandbox world is saved for the next
    /// command. Call it after a command that may have changed the world;
    /// dropping a session without it keeps nothing.
    ///
    /// Errors: [`SetupError::Sandbox`] when the world cannot be written.
    pub fn close(self) -> Result<(), SetupError> {
        if let Origin::Sandbox(w) = &self.origin {
            let mut w = w.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            w.save()?;
            // The per-process journal of an unsaved world goes with it.
            if w.state.is_none() {
                let _ = std::fs::remove_dir_all(scratch_dir());
            }
        }
        Ok(())
    }
}

/// Where a sandbox world that is not kept writes its journal: this
/// process's own temporary directory, removed by [`Session::close`].
pub(crate) fn scratch_dir() -> PathBuf {
    std::env::temp_dir().join(format!("modeldeck-sandbox-{}", std::process::id()))
}
