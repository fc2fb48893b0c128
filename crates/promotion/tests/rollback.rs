//! Rollback and history (test 6), and the demo's seeded request going
//! through review and execution.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::*;
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::service::{HistoryKind, served_at};
use std::time::Duration;

/// Test 6: rollback restores exactly the previous served version and the
/// alias, and history answers which version served when.
async fn rollback_restores(w: &World) {
    let svc = w.service("ci-runner");
    let before = served(w, "recsys-ranker", "champion").await;
    let t0 = w.control.clock().now();
    let id = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    let promoted = served(w, "recsys-ranker", "champion").await;
    assert!(all_on(&promoted, "8"));
    w.control.advance(Duration::from_secs(3600));
    w.act_as("oncall");
    let r = svc
        .rollback("recsys-ranker", None, "p99 regression reported by search")
        .await
        .unwrap();
    assert_eq!(
        (
            r.promotion.as_str(),
            r.from_version.as_str(),
            r.restored_version.as_deref()
        ),
        (id.as_str(), "8", Some("7"))
    );
    settle(w, "recsys-ranker").await;
    assert_eq!(
        served(w, "recsys-ranker", "champion").await,
        before,
        "exactly as before: versions and objects"
    );
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::RolledBack);
    assert!(
        st.outcome
            .as_ref()
            .unwrap()
            .reason
            .as_ref()
            .unwrap()
            .contains("oncall")
    );

    let h = svc.history("recsys-ranker", None).await.unwrap();
    assert_eq!(
        h.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![HistoryKind::Promoted, HistoryKind::RolledBack]
    );
    let (p, rb) = (h[0].at, h[1].at);
    assert!(t0 < p && p < rb);
    assert_eq!(served_at(&h, t0), Some("7".into()));
    assert_eq!(served_at(&h, p.plus_millis(1)), Some("8".into()));
    assert_eq!(served_at(&h, rb), Some("7".into()));
    let periods = modeldeck_promotion::service::HistoryEvent::periods(&h);
    assert_eq!(periods.len(), 2);
    assert_eq!(
        (periods[0].version.as_deref(), periods[0].to),
        (Some("8"), Some(rb))
    );

    // Nothing left to roll back.
    let err = svc
        .rollback("recsys-ranker", None, "again")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_found", "{err}");

    // Promote again, then someone moves the alias by hand: the rollback
    // refuses rather than undo someone else's change.
    let id2 = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &id2, &["bob"]).await;
    w.act_as("carol");
    svc.execute(&id2, ExecuteOptions::default()).await.unwrap();
    w.backends()
        .registry
        .set_alias("recsys-ranker", "champion", "6")
        .await
        .unwrap();
    let calls = w.ports.calls();
    let err = svc
        .rollback("recsys-ranker", None, "undo")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "refused_stale_state", "{err}");
    assert!(
        err.to_string().contains("champion now points at v6"),
        "{err}"
    );
    assert!(
        w.ports
            .writes_since(calls)
            .iter()
            .all(|w| w.contains("/audit/"))
    );
}

#[tokio::test]
async fn rollback_restores_the_previous_version_and_alias_exactly() {
    rollback_restores(&World::demo(42)).await;
}

/// The demo's seeded request (fraud-detector v8 by dana.kowalski) shows in
/// a reviewer's inbox and goes through with two approvals.
async fn seeded_request(w: &World) {
    let svc = w.service("ci-runner");
    w.act_as("bob");
    let inbox = svc.inbox().await.unwrap();
    let p = inbox
        .iter()
        .find(|s| s.promotion.model == "fraud-detector")
        .expect("seeded request in bob's inbox");
    let id = p.promotion.id.clone();
    assert_eq!(p.promotion.requested_by, "dana.kowalski");
    // A second request for the same alias is refused while it is open.
    w.act_as("alice");
    let err = svc
        .request(modeldeck_promotion::NewPromotion {
            model: "fraud-detector".into(),
            version: "6".into(),
            reason: "rollback to v6".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "refused_conflict", "{err}");
    approve(w, &svc, &id, &["bob"]).await;
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::Requested,
        "fraud-* needs two approvals"
    );
    w.act_as("bob");
    assert!(
        svc.inbox()
            .await
            .unwrap()
            .iter()
            .all(|s| s.promotion.id != id),
        "decided: out of bob's inbox"
    );
    approve(w, &svc, &id, &["carol"]).await;
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Approved);
    let auc = st
        .promotion
        .gates
        .iter()
        .find(|g| g.name == "metric:auc")
        .unwrap();
    assert_eq!(auc.status, GateStatus::Pass, "{}", auc.detail);
    w.act_as("ops");
    svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    assert!(all_on(&served(w, "fraud-detector", "champion").await, "8"));
}

#[tokio::test]
async fn the_demo_seeded_request_can_be_reviewed_and_executed() {
    seeded_request(&World::demo(42)).await;
}
