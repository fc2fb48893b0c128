//! The sandbox's cluster with one thing changed, as another adapter would
//! answer: no pod logs (`log_tail` left at the port's `Unsupported`), or a
//! ledger that is unbound on some clusters (the CRDs or the admission
//! policy not installed there). Every other call is delegated, the ledger
//! ones included, so nothing else differs from the sandbox.

use async_trait::async_trait;
use modeldeck_core::domain::{
    AccessCheck, ApprovalObject, ClusterEvent, Identity, LedgerState, PromotionObject, Workload,
    WorkloadRef,
};
use modeldeck_core::error::{PartialFailure, PortResult};
use modeldeck_core::ports::Cluster;
use std::sync::Arc;
use tokio::sync::watch;

/// The sandbox's cluster, altered.
pub struct Altered {
    /// The cluster delegated to.
    pub inner: Arc<dyn Cluster>,
    /// Pod logs are read (false: `Unsupported`, the port's default).
    pub logs: bool,
    /// `(cluster, reason)`: `ledger` answers `Unbound { reason }` there.
    pub unbound: Vec<(String, String)>,
}

impl Altered {
    /// Without pod logs.
    pub fn no_logs(inner: Arc<dyn Cluster>) -> Arc<dyn Cluster> {
        Arc::new(Altered {
            inner,
            logs: false,
            unbound: Vec::new(),
        })
    }

    /// With `cluster`'s ledger unbound for `reason`.
    pub fn unbound(inner: Arc<dyn Cluster>, cluster: &str, reason: &str) -> Arc<dyn Cluster> {
        Arc::new(Altered {
            inner,
            logs: true,
            unbound: vec![(cluster.into(), reason.into())],
        })
    }
}

#[async_trait]
impl Cluster for Altered {
    fn clusters(&self) -> Vec<String> {
        self.inner.clusters()
    }
    fn changed(&self) -> Option<watch::Receiver<u64>> {
        self.inner.changed()
    }
    fn partial_failures(&self) -> Vec<PartialFailure> {
        self.inner.partial_failures()
    }
    async fn list_workloads(&self) -> PortResult<Vec<Workload>> {
        self.inner.list_workloads().await
    }
    async fn events(&self, t: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        self.inner.events(t).await
    }
    async fn set_served_version(
        &self,
        t: &WorkloadRef,
        v: &str,
        rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.inner.set_served_version(t, v, rv).await
    }
    async fn preview_served_version(
        &self,
        t: &WorkloadRef,
        v: &str,
    ) -> PortResult<modeldeck_core::serving_diff::ServingChanges> {
        self.inner.preview_served_version(t, v).await
    }
    async fn whoami(&self, c: &str) -> PortResult<Identity> {
        self.inner.whoami(c).await
    }
    async fn can_i(&self, c: &str, check: &AccessCheck) -> PortResult<bool> {
        self.inner.can_i(c, check).await
    }
    async fn record_event(
        &self,
        t: &WorkloadRef,
        kind: &str,
        reason: &str,
        message: &str,
    ) -> PortResult<()> {
        self.inner.record_event(t, kind, reason, message).await
    }
    async fn set_canary(
        &self,
        t: &WorkloadRef,
        v: &str,
        pct: u8,
        rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.inner.set_canary(t, v, pct, rv).await
    }
    async fn ledger(&self, c: &str) -> PortResult<LedgerState> {
        match self.unbound.iter().find(|(name, _)| name == c) {
            Some((_, reason)) => Ok(LedgerState::Unbound {
                reason: reason.clone(),
            }),
            None => self.inner.ledger(c).await,
        }
    }
    async fn create_promotion(&self, c: &str, o: &PromotionObject) -> PortResult<PromotionObject> {
        self.inner.create_promotion(c, o).await
    }
    async fn get_promotion(
        &self,
        c: &str,
        ns: &str,
        name: &str,
    ) -> PortResult<Option<PromotionObject>> {
        self.inner.get_promotion(c, ns, name).await
    }
    async fn list_promotions(&self, c: &str) -> PortResult<Vec<PromotionObject>> {
        self.inner.list_promotions(c).await
    }
    async fn update_promotion_status(
        &self,
        c: &str,
        o: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        self.inner.update_promotion_status(c, o).await
    }
    async fn create_approval(&self, c: &str, o: &ApprovalObject) -> PortResult<()> {
        self.inner.create_approval(c, o).await
    }
    async fn list_approvals(
        &self,
        c: &str,
        ns: &str,
        promotion: &str,
    ) -> PortResult<Vec<ApprovalObject>> {
        self.inner.list_approvals(c, ns, promotion).await
    }
    async fn log_tail(&self, t: &WorkloadRef, lines: usize) -> PortResult<Vec<String>> {
        if self.logs {
            self.inner.log_tail(t, lines).await
        } else {
            Err(modeldeck_core::error::BackendError::new(
                modeldeck_core::error::Backend::Cluster,
                modeldeck_core::error::ErrorCode::Unsupported,
                "this cluster adapter cannot read pod logs",
            ))
        }
    }
}
