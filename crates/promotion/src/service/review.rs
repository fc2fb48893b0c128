//! Deciding: approve, reject, cancel, and helpers the other actions share.
//! Each refusal is audited with its reason before it is returned; nothing
//! is written to the registry until every check has passed.

use super::Promotions;
use super::approvals::{self, seen, stamp};
use super::audit::Event;
use super::load::{Loaded, derive_state};
use super::request::invalid;
use crate::error::{PromotionError, Result};
use crate::gates::{self, SloScope};
use crate::tags::{self, ApprovalRecord, CancelRecord, GateStamp, RequestRecord, TagKind};
use modeldeck_core::domain::{Approval, Decision, Promotion, PromotionState};
use serde_json::json;

impl Promotions {
    /// Approves promotion `id` as the current user.
    pub async fn approve(&self, id: &str, comment: &str) -> Result<Promotion> {
        self.decide(id, Decision::Approve, comment, None).await
    }

    /// Rejects promotion `id` as the current user (a comment is required).
    pub async fn reject(&self, id: &str, comment: &str) -> Result<Promotion> {
        self.decide(id, Decision::Reject, comment, None).await
    }

    /// Records a decision. `reviewed_version`, when given, is the version
    /// the reviewer looked at: a decision on another version is refused.
    /// Refused (and audited): self-approval, a second decision by the same
    /// person, RBAC denying `approve modelpromotions.modeldeck.io` in a
    /// target namespace, a closed promotion.
    pub async fn decide(
        &self,
        id: &str,
        decision: Decision,
        comment: &str,
        reviewed_version: Option<&str>,
    ) -> Result<Promotion> {
        let verb = if decision == Decision::Approve {
            "promotion.approve"
        } else {
            "promotion.reject"
        };
        let lock = self.lock_for(id);
        let guard = lock.lock().await;
        let l = match self.load(id).await {
            Ok(l) => l,
            Err(e) => {
                return Err(self
                    .refuse(Event::new("unknown", verb, format!("promotion {id}")), e)
                    .await);
            }
        };
        let r = &l.request;
        let actor = match self.identity(&r.targets).await {
            Ok(a) => a.username,
            Err(e) => {
                return Err(self
                    .refuse(
                        Event::new("unknown", verb, describe(r))
                            .on(id, &r.model, &r.version)
                            .targets(&r.targets),
                        e,
                    )
                    .await);
            }
        };
        let ev = Event::new(&actor, verb, describe(r))
            .on(id, &r.model, &r.version)
            .targets(&r.targets);
        let result = self
            .decide_checked(&l, &actor, decision, comment, reviewed_version)
            .await;
        drop(guard);
        match result {
            Err(e) => Err(self.refuse(ev, e).await),
            Ok((_, true)) => match self.execute(id, Default::default()).await {
                Ok(_) => self.status(id).await.map(|s| s.promotion),
                Err(e) => Err(e),
            },
            Ok((p, _)) => Ok(p),
        }
    }

