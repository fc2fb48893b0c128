//! The facade both front ends hold: a [`Console`] owns the three ports, keeps one live [`Snapshot`]
//! in a tokio watch channel and answers commands (backends -> ports -> console -> snapshot -> views).

use crate::compare::{self, Comparison, Side};
use crate::domain::*;
use crate::error::{Backend, BackendError, ErrorCode, PartialFailure, PortResult};
use crate::ports::{Cluster, Metrics, Registry};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
mod bound;
mod drift;
mod fairness;
mod health;
mod options;
mod retrain;
mod state;

pub use drift::{DEFAULT_DRIFT_WINDOW, DRIFT_WINDOWS, DriftPoint, DriftView, drift_chart_range};
pub use fairness::{FairnessNote, FairnessRow, FairnessSource, FairnessView, overall_verdict};
pub use health::{HEALTH_SIGNALS, HealthSeries, HealthView, LagSeries, ServedVersion};
pub use options::ConsoleOptions;
pub use retrain::{
    AuditSink, RETRAIN_ACTION, RetrainOrder, RetrainOutcome, pick_retrain_source, retrain_access,
};
pub use state::{BackendState, Severity};

/// The three ports a console talks to.
#[derive(Clone)]
pub struct Backends {
    /// Cluster port.
    pub cluster: Arc<dyn Cluster>,
    /// Registry port.
    pub registry: Arc<dyn Registry>,
    /// Metrics port.
    pub metrics: Arc<dyn Metrics>,
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends")
            .field("clusters", &self.cluster.clusters())
            .field("registry", &self.registry.describe())
            .field("metrics", &self.metrics.describe())
            .finish()
    }
}

/// Health of one backend as the console last saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendStatus {
    /// Where it is (no secrets).
    pub endpoint: String,
    /// True once one read succeeded.
    pub loaded: bool,
    /// Last successful read.
    pub last_ok: Option<Timestamp>,
    /// Last error, if the latest read failed.
    pub error: Option<BackendError>,
    /// When the current run of failures began.
    pub failing_since: Option<Timestamp>,
    /// Parts that could not be read while the rest answered (a dead
    /// context among live ones), as of the latest successful read.
    pub partial: Vec<PartialFailure>,
}

/// What a panel fed by one backend should show.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelState {
    /// Nothing read yet.
    Loading,
    /// Data present and fresh.
    Ready,
    /// Read fine, nothing there.
    Empty,
    /// Never read successfully: the reason.
    Failed(String),
    /// Showing old data: failing since this time, with the reason.
    Stale {
        /// Failing since.
        since: Timestamp,
        /// Why.
        reason: String,
    },
}

impl BackendStatus {
    fn new(endpoint: String) -> Self {
        BackendStatus {
            endpoint,
            loaded: false,
            last_ok: None,
            error: None,
            failing_since: None,
            partial: Vec::new(),
        }
    }

    /// The panel state for data from this backend; `empty` says whether
    /// the data at hand is empty.
    pub fn panel_state(&self, empty: bool) -> PanelState {
        match (&self.error, self.loaded) {
            (Some(e), true) => PanelState::Stale {
                since: self.failing_since.unwrap_or_default(),
                reason: e.to_string(),
            },
            (Some(e), false) => PanelState::Failed(e.to_string()),
            (None, false) => PanelState::Loading,
            (None, true) if empty => PanelState::Empty,
            (None, true) => PanelState::Ready,
        }
    }
}

/// Everything the front ends show, as of one moment. Cheap to clone: the
/// big collections sit behind `Arc`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Increases on every change.
    pub generation: u64,
    /// Profile name.
    pub profile: String,
    /// True on the simulated sandbox.
    pub sandbox: bool,
    /// Clusters (contexts) in scope.
    pub clusters: Vec<String>,
    /// Bound workloads, sorted by cluster, namespace, kind, name.
    pub workloads: Arc<Vec<Workload>>,
    /// Registered models, sorted by name.
    pub models: Arc<Vec<RegisteredModel>>,
    /// Latest health per workload.
    pub health: Arc<BTreeMap<WorkloadRef, Health>>,
    /// Rows scored per run of each batch workload, by Job name
    /// ([`crate::ports::Metrics::batch_rows`]).
    pub batch_rows: Arc<BTreeMap<WorkloadRef, BTreeMap<String, f64>>>,
    /// Cluster backend status.
    pub cluster: BackendStatus,
    /// Registry backend status.
    pub registry: BackendStatus,
    /// Metrics backend status.
    pub metrics: BackendStatus,
    /// PSI warning threshold.
    pub drift_warn: f64,
    /// PSI alert threshold.
    pub drift_alert: f64,
    /// The profile's consumer lag thresholds (each workload may set its
    /// own: [`Snapshot::lag_thresholds`]).
    pub lag: crate::domain::LagSettings,
    /// When this snapshot was made (console clock).
    pub at: Timestamp,
}

