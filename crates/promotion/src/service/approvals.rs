//! Which recorded decisions count: the four-eyes rule, RBAC coverage,
//! expiry, and the binding of each approval to the promotion, version,
//! source run, champion and each target's uid + resourceVersion. Also the
//! approval part of the gate checklist.

use super::load::Observed;
use crate::error::PromotionError;
use crate::gates::gate;
use crate::tags::{ApprovalRecord, PromotionTags, RequestRecord, SeenWorkload};
use modeldeck_core::domain::{Decision, GateResult, GateStatus, Timestamp, Workload};

/// Why a recorded decision does not count.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// Given for another promotion, model or version.
    Mismatch(String),
    /// Given by the requester (their name).
    SelfApproval(String),
    /// The approver's RBAC check did not cover a target namespace.
    Rbac {
        /// Approver.
        approver: String,
        /// Cluster not covered.
        cluster: String,
        /// Namespace not covered.
        namespace: String,
    },
    /// Expired.
    Expired(String),
    /// What it was bound to changed; each change in words.
    Stale(Vec<String>),
    /// Not backed by the cluster ledger (a forged or hand-written record).
    Unbound(String),
}

impl Problem {
    /// The problem in words.
    pub fn message(&self) -> String {
        match self {
            Problem::Mismatch(m) | Problem::Expired(m) | Problem::Unbound(m) => m.clone(),
            Problem::SelfApproval(who) => {
                format!("{who} requested this promotion and cannot approve it")
            }
            Problem::Rbac {
                approver,
                cluster,
                namespace,
            } => {
                format!("{approver} was not checked as allowed to approve in {cluster}/{namespace}")
            }
            Problem::Stale(changes) => changes.join("; "),
        }
    }

    /// Rank for choosing which refusal to report (highest first).
    fn rank(&self) -> u8 {
        match self {
            Problem::Unbound(_) => 6,
            Problem::Stale(_) => 5,
            Problem::Mismatch(_) => 4,
            Problem::Expired(_) => 3,
            Problem::Rbac { .. } => 2,
            Problem::SelfApproval(_) => 1,
        }
    }

    /// The refusal this problem stands for.
    pub fn to_error(&self) -> PromotionError {
        match self {
            Problem::Stale(changes) => PromotionError::StaleState {
                changes: changes.clone(),
            },
            Problem::Mismatch(m) => PromotionError::ApprovalMismatch { details: m.clone() },
            Problem::Expired(m) => PromotionError::Expired { details: m.clone() },
            Problem::Unbound(m) => PromotionError::UnboundApproval { details: m.clone() },
            Problem::Rbac {
                approver,
                cluster,
                namespace,
            } => PromotionError::Rbac {
                actor: approver.clone(),
                verb: "approve".into(),
                resource: format!("{}.{}", super::RBAC_RESOURCE, super::RBAC_GROUP),
                namespace: namespace.clone(),
                cluster: cluster.clone(),
            },
            Problem::SelfApproval(who) => PromotionError::SelfApproval { actor: who.clone() },
        }
    }
}

/// Decisions sorted into what counts.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Approvals that count.
    pub valid: Vec<ApprovalRecord>,
    /// Rejections by someone other than the requester.
    pub rejections: Vec<ApprovalRecord>,
    /// Decisions that do not count, with why.
    pub invalid: Vec<(ApprovalRecord, Problem)>,
}

impl Tally {
    /// The refusal explaining why there are fewer than `need` valid approvals.
    pub fn shortfall(&self, need: usize) -> PromotionError {
        match self.invalid.iter().max_by_key(|(_, p)| p.rank()) {
            Some((_, p)) if !matches!(p, Problem::SelfApproval(_)) => p.to_error(),
            _ => PromotionError::InsufficientApprovals {
                have: self.valid.len(),
                need,
                invalid: self.invalid.iter().map(|(_, p)| p.message()).collect(),
            },
        }
    }
}

/// Sorts the recorded decisions of `t` against the world as `obs` shows it.
pub fn tally(t: &PromotionTags, req: &RequestRecord, obs: &Observed, now: Timestamp) -> Tally {
    let mut out = Tally::default();
    for rec in t.approvals.values() {
        let bound_here =
            rec.promotion == req.id && rec.model == req.model && rec.version == req.version;
        if rec.approval.decision == Decision::Reject {
            if bound_here && rec.approval.approver != req.requested_by {
                match super::ledger::unbound_problem(rec, req, obs) {
                    None => out.rejections.push(rec.clone()),
                    Some(p) => out.invalid.push((rec.clone(), p)),
                }
            }
            continue;
        }
        match judge(rec, req, obs, now) {
            None => out.valid.push(rec.clone()),
            Some(p) => out.invalid.push((rec.clone(), p)),
        }
    }
    out
}

