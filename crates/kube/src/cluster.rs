//! [`KubeCluster`]: the `Cluster` port over several kubeconfig contexts.
//! Construction reads the kubeconfig and returns at once; every context
//! connects and watches in its own tasks. Reads answer from memory; every
//! user-initiated call is bounded by `call_timeout`, and so is every page
//! of a listing (not the whole listing: 10,000 objects may take longer).

use crate::access;
use crate::config::{Contexts, KubeOptions, read_kubeconfig};
use crate::context::{ContextPhase, ContextStatus, Ctx};
use crate::error::{bounded, cluster_error};
use crate::events;
use crate::ledger::{self, LedgerCache};
use crate::logs::{self, LogLine, LogOptions};
use crate::record;
use crate::revisions;
use crate::store::WorkloadStore;
use crate::watch::run_context;
use crate::write;
use async_trait::async_trait;
use kube::Client;
use kube::config::Kubeconfig;
use modeldeck_core::domain::{
    AccessCheck, ApprovalObject, ClusterEvent, Identity, LedgerState, PromotionObject,
    RetrainRequest, RetrainRun, RetrainSource, Revision, Workload, WorkloadRef,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PartialFailure, PortResult};
use modeldeck_core::ports::Cluster;
use modeldeck_core::serving_diff::ServingChanges;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct Inner {
    opts: Arc<KubeOptions>,
    contexts: Vec<Arc<Ctx>>,
    store: Arc<WorkloadStore>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    ledger: LedgerCache,
    argo: crate::argo::ArgoState,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for t in self.tasks.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            t.abort();
        }
    }
}

/// The Kubernetes `Cluster` port. Cheap to clone; dropping the last clone
/// stops every watcher.
#[derive(Clone)]
pub struct KubeCluster {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for KubeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeCluster")
            .field("contexts", &self.clusters())
            .finish()
    }
}

struct AbortAll(Vec<JoinHandle<()>>);

impl Drop for AbortAll {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

fn config_error(message: String) -> BackendError {
    BackendError::new(Backend::Cluster, ErrorCode::InvalidRequest, message)
}

impl KubeCluster {
    /// Reads the kubeconfig (`opts.kubeconfig`, several files merged as
    /// kubectl merges them, else `$KUBECONFIG` the same way or
    /// `~/.kube/config`: [`read_kubeconfig`]) and starts every chosen
    /// context. Needs a tokio runtime.
    pub fn connect(opts: KubeOptions) -> PortResult<KubeCluster> {
        let kc = read_kubeconfig(&opts.kubeconfig)?;
        Self::from_kubeconfig(kc, opts)
    }

    /// Starts every chosen context of an already-parsed kubeconfig.
    pub fn from_kubeconfig(kc: Kubeconfig, opts: KubeOptions) -> PortResult<KubeCluster> {
        let available: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
        let names: Vec<String> = match &opts.contexts {
            Contexts::Current => vec![
                kc.current_context
                    .clone()
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| {
                        config_error(format!(
                            "the kubeconfig has no current-context; pick contexts among: {}",
                            available.join(", ")
                        ))
                    })?,
            ],
            Contexts::All => available.clone(),
            Contexts::Named(n) => n.clone(),
        };
        if names.is_empty() {
            return Err(config_error("the kubeconfig has no contexts".into()));
        }
        if let Some(missing) = names.iter().find(|n| !available.contains(n)) {
            return Err(config_error(format!(
                "no context named `{missing}` in the kubeconfig (known: {})",
                available.join(", ")
            )));
        }
        let rt = tokio::runtime::Handle::try_current().map_err(|_| {
            config_error("the kube adapter must be started inside a tokio runtime".into())
        })?;
        let opts = Arc::new(opts);
        let store = Arc::new(WorkloadStore::default());
        let mut contexts = Vec::new();
        let mut tasks = Vec::new();
        for name in names {
            let ctx = Arc::new(Ctx::new(name, store.clone()));
            let (kc, ctx2, store2, opts2) = (kc.clone(), ctx.clone(), store.clone(), opts.clone());
            tasks.push(rt.spawn(async move {
                let _watchers = AbortAll(run_context(kc, ctx2, store2, opts2).await);
                futures::future::pending::<()>().await;
            }));
            contexts.push(ctx);
        }
        Ok(KubeCluster {
            inner: Arc::new(Inner {
                opts,
                contexts,
                store,
                tasks: Mutex::new(tasks),
                ledger: LedgerCache::default(),
                argo: crate::argo::ArgoState::default(),
            }),
        })
    }

