//! The cluster port of the live world: one real kube adapter per user (a
//! kubeconfig with that user's bearer token for every API server), and a
//! switch that routes port calls to the current user's adapter, so
//! SelfSubjectReview and SelfSubjectAccessReview answer for whoever acts.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use modeldeck_apiserver::{ApiServerHandle, KubeconfigEntry, Rule, User, write_kubeconfig};
use modeldeck_core::domain::*;
use modeldeck_core::error::PortResult;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::{Contexts, KubeCluster, KubeOptions};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Users every API server knows: token `tok-<name>`.
/// `erin` may do anything but approve (neither `approve modelpromotions`
/// nor `create modelapprovals`); `viewer` only reads.
pub fn users() -> Vec<User> {
    let everything = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    let reads = ["get", "list", "watch"];
    let erin = vec![
        Rule::new(
            &everything,
            &[
                "",
                "apps",
                "batch",
                "serving.kserve.io",
                "events.k8s.io",
                "authorization.k8s.io",
                "authentication.k8s.io",
            ],
            &["*"],
            &[],
        ),
        Rule::new(
            &everything,
            &["modeldeck.io"],
            &["modelpromotions", "modelpromotions/status"],
            &[],
        ),
        Rule::new(
            &reads,
            &[
                "modeldeck.io",
                "apiextensions.k8s.io",
                "admissionregistration.k8s.io",
            ],
            &["*"],
            &[],
        ),
    ];
    let mut out: Vec<User> = [
        "admin", "alice", "bob", "carol", "dave", "frank", "gina", "ops", "reader",
    ]
    .iter()
    .map(|n| User::new(n, vec![Rule::all()]).with_token(&format!("tok-{n}")))
    .collect();
    out.push(User::new("erin", erin).with_token("tok-erin"));
    out.push(User::new("viewer", vec![Rule::read_only()]).with_token("tok-viewer"));
    out
}

/// One user's adapter.
pub struct UserView(pub KubeCluster);

impl UserView {
    pub async fn list(&self) -> Vec<Workload> {
        self.0.list_workloads().await.unwrap()
    }