impl Snapshot {
    /// The consumer lag thresholds in force for `w`: its own labels over
    /// the profile's over the defaults ([`crate::domain::LagThresholds::resolve`]).
    pub fn lag_thresholds(&self, w: &Workload) -> crate::domain::AppliedLagThresholds {
        crate::domain::LagThresholds::resolve(&self.lag, &w.labels)
    }

    /// A registered model by name.
    pub fn model(&self, name: &str) -> Option<&RegisteredModel> {
        self.models
            .binary_search_by(|m| m.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.models.get(i))
    }

    /// Status of one backend.
    pub fn backend(&self, b: Backend) -> &BackendStatus {
        match b {
            Backend::Cluster => &self.cluster,
            Backend::Registry => &self.registry,
            Backend::Metrics => &self.metrics,
        }
    }

    fn backend_mut(&mut self, b: Backend) -> &mut BackendStatus {
        match b {
            Backend::Cluster => &mut self.cluster,
            Backend::Registry => &mut self.registry,
            Backend::Metrics => &mut self.metrics,
        }
    }

    /// Workloads that serve `model`.
    pub fn workloads_of<'a>(&'a self, model: &'a str) -> impl Iterator<Item = &'a Workload> + 'a {
        self.workloads
            .iter()
            .filter(move |w| w.model.as_deref() == Some(model))
    }
}

struct Inner {
    backends: Backends,
    opts: ConsoleOptions,
    tx: watch::Sender<Arc<Snapshot>>,
}

/// The handle front ends hold: cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("backends", &self.inner.backends)
            .field("profile", &self.inner.opts.profile)
            .finish()
    }
}

/// Background refresh tasks; dropping the handle stops them.
#[derive(Debug)]
pub struct LiveTasks {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for LiveTasks {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Console {
    /// A console over `backends`. Nothing is read until [`Console::refresh_all`]
    /// or [`Console::spawn_live`].
    pub fn new(backends: Backends, opts: ConsoleOptions) -> Console {
        let snap = Snapshot {
            generation: 0,
            profile: opts.profile.clone(),
            sandbox: opts.sandbox,
            clusters: backends.cluster.clusters(),
            workloads: Arc::new(Vec::new()),
            models: Arc::new(Vec::new()),
            health: Arc::new(BTreeMap::new()),
            batch_rows: Arc::new(BTreeMap::new()),
            cluster: BackendStatus::new(backends.cluster.clusters().join(",")),
            registry: BackendStatus::new(backends.registry.describe()),
            metrics: BackendStatus::new(backends.metrics.describe()),
            drift_warn: opts.drift_warn,
            drift_alert: opts.drift_alert,
            lag: opts.lag,
            at: opts.clock.now(),
        };
        let (tx, _rx) = watch::channel(Arc::new(snap));
        Console {
            inner: Arc::new(Inner { backends, opts, tx }),
        }
    }

    /// The ports, for services built on the console (promotions).
    pub fn backends(&self) -> &Backends {
        &self.inner.backends
    }

    /// The options this console runs with.
    pub fn options(&self) -> &ConsoleOptions {
        &self.inner.opts
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.tx.borrow().clone()
    }

    /// A receiver that wakes on every snapshot change.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.inner.tx.subscribe()
    }

    fn now(&self) -> Timestamp {
        self.inner.opts.clock.now()
    }

    fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        let now = self.now();
        self.inner.tx.send_modify(|cur| {
            let mut next = (**cur).clone();
            f(&mut next);
            next.generation += 1;
            next.at = now;
            *cur = Arc::new(next);
        });
    }