    fn ctx(&self, name: &str) -> PortResult<&Arc<Ctx>> {
        self.inner
            .contexts
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| {
                BackendError::not_found(
                    Backend::Cluster,
                    format!(
                        "no context named `{name}` is watched (watched: {})",
                        self.clusters().join(", ")
                    ),
                )
            })
    }

    /// The client of a context, for calls this port does not cover (waits
    /// for it to be built, within the call timeout).
    pub async fn client(&self, context: &str) -> PortResult<Client> {
        self.ctx(context)?.client_within(self.budget()).await
    }

    /// Fills the CronJobs' runs from their Jobs (`crate::batch`) in the
    /// `listed` contexts, all at once, each within the call budget. A
    /// context still listing is skipped: its Job reads would queue behind
    /// its pages and hold back the rows already listed. Its runs come on
    /// the list after it is Ready (one-shot commands wait for that).
    async fn attach_runs(&self, ws: &mut [Workload], listed: &[String]) {
        let fills = ws
            .chunk_by_mut(|a, b| a.id.cluster == b.id.cluster)
            .filter(|chunk| {
                listed.contains(&chunk[0].id.cluster)
                    && chunk
                        .iter()
                        .any(|w| w.id.kind == modeldeck_core::domain::WorkloadKind::CronJob)
            })
            .map(|chunk| async move {
                let c = chunk[0].id.cluster.clone();
                if let Ok(client) = self.client(&c).await {
                    let b = &self.inner.opts.binding;
                    let fill = crate::batch::attach_runs(b, &client, &c, chunk);
                    if tokio::time::timeout(self.budget(), fill).await.is_err() {
                        tracing::warn!(context = %c, "cronjob runs not read within the call budget");
                    }
                }
            });
        futures::future::join_all(fills).await;
    }

    /// Adds the Argo pipelines (`crate::argo`) of each usable context,
    /// each within the call budget.
    async fn add_pipelines(&self, contexts: &[String], ws: &mut Vec<Workload>) {
        let namespaces: Vec<Option<String>> = match &self.inner.opts.namespaces {
            Some(list) => list.iter().cloned().map(Some).collect(),
            None => vec![None],
        };
        let before = ws.len();
        for c in contexts {
            let Ok(client) = self.client(c).await else {
                continue;
            };
            let b = &self.inner.opts.binding;
            let list = self.inner.argo.pipelines(b, &client, c, &namespaces);
            match tokio::time::timeout(self.budget(), list).await {
                Ok(p) => ws.extend(p),
                Err(_) => tracing::warn!(context = %c, "pipelines not read within the call budget"),
            }
        }
        // The list is in id order, as the store gives it, pipelines included.
        if ws.len() > before {
            ws.sort_by(|a, b| a.id.cmp(&b.id));
        }
    }

    pub(crate) fn budget(&self) -> Duration {
        self.inner.opts.call_timeout
    }

    pub(crate) fn options(&self) -> &KubeOptions {
        &self.inner.opts
    }

    pub(crate) fn ledger_cache(&self) -> &LedgerCache {
        &self.inner.ledger
    }

    /// Health of every context.
    pub fn context_status(&self) -> Vec<ContextStatus> {
        self.inner.contexts.iter().map(|c| c.status()).collect()
    }

    /// Waits until `done` holds, or until no context has made progress
    /// (a page of a listing, a phase change) for `idle`: a listing that
    /// keeps answering is waited for however long it takes, a silent one
    /// ends the wait `idle` after its last sign of life (or after the call
    /// began, whichever is later).
    async fn wait_until(
        &self,
        idle: Duration,
        done: impl Fn(&[ContextStatus]) -> bool,
    ) -> Vec<ContextStatus> {
        let mut rx = self.inner.store.subscribe();
        let began = std::time::Instant::now();
        loop {
            let st = self.context_status();
            if done(&st) {
                return st;
            }
            let last = self
                .inner
                .contexts
                .iter()
                .map(|c| c.last_progress())
                .fold(began, std::cmp::max);
            // Half an `idle` of grace: a listing whose page is late by
            // `idle` reports its own timeout first (the watcher's bound).
            let deadline = tokio::time::Instant::from_std(last + idle + idle / 2);
            if tokio::time::Instant::now() >= deadline {
                return st;
            }
            // A change ends the sleep early; the deadline is computed
            // again from the newest progress either way.
            if let Ok(Err(_)) = tokio::time::timeout_at(deadline, rx.changed()).await {
                return self.context_status();
            }
        }
    }

    /// Waits until no context is still connecting, or until none has made
    /// progress for `idle` (see [`KubeCluster::wait_until`]): a context
    /// listing a large cluster page by page is waited for, a silent one
    /// is not.
    pub async fn wait_ready(&self, idle: Duration) -> Vec<ContextStatus> {
        self.wait_until(idle, |st| {
            st.iter().all(|s| s.phase != ContextPhase::Connecting)
        })
        .await
    }

    /// The last lines of a workload's pods (bounded by `opts.max_lines`).
    pub async fn tail_logs(
        &self,
        target: &WorkloadRef,
        opts: &LogOptions,
    ) -> PortResult<Vec<LogLine>> {
        let client = self.client(&target.cluster).await?;
        bounded(
            self.budget(),
            &target.cluster,
            "reading logs",
            logs::tail(&client, target, opts),
        )
        .await
    }
}

