//! [`Faulty`]'s metrics port: every call counted and open to a fault.

use super::Faulty;
use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, PortResult};
use modeldeck_core::ports::Metrics;
use std::collections::BTreeMap;

#[async_trait]
impl Metrics for Faulty {
    fn describe(&self) -> String {
        self.inner.metrics.describe()
    }
    async fn fleet_health(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, Health>> {
        self.run(
            Backend::Metrics,
            "fleet_health",
            String::new(),
            self.inner.metrics.fleet_health(targets),
        )
        .await
    }
    async fn signal_range(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Series> {
        self.run(
            Backend::Metrics,
            "signal_range",
            target.to_string(),
            self.inner.metrics.signal_range(target, signal, range),
        )
        .await
    }
    async fn feature_drift(&self, target: &MetricsTarget) -> PortResult<Vec<FeatureDrift>> {
        self.run(
            Backend::Metrics,
            "feature_drift",
            target.to_string(),
            self.inner.metrics.feature_drift(target),
        )
        .await
    }
}
