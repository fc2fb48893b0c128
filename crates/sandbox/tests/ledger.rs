//! The promotion ledger of the simulated clusters, as a real API server
//! with the shipped manifests installed keeps it: objects are written as
//! the identity the sandbox acts as, the shipped admission policy (its CEL,
//! evaluated from the manifest text) refuses impersonation, self-approval
//! and a promotion requested in someone else's name, status updates need
//! the current resourceVersion, RBAC and outages apply, and the objects
//! are saved and restored with the world.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, ErrorCode};
use modeldeck_core::ports::Cluster;
use modeldeck_sandbox::Sandbox;
use std::sync::Arc;

const EU: &str = "prod-eu";
const NS: &str = "risk";
const DENIED: &str = "ValidatingAdmissionPolicy 'modeldeck-approvals.modeldeck.io' with binding 'modeldeck-approvals.modeldeck.io' denied request";

/// The promotion objects a test made: the demo world also holds the
/// `ModelPromotion`s of its seeded requests (`promo-...`).
async fn made(c: &Arc<dyn Cluster>) -> Vec<PromotionObject> {
    let mut all = c.list_promotions(EU).await.unwrap();
    all.retain(|p| !p.name.starts_with("promo-"));
    all
}

fn cluster(sb: &Sandbox) -> Arc<dyn Cluster> {
    sb.backends().cluster
}

fn promotion(name: &str, requested_by: &str) -> PromotionObject {
    PromotionObject {
        name: name.into(),
        namespace: NS.into(),
        resource_version: String::new(),
        spec: PromotionSpec {
            model: "fraud-detector".into(),
            version: "8".into(),
            alias: "champion".into(),
            targets: vec![fraud_eu()],
            reason: "better recall".into(),
            requested_by: requested_by.into(),
        },
        status: PromotionObjectStatus {
            phase: Some("Requested".into()),
            ..Default::default()
        },
    }
}

fn approval(promotion: &str, approver: &str, requester: &str) -> ApprovalObject {
    ApprovalObject {
        name: approval_object_name(promotion, approver),
        namespace: NS.into(),
        promotion: promotion.into(),
        approver: approver.into(),
        requester: requester.into(),
        decision: Decision::Approve,
        comment: "numbers look right".into(),
        evidence_digest: "0".repeat(64),
        bound_run: None,
        created_at: None,
    }
}

/// The demo world with alice's promotion `p1` on prod-eu/risk.
async fn with_promotion() -> (Sandbox, Arc<dyn Cluster>, PromotionObject) {
    let sb = demo(42);
    let c = cluster(&sb);
    sb.set_identity("alice", &["system:authenticated"]);
    let p = c
        .create_promotion(EU, &promotion("p1", "alice"))
        .await
        .unwrap();
    (sb, c, p)
}

