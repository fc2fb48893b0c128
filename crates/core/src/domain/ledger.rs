//! The promotion ledger a cluster keeps: `ModelPromotion` and
//! `ModelApproval` objects of the `modeldeck.io` API group, each created
//! with the acting person's own credentials, so the API server (its
//! authentication and the shipped admission policy) says who made it.
//! MLflow tags mirror them for the MLflow UI and never count.

use super::{Decision, WorkloadRef};
use serde::{Deserialize, Serialize};

/// Whether a cluster binds approvals to the people who made them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LedgerState {
    /// The CRDs, the admission policy and its binding are installed as
    /// shipped: an approval object names the person who created it.
    Bound,
    /// They are not (or differ from what ships): why, in words.
    Unbound {
        /// What is missing or different.
        reason: String,
    },
}

impl LedgerState {
    /// True for [`LedgerState::Bound`].
    pub fn is_bound(&self) -> bool {
        matches!(self, LedgerState::Bound)
    }
}

/// `spec` of a `ModelPromotion`: what was asked, by whom (admission binds
/// `requested_by` to the creator; the spec never changes afterwards).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionSpec {
    /// Registered model.
    pub model: String,
    /// Version to promote.
    pub version: String,
    /// Alias it takes.
    pub alias: String,
    /// Workloads that switch.
    pub targets: Vec<WorkloadRef>,
    /// The requester's reason.
    #[serde(default)]
    pub reason: String,
    /// Who asked (the authenticated creator).
    pub requested_by: String,
}

/// One entry of the shared audit chain on a promotion object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    /// RFC 3339 time.
    pub at: String,
    /// Who acted (the identity the cluster reported).
    pub actor: String,
    /// What (`promotion.request`, `promotion.approve`, ...).
    pub action: String,
    /// sha256 of the evidence the actor saw, when there was some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_digest: Option<String>,
    /// State before, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// State after, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// `ok`, `refused: ...`, `failed: ...`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// `seq:hash` of the line the actor's own journal wrote for this
    /// entry: what `modeldeck audit verify` on that machine cross-checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
    /// Hash of the previous entry (empty for the first).
    #[serde(default)]
    pub prev_hash: String,
    /// sha256 over this entry's fields and `prev_hash`.
    #[serde(default)]
    pub hash: String,
}

/// `status` of a `ModelPromotion`: phase, the executor's claim and history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionObjectStatus {
    /// `Requested`, `Executing`, `Promoted`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Who holds the execution claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// When the claim was taken (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<String>,
    /// The shared audit chain, oldest first.
    #[serde(default)]
    pub history: Vec<LedgerEntry>,
}

/// A `ModelPromotion` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionObject {
    /// Object name (the promotion id).
    pub name: String,
    /// Namespace (a target's namespace).
    pub namespace: String,
    /// resourceVersion as read; the precondition of a status update.
    #[serde(default)]
    pub resource_version: String,
    /// Spec.
    pub spec: PromotionSpec,
    /// Status.
    #[serde(default)]
    pub status: PromotionObjectStatus,
}

/// A `ModelApproval` object: one person's decision on one promotion, in
/// one namespace of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalObject {
    /// Object name.
    pub name: String,
    /// Namespace (the promotion's).
    pub namespace: String,
    /// The promotion object's name.
    pub promotion: String,
    /// Who decided: admission binds it to the creator.
    pub approver: String,
    /// The promotion's requester as the approver's client copied it;
    /// execution re-checks it against the promotion object.
    pub requester: String,
    /// Approve or reject.
    pub decision: Decision,
    /// The approver's comment.
    #[serde(default)]
    pub comment: String,
    /// sha256 of the approval record the approver's client wrote (the
    /// evidence: version, run, champion, each target as seen).
    #[serde(default)]
    pub evidence_digest: String,
    /// The MLflow run of the approved version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_run: Option<String>,
    /// When the API server stored it (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// Name of the approval object of `approver` on `promotion`: the promotion
/// and a DNS-safe digest of the name, so one person has one object.
pub fn approval_object_name(promotion: &str, approver: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(approver.as_bytes());
    let hex: String = h[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{promotion}-{hex}")
}

/// Name of the approval object a client creates for one decision: the
/// promotion and a digest of the approver and the evidence digest, so
/// nobody can take the name first (squatting it would need the evidence
/// digest, which exists only once the approver's client computed it).
pub fn decision_object_name(promotion: &str, approver: &str, evidence_digest: &str) -> String {
    approval_object_name(promotion, &format!("{approver}\n{evidence_digest}"))
}
