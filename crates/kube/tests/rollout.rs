//! Rollouts through the adapter against the sandbox API server: a version
//! change rolls Progressing -> Available as `kubectl rollout status` would
//! judge it, leaves Events, logs follow, rollback restores the previous
//! revision, and a stalled rollout turns Degraded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::fixtures;
use modeldeck_core::domain::{RolloutState, WorkloadKind, WorkloadRef};
use modeldeck_core::ports::Cluster;
use modeldeck_kube::LogOptions;
use serde_json::json;
use std::time::Duration;

fn fraud() -> WorkloadRef {
    WorkloadRef {
        cluster: "alpha".into(),
        namespace: "ml-prod".into(),
        kind: WorkloadKind::Deployment,
        name: "fraud-detector".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_change_rolls_out_with_events_and_logs() {
    let s = server("alpha", fixtures::demo_seed("alpha"), true).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let ws = wait_for(&c, "sync", |ws| ws.len() == 8).await;
    let before = find(&ws, "ml-prod", "fraud-detector").unwrap().clone();
    assert_eq!(before.rollout, RolloutState::Available);

    // Record every state the adapter reports until the rollout completes.
    let mut rx = c.changed().unwrap();
    let w = c
        .set_served_version(&fraud(), "8", Some(&before.resource_version))
        .await
        .unwrap();
    assert_eq!(w.served_version.as_deref(), Some("8"));
    let mut seen = vec![w.rollout.clone()];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ws = c.list_workloads().await.unwrap();
        let now = find(&ws, "ml-prod", "fraud-detector").unwrap();
        if seen.last() != Some(&now.rollout) {
            seen.push(now.rollout.clone());
        }
        if now.rollout == RolloutState::Available
            && now.served_version.as_deref() == Some("8")
            && now.ready_replicas == 3
        {
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_ok(),
            "rollout never completed: {seen:?}"
        );
    }
    assert!(
        matches!(seen.first(), Some(RolloutState::Progressing { .. })),
        "{seen:?}"
    );
    assert!(seen.iter().any(|s| matches!(s, RolloutState::Progressing { updated, desired: 3 } if *updated >= 1 && *updated < 3)), "partial progress was visible: {seen:?}");
    assert_eq!(seen.last(), Some(&RolloutState::Available));

    let evs = c.events(&fraud()).await.unwrap();
    assert!(evs.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    assert!(
        evs.iter()
            .any(|e| e.reason == "ScalingReplicaSet" && e.object == "Deployment/fraud-detector"),
        "{evs:#?}"
    );
    assert!(
        evs.iter()
            .any(|e| e.object.starts_with("ReplicaSet/fraud-detector-")
                && e.reason == "SuccessfulCreate"),
        "{evs:#?}"
    );
    assert!(
        evs.iter()
            .any(|e| e.object.starts_with("Pod/fraud-detector-") && e.reason == "Started"),
        "{evs:#?}"
    );
    assert!(
        !evs.iter().any(|e| e.object.contains("recommender")),
        "only this workload's events"
    );

    let lines = c
        .tail_logs(
            &fraud(),
            &LogOptions {
                tail_lines: 3,
                ..LogOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.pod.starts_with("fraud-detector-")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_rollout_turns_degraded_and_paused_keeps_logs() {
    let s = server("alpha", fixtures::demo_seed("alpha"), false).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    wait_for(&c, "sync", |ws| ws.len() == 8).await;
    s.merge_patch(
        "apps/v1",
        "Deployment",
        "ml-prod",
        "fraud-detector",
        json!({"spec": {"progressDeadlineSeconds": 2, "template": {"metadata": {"annotations": {
        "sandbox.modeldeck.io/fail": "true", "modeldeck.io/model-version": "8"}}}}}),
    )
    .unwrap();
    let ws = wait_for(&c, "Degraded", |ws| {
        matches!(
            find(ws, "ml-prod", "fraud-detector").map(|w| &w.rollout),
            Some(RolloutState::Degraded { .. })
        )
    })
    .await;
    let w = find(&ws, "ml-prod", "fraud-detector").unwrap();
    assert!(
        matches!(&w.rollout, RolloutState::Degraded { reason } if reason.contains("timed out progressing")),
        "{:?}",
        w.rollout
    );
    assert_eq!(w.ready_replicas, 3, "the old pods keep serving");
    let mut evs = Vec::new();
    for _ in 0..100 {
        evs = c.events(&fraud()).await.unwrap();
        if evs.iter().any(|e| e.kind == "Warning") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        evs.iter()
            .any(|e| e.kind == "Warning" && e.reason == "Failed" && e.object.starts_with("Pod/")),
        "{evs:#?}"
    );
    assert!(evs.iter().any(|e| e.reason == "BackOff"), "{evs:#?}");
    let err = c
        .tail_logs(
            &WorkloadRef {
                name: "search-ranker".into(),
                namespace: "ml-staging".into(),
                ..fraud()
            },
            &LogOptions::default(),
        )
        .await;
    assert!(err.is_ok(), "paused deployments still have logs: {err:?}");
}