/// Why `rec` does not count, or `None` when it does.
pub fn judge(
    rec: &ApprovalRecord,
    req: &RequestRecord,
    obs: &Observed,
    now: Timestamp,
) -> Option<Problem> {
    let who = &rec.approval.approver;
    if rec.promotion != req.id || rec.model != req.model || rec.version != req.version {
        return Some(Problem::Mismatch(format!(
            "{who}'s approval was given for promotion {} of {} v{}, not for {} (v{})",
            rec.promotion, rec.model, rec.version, req.id, req.version
        )));
    }
    if *who == req.requested_by {
        return Some(Problem::SelfApproval(who.clone()));
    }
    if let Some(p) = super::ledger::unbound_problem(rec, req, obs) {
        return Some(p);
    }
    for t in &req.targets {
        // On a bound site the approver's own ModelApproval proves RBAC let
        // them create it there; the self-reported list is for the others.
        let site = (t.cluster.clone(), t.namespace.clone());
        if obs.ledger.get(&site).is_some_and(|s| s.state.is_bound()) {
            continue;
        }
        let ns = format!("{}/{}", t.cluster, t.namespace);
        if !rec.rbac_allowed.contains(&ns) {
            return Some(Problem::Rbac {
                approver: who.clone(),
                cluster: t.cluster.clone(),
                namespace: t.namespace.clone(),
            });
        }
    }
    if now >= rec.expires_at {
        return Some(Problem::Expired(format!(
            "{who}'s approval of {} expired at {}",
            rec.approval.at.rfc3339(),
            rec.expires_at.rfc3339()
        )));
    }
    let changes = changes_since(rec, req, obs);
    (!changes.is_empty()).then_some(Problem::Stale(changes))
}

/// What changed between what `rec` was bound to and `obs`, in words.
pub fn changes_since(rec: &ApprovalRecord, req: &RequestRecord, obs: &Observed) -> Vec<String> {
    let who = &rec.approval.approver;
    let mut out = Vec::new();
    if rec.approval.bound_run != obs.run {
        out.push(format!(
            "the source run of v{} changed from {} to {} since {who} approved",
            req.version,
            rec.approval.bound_run.as_deref().unwrap_or("none"),
            obs.run.as_deref().unwrap_or("none")
        ));
    }
    if rec.champion != obs.champion {
        out.push(format!(
            "{} moved from {} to {} since {who} approved",
            req.alias,
            rec.champion
                .as_deref()
                .map_or("nowhere".into(), |v| format!("v{v}")),
            obs.champion
                .as_deref()
                .map_or("nowhere".into(), |v| format!("v{v}"))
        ));
    }
    for t in &req.targets {
        let key = t.to_string();
        let Some(bound) = rec.approval.bound_workloads.get(&key) else {
            out.push(format!("{key} was not part of what {who} approved"));
            continue;
        };
        let Some(now) = obs.workloads.get(t) else {
            out.push(format!("{key} no longer exists"));
            continue;
        };
        if *bound == stamp(now) {
            continue;
        }
        let seen = rec.seen.iter().find(|s| &s.target == t);
        out.push(describe_change(&key, bound, seen, now));
    }
    out
}

/// `uid@resourceVersion`, the binding of a workload.
pub fn stamp(w: &Workload) -> String {
    format!("{}@{}", w.uid, w.resource_version)
}

/// A workload as a reviewer sees it.
pub fn seen(w: &Workload) -> SeenWorkload {
    SeenWorkload {
        target: w.id.clone(),
        uid: w.uid.clone(),
        resource_version: w.resource_version.clone(),
        served_version: w.served_version.clone(),
        canary: w
            .canary
            .as_ref()
            .map(|c| format!("{}@{}", c.version, c.traffic_percent)),
        desired_replicas: w.desired_replicas,
    }
}

