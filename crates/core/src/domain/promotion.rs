//! Promotions, approvals, gates and audit entries as plain data. The state
//! machine that moves them lives in the promotion service, not here.

use super::{Timestamp, WorkloadRef};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a promotion stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum PromotionState {
    /// Asked for; gates and approvals being collected.
    Requested,
    /// Enough approvals and every gate passed.
    Approved,
    /// A reviewer said no.
    Rejected,
    /// Withdrawn by the requester.
    Cancelled,
    /// Alias move and workload patches under way.
    Executing,
    /// Done: the alias and every target serve the new version.
    Promoted,
    /// Put back to the previous version (on failure or by an operator).
    RolledBack,
}

impl PromotionState {
    /// True when nothing more will happen to it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            PromotionState::Rejected
                | PromotionState::Cancelled
                | PromotionState::Promoted
                | PromotionState::RolledBack
        )
    }
}

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Decision {
    /// Approve.
    Approve,
    /// Reject.
    Reject,
}

/// One reviewer's approval or rejection, bound to what they saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Approval {
    /// Who.
    pub approver: String,
    /// What they decided.
    pub decision: Decision,
    /// Their comment.
    pub comment: String,
    /// When.
    pub at: Timestamp,
    /// Each target's `uid@resourceVersion` as the reviewer saw it.
    pub bound_workloads: BTreeMap<String, String>,
    /// Source run of the version they approved.
    pub bound_run: Option<String>,
}

/// Outcome of one policy gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum GateStatus {
    /// Met.
    Pass,
    /// Not met: blocks.
    Fail,
    /// Not enough data yet (a human decides).
    Inconclusive,
    /// Not evaluated yet.
    Pending,
}

/// How many gates of a checklist are in each status (an inbox row's
/// summary: passed / failed / pending / inconclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GateSummary {
    /// Gates met.
    pub passed: u32,
    /// Gates not met.
    pub failed: u32,
    /// Gates not evaluated yet.
    pub pending: u32,
    /// Gates without enough data (a human decides).
    pub inconclusive: u32,
}

impl GateSummary {
    /// The counts of `gates`.
    pub fn of(gates: &[GateResult]) -> GateSummary {
        let mut s = GateSummary::default();
        for g in gates {
            match g.status {
                GateStatus::Pass => s.passed += 1,
                GateStatus::Fail => s.failed += 1,
                GateStatus::Pending => s.pending += 1,
                GateStatus::Inconclusive => s.inconclusive += 1,
            }
        }
        s
    }
}

/// A gate's result with the numbers behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GateResult {
    /// Gate name (`metric:auc`, `drift`, `four_eyes`).
    pub name: String,
    /// Status.
    pub status: GateStatus,
    /// The numbers, in words (`auc 0.912 vs 0.905 (>= -0.005)`).
    pub detail: String,
}

/// A request to point `alias` of `model` at `version` and roll the targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Promotion {
    /// Operation id (stable across retries).
    pub id: String,
    /// Registered model.
    pub model: String,
    /// Candidate version.
    pub version: String,
    /// Version the alias pointed at when requested.
    pub previous_version: Option<String>,
    /// Alias to move (`champion`).
    pub alias: String,
    /// Workloads to roll.
    pub targets: Vec<WorkloadRef>,
    /// Requester.
    pub requested_by: String,
    /// Why.
    pub reason: String,
    /// When requested.
    pub requested_at: Timestamp,
    /// State.
    pub state: PromotionState,
    /// Reviews so far.
    pub approvals: Vec<Approval>,
    /// Latest gate results.
    pub gates: Vec<GateResult>,
}

impl Promotion {
    /// How many reviewers approved (recorded decisions, whether or not each
    /// still counts: `PromotionStatus::not_counted` says which do not).
    pub fn approvals_given(&self) -> usize {
        self.approvals
            .iter()
            .filter(|a| a.decision == Decision::Approve)
            .count()
    }
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What (`promotion.requested`, `promotion.approved`, `alias.moved`).
    pub action: String,
    /// On what (`model fraud-detector v7`).
    pub subject: String,
    /// State before, free-form JSON.
    pub before: serde_json::Value,
    /// State after, free-form JSON.
    pub after: serde_json::Value,
    /// `ok`, `refused: ...`, `failed: ...`.
    pub outcome: String,
}

/// Where an execution in flight is. A read model: the promotion service
/// maps whatever it stores onto it, so front ends and the JSON output do
/// not change when the storage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExecutionPhase {
    /// Plan recorded, nothing changed yet.
    Planned,
    /// Alias moved, workloads being patched and rolled out.
    Rolling,
    /// Deployed; post-deploy gates inconclusive: waiting for a human.
    AwaitingDecision,
    /// Undoing.
    Compensating,
}

/// An execution in flight, as a reader sees it (no claim tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Execution {
    /// The user it acts as.
    pub actor: String,
    /// When it started.
    pub started_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Where it is.
    pub phase: ExecutionPhase,
    /// Why it is compensating or waiting.
    pub note: Option<String>,
}

/// One target's versions before and after a promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TargetChange {
    /// The workload.
    pub target: WorkloadRef,
    /// Its uid.
    pub uid: String,
    /// Version before the promotion.
    pub before_version: Option<String>,
    /// Version the promotion put there.
    pub after_version: String,
}

/// How a promotion ended: promoted, and later perhaps rolled back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PromotionOutcome {
    /// `promoted` or `rolled_back`.
    pub state: PromotionState,
    /// Alias moved.
    pub alias: String,
    /// Where the alias pointed before.
    pub previous_version: Option<String>,
    /// The targets' before and after.
    pub targets: Vec<TargetChange>,
    /// When it became Promoted, if it did.
    pub promoted_at: Option<Timestamp>,
    /// When it was rolled back, if it was.
    pub rolled_back_at: Option<Timestamp>,
    /// Who acted last.
    pub by: String,
    /// Why it was rolled back.
    pub reason: Option<String>,
}
