//! What the console asks the metrics port: every workload together with the
//! model its snapshot says it serves, so an adapter that selects by model
//! needs nothing else (the sandbox ignores the model; a recorder around it
//! keeps what was asked).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use async_trait::async_trait;
use common::*;
use modeldeck_core::console::{Backends, Console, ConsoleOptions};
use modeldeck_core::domain::*;
use modeldeck_core::error::PortResult;
use modeldeck_core::ports::Metrics;
use modeldeck_sandbox::Sandbox;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The sandbox's metrics, recording every target asked about.
struct Recorder {
    inner: Arc<dyn Metrics>,
    asked: Mutex<Vec<MetricsTarget>>,
}

impl Recorder {
    fn take(&self) -> Vec<MetricsTarget> {
        std::mem::take(&mut *self.asked.lock().unwrap())
    }
}

#[async_trait]
impl Metrics for Recorder {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn fleet_health(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, Health>> {
        self.asked.lock().unwrap().extend(targets.iter().cloned());
        self.inner.fleet_health(targets).await
    }
    async fn signal_range(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Series> {
        self.asked.lock().unwrap().push(target.clone());
        self.inner.signal_range(target, signal, range).await
    }
    async fn feature_drift(&self, target: &MetricsTarget) -> PortResult<Vec<FeatureDrift>> {
        self.asked.lock().unwrap().push(target.clone());
        self.inner.feature_drift(target).await
    }
}

fn recorded_console(sb: &Sandbox) -> (Console, Arc<Recorder>) {
    let b = sb.backends();
    let recorder = Arc::new(Recorder {
        inner: b.metrics.clone(),
        asked: Mutex::new(Vec::new()),
    });
    let console = Console::new(
        Backends {
            metrics: recorder.clone(),
            ..b
        },
        ConsoleOptions {
            profile: "sandbox".into(),
            sandbox: true,
            clock: sb.clock(),
            ..ConsoleOptions::default()
        },
    );
    (console, recorder)
}

#[tokio::test]
async fn fleet_health_is_asked_with_each_workloads_model() {
    let sb = demo(42);
    let (console, recorder) = recorded_console(&sb);
    console.refresh_all().await;
    let snap = console.snapshot();
    let want: Vec<MetricsTarget> = snap.workloads.iter().map(MetricsTarget::from).collect();
    assert_eq!(want.len(), 19);
    assert!(want.iter().all(|t| t.model.is_some()), "{want:?}");
    assert_eq!(recorder.take(), want);
    assert_eq!(snap.health.len(), 19);
}

#[tokio::test]
async fn drift_and_series_of_a_ref_carry_the_model_from_the_snapshot() {
    let sb = demo(42);
    let (console, recorder) = recorded_console(&sb);
    console.refresh_all().await;
    recorder.take();
    let fraud = fraud_eu();
    assert_eq!(
        console.metrics_target(&fraud),
        MetricsTarget::new(fraud.clone(), "fraud-detector")
    );
    assert!(!console.feature_drift(&fraud).await.unwrap().is_empty());
    let s = console
        .signal_history(&fraud, Signal::RequestRate, Duration::from_secs(600), 10)
        .await
        .unwrap();
    assert!(!s.points.is_empty());
    let asked = recorder.take();
    assert_eq!(asked.len(), 2);
    assert!(
        asked
            .iter()
            .all(|t| t.workload == fraud && t.model.as_deref() == Some("fraud-detector")),
        "{asked:?}"
    );

    // A ref the snapshot does not hold is asked about without a model.
    let ghost = wref("prod-eu", "risk", WorkloadKind::Deployment, "ghost");
    assert_eq!(
        console.metrics_target(&ghost),
        MetricsTarget::bare(ghost.clone())
    );
    assert!(console.feature_drift(&ghost).await.is_err());
    assert_eq!(recorder.take(), vec![MetricsTarget::bare(ghost)]);
}
