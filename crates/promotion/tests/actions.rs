//! Which actions a user may take, and why not (`Promotions::review` /
//! `allowed_actions`), on the sandbox demo world: every "allowed" is
//! followed by the real action succeeding, every "blocked" by the real
//! action being refused, so the preview cannot drift from the service.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::PromotionState;
use modeldeck_promotion::{ActionKind, ExecuteOptions, Promotions, Review};

fn blocked(r: &Review, a: ActionKind) -> String {
    let c = r.check(a).unwrap();
    c.blocked
        .clone()
        .unwrap_or_else(|| panic!("{a:?} should be blocked: {:?}", r.actions))
}

fn allowed(r: &Review, a: ActionKind) {
    let c = r.check(a).unwrap();
    assert!(c.allowed(), "{a:?} should be allowed: {:?}", c.blocked);
}

async fn demo_id(svc: &Promotions) -> String {
    let all = svc.list(Some("fraud-detector")).await.unwrap();
    let p = all
        .iter()
        .find(|s| s.promotion.state == PromotionState::Requested)
        .expect("the demo's pending fraud-detector promotion");
    p.promotion.id.clone()
}

#[tokio::test]
async fn requester_reviewer_and_reader_see_what_they_may_do() {
    let w = World::demo(7);
    let svc = w.service("console");
    let id = demo_id(&svc).await;

    // The requester: no self-approval, no reject, may cancel.
    w.act_as("dana.kowalski");
    let r = svc.review(&id).await.unwrap();
    assert_eq!(r.actor.as_deref(), Some("dana.kowalski"));
    assert!(blocked(&r, ActionKind::Approve).contains("four-eyes"));
    assert!(blocked(&r, ActionKind::Reject).contains("requested this promotion"));
    allowed(&r, ActionKind::Cancel);
    let exec = blocked(&r, ActionKind::Execute);
    assert!(exec.contains("0 of 2"), "{exec}");
    assert!(blocked(&r, ActionKind::Rollback).contains("Requested"));
    assert!(svc.approve(&id, "mine").await.is_err());
    assert!(svc.execute(&id, ExecuteOptions::default()).await.is_err());

    // A reader whom RBAC denies everything.
    w.act_as("reader");
    w.control.set_access("*", "*", false);
    let r = svc.review(&id).await.unwrap();
    for a in ActionKind::ALL {
        let why = blocked(&r, a);
        assert!(!why.is_empty());
    }
    assert!(blocked(&r, ActionKind::Approve).contains("Kubernetes RBAC"));
    assert!(blocked(&r, ActionKind::Cancel).contains("only the requester"));
    assert!(svc.approve(&id, "ok").await.is_err());
    w.control.set_access("*", "*", true);

    // A reviewer: may approve or reject, not cancel.
    w.act_as("alice");
    let r = svc.review(&id).await.unwrap();
    allowed(&r, ActionKind::Approve);
    allowed(&r, ActionKind::Reject);
    assert!(blocked(&r, ActionKind::Cancel).contains("dana.kowalski"));
    assert!(r.approvals.is_empty());
    assert_eq!(r.min_approvals, 2);
    svc.approve(&id, "numbers look right").await.unwrap();

    // Having approved: no second decision; the approval counts and expires.
    let r = svc.review(&id).await.unwrap();
    assert!(blocked(&r, ActionKind::Approve).contains("already approved"));
    assert_eq!(r.approvals.len(), 1);
    let a = &r.approvals[0];
    assert!(a.counts && a.problem.is_none());
    assert!(a.expires_at > a.approval.at);
    let exec = blocked(&r, ActionKind::Execute);
    assert!(exec.contains("1 of 2"), "{exec}");
}

#[tokio::test]
async fn execute_is_allowed_when_the_service_would_run_it_and_then_rollback() {
    let w = World::demo(7);
    let svc = w.service("console");
    let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
    approve(&w, &svc, &id, &["bob"]).await;

    w.act_as("carol");
    let r = svc.review(&id).await.unwrap();
    assert_eq!(r.status.promotion.state, PromotionState::Approved);
    allowed(&r, ActionKind::Execute);
    svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    let r = svc.review(&id).await.unwrap();
    assert_eq!(r.status.promotion.state, PromotionState::Promoted);
    assert!(blocked(&r, ActionKind::Execute).contains("Promoted"));
    assert!(blocked(&r, ActionKind::Approve).contains("closed"));
    allowed(&r, ActionKind::Rollback);
    svc.rollback_promotion(&id, "test").await.unwrap();
    let r = svc.review(&id).await.unwrap();
    assert!(blocked(&r, ActionKind::Rollback).contains("RolledBack"));
}

#[tokio::test]
async fn a_changed_workload_blocks_execute_with_what_changed() {
    let w = World::demo(7);
    let svc = w.service("console");
    let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
    approve(&w, &svc, &id, &["bob"]).await;
    let target = w.targets_of("recsys-ranker").await.remove(0);
    let before = w.workload(&target).await;
    w.backends()
        .cluster
        .set_served_version(&target, "6", Some(&before.resource_version))
        .await
        .unwrap();

    w.act_as("carol");
    let r = svc.review(&id).await.unwrap();
    let why = blocked(&r, ActionKind::Execute);
    assert!(why.contains("changed since"), "{why}");
    assert!(why.contains(&target.to_string()), "{why}");
    assert!(!r.approvals[0].counts);
    assert!(r.approvals[0].problem.is_some());
    assert!(svc.execute(&id, ExecuteOptions::default()).await.is_err());
}
