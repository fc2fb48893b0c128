//! Who may do what: the four-eyes rule and its refusals (test 4), and a
//! read-only user refused everything with a reason (test 8). Every refusal
//! must also be in the audit journal.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::{Decision, PromotionState};
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::tags::{self, TagKind};
use modeldeck_promotion::{ExecuteOptions, NewPromotion, PromotionError, Promotions};
use std::time::Duration;

/// The last journal entry is a refusal of `action` by `actor` with `code`.
fn assert_audited(svc: &Promotions, actor: &str, action: &str, code: &str) {
    let lines = read_path(svc.journal().path()).unwrap();
    let e = &lines.last().unwrap().record.entry;
    assert_eq!(
        (e.actor.as_str(), e.action.as_str()),
        (actor, action),
        "{e:?}"
    );
    assert!(
        e.outcome.starts_with(&format!("refused: {code}")),
        "{}",
        e.outcome
    );
    svc.journal().verify().unwrap();
}

fn refused(r: Result<impl std::fmt::Debug, PromotionError>, code: &str) -> String {
    let e = r.expect_err(code);
    assert_eq!(e.code(), code, "{e}");
    assert!(e.is_refusal());
    e.to_string()
}

async fn four_eyes(w: &World) {
    let svc = w.service("console");
    let id = request(w, &svc, "alice", "recsys-ranker", "8").await;

    // Self-approval.
    w.act_as("alice");
    let msg = refused(
        svc.approve(&id, "mine, trust me").await,
        "refused_self_approval",
    );
    assert!(msg.contains("alice requested this promotion"), "{msg}");
    assert_audited(&svc, "alice", "promotion.approve", "refused_self_approval");

    // A second decision by the same person.
    approve(w, &svc, &id, &["bob"]).await;
    w.act_as("bob");
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
    refused(
        svc.reject(&id, "changed my mind").await,
        "refused_duplicate_approval",
    );

    // An approver RBAC does not allow: approving is creating a
    // ModelApproval where the cluster binds approvals.
    w.control.set_access("create", "modelapprovals", false);
    w.act_as("erin");
    let msg = refused(svc.approve(&id, "+1").await, "refused_rbac");
    assert!(
        msg.contains("erin may not create modelapprovals.modeldeck.io in namespace search"),
        "{msg}"
    );
    assert_audited(&svc, "erin", "promotion.approve", "refused_rbac");
    w.control.set_access("create", "modelapprovals", true);

    // Only the requester cancels.
    w.act_as("bob");
    let msg = refused(svc.cancel(&id, "not mine").await, "refused_not_allowed");
    assert!(msg.contains("only the requester alice"), "{msg}");
    assert_audited(&svc, "bob", "promotion.cancel", "refused_not_allowed");

    // An expired approval.
    w.control.advance(Duration::from_secs(25 * 3600));
    w.act_as("carol");
    let msg = refused(
        svc.execute(&id, ExecuteOptions::default()).await,
        "refused_expired",
    );
    assert!(
        msg.contains("bob's approval") && msg.contains("expired at"),
        "{msg}"
    );
    assert_audited(&svc, "carol", "promotion.execute", "refused_expired");
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Requested);
    assert!(
        st.not_counted.iter().any(|n| n.contains("expired")),
        "{:?}",
        st.not_counted
    );

    // A rejection closes it.
    w.act_as("frank");
    let e = svc.reject(&id, "").await.unwrap_err();
    assert_eq!(e.code(), "invalid_input", "{e}");
    let p = svc
        .reject(&id, "v8 regresses long-tail queries")
        .await
        .unwrap();
    assert_eq!(p.state, PromotionState::Rejected);
    w.act_as("carol");
    refused(
        svc.execute(&id, ExecuteOptions::default()).await,
        "refused_wrong_state",
    );
    w.act_as("gina");
    refused(svc.approve(&id, "late").await, "refused_wrong_state");
}

#[tokio::test]
async fn the_four_eyes_rule_refuses_and_audits_each_violation() {
    four_eyes(&World::demo(42)).await;
}

