//! A world saved with `save_state` and restored in another process (the
//! CLI's `--sandbox` state between commands) is the same world: the same
//! workloads, aliases, tags and resourceVersions, a rollout under way
//! still going, and the clock where it stood.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_sandbox::{Sandbox, SandboxError};
use std::time::Duration;

async fn workload(sb: &Sandbox, r: &WorkloadRef) -> Workload {
    sb.backends()
        .cluster
        .list_workloads()
        .await
        .unwrap()
        .into_iter()
        .find(|w| &w.id == r)
        .unwrap()
}

#[tokio::test]
async fn a_restored_world_carries_writes_rollouts_and_the_clock() {
    let sb = demo(42);
    let target = fraud_eu();
    let before = workload(&sb, &target).await;
    let b = sb.backends();
    b.cluster
        .set_served_version(&target, "8", Some(&before.resource_version))
        .await
        .unwrap();
    b.registry
        .set_version_tag("fraud-detector", "8", "reviewed", "yes")
        .await
        .unwrap();
    b.registry
        .set_alias("fraud-detector", "champion", "8")
        .await
        .unwrap();
    sb.advance(Duration::from_secs(3));
    let mid = workload(&sb, &target).await;
    assert!(
        matches!(mid.rollout, RolloutState::Progressing { .. }),
        "{:?}",
        mid.rollout
    );

    let saved = sb.save_state().unwrap();
    let back = Sandbox::restore_state(&saved).unwrap();
    assert_eq!(back.clock().now(), sb.clock().now());
    let restored = workload(&back, &target).await;
    assert_eq!(restored, mid);
    let v = back
        .backends()
        .registry
        .get_version("fraud-detector", "8")
        .await
        .unwrap();
    assert_eq!(v.tags.get("reviewed").map(String::as_str), Some("yes"));
    assert!(v.aliases.contains(&"champion".to_string()));

    // Both go on the same way from here.
    sb.advance(Duration::from_secs(600));
    back.advance(Duration::from_secs(600));
    let a = workload(&sb, &target).await;
    let r = workload(&back, &target).await;
    assert_eq!(a, r);
    assert_eq!(r.rollout, RolloutState::Available);
    assert_eq!(r.served_version.as_deref(), Some("8"));
}

#[test]
fn a_damaged_state_is_refused_with_where_it_broke() {
    let sb = demo(42);
    let saved = sb.save_state().unwrap();
    let cut = &saved[..saved.len() / 2];
    match Sandbox::restore_state(cut) {
        Err(SandboxError::State { message }) => {
            assert!(message.contains("line 1"), "{message}")
        }
        other => panic!("expected a State error, got {:?}", other.map(|_| ())),
    }
}
