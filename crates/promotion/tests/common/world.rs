//! The world tests run in: real ports (the sandbox today; a real MLflow and
//! the sandbox API server later) behind the [`Faulty`] wrapper, a control
//! handle for what only a test does (switch user, set RBAC rules, cause
//! outages, let time pass), and a factory for promotion services.
//!
//! Test bodies take a `&World` and use only its ports, `control` and
//! `service`, so another backend plugs in by implementing [`Control`] and
//! building a `World` around its `Backends`.

use super::TempDir;
use super::faulty::Faulty;
use async_trait::async_trait;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::*;
use modeldeck_core::error::Backend;
use modeldeck_promotion::journal::{Journal, JournalOptions};
use modeldeck_promotion::service::Pause;
use modeldeck_promotion::{PolicySet, PromotionOptions, Promotions};
use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};
use std::sync::Arc;
use std::time::Duration;

/// What a test can do to the world besides calling ports.
pub trait Control: Send + Sync {
    /// Later port calls act as `user`.
    fn act_as(&self, user: &str);
    /// RBAC answers `allowed` for `verb` on `resource` (`*` wildcards).
    fn set_access(&self, verb: &str, resource: &str, allowed: bool);
    /// Takes a backend down or brings it back.
    fn set_outage(&self, backend: Backend, down: bool);
    /// Lets `d` pass.
    fn advance(&self, d: Duration);
    /// The world's clock.
    fn clock(&self) -> SharedClock;
}

impl Control for Sandbox {
    fn act_as(&self, user: &str) {
        self.set_identity(user, &["system:authenticated"]);
    }
    fn set_access(&self, verb: &str, resource: &str, allowed: bool) {
        self.set_access_rule(verb, resource, allowed);
    }
    fn set_outage(&self, backend: Backend, down: bool) {
        Sandbox::set_outage(self, backend, down);
    }
    fn advance(&self, d: Duration) {
        Sandbox::advance(self, d);
    }
    fn clock(&self) -> SharedClock {
        Sandbox::clock(self)
    }
}

/// A [`Pause`] that lets time pass in the world instead of sleeping, with
/// an optional hook run before each pause (to stage an outage mid-flight).
pub struct WorldPause {
    pub control: Arc<dyn Control>,
    pub hook: Option<Box<dyn Fn(Duration) + Send + Sync>>,
}

#[async_trait]
impl Pause for WorldPause {
    async fn pause(&self, d: Duration) {
        if let Some(h) = &self.hook {
            h(d);
        }
        self.control.advance(d);
        tokio::task::yield_now().await;
    }
}

pub struct World {
    pub control: Arc<dyn Control>,
    pub ports: Arc<Faulty>,
    pub dir: TempDir,
}

/// The policy the tests run under (TOML, as an operator writes it).
pub const TEST_POLICY: &str = r#"
[default]
min_approvals = 1
approval_ttl = "24h"
bake = "30s"
rollout_poll = "5s"
rollout_timeout = "10m"

[[rules]]
models = "fraud-*"
[rules.policy]
min_approvals = 2
metrics = [{ name = "auc", tolerance = 0.002 }, { name = "log_loss" }]
bake = "30s"

[[rules]]
models = "*-ranker"
[rules.policy]
min_approvals = 1
metrics = [{ name = "ndcg_at_10", tolerance = 0.01 }]
bake = "30s"

[[rules]]
models = "eta-*"
[rules.policy]
auto_execute = true
bake = "30s"

[[rules]]
models = "ltv-*"
[rules.policy]
fairness = { metric = "demographic_parity_gap", max_gap = 0.05 }
bake = "30s"
"#;

pub fn policies() -> PolicySet {
    let set: PolicySet = toml::from_str(TEST_POLICY).unwrap();
    set.validate().unwrap();
    set
}

impl World {
    /// The demo sandbox on a virtual clock, seeded.
    pub fn demo(seed: u64) -> World {
        let sb = Sandbox::demo_with(
            seed,
            ClockMode::Virtual {
                start: GENERATED_START,
            },
        )
        .unwrap();
        let ports = Faulty::new(sb.backends());
        World {
            control: Arc::new(sb),
            ports,
            dir: TempDir::new("world"),
        }
    }

    /// A generated world (`Sandbox::generate`) on its virtual clock.
    pub fn generated(spec: &modeldeck_sandbox::GenSpec) -> World {
        let sb = Sandbox::generate(spec);
        let ports = Faulty::new(sb.backends());
        World {
            control: Arc::new(sb),
            ports,
            dir: TempDir::new("world"),
        }
    }

    pub fn backends(&self) -> Backends {
        self.ports.backends()
    }

    /// A service for `executor`, journaling to `<dir>/<executor>.jsonl`.
    pub fn service(&self, executor: &str) -> Promotions {
        self.service_with(executor, None)
    }

    pub fn service_with(
        &self,
        executor: &str,
        hook: Option<Box<dyn Fn(Duration) + Send + Sync>>,
    ) -> Promotions {
        self.service_under(executor, hook, policies())
    }

    /// A service for `executor` under `policies`.
    pub fn service_under(
        &self,
        executor: &str,
        hook: Option<Box<dyn Fn(Duration) + Send + Sync>>,
        policies: PolicySet,
    ) -> Promotions {
        let journal = Journal::open(
            self.dir.path().join(format!("{executor}.jsonl")),
            JournalOptions {
                head_key: None,
                fsync: false,
            },
        )
        .unwrap();
        Promotions::new(self.backends(), policies, Arc::new(journal))
            .with_clock(self.control.clock())
            .with_pause(Arc::new(WorldPause {
                control: self.control.clone(),
                hook,
            }))
            .with_options(PromotionOptions {
                executor: executor.into(),
                ..PromotionOptions::default()
            })
    }

    pub fn act_as(&self, user: &str) {
        self.control.act_as(user);
    }

    pub async fn workload(&self, r: &WorkloadRef) -> Workload {
        self.ports
            .backends()
            .cluster
            .list_workloads()
            .await
            .unwrap()
            .into_iter()
            .find(|w| &w.id == r)
            .unwrap()
    }

    pub async fn alias(&self, model: &str, alias: &str) -> Option<String> {
        self.ports
            .backends()
            .registry
            .get_model(model)
            .await
            .unwrap()
            .aliases
            .get(alias)
            .cloned()
    }

    pub async fn targets_of(&self, model: &str) -> Vec<WorkloadRef> {
        let mut v: Vec<WorkloadRef> = self
            .ports
            .backends()
            .cluster
            .list_workloads()
            .await
            .unwrap()
            .into_iter()
            .filter(|w| w.model.as_deref() == Some(model))
            .map(|w| w.id)
            .collect();
        v.sort();
        v
    }
}
