//! The shapes the commands and events send that the core does not already
//! have: each is assembled from core and promotion types without deciding
//! anything (the counts, states and checks come from the core).

use modeldeck_core::card::{CardField, CardSource, FairnessResult, ModelCard};
use modeldeck_core::chart::{Marker, Threshold};
use modeldeck_core::compare::Comparison;
use modeldeck_core::console::{BackendState, HealthView, Snapshot};
use modeldeck_core::domain::{
    GateResult, GateSummary, PromotionState, Signal, TargetChange, Timestamp,
};
use modeldeck_core::error::Backend;
use modeldeck_core::policy::Slo;
use modeldeck_promotion::journal::{JournalLine, VerifyError};
use modeldeck_promotion::service::RollbackReport as CoreRollback;
use modeldeck_promotion::{ExecutionReport as CoreExecution, PromotionStatus, Review};
use serde::Serialize;
use std::collections::BTreeMap;
use ts_rs::TS;

/// One backend's state as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackendView {
    /// `cluster`, `registry` or `metrics`.
    pub backend: Backend,
    /// The stable word (`ready`, `empty`, `loading`, `partial`, `stale`,
    /// `not_configured`, `failed`), as `modeldeck status` prints it.
    pub state: String,
    /// The word for people (`not configured`).
    pub label: String,
    /// Why it is not ready (the error, the failing contexts, how to
    /// configure it), when there is something to say.
    pub detail: Option<String>,
    /// Failing since (what is shown is older), when stale.
    pub stale_since: Option<Timestamp>,
}

impl BackendView {
    /// Every backend of `snap`, in `Backend::ALL` order.
    pub fn all(snap: &Snapshot) -> Vec<BackendView> {
        Backend::ALL
            .iter()
            .map(|&b| BackendView::of(b, &snap.backend_state(b)))
            .collect()
    }

    fn of(backend: Backend, st: &BackendState) -> BackendView {
        let detail = match st {
            BackendState::Partial { failures } => Some(
                failures
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            BackendState::NotConfigured { reason } => Some(reason.clone()),
            other => other.error().map(ToString::to_string),
        };
        BackendView {
            backend,
            state: st.word().to_string(),
            label: st.label().to_string(),
            detail,
            stale_since: match st {
                BackendState::Stale { since, .. } => Some(*since),
                _ => None,
            },
        }
    }
}

/// The session the window shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SessionInfo {
    /// Profile name (`sandbox` on the simulated world).
    pub profile: String,
    /// True on the simulated world.
    pub sandbox: bool,
    /// A line to show above everything (why the simulated world is shown).
    pub banner: Option<String>,
    /// Who the first cluster says the user is, when it could tell.
    pub user: Option<String>,
    /// The config file's profiles, sorted (the switcher; `null` in
    /// `open_profile` is the simulated world).
    pub profiles: Vec<String>,
    /// Each backend's state.
    pub backends: Vec<BackendView>,
}

/// A promotion waiting for the user, with its summary.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct InboxItem {
    /// The promotion as listed (the approval checklist, no live metric gates).
    pub status: PromotionStatus,
    /// Its gates by status.
    pub gates: GateSummary,
    /// Approvals that count now (given minus those that do not count).
    pub approvals: u32,
    /// Approvals the model's policy requires.
    pub min_approvals: u32,
    /// `modeldeck://promotion/<id>?profile=<profile>`.
    pub link: String,
}

/// A model card as `modeldeck card --output json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CardView {
    /// Registered model.
    pub model: String,
    /// The version whose card this is.
    pub version: Option<String>,
    /// How the version was chosen (`given`: the promotion's candidate).
    pub version_source: String,
    /// The model description's text before its first heading.
    pub summary: Option<String>,
    /// Every card field in order, present or not.
    pub fields: Vec<CardFieldView>,
    /// Fairness metrics of the version's run, per attribute.
    pub fairness: Vec<FairnessResult>,
    /// The run's other metrics.
    pub metrics: BTreeMap<String, f64>,
    /// Fields the model's promotion policy requires.
    pub required: Vec<CardField>,
    /// Required fields the card lacks.
    pub missing: Vec<CardField>,
}

/// One card field.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct CardFieldView {
    /// Key (`intended_use`).
    pub key: String,
    /// Label (`Intended use`).
    pub label: String,
    /// Raw (untrusted) text, `null` when missing.
    pub value: Option<String>,
    /// Where it was read.
    pub source: Option<CardSource>,
}

impl CardView {
    /// The view of `card` under a policy requiring `required`.
    pub fn of(card: ModelCard, version_source: &str, required: Vec<CardField>) -> CardView {
        let missing = card.missing(&required);
        CardView {
            model: card.model,
            version: card.version,
            version_source: version_source.to_string(),
            summary: card.summary,
            fields: card
                .fields
                .into_iter()
                .map(|e| CardFieldView {
                    key: e.field.key().to_string(),
                    label: e.field.label().to_string(),
                    value: e.value,
                    source: e.source,
                })
                .collect(),
            fairness: card.fairness,
            metrics: card.metrics,
            required,
            missing,
        }
    }
}

