//! Which actions the current user may take on a promotion now, and why not:
//! the same checks the actions themselves make (state, four-eyes, a second
//! decision, Kubernetes RBAC, approvals that no longer count, failing
//! gates, a changed world), asked without writing anything, so a front end
//! can show a disabled action with its reason instead of a refusal after
//! the fact. [`Promotions::review`] bundles this with everything a
//! reviewer looks at (status with live gates, approvals with expiry, the
//! request and the execution in flight).

use super::approvals::{self, Problem, Tally};
use super::load::{Loaded, Observed};
use super::query::PromotionStatus;
use super::{Promotions, patch_resource};
use crate::error::Result;
use crate::gates;
use crate::tags::{self, RequestRecord};
use modeldeck_core::domain::{Approval, Execution, Timestamp};
use modeldeck_core::domain::{Decision, GateResult, PromotionState};
use serde::Serialize;

/// An action on a promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ActionKind {
    /// Approve it ([`Promotions::approve`]).
    Approve,
    /// Reject it ([`Promotions::reject`]).
    Reject,
    /// Execute it ([`Promotions::execute`]).
    Execute,
    /// Roll it back ([`Promotions::rollback_promotion`]).
    Rollback,
    /// Withdraw it ([`Promotions::cancel`]).
    Cancel,
}

impl ActionKind {
    /// Every action, in the order a front end lists them.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::Approve,
        ActionKind::Reject,
        ActionKind::Execute,
        ActionKind::Rollback,
        ActionKind::Cancel,
    ];

    /// The action as a verb (`approve`, `roll back`).
    pub fn verb(self) -> &'static str {
        match self {
            ActionKind::Approve => "approve",
            ActionKind::Reject => "reject",
            ActionKind::Execute => "execute",
            ActionKind::Rollback => "roll back",
            ActionKind::Cancel => "cancel",
        }
    }
}

/// Whether one action may be taken now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ActionCheck {
    /// The action.
    pub action: ActionKind,
    /// Why it may not be taken (`None`: it may).
    pub blocked: Option<String>,
    /// Something to know before taking it (inconclusive gates, a resume).
    pub note: Option<String>,
}

impl ActionCheck {
    /// True when the action may be taken.
    pub fn allowed(&self) -> bool {
        self.blocked.is_none()
    }

    fn ok(action: ActionKind) -> ActionCheck {
        ActionCheck {
            action,
            blocked: None,
            note: None,
        }
    }

    fn no(action: ActionKind, why: impl Into<String>) -> ActionCheck {
        ActionCheck {
            action,
            blocked: Some(why.into()),
            note: None,
        }
    }
}

/// One recorded decision with whether it counts now: a read model, the
/// same whatever stores the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApprovalView {
    /// The decision (approver, comment, time, the run and each target's
    /// `uid@resourceVersion` it is bound to).
    pub approval: Approval,
    /// Version the alias pointed at when it was given.
    pub champion: Option<String>,
    /// When it stops counting.
    pub expires_at: Timestamp,
    /// True when it counts toward the required approvals now.
    pub counts: bool,
    /// Why it does not count (rejections: `None`, they count as a veto).
    pub problem: Option<String>,
}

/// Everything a reviewer looks at, and what they may do (a read model).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Review {
    /// Who the cluster says the current user is (`None`: it could not tell).
    pub actor: Option<String>,
    /// Status with the live gate checklist.
    pub status: PromotionStatus,
    /// The candidate's source run as recorded at request time (`None`: not
    /// recorded); compare with `candidate_run`.
    pub requested_run: Option<String>,
    /// The candidate version's source run as the registry says now.
    pub candidate_run: Option<String>,
    /// Decisions, with whether each counts.
    pub approvals: Vec<ApprovalView>,
    /// The execution in flight, if any (phase, note).
    pub exec: Option<Execution>,
    /// Required approvals under the model's policy.
    pub min_approvals: u32,
    /// Each action, allowed or not with why.
    pub actions: Vec<ActionCheck>,
}

