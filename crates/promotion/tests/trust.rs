//! The trust model on the in-process simulated cluster, which enforces the
//! shipped admission policy (its CEL, read from the manifest): an approval
//! counts only when the approver's own `ModelApproval` backs it, and the
//! shared history on the promotion objects, the journal and the registry
//! mirror check each other. Each test here fails on a service that trusts
//! registry tags (the design before the cluster ledger).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::{
    Approval, ApprovalObject, Decision, LedgerState, PromotionState, approval_object_name,
};
use modeldeck_core::error::ErrorCode;
use modeldeck_promotion::journal::head::{Head, write_head};
use modeldeck_promotion::journal::line::{GENESIS, encode_line};
use modeldeck_promotion::journal::shared_check::{compare, read_shared, rechain};
use modeldeck_promotion::journal::{AuditRecord, read_path};
use modeldeck_promotion::tags::{self, ApprovalRecord, TagKind};
use modeldeck_promotion::{Promotions, evidence_digest};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const MODEL: &str = "recsys-ranker";

/// alice requests v8 and returns the id.
async fn requested(w: &World, svc: &Promotions) -> String {
    request(w, svc, "alice", MODEL, "8").await
}

/// The approval record bob's client would write now, forged by whoever
/// calls this: every field a tag reader checks is right.
async fn forged_bob(w: &World, svc: &Promotions, id: &str) -> ApprovalRecord {
    let st = svc.status(id).await.unwrap();
    let p = st.promotion;
    let mut bound = BTreeMap::new();
    let mut seen = Vec::new();
    for t in &p.targets {
        let x = w.workload(t).await;
        bound.insert(t.to_string(), format!("{}@{}", x.uid, x.resource_version));
        seen.push(modeldeck_promotion::tags::SeenWorkload {
            target: t.clone(),
            uid: x.uid.clone(),
            resource_version: x.resource_version.clone(),
            served_version: x.served_version.clone(),
            canary: None,
            desired_replicas: x.desired_replicas,
        });
    }
    let now = w.control.clock().now();
    let v = w.backends().registry.get_version(MODEL, "8").await.unwrap();
    ApprovalRecord {
        v: tags::SCHEMA,
        promotion: id.to_string(),
        model: MODEL.into(),
        version: "8".into(),
        champion: w.alias(MODEL, "champion").await,
        approval: Approval {
            approver: "bob".into(),
            decision: Decision::Approve,
            comment: "lgtm".into(),
            at: now,
            bound_workloads: bound,
            bound_run: v.run_id.clone(),
        },
        gates: Vec::new(),
        gates_digest: String::new(),
        expires_at: now.plus_millis(3_600_000),
        rbac_allowed: p
            .targets
            .iter()
            .map(|t| format!("{}/{}", t.cluster, t.namespace))
            .collect(),
        seen,
    }
}

