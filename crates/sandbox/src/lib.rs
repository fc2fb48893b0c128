//! modeldeck-sandbox: a deterministic simulated world (clusters, model
//! registry, metrics) behind Modeldeck's three ports. Used by `modeldeck
//! demo`, by front-end tests and by benchmarks. Same seed and clock, same
//! world; it reacts to writes (rollouts progress, aliases move, health
//! follows the served version) as the clock advances.

pub mod batch;
mod clock;
mod cluster;
mod drift;
mod error;
pub mod exposition;
mod generator;
mod health;
mod ledger;
mod metrics;
mod names;
mod observe;
pub mod podlog;
mod populate;
mod registry;
pub mod retrain;
mod revisions;
mod rng;
mod rollout;
mod run_now;
mod scenario;
mod serving_spec;
mod shared;
mod stream;
mod training;
mod world;

pub use clock::{ClockMode, VirtualClock};
pub use error::SandboxError;
pub use generator::GENERATED_START;
pub use populate::PROMOTION_REQUEST_TAG;

use clock::SandboxClock;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{Identity, SharedClock};
use modeldeck_core::error::Backend;
use shared::Shared;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use world::{AccessRule, backend_slot};

/// The default scenario, embedded. The crate owns the file
/// (`scenarios/demo.toml`, so a packaged crate carries it); the top-level
/// `assets/scenarios/demo.toml` is a symlink to it for users.
pub const DEMO_SCENARIO: &str = include_str!("../scenarios/demo.toml");

/// The seed of the default demo world.
pub const DEMO_SEED: u64 = 42;

/// Size of a generated world (benchmarks, scale tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSpec {
    /// Seed: same seed, same world.
    pub seed: u64,
    /// Number of clusters (at least 1 is used).
    pub clusters: usize,
    /// Namespaces, shared by every cluster (at least 1 is used).
    pub namespaces: usize,
    /// Registered models (no workloads are made when 0).
    pub models: usize,
    /// Workloads in total, spread round-robin over models and clusters.
    pub workloads: usize,
    /// Versions of each model (at least 1, at most 500).
    pub versions_per_model: usize,
}

impl Default for GenSpec {
    /// The benchmark world: 10,000 workloads, 1,000 models, 3 clusters.
    fn default() -> Self {
        GenSpec {
            seed: DEMO_SEED,
            clusters: 3,
            namespaces: 8,
            models: 1_000,
            workloads: 10_000,
            versions_per_model: 5,
        }
    }
}

/// A protected attribute of a simulated model and how often each of its
/// groups gets the positive outcome: the data a fairness check (statistical
/// parity difference, disparate impact ratio) will read. Drawn from the
/// scenario's `[models.drift] protected`; the same for every version.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProtectedAttribute {
    /// The categorical feature holding the group.
    pub attribute: String,
    /// The positive outcome's name (`approved`).
    pub outcome: String,
    /// Each group, in name order.
    pub groups: Vec<GroupOutcome>,
}

/// One group of a [`ProtectedAttribute`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GroupOutcome {
    /// The group (a category of the attribute).
    pub group: String,
    /// Its share of the rows.
    pub share: f64,
    /// Share of its rows with the positive outcome.
    pub rate: f64,
}

/// A simulated world. Cheap to clone; clones share the world and its clock.
#[derive(Debug, Clone)]
pub struct Sandbox {
    shared: Arc<Shared>,
}

impl Sandbox {
    /// The embedded default scenario ([`DEMO_SCENARIO`]), seed 42, wall-clock time.
    pub fn demo() -> Result<Sandbox, SandboxError> {
        Sandbox::from_scenario(DEMO_SCENARIO, ClockMode::Wall)
    }

    /// The embedded default scenario with another seed and clock (`--seed`).
    pub fn demo_with(seed: u64, clock: ClockMode) -> Result<Sandbox, SandboxError> {
        Sandbox::from_scenario_seeded(DEMO_SCENARIO, clock, Some(seed))
    }

    /// A scenario from TOML text with the given clock, seeded by the
    /// scenario's `seed` (42 when absent).
    pub fn from_scenario(toml: &str, clock: ClockMode) -> Result<Sandbox, SandboxError> {
        Sandbox::from_scenario_seeded(toml, clock, None)
    }

    /// A scenario from TOML text, its seed replaced by `seed` when given.
    pub fn from_scenario_seeded(
        toml: &str,
        clock: ClockMode,
        seed: Option<u64>,
    ) -> Result<Sandbox, SandboxError> {
        let parsed = scenario::Scenario::parse(toml)?;
        let clock = SandboxClock::new(clock);
        let world = populate::from_scenario(&parsed, seed, clock.now());
        Ok(Sandbox::over(world, clock))
    }

