//! The promotion ledger of the kube adapter, simulated: every test runs on
//! our simulated Kubernetes API server (crate `modeldeck-apiserver`, team
//! mode over TLS), each person with an own token, RBAC and `KubeCluster`.
//! The shipped manifests are installed with `install::install`, so the
//! admission policy under test is the shipped text; the server evaluates
//! it as a real API server would (same CEL, same refusal wording).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Scratch, fast, scratch};
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use modeldeck_apiserver::{ApiServer, ApiServerHandle, Rule, ServerConfig, User, team};
use modeldeck_core::domain::{
    ApprovalObject, Decision, LedgerState, PromotionObject, PromotionObjectStatus, PromotionSpec,
    WorkloadKind, WorkloadRef, approval_object_name,
};
use modeldeck_core::error::{BackendError, ErrorCode};
use modeldeck_core::ports::Cluster;
use modeldeck_kube::error::from_kube;
use modeldeck_kube::ledger::{PROMOTION_LABEL, approval_resource, promotion_resource};
use modeldeck_kube::{Contexts, KubeCluster, KubeOptions};
use serde_json::{Value, json};
use std::time::Duration;

/// The cluster (and kubeconfig context) name.
const CTX: &str = "ledger";
const NS: &str = "ml-prod";

struct Env {
    server: ApiServerHandle,
    dir: Scratch,
}

/// A server with admin, alice, bob, carol (promoters but admin) and dave,
/// who may read only our own group (not CRDs, not admission policies).
async fn env() -> Env {
    let names: Vec<String> = ["admin", "alice", "bob", "carol"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut users = team::users(&names, &[]).unwrap();
    users.push(User::new(
        "dave",
        vec![Rule::new(
            &["get", "list", "watch"],
            &["modeldeck.io"],
            &["*"],
            &[],
        )],
    ));
    let cfg = ServerConfig {
        tls: true,
        users,
        controller: fast(),
        ..ServerConfig::named(CTX)
    }
    .with_objects(
        ["ml-prod", "ml-dev"]
            .map(|ns| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})),
    );
    Env {
        server: ApiServer::start(cfg).await.unwrap(),
        dir: scratch(),
    }
}

impl Env {
    /// `user`'s own adapter; `ttl` is how long it keeps a ledger answer.
    fn as_user_ttl(&self, user: &str, ttl: Duration) -> KubeCluster {
        let path = self
            .dir
            .0
            .join(format!("{user}-{}.kubeconfig", ttl.as_millis()));
        self.server.write_kubeconfig(&path, user).unwrap();
        KubeCluster::connect(KubeOptions {
            kubeconfig: vec![path],
            contexts: Contexts::All,
            call_timeout: Duration::from_secs(10),
            ledger_ttl: ttl,
            ..KubeOptions::default()
        })
        .unwrap()
    }

    /// `user`'s adapter, asking the ledger state afresh every time.
    fn as_user(&self, user: &str) -> KubeCluster {
        self.as_user_ttl(user, Duration::ZERO)
    }

    async fn install(&self) {
        let admin = self.as_user("admin");
        let objects = modeldeck_manifests::objects().unwrap();
        let reports = modeldeck_kube::install::install(&client(&admin).await, &objects).await;
        assert_eq!(reports.len(), 7);
        for r in &reports {
            assert!(r.detail.is_none(), "{}/{}: {:?}", r.kind, r.name, r.detail);
        }
    }
}

async fn client(c: &KubeCluster) -> Client {
    c.client(CTX).await.unwrap()
}

fn target() -> WorkloadRef {
    WorkloadRef {
        cluster: CTX.into(),
        namespace: NS.into(),
        kind: WorkloadKind::Deployment,
        name: "fraud-detector".into(),
    }
}

fn promotion(name: &str, ns: &str, requested_by: &str) -> PromotionObject {
    PromotionObject {
        name: name.into(),
        namespace: ns.into(),
        resource_version: String::new(),
        spec: PromotionSpec {
            model: "fraud-detector".into(),
            version: "8".into(),
            alias: "champion".into(),
            targets: vec![target()],
            reason: "better recall".into(),
            requested_by: requested_by.into(),
        },
        status: PromotionObjectStatus::default(),
    }
}