/// One context's trouble as a typed failure (the error, or "not answering"
/// when it has none yet), naming its context and server.
fn failure_of(s: &ContextStatus, not_answering: ErrorCode, why: String) -> PartialFailure {
    PartialFailure {
        context: s.context.clone(),
        server: s.server.clone(),
        error: s
            .error
            .clone()
            .unwrap_or_else(|| cluster_error(not_answering, &s.context, why)),
        stale: s.phase == ContextPhase::Degraded,
    }
}

#[async_trait]
impl Cluster for KubeCluster {
    fn clusters(&self) -> Vec<String> {
        self.inner.contexts.iter().map(|c| c.name.clone()).collect()
    }

    /// Contexts that failed (never listed) or degraded (listed, failing
    /// now: their workloads are stale) while others answer.
    /// A context whose user may not list Argo pipelines is one more entry
    /// (its other workloads are current).
    fn partial_failures(&self) -> Vec<PartialFailure> {
        let status = self.context_status();
        let mut out: Vec<PartialFailure> = status
            .iter()
            .filter(|s| matches!(s.phase, ContextPhase::Failed | ContextPhase::Degraded))
            .map(|s| failure_of(s, ErrorCode::Unreachable, "not answering".into()))
            .collect();
        for (context, error) in self.inner.argo.refusals() {
            let server = status
                .iter()
                .find(|s| s.context == context)
                .and_then(|s| s.server.clone());
            out.push(PartialFailure {
                context,
                server,
                error,
                stale: false,
            });
        }
        out
    }

    fn changed(&self) -> Option<watch::Receiver<u64>> {
        Some(self.inner.store.subscribe())
    }

    /// Workloads of every context that listed, and the pages of those
    /// still listing. Waits for the first page (as long as the listings
    /// make progress: each page within the call timeout); fails only when
    /// no context could list, naming each context's error.
    async fn list_workloads(&self) -> PortResult<Vec<Workload>> {
        let usable =
            |s: &ContextStatus| matches!(s.phase, ContextPhase::Ready | ContextPhase::Degraded);
        let store = &self.inner.store;
        let st = self
            .wait_until(self.budget(), |st| {
                st.iter().any(usable)
                    || !store.is_empty()
                    || st.iter().all(|s| s.phase == ContextPhase::Failed)
            })
            .await;
        if st.iter().any(usable) || !store.is_empty() {
            let mut ws = self.inner.store.list();
            let ready: Vec<String> = st
                .iter()
                .filter(|s| usable(s))
                .map(|s| s.context.clone())
                .collect();
            self.attach_runs(&mut ws, &ready).await;
            self.add_pipelines(&ready, &mut ws).await;
            return Ok(ws);
        }
        let code = st
            .iter()
            .find_map(|s| s.error.as_ref().map(|e| e.code))
            .unwrap_or(ErrorCode::Timeout);
        let budget = self.budget().as_millis();
        let why: Vec<String> = st
            .iter()
            .map(|s| {
                let silent = format!("no answer within {budget} ms");
                failure_of(s, ErrorCode::Timeout, silent).summary()
            })
            .collect();
        Err(BackendError::new(
            Backend::Cluster,
            code,
            format!("no context could be listed ({})", why.join("; ")),
        ))
    }

    async fn events(&self, target: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        let client = self.client(&target.cluster).await?;
        let max = self.inner.opts.max_events;
        bounded(
            self.budget(),
            &target.cluster,
            "reading events",
            events::collect(&client, &target.cluster, target, max),
        )
        .await
    }