impl Review {
    /// The check of `action`.
    pub fn check(&self, action: ActionKind) -> Option<&ActionCheck> {
        self.actions.iter().find(|c| c.action == action)
    }
}

impl Promotions {
    /// Which actions the current user may take on promotion `id` now, each
    /// with why not. Asks RBAC (SelfSubjectAccessReview) but writes nothing
    /// and audits nothing.
    ///
    /// # Errors
    /// The promotion cannot be read (not found, registry or cluster down).
    pub async fn allowed_actions(&self, id: &str) -> Result<Vec<ActionCheck>> {
        Ok(self.review(id).await?.actions)
    }

    /// Promotion `id` as a reviewer sees it: status with live gates,
    /// decisions with expiry and whether they count, the execution in
    /// flight, and [`allowed_actions`](Promotions::allowed_actions).
    ///
    /// # Errors
    /// The promotion cannot be read (not found, registry or cluster down).
    pub async fn review(&self, id: &str) -> Result<Review> {
        let status = self.status(id).await?;
        let l = self.load(id).await?;
        let obs = self.observe(&l).await?;
        let r = &l.request;
        let policy = self.policies.for_model(&r.model);
        let tally = approvals::tally(&l.tags, r, &obs, self.now());
        let actor = self.identity(&r.targets).await.map(|i| i.username);
        let actions = match &actor {
            Ok(me) => self.checks(me, &l, &obs, &tally, &status).await,
            Err(e) => ActionKind::ALL
                .iter()
                .map(|a| ActionCheck::no(*a, format!("cannot tell who you are: {e}")))
                .collect(),
        };
        Ok(Review {
            actor: actor.ok(),
            approvals: approval_views(&l, &tally),
            requested_run: r.source_run.clone(),
            candidate_run: obs.run.clone(),
            exec: l.tags.exec.as_ref().map(Into::into),
            min_approvals: policy.min_approvals,
            status,
            actions,
        })
    }

    async fn checks(
        &self,
        me: &str,
        l: &Loaded,
        obs: &Observed,
        tally: &Tally,
        status: &PromotionStatus,
    ) -> Vec<ActionCheck> {
        let r = &l.request;
        let state = status.promotion.state;
        let open = matches!(state, PromotionState::Requested | PromotionState::Approved);
        let approve_rbac = self
            .require_approver(me, r, obs)
            .await
            .err()
            .map(|e| e.to_string());
        let patch_rbac = self
            .require(me, "patch", patch_resource, &r.targets)
            .await
            .err()
            .map(|e| e.to_string());
        let decide = |action: ActionKind| -> ActionCheck {
            if !open {
                return ActionCheck::no(
                    action,
                    format!("the promotion is {state:?}; decisions are closed"),
                );
            }
            if me == r.requested_by {
                let why = match action {
                    ActionKind::Approve => format!(
                        "you ({me}) requested this promotion: four-eyes rule, someone else must approve"
                    ),
                    _ => format!("you ({me}) requested this promotion: cancel it instead"),
                };
                return ActionCheck::no(action, why);
            }
            if let Some(prev) = l
                .tags
                .approvals
                .get(&tags::approver_key(me))
                .filter(|prev| super::ledger::unbound_problem(prev, r, obs).is_none())
            {
                let word = match prev.approval.decision {
                    Decision::Approve => "approved",
                    Decision::Reject => "rejected",
                };
                return ActionCheck::no(
                    action,
                    format!(
                        "you already {word} at {}; a second decision does not count",
                        prev.approval.at.rfc3339()
                    ),
                );
            }
            if action == ActionKind::Approve
                && let Some(card) = gates::card_failure(&status.promotion.gates)
            {
                return ActionCheck::no(action, format!("gate failed: card: {}", card.detail));
            }
            match &approve_rbac {
                Some(e) => ActionCheck::no(action, e.clone()),
                None => ActionCheck::ok(action),
            }
        };
        vec![
            decide(ActionKind::Approve),
            decide(ActionKind::Reject),
            self.execute_check(r, state, obs, tally, status, patch_rbac.as_deref()),
            rollback_check(state, patch_rbac.as_deref()),
            cancel_check(me, r, state),
        ]
    }