    /// Waits (30 s at most) until `f` holds for this user's watch cache.
    pub async fn wait_for(&self, what: &str, f: impl Fn(&[Workload]) -> bool) -> Vec<Workload> {
        let mut rx = self.0.changed().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ws = self.0.list_workloads().await.unwrap();
            if f(&ws) {
                return ws;
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                panic!(
                    "timed out waiting for: {what}; last list: {:#?}",
                    ws.iter()
                        .map(|w| (&w.id, &w.served_version, &w.canary, &w.rollout))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

pub struct UserCluster {
    urls: BTreeMap<String, String>,
    dir: PathBuf,
    views: tokio::sync::Mutex<BTreeMap<String, Arc<UserView>>>,
    current: Mutex<Option<Arc<UserView>>>,
    expected: usize,
}

impl UserCluster {
    /// Adapters reaching `servers` at `urls` (their own, or proxies').
    pub fn new(
        servers: &BTreeMap<String, ApiServerHandle>,
        urls: BTreeMap<String, String>,
        dir: &Path,
    ) -> Arc<UserCluster> {
        let expected = servers
            .values()
            .map(|s| {
                s.store()
                    .list(
                        modeldeck_apiserver::resources::ids::DEPLOYMENTS,
                        None,
                        None,
                        None,
                        &|_| true,
                    )
                    .items
                    .len()
                    + s.store()
                        .list(
                            modeldeck_apiserver::resources::ids::INFERENCESERVICES,
                            None,
                            None,
                            None,
                            &|_| true,
                        )
                        .items
                        .len()
                    + s.store()
                        .list(
                            modeldeck_apiserver::resources::ids::CRONJOBS,
                            None,
                            None,
                            None,
                            &|_| true,
                        )
                        .items
                        .len()
            })
            .sum();
        Arc::new(UserCluster {
            urls,
            dir: dir.to_path_buf(),
            views: tokio::sync::Mutex::new(BTreeMap::new()),
            current: Mutex::new(None),
            expected,
        })
    }

    /// The adapter of `user`, started on first use and synced.
    pub async fn view(&self, user: &str) -> Arc<UserView> {
        let mut views = self.views.lock().await;
        if let Some(v) = views.get(user) {
            return v.clone();
        }
        let entries: Vec<KubeconfigEntry> = self
            .urls
            .iter()
            .map(|(ctx, url)| KubeconfigEntry {
                context: ctx.clone(),
                server: url.clone(),
                user: user.to_string(),
                token: format!("tok-{user}"),
                namespace: None,
                ca_pem: None,
            })
            .collect();
        let path = self.dir.join(format!("kubeconfig-{user}"));
        write_kubeconfig(&path, &entries, &entries[0].context).unwrap();
        let c = KubeCluster::connect(KubeOptions {
            kubeconfig: vec![path],
            contexts: Contexts::All,
            call_timeout: Duration::from_secs(10),
            ..KubeOptions::default()
        })
        .unwrap();
        let view = Arc::new(UserView(c));
        let n = self.expected;
        view.wait_for(&format!("{user}'s adapter synced"), |ws| ws.len() >= n)
            .await;
        views.insert(user.to_string(), view.clone());
        view
    }

    pub async fn admin(&self) -> Arc<UserView> {
        self.view("admin").await
    }

    pub async fn act_as(&self, user: &str) {
        let v = self.view(user).await;
        *self.current.lock().unwrap() = Some(v);
    }

    fn cur(&self) -> Arc<UserView> {
        self.current
            .lock()
            .unwrap()
            .clone()
            .expect("act_as before using the cluster port")
    }
}

#[async_trait]
impl Cluster for UserCluster {
    fn clusters(&self) -> Vec<String> {
        self.urls.keys().cloned().collect()
    }
    fn changed(&self) -> Option<watch::Receiver<u64>> {
        self.cur().0.changed()
    }
    async fn list_workloads(&self) -> PortResult<Vec<Workload>> {
        self.cur().0.list_workloads().await
    }
    async fn events(&self, target: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        self.cur().0.events(target).await
    }
    async fn set_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.cur()
            .0
            .set_served_version(target, version, expected_rv)
            .await
    }
    async fn preview_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
    ) -> PortResult<modeldeck_core::serving_diff::ServingChanges> {
        self.cur().0.preview_served_version(target, version).await
    }
    async fn set_canary(
        &self,
        target: &WorkloadRef,
        version: &str,
        traffic_percent: u8,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.cur()
            .0
            .set_canary(target, version, traffic_percent, expected_rv)
            .await
    }
    async fn whoami(&self, cluster: &str) -> PortResult<Identity> {
        self.cur().0.whoami(cluster).await
    }
    async fn can_i(&self, cluster: &str, check: &AccessCheck) -> PortResult<bool> {
        self.cur().0.can_i(cluster, check).await
    }
    async fn record_event(
        &self,
        target: &WorkloadRef,
        kind: &str,
        reason: &str,
        message: &str,
    ) -> PortResult<()> {
        self.cur()
            .0
            .record_event(target, kind, reason, message)
            .await
    }
    async fn log_tail(&self, target: &WorkloadRef, lines: usize) -> PortResult<Vec<String>> {
        self.cur().0.log_tail(target, lines).await
    }
    async fn ledger(&self, cluster: &str) -> PortResult<LedgerState> {
        self.cur().0.ledger(cluster).await
    }
    async fn create_promotion(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        self.cur().0.create_promotion(cluster, object).await
    }
    async fn get_promotion(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> PortResult<Option<PromotionObject>> {
        self.cur().0.get_promotion(cluster, namespace, name).await
    }
    async fn list_promotions(&self, cluster: &str) -> PortResult<Vec<PromotionObject>> {
        self.cur().0.list_promotions(cluster).await
    }
    async fn update_promotion_status(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        self.cur().0.update_promotion_status(cluster, object).await
    }
    async fn create_approval(&self, cluster: &str, object: &ApprovalObject) -> PortResult<()> {
        self.cur().0.create_approval(cluster, object).await
    }
    async fn list_approvals(
        &self,
        cluster: &str,
        namespace: &str,
        promotion: &str,
    ) -> PortResult<Vec<ApprovalObject>> {
        self.cur()
            .0
            .list_approvals(cluster, namespace, promotion)
            .await
    }
}