    /// The rollout history (`crate::revisions`): ReplicaSets of a
    /// Deployment, Knative Revisions (or the RawDeployment predictor's
    /// ReplicaSets) of an InferenceService, none for a CronJob.
    async fn revisions(&self, target: &WorkloadRef) -> PortResult<Vec<Revision>> {
        let client = self.client(&target.cluster).await?;
        bounded(
            self.budget(),
            &target.cluster,
            "reading the rollout history",
            revisions::collect(&client, &target.cluster, target),
        )
        .await
    }

    async fn set_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        if version.trim().is_empty() {
            return Err(cluster_error(
                ErrorCode::InvalidRequest,
                &target.cluster,
                "the version to serve is empty",
            ));
        }
        let client = self.client(&target.cluster).await?;
        let b = &self.inner.opts.binding;
        let w = bounded(
            self.budget(),
            &target.cluster,
            "setting the served version",
            write::set_served_version(&client, b, target, version, expected_rv),
        )
        .await?;
        Ok(w)
    }

    async fn preview_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
    ) -> PortResult<ServingChanges> {
        let client = self.client(&target.cluster).await?;
        let b = &self.inner.opts.binding;
        bounded(
            self.budget(),
            &target.cluster,
            "reading the workload spec",
            crate::preview::preview_served_version(&client, b, target, version),
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
        if version.trim().is_empty() {
            return Err(cluster_error(
                ErrorCode::InvalidRequest,
                &target.cluster,
                "the canary version is empty",
            ));
        }
        let client = self.client(&target.cluster).await?;
        let b = &self.inner.opts.binding;
        bounded(
            self.budget(),
            &target.cluster,
            "stepping the canary",
            record::set_canary(&client, b, target, version, traffic_percent, expected_rv),
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
        let client = self.client(&target.cluster).await?;
        bounded(
            self.budget(),
            &target.cluster,
            "recording an event",
            record::record_event(&client, target, kind, reason, message),
        )
        .await
    }

    async fn log_tail(&self, target: &WorkloadRef, lines: usize) -> PortResult<Vec<String>> {
        let client = self.client(&target.cluster).await?;
        bounded(
            self.budget(),
            &target.cluster,
            "reading logs",
            logs::newest_tail(&client, target, lines),
        )
        .await
    }

    async fn whoami(&self, cluster: &str) -> PortResult<Identity> {
        let client = self.client(cluster).await?;
        bounded(
            self.budget(),
            cluster,
            "who am I",
            access::whoami(&client, cluster),
        )
        .await
    }

    async fn ledger(&self, cluster: &str) -> PortResult<LedgerState> {
        ledger::state(self, cluster).await
    }

    async fn create_promotion(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        ledger::create_promotion(self, cluster, object).await
    }

    async fn get_promotion(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> PortResult<Option<PromotionObject>> {
        ledger::get_promotion(self, cluster, namespace, name).await
    }

    async fn list_promotions(&self, cluster: &str) -> PortResult<Vec<PromotionObject>> {
        ledger::list_promotions(self, cluster).await
    }

    async fn update_promotion_status(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        ledger::update_promotion_status(self, cluster, object).await
    }

    async fn create_approval(&self, cluster: &str, object: &ApprovalObject) -> PortResult<()> {
        ledger::create_approval(self, cluster, object).await
    }

    async fn list_approvals(
        &self,
        cluster: &str,
        namespace: &str,
        promotion: &str,
    ) -> PortResult<Vec<ApprovalObject>> {
        ledger::list_approvals(self, cluster, namespace, promotion).await
    }

    async fn retrain_sources(&self, model: &str) -> PortResult<Vec<RetrainSource>> {
        crate::retrain::all_sources(self, model).await
    }

    async fn start_retrain(
        &self,
        source: &RetrainSource,
        request: &RetrainRequest,
    ) -> PortResult<RetrainRun> {
        crate::retrain::start_in(self, source, request).await
    }

    async fn retrain_status(&self, run: &RetrainRun, log_lines: usize) -> PortResult<RetrainRun> {
        crate::retrain::status_in(self, run, log_lines).await
    }

    async fn can_i(&self, cluster: &str, check: &AccessCheck) -> PortResult<bool> {
        let client = self.client(cluster).await?;
        bounded(
            self.budget(),
            cluster,
            "can I",
            access::can_i(&client, cluster, check),
        )
        .await
    }
}