    fn record<T>(
        &self,
        backend: Backend,
        result: PortResult<T>,
        apply: impl FnOnce(&mut Snapshot, T),
    ) -> bool {
        let now = self.now();
        let ok = result.is_ok();
        self.update(|s| match result {
            Ok(v) => {
                apply(s, v);
                let st = s.backend_mut(backend);
                st.loaded = true;
                st.last_ok = Some(now);
                st.error = None;
                st.failing_since = None;
            }
            Err(e) => {
                tracing::warn!(backend = %backend, error = %e, "refresh failed");
                let st = s.backend_mut(backend);
                if st.failing_since.is_none() {
                    st.failing_since = Some(now);
                }
                st.error = Some(e);
            }
        });
        ok
    }

    async fn bounded<T>(
        &self,
        backend: Backend,
        what: &str,
        fut: impl Future<Output = PortResult<T>>,
    ) -> PortResult<T> {
        match tokio::time::timeout(self.inner.opts.call_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(BackendError::new(
                backend,
                ErrorCode::Timeout,
                format!(
                    "{what} did not answer within {:.1}s",
                    self.inner.opts.call_timeout.as_secs_f64()
                ),
            )),
        }
    }

    /// Re-reads the workloads. Returns false if the read failed.
    pub async fn refresh_cluster(&self) -> bool {
        let c = self.inner.backends.cluster.clone();
        let r = self
            .bounded_progress(
                Backend::Cluster,
                "listing workloads",
                c.changed(),
                c.list_workloads(),
            )
            .await;
        let partial = if r.is_ok() {
            c.partial_failures()
        } else {
            Vec::new()
        };
        self.record(Backend::Cluster, r, |s, mut ws| {
            ws.sort_by(|a, b| a.id.cmp(&b.id));
            s.workloads = Arc::new(ws);
            s.cluster.partial = partial;
        })
    }

    /// Re-reads the registered models. Returns false if the read failed.
    pub async fn refresh_registry(&self) -> bool {
        let r = self.inner.backends.registry.clone();
        let res = self
            .bounded(Backend::Registry, "listing models", r.list_models())
            .await;
        self.record(Backend::Registry, res, |s, mut ms| {
            ms.sort_by(|a, b| a.name.cmp(&b.name));
            s.models = Arc::new(ms);
        })
    }

    /// Re-reads health for every workload in the snapshot, each asked for
    /// with the model it serves.
    pub async fn refresh_metrics(&self) -> bool {
        let targets: Vec<MetricsTarget> = self
            .snapshot()
            .workloads
            .iter()
            .map(MetricsTarget::from)
            .collect();
        let m = self.inner.backends.metrics.clone();
        let batch: Vec<MetricsTarget> = targets
            .iter()
            .filter(|t| !t.runs.is_empty())
            .cloned()
            .collect();
        let rows = async {
            if batch.is_empty() {
                return Ok(BTreeMap::new());
            }
            self.bounded(
                Backend::Metrics,
                "reading rows scored per batch run",
                m.batch_rows(&batch),
            )
            .await
        };
        let (res, rows) = tokio::join!(
            self.bounded(
                Backend::Metrics,
                "reading fleet health",
                m.fleet_health(&targets),
            ),
            rows
        );
        // Rows are an extra: when they cannot be read the runs show none,
        // and the health read alone says whether the backend is up.
        let res = res.map(|h| (h, rows.unwrap_or_default()));
        self.record(Backend::Metrics, res, |s, (h, rows)| {
            s.health = Arc::new(h);
            s.batch_rows = Arc::new(rows);
        })
    }

    /// One full pass: cluster and registry concurrently, then metrics for
    /// the workloads found. Used by the CLI and at TUI start.
    pub async fn refresh_all(&self) {
        tokio::join!(self.refresh_cluster(), self.refresh_registry());
        self.refresh_metrics().await;
    }

    /// Starts background refresh: the cluster on change notifications (or
    /// polled), registry and metrics polled with jitter and backoff.
    pub fn spawn_live(&self) -> LiveTasks {
        let mut tasks = Vec::new();
        let me = self.clone();
        tasks.push(tokio::spawn(async move { me.cluster_loop().await }));
        let me = self.clone();
        let every = self.inner.opts.registry_poll;
        tasks.push(tokio::spawn(async move {
            poll_loop(every, || me.refresh_registry()).await
        }));
        let me = self.clone();
        let every = self.inner.opts.metrics_poll;
        tasks.push(tokio::spawn(async move {
            poll_loop(every, || me.refresh_metrics()).await
        }));
        LiveTasks { tasks }
    }

