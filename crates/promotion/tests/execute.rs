//! Executing promotions on the sandbox: the happy path, the approved state
//! re-checked (test 1), 100 concurrent executes (test 3), metrics outages
//! and inconclusive gates (test 5), rollback and history (test 6), and the
//! demo's seeded request.

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::*;
use modeldeck_core::error::Backend;
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::service::{HistoryKind, served_at};
use modeldeck_promotion::tags;
use std::sync::Arc;
use std::time::Duration;

async fn happy_path(w: &World) {
    let svc = w.service("ci-runner");
    let before = served(w, "recsys-ranker", "champion").await;
    assert_eq!(before.alias.as_deref(), Some("7"));
    let id = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &id, &["bob"]).await;
    let st = svc.status(&id).await.unwrap();
    assert_eq!(
        st.promotion.state,
        PromotionState::Approved,
        "{:#?}",
        st.promotion.gates
    );
    for g in &st.promotion.gates {
        println!("gate {:<18} {:?} {}", g.name, g.status, g.detail);
    }
    w.act_as("carol");
    let report = svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    assert_eq!(report.state, PromotionState::Promoted);
    assert!(report.wrote);
    let after = served(w, "recsys-ranker", "champion").await;
    assert!(all_on(&after, "8"), "{after:?}");
    for (t, (_, uid)) in &after.targets {
        assert_eq!(uid, &before.targets[t].1, "same objects, patched in place");
        assert_eq!(w.workload(t).await.rollout, RolloutState::Available);
    }
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Promoted);
    assert!(st.drift.is_empty(), "{:?}", st.drift);
    // The journal verifies and every entry about the promotion is mirrored
    // into a registry tag carrying the same hash.
    let v = svc.journal().verify().unwrap();
    let lines = read_path(svc.journal().path()).unwrap();
    assert_eq!(v.count as usize, lines.len());
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l.record.entry.action.as_str())
        .collect();
    for a in [
        "promotion.requested",
        "promotion.approved",
        "promotion.executing",
        "alias.moved",
        "workload.patched",
        "promotion.promoted",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let version = w
        .backends()
        .registry
        .get_version("recsys-ranker", "8")
        .await
        .unwrap();
    let mirrored = &tags::collect(&version.tags)[&id].audit;
    for l in lines
        .iter()
        .filter(|l| l.record.promotion.as_deref() == Some(id.as_str()))
    {
        assert!(
            mirrored
                .values()
                .any(|m| m.hash == l.hash && m.seq == l.seq),
            "entry {} not mirrored",
            l.seq
        );
    }
}

#[tokio::test]
async fn a_promotion_runs_from_request_to_promoted() {
    happy_path(&World::demo(42)).await;
}

/// Test 1: a workload changed after approval: refused, says what changed,
/// writes nothing, one "refused" audit entry.
async fn changed_after_approval(w: &World) {
    let svc = w.service("ci-runner");
    let id = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &id, &["bob"]).await;
    let targets = w.targets_of("recsys-ranker").await;
    let touched = &targets[0];
    // Someone else rolls the first target back to v6 by hand.
    w.backends()
        .cluster
        .set_served_version(touched, "6", None)
        .await
        .unwrap();
    let before = served(w, "recsys-ranker", "champion").await;
    let journal_before = svc.journal().head().0;
    let calls = w.ports.calls();
    w.act_as("carol");
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "refused_stale_state", "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&touched.to_string()) && msg.contains("served version v7 -> v6"),
        "{msg}"
    );
    let writes = w.ports.writes_since(calls);
    assert!(
        writes
            .iter()
            .all(|w| w.starts_with("set_version_tag") && w.contains("/audit/")),
        "only the audit mirror may be written: {writes:?}"
    );
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(served(w, "recsys-ranker", "champion").await, before);
    let lines = read_path(svc.journal().path()).unwrap();
    assert_eq!(
        lines.len() as u64,
        journal_before + 1,
        "exactly one audit entry"
    );
    let last = &lines.last().unwrap().record.entry;
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("promotion.execute", "carol")
    );
    assert!(
        last.outcome.starts_with("refused: refused_stale_state"),
        "{}",
        last.outcome
    );
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::Requested,
        "the stale approval no longer counts"
    );
}

#[tokio::test]
async fn a_workload_changed_after_approval_refuses_execution() {
    changed_after_approval(&World::demo(42)).await;
}

/// Test 3: 100 concurrent executes of one approved promotion: one alias
/// write and one patch per workload.
async fn concurrent_executes(w: &World) {
    let svc = Arc::new(w.service("ci-runner"));
    let id = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    let calls = w.ports.calls();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let svc = svc.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            svc.execute(&id, ExecuteOptions::default()).await
        }));
    }
    let mut wrote = 0;
    for t in tasks {
        let r = t.await.unwrap().unwrap();
        assert_eq!(r.state, PromotionState::Promoted);
        wrote += usize::from(r.wrote);
    }
    assert_eq!(wrote, 1, "exactly one execute did the work");
    let aliases = w.ports.ok_counts(calls, "set_alias");
    assert_eq!(aliases.values().sum::<usize>(), 1, "{aliases:?}");
    let patches = w.ports.ok_counts(calls, "set_served_version");
    let targets = w.targets_of("recsys-ranker").await;
    assert_eq!(patches.len(), targets.len(), "{patches:?}");
    assert!(patches.values().all(|n| *n == 1), "{patches:?}");
    println!(
        "100 concurrent executes: {} alias write(s), patches {patches:?}",
        aliases.values().sum::<usize>()
    );
    assert!(all_on(&served(w, "recsys-ranker", "champion").await, "8"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_executes_write_once() {
    concurrent_executes(&World::demo(42)).await;
}

/// Two executors (two processes) racing: the claim keeps one out, and the
/// resourceVersion precondition makes any double patch a conflict.
async fn two_executors(w: &World) {
    let a = Arc::new(w.service("runner-a"));
    let b = Arc::new(w.service("runner-b"));
    let id = request(w, &a, "alice", "recsys-ranker", "8").await;
    approve(w, &a, &id, &["bob"]).await;
    w.act_as("carol");
    let calls = w.ports.calls();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let svc = if i % 2 == 0 { a.clone() } else { b.clone() };
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            svc.execute(&id, ExecuteOptions::default()).await
        }));
    }
    let mut promoted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => {
                assert_eq!(r.state, PromotionState::Promoted);
                promoted += 1;
            }
            Err(e) => assert_eq!(e.code(), "in_progress", "{e}"),
        }
    }
    assert!(promoted >= 1);
    let patches = w.ports.ok_counts(calls, "set_served_version");
    assert!(
        patches.values().all(|n| *n == 1),
        "one effective patch per workload: {patches:?}"
    );
    assert!(all_on(&served(w, "recsys-ranker", "champion").await, "8"));
    assert_eq!(
        a.status(&id).await.unwrap().promotion.state,
        PromotionState::Promoted
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_executors_racing_change_each_workload_once() {
    two_executors(&World::demo(7)).await;
}

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
        Some(modeldeck_promotion::tags::Phase::AwaitingDecision)
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
