//! Stand-ins for a backend the profile does not configure (a profile with a
//! cluster and a registry but no Prometheus is legitimate). Every call
//! answers `NotConfigured` with a hint saying how to configure it, and
//! `status` does not count it as a failure.

use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::{Cluster, Metrics, Registry};
use std::collections::BTreeMap;

/// What `describe()` says for a backend that is not configured.
pub use modeldeck_core::error::NOT_CONFIGURED;

/// A backend the profile leaves out.
#[derive(Debug, Clone)]
pub struct NotConfigured {
    backend: Backend,
    hint: String,
}

impl NotConfigured {
    /// `hint` says how to configure it (`set [profiles.prod.metrics] url ...`).
    pub fn new(backend: Backend, hint: impl Into<String>) -> NotConfigured {
        NotConfigured {
            backend,
            hint: hint.into(),
        }
    }

    fn err<T>(&self) -> PortResult<T> {
        Err(BackendError::new(
            self.backend,
            ErrorCode::NotConfigured,
            format!("{NOT_CONFIGURED}: {}", self.hint),
        ))
    }
}

#[async_trait]
impl Cluster for NotConfigured {
    fn clusters(&self) -> Vec<String> {
        Vec::new()
    }
    async fn list_workloads(&self) -> PortResult<Vec<Workload>> {
        self.err()
    }
    async fn events(&self, _: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        self.err()
    }
    async fn set_served_version(
        &self,
        _: &WorkloadRef,
        _: &str,
        _: Option<&str>,
    ) -> PortResult<Workload> {
        self.err()
    }
    async fn whoami(&self, _: &str) -> PortResult<Identity> {
        self.err()
    }
    async fn can_i(&self, _: &str, _: &AccessCheck) -> PortResult<bool> {
        self.err()
    }
}

#[async_trait]
impl Registry for NotConfigured {
    fn describe(&self) -> String {
        NOT_CONFIGURED.into()
    }
    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>> {
        self.err()
    }
    async fn get_model(&self, _: &str) -> PortResult<RegisteredModel> {
        self.err()
    }
    async fn list_versions(&self, _: &str) -> PortResult<Vec<ModelVersion>> {
        self.err()
    }
    async fn get_version(&self, _: &str, _: &str) -> PortResult<ModelVersion> {
        self.err()
    }
    async fn get_run(&self, _: &str) -> PortResult<RunData> {
        self.err()
    }
    async fn set_alias(&self, _: &str, _: &str, _: &str) -> PortResult<()> {
        self.err()
    }
    async fn delete_alias(&self, _: &str, _: &str) -> PortResult<()> {
        self.err()
    }
    async fn set_version_tag(&self, _: &str, _: &str, _: &str, _: &str) -> PortResult<()> {
        self.err()
    }
    async fn delete_version_tag(&self, _: &str, _: &str, _: &str) -> PortResult<()> {
        self.err()
    }
}

#[async_trait]
impl Metrics for NotConfigured {
    fn describe(&self) -> String {
        NOT_CONFIGURED.into()
    }
    async fn fleet_health(&self, _: &[MetricsTarget]) -> PortResult<BTreeMap<WorkloadRef, Health>> {
        self.err()
    }
    async fn signal_range(&self, _: &MetricsTarget, _: Signal, _: TimeRange) -> PortResult<Series> {
        self.err()
    }
    async fn feature_drift(&self, _: &MetricsTarget) -> PortResult<Vec<FeatureDrift>> {
        self.err()
    }
}