/// A status with a phase and one history entry (built from JSON, so a
/// field added to the entry later does not break this file).
fn status(phase: &str, actor: &str) -> PromotionObjectStatus {
    serde_json::from_value(json!({
        "phase": phase,
        "history": [{"at": "2025-01-02T03:04:05Z", "actor": actor,
            "action": "promotion.request", "prevHash": "", "hash": "h1"}],
    }))
    .unwrap()
}

fn approval(promotion: &str, approver: &str, requester: &str) -> ApprovalObject {
    ApprovalObject {
        name: approval_object_name(promotion, approver),
        namespace: NS.into(),
        promotion: promotion.into(),
        approver: approver.into(),
        requester: requester.into(),
        decision: Decision::Approve,
        comment: "metrics look fine".into(),
        evidence_digest: "sha256:00".into(),
        bound_run: Some("run-1".into()),
        created_at: None,
    }
}

fn reason(s: LedgerState) -> String {
    match s {
        LedgerState::Unbound { reason } => reason,
        LedgerState::Bound => panic!("expected Unbound, got Bound"),
    }
}

/// An admission refusal: 403 or 422 with the policy's message.
fn assert_refused(e: &BackendError, message: &str) {
    assert!(
        matches!(e.code, ErrorCode::InvalidRequest | ErrorCode::Forbidden),
        "{e:?}"
    );
    assert!(e.message.contains(message), "{}", e.message);
    assert!(
        e.message
            .contains("ValidatingAdmissionPolicy 'modeldeck-approvals.modeldeck.io'"),
        "{}",
        e.message
    );
}

/// Simulated: Unbound (naming what is missing) before install, Bound
/// after; a policy edited, a binding deleted or unreadable objects make it
/// Unbound with a reason; the example ClusterRoles do not count; an
/// adapter keeps its answer for its TTL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_ledger_is_bound_only_while_installed_as_shipped() {
    let e = env().await;
    let alice = e.as_user("alice");
    let before = reason(alice.ledger(CTX).await.unwrap());
    for what in [
        "CustomResourceDefinition modelpromotions.modeldeck.io is not installed",
        "CustomResourceDefinition modelapprovals.modeldeck.io is not installed",
        "ValidatingAdmissionPolicy modeldeck-approvals.modeldeck.io is not installed",
        "ValidatingAdmissionPolicyBinding modeldeck-approvals.modeldeck.io is not installed",
    ] {
        assert!(before.contains(what), "{before}");
    }
    assert_eq!(alice.list_promotions(CTX).await.unwrap(), vec![]);
    assert_eq!(alice.list_approvals(CTX, NS, "p1").await.unwrap(), vec![]);
    let cached = e.as_user_ttl("bob", Duration::from_secs(60));
    assert!(!cached.ledger(CTX).await.unwrap().is_bound());

    e.install().await;
    assert_eq!(alice.ledger(CTX).await.unwrap(), LedgerState::Bound);
    assert!(
        !cached.ledger(CTX).await.unwrap().is_bound(),
        "kept for its TTL"
    );
    let dave = reason(e.as_user("dave").ledger(CTX).await.unwrap());
    assert!(
        dave.contains(
            "CustomResourceDefinition modelpromotions.modeldeck.io could not be read with these credentials"
        ),
        "{dave}"
    );

    let admin = client(&e.as_user("admin")).await;
    let all = |group: &str, kind: &str, plural: &str| -> Api<DynamicObject> {
        let gvk = GroupVersionKind::gvk(group, "v1", kind);
        Api::all_with(
            admin.clone(),
            &ApiResource::from_gvk_with_plural(&gvk, plural),
        )
    };
    all("rbac.authorization.k8s.io", "ClusterRole", "clusterroles")
        .delete("modeldeck-viewer", &DeleteParams::default())
        .await
        .unwrap();
    assert_eq!(alice.ledger(CTX).await.unwrap(), LedgerState::Bound);

    let adm = "admissionregistration.k8s.io";
    let vap = all(
        adm,
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
    );
    let edit = json!({"spec": {"validations": [{"expression": "true"}]}});
    vap.patch(
        "modeldeck-approvals.modeldeck.io",
        &PatchParams::default(),
        &Patch::Merge(&edit),
    )
    .await
    .unwrap();
    let edited = reason(alice.ledger(CTX).await.unwrap());
    assert!(
        edited.contains(
            "ValidatingAdmissionPolicy modeldeck-approvals.modeldeck.io differs from the shipped manifest at .spec.validations"
        ),
        "{edited}"
    );

    e.install().await;
    assert_eq!(alice.ledger(CTX).await.unwrap(), LedgerState::Bound);
    all(
        adm,
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
    )
    .delete("modeldeck-approvals.modeldeck.io", &DeleteParams::default())
    .await
    .unwrap();
    let unbound = reason(alice.ledger(CTX).await.unwrap());
    assert!(
        unbound.contains(
            "ValidatingAdmissionPolicyBinding modeldeck-approvals.modeldeck.io is not installed"
        ),
        "{unbound}"
    );
    assert!(!unbound.contains("CustomResourceDefinition"), "{unbound}");
}

