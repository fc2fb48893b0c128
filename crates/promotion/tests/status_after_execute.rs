//! After an execution, the checklist judges the approvals against the world
//! as the execution's plan recorded it: the execution itself moved the
//! alias and the workloads, which must not read as "changed since approval".

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::*;
use modeldeck_promotion::ExecuteOptions;

#[tokio::test]
async fn a_promoted_promotion_still_shows_its_approvals_as_counted() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    w.act_as("bob");
    let id = svc
        .inbox()
        .await
        .unwrap()
        .iter()
        .find(|s| s.promotion.model == "fraud-detector")
        .unwrap()
        .promotion
        .id
        .clone();
    approve(&w, &svc, &id, &["bob", "carol"]).await;
    w.act_as("ops");
    svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Promoted);
    let gate = |name: &str| {
        st.promotion
            .gates
            .iter()
            .find(|g| g.name == name)
            .unwrap_or_else(|| panic!("no {name} gate: {:?}", st.promotion.gates))
            .clone()
    };
    let approvals = gate("approvals");
    assert_eq!(approvals.status, GateStatus::Pass, "{}", approvals.detail);
    assert!(
        approvals.detail.contains("as when execution started"),
        "{}",
        approvals.detail
    );
    let bound = gate("bound_state");
    assert_eq!(bound.status, GateStatus::Pass, "{}", bound.detail);
    assert!(st.not_counted.is_empty(), "{:?}", st.not_counted);
    assert!(st.drift.is_empty(), "{:?}", st.drift);
}