/// An approval of vN copied onto the promotion of vN+1 does not count, and
/// a reviewer who looked at vN cannot approve vN+1.
async fn approval_reuse(w: &World) {
    let svc = w.service("console");
    w.act_as("alice");
    let staging = |version: &str| NewPromotion {
        model: "search-ranker".into(),
        version: version.into(),
        alias: Some("staging".into()),
        reason: format!("stage v{version}"),
        ..NewPromotion::default()
    };
    let p5 = svc.request(staging("5")).await.unwrap().id;
    approve(w, &svc, &p5, &["bob"]).await;
    w.act_as("carol");
    svc.execute(&p5, ExecuteOptions::default()).await.unwrap();
    w.act_as("alice");
    let p6 = svc.request(staging("6")).await.unwrap().id;

    // Copy bob's approval of v5 onto v6's promotion, under bob's key.
    let reg = w.backends().registry;
    let bob = tags::approver_key("bob");
    let v5 = reg.get_version("search-ranker", "5").await.unwrap();
    let approval = v5.tags[&tags::key(&p5, &TagKind::Approval(bob.clone()))].clone();
    reg.set_version_tag(
        "search-ranker",
        "6",
        &tags::key(&p6, &TagKind::Approval(bob)),
        &approval,
    )
    .await
    .unwrap();

    let st = svc.status(&p6).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Requested);
    assert!(
        st.not_counted[0].contains(&format!(
            "given for promotion {p5} of search-ranker v5, not for {p6} (v6)"
        )),
        "{:?}",
        st.not_counted
    );
    w.act_as("carol");
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
        w.alias("search-ranker", "staging").await.as_deref(),
        Some("5")
    );

    // dave reviewed v5 in his console; his click must not approve v6.
    w.act_as("dave");
    let msg = refused(
        svc.decide(&p6, Decision::Approve, "ok", Some("5")).await,
        "refused_approval_mismatch",
    );
    assert!(
        msg.contains("dave reviewed v5 but promotion") && msg.contains("is for v6"),
        "{msg}"
    );
    assert_audited(
        &svc,
        "dave",
        "promotion.approve",
        "refused_approval_mismatch",
    );
    // Looking at the right version works.
    svc.decide(&p6, Decision::Approve, "ok", Some("6"))
        .await
        .unwrap();
    assert_eq!(
        svc.status(&p6).await.unwrap().promotion.state,
        PromotionState::Approved
    );
}

#[tokio::test]
async fn an_approval_of_one_version_never_counts_for_another() {
    approval_reuse(&World::demo(42)).await;
}

/// Test 8: a read-only user (RBAC denies everything, the registry answers
/// 403 to writes) is refused every action, each with its reason, and the
/// refusals are journaled.
async fn read_only(w: &World) {
    let svc = w.service("console");
    let open = request(w, &svc, "alice", "search-ranker", "6").await;
    let done = request(w, &svc, "alice", "recsys-ranker", "8").await;
    approve(w, &svc, &done, &["bob"]).await;
    w.act_as("carol");
    svc.execute(&done, ExecuteOptions::default()).await.unwrap();

    w.control.set_access("*", "*", false);
    w.ports.set_read_only_registry(true);
    w.act_as("viewer");
    let journal_before = svc.journal().head().0;
    let calls = w.ports.calls();
    let ltv = NewPromotion {
        model: "ltv-estimator".into(),
        version: "3".into(),
        reason: "try".into(),
        ..NewPromotion::default()
    };
    let attempts: Vec<(&str, &str, String)> = vec![
        (
            "promotion.request",
            "refused_rbac",
            refused(svc.request(ltv.clone()).await, "refused_rbac"),
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
                svc.rollback("recsys-ranker", None, "undo").await,
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
            .contains("create modelpromotions.modeldeck.io")
    );
    assert!(
        attempts[4].2.contains("patch deployments.apps")
            || attempts[4].2.contains("patch inferenceservices"),
        "{}",
        attempts[4].2
    );
    assert_eq!(
        w.ports.writes_since(calls),
        Vec::<String>::new(),
        "nothing written"
    );
    let lines = read_path(svc.journal().path()).unwrap();
    // The viewer may not append to the shared history either: each such
    // refusal is followed by an `audit.share_failed` note in the journal.
    let refusals: Vec<_> = lines[journal_before as usize..]
        .iter()
        .map(|l| &l.record.entry)
        .filter(|e| e.action != "audit.share_failed")
        .collect();
    assert_eq!(refusals.len(), attempts.len());
    for (e, (action, code, _)) in refusals.iter().zip(&attempts) {
        assert_eq!((e.actor.as_str(), e.action.as_str()), ("viewer", *action));
        assert!(
            e.outcome.starts_with(&format!("refused: {code}")),
            "{}",
            e.outcome
        );
    }
    assert!(
        svc.inbox().await.unwrap().is_empty(),
        "nothing the viewer may approve"
    );

    // RBAC allows, the registry still says 403.
    w.control.set_access("*", "*", true);
    let msg = refused(svc.request(ltv).await, "refused_forbidden");
    assert!(msg.contains("Permission denied"), "{msg}");
    let msg = refused(svc.approve(&open, "lgtm").await, "refused_forbidden");
    assert!(msg.contains("Permission denied"), "{msg}");
    assert_audited(&svc, "viewer", "promotion.approve", "refused_forbidden");
    assert_eq!(
        w.ports.writes_since(calls),
        Vec::<String>::new(),
        "still nothing written"
    );
}

#[tokio::test]
async fn a_read_only_user_is_refused_every_action_with_a_reason() {
    read_only(&World::demo(42)).await;
}
