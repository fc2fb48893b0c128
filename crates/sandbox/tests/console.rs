//! A real `modeldeck_core::Console` on the sandbox's ports: writes show in
//! the next snapshot, and an outage turns panels stale while keeping data.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::console::PanelState;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, ErrorCode};
use std::time::Duration;

#[tokio::test]
async fn an_alias_move_shows_in_the_next_snapshot() {
    let sb = demo(42);
    let console = console(&sb);
    console.refresh_all().await;
    let snap = console.snapshot();
    assert_eq!(snap.models.len(), 12);
    assert_eq!(snap.workloads.len(), 19);
    assert_eq!(snap.health.len(), 19);
    let fraud = snap.model("fraud-detector").unwrap();
    assert_eq!(fraud.aliases.get("champion").map(String::as_str), Some("7"));

    sb.backends()
        .registry
        .set_alias("fraud-detector", "champion", "8")
        .await
        .unwrap();
    console.refresh_all().await;
    let snap = console.snapshot();
    let fraud = snap.model("fraud-detector").unwrap();
    assert_eq!(fraud.aliases.get("champion").map(String::as_str), Some("8"));
    assert_eq!(fraud.aliases_of("8"), vec!["challenger", "champion"]);
    let v8 = sb
        .backends()
        .registry
        .get_version("fraud-detector", "8")
        .await
        .unwrap();
    assert_eq!(v8.aliases, vec!["challenger", "champion"]);
}

#[tokio::test]
async fn a_promotion_rollout_shows_in_snapshots_until_available() {
    let sb = demo(42);
    let console = console(&sb);
    console.refresh_all().await;
    let target = fraud_eu();
    sb.backends()
        .cluster
        .set_served_version(&target, "8", None)
        .await
        .unwrap();
    console.refresh_all().await;
    let w = console
        .snapshot()
        .workloads
        .iter()
        .find(|w| w.id == target)
        .cloned()
        .unwrap();
    assert_eq!(w.rollout.label(), "Progressing");
    sb.advance(Duration::from_secs(60));
    console.refresh_all().await;
    let w = console
        .snapshot()
        .workloads
        .iter()
        .find(|w| w.id == target)
        .cloned()
        .unwrap();
    assert_eq!(w.rollout, RolloutState::Available);
    assert_eq!(w.served_version.as_deref(), Some("8"));
}

#[tokio::test]
async fn an_outage_is_unreachable_and_the_console_goes_stale_with_old_data() {
    let sb = demo(42);
    let console = console(&sb);
    console.refresh_all().await;
    let before = console.snapshot();
    assert_eq!(
        before.cluster.panel_state(before.workloads.is_empty()),
        PanelState::Ready
    );

    sb.set_outage(Backend::Cluster, true);
    sb.set_outage(Backend::Metrics, true);
    let err = sb.backends().cluster.list_workloads().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);
    assert_eq!(err.backend, Backend::Cluster);
    let err = sb
        .backends()
        .metrics
        .fleet_health(&[target(&fraud_eu())])
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable);

    sb.advance(Duration::from_secs(5));
    console.refresh_all().await;
    let snap = console.snapshot();
    match snap.cluster.panel_state(snap.workloads.is_empty()) {
        PanelState::Stale { reason, since } => {
            assert!(reason.contains("unreachable"), "{reason}");
            assert_eq!(since, sb.clock().now());
        }
        other => panic!("expected stale, got {other:?}"),
    }
    assert!(matches!(
        snap.metrics.panel_state(false),
        PanelState::Stale { .. }
    ));
    assert_eq!(
        snap.workloads.len(),
        before.workloads.len(),
        "old workloads kept"
    );
    assert_eq!(snap.health.len(), before.health.len(), "old health kept");
    // The registry is not affected by the others' outage.
    assert_eq!(
        snap.registry.panel_state(snap.models.is_empty()),
        PanelState::Ready
    );

    sb.set_outage(Backend::Cluster, false);
    sb.set_outage(Backend::Metrics, false);
    console.refresh_all().await;
    let snap = console.snapshot();
    assert_eq!(snap.cluster.panel_state(false), PanelState::Ready);
    assert_eq!(snap.metrics.panel_state(false), PanelState::Ready);
}

#[tokio::test]
async fn a_console_that_never_read_shows_failed() {
    let sb = demo(42);
    sb.set_outage(Backend::Registry, true);
    let console = console(&sb);
    console.refresh_all().await;
    let snap = console.snapshot();
    assert!(matches!(
        snap.registry.panel_state(true),
        PanelState::Failed(_)
    ));
}

#[tokio::test]
async fn compare_sees_the_seeded_runs() {
    let sb = demo(42);
    let console = console(&sb);
    let cmp = console.compare("fraud-detector", "7", "8").await.unwrap();
    let json = serde_json::to_value(&cmp).unwrap();
    let text = json.to_string();
    assert!(text.contains("auc") && text.contains("log_loss"), "{text}");
}
