//! The trust model end to end on our simulated Kubernetes API server
//! ("simulated": `modeldeck sandbox serve --users alice,bob,carol,viewer
//! --requesters alice` as its own process, TLS and a token per person, with
//! the shipped ledger installed: the promotion CRDs, the approval admission
//! policy and its binding) and the real MLflow, through the binary,
//! kubectl and MLflow's REST API only. alice is a requester: she may
//! request and execute promotions, update their status, patch the
//! workloads and write every registry tag, but never approve. bob and
//! carol are promoters, viewer reads. Each threat is an attack by someone
//! holding exactly those rights:
//!
//! 1. Forgery: alice writes bob's approval wherever she can reach (a
//!    registry tag that passes every tag check, a correctly chained line in
//!    her own journal, a `ModelApproval` with kubectl). None of it counts:
//!    execute refuses (`refused_unbound_approval`, exit 5), nothing moves,
//!    and the refusal is in her journal and in the promotion's shared
//!    history. bob's own approval then counts and alice executes it.
//! 2. Impersonation: bob may create `ModelApproval`s, but admission refuses
//!    one naming carol; his own is admitted (and backs no forged record).
//! 3. Self-approval through the API: carol's `ModelApproval` of her own
//!    promotion is refused by admission; one naming a made-up requester is
//!    admitted but does not count, not even with the request tag edited to
//!    name that requester.
//! 6. On the new storage as before: the viewer and the requester are
//!    refused approving (`refused_rbac`), an expired approval is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod people;
mod real;