#[tokio::test]
async fn a_requester_who_writes_registry_tags_cannot_forge_an_approval() {
    let w = World::demo(7);
    let svc = w.service("console");
    let id = requested(&w, &svc).await;
    let before = served(&w, MODEL, "champion").await;
    let cluster = w.backends().cluster;
    let targets = svc.status(&id).await.unwrap().promotion.targets;
    let site = (targets[0].cluster.clone(), targets[0].namespace.clone());
    assert_eq!(cluster.ledger(&site.0).await.unwrap(), LedgerState::Bound);

    // alice forges bob's approval everywhere she can write.
    w.act_as("alice");
    let rec = forged_bob(&w, &svc, &id).await;
    // 1. The registry tag, as bob's client would have written it.
    let key = tags::key(&id, &TagKind::Approval(tags::approver_key("bob")));
    let value = tags::encode(&key, &rec).unwrap();
    w.backends()
        .registry
        .set_version_tag(MODEL, "8", &key, &value)
        .await
        .unwrap();
    // 2. Her own journal.
    let mut line = AuditRecord::new(modeldeck_core::domain::AuditEntry {
        at: rec.approval.at,
        actor: "bob".into(),
        action: "promotion.approved".into(),
        subject: format!("model {MODEL} v8"),
        before: serde_json::Value::Null,
        after: serde_json::Value::Null,
        outcome: "ok".into(),
    });
    line.promotion = Some(id.clone());
    line.approvals = vec![rec.approval.clone()];
    svc.journal().append(&line).unwrap();
    // 3. A ModelApproval naming bob, created with her credentials: admission refuses.
    let obj = ApprovalObject {
        name: approval_object_name(&id, "bob"),
        namespace: site.1.clone(),
        promotion: id.clone(),
        approver: "bob".into(),
        requester: "alice".into(),
        decision: Decision::Approve,
        comment: "lgtm".into(),
        evidence_digest: evidence_digest(&rec),
        bound_run: rec.approval.bound_run.clone(),
        created_at: None,
    };
    let e = cluster.create_approval(&site.0, &obj).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "{e:?}");
    assert!(
        e.message
            .contains("spec.approver must be the user creating the approval"),
        "{e:?}"
    );
    // 4. One naming someone else as requester, approving as herself: admitted
    // (the policy cannot see the promotion) but it backs no record of bob's.
    let mut as_alice = obj.clone();
    as_alice.name = approval_object_name(&id, "alice");
    as_alice.approver = "alice".into();
    as_alice.requester = "zed".into();
    cluster.create_approval(&site.0, &as_alice).await.unwrap();

    // The status does not count bob: the approval is not on the cluster.
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Requested, "{st:?}");
    let gate = st
        .promotion
        .gates
        .iter()
        .find(|g| g.name == "approvals")
        .unwrap();
    assert!(
        gate.detail.contains("no matching ModelApproval"),
        "{}",
        gate.detail
    );

    // Execute refuses with its own code; nothing moved; the attempt is audited.
    let e = svc.execute(&id, Default::default()).await.unwrap_err();
    assert_eq!(e.code(), "refused_unbound_approval", "{e}");
    assert!(
        e.to_string()
            .contains("bob's decision has no matching ModelApproval"),
        "{e}"
    );
    assert_eq!(served(&w, MODEL, "champion").await, before);
    let last = read_path(svc.journal().path()).unwrap();
    let last = &last.last().unwrap().record.entry;
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("alice", "promotion.execute")
    );
    assert!(
        last.outcome
            .starts_with("refused: refused_unbound_approval"),
        "{}",
        last.outcome
    );
    let shared = cluster
        .get_promotion(&site.0, &site.1, &id)
        .await
        .unwrap()
        .unwrap();
    let h = shared.status.history.last().unwrap();
    assert_eq!(
        (h.actor.as_str(), h.action.as_str()),
        ("alice", "promotion.execute")
    );
    assert!(
        h.outcome
            .as_deref()
            .unwrap()
            .starts_with("refused: refused_unbound_approval")
    );

    // bob approving as himself counts, and the promotion executes.
    w.act_as("bob");
    svc.approve(&id, "numbers hold").await.unwrap();
    let r = svc.execute(&id, Default::default()).await.unwrap();
    assert_eq!(r.state, PromotionState::Promoted);
    settle(&w, MODEL).await;
    assert!(all_on(&served(&w, MODEL, "champion").await, "8"));
}

#[tokio::test]
async fn an_edited_request_tag_does_not_make_the_requester_an_approver() {
    // alice rewrites the request tag to name zed as requester, so that her
    // own approval would pass the four-eyes check on the tags alone.
    let w = World::demo(7);
    let svc = w.service("console");
    let id = requested(&w, &svc).await;
    w.act_as("alice");
    let key = tags::key(&id, &TagKind::Request);
    let v = w.backends().registry.get_version(MODEL, "8").await.unwrap();
    let mut req: tags::RequestRecord = tags::decode(&key, &v.tags[&key]).unwrap();
    req.requested_by = "zed".into();
    let value = tags::encode(&key, &req).unwrap();
    w.backends()
        .registry
        .set_version_tag(MODEL, "8", &key, &value)
        .await
        .unwrap();
    let e = svc.approve(&id, "mine").await.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("the registry tags were edited") || e.code() == "refused_by_cluster",
        "{e}"
    );
    let e = svc.execute(&id, Default::default()).await.unwrap_err();
    assert!(e.is_refusal(), "{e}");
    assert_eq!(w.alias(MODEL, "champion").await.as_deref(), Some("7"));
}

