//! The guards on the REAL backends (a real MLflow, the sandbox API servers
//! through the kube adapter): test 4 (four eyes: self-approval, a second
//! approval by the same person, an approval of vN reused for vN+1, an
//! expired approval, an approver RBAC denies), test 5 (a metrics outage
//! during a gated step aborts and compensates; inconclusive values pause for
//! a human) and test 8 (a read-only user: SSAR denies patch, MLflow answers
//! 403). Each asserts on MLflow (REST), the API server and the journal.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;
mod live;

use async_trait::async_trait;
use live::{Live, approve, request};
use modeldeck_core::domain::*;
use modeldeck_core::error::Backend;
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::service::Pause;
use modeldeck_promotion::tags::{self, TagKind};
use modeldeck_promotion::{ExecuteOptions, NewPromotion, PromotionError, Promotions};
use std::sync::Arc;
use std::time::Duration;

fn refused<T: std::fmt::Debug>(r: Result<T, PromotionError>, code: &str) -> String {
    match r {
        Ok(v) => panic!("expected {code}, got {v:?}"),
        Err(e) => {
            assert_eq!(e.code(), code, "{e}");
            e.to_string()
        }
    }
}

fn assert_audited(svc: &Promotions, actor: &str, action: &str, code: &str) {
    let lines = read_path(svc.journal().path()).unwrap();
    let last = &lines.last().unwrap().record.entry;
    assert_eq!((last.actor.as_str(), last.action.as_str()), (actor, action));
    assert!(
        last.outcome.starts_with(&format!("refused: {code}")),
        "{}",
        last.outcome
    );
}

/// Approval tags of promotion `id` in MLflow, by approver key.
async fn approvals_in_mlflow(l: &Live, base: &str, version: &str, id: &str) -> Vec<String> {
    let all = l.tags(base, version).await;
    let parsed = tags::collect(&all);
    parsed
        .get(id)
        .map(|p| p.approvals.keys().cloned().collect())
        .unwrap_or_default()
}

/// Test 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_eyes_on_real_backends() {
    let l = Live::start(&["recsys-ranker", "search-ranker"]).await;
    let svc = l.service("console");
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    let deploy = l.targets_of("recsys-ranker").await[0].clone();
    let untouched = l.object(&deploy)["metadata"]["resourceVersion"].clone();

    // Self-approval.
    l.act_as("alice").await;
    let msg = refused(
        svc.approve(&id, "mine, trust me").await,
        "refused_self_approval",
    );
    assert!(msg.contains("alice requested this promotion"), "{msg}");
    assert_audited(&svc, "alice", "promotion.approve", "refused_self_approval");
    assert!(
        approvals_in_mlflow(&l, "recsys-ranker", "8", &id)
            .await
            .is_empty()
    );

    // A second decision by the same person.
    approve(&l, &svc, &id, &["bob"]).await;
    l.act_as("bob").await;
    let msg = refused(
        svc.approve(&id, "again").await,
        "refused_duplicate_approval",
    );
    assert!(msg.contains("bob already approved"), "{msg}");
    assert_audited(
        &svc,
        "bob",
        "promotion.approve",
        "refused_duplicate_approval",
    );
    assert_eq!(
        approvals_in_mlflow(&l, "recsys-ranker", "8", &id)
            .await
            .len(),
        1
    );

    // An approver the API server's RBAC does not allow (SSAR says no to
    // creating a ModelApproval: approving, on a cluster with the ledger).
    l.act_as("erin").await;
    let msg = refused(svc.approve(&id, "+1").await, "refused_rbac");
    assert!(
        msg.contains("erin may not create modelapprovals.modeldeck.io in namespace search"),
        "{msg}"
    );
    assert_audited(&svc, "erin", "promotion.approve", "refused_rbac");
    assert_eq!(
        approvals_in_mlflow(&l, "recsys-ranker", "8", &id)
            .await
            .len(),
        1
    );

    // An expired approval (the clock jumps a day ahead).
    l.clock.jump(Duration::from_secs(25 * 3600));
    l.act_as("carol").await;
    let msg = refused(
        svc.execute(&id, ExecuteOptions::default()).await,
        "refused_expired",
    );
    assert!(
        msg.contains("bob's approval") && msg.contains("expired at"),
        "{msg}"
    );
    assert_audited(&svc, "carol", "promotion.execute", "refused_expired");
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::Requested
    );
    // Nothing moved on either backend.
    assert_eq!(
        l.alias("recsys-ranker", "champion").await.as_deref(),
        Some("7")
    );
    assert_eq!(l.object(&deploy)["metadata"]["resourceVersion"], untouched);

    // An approval of v5 reused for v6 (copied under the approver's key in MLflow).
    let staging = |version: &str| NewPromotion {
        model: l.model("search-ranker"),
        version: version.into(),
        alias: Some("staging".into()),
        reason: format!("stage v{version}"),
        ..NewPromotion::default()
    };
    l.act_as("alice").await;
    let p5 = svc.request(staging("5")).await.unwrap().id;
    approve(&l, &svc, &p5, &["bob"]).await;
    l.act_as("carol").await;
    svc.execute(&p5, ExecuteOptions::default()).await.unwrap();
    assert_eq!(
        l.alias("search-ranker", "staging").await.as_deref(),
        Some("5")
    );
    l.act_as("alice").await;
    let p6 = svc.request(staging("6")).await.unwrap().id;
    let bob = tags::approver_key("bob");
    let v5 = l.tags("search-ranker", "5").await;
    let copied = v5[&tags::key(&p5, &TagKind::Approval(bob.clone()))].clone();
    l.rest
        .post(
            "model-versions/set-tag",
            serde_json::json!({"name": l.model("search-ranker"), "version": "6",
                "key": tags::key(&p6, &TagKind::Approval(bob)), "value": copied}),
        )
        .await;
    let st = svc.status(&p6).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Requested);
    assert!(
        st.not_counted[0].contains(&format!("not for {p6} (v6)")),
        "{:?}",
        st.not_counted
    );
    l.act_as("carol").await;
    let msg = refused(
        svc.execute(&p6, ExecuteOptions::default()).await,
        "refused_approval_mismatch",
    );
    assert!(msg.contains("v5"), "{msg}");
    assert_audited(
        &svc,
        "carol",
        "promotion.execute",
        "refused_approval_mismatch",
    );
    assert_eq!(
        l.alias("search-ranker", "staging").await.as_deref(),
        Some("5")
    );
    // A reviewer who looked at v5 cannot approve v6 with that click.
    l.act_as("dave").await;
    let msg = refused(
        svc.decide(&p6, Decision::Approve, "ok", Some("5")).await,
        "refused_approval_mismatch",
    );
    assert!(msg.contains("dave reviewed v5 but promotion"), "{msg}");
    assert_audited(
        &svc,
        "dave",
        "promotion.approve",
        "refused_approval_mismatch",
    );
    // Every refusal left a Warning Event on the workloads.
    let warnings = l
        .events(&deploy)
        .into_iter()
        .filter(|e| e.0 == "Warning" && e.2.contains("refused"))
        .count();
    assert!(warnings >= 4, "{:?}", l.events(&deploy));
    svc.journal().verify().unwrap();
}

