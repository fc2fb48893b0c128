//! Real ports wrapped: every call counted, a chosen call failed (before or
//! after its effect), a read-only registry user played (writes answered
//! 403), and whether an armed [`FaultPlan`] fired recorded ([`Faulty::fired`]).

use async_trait::async_trait;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::{Cluster, Registry};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Whether a fault hits one call or every call from then on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// Only call number `at` fails (a transient error).
    Once,
    /// Every call from `at` on fails (the process lost its backends: a crash).
    From,
}

/// When the failing call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTiming {
    /// Before reaching the backend: nothing happened.
    Before,
    /// After the backend did it: the caller sees an error anyway (a lost reply).
    After,
}

/// Which call fails and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// Global call index (see [`Faulty::calls`]).
    pub at: u64,
    /// Once or from then on.
    pub mode: FaultMode,
    /// Before or after the effect.
    pub timing: FaultTiming,
}

/// One recorded call.
#[derive(Debug, Clone)]
pub struct Call {
    pub index: u64,
    pub method: &'static str,
    pub detail: String,
    pub ok: bool,
    pub injected: bool,
}

/// What the armed plan did (see [`Faulty::fired`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    /// The plan it is about.
    pub plan: FaultPlan,
    /// Index and method of the first call it failed (the lowest index:
    /// concurrent calls may fail out of order).
    pub first: u64,
    pub method: &'static str,
    /// Calls it failed in all (1 for [`FaultMode::Once`]).
    pub failed: u64,
}

pub struct Faulty {
    inner: Backends,
    calls: AtomicU64,
    plan: Mutex<Option<FaultPlan>>,
    fired: Mutex<Option<Fired>>,
    log: Mutex<Vec<Call>>,
    read_only_registry: AtomicBool,
    refused: Mutex<Option<&'static str>>,
}

const WRITES: [&str; 6] = [
    "set_alias",
    "delete_alias",
    "set_version_tag",
    "delete_version_tag",
    "set_served_version",
    "set_canary",
];

impl Faulty {
    pub fn new(inner: Backends) -> Arc<Faulty> {
        Arc::new(Faulty {
            inner,
            calls: AtomicU64::new(0),
            plan: Mutex::new(None),
            fired: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            read_only_registry: AtomicBool::new(false),
            refused: Mutex::new(None),
        })
    }

    /// These ports as `Backends`.
    pub fn backends(self: &Arc<Self>) -> Backends {
        Backends {
            cluster: self.clone(),
            registry: self.clone(),
            metrics: self.clone(),
        }
    }

    /// Calls made so far (the index the next call gets).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Arms `plan` (forgetting what an earlier plan did), or disarms with
    /// `None` (keeping the record of the plan just disarmed for [`Faulty::fired`]).
    pub fn arm(&self, plan: Option<FaultPlan>) {
        let mut armed = self.plan.lock().unwrap();
        if plan.is_some() {
            *self.fired.lock().unwrap() = None;
        }
        *armed = plan;
    }

    /// Whether the last armed plan injected its fault, and where: `None`
    /// if no call reached its index while it was armed (the run ended
    /// before its fault, so it tested nothing).
    pub fn fired(&self) -> Option<Fired> {
        self.fired.lock().unwrap().clone()
    }

    /// `Ok` if `plan` (the plan last armed) failed its call `plan.at`;
    /// otherwise why the run it was armed for tested nothing.
    pub fn check_fired(&self, plan: FaultPlan) -> Result<Fired, String> {
        match self.fired() {
            Some(f) if f.plan == plan && f.first == plan.at => Ok(f),
            Some(f) => Err(format!(
                "the fault planned at call #{} ({:?}, {:?}) fired elsewhere: {f:?}",
                plan.at, plan.mode, plan.timing
            )),
            None => Err(format!(
                "the fault planned at call #{} ({:?}, {:?}) never fired: it failed no call \
                 (calls made so far: #0..#{})",
                plan.at,
                plan.mode,
                plan.timing,
                self.calls().saturating_sub(1)
            )),
        }
    }

    /// Every call of `method` fails with `forbidden` (as an RBAC denial) until cleared.
    pub fn refuse_method(&self, method: Option<&'static str>) {
        *self.refused.lock().unwrap() = method;
    }

    pub fn set_read_only_registry(&self, on: bool) {
        self.read_only_registry.store(on, Ordering::SeqCst);
    }