/// Rewrites the journal at `path` from line `from` (1-based) on: that
/// line's actor becomes mallory and every later hash is recomputed, with a
/// matching head (a consistent rewrite: the file verifies by itself).
fn rewrite_journal(path: &Path, from: u64) {
    let lines = read_path(path).unwrap();
    let mut prev = GENESIS.to_string();
    let mut out = String::new();
    for l in &lines {
        let mut rec = l.record.clone();
        if l.seq == from {
            rec.entry.actor = "mallory".into();
        }
        let (text, hash) = encode_line(l.seq, &prev, &rec).unwrap();
        out.push_str(&text);
        out.push('\n');
        prev = hash;
    }
    std::fs::write(path, out).unwrap();
    write_head(path, &Head::new(lines.len() as u64, prev, None), false).unwrap();
    modeldeck_promotion::journal::verify_path(path, None).unwrap();
}

#[tokio::test]
async fn the_shared_record_and_the_journal_check_each_other() {
    let w = World::demo(7);
    let svc = w.service("console");
    let id = requested(&w, &svc).await;
    approve(&w, &svc, &id, &["bob"]).await;
    svc.execute(&id, Default::default()).await.unwrap();
    let cluster = w.backends().cluster;
    let path = svc.journal().path().to_path_buf();
    let lines = read_path(&path).unwrap();
    let jid = lines[0].hash[..16].to_string();
    let none = BTreeMap::new();

    let read = read_shared(&*cluster).await;
    let all: BTreeSet<String> = read.read.clone();
    assert!(!read.copies.is_empty());
    let ok = compare(&lines, Some(&jid), &read.copies, &all, &none);
    assert_eq!(ok.first_bad, None, "{ok:?}");
    assert!(
        ok.agreeing >= 4,
        "request, approval, executing, promoted: {ok:?}"
    );

    // The shared record rewritten consistently (an entry's outcome edited,
    // the chain recomputed): the journal disagrees.
    let copy = read
        .copies
        .iter()
        .find(|c| c.promotion == id)
        .unwrap()
        .clone();
    let mut p = cluster
        .get_promotion(&copy.cluster, &copy.namespace, &id)
        .await
        .unwrap()
        .unwrap();
    p.status.history[1].outcome = Some("ok: carol approved".into());
    rechain(&mut p.status.history);
    cluster
        .update_promotion_status(&copy.cluster, &p)
        .await
        .unwrap();
    let read2 = read_shared(&*cluster).await;
    let bad = compare(&lines, Some(&jid), &read2.copies, &all, &none)
        .first_bad
        .expect("the edit is seen");
    assert_eq!((bad.copy, bad.reason), ("shared", "edited"), "{bad:?}");

    // An entry deleted from the shared record (chain recomputed).
    let mut p = cluster
        .get_promotion(&copy.cluster, &copy.namespace, &id)
        .await
        .unwrap()
        .unwrap();
    p.status.history.remove(1);
    rechain(&mut p.status.history);
    cluster
        .update_promotion_status(&copy.cluster, &p)
        .await
        .unwrap();
    let read3 = read_shared(&*cluster).await;
    let bad = compare(&lines, Some(&jid), &read3.copies, &all, &none)
        .first_bad
        .expect("the deletion is seen");
    assert_eq!((bad.copy, bad.reason), ("shared", "deleted"), "{bad:?}");

    // The journal rewritten consistently from its 2nd line: it verifies by
    // itself, and the shared record (as first written) says it moved.
    let witnessed: Vec<u64> = read
        .copies
        .iter()
        .flat_map(|c| c.history.iter())
        .filter_map(|e| e.witness.as_deref())
        .filter_map(|w| w.split(':').nth(1)?.parse().ok())
        .collect();
    let target = *witnessed.iter().min().unwrap();
    rewrite_journal(&path, target);
    let rewritten = read_path(&path).unwrap();
    let bad = compare(
        &rewritten,
        Some(&rewritten[0].hash[..16]),
        &read.copies,
        &all,
        &none,
    )
    .first_bad
    .expect("the rewrite is seen");
    assert_eq!(bad.copy, "journal", "{bad:?}");
    assert_eq!(bad.seq, target, "{bad:?}");

    // The journal cut short: the shared record holds entries past its end.
    let cut: Vec<_> = lines[..lines.len() - 3].to_vec();
    let bad = compare(&cut, Some(&jid), &read.copies, &all, &none)
        .first_bad
        .expect("the truncation is seen");
    assert_eq!((bad.copy, bad.reason), ("journal", "truncated"), "{bad:?}");
}