/// Sleeps for real, first running a hook (to stage an outage mid-flight).
struct HookPause(Box<dyn Fn(Duration) + Send + Sync>);

#[async_trait]
impl Pause for HookPause {
    async fn pause(&self, d: Duration) {
        (self.0)(d);
        tokio::time::sleep(d).await;
    }
}

/// Test 5a: the metrics backend goes down during the first canary bake:
/// the canary gate fails (never passes), the execution compensates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_outage_during_a_canary_step_aborts_and_compensates() {
    let l = Live::start(&["recsys-ranker"]).await;
    let sb = l.sandbox.clone();
    let bake = live::live_policies()
        .for_model(&l.model("recsys-ranker"))
        .bake
        .0;
    let svc = l
        .service("ci-runner")
        .with_pause(Arc::new(HookPause(Box::new(move |d| {
            if d == bake {
                sb.set_outage(Backend::Metrics, true);
            }
        }))));
    l.settle("recsys-ranker").await;
    let before = l.snapshot("recsys-ranker").await;
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    l.act_as("carol").await;
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    l.sandbox.set_outage(Backend::Metrics, false);
    assert_eq!(err.code(), "rolled_back", "{err}");
    assert!(
        err.to_string().contains("canary gate failed at 10%")
            && err.to_string().contains("metrics unavailable"),
        "{err}"
    );
    l.settle("recsys-ranker").await;
    let after = l.snapshot("recsys-ranker").await;
    assert_eq!(
        after.versions(),
        before.versions(),
        "alias and workloads back"
    );
    for (t, (_, uid, spec)) in &before.targets {
        assert_eq!(&after.targets[t].1, uid);
        assert_eq!(&after.targets[t].2, spec, "{t}: exactly as before");
    }
    let o = l.object(&l.targets_of("recsys-ranker").await[1]);
    assert!(
        o["spec"]["predictor"]["canaryTrafficPercent"].is_null(),
        "canary gone: {o}"
    );
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::RolledBack);
    let outcome = tags::collect(&l.tags("recsys-ranker", "8").await)[&id]
        .outcome
        .clone()
        .unwrap();
    assert_eq!(outcome.state, PromotionState::RolledBack);
    assert!(outcome.reason.unwrap().contains("metrics unavailable"));
    let lines = read_path(svc.journal().path()).unwrap();
    let gate = lines
        .iter()
        .find(|x| x.record.entry.action == "canary.gates")
        .unwrap();
    assert!(
        gate.record.entry.outcome.starts_with("failed"),
        "{:?}",
        gate.record.entry
    );
    assert!(
        gate.record
            .gates
            .iter()
            .all(|g| g.status == GateStatus::Fail)
    );
    assert!(
        lines
            .iter()
            .any(|x| x.record.entry.action == "promotion.rolled_back")
    );
    for t in l.targets_of("recsys-ranker").await {
        assert!(
            l.events(&t)
                .iter()
                .any(|e| e.0 == "Warning" && e.1 == "PromotionRolledBack"),
            "{t}: {:?}",
            l.events(&t)
        );
    }
    svc.journal().verify().unwrap();
}