    /// A generated large world (benchmarks, scale tests), starting at
    /// [`GENERATED_START`] on a virtual clock.
    pub fn generate(spec: &GenSpec) -> Sandbox {
        let clock = SandboxClock::new(ClockMode::Virtual {
            start: GENERATED_START,
        });
        Sandbox::over(generator::generate(spec), clock)
    }

    fn over(world: world::World, clock: SandboxClock) -> Sandbox {
        Sandbox {
            shared: Arc::new(Shared {
                world: Mutex::new(world),
                clock,
            }),
        }
    }

    /// Ports for a Console, all backed by this world.
    pub fn backends(&self) -> Backends {
        Backends {
            cluster: Arc::new(cluster::SandboxCluster {
                shared: self.shared.clone(),
            }),
            registry: Arc::new(registry::SandboxRegistry {
                shared: self.shared.clone(),
            }),
            metrics: Arc::new(metrics::SandboxMetrics {
                shared: self.shared.clone(),
            }),
        }
    }

    /// The clock the world runs on (give it to `ConsoleOptions.clock`).
    pub fn clock(&self) -> SharedClock {
        self.shared.clock.shared.clone()
    }

    /// The whole world as JSON, to carry it to another process (the CLI's
    /// `--sandbox` state between commands). Restore it with
    /// [`Sandbox::restore_state`].
    ///
    /// Errors: [`SandboxError::State`] if the world holds a value JSON
    /// cannot carry (a non-finite float: the generator makes none).
    pub fn save_state(&self) -> Result<String, SandboxError> {
        let w = self.shared.lock();
        serde_json::to_string(&*w).map_err(|e| SandboxError::State {
            message: e.to_string(),
        })
    }

    /// A world saved by [`Sandbox::save_state`], on a virtual clock standing
    /// at the time it was saved (rollouts under way go on as it advances).
    ///
    /// Errors: [`SandboxError::State`] when `text` is not a saved world of
    /// this version.
    pub fn restore_state(text: &str) -> Result<Sandbox, SandboxError> {
        let world: world::World = serde_json::from_str(text).map_err(|e| SandboxError::State {
            message: e.to_string(),
        })?;
        let clock = SandboxClock::new(ClockMode::Virtual { start: world.now });
        Ok(Sandbox::over(world, clock))
    }

    /// The protected attribute of `model` (fairness data), `None` when the
    /// model has none or does not exist.
    pub fn protected_attribute(&self, model: &str) -> Option<ProtectedAttribute> {
        let w = self.shared.lock();
        let mi = w.model_index(model)?;
        let p = w.models.get(mi)?.drift.protected.clone()?;
        let sim = drift::sim(&w, mi as u32)?;
        let shares = match &sim.get(&p.feature)?.shape {
            drift::catalog::Shape::Categorical { names, probs } => names
                .iter()
                .cloned()
                .zip(probs.iter().copied())
                .collect::<std::collections::BTreeMap<_, _>>(),
            _ => return None,
        };
        Some(ProtectedAttribute {
            attribute: p.feature,
            outcome: p.outcome,
            groups: p
                .rates
                .into_iter()
                .map(|(group, rate)| GroupOutcome {
                    share: shares.get(&group).copied().unwrap_or(0.0),
                    group,
                    rate,
                })
                .collect(),
        })
    }

    /// The seed the world was built with.
    pub fn seed(&self) -> u64 {
        self.shared.lock().seed
    }

    /// Steps a virtual clock forward (no effect on a wall clock). The world
    /// advances lazily to the clock's now on every port call.
    pub fn advance(&self, d: Duration) {
        self.shared.clock.advance(d);
    }

    /// Simulated outage: while on, every call to `backend`'s port fails
    /// with `ErrorCode::Unreachable`.
    pub fn set_outage(&self, backend: Backend, down: bool) {
        let mut w = self.shared.lock();
        w.outages[backend_slot(backend)] = down;
    }

    /// The identity `whoami` reports on every cluster (default
    /// `sandbox-admin`, groups `system:authenticated`, `modeldeck:admins`),
    /// and the user the promotion ledger's writes are admitted as.
    pub fn set_identity(&self, username: &str, groups: &[&str]) {
        let mut w = self.shared.lock();
        w.identity = Identity {
            username: username.to_string(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        };
    }

    /// An RBAC answer of the simulated cluster: `can_i` for `verb` on
    /// `resource` (either may be `*`) answers `allowed`. The latest matching
    /// rule wins; with no matching rule everything is allowed. The promotion
    /// ledger's writes ask the same rules: `create modelpromotions`,
    /// `create modelapprovals` (or the older `approve modelpromotions`,
    /// whichever rule came last) and `update modelpromotions/status`.
    pub fn set_access_rule(&self, verb: &str, resource: &str, allowed: bool) {
        let mut w = self.shared.lock();
        w.rules.push(AccessRule {
            verb: verb.to_string(),
            resource: resource.to_string(),
            allowed,
        });
    }
}