#[tokio::test]
async fn a_forged_rejection_neither_closes_a_promotion_nor_frees_its_alias() {
    let w = World::demo(7);
    let svc = w.service("console");
    let id = requested(&w, &svc).await;
    w.act_as("alice");
    let mut rec = forged_bob(&w, &svc, &id).await;
    rec.approval.decision = Decision::Reject;
    let key = tags::key(&id, &TagKind::Approval(tags::approver_key("bob")));
    let value = tags::encode(&key, &rec).unwrap();
    w.backends()
        .registry
        .set_version_tag(MODEL, "8", &key, &value)
        .await
        .unwrap();
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Requested, "{st:?}");
    // The alias is still taken by the open promotion.
    w.act_as("carol");
    let e = svc
        .request(modeldeck_promotion::NewPromotion {
            model: MODEL.into(),
            version: "6".into(),
            reason: "while the first looks rejected".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), "refused_conflict", "{e}");
    // bob's real rejection does close it.
    w.act_as("bob");
    let p = svc.reject(&id, "long-tail queries regress").await.unwrap();
    assert_eq!(p.state, PromotionState::Rejected);
}

#[tokio::test]
async fn another_operators_shared_entry_rewritten_is_caught_by_the_mirror() {
    // alice's machine and bob's machine keep separate journals; bob's
    // approval entry in the shared record is foreign to alice's journal,
    // but the registry mirror holds every journal's entries.
    let w = World::demo(7);
    let alice_svc = w.service("alice-laptop");
    let bob_svc = w.service("bob-laptop");
    let id = requested(&w, &alice_svc).await;
    approve(&w, &bob_svc, &id, &["bob"]).await;
    let cluster = w.backends().cluster;
    let lines = read_path(alice_svc.journal().path()).unwrap();
    let jid = lines[0].hash[..16].to_string();
    let mirror = modeldeck_promotion::journal::mirror_check::read_mirror(&*w.backends().registry)
        .await
        .unwrap();
    let mirrored: Vec<_> = mirror.entries.iter().map(|e| e.entry.clone()).collect();
    let read = read_shared(&*cluster).await;
    use modeldeck_promotion::journal::shared_check::foreign_against_mirror;
    assert_eq!(
        foreign_against_mirror(&read.copies, Some(&jid), &mirrored),
        None
    );

    let copy = read.copies.iter().find(|c| c.promotion == id).unwrap();
    let mut p = cluster
        .get_promotion(&copy.cluster, &copy.namespace, &id)
        .await
        .unwrap()
        .unwrap();
    let i = p
        .status
        .history
        .iter()
        .position(|e| e.action == "promotion.approved")
        .unwrap();
    p.status.history[i].actor = "carol".into();
    rechain(&mut p.status.history);
    cluster
        .update_promotion_status(&copy.cluster, &p)
        .await
        .unwrap();
    let read = read_shared(&*cluster).await;
    let all: BTreeSet<String> = read.read.clone();
    // alice's journal alone cannot tell (the entry is not hers) ...
    let own = compare(&lines, Some(&jid), &read.copies, &all, &BTreeMap::new());
    assert_eq!(own.first_bad, None, "{own:?}");
    assert!(own.foreign >= 1, "{own:?}");
    // ... the mirror can.
    let bad = foreign_against_mirror(&read.copies, Some(&jid), &mirrored).expect("seen");
    assert_eq!((bad.copy, bad.reason), ("shared", "edited"), "{bad:?}");
    assert!(
        bad.detail.contains("carol") && bad.detail.contains("bob"),
        "{bad:?}"
    );
}