    /// Calls with index >= `since`.
    pub fn log_since(&self, since: u64) -> Vec<Call> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.index >= since)
            .cloned()
            .collect()
    }

    /// Successful writes since `since`, as `method detail`.
    pub fn writes_since(&self, since: u64) -> Vec<String> {
        self.log_since(since)
            .into_iter()
            .filter(|c| c.ok && WRITES.contains(&c.method))
            .map(|c| format!("{} {}", c.method, c.detail))
            .collect()
    }

    /// Successful calls of `method` since `since`, counted by detail.
    pub fn ok_counts(&self, since: u64, method: &str) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for c in self
            .log_since(since)
            .into_iter()
            .filter(|c| c.ok && c.method == method)
        {
            *out.entry(c.detail).or_default() += 1;
        }
        out
    }

    async fn run<T>(
        &self,
        backend: Backend,
        method: &'static str,
        detail: String,
        fut: impl Future<Output = PortResult<T>>,
    ) -> PortResult<T> {
        let index = self.calls.fetch_add(1, Ordering::SeqCst);
        let plan = *self.plan.lock().unwrap();
        let hit = plan.filter(|p| match p.mode {
            FaultMode::Once => index == p.at,
            FaultMode::From => index >= p.at,
        });
        let fire = |p: FaultPlan| {
            let mut fired = self.fired.lock().unwrap();
            match fired.as_mut() {
                Some(f) => {
                    f.failed += 1;
                    if index < f.first {
                        (f.first, f.method) = (index, method);
                    }
                }
                None => {
                    *fired = Some(Fired {
                        plan: p,
                        first: index,
                        method,
                        failed: 1,
                    })
                }
            }
        };
        let record = |ok: bool, injected: bool| {
            self.log.lock().unwrap().push(Call {
                index,
                method,
                detail: detail.clone(),
                ok,
                injected,
            });
        };
        if backend == Backend::Registry
            && WRITES.contains(&method)
            && self.read_only_registry.load(Ordering::SeqCst)
        {
            record(false, false);
            return Err(BackendError::new(
                Backend::Registry,
                ErrorCode::Forbidden,
                "Permission denied",
            )
            .at("registry (read-only user)"));
        }
        if *self.refused.lock().unwrap() == Some(method) {
            record(false, true);
            return Err(BackendError::new(
                backend,
                ErrorCode::Forbidden,
                format!("{method} refused for this test"),
            ));
        }
        if let Some(p) = hit.filter(|p| p.timing == FaultTiming::Before) {
            fire(p);
            record(false, true);
            return Err(BackendError::new(
                backend,
                ErrorCode::Unreachable,
                format!("injected fault at call #{index} ({method}, {:?})", p.mode),
            ));
        }
        let r = fut.await;
        if let Some(p) = hit {
            fire(p);
            record(false, true);
            return Err(BackendError::new(
                backend,
                ErrorCode::Timeout,
                format!("injected fault after call #{index} ({method}) took effect"),
            ));
        }
        record(r.is_ok(), false);
        r
    }
}

#[async_trait]
impl Cluster for Faulty {
    fn clusters(&self) -> Vec<String> {
        self.inner.cluster.clusters()
    }
    fn changed(&self) -> Option<watch::Receiver<u64>> {
        self.inner.cluster.changed()
    }
    async fn list_workloads(&self) -> PortResult<Vec<Workload>> {
        self.run(
            Backend::Cluster,
            "list_workloads",
            String::new(),
            self.inner.cluster.list_workloads(),
        )
        .await
    }
    async fn events(&self, target: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        self.run(
            Backend::Cluster,
            "events",
            target.to_string(),
            self.inner.cluster.events(target),
        )
        .await
    }
    // Not counted among the calls faults are injected at: a read that
    // writes nothing, so the existing fault indices keep their meaning.
    async fn preview_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
    ) -> PortResult<modeldeck_core::serving_diff::ServingChanges> {
        self.inner
            .cluster
            .preview_served_version(target, version)
            .await
    }
    async fn set_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.run(
            Backend::Cluster,
            "set_served_version",
            target.to_string(),
            self.inner
                .cluster
                .set_served_version(target, version, expected_rv),
        )
        .await
    }
    async fn set_canary(
        &self,
        target: &WorkloadRef,
        version: &str,
        traffic_percent: u8,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.run(
            Backend::Cluster,
            "set_canary",
            format!("{target} {traffic_percent}%"),
            self.inner
                .cluster
                .set_canary(target, version, traffic_percent, expected_rv),
        )
        .await
    }
    async fn record_event(
        &self,
        target: &WorkloadRef,
        kind: &str,
        reason: &str,
        message: &str,
    ) -> PortResult<()> {
        self.run(
            Backend::Cluster,
            "record_event",
            format!("{target} {reason}"),
            self.inner
                .cluster
                .record_event(target, kind, reason, message),
        )
        .await
    }
    async fn ledger(&self, cluster: &str) -> PortResult<LedgerState> {
        let inner = self.inner.cluster.ledger(cluster);
        self.run(Backend::Cluster, "ledger", cluster.to_string(), inner)
            .await
    }
    async fn create_promotion(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        let inner = self.inner.cluster.create_promotion(cluster, object);
        self.run(
            Backend::Cluster,
            "create_promotion",
            object.name.clone(),
            inner,
        )
        .await
    }
    async fn get_promotion(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> PortResult<Option<PromotionObject>> {
        let inner = self.inner.cluster.get_promotion(cluster, namespace, name);
        self.run(Backend::Cluster, "get_promotion", name.to_string(), inner)
            .await
    }
    async fn list_promotions(&self, cluster: &str) -> PortResult<Vec<PromotionObject>> {
        let inner = self.inner.cluster.list_promotions(cluster);
        self.run(
            Backend::Cluster,
            "list_promotions",
            cluster.to_string(),
            inner,
        )
        .await
    }
    async fn update_promotion_status(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        let inner = self.inner.cluster.update_promotion_status(cluster, object);
        self.run(
            Backend::Cluster,
            "update_promotion_status",
            object.name.clone(),
            inner,
        )
        .await
    }
    async fn create_approval(&self, cluster: &str, object: &ApprovalObject) -> PortResult<()> {
        let inner = self.inner.cluster.create_approval(cluster, object);
        self.run(
            Backend::Cluster,
            "create_approval",
            object.name.clone(),
            inner,
        )
        .await
    }
    async fn list_approvals(
        &self,
        cluster: &str,
        namespace: &str,
        promotion: &str,
    ) -> PortResult<Vec<ApprovalObject>> {
        let inner = self
            .inner
            .cluster
            .list_approvals(cluster, namespace, promotion);
        self.run(
            Backend::Cluster,
            "list_approvals",
            promotion.to_string(),
            inner,
        )
        .await
    }
    async fn log_tail(&self, target: &WorkloadRef, lines: usize) -> PortResult<Vec<String>> {
        self.run(
            Backend::Cluster,
            "log_tail",
            target.to_string(),
            self.inner.cluster.log_tail(target, lines),
        )
        .await
    }
    async fn start_retrain(
        &self,
        source: &RetrainSource,
        request: &RetrainRequest,
    ) -> PortResult<RetrainRun> {
        self.run(
            Backend::Cluster,
            "start_retrain",
            source.to_string(),
            self.inner.cluster.start_retrain(source, request),
        )
        .await
    }
    async fn retrain_status(&self, run: &RetrainRun, log_lines: usize) -> PortResult<RetrainRun> {
        self.run(
            Backend::Cluster,
            "retrain_status",
            run.to_string(),
            self.inner.cluster.retrain_status(run, log_lines),
        )
        .await
    }
    async fn whoami(&self, cluster: &str) -> PortResult<Identity> {
        self.run(
            Backend::Cluster,
            "whoami",
            cluster.to_string(),
            self.inner.cluster.whoami(cluster),
        )
        .await
    }
    async fn can_i(&self, cluster: &str, check: &AccessCheck) -> PortResult<bool> {
        self.run(
            Backend::Cluster,
            "can_i",
            format!("{} {}", check.verb, check.resource),
            self.inner.cluster.can_i(cluster, check),
        )
        .await
    }
}

