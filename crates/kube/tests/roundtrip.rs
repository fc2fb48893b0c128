//! Seeding from any `Cluster` port: the sandbox's demo world is served by
//! one API server per cluster, and the kube adapter reads back the same
//! workloads (kinds, models, versions, canaries, paused/suspended states).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::{SeedSource, ServeOptions, ServerConfig, start_all};
use modeldeck_core::domain::RolloutState;
use modeldeck_core::ports::Cluster;
use modeldeck_sandbox::Sandbox;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_world_round_trips_through_the_api() {
    let sandbox = Sandbox::demo().unwrap();
    let port = sandbox.backends().cluster;
    let mut want = port.list_workloads().await.unwrap();
    want.sort_by(|a, b| a.id.cmp(&b.id));
    assert!(
        want.len() >= 10,
        "the demo world has a fleet: {}",
        want.len()
    );
    eprintln!(
        "round trip: {} workloads over {:?}",
        want.len(),
        port.clusters()
    );
    let dir = scratch();
    let opts = ServeOptions {
        source: SeedSource::Cluster(port.clone()),
        kubeconfig: Some(dir.0.join("kubeconfig")),
        user: "admin".into(),
        server: ServerConfig {
            tls: true,
            controller: fast(),
            ..ServerConfig::default()
        },
    };
    let served = start_all(&opts).await.unwrap();
    assert_eq!(served.servers.len(), port.clusters().len());
    let c = adapter(served.kubeconfig.clone(), Duration::from_secs(10));
    let mut clusters = c.clusters();
    clusters.sort();
    let mut expected = port.clusters();
    expected.sort();
    assert_eq!(clusters, expected, "one context per sandbox cluster");
    wait_for(&c, "every sandbox workload", |ws| ws.len() == want.len()).await;
    // CronJob runs are read once a context has listed (not while it lists).
    c.wait_ready(Duration::from_secs(10)).await;
    let got = c.list_workloads().await.unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.id, w.id);
        assert_eq!(
            g.model.as_ref().or(Some(&w.id.name)),
            w.model.as_ref().or(Some(&w.id.name)),
            "{}",
            w.id
        );
        if w.served_version.is_some() {
            assert_eq!(g.served_version, w.served_version, "{}", w.id);
        }
        assert_eq!(g.canary, w.canary, "{}", w.id);
        assert_eq!(g.desired_replicas, w.desired_replicas, "{}", w.id);
        if matches!(w.rollout, RolloutState::Paused | RolloutState::Suspended) {
            assert_eq!(g.rollout, w.rollout, "{}", w.id);
        }
        assert_eq!(g.created_at.0 / 1000, w.created_at.0 / 1000, "{}", w.id);
        // A CronJob's schedule and run record (the nightly churn job failed
        // last night) read back from the served object's spec and status.
        assert_eq!(g.batch, w.batch, "{}", w.id);
    }
    let churn = got
        .iter()
        .find(|w| w.id.name == "churn-batch-scoring")
        .unwrap();
    let batch = churn.batch.as_ref().unwrap();
    assert_eq!(batch.schedule, "0 2 * * *");
    assert!(batch.last_schedule > batch.last_success, "{batch:?}");
}