    async fn decide_checked(
        &self,
        l: &Loaded,
        actor: &str,
        decision: Decision,
        comment: &str,
        reviewed_version: Option<&str>,
    ) -> Result<(Promotion, bool)> {
        let r = &l.request;
        tags::check_text("comment", comment)?;
        if decision == Decision::Reject && comment.trim().is_empty() {
            return Err(invalid("comment", "a rejection needs a comment saying why"));
        }
        let obs = self.observe(l).await?;
        let policy = self.policies.for_model(&r.model);
        let before = approvals::tally(&l.tags, r, &obs, self.now());
        let state = derive_state(&l.tags, &before, policy.min_approvals);
        if !matches!(state, PromotionState::Requested | PromotionState::Approved) {
            return Err(PromotionError::WrongState {
                id: l.id.clone(),
                state,
                action: "decide on it".into(),
            });
        }
        if actor == r.requested_by {
            return Err(PromotionError::SelfApproval {
                actor: actor.to_string(),
            });
        }
        let akey = tags::approver_key(actor);
        // A previous decision counts as one only when the cluster ledger
        // backs it: a forged tag in someone's name must not lock them out.
        if let Some(prev) = l
            .tags
            .approvals
            .get(&akey)
            .filter(|prev| super::ledger::unbound_problem(prev, r, &obs).is_none())
        {
            let word = if prev.approval.decision == Decision::Approve {
                "approved"
            } else {
                "rejected"
            };
            return Err(PromotionError::DuplicateApproval {
                actor: actor.to_string(),
                decision: word.into(),
                at: prev.approval.at.rfc3339(),
            });
        }
        if let Some(seen_v) = reviewed_version.filter(|v| *v != r.version) {
            return Err(PromotionError::ApprovalMismatch {
                details: format!(
                    "{actor} reviewed v{seen_v} but promotion {} is for v{}",
                    l.id, r.version
                ),
            });
        }
        let rbac_allowed = self.require_approver(actor, r, &obs).await?;
        let contenders = self
            .contenders(r, &l.version, obs.champion.as_deref())
            .await;
        let gate_values = gates::evaluate(
            &self.backends,
            policy,
            &contenders,
            &canaries(r, &obs),
            SloScope::Canary,
        )
        .await;
        // A policy's required model card fields hold before approval: an
        // approval of a model nobody documented is refused, not recorded.
        if decision == Decision::Approve
            && let Some(card) = gates::card_failure(&gate_values)
        {
            return Err(PromotionError::GateFailed { gates: vec![card] });
        }
        let now = self.now();
        let record = ApprovalRecord {
            v: tags::SCHEMA,
            promotion: l.id.clone(),
            model: r.model.clone(),
            version: r.version.clone(),
            champion: obs.champion.clone(),
            approval: Approval {
                approver: actor.to_string(),
                decision,
                comment: comment.to_string(),
                at: now,
                bound_workloads: obs
                    .workloads
                    .iter()
                    .map(|(k, w)| (k.to_string(), stamp(w)))
                    .collect(),
                bound_run: obs.run.clone(),
            },
            gates: gate_values
                .iter()
                .map(|g| GateStamp {
                    name: g.name.clone(),
                    status: g.status,
                })
                .collect(),
            gates_digest: gates::digest(&gate_values),
            expires_at: now.plus_millis(policy.approval_ttl.as_millis_i64()),
            rbac_allowed,
            seen: obs.workloads.values().map(seen).collect(),
        };
        let key = tags::key(&l.id, &TagKind::Approval(akey.clone()));
        let value = tags::encode(&key, &record)?;
        // The cluster first: where approvals are identity-bound, the
        // registry record counts only with this object beside it.
        let mut obs = obs;
        self.record_decision(&record, &mut obs).await?;
        self.backends
            .registry
            .set_version_tag(&r.model, &r.version, &key, &value)
            .await?;
        let mut after = l.tags.clone();
        after.approvals.insert(akey, record.clone());
        let tally = approvals::tally(&after, r, &obs, now);
        let new_state = derive_state(&after, &tally, policy.min_approvals);
        self.set_state_tag(r, new_state).await;
        let action = if decision == Decision::Approve {
            "promotion.approved"
        } else {
            "promotion.rejected"
        };
        let mut all_gates = approvals::checklist(&tally, &r.requested_by, &obs, policy);
        all_gates.extend(gate_values);
        let ev = Event::new(actor, action, describe(r))
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .evidence(super::ledger::evidence_digest(&record))
            .change(
                json!({ "state": state }),
                json!({ "state": new_state, "comment": comment, "expires_at": record.expires_at }),
            )
            .gates(&all_gates)
            .approvals(
                after
                    .approvals
                    .values()
                    .map(|a| a.approval.clone())
                    .collect(),
            );
        self.audit(ev).await?;
        let auto = policy.auto_execute
            && new_state == PromotionState::Approved
            && state == PromotionState::Requested;
        let loaded = Loaded {
            tags: after,
            ..l.clone()
        };
        Ok((
            super::load::to_promotion(&loaded, new_state, all_gates),
            auto,
        ))
    }