#[async_trait]
impl Registry for Faulty {
    fn describe(&self) -> String {
        self.inner.registry.describe()
    }
    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>> {
        self.run(
            Backend::Registry,
            "list_models",
            String::new(),
            self.inner.registry.list_models(),
        )
        .await
    }
    async fn get_model(&self, model: &str) -> PortResult<RegisteredModel> {
        self.run(
            Backend::Registry,
            "get_model",
            model.to_string(),
            self.inner.registry.get_model(model),
        )
        .await
    }
    async fn list_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>> {
        self.run(
            Backend::Registry,
            "list_versions",
            model.to_string(),
            self.inner.registry.list_versions(model),
        )
        .await
    }
    async fn get_version(&self, model: &str, version: &str) -> PortResult<ModelVersion> {
        self.run(
            Backend::Registry,
            "get_version",
            format!("{model} {version}"),
            self.inner.registry.get_version(model, version),
        )
        .await
    }
    async fn get_run(&self, run_id: &str) -> PortResult<RunData> {
        self.run(
            Backend::Registry,
            "get_run",
            run_id.to_string(),
            self.inner.registry.get_run(run_id),
        )
        .await
    }
    async fn set_alias(&self, model: &str, alias: &str, version: &str) -> PortResult<()> {
        self.run(
            Backend::Registry,
            "set_alias",
            format!("{model} {alias}={version}"),
            self.inner.registry.set_alias(model, alias, version),
        )
        .await
    }
    async fn delete_alias(&self, model: &str, alias: &str) -> PortResult<()> {
        self.run(
            Backend::Registry,
            "delete_alias",
            format!("{model} {alias}"),
            self.inner.registry.delete_alias(model, alias),
        )
        .await
    }
    async fn set_version_tag(
        &self,
        model: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> PortResult<()> {
        self.run(
            Backend::Registry,
            "set_version_tag",
            format!("{model} {version} {key}"),
            self.inner
                .registry
                .set_version_tag(model, version, key, value),
        )
        .await
    }
    async fn delete_version_tag(&self, model: &str, version: &str, key: &str) -> PortResult<()> {
        self.run(
            Backend::Registry,
            "delete_version_tag",
            format!("{model} {version} {key}"),
            self.inner.registry.delete_version_tag(model, version, key),
        )
        .await
    }
}

// The metrics port, wrapped the same way.
#[path = "faulty_metrics.rs"]
mod metrics_port;