/// Simulated: alice may request only as herself; the object carries its
/// label, its status is written after creation, a second create is a
/// conflict, and a missing promotion reads as None.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_promotions_are_requested_as_the_creator() {
    let e = env().await;
    e.install().await;
    let alice = e.as_user("alice");
    let mut p1 = promotion("p1", NS, "alice");
    p1.status = status("Requested", "alice");
    let created = alice.create_promotion(CTX, &p1).await.unwrap();
    assert!(!created.resource_version.is_empty());
    assert_eq!((&created.spec, &created.status), (&p1.spec, &p1.status));
    let read = alice.get_promotion(CTX, NS, "p1").await.unwrap().unwrap();
    assert_eq!(read, created);
    let raw =
        Api::<DynamicObject>::namespaced_with(client(&alice).await, NS, &promotion_resource())
            .get("p1")
            .await
            .unwrap();
    assert_eq!(
        raw.metadata.labels.unwrap().get(PROMOTION_LABEL),
        Some(&"p1".to_string())
    );

    let again = alice.create_promotion(CTX, &p1).await.unwrap_err();
    assert_eq!(again.code, ErrorCode::Conflict, "{again:?}");

    let as_bob = alice
        .create_promotion(CTX, &promotion("p2", NS, "bob"))
        .await
        .unwrap_err();
    assert_refused(
        &as_bob,
        "spec.requestedBy must be the user creating the promotion",
    );
    assert_eq!(alice.get_promotion(CTX, NS, "p2").await.unwrap(), None);
    assert_eq!(
        alice.get_promotion(CTX, "ml-dev", "p1").await.unwrap(),
        None
    );

    let dev = alice
        .create_promotion(CTX, &promotion("p3", "ml-dev", "alice"))
        .await
        .unwrap();
    let mut all: Vec<(String, String)> = e
        .as_user("bob")
        .list_promotions(CTX)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.namespace, p.name))
        .collect();
    all.sort();
    assert_eq!(
        all,
        vec![
            ("ml-dev".to_string(), dev.name.clone()),
            (NS.to_string(), "p1".to_string())
        ]
    );
}

/// Simulated: bob approves as himself; not as carol; never edits his
/// approval; alice cannot approve her own request; approvals list per
/// promotion, by label and by spec.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_approvals_are_bound_to_the_approver() {
    let e = env().await;
    e.install().await;
    let (alice, bob, carol) = (e.as_user("alice"), e.as_user("bob"), e.as_user("carol"));
    alice
        .create_promotion(CTX, &promotion("p1", NS, "alice"))
        .await
        .unwrap();
    carol
        .create_promotion(CTX, &promotion("p2", NS, "carol"))
        .await
        .unwrap();

    let mine = approval("p1", "bob", "alice");
    bob.create_approval(CTX, &mine).await.unwrap();
    let twice = bob.create_approval(CTX, &mine).await.unwrap_err();
    assert_eq!(twice.code, ErrorCode::Conflict, "{twice:?}");

    let as_carol = bob
        .create_approval(CTX, &approval("p1", "carol", "alice"))
        .await
        .unwrap_err();
    assert_refused(
        &as_carol,
        "spec.approver must be the user creating the approval",
    );

    let own = alice
        .create_approval(CTX, &approval("p1", "alice", "alice"))
        .await
        .unwrap_err();
    assert_refused(&own, "the requester of a promotion cannot approve it");

    let approvals =
        Api::<DynamicObject>::namespaced_with(client(&bob).await, NS, &approval_resource());
    let edit = json!({"spec": {"comment": "changed my mind", "decision": "reject"}});
    let changed = approvals
        .patch(&mine.name, &PatchParams::default(), &Patch::Merge(&edit))
        .await
        .map_err(|e| from_kube(e, CTX, "patching"))
        .unwrap_err();
    assert_refused(
        &changed,
        "the spec of an approval cannot change after it is created",
    );

    alice
        .create_approval(CTX, &approval("p2", "alice", "carol"))
        .await
        .unwrap();
    // The admin's approval of p2 labelled as p1's: the label lies.
    let admin = client(&e.as_user("admin")).await;
    let mut liar = DynamicObject::new("liar", &approval_resource()).within(NS);
    liar.metadata.labels = Some([(PROMOTION_LABEL.to_string(), "p1".to_string())].into());
    liar.data = json!({"spec": {"promotion": "p2", "approver": "admin", "requester": "carol",
        "decision": "approve"}});
    Api::<DynamicObject>::namespaced_with(admin, NS, &approval_resource())
        .create(&Default::default(), &liar)
        .await
        .unwrap();

    let of_p1 = carol.list_approvals(CTX, NS, "p1").await.unwrap();
    assert_eq!(of_p1.len(), 1, "{of_p1:?}");
    let got = &of_p1[0];
    assert!(
        got.created_at.as_deref().is_some_and(|t| t.contains('T')),
        "{got:?}"
    );
    assert_eq!(
        ApprovalObject {
            created_at: None,
            ..got.clone()
        },
        mine
    );
    // Listed by its label, the liar is not p2's either: only objects our
    // client labels (every one it creates) are found.
    let of_p2: Vec<String> = carol
        .list_approvals(CTX, NS, "p2")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.approver)
        .collect();
    assert_eq!(of_p2, vec!["alice".to_string()]);
    assert_eq!(
        carol.list_approvals(CTX, "ml-dev", "p1").await.unwrap(),
        vec![]
    );
}

