//! The JSON records stored in promotion tags. Every record carries `v` (the
//! schema version) so later readers can tell old records apart.

use modeldeck_core::domain::{Approval, GateStatus, PromotionState, Timestamp, WorkloadRef};
use serde::{Deserialize, Serialize};

/// Schema version written into every record.
pub const SCHEMA: u32 = 1;

fn schema() -> u32 {
    SCHEMA
}

/// `.../request`: what was asked, by whom, on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Schema version.
    #[serde(default = "schema")]
    pub v: u32,
    /// Operation id.
    pub id: String,
    /// Registered model.
    pub model: String,
    /// Candidate version.
    pub version: String,
    /// Alias to move.
    pub alias: String,
    /// Workloads to roll.
    pub targets: Vec<WorkloadRef>,
    /// Requester.
    pub requested_by: String,
    /// Why.
    pub reason: String,
    /// When.
    pub requested_at: Timestamp,
    /// Where the alias pointed when requested.
    pub previous_version: Option<String>,
    /// The candidate's source run.
    pub source_run: Option<String>,
}

/// A gate's status as an approver saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateStamp {
    /// Gate name.
    pub name: String,
    /// Status seen.
    pub status: GateStatus,
}

/// `.../approval/<approver key>`: one reviewer's decision and everything it
/// is bound to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// Schema version.
    #[serde(default = "schema")]
    pub v: u32,
    /// Promotion id it was given for.
    pub promotion: String,
    /// Model it was given for.
    pub model: String,
    /// Version it was given for.
    pub version: String,
    /// Version the alias pointed at when it was given.
    pub champion: Option<String>,
    /// The decision (approver, comment, time, bound workloads and run).
    pub approval: Approval,
    /// Gate statuses the approver saw.
    pub gates: Vec<GateStamp>,
    /// SHA-256 over the gate names, statuses and details the approver saw.
    pub gates_digest: String,
    /// When the approval stops counting.
    pub expires_at: Timestamp,
    /// `cluster/namespace` pairs where RBAC allowed the approver to approve.
    pub rbac_allowed: Vec<String>,
    /// The targets as the approver saw them (to say what changed since).
    #[serde(default)]
    pub seen: Vec<SeenWorkload>,
}

/// A target as a reviewer saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenWorkload {
    /// The workload.
    pub target: WorkloadRef,
    /// Object uid.
    pub uid: String,
    /// resourceVersion.
    pub resource_version: String,
    /// Version served.
    pub served_version: Option<String>,
    /// Canary as `version@percent`, if any.
    pub canary: Option<String>,
    /// Replicas wanted.
    pub desired_replicas: u32,
}

/// `.../claim`: which executor holds the promotion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// Schema version.
    #[serde(default = "schema")]
    pub v: u32,
    /// Executor identity (stable across restarts of the same runner).
    pub executor: String,
    /// Random token of this claim.
    pub token: String,
    /// The user the executor acts as.
    pub actor: String,
    /// When claimed.
    pub at: Timestamp,
}

/// What an execution recorded about one target before touching it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetPlan {
    /// The workload.
    pub target: WorkloadRef,
    /// Its uid (a recreated object is not ours to patch).
    pub uid: String,
    /// resourceVersion approved (the patch precondition).
    pub resource_version: String,
    /// Version it served before.
    pub before_version: Option<String>,
}

/// Everything needed to finish or undo an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Alias moved.
    pub alias: String,
    /// Where it pointed before (`None`: it did not exist).
    pub previous_alias_version: Option<String>,
    /// Targets, in patch order.
    pub targets: Vec<TargetPlan>,
}

/// Where an execution is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Plan recorded, nothing changed yet.
    Planned,
    /// Alias moved, workloads being patched and rolled out.
    Rolling,
    /// Deployed; post-deploy gates inconclusive: waiting for a human.
    AwaitingDecision,
    /// Undoing.
    Compensating,
}

/// `.../exec`: the execution in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRecord {
    /// Schema version.
    #[serde(default = "schema")]
    pub v: u32,
    /// Executor.
    pub executor: String,
    /// Claim token.
    pub token: String,
    /// User it acts as.
    pub actor: String,
    /// When it started.
    pub started_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// Phase.
    pub phase: Phase,
    /// The plan.
    pub plan: Plan,
    /// Why it is compensating or waiting.
    pub note: Option<String>,
}

/// One target's before and after in an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetOutcome {
    /// The workload.
    pub target: WorkloadRef,
    /// Its uid.
    pub uid: String,
    /// Version before the promotion.
    pub before_version: Option<String>,
    /// Version the promotion put there.
    pub after_version: String,
}

/// `.../outcome`: how the promotion ended (Promoted, later perhaps RolledBack).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeRecord {
    /// Schema version.
    #[serde(default = "schema")]
    pub v: u32,
    /// `promoted` or `rolled_back`.
    pub state: PromotionState,
    /// Alias moved.
    pub alias: String,
    /// Where the alias pointed before.
    pub previous_version: Option<String>,
    /// The targets' before and after.
    pub targets: Vec<TargetOutcome>,
    /// When it became Promoted, if it did.
    pub promoted_at: Option<Timestamp>,
    /// When it was rolled back, if it was.
    pub rolled_back_at: Option<Timestamp>,
    /// Who acted last.
    pub by: String,
    /// Why it was rolled back.
    pub reason: Option<String>,
}

/// `.../cancel`: withdrawn by the requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRecord {
    /// Schema version.
    #[serde(default = "schema")]
    pub v: u32,
    /// Who.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub reason: String,
}

/// `.../audit/<ms>-<hash>`: a journal entry mirrored into the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditMirror {
    /// Journal sequence number.
    pub seq: u64,
    /// Journal line hash.
    pub hash: String,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Outcome (`ok`, `refused: ...`), shortened to fit the tag.
    pub outcome: String,
}

// Storage records -> the read models front ends and the JSON output use
// (`modeldeck_core::domain`): a change of storage changes only these.

impl From<Phase> for modeldeck_core::domain::ExecutionPhase {
    fn from(p: Phase) -> Self {
        use modeldeck_core::domain::ExecutionPhase as E;
        match p {
            Phase::Planned => E::Planned,
            Phase::Rolling => E::Rolling,
            Phase::AwaitingDecision => E::AwaitingDecision,
            Phase::Compensating => E::Compensating,
        }
    }
}

impl From<&ExecRecord> for modeldeck_core::domain::Execution {
    fn from(e: &ExecRecord) -> Self {
        modeldeck_core::domain::Execution {
            actor: e.actor.clone(),
            started_at: e.started_at,
            updated_at: e.updated_at,
            phase: e.phase.into(),
            note: e.note.clone(),
        }
    }
}

impl From<&OutcomeRecord> for modeldeck_core::domain::PromotionOutcome {
    fn from(o: &OutcomeRecord) -> Self {
        modeldeck_core::domain::PromotionOutcome {
            state: o.state,
            alias: o.alias.clone(),
            previous_version: o.previous_version.clone(),
            targets: o
                .targets
                .iter()
                .map(|t| modeldeck_core::domain::TargetChange {
                    target: t.target.clone(),
                    uid: t.uid.clone(),
                    before_version: t.before_version.clone(),
                    after_version: t.after_version.clone(),
                })
                .collect(),
            promoted_at: o.promoted_at,
            rolled_back_at: o.rolled_back_at,
            by: o.by.clone(),
            reason: o.reason.clone(),
        }
    }
}
