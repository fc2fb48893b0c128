//! The simulated world behind `--sandbox` and `modeldeck demo`: the demo
//! scenario, or a generated world of N workloads for benchmarks.
//!
//! A live world (the TUI, the desktop) runs on the wall clock and starts
//! fresh each time. A one-shot world (scripting commands) is frozen on a
//! virtual clock starting at [`GENERATED_START`], so the same seed prints
//! the same bytes; with `persist` it is saved in the data dir after each
//! command that changed it and read back by the next, so a promotion can be
//! requested, approved, executed and rolled back as separate commands.
//! `modeldeck sandbox reset` ([`reset`]) starts over.

use crate::error::SetupError;
use crate::paths::Paths;
use modeldeck_core::error::Backend;
use modeldeck_sandbox::{ClockMode, DEMO_SEED, GENERATED_START, GenSpec, Sandbox};
use std::path::{Path, PathBuf};

/// Which simulated world, and how it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Seed: same seed, same world.
    pub seed: u64,
    /// A generated world of this many workloads instead of the demo
    /// scenario (benchmarks; never saved).
    pub workloads: Option<usize>,
    /// Backends that are down (to see and test failure handling).
    pub outages: Vec<Backend>,
    /// Who the simulated clusters say you are (default `sandbox-admin`), to
    /// act as a second person on the same world.
    pub user: Option<String>,
    /// Keep a one-shot world's changes for the next command (the CLI's
    /// `--sandbox`); ignored for live and generated worlds.
    pub persist: bool,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            seed: DEMO_SEED,
            workloads: None,
            outages: Vec::new(),
            user: None,
            persist: false,
        }
    }
}

/// The world of a session, and where it is saved when it is.
#[derive(Debug)]
pub(crate) struct SandboxWorld {
    pub world: Sandbox,
    /// The saved state's file, when the world is kept between commands.
    pub state: Option<PathBuf>,
    /// The state when the command started, to save only what changed (a
    /// read-only command leaves no file behind).
    pub baseline: Option<String>,
}

/// True when `opts` keeps its world between commands: a one-shot demo
/// world asked to persist (never a live or a generated one).
pub(crate) fn is_kept(opts: &SandboxOptions, live: bool) -> bool {
    opts.persist && !live && opts.workloads.is_none()
}

/// The file that keeps a world's state.
pub(crate) fn state_file(paths: &Paths, seed: u64) -> PathBuf {
    paths.sandbox_dir(seed).join("world.json")
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

/// Builds (or reads back) the world `opts` names.
pub(crate) fn open(
    opts: &SandboxOptions,
    live: bool,
    paths: &Paths,
) -> Result<SandboxWorld, SetupError> {
    let bad = |message: String| SetupError::Sandbox { message };
    let mut state = None;
    let mut restored = false;
    let world = if let Some(n) = opts.workloads {
        Sandbox::generate(&gen_spec(opts.seed, n))
    } else if live {
        Sandbox::demo_with(opts.seed, ClockMode::Wall).map_err(|e| bad(e.to_string()))?
    } else {
        let file = is_kept(opts, live).then(|| state_file(paths, opts.seed));
        let saved = match &file {
            Some(f) => read_state(f)?,
            None => None,
        };
        let world = match &saved {
            Some(text) => Sandbox::restore_state(text).map_err(|e| {
                bad(format!(
                    "{e} (in {}; \"modeldeck sandbox reset\" starts over)",
                    file_name(&file)
                ))
            })?,
            None => Sandbox::demo_with(
                opts.seed,
                ClockMode::Virtual {
                    start: GENERATED_START,
                },
            )
            .map_err(|e| bad(e.to_string()))?,
        };
        state = file;
        restored = saved.is_some();
        world
    };
    // Outages and identity describe this command, not the world: set them
    // after reading it back, so they never stick.
    for b in [Backend::Cluster, Backend::Registry, Backend::Metrics] {
        world.set_outage(b, opts.outages.contains(&b));
    }
    let user = opts.user.as_deref().unwrap_or(DEFAULT_USER);
    let groups: &[&str] = if user == DEFAULT_USER {
        &["system:authenticated", "modeldeck:admins"]
    } else {
        &["system:authenticated"]
    };
    world.set_identity(user, groups);
    tracing::info!(seed = opts.seed, size = ?opts.workloads, live, restored, user, outages = ?opts.outages, "sandbox world");
    let baseline = match &state {
        Some(_) => Some(world.save_state().map_err(|e| bad(e.to_string()))?),
        None => None,
    };
    Ok(SandboxWorld {
        world,
        state,
        baseline,
    })
}

/// The identity of the simulated clusters unless told otherwise.
pub const DEFAULT_USER: &str = "sandbox-admin";

fn file_name(f: &Option<PathBuf>) -> String {
    f.as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn read_state(file: &Path) -> Result<Option<String>, SetupError> {
    match std::fs::read_to_string(file) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SetupError::Sandbox {
            message: format!("reading {}: {e}", file.display()),
        }),
    }
}

impl SandboxWorld {
    /// Saves the world if it is kept and changed; written to a temporary
    /// file and renamed, so a reader never sees half a world.
    ///
    /// Errors: [`SetupError::Sandbox`] naming the file.
    pub fn save(&mut self) -> Result<(), SetupError> {
        let Some(file) = &self.state else {
            return Ok(());
        };
        let bad = |message: String| SetupError::Sandbox { message };
        let now = self.world.save_state().map_err(|e| bad(e.to_string()))?;
        if self.baseline.as_deref() == Some(now.as_str()) {
            return Ok(());
        }
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|e| bad(format!("creating {}: {e}", dir.display())))?;
        let tmp = file.with_extension(format!("json.{}", std::process::id()));
        std::fs::write(&tmp, &now).map_err(|e| bad(format!("writing {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, file).map_err(|e| bad(format!("writing {}: {e}", file.display())))?;
        self.baseline = Some(now);
        Ok(())
    }
}

/// Forgets the saved world of `seed` and its journal: the next `--sandbox`
/// command starts from the demo scenario again. True when anything was
/// removed.
///
/// Errors: [`SetupError::Sandbox`] when the directory exists but cannot be
/// removed.
pub fn reset(paths: &Paths, seed: u64) -> Result<bool, SetupError> {
    let dir = paths.sandbox_dir(seed);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(SetupError::Sandbox {
            message: format!("removing {}: {e}", dir.display()),
        }),
    }
}