    fn execute_check(
        &self,
        r: &RequestRecord,
        state: PromotionState,
        obs: &Observed,
        tally: &Tally,
        status: &PromotionStatus,
        patch_rbac: Option<&str>,
    ) -> ActionCheck {
        let a = ActionKind::Execute;
        match state {
            PromotionState::Requested | PromotionState::Approved | PromotionState::Executing => {}
            s => return ActionCheck::no(a, format!("the promotion is {s:?}; nothing to execute")),
        }
        if let Some(e) = patch_rbac {
            return ActionCheck::no(a, e);
        }
        if state == PromotionState::Executing {
            return ActionCheck {
                note: Some("an execution is under way or was interrupted: this resumes it".into()),
                ..ActionCheck::ok(a)
            };
        }
        let policy = self.policies.for_model(&r.model);
        if let Err(e) = super::ledger::require_bound(obs, policy) {
            return ActionCheck::no(a, e.to_string());
        }
        let need = policy.min_approvals as usize;
        if tally.valid.len() < need {
            return ActionCheck::no(a, tally.shortfall(need).to_string());
        }
        let mut changes: Vec<String> = Vec::new();
        for rec in &tally.valid {
            for c in approvals::changes_since(rec, r, obs) {
                if !changes.contains(&c) {
                    changes.push(c);
                }
            }
        }
        if !changes.is_empty() {
            return ActionCheck::no(
                a,
                format!(
                    "the state changed since it was approved: {}",
                    changes.join("; ")
                ),
            );
        }
        let (failed, inconclusive) = gates::blocking(&status.promotion.gates);
        if !failed.is_empty() {
            return ActionCheck::no(a, format!("gate failed: {}", summary(&failed)));
        }
        if !inconclusive.is_empty() {
            return ActionCheck {
                note: Some(format!(
                    "inconclusive gates need your confirmation: {}",
                    summary(&inconclusive)
                )),
                ..ActionCheck::ok(a)
            };
        }
        ActionCheck::ok(a)
    }
}

fn rollback_check(state: PromotionState, patch_rbac: Option<&str>) -> ActionCheck {
    let a = ActionKind::Rollback;
    if !matches!(state, PromotionState::Promoted | PromotionState::Executing) {
        return ActionCheck::no(
            a,
            format!(
                "the promotion is {state:?}; only a promoted or executing one can be rolled back"
            ),
        );
    }
    match patch_rbac {
        Some(e) => ActionCheck::no(a, e),
        None => ActionCheck::ok(a),
    }
}

fn cancel_check(me: &str, r: &RequestRecord, state: PromotionState) -> ActionCheck {
    let a = ActionKind::Cancel;
    if !matches!(state, PromotionState::Requested | PromotionState::Approved) {
        return ActionCheck::no(
            a,
            format!("the promotion is {state:?}; it can no longer be cancelled"),
        );
    }
    if me != r.requested_by {
        return ActionCheck::no(
            a,
            format!(
                "only the requester {} may cancel it; reject it instead",
                r.requested_by
            ),
        );
    }
    ActionCheck::ok(a)
}

fn summary(gates: &[GateResult]) -> String {
    gates
        .iter()
        .map(|g| format!("{} ({})", g.name, g.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

fn approval_views(l: &Loaded, tally: &Tally) -> Vec<ApprovalView> {
    l.tags
        .approvals
        .values()
        .map(|rec| {
            let invalid: Option<&Problem> = tally
                .invalid
                .iter()
                .find(|(a, _)| a.approval.approver == rec.approval.approver)
                .map(|(_, p)| p);
            let counts = rec.approval.decision == Decision::Approve && invalid.is_none();
            ApprovalView {
                approval: rec.approval.clone(),
                champion: rec.champion.clone(),
                expires_at: rec.expires_at,
                counts,
                problem: invalid.map(Problem::message),
            }
        })
        .collect()
}