/// A promotion's detail: the review, the candidate against the version it
/// replaces, and the candidate's card.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PromotionDetail {
    /// Status with live gates, approvals, allowed actions with why not.
    pub review: Review,
    /// Previous version (a) against the candidate (b), when there is a
    /// previous version and both could be read.
    pub comparison: Option<Comparison>,
    /// Why there is no comparison, when one was expected.
    pub comparison_error: Option<String>,
    /// The candidate's card, when it could be read.
    pub card: Option<CardView>,
    /// Why there is no card.
    pub card_error: Option<String>,
}

/// What `execute` did (`modeldeck promote execute --output json`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ExecutionReport {
    /// Promotion id.
    pub id: String,
    /// State now.
    pub state: PromotionState,
    /// False when it was already done (nothing written).
    pub wrote: bool,
    /// The gates as evaluated.
    pub gates: Vec<GateResult>,
    /// What happened.
    pub note: String,
}

impl From<CoreExecution> for ExecutionReport {
    fn from(r: CoreExecution) -> Self {
        ExecutionReport {
            id: r.id,
            state: r.state,
            wrote: r.wrote,
            gates: r.gates,
            note: r.note,
        }
    }
}

/// What `rollback` restored (`modeldeck rollback --output json`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RollbackReport {
    /// The promotion undone.
    pub promotion: String,
    /// Model.
    pub model: String,
    /// Alias.
    pub alias: String,
    /// Version taken out of service.
    pub from_version: String,
    /// Version the alias points at again (`null`: alias removed).
    pub restored_version: Option<String>,
    /// Each target's before and after.
    pub targets: Vec<TargetChange>,
}

impl From<CoreRollback> for RollbackReport {
    fn from(r: CoreRollback) -> Self {
        RollbackReport {
            promotion: r.promotion,
            model: r.model,
            alias: r.alias,
            from_version: r.from_version,
            restored_version: r.restored_version,
            targets: r.targets,
        }
    }
}

/// A workload's health with the events drawn on its charts.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct HealthChart {
    /// The series (at most two points per column, the core's step).
    pub health: HealthView,
    /// Deploys, approvals, promotions and rollbacks in the window, oldest first.
    pub markers: Vec<Marker>,
    /// The limits the model's policy sets on its signals (the SLO the
    /// canary and post-deploy checks hold it to), drawn as lines.
    pub thresholds: Vec<SignalThreshold>,
}

/// A limit a signal should stay on one side of, with its name.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SignalThreshold {
    /// The signal it limits.
    pub signal: Signal,
    /// The limit, in the signal's unit (seconds, a ratio).
    pub value: f64,
    /// True when values below the limit are the bad side (as the core's
    /// `chart::Threshold`).
    pub low_is_bad: bool,
    /// What the limit is (`SLO p99`).
    pub label: String,
}

/// The thresholds of a policy's SLO: p99 latency and error ratio, where set
/// (and finite).
pub fn slo_thresholds(slo: &Slo) -> Vec<SignalThreshold> {
    let mut out = Vec::new();
    let mut add = |signal, value: Option<f64>, label: &str| {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            let t = Threshold {
                value: v,
                low_is_bad: false,
            };
            out.push(SignalThreshold {
                signal,
                value: t.value,
                low_is_bad: t.low_is_bad,
                label: label.to_string(),
            });
        }
    };
    add(Signal::LatencyP99, slo.latency_p99_max_secs, "SLO p99");
    add(Signal::ErrorRatio, slo.error_ratio_max, "SLO errors");
    out
}

/// The audit trail and whether it verifies.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditView {
    /// Journal file.
    pub journal: String,
    /// Entries in the journal.
    pub total: u64,
    /// The entries listed (oldest first), each with its hash chain.
    pub entries: Vec<JournalLine>,
    /// This journal's own chain checked end to end.
    pub verify: AuditVerify,
}

/// The local chain check (`modeldeck audit verify --local-only`).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct AuditVerify {
    /// True when the whole chain verified.
    pub ok: bool,
    /// Whether the head's signature was checked (a journal key is set).
    pub signed: bool,
    /// Entries verified.
    pub count: Option<u64>,
    /// Hash of the last entry.
    pub head: Option<String>,
    /// The first problem: line, kind, detail.
    pub error: Option<VerifyError>,
}

/// The `snapshot` event: the console's data changed.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SnapshotEvent {
    /// The snapshot's generation (increases on every change).
    pub generation: u64,
    /// Each backend's state.
    pub backends: Vec<BackendView>,
}

/// The `open` event: a deep link asks to show a promotion.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct OpenEvent {
    /// Promotion id.
    pub promotion_id: String,
    /// The profile named in the link, if any.
    pub profile: Option<String>,
}

/// The inbox row of `status` under a policy requiring `min_approvals`.
pub fn inbox_item(status: PromotionStatus, min_approvals: u32, profile: &str) -> InboxItem {
    let given = status.promotion.approvals_given();
    // As the TUI's Promotions list: approvals that count now.
    let valid = given.saturating_sub(status.not_counted.len());
    InboxItem {
        gates: GateSummary::of(&status.promotion.gates),
        approvals: u32::try_from(valid).unwrap_or(u32::MAX),
        min_approvals,
        link: modeldeck_app::link::promotion_link(profile, &status.promotion.id),
        status,
    }
}
