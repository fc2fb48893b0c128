//! modeldeck-sandbox: a deterministic simulated world (clusters, model
//! registry, metrics) behind Modeldeck's three ports. Used by `modeldeck demo`,
//! by front-end tests and by benchmarks. Same seed and clock, same world.

mod clock;
mod rng;

pub use clock::{ClockMode, VirtualClock};

use clock::SandboxClock;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::{Cluster, Metrics, Registry};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Size of a generated world (benchmarks, scale tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSpec {
    /// Seed: same seed, same world.
    pub seed: u64,
    /// Number of clusters.
    pub clusters: usize,
    /// Namespaces per cluster.
    pub namespaces: usize,
    /// Registered models.
    pub models: usize,
    /// Workloads in total.
    pub workloads: usize,
    /// Versions of each model.
    pub versions_per_model: usize,
}

/// Why a sandbox could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The scenario is not valid TOML or has a wrong field.
    #[error("scenario: {0}")]
    Parse(String),
    /// The scenario is well-formed but inconsistent.
    #[error("scenario: {field}: {message}")]
    Invalid {
        /// Which field (`workloads[3].model`).
        field: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Default)]
struct World {
    outages: [bool; 3],
}

/// A simulated world. Cheap to clone; clones share the world.
#[derive(Debug, Clone)]
pub struct Sandbox {
    world: Arc<Mutex<World>>,
    clock: SandboxClock,
}

impl Sandbox {
    /// The embedded default scenario, seed 42, wall-clock time.
    pub fn demo() -> Result<Sandbox, SandboxError> {
        Sandbox::from_scenario("", ClockMode::Wall)
    }

    /// A scenario from TOML text with the given clock.
    pub fn from_scenario(_toml: &str, clock: ClockMode) -> Result<Sandbox, SandboxError> {
        Ok(Sandbox {
            world: Arc::new(Mutex::new(World::default())),
            clock: SandboxClock::new(clock),
        })
    }

    /// A generated large world; always a virtual clock.
    pub fn generate(spec: &GenSpec) -> Sandbox {
        let _ = spec.seed;
        Sandbox {
            world: Arc::new(Mutex::new(World::default())),
            clock: SandboxClock::new(ClockMode::Virtual {
                start: Timestamp(1_795_869_880_000),
            }),
        }
    }

    /// Ports for a Console, all backed by this world.
    pub fn backends(&self) -> Backends {
        let p = Arc::new(Ports { sb: self.clone() });
        Backends {
            cluster: p.clone(),
            registry: p.clone(),
            metrics: p,
        }
    }

    /// The clock the world runs on.
    pub fn clock(&self) -> SharedClock {
        self.clock.shared.clone()
    }

    /// Steps a virtual clock forward (no effect on a wall clock).
    pub fn advance(&self, d: Duration) {
        self.clock.advance(d);
    }

    /// Simulated outage of one backend.
    pub fn set_outage(&self, backend: Backend, down: bool) {
        if let Ok(mut w) = self.world.lock() {
            w.outages[backend as usize] = down;
        }
    }

    /// Identity the simulated cluster reports.
    pub fn set_identity(&self, _username: &str, _groups: &[&str]) {}

    /// One RBAC answer of the simulated cluster.
    pub fn set_access_rule(&self, _verb: &str, _resource: &str, _allowed: bool) {}

    fn check(&self, b: Backend) -> PortResult<()> {
        let down = self
            .world
            .lock()
            .map(|w| w.outages[b as usize])
            .unwrap_or(false);
        if down {
            return Err(BackendError::new(
                b,
                ErrorCode::Unreachable,
                "simulated outage",
            ));
        }
        Ok(())
    }
}

struct Ports {
    sb: Sandbox,
}

