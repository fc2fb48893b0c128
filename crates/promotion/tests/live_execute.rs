//! Executing promotions on the REAL backends (a real MLflow, the sandbox
//! API servers through the kube adapter): the happy path with KServe canary
//! steps and the audit mirrored into MLflow tags and Kubernetes Events;
//! test 1 (a workload changed after approval), test 3 (100 concurrent
//! executes write once) and test 6 (rollback restores the exact template,
//! storageUri and alias). Each asserts on MLflow (REST), the API server's
//! objects and the journal.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;
mod live;

use live::{Live, approve, request};
use modeldeck_core::domain::*;
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::tags;
use std::sync::Arc;
use std::time::Instant;

fn isvc(l: &Live) -> WorkloadRef {
    let _ = l;
    WorkloadRef {
        cluster: "prod-us".into(),
        namespace: "search".into(),
        kind: WorkloadKind::InferenceService,
        name: "recsys-ranker".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_runs_on_real_mlflow_and_the_api_server_with_canary_steps() {
    let l = Live::start(&["recsys-ranker"]).await;
    let svc = l.service("ci-runner");
    let before = l.snapshot("recsys-ranker").await;
    assert_eq!(
        before.versions(),
        (Some("7".into()), vec!["7".into(), "7".into()])
    );
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    let st = svc.status(&id).await.unwrap();
    assert_eq!(
        st.promotion.state,
        PromotionState::Approved,
        "{:#?}",
        st.promotion.gates
    );
    l.act_as("carol").await;
    let t0 = Instant::now();
    let report = svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    println!(
        "live execute (1 Deployment + 1 InferenceService, canary 10/50/100): {:?}",
        t0.elapsed()
    );
    assert_eq!(report.state, PromotionState::Promoted);
    let after = l.snapshot("recsys-ranker").await;
    assert!(after.all_on("8"), "{after:?}");
    for (t, (_, uid, _)) in &after.targets {
        assert_eq!(uid, &before.targets[t].1, "patched in place, not recreated");
    }
    let o = l.object(&isvc(&l));
    assert!(
        o["spec"]["predictor"]["canaryTrafficPercent"].is_null(),
        "canary ended: {o}"
    );
    // The journal: canary steps at 10 and 50 with their gates, then the full patch.
    svc.journal().verify().unwrap();
    let lines = read_path(svc.journal().path()).unwrap();
    let steps: Vec<i64> = lines
        .iter()
        .filter(|x| x.record.entry.action == "canary.stepped")
        .filter_map(|x| x.record.entry.after["canary_percent"].as_i64())
        .collect();
    assert_eq!(steps, vec![10, 50]);
    assert_eq!(
        lines
            .iter()
            .filter(|x| x.record.entry.action == "canary.gates"
                && x.record.entry.outcome.starts_with("ok"))
            .count(),
        2
    );
    // MLflow holds the request, the approval, the outcome and one audit
    // tag per mirrored journal entry, with the same hash.
    let mlflow_tags = l.tags("recsys-ranker", "8").await;
    let parsed = tags::collect(&mlflow_tags);
    let ours = &parsed[&id];
    assert_eq!(ours.approvals.len(), 1);
    assert_eq!(
        ours.outcome.as_ref().unwrap().state,
        PromotionState::Promoted
    );
    for x in lines
        .iter()
        .filter(|x| x.record.promotion.as_deref() == Some(id.as_str()))
    {
        assert!(
            ours.audit
                .values()
                .any(|m| m.hash == x.hash && m.seq == x.seq),
            "entry {} ({}) not in MLflow",
            x.seq,
            x.record.entry.action
        );
        assert!(
            x.record.mirror_failures.is_empty(),
            "{:?}",
            x.record.mirror_failures
        );
    }
    // ... and every target carries the steps as Events from modeldeck.
    for t in after.targets.keys() {
        let reasons: Vec<String> = l.events(t).into_iter().map(|e| e.1).collect();
        for r in [
            "PromotionRequested",
            "PromotionApproved",
            "PromotionExecuting",
            "WorkloadPatched",
            "PromotionPromoted",
        ] {
            assert!(
                reasons.iter().any(|x| x == r),
                "{t}: {r} missing from {reasons:?}"
            );
        }
    }
    let isvc_reasons: Vec<String> = l.events(&isvc(&l)).into_iter().map(|e| e.1).collect();
    assert_eq!(
        isvc_reasons
            .iter()
            .filter(|r| *r == "CanaryStepped")
            .count(),
        2
    );
    // The front ends' rollout view: events and the newest pod's log tail, through the port.
    l.act_as("carol").await;
    let deploy = after
        .targets
        .keys()
        .find(|t| t.kind == WorkloadKind::Deployment)
        .unwrap();
    let evs = l.backends().cluster.events(deploy).await.unwrap();
    assert!(
        evs.iter().any(|e| e.reason == "PromotionPromoted"),
        "{evs:#?}"
    );
    let tail = l.backends().cluster.log_tail(deploy, 20).await.unwrap();
    assert!(!tail.is_empty() && tail.len() <= 20, "{tail:?}");
}

/// Test 1: a workload changed after approval: refused, says what changed,
/// nothing written to either backend, one "refused" entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_changed_after_approval_refuses_and_writes_nothing() {
    let l = Live::start(&["recsys-ranker"]).await;
    let svc = l.service("ci-runner");
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    let targets = l.targets_of("recsys-ranker").await;
    let touched = targets
        .iter()
        .find(|t| t.kind == WorkloadKind::Deployment)
        .unwrap()
        .clone();
    // Someone rolls the Deployment to v6 by hand, outside Modeldeck.
    l.servers[&touched.cluster]
        .merge_patch(
            "apps/v1",
            "Deployment",
            &touched.namespace,
            &touched.name,
            serde_json::json!({"spec": {"template": {"metadata": {"annotations": {"modeldeck.io/model-version": "6"}}}}}),
        )
        .unwrap();
    l.act_as("carol").await;
    let model = l.model("recsys-ranker");
    l.users
        .view("carol")
        .await
        .wait_for("the hand edit", |ws| {
            ws.iter().any(|w| {
                w.id == touched
                    && w.served_version.as_deref() == Some("6")
                    && w.model.as_deref() == Some(model.as_str())
            })
        })
        .await;
    l.settle("recsys-ranker").await;
    let before = l.snapshot("recsys-ranker").await;
    let objects_before: Vec<String> = targets
        .iter()
        .map(|t| {
            l.object(t)["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let tags_before = l.tags("recsys-ranker", "8").await;
    let journal_before = svc.journal().head().0;
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
    // The cluster: no object changed (same resourceVersions), same specs.
    let objects_after: Vec<String> = targets
        .iter()
        .map(|t| {
            l.object(t)["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(objects_after, objects_before);
    assert_eq!(l.snapshot("recsys-ranker").await, before);
    // MLflow: the alias did not move; the only new tag is the refusal's audit mirror.
    assert_eq!(
        l.alias("recsys-ranker", "champion").await.as_deref(),
        Some("7")
    );
    let tags_after = l.tags("recsys-ranker", "8").await;
    let new: Vec<&String> = tags_after
        .keys()
        .filter(|k| !tags_before.contains_key(*k))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("/audit/"), "{new:?}");
    for (k, v) in &tags_before {
        assert_eq!(tags_after.get(k), Some(v), "tag {k} unchanged");
    }
    // The journal: exactly one entry, the refusal, by carol.
    let lines = read_path(svc.journal().path()).unwrap();
    assert_eq!(lines.len() as u64, journal_before + 1);
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
    // The refusal is on the workloads as a Warning Event.
    assert!(
        l.events(&touched)
            .iter()
            .any(|e| e.0 == "Warning" && e.1 == "PromotionExecute"),
        "{:?}",
        l.events(&touched)
    );
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::Requested
    );
}

/// Test 3: 100 concurrent executes of one approved promotion: exactly one
/// alias write and one patch per workload, on the real backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_executes_write_once() {
    let l = Live::start(&["recsys-ranker"]).await;
    let svc = Arc::new(l.service("ci-runner"));
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    l.act_as("carol").await;
    let calls = l.ports.calls();
    let patch_posts = |l: &Live| -> u64 {
        l.servers
            .values()
            .map(|s| {
                s.request_count("patch", "deployments")
                    + s.request_count("patch", "inferenceservices")
            })
            .sum()
    };
    let patches_before = patch_posts(&l);
    let t0 = Instant::now();
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
    let took = t0.elapsed();
    assert_eq!(wrote, 1, "exactly one execute did the work");
    let aliases = l.ports.ok_counts(calls, "set_alias");
    assert_eq!(aliases.values().sum::<usize>(), 1, "{aliases:?}");
    let patches = l.ports.ok_counts(calls, "set_served_version");
    let targets = l.targets_of("recsys-ranker").await;
    assert_eq!(patches.len(), targets.len(), "{patches:?}");
    assert!(patches.values().all(|n| *n == 1), "{patches:?}");
    // The API servers saw: one patch for the Deployment, 2 canary steps + 1
    // final patch for the InferenceService, and nothing else.
    assert_eq!(patch_posts(&l) - patches_before, 4);
    assert!(l.snapshot("recsys-ranker").await.all_on("8"));
    println!(
        "live: 100 concurrent executes -> {} alias write, patches {patches:?}, {} PATCH requests, in {took:?}",
        aliases.values().sum::<usize>(),
        patch_posts(&l) - patches_before
    );
    let lines = read_path(svc.journal().path()).unwrap();
    assert_eq!(
        lines
            .iter()
            .filter(|x| x.record.entry.action == "promotion.promoted")
            .count(),
        1
    );
    assert_eq!(
        lines
            .iter()
            .filter(|x| x.record.entry.action == "promotion.execute"
                && x.record.entry.outcome.starts_with("ok: no-op"))
            .count(),
        99,
        "the 99 others are journaled as no-ops"
    );
    svc.journal().verify().unwrap();
}

/// Test 6: rollback restores the exact previous pod template and
/// storageUri, and the alias.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_restores_the_exact_template_storage_uri_and_alias() {
    let l = Live::start(&["recsys-ranker"]).await;
    let svc = l.service("ci-runner");
    l.settle("recsys-ranker").await;
    let before = l.snapshot("recsys-ranker").await;
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    l.act_as("carol").await;
    svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    let promoted = l.snapshot("recsys-ranker").await;
    assert!(promoted.all_on("8"));
    assert_ne!(promoted.targets, before.targets);
    l.settle("recsys-ranker").await;
    l.act_as("ops").await;
    let r = svc
        .rollback(
            &l.model("recsys-ranker"),
            None,
            "p99 regression reported by on-call",
        )
        .await
        .unwrap();
    println!("live rollback: {r:?}");
    l.settle("recsys-ranker").await;
    let back = l.snapshot("recsys-ranker").await;
    assert_eq!(back.alias, before.alias);
    for (t, (v, uid, spec)) in &before.targets {
        let (v2, uid2, spec2) = &back.targets[t];
        assert_eq!((v2, uid2), (v, uid), "{t}");
        assert_eq!(
            spec2, spec,
            "{t}: the exact pod template / predictor is back"
        );
    }
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::RolledBack
    );
    let lines = read_path(svc.journal().path()).unwrap();
    assert!(
        lines
            .iter()
            .any(|x| x.record.entry.action == "promotion.rolled_back")
    );
    let outcome = tags::collect(&l.tags("recsys-ranker", "8").await)[&id]
        .outcome
        .clone()
        .unwrap();
    assert_eq!(outcome.state, PromotionState::RolledBack);
    svc.journal().verify().unwrap();
}