    async fn cluster_loop(&self) {
        match self.inner.backends.cluster.changed() {
            Some(mut rx) => loop {
                let ok = self.refresh_cluster().await;
                if !ok {
                    tokio::time::sleep(self.inner.opts.cluster_poll).await;
                    continue;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            },
            None => {
                let every = self.inner.opts.cluster_poll;
                poll_loop(every, || self.refresh_cluster()).await
            }
        }
    }

    /// Versions of a model, newest first.
    pub async fn list_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>> {
        let r = self.inner.backends.registry.clone();
        let mut vs = self
            .bounded(
                Backend::Registry,
                "listing versions",
                r.list_versions(model),
            )
            .await?;
        vs.sort_by_key(|v| std::cmp::Reverse(v.number()));
        Ok(vs)
    }

    /// A version with its training run (the run is `None` if it has none
    /// or it is gone).
    pub async fn version_detail(&self, model: &str, version: &str) -> PortResult<Side> {
        let r = self.inner.backends.registry.clone();
        let v = self
            .bounded(
                Backend::Registry,
                "reading a version",
                r.get_version(model, version),
            )
            .await?;
        let run = match &v.run_id {
            Some(id) => match self
                .bounded(Backend::Registry, "reading a run", r.get_run(id))
                .await
            {
                Ok(run) => Some(run),
                Err(e) if e.code == ErrorCode::NotFound => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        Ok(Side { version: v, run })
    }

    /// Two versions of `model` compared (`a` is usually the champion).
    pub async fn compare(&self, model: &str, a: &str, b: &str) -> PortResult<Comparison> {
        let (sa, sb) =
            tokio::try_join!(self.version_detail(model, a), self.version_detail(model, b))?;
        let opts = &self.inner.opts;
        Ok(compare::compare_by_policy(
            sa,
            sb,
            &opts.metric_directions,
            opts.tie_tolerance,
            &opts.policies.for_model(model).metrics,
        ))
    }

    /// Recent events of a workload.
    pub async fn events(&self, target: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        let c = self.inner.backends.cluster.clone();
        self.bounded(Backend::Cluster, "reading events", c.events(target))
            .await
    }

    /// `target` with the model the snapshot says it serves (none when the
    /// snapshot does not hold it: the metrics port then refuses only
    /// queries that select by model).
    pub fn metrics_target(&self, target: &WorkloadRef) -> MetricsTarget {
        let snap = self.snapshot();
        // The snapshot keeps workloads sorted by id.
        match snap.workloads.binary_search_by(|w| w.id.cmp(target)) {
            Ok(i) => MetricsTarget::from(&snap.workloads[i]),
            Err(_) => MetricsTarget::bare(target.clone()),
        }
    }

    /// Per-feature drift of what a workload serves.
    pub async fn feature_drift(&self, target: &WorkloadRef) -> PortResult<Vec<FeatureDrift>> {
        let target = self.metrics_target(target);
        let m = self.inner.backends.metrics.clone();
        self.bounded(
            Backend::Metrics,
            "reading feature drift",
            m.feature_drift(&target),
        )
        .await
    }

    /// One signal of a workload over the last `window`, about `points` points.
    pub async fn signal_history(
        &self,
        target: &WorkloadRef,
        signal: Signal,
        window: Duration,
        points: u32,
    ) -> PortResult<Series> {
        let end = self.now();
        let window_ms = window.as_millis() as i64;
        let step_ms = (window_ms / i64::from(points.max(1))).max(1000);
        let range = TimeRange {
            start: end.plus_millis(-window_ms),
            end,
            step_ms,
        };
        let target = self.metrics_target(target);
        let m = self.inner.backends.metrics.clone();
        self.bounded(
            Backend::Metrics,
            "reading a series",
            m.signal_range(&target, signal, range),
        )
        .await
    }
}

async fn poll_loop<F, Fut>(every: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let mut delay = every;
    loop {
        let ok = f().await;
        delay = if ok {
            every
        } else {
            (delay * 2).min(Duration::from_secs(60)).max(every)
        };
        tokio::time::sleep(jitter(delay)).await;
    }
}

/// Up to +10 % jitter so many consoles do not poll in lockstep.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0);
    let frac = f64::from(nanos % 1000) / 10_000.0;
    d.mul_f64(1.0 + frac)
}