/// Test 5b: a metrics outage before execution fails the gates: refused,
/// nothing deployed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_outage_before_execution_is_a_failed_gate() {
    let l = Live::start(&["recsys-ranker"]).await;
    let svc = l.service("ci-runner");
    let before = l.snapshot("recsys-ranker").await;
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    l.sandbox.set_outage(Backend::Metrics, true);
    l.act_as("carol").await;
    let msg = refused(
        svc.execute(&id, ExecuteOptions::default()).await,
        "gate_failed",
    );
    l.sandbox.set_outage(Backend::Metrics, false);
    assert!(msg.contains("metrics unavailable"), "{msg}");
    assert_eq!(l.snapshot("recsys-ranker").await, before);
    let lines = read_path(svc.journal().path()).unwrap();
    let last = &lines.last().unwrap().record.entry;
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("carol", "promotion.execute")
    );
    assert!(
        last.outcome.starts_with("failed: gate_failed"),
        "{}",
        last.outcome
    );
    assert!(lines.iter().all(|x| x.record.entry.action != "alias.moved"));
}

/// Test 5c: inconclusive post-deploy gates (a batch job has no live
/// traffic to judge) pause for a human, who confirms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inconclusive_gates_pause_for_a_human_on_real_backends() {
    let l = Live::start(&["churn-model"]).await;
    let svc = l.service("ci-runner");
    let id = request(&l, &svc, "alice", "churn-model", "4").await;
    approve(&l, &svc, &id, &["bob"]).await;
    l.act_as("carol").await;
    let err = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "gate_inconclusive", "{err}");
    let st = svc.status(&id).await.unwrap();
    assert_eq!(
        st.promotion.state,
        PromotionState::Executing,
        "deployed, not done"
    );
    assert_eq!(
        st.phase,
        Some(modeldeck_core::domain::ExecutionPhase::AwaitingDecision)
    );
    assert!(l.snapshot("churn-model").await.all_on("4"));
    let exec_tag = tags::collect(&l.tags("churn-model", "4").await)[&id]
        .exec
        .clone()
        .unwrap();
    assert_eq!(exec_tag.phase, tags::Phase::AwaitingDecision);
    l.act_as("dave").await;
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
    assert!(l.snapshot("churn-model").await.all_on("4"));
    let lines = read_path(svc.journal().path()).unwrap();
    assert!(
        lines
            .iter()
            .any(|x| x.record.entry.action == "promotion.paused")
    );
    svc.journal().verify().unwrap();
}

