//! Live gates around an execution (test 5): a metrics outage before or
//! after deploy is a failure (refuse, or compensate); inconclusive values
//! pause for a human; a rollout that degrades is compensated.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::*;
use modeldeck_core::error::Backend;
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::service::{HistoryKind, served_at};
use std::time::Duration;

/// Test 5a: the metrics backend down while gates are read before execution:
/// the gates fail, nothing is changed.
async fn outage_before_execution(w: &World) {
    let svc = w.service("ci-runner");
    let id = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &id, &["bob"]).await;
    let before = served(w, "recsys-ranker", "champion").await;
    w.control.set_outage(Backend::Metrics, true);
    let calls = w.ports.calls();
    w.act_as("carol");
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "gate_failed", "{err}");
    assert!(
        err.to_string().contains("drift (metrics unavailable"),
        "{err}"
    );
    assert!(
        w.ports
            .writes_since(calls)
            .iter()
            .all(|w| w.contains("/audit/"))
    );
    assert_eq!(served(w, "recsys-ranker", "champion").await, before);
    w.control.set_outage(Backend::Metrics, false);
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::Approved
    );
}

#[tokio::test]
async fn a_metrics_outage_before_execution_fails_the_gates() {
    outage_before_execution(&World::demo(42)).await;
}

/// Test 5b: the metrics backend goes down during the bake, before the
/// post-deploy gates: a failure, so alias and workloads are put back.
async fn outage_after_deploy(w: &World) {
    let control = w.control.clone();
    let svc = w.service_with(
        "ci-runner",
        Some(Box::new(move |d: Duration| {
            if d == Duration::from_secs(30) {
                control.set_outage(Backend::Metrics, true);
            }
        })),
    );
    let before = served(w, "recsys-ranker", "champion").await;
    let id = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rolled_back", "{err}");
    assert!(
        err.to_string().contains("post-deploy gate failed")
            && err.to_string().contains("metrics unavailable"),
        "{err}"
    );
    w.control.set_outage(Backend::Metrics, false);
    settle(w, "recsys-ranker").await;
    assert_eq!(
        served(w, "recsys-ranker", "champion").await,
        before,
        "alias and workloads back as before"
    );
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::RolledBack);
    assert!(
        st.outcome
            .unwrap()
            .reason
            .unwrap()
            .contains("metrics unavailable")
    );
    let h = svc.history("recsys-ranker", None).await.unwrap();
    assert_eq!(
        h.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![HistoryKind::Aborted]
    );
    assert_eq!(
        served_at(&h, w.control.clock().now()),
        Some("7".into()),
        "{h:#?}"
    );
}

#[tokio::test]
async fn a_metrics_outage_after_deploy_compensates() {
    outage_after_deploy(&World::demo(42)).await;
}

/// Test 5c: inconclusive post-deploy gates (a batch job has no live
/// traffic to judge) pause for a human; the pause is never shown as done.
async fn inconclusive_after_deploy(w: &World, confirm: bool) {
    let svc = w.service("ci-runner");
    let before = served(w, "churn-model", "champion").await;
    let id = request(w, &svc, "alice", "churn-model", "4").await;
    approve(w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "gate_inconclusive", "{err}");
    assert!(
        err.to_string().contains("no traffic") || err.to_string().contains("no p99 data"),
        "{err}"
    );
    let st = svc.status(&id).await.unwrap();
    assert_eq!(
        st.promotion.state,
        PromotionState::Executing,
        "deployed but not done"
    );
    assert_eq!(
        st.phase,
        Some(modeldeck_core::domain::ExecutionPhase::AwaitingDecision)
    );
    assert!(all_on(&served(w, "churn-model", "champion").await, "4"));
    // Asking again without a decision changes nothing.
    let calls = w.ports.calls();
    assert_eq!(
        svc.execute(&id, ExecuteOptions::default())
            .await
            .unwrap_err()
            .code(),
        "gate_inconclusive"
    );
    assert!(
        w.ports
            .writes_since(calls)
            .iter()
            .all(|w| w.contains("/audit/") || w.contains("/claim") || w.contains("/exec")),
        "{:?}",
        w.ports.writes_since(calls)
    );
    if confirm {
        w.act_as("dana");
        let r = svc
            .execute(
                &id,
                ExecuteOptions {
                    confirm_inconclusive: true,
                    ..ExecuteOptions::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(r.state, PromotionState::Promoted);
        assert!(all_on(&served(w, "churn-model", "champion").await, "4"));
    } else {
        w.act_as("dana");
        let r = svc
            .rollback_promotion(&id, "no traffic to judge v4 on; not risking it")
            .await
            .unwrap();
        assert_eq!(r.restored_version.as_deref(), Some("5"));
        settle(w, "churn-model").await;
        assert_eq!(served(w, "churn-model", "champion").await, before);
        assert_eq!(
            svc.status(&id).await.unwrap().promotion.state,
            PromotionState::RolledBack
        );
    }
}

#[tokio::test]
async fn inconclusive_post_deploy_gates_wait_for_a_human_who_confirms() {
    inconclusive_after_deploy(&World::demo(42), true).await;
}

#[tokio::test]
async fn inconclusive_post_deploy_gates_wait_for_a_human_who_rolls_back() {
    inconclusive_after_deploy(&World::demo(42), false).await;
}

/// Test 5d: an inconclusive gate before execution (the fairness metric is
/// missing) refuses to start until a human confirms.
async fn inconclusive_before_execution(w: &World) {
    let svc = w.service("ci-runner");
    let id = request(w, &svc, "alice", "ltv-estimator", "3").await;
    approve(w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    let calls = w.ports.calls();
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "gate_inconclusive", "{err}");
    assert!(
        err.to_string().contains("fairness") && err.to_string().contains("demographic_parity_gap"),
        "{err}"
    );
    assert!(
        w.ports
            .writes_since(calls)
            .iter()
            .all(|w| w.contains("/audit/"))
    );
    let r = svc
        .execute(
            &id,
            ExecuteOptions {
                confirm_inconclusive: true,
                ..ExecuteOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.state, PromotionState::Promoted);
}

#[tokio::test]
async fn inconclusive_gates_before_execution_need_a_confirmation() {
    inconclusive_before_execution(&World::demo(42)).await;
}

/// A version whose pods never get ready: the rollout degrades and the
/// promotion is compensated.
async fn broken_version(w: &World) {
    let svc = w.service("ci-runner");
    let before = served(w, "spam-filter", "champion").await;
    let id = request(w, &svc, "alice", "spam-filter", "7").await;
    approve(w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "rolled_back", "{err}");
    assert!(
        err.to_string().contains("degraded") || err.to_string().contains("not Available"),
        "{err}"
    );
    settle(w, "spam-filter").await;
    assert_eq!(served(w, "spam-filter", "champion").await, before);
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::RolledBack
    );
}

#[tokio::test]
async fn a_rollout_that_degrades_is_compensated() {
    broken_version(&World::demo(42)).await;
}
