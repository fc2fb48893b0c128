//! Executing promotions on the sandbox: the happy path, the approved state
//! re-checked (test 1), 100 concurrent executes and two racing executors
//! (test 3).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::*;
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::tags;
use std::sync::Arc;

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
        assert!(
            l.record.mirror_failures.is_empty(),
            "{:?}",
            l.record.mirror_failures
        );
    }
    // ... and into a Kubernetes Event on every target.
    for t in after.targets.keys() {
        let evs = w.backends().cluster.events(t).await.unwrap();
        let reasons: Vec<&str> = evs.iter().map(|e| e.reason.as_str()).collect();
        for r in [
            "PromotionRequested",
            "PromotionApproved",
            "PromotionExecuting",
            "WorkloadPatched",
            "PromotionPromoted",
        ] {
            assert!(reasons.contains(&r), "{t}: {r} missing from {reasons:?}");
        }
        let done = evs
            .iter()
            .find(|e| e.reason == "PromotionPromoted")
            .unwrap();
        assert!(
            done.message.contains(&id) && done.message.contains("carol"),
            "{done:?}"
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