/// Test 8: a read-only user browses normally; every action is refused
/// with its reason (SSAR on the API server, 403 from MLflow) and audited;
/// nothing is written to either backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_user_is_refused_every_action_on_real_backends() {
    // One model: MLflow's basic-auth app hashes the password on every
    // request (about 0.37 s each here), so the world is kept small.
    let l = Live::start_auth(&["recsys-ranker"]).await;
    let svc = l.service("console");
    let done = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &done, &["bob"]).await;
    l.act_as("carol").await;
    svc.execute(&done, ExecuteOptions::default()).await.unwrap();
    let open = request(&l, &svc, "alice", "recsys-ranker", "6").await;

    l.act_as("viewer").await;
    // Browsing works.
    let listed = svc.list(None).await.unwrap();
    assert!(listed.iter().any(|s| s.promotion.id == open), "{listed:?}");
    assert_eq!(
        svc.status(&done).await.unwrap().promotion.state,
        PromotionState::Promoted
    );
    assert!(
        !svc.history(&l.model("recsys-ranker"), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        svc.inbox().await.unwrap().is_empty(),
        "nothing the viewer may approve"
    );
    let tags_of = || async {
        (
            l.tags("recsys-ranker", "6").await,
            l.tags("recsys-ranker", "8").await,
        )
    };
    let events_of = || async {
        let mut n = 0;
        for t in l.targets_of("recsys-ranker").await {
            n += l.events(&t).len();
        }
        n
    };
    let tags_before = tags_of().await;
    let snap_before = l.snapshot("recsys-ranker").await;
    let events_before = events_of().await;
    let journal_before = svc.journal().head().0;
    let calls = l.ports.calls();
    let staging = NewPromotion {
        model: l.model("recsys-ranker"),
        version: "5".into(),
        alias: Some("staging".into()),
        reason: "try".into(),
        ..NewPromotion::default()
    };
    let attempts: Vec<(&str, &str, String)> = vec![
        (
            "promotion.request",
            "refused_rbac",
            refused(svc.request(staging.clone()).await, "refused_rbac"),
        ),
        (
            "promotion.approve",
            "refused_rbac",
            refused(svc.approve(&open, "lgtm").await, "refused_rbac"),
        ),
        (
            "promotion.reject",
            "refused_rbac",
            refused(svc.reject(&open, "no").await, "refused_rbac"),
        ),
        (
            "promotion.cancel",
            "refused_not_allowed",
            refused(svc.cancel(&open, "stop").await, "refused_not_allowed"),
        ),
        (
            "promotion.execute",
            "refused_rbac",
            refused(
                svc.execute(&open, ExecuteOptions::default()).await,
                "refused_rbac",
            ),
        ),
        (
            "promotion.rollback",
            "refused_rbac",
            refused(
                svc.rollback(&l.model("recsys-ranker"), None, "undo").await,
                "refused_rbac",
            ),
        ),
    ];
    for (action, _, msg) in &attempts {
        println!("viewer {action}: {msg}");
        assert!(
            msg.contains("viewer") || msg.contains("only the requester"),
            "{msg}"
        );
    }
    assert!(
        attempts[0]
            .2
            .contains("create modelpromotions.modeldeck.io"),
        "{}",
        attempts[0].2
    );
    assert!(
        attempts[4].2.contains("patch deployments.apps")
            || attempts[4].2.contains("patch inferenceservices"),
        "{}",
        attempts[4].2
    );
    // Nothing was written to either backend: the audit mirrors were
    // refused too (MLflow 403, the API server's RBAC on Events).
    assert_eq!(l.ports.writes_since(calls), Vec::<String>::new());
    assert_eq!(tags_of().await, tags_before, "no MLflow tag changed");
    assert_eq!(l.snapshot("recsys-ranker").await, snap_before);
    assert_eq!(
        events_of().await,
        events_before,
        "the viewer may not create Events"
    );
    // Every refusal is journaled, the refused mirrors noted in the entry.
    let lines = read_path(svc.journal().path()).unwrap();
    // The viewer may not append to the shared history either: each such
    // refusal is followed by an `audit.share_failed` note.
    let refusals: Vec<_> = lines[journal_before as usize..]
        .iter()
        .filter(|l| l.record.entry.action != "audit.share_failed")
        .collect();
    assert_eq!(refusals.len(), attempts.len());
    for (x, (action, code, _)) in refusals.iter().zip(&attempts) {
        let e = &x.record.entry;
        assert_eq!((e.actor.as_str(), e.action.as_str()), ("viewer", *action));
        assert!(
            e.outcome.starts_with(&format!("refused: {code}")),
            "{}",
            e.outcome
        );
    }
    assert!(
        refusals.iter().any(|x| x
            .record
            .mirror_failures
            .iter()
            .any(|m| m.contains("forbidden"))),
        "the viewer's Event mirrors were refused and noted"
    );

    // A user the cluster allows but MLflow only lets read: 403 from MLflow.
    l.act_as("reader").await;
    let msg = refused(svc.request(staging).await, "refused_forbidden");
    assert!(msg.contains("Permission denied"), "{msg}");
    let msg = refused(svc.approve(&open, "lgtm").await, "refused_forbidden");
    assert!(msg.contains("Permission denied"), "{msg}");
    assert_audited(&svc, "reader", "promotion.approve", "refused_forbidden");
    assert_eq!(
        l.ports.writes_since(calls),
        Vec::<String>::new(),
        "still nothing written"
    );
    assert_eq!(tags_of().await, tags_before);
    assert_eq!(l.snapshot("recsys-ranker").await, snap_before);
    svc.journal().verify().unwrap();
}