    /// Withdraws promotion `id`. Only its requester may, and only before
    /// execution starts.
    pub async fn cancel(&self, id: &str, reason: &str) -> Result<Promotion> {
        let lock = self.lock_for(id);
        let _guard = lock.lock().await;
        let l = match self.load(id).await {
            Ok(l) => l,
            Err(e) => {
                return Err(self
                    .refuse(
                        Event::new("unknown", "promotion.cancel", format!("promotion {id}")),
                        e,
                    )
                    .await);
            }
        };
        let r = &l.request;
        let actor = match self.identity(&r.targets).await {
            Ok(a) => a.username,
            Err(e) => {
                return Err(self
                    .refuse(
                        Event::new("unknown", "promotion.cancel", describe(r))
                            .on(id, &r.model, &r.version)
                            .targets(&r.targets),
                        e,
                    )
                    .await);
            }
        };
        let ev = Event::new(&actor, "promotion.cancel", describe(r))
            .on(id, &r.model, &r.version)
            .targets(&r.targets);
        match self.cancel_checked(&l, &actor, reason).await {
            Ok(p) => Ok(p),
            Err(e) => Err(self.refuse(ev, e).await),
        }
    }

    async fn cancel_checked(&self, l: &Loaded, actor: &str, reason: &str) -> Result<Promotion> {
        let r = &l.request;
        tags::check_text("reason", reason)?;
        let obs = self.observe(l).await?;
        let policy = self.policies.for_model(&r.model);
        let tally = approvals::tally(&l.tags, r, &obs, self.now());
        let state = derive_state(&l.tags, &tally, policy.min_approvals);
        if !matches!(state, PromotionState::Requested | PromotionState::Approved) {
            return Err(PromotionError::WrongState {
                id: l.id.clone(),
                state,
                action: "cancel it".into(),
            });
        }
        if actor != r.requested_by {
            return Err(PromotionError::NotAllowed {
                details: format!(
                    "only the requester {} may cancel promotion {}; {actor} may reject it instead",
                    r.requested_by, l.id
                ),
            });
        }
        let rec = CancelRecord {
            v: tags::SCHEMA,
            by: actor.to_string(),
            at: self.now(),
            reason: reason.to_string(),
        };
        let key = tags::key(&l.id, &TagKind::Cancel);
        let value = tags::encode(&key, &rec)?;
        self.backends
            .registry
            .set_version_tag(&r.model, &r.version, &key, &value)
            .await?;
        self.set_state_tag(r, PromotionState::Cancelled).await;
        let ev = Event::new(actor, "promotion.cancelled", describe(r))
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .change(
                json!({ "state": state }),
                json!({ "state": PromotionState::Cancelled, "reason": reason }),
            );
        self.audit(ev).await?;
        let mut t = l.tags.clone();
        t.cancel = Some(rec);
        let gates = approvals::checklist(&tally, &r.requested_by, &obs, policy);
        Ok(super::load::to_promotion(
            &Loaded {
                tags: t,
                ..l.clone()
            },
            PromotionState::Cancelled,
            gates,
        ))
    }
}

/// `promotion p1 (fraud v7 -> champion)`.
pub(crate) fn describe(r: &RequestRecord) -> String {
    format!(
        "promotion {} ({} v{} -> {})",
        r.id, r.model, r.version, r.alias
    )
}

/// Each target with the version its canary serves (for SLO gates) and the
/// version it serves now (for the drift and data-quality gates).
pub(crate) fn canaries(r: &RequestRecord, obs: &super::Observed) -> Vec<gates::Target> {
    r.targets
        .iter()
        .map(|t| {
            let w = obs.workloads.get(t);
            gates::Target {
                workload: t.clone(),
                canary: w.and_then(|w| w.canary.as_ref()).map(|c| c.version.clone()),
                served: w.and_then(|w| w.served_version.clone()),
            }
        })
        .collect()
}