#[tokio::test]
async fn every_sandbox_cluster_binds_approvals_and_unknown_ones_are_named() {
    let sb = demo(42);
    let c = cluster(&sb);
    assert_eq!(c.ledger(EU).await.unwrap(), LedgerState::Bound);
    assert_eq!(c.ledger("prod-us").await.unwrap(), LedgerState::Bound);
    let e = c.ledger("prod-mars").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("prod-mars"), "{}", e.message);
    let e = c
        .create_approval("prod-mars", &approval("p1", "bob", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("prod-mars"), "{}", e.message);
    let e = c.list_promotions("prod-mars").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn bob_approves_as_himself() {
    let (sb, c, p) = with_promotion().await;
    // Created as sent, minus the status (a status subresource drops it).
    assert_eq!(p.spec, promotion("p1", "alice").spec);
    assert_eq!(p.status, PromotionObjectStatus::default());
    assert!(!p.resource_version.is_empty());
    assert_eq!(c.get_promotion(EU, NS, "p1").await.unwrap(), Some(p));
    assert_eq!(c.get_promotion(EU, NS, "p2").await.unwrap(), None);
    assert_eq!(c.get_promotion("prod-us", NS, "p1").await.unwrap(), None);

    sb.set_identity("bob", &["system:authenticated"]);
    c.create_approval(EU, &approval("p1", "bob", "alice"))
        .await
        .unwrap();
    sb.set_identity("carol", &["system:authenticated"]);
    c.create_approval(EU, &approval("p9", "carol", "alice"))
        .await
        .unwrap();
    let got = c.list_approvals(EU, NS, "p1").await.unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].approver, "bob");
    assert_eq!(got[0].name, approval_object_name("p1", "bob"));
    assert_eq!(
        got[0].created_at.as_deref(),
        Some(sb.clock().now().rfc3339().as_str())
    );
    assert!(c.list_approvals(EU, "ml", "p1").await.unwrap().is_empty());
    assert!(
        c.list_approvals("prod-us", NS, "p1")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_approval_naming_carol_made_as_bob_is_refused_with_the_policy_message() {
    let (sb, c, _) = with_promotion().await;
    sb.set_identity("bob", &["system:authenticated"]);
    let e = c
        .create_approval(EU, &approval("p1", "carol", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(
        e.message.contains(&format!(
            "{DENIED}: spec.approver must be the user creating the approval"
        )),
        "{}",
        e.message
    );
    assert!(c.list_approvals(EU, NS, "p1").await.unwrap().is_empty());
}

#[tokio::test]
async fn the_requester_cannot_approve_her_own_promotion() {
    let (_sb, c, _) = with_promotion().await;
    let e = c
        .create_approval(EU, &approval("p1", "alice", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(
        e.message.contains(&format!(
            "{DENIED}: the requester of a promotion cannot approve it"
        )),
        "{}",
        e.message
    );
    assert!(c.list_approvals(EU, NS, "p1").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_promotion_requested_in_someone_elses_name_is_refused() {
    let sb = demo(42);
    let c = cluster(&sb);
    sb.set_identity("bob", &["system:authenticated"]);
    let e = c
        .create_promotion(EU, &promotion("p1", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(
        e.message.contains(&format!(
            "{DENIED}: spec.requestedBy must be the user creating the promotion"
        )),
        "{}",
        e.message
    );
    assert!(made(&c).await.is_empty());
}

#[tokio::test]
async fn an_existing_name_is_a_conflict() {
    let (sb, c, p) = with_promotion().await;
    let e = c
        .create_promotion(EU, &promotion("p1", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("already exists"), "{}", e.message);
    // The same name on the other cluster is another object.
    c.create_promotion("prod-us", &promotion("p1", "alice"))
        .await
        .unwrap();
    assert_eq!(c.get_promotion(EU, NS, "p1").await.unwrap(), Some(p));
    sb.set_identity("bob", &[]);
    let a = approval("p1", "bob", "alice");
    c.create_approval(EU, &a).await.unwrap();
    let e = c.create_approval(EU, &a).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
}

#[tokio::test]
async fn status_updates_need_the_current_resource_version_and_keep_the_spec() {
    let (sb, c, p) = with_promotion().await;
    sb.set_identity("ops", &[]);
    let mut claim = p.clone();
    claim.status.phase = Some("Executing".into());
    claim.status.executor = Some("ops".into());
    claim.spec.version = "9".into();
    let stored = c.update_promotion_status(EU, &claim).await.unwrap();
    assert_ne!(stored.resource_version, p.resource_version);
    assert_eq!(stored.status, claim.status);
    assert_eq!(stored.spec, p.spec, "the status subresource keeps the spec");
    assert_eq!(
        c.get_promotion(EU, NS, "p1").await.unwrap(),
        Some(stored.clone())
    );

    // A second executor with what it read before: stale.
    let mut late = p.clone();
    late.status.executor = Some("other".into());
    let e = c.update_promotion_status(EU, &late).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("has been modified"), "{}", e.message);
    assert_eq!(
        c.get_promotion(EU, NS, "p1").await.unwrap(),
        Some(stored.clone())
    );

    // No resourceVersion at all: a custom resource needs one.
    late.resource_version.clear();
    let e = c.update_promotion_status(EU, &late).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);

    // A phase the CRD does not list is refused by its schema.
    let mut odd = stored.clone();
    odd.status.phase = Some("Sideways".into());
    let e = c.update_promotion_status(EU, &odd).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.message.contains("status.phase"), "{}", e.message);

    let mut gone = stored.clone();
    gone.name = "p2".into();
    let e = c.update_promotion_status(EU, &gone).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn the_crd_schema_and_namespace_are_checked() {
    let sb = demo(42);
    let c = cluster(&sb);
    sb.set_identity("alice", &[]);
    let mut p = promotion("p1", "alice");
    p.spec.model.clear();
    let e = c.create_promotion(EU, &p).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.message.contains("spec.model"), "{}", e.message);
    let e = c
        .create_promotion(EU, &promotion("P_1", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.message.contains("metadata.name"), "{}", e.message);
    let mut elsewhere = promotion("p1", "alice");
    elsewhere.namespace = "nowhere".into();
    let e = c.create_promotion(EU, &elsewhere).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("nowhere"), "{}", e.message);
    sb.set_identity("bob", &[]);
    let e = c
        .create_approval(EU, &approval("p1", "bob", ""))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.message.contains("spec.requester"), "{}", e.message);
}

#[tokio::test]
async fn rbac_refuses_creates_it_denies() {
    let sb = demo(42);
    let c = cluster(&sb);
    sb.set_identity("alice", &[]);
    sb.set_access_rule("create", "modelpromotions", false);
    let e = c
        .create_promotion(EU, &promotion("p1", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert!(
        e.message.contains(
            r#"User "alice" cannot create resource "modelpromotions" in API group "modeldeck.io" in the namespace "risk""#
        ),
        "{}",
        e.message
    );
    sb.set_access_rule("create", "modelpromotions", true);
    c.create_promotion(EU, &promotion("p1", "alice"))
        .await
        .unwrap();

    sb.set_identity("bob", &[]);
    let a = approval("p1", "bob", "alice");
    sb.set_access_rule("approve", "modelpromotions", false);
    let e = c.create_approval(EU, &a).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "the legacy approve rule");
    sb.set_access_rule("create", "modelapprovals", true);
    c.create_approval(EU, &a).await.unwrap();

    sb.set_access_rule("*", "*", false);
    let e = c
        .create_approval(EU, &approval("p1", "carol", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let p = c.get_promotion(EU, NS, "p1").await.unwrap().unwrap();
    let e = c.update_promotion_status(EU, &p).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    assert!(
        e.message.contains("modelpromotions/status"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn an_outage_takes_the_ledger_down_too() {
    let (sb, c, p) = with_promotion().await;
    sb.set_outage(Backend::Cluster, true);
    assert_eq!(c.ledger(EU).await.unwrap_err().code, ErrorCode::Unreachable);
    let e = c
        .create_promotion(EU, &promotion("p2", "alice"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    let e = c.get_promotion(EU, NS, "p1").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    let e = c.update_promotion_status(EU, &p).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable);
    sb.set_outage(Backend::Cluster, false);
    assert_eq!(made(&c).await, [p]);
}

#[tokio::test]
async fn save_and_restore_keep_the_ledger() {
    let (sb, c, p) = with_promotion().await;
    sb.set_identity("bob", &[]);
    c.create_approval(EU, &approval("p1", "bob", "alice"))
        .await
        .unwrap();
    let approvals = c.list_approvals(EU, NS, "p1").await.unwrap();

    let back = Sandbox::restore_state(&sb.save_state().unwrap()).unwrap();
    let rc = cluster(&back);
    assert_eq!(made(&rc).await, std::slice::from_ref(&p));
    assert_eq!(rc.list_approvals(EU, NS, "p1").await.unwrap(), approvals);
    // The restored object's resourceVersion is still the precondition.
    let mut next = p.clone();
    next.status.phase = Some("Approved".into());
    let stored = rc.update_promotion_status(EU, &next).await.unwrap();
    assert_ne!(stored.resource_version, p.resource_version);
    let e = rc.update_promotion_status(EU, &next).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Conflict);
}

#[tokio::test]
async fn a_world_saved_before_the_ledger_still_restores() {
    let sb = demo(42);
    let mut saved: serde_json::Value = serde_json::from_str(&sb.save_state().unwrap()).unwrap();
    assert!(
        saved.as_object_mut().unwrap().remove("ledgers").is_some(),
        "the saved world carries its ledgers"
    );
    let back = Sandbox::restore_state(&saved.to_string()).unwrap();
    let c = cluster(&back);
    assert!(made(&c).await.is_empty());
    back.set_identity("alice", &[]);
    c.create_promotion(EU, &promotion("p1", "alice"))
        .await
        .unwrap();
}