#[async_trait::async_trait]
impl Cluster for Ports {
    fn clusters(&self) -> Vec<String> {
        Vec::new()
    }
    async fn list_workloads(&self) -> PortResult<Vec<Workload>> {
        self.sb.check(Backend::Cluster)?;
        Ok(Vec::new())
    }
    async fn events(&self, t: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        self.sb.check(Backend::Cluster)?;
        Err(BackendError::not_found(
            Backend::Cluster,
            format!("workload {t}"),
        ))
    }
    async fn set_served_version(
        &self,
        t: &WorkloadRef,
        _v: &str,
        _rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.sb.check(Backend::Cluster)?;
        Err(BackendError::not_found(
            Backend::Cluster,
            format!("workload {t}"),
        ))
    }
    async fn whoami(&self, _c: &str) -> PortResult<Identity> {
        self.sb.check(Backend::Cluster)?;
        Ok(Identity {
            username: "sandbox-admin".into(),
            groups: vec!["system:masters".into()],
        })
    }
    async fn can_i(&self, _c: &str, _check: &AccessCheck) -> PortResult<bool> {
        self.sb.check(Backend::Cluster)?;
        Ok(true)
    }
}

#[async_trait::async_trait]
impl Registry for Ports {
    fn describe(&self) -> String {
        "sandbox registry".into()
    }
    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>> {
        self.sb.check(Backend::Registry)?;
        Ok(Vec::new())
    }
    async fn get_model(&self, m: &str) -> PortResult<RegisteredModel> {
        self.sb.check(Backend::Registry)?;
        Err(BackendError::not_found(
            Backend::Registry,
            format!("model {m}"),
        ))
    }
    async fn list_versions(&self, m: &str) -> PortResult<Vec<ModelVersion>> {
        self.sb.check(Backend::Registry)?;
        Err(BackendError::not_found(
            Backend::Registry,
            format!("model {m}"),
        ))
    }
    async fn get_version(&self, m: &str, v: &str) -> PortResult<ModelVersion> {
        self.sb.check(Backend::Registry)?;
        Err(BackendError::not_found(
            Backend::Registry,
            format!("model {m} version {v}"),
        ))
    }
    async fn get_run(&self, r: &str) -> PortResult<RunData> {
        self.sb.check(Backend::Registry)?;
        Err(BackendError::not_found(
            Backend::Registry,
            format!("run {r}"),
        ))
    }
    async fn set_alias(&self, m: &str, _a: &str, _v: &str) -> PortResult<()> {
        self.sb.check(Backend::Registry)?;
        Err(BackendError::not_found(
            Backend::Registry,
            format!("model {m}"),
        ))
    }
    async fn delete_alias(&self, _m: &str, _a: &str) -> PortResult<()> {
        self.sb.check(Backend::Registry)
    }
    async fn set_version_tag(&self, m: &str, _v: &str, _k: &str, _val: &str) -> PortResult<()> {
        self.sb.check(Backend::Registry)?;
        Err(BackendError::not_found(
            Backend::Registry,
            format!("model {m}"),
        ))
    }
    async fn delete_version_tag(&self, _m: &str, _v: &str, _k: &str) -> PortResult<()> {
        self.sb.check(Backend::Registry)
    }
}

#[async_trait::async_trait]
impl Metrics for Ports {
    fn describe(&self) -> String {
        "sandbox metrics".into()
    }
    async fn fleet_health(&self, _w: &[WorkloadRef]) -> PortResult<BTreeMap<WorkloadRef, Health>> {
        self.sb.check(Backend::Metrics)?;
        Ok(BTreeMap::new())
    }
    async fn signal_range(
        &self,
        _t: &WorkloadRef,
        _s: Signal,
        _r: TimeRange,
    ) -> PortResult<Series> {
        self.sb.check(Backend::Metrics)?;
        Ok(Series::default())
    }
    async fn feature_drift(&self, _t: &WorkloadRef) -> PortResult<Vec<FeatureDrift>> {
        self.sb.check(Backend::Metrics)?;
        Ok(Vec::new())
    }
}
