//! The promotion service's errors: one variant per cause, each with a stable
//! snake_case [`code`](PromotionError::code) that the CLI's JSON output and
//! the desktop IPC expose. Callers branch on the code, never on the text.

use crate::journal::{JournalError, VerifyError};
use modeldeck_core::domain::{GateResult, PromotionState};
use modeldeck_core::error::{BackendError, ErrorCode};

/// Why a promotion action did not happen (or did not finish).
#[derive(Debug, thiserror::Error)]
pub enum PromotionError {
    /// The requester tried to approve their own promotion.
    #[error(
        "refused: {actor} requested this promotion and cannot also approve it (four-eyes rule)"
    )]
    SelfApproval {
        /// Who.
        actor: String,
    },
    /// The approver has already decided on this promotion.
    #[error(
        "refused: {actor} already {decision} this promotion at {at}; a second decision by the same person does not count"
    )]
    DuplicateApproval {
        /// Who.
        actor: String,
        /// `approved` or `rejected`.
        decision: String,
        /// When (RFC 3339).
        at: String,
    },
    /// Kubernetes RBAC says no.
    #[error(
        "refused: {actor} may not {verb} {resource} in namespace {namespace} on cluster {cluster} (Kubernetes RBAC)"
    )]
    Rbac {
        /// Who.
        actor: String,
        /// Verb asked.
        verb: String,
        /// `resource.group`.
        resource: String,
        /// Namespace.
        namespace: String,
        /// Cluster.
        cluster: String,
    },
    /// The backend itself refused (HTTP 401/403).
    #[error("refused: {0}")]
    Forbidden(BackendError),
    /// Approvals expired before execution.
    #[error("refused: approvals expired: {details}")]
    Expired {
        /// Which, and when.
        details: String,
    },
    /// What was approved is not what is there now.
    #[error("refused: the state changed since it was approved: {}", changes.join("; "))]
    StaleState {
        /// Each change, in words.
        changes: Vec<String>,
    },
    /// An approval recorded for another promotion or version.
    #[error("refused: {details}")]
    ApprovalMismatch {
        /// Which approval and what it is bound to.
        details: String,
    },
    /// A decision (or request) recorded in the registry or a journal with
    /// no matching object on a cluster that binds approvals to identities:
    /// a forgery, or a record written around Modeldeck.
    #[error("refused: {details}")]
    UnboundApproval {
        /// Which record, where, and what is missing.
        details: String,
    },
    /// A target cluster does not bind approvals to identities and the
    /// policy requires it.
    #[error(
        "refused: approvals are not identity-bound on {cluster} ({reason}); install the ledger with `modeldeck cluster install` or set require_bound_approvals = false in the policy"
    )]
    NotIdentityBound {
        /// The cluster.
        cluster: String,
        /// What is missing there.
        reason: String,
    },
    /// The cluster refused a ledger write (RBAC or the admission policy).
    #[error("refused by {cluster} in namespace {namespace}: {message}")]
    LedgerRefused {
        /// Cluster.
        cluster: String,
        /// Namespace.
        namespace: String,
        /// The API server's message.
        message: String,
    },
    /// Not enough valid approvals.
    #[error("refused: {have} of {need} required approvals{}", if invalid.is_empty() { String::new() } else { format!(" ({})", invalid.join("; ")) })]
    InsufficientApprovals {
        /// Valid approvals.
        have: usize,
        /// Required.
        need: usize,
        /// Approvals that did not count, with why.
        invalid: Vec<String>,
    },
    /// The action does not apply in the promotion's state.
    #[error("refused: promotion {id} is {state:?}; cannot {action}")]
    WrongState {
        /// Promotion id.
        id: String,
        /// Its state.
        state: PromotionState,
        /// What was asked.
        action: String,
    },
    /// Another open promotion moves the same alias.
    #[error("refused: {details}")]
    Conflict {
        /// Which promotion.
        details: String,
    },
    /// Only the requester (or an approver) may do this.
    #[error("refused: {details}")]
    NotAllowed {
        /// Who and why.
        details: String,
    },
    /// A gate failed.
    #[error("gate failed: {}", summarize(gates))]
    GateFailed {
        /// The failing gates.
        gates: Vec<GateResult>,
    },
    /// Gates are inconclusive: a human must confirm.
    #[error(
        "paused: inconclusive gates need a human decision: {}",
        summarize(gates)
    )]
    GateInconclusive {
        /// The inconclusive gates.
        gates: Vec<GateResult>,
    },
    /// Another executor holds the promotion.
    #[error("in progress: {by} is executing this promotion (claimed at {since})")]
    InProgress {
        /// Executor.
        by: String,
        /// When claimed (RFC 3339).
        since: String,
    },
    /// Execution failed and was compensated: everything is back as before.
    #[error("rolled back: {reason}")]
    RolledBack {
        /// Why.
        reason: String,
    },
    /// Execution failed and compensation did not finish: a human must look.
    #[error("compensation incomplete: {reason}")]
    CompensationFailed {
        /// What failed and what state things are in.
        reason: String,
    },
    /// No such promotion, model, version or workload.
    #[error("not found: {what}")]
    NotFound {
        /// What.
        what: String,
    },
    /// Bad input.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: String,
        /// Why.
        reason: String,
    },
    /// A registry tag would exceed MLflow's limits.
    #[error("too large: {what} is {bytes} bytes; the limit is {limit}")]
    TooLarge {
        /// What.
        what: String,
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A stored record could not be read.
    #[error("corrupt registry record {key}: {reason}")]
    Corrupt {
        /// Tag key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A backend failed.
    #[error("backend: {0}")]
    Backend(BackendError),
    /// The journal failed.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
}

fn summarize(gates: &[GateResult]) -> String {
    gates
        .iter()
        .map(|g| format!("{} ({})", g.name, g.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<BackendError> for PromotionError {
    fn from(e: BackendError) -> Self {
        match e.code {
            ErrorCode::Forbidden | ErrorCode::Unauthenticated => PromotionError::Forbidden(e),
            ErrorCode::NotFound => PromotionError::NotFound {
                what: e.to_string(),
            },
            _ => PromotionError::Backend(e),
        }
    }
}

impl From<VerifyError> for PromotionError {
    fn from(e: VerifyError) -> Self {
        PromotionError::Journal(JournalError::Tampered(e))
    }
}

impl From<&PromotionError> for modeldeck_core::report::ErrorReport {
    /// The backend's own code for a backend failure, the service's code
    /// otherwise.
    fn from(e: &PromotionError) -> Self {
        match e {
            PromotionError::Backend(b) => b.into(),
            other => modeldeck_core::report::ErrorReport::new(other.code(), other.to_string()),
        }
    }
}

impl PromotionError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PromotionError::SelfApproval { .. } => "refused_self_approval",
            PromotionError::DuplicateApproval { .. } => "refused_duplicate_approval",
            PromotionError::Rbac { .. } => "refused_rbac",
            PromotionError::Forbidden(_) => "refused_forbidden",
            PromotionError::Expired { .. } => "refused_expired",
            PromotionError::StaleState { .. } => "refused_stale_state",
            PromotionError::ApprovalMismatch { .. } => "refused_approval_mismatch",
            PromotionError::InsufficientApprovals { .. } => "refused_insufficient_approvals",
            PromotionError::UnboundApproval { .. } => "refused_unbound_approval",
            PromotionError::NotIdentityBound { .. } => "refused_not_identity_bound",
            PromotionError::LedgerRefused { .. } => "refused_by_cluster",
            PromotionError::WrongState { .. } => "refused_wrong_state",
            PromotionError::NotAllowed { .. } => "refused_not_allowed",
            PromotionError::Conflict { .. } => "refused_conflict",
            PromotionError::GateFailed { .. } => "gate_failed",
            PromotionError::GateInconclusive { .. } => "gate_inconclusive",
            PromotionError::InProgress { .. } => "in_progress",
            PromotionError::RolledBack { .. } => "rolled_back",
            PromotionError::CompensationFailed { .. } => "compensation_failed",
            PromotionError::NotFound { .. } => "not_found",
            PromotionError::Invalid { .. } => "invalid_input",
            PromotionError::TooLarge { .. } => "too_large",
            PromotionError::Corrupt { .. } => "corrupt_record",
            PromotionError::Backend(_) => "backend",
            PromotionError::Journal(_) => "journal",
        }
    }

    /// True for refusals: nothing was changed and the caller may fix the
    /// cause and retry.
    pub fn is_refusal(&self) -> bool {
        self.code().starts_with("refused_")
    }
}

/// Result of a promotion action.
pub type Result<T> = std::result::Result<T, PromotionError>;
