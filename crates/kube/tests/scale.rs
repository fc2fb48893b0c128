//! Scale: 10,000 bound Deployments seeded into the sandbox API server and
//! listed (in pages of 500) and watched by the adapter. Correctness only;
//! timings belong to the benchmark script (`crates/kube/benches`, docs/).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::{ApiServer, ControllerConfig, ServerConfig, fixtures};
use modeldeck_core::domain::RolloutState;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_deployments() {
    let cfg = ServerConfig {
        controller: ControllerConfig {
            pods: false,
            ..fast()
        },
        ..ServerConfig::named("big")
    }
    .with_seed(fixtures::scale_seed("big", 10_000));
    let s = ApiServer::start(cfg).await.unwrap();
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(60),
    );
    let ws = wait_for(&c, "10,000 workloads", |ws| ws.len() == 10_000).await;
    assert!(
        ws.iter()
            .all(|w| w.rollout == RolloutState::Available
                && w.served_version.as_deref() == Some("1"))
    );
    assert!(s.request_count("list", "deployments") >= 20, "paged by 500");
    // A change to one of them still arrives through the watch.
    s.merge_patch("apps/v1", "Deployment", "team-07", "serve-00007", json!({"spec": {"template": {"metadata": {"annotations": {"modeldeck.io/model-version": "2"}}}}})).unwrap();
    wait_for(&c, "the change", |ws| {
        find(ws, "team-07", "serve-00007").and_then(|w| w.served_version.as_deref()) == Some("2")
    })
    .await;
}