/// Simulated: a status update is guarded by the resourceVersion read: a
/// stale one is a conflict, the current one writes and moves it on, and
/// an approver (bob) may write it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_status_updates_are_optimistic() {
    let e = env().await;
    e.install().await;
    let (alice, bob) = (e.as_user("alice"), e.as_user("bob"));
    let first = alice
        .create_promotion(CTX, &promotion("p1", NS, "alice"))
        .await
        .unwrap();
    assert_eq!(first.status, PromotionObjectStatus::default());

    let mut claim = first.clone();
    claim.status = status("Executing", "alice");
    claim.status.executor = Some("alice".into());
    let claimed = alice.update_promotion_status(CTX, &claim).await.unwrap();
    assert_ne!(claimed.resource_version, first.resource_version);
    assert_eq!(claimed.status, claim.status);
    assert_eq!(claimed.spec, first.spec);

    let mut stale = first.clone();
    stale.status = status("Executing", "bob");
    let lost = bob.update_promotion_status(CTX, &stale).await.unwrap_err();
    assert_eq!(lost.code, ErrorCode::Conflict, "{lost:?}");
    assert!(
        lost.message.contains(&first.resource_version),
        "{}",
        lost.message
    );

    let read = bob.get_promotion(CTX, NS, "p1").await.unwrap().unwrap();
    assert_eq!(read, claimed, "the stale write changed nothing");
    let mut next = read.clone();
    next.status.phase = Some("Promoted".into());
    let done = bob.update_promotion_status(CTX, &next).await.unwrap();
    assert_ne!(done.resource_version, read.resource_version);
    assert_eq!(done.status.phase.as_deref(), Some("Promoted"));

    let mut blind = done.clone();
    blind.resource_version.clear();
    let refused = bob.update_promotion_status(CTX, &blind).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidRequest, "{refused:?}");
}

/// Simulated: an object whose spec does not decode is an error naming it
/// when asked for, and skipped in a list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_malformed_promotions_are_named_or_skipped() {
    let e = env().await;
    e.install().await;
    let alice = e.as_user("alice");
    alice
        .create_promotion(CTX, &promotion("good", NS, "alice"))
        .await
        .unwrap();
    // Behind the API's back (no admission): a spec that is not ours.
    let bad: Value = json!({"apiVersion": "modeldeck.io/v1alpha1", "kind": "ModelPromotion",
        "metadata": {"name": "bad", "namespace": NS},
        "spec": {"model": ["not", "a", "string"]}});
    e.server.create(bad).unwrap();
    let err = alice.get_promotion(CTX, NS, "bad").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::MalformedResponse, "{err:?}");
    assert!(
        err.message
            .contains("ModelPromotion ml-prod/bad on cluster ledger"),
        "{}",
        err.message
    );
    let names: Vec<String> = alice
        .list_promotions(CTX)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, vec!["good".to_string()]);
}