fn describe_change(key: &str, bound: &str, seen: Option<&SeenWorkload>, now: &Workload) -> String {
    let (uid, rv) = bound.split_once('@').unwrap_or((bound, ""));
    if uid != now.uid {
        return format!("{key} was deleted and recreated (uid {uid} -> {})", now.uid);
    }
    let mut what = Vec::new();
    if let Some(s) = seen {
        let now_seen = self::seen(now);
        let v = |x: &Option<String>| x.as_deref().map_or("none".to_string(), |v| format!("v{v}"));
        if s.served_version != now_seen.served_version {
            what.push(format!(
                "served version {} -> {}",
                v(&s.served_version),
                v(&now_seen.served_version)
            ));
        }
        if s.canary != now_seen.canary {
            let c = |x: &Option<String>| x.clone().unwrap_or_else(|| "none".into());
            what.push(format!(
                "canary {} -> {}",
                c(&s.canary),
                c(&now_seen.canary)
            ));
        }
        if s.desired_replicas != now.desired_replicas {
            what.push(format!(
                "replicas {} -> {}",
                s.desired_replicas, now.desired_replicas
            ));
        }
    }
    if what.is_empty() {
        what.push("spec, labels or status".into());
    }
    format!(
        "{key} changed since approval (resourceVersion {rv} -> {}: {})",
        now.resource_version,
        what.join(", ")
    )
}

/// The approval gates of the checklist: `four_eyes`, `approvals`, `rbac`,
/// `bound_state`, `identity`.
pub fn checklist(
    t: &Tally,
    requested_by: &str,
    obs: &Observed,
    policy: &modeldeck_core::policy::Policy,
) -> Vec<GateResult> {
    let need = policy.min_approvals;
    let mut out = approval_gates(t, requested_by, need);
    out.push(super::ledger::identity_gate(obs, policy));
    out
}

fn approval_gates(t: &Tally, requested_by: &str, need: u32) -> Vec<GateResult> {
    let names = |v: &[ApprovalRecord]| {
        v.iter()
            .map(|a| a.approval.approver.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    let selfs: Vec<&Problem> = t
        .invalid
        .iter()
        .map(|(_, p)| p)
        .filter(|p| matches!(p, Problem::SelfApproval(_)))
        .collect();
    out.push(if selfs.is_empty() {
        gate(
            "four_eyes",
            GateStatus::Pass,
            format!("requester {requested_by} is not among the approvers"),
        )
    } else {
        gate(
            "four_eyes",
            GateStatus::Fail,
            format!("requester {requested_by} approved their own promotion (not counted)"),
        )
    });
    let others: Vec<String> = t
        .invalid
        .iter()
        .filter(|(_, p)| !matches!(p, Problem::SelfApproval(_)))
        .map(|(a, p)| format!("{}: {}", a.approval.approver, p.message()))
        .collect();
    let counted = format!(
        "{} of {need} valid approvals ({})",
        t.valid.len(),
        if t.valid.is_empty() {
            "none".into()
        } else {
            names(&t.valid)
        }
    );
    let suffix = if others.is_empty() {
        String::new()
    } else {
        format!("; not counted: {}", others.join("; "))
    };
    out.push(if let Some(r) = t.rejections.first() {
        gate(
            "approvals",
            GateStatus::Fail,
            format!(
                "rejected by {}: {}",
                r.approval.approver, r.approval.comment
            ),
        )
    } else if t.valid.len() >= need as usize {
        gate("approvals", GateStatus::Pass, format!("{counted}{suffix}"))
    } else {
        gate(
            "approvals",
            GateStatus::Pending,
            format!("{counted}{suffix}"),
        )
    });
    let rbac: Vec<String> = t
        .invalid
        .iter()
        .filter(|(_, p)| matches!(p, Problem::Rbac { .. }))
        .map(|(_, p)| p.message())
        .collect();
    out.push(if rbac.is_empty() {
        gate("rbac", GateStatus::Pass, "every counted approver was allowed to approve in each target namespace (their own ModelApproval where the cluster binds approvals, else approve modelpromotions.modeldeck.io)")
    } else {
        gate("rbac", GateStatus::Fail, rbac.join("; "))
    });
    let stale: Vec<String> = t
        .invalid
        .iter()
        .filter_map(|(_, p)| match p {
            Problem::Stale(c) => Some(c.join("; ")),
            _ => None,
        })
        .collect();
    out.push(match (stale.is_empty(), t.valid.is_empty()) {
        (false, _) => gate("bound_state", GateStatus::Fail, stale.join("; ")),
        (true, true) => gate("bound_state", GateStatus::Pending, "no approval yet"),
        (true, false) => gate(
            "bound_state",
            GateStatus::Pass,
            "model, version, run, champion and every target are as approved",
        ),
    });
    out
}