use modeldeck_core::domain::{Approval, AuditEntry, Decision, Timestamp};
use modeldeck_promotion::journal::{AuditRecord, verify_path};
use modeldeck_promotion::tags::{self, ApprovalRecord, RequestRecord, SeenWorkload, TagKind};
use modeldeck_promotion::{Journal, JournalOptions, evidence_digest};
use people::*;
use real::World;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The version every promotion here asks for (the world's challenger).
const CANDIDATE: &str = "3";

/// Everyone at their own terminal around one served cluster.
struct Trust {
    w: World,
    k: Kubectl,
    model: String,
    people_dir: PathBuf,
    alice: Person,
    bob: Person,
    carol: Person,
    viewer: Person,
    _served: Served,
}

fn ctx(user: &str) -> String {
    format!("{user}@{CLUSTER}")
}

impl Trust {
    async fn start(tag: &str) -> Trust {
        let mut w = World::start(tag).await;
        // The world's in-process cluster is not used: the binary serves ours.
        w.stop_cluster().await;
        let model = w.bound("prod", "fraud-detector").model.clone();
        let (served, k, people_dir) =
            serve(&w, "alice,bob,carol,viewer", &["--requesters", "alice"]);
        let person = |name: &'static str| {
            Person::new(&w, name, &people_dir.join(format!("{name}.kubeconfig")))
        };
        let (alice, bob, carol, viewer) = (
            person("alice"),
            person("bob"),
            person("carol"),
            person("viewer"),
        );
        let t = Trust {
            k,
            model,
            people_dir,
            alice,
            bob,
            carol,
            viewer,
            _served: served,
            w,
        };
        t.unmoved();
        t
    }

    /// MLflow's champion and the Deployment's served version, read directly.
    fn serving(&self) -> (Option<String>, String) {
        (
            alias_of(&self.w.mlflow, &self.model, "champion"),
            self.k.served_version(&ctx("viewer")),
        )
    }

    fn unmoved(&self) {
        assert_eq!(self.serving(), (Some("2".into()), "2".into()), "moved");
    }

    /// alice's or carol's request of v3 for the Deployment; its id.
    async fn request(&self, p: &Person) -> String {
        let args = [
            "promote",
            "request",
            &self.model,
            "challenger",
            "--target",
            "prod/fraud-detector",
            "--reason",
            "v3 beats v2 offline",
        ];
        let (code, req) = p.json(&self.w, &args).await;
        assert_eq!(code, 0, "{}: {req}", p.name);
        assert_eq!(req["requested_by"], p.name, "{req}");
        assert_eq!(req["version"], CANDIDATE, "{req}");
        req["id"].as_str().unwrap().to_string()
    }

    /// The request tag of `id` as MLflow holds it: key, value, record.
    fn request_tag(&self, id: &str) -> (String, String, RequestRecord) {
        let key = tags::key(id, &TagKind::Request);
        let value = version_tag(&self.w.mlflow, &self.model, CANDIDATE, &key)
            .unwrap_or_else(|| panic!("no request tag {key}"));
        let rec = tags::decode(&key, &value).unwrap();
        (key, value, rec)
    }

    /// The approval record `approver`'s client would write now for `id`,
    /// built from what anyone may read: the request's targets and their
    /// uid and resourceVersion (kubectl), the candidate's source run and the
    /// champion (MLflow); unexpired, with RBAC said to allow it.
    fn record_as(&self, id: &str, approver: &str) -> ApprovalRecord {
        let (_, _, req) = self.request_tag(id);
        assert_eq!(req.targets.len(), 1, "{req:?}");
        let target = req.targets[0].clone();
        let (uid, rv) = self.k.stamp(&ctx("viewer"));
        let run = model_version(&self.w.mlflow, &self.model, CANDIDATE)["run_id"]
            .as_str()
            .map(str::to_string);
        assert!(run.is_some(), "v{CANDIDATE} has a source run");
        let now = Timestamp::now();
        ApprovalRecord {
            v: tags::SCHEMA,
            promotion: id.to_string(),
            model: req.model.clone(),
            version: req.version.clone(),
            champion: alias_of(&self.w.mlflow, &self.model, "champion"),
            approval: Approval {
                approver: approver.to_string(),
                decision: Decision::Approve,
                comment: "lgtm".into(),
                at: now,
                bound_workloads: BTreeMap::from([(target.to_string(), format!("{uid}@{rv}"))]),
                bound_run: run,
            },
            gates: Vec::new(),
            gates_digest: String::new(),
            expires_at: now.plus_millis(3_600_000),
            rbac_allowed: vec![format!("{}/{}", target.cluster, target.namespace)],
            seen: vec![SeenWorkload {
                target,
                uid,
                resource_version: rv,
                served_version: Some("2".into()),
                canary: None,
                desired_replicas: 2,
            }],
        }
    }

    /// Writes `rec` where its approver's client would, through MLflow REST.
    fn write_approval_tag(&self, rec: &ApprovalRecord) {
        let who = tags::approver_key(&rec.approval.approver);
        let key = tags::key(&rec.promotion, &TagKind::Approval(who));
        let value = tags::encode(&key, rec).unwrap();
        set_version_tag(&self.w.mlflow, &self.model, &rec.version, &key, &value);
        assert_eq!(
            version_tag(&self.w.mlflow, &self.model, &rec.version, &key).as_deref(),
            Some(value.as_str()),
            "MLflow holds the tag"
        );
    }

    /// Runs `args` as `p`; it must be refused (exit 5) with `code`. The
    /// error document.
    async fn refused(&self, p: &Person, args: &[&str], code: &str) -> Value {
        let (exit, v) = p.json(&self.w, args).await;
        assert_eq!(exit, 5, "{} {args:?}: {v}", p.name);
        assert_eq!(v["error"]["code"], code, "{} {args:?}: {v}", p.name);
        v
    }

    /// `kubectl create` of `doc` as `user`, which the server must refuse
    /// saying `says`; kubectl's stderr.
    fn kubectl_refused(&self, user: &str, file: &str, doc: &Value, says: &str) -> String {
        let out = self.k.create(&ctx(user), file, doc);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!out.status.success(), "{user} created {doc}: {out:?}");
        assert!(err.contains(says), "{user}: {err}");
        err
    }

    /// The last entry of the shared history of `id`, read with kubectl.
    fn last_shared(&self, id: &str) -> Value {
        let p = self
            .k
            .get_json(&ctx("viewer"), &["modelpromotions", id, "-n", "prod"]);
        p["status"]["history"]
            .as_array()
            .and_then(|h| h.last())
            .unwrap_or_else(|| panic!("no status.history: {p}"))
            .clone()
    }

    /// The last entry of `p`'s journal, as `modeldeck audit` lists it.
    async fn last_audited(&self, p: &Person) -> Value {
        let (code, v) = p.json(&self.w, &["audit"]).await;
        assert_eq!(code, 0, "{v}");
        v["entries"]
            .as_array()
            .and_then(|e| e.last())
            .unwrap_or_else(|| panic!("empty journal: {v}"))
            .clone()
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// `(actor, action)` of an entry, and that its outcome starts with `outcome`.
fn assert_entry(e: &Value, actor: &str, action: &str, outcome: &str) {
    assert_eq!(
        (text(&e["actor"]), text(&e["action"])),
        (actor, action),
        "{e}"
    );
    assert!(text(&e["outcome"]).starts_with(outcome), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_who_writes_everywhere_she_can_cannot_forge_an_approval() {
    let t = Trust::start("trust-forge").await;

    // Who may do what, as the server says: alice requests, executes and
    // patches but never decides.
    for (user, decides, writes) in [
        ("alice", false, true),
        ("bob", true, true),
        ("carol", true, true),
        ("viewer", false, false),
    ] {
        let c = ctx(user);
        assert_eq!(t.k.whoami(&c)["status"]["userInfo"]["username"], user);
        for (verb, resource) in [("create", "modelapprovals"), ("approve", "modelpromotions")] {
            let may = t.k.may(&c, verb, "modeldeck.io", resource);
            assert_eq!(may, decides, "{c} may {verb} {resource}");
        }
        let may = t.k.may(&c, "create", "modeldeck.io", "modelpromotions");
        assert_eq!(may, writes, "{c} may create modelpromotions");
        let want = if writes { "yes" } else { "no" };
        assert_eq!(t.k.can_i(&c, "patch", "deployments.apps"), want, "{c}");
    }
    let groups = t.k.whoami(&ctx("alice"))["status"]["userInfo"]["groups"].clone();
    assert!(
        groups
            .as_array()
            .unwrap()
            .contains(&json!("modeldeck:requesters")),
        "{groups}"
    );

    let id = t.request(&t.alice).await;

    // (a) The registry tag, with a record that passes every tag check.
    let rec = t.record_as(&id, "bob");
    t.write_approval_tag(&rec);
    // (b) A correctly chained line in her own journal.
    let journal = Journal::open(&t.alice.journal, JournalOptions::default()).unwrap();
    let mut line = AuditRecord::new(AuditEntry {
        at: rec.approval.at,
        actor: "bob".into(),
        action: "promotion.approved".into(),
        subject: format!("model {} v{CANDIDATE}", t.model),
        before: json!({"state": "requested"}),
        after: json!({"state": "approved", "comment": "lgtm"}),
        outcome: "ok".into(),
    });
    line.promotion = Some(id.clone());
    line.approvals = vec![rec.approval.clone()];
    journal.append(&line).unwrap();
    drop(journal);
    verify_path(&t.alice.journal, None).expect("her journal still verifies by itself");
    // (c) A ModelApproval naming bob, with her credentials: she may not
    // create approvals at all, so RBAC refuses it before admission would.
    let digest = evidence_digest(&rec);
    let doc = approval_doc(&format!("{id}-bob"), &id, "bob", "alice", &digest);
    t.kubectl_refused(
        "alice",
        "forged-bob.json",
        &doc,
        "User \"alice\" cannot create resource \"modelapprovals\"",
    );

    // None of it counts: execute refuses, nothing moved.
    let v = t
        .refused(
            &t.alice,
            &["promote", "execute", &id],
            "refused_unbound_approval",
        )
        .await;
    let msg = text(&v["error"]["message"]);
    assert!(
        msg.contains("bob's decision has no matching ModelApproval"),
        "{msg}"
    );
    t.unmoved();
    // The attempt is in both audit trails: her journal and the shared record.
    let refusal = "refused: refused_unbound_approval";
    let mine = t.last_audited(&t.alice).await;
    assert_entry(&mine, "alice", "promotion.execute", refusal);
    assert_eq!(mine["promotion"], id.as_str(), "{mine}");
    let shared = t.last_shared(&id);
    assert_entry(&shared, "alice", "promotion.execute", refusal);

    // Threat 2, impersonation: bob may create approvals, only as himself.
    let doc = approval_doc(&format!("{id}-carol"), &id, "carol", "alice", &digest);
    let err = t.kubectl_refused(
        "bob",
        "carol-by-bob.json",
        &doc,
        "spec.approver must be the user creating the approval",
    );
    assert!(
        err.contains("ValidatingAdmissionPolicy 'modeldeck-approvals.modeldeck.io'"),
        "{err}"
    );
    let own = approval_doc(&format!("{id}-bob"), &id, "bob", "alice", &"0".repeat(64));
    let out = t.k.create(&ctx("bob"), "bob-by-hand.json", &own);
    assert!(out.status.success(), "bob's own approval: {out:?}");
    // It vouches for no record of alice's making: still refused.
    t.refused(
        &t.alice,
        &["promote", "execute", &id],
        "refused_unbound_approval",
    )
    .await;
    t.unmoved();

    // bob approves with his own client: that counts, and alice executes it.
    let (code, v) = t
        .bob
        .json(&t.w, &["promote", "approve", &id, "-m", "numbers hold"])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["state"], "approved", "{v}");
    let (code, ex) = t.alice.json(&t.w, &["promote", "execute", &id]).await;
    assert_eq!(code, 0, "{ex}");
    assert_eq!(ex["state"], "promoted", "{ex}");
    assert_eq!(t.serving(), (Some(CANDIDATE.into()), CANDIDATE.into()));
    let p =
        t.k.get_json(&ctx("bob"), &["modelpromotions", &id, "-n", "prod"]);
    assert_eq!(p["status"]["phase"], "Promoted", "{p}");
}

/// The policy of [`FAST_POLICY`] with approvals living three seconds.
fn short_ttl_policy() -> String {
    let p = FAST_POLICY.replace(
        "min_approvals = 1\n",
        "min_approvals = 1\napproval_ttl = \"3s\"\n",
    );
    assert_ne!(p, FAST_POLICY);
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approvals_bind_to_their_author_and_still_expire() {
    let t = Trust::start("trust-self").await;
    let id = t.request(&t.carol).await;

    // Threat 3: carol approving her own promotion through the API.
    let rec = t.record_as(&id, "carol");
    let digest = evidence_digest(&rec);
    let doc = approval_doc(&format!("{id}-carol"), &id, "carol", "carol", &digest);
    let err = t.kubectl_refused(
        "carol",
        "self.json",
        &doc,
        "the requester of a promotion cannot approve it",
    );
    assert!(err.contains("ValidatingAdmissionPolicy"), "{err}");
    // With a made-up requester the policy admits it (it cannot read the
    // promotion)...
    let doc = approval_doc(&format!("{id}-carol-zed"), &id, "carol", "zed", &digest);
    let out = t.k.create(&ctx("carol"), "zed.json", &doc);
    assert!(out.status.success(), "{out:?}");
    t.write_approval_tag(&rec);
    // ...but it does not count: she requested the promotion.
    let v = t
        .refused(
            &t.carol,
            &["promote", "execute", &id],
            "refused_insufficient_approvals",
        )
        .await;
    let msg = text(&v["error"]["message"]);
    assert!(msg.contains("0 of 1 required approvals"), "{msg}");
    assert!(
        msg.contains("carol requested this promotion and cannot approve it"),
        "{msg}"
    );
    let (code, st) = t.bob.json(&t.w, &["promote", "status", &id]).await;
    assert_eq!(code, 0, "{st}");
    assert_eq!(st["state"], "requested", "{st}");
    // Not even with the request tag edited to name that requester.
    let (key, original, mut req) = t.request_tag(&id);
    req.requested_by = "zed".into();
    let edited = tags::encode(&key, &req).unwrap();
    set_version_tag(&t.w.mlflow, &t.model, CANDIDATE, &key, &edited);
    let v = t
        .refused(
            &t.carol,
            &["promote", "execute", &id],
            "refused_unbound_approval",
        )
        .await;
    let msg = text(&v["error"]["message"]);
    assert!(msg.contains("the registry tags were edited"), "{msg}");
    t.unmoved();
    let shared = t.last_shared(&id);
    assert_entry(
        &shared,
        "carol",
        "promotion.execute",
        "refused: refused_unbound_approval",
    );
    set_version_tag(&t.w.mlflow, &t.model, CANDIDATE, &key, &original);

    // Threat 6: neither the viewer nor the requester may approve.
    for p in [&t.viewer, &t.alice] {
        let v = t
            .refused(p, &["promote", "approve", &id], "refused_rbac")
            .await;
        let msg = text(&v["error"]["message"]);
        let says = format!("{} may not create modelapprovals.modeldeck.io", p.name);
        assert!(msg.contains(&says), "{msg}");
    }
    t.unmoved();

    // An approval that expired is refused.
    let kc = t.people_dir.join("bob.kubeconfig");
    let hasty = Person::with_policy(&t.w, "bob", &kc, "-short-ttl", &short_ttl_policy());
    let (code, v) = hasty
        .json(&t.w, &["promote", "approve", &id, "-m", "quick look"])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["state"], "approved", "{v}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let v = t
        .refused(&t.bob, &["promote", "execute", &id], "refused_expired")
        .await;
    let msg = text(&v["error"]["message"]);
    assert!(
        msg.contains("bob's approval of") && msg.contains("expired at"),
        "{msg}"
    );
    t.unmoved();
    let shared = t.last_shared(&id);
    assert_entry(
        &shared,
        "bob",
        "promotion.execute",
        "refused: refused_expired",
    );
    let mine = t.last_audited(&t.bob).await;
    assert_entry(
        &mine,
        "bob",
        "promotion.execute",
        "refused: refused_expired",
    );
}
