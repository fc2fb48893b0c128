//! Writing audit entries: every step appends one line to the hash-chained
//! journal and mirrors it into a registry tag on the promotion's candidate
//! version (best effort: the journal is the record; a registry that refuses
//! the mirror is logged, and the action's own registry writes fail anyway).

use super::Promotions;
use crate::error::{PromotionError, Result};
use crate::journal::{AuditRecord, JournalLine};
use crate::tags::{self, AuditMirror, TagKind};
use modeldeck_core::domain::{Approval, AuditEntry, GateResult};
use serde_json::Value;

/// The promotion an entry concerns.
#[derive(Debug, Clone)]
pub(crate) struct OnPromotion {
    pub id: String,
    pub model: String,
    pub version: String,
}

/// One audit entry to write.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Value,
    pub after: Value,
    pub outcome: String,
    pub on: Option<OnPromotion>,
    pub gates: Vec<GateResult>,
    pub approvals: Vec<Approval>,
    pub mirror: bool,
}

impl Event {
    pub(crate) fn new(actor: &str, action: &str, subject: String) -> Event {
        Event {
            actor: actor.to_string(),
            action: action.to_string(),
            subject,
            before: Value::Null,
            after: Value::Null,
            outcome: "ok".into(),
            on: None,
            gates: Vec::new(),
            approvals: Vec::new(),
            mirror: true,
        }
    }

    /// Journal only: no-op repeats are not mirrored, so a retry storm does
    /// not fill the registry with tags.
    pub(crate) fn no_mirror(mut self) -> Event {
        self.mirror = false;
        self
    }

    pub(crate) fn on(mut self, id: &str, model: &str, version: &str) -> Event {
        self.on = Some(OnPromotion {
            id: id.into(),
            model: model.into(),
            version: version.into(),
        });
        self
    }

    pub(crate) fn change(mut self, before: Value, after: Value) -> Event {
        self.before = before;
        self.after = after;
        self
    }

    pub(crate) fn gates(mut self, gates: &[GateResult]) -> Event {
        self.gates = gates.to_vec();
        self
    }

    pub(crate) fn approvals(mut self, approvals: Vec<Approval>) -> Event {
        self.approvals = approvals;
        self
    }

    pub(crate) fn outcome(mut self, outcome: impl Into<String>) -> Event {
        self.outcome = outcome.into();
        self
    }
}

/// `refused: <code>: <message>` / `failed: ...` for an error.
pub(crate) fn outcome_of(e: &PromotionError) -> String {
    let word = if e.is_refusal() { "refused" } else { "failed" };
    format!("{word}: {}: {e}", e.code())
}

impl Promotions {
    /// Appends `ev` to the journal and mirrors it into the registry.
    pub(crate) async fn audit(&self, ev: Event) -> Result<JournalLine> {
        let record = AuditRecord {
            entry: AuditEntry {
                at: self.now(),
                actor: ev.actor.clone(),
                action: ev.action.clone(),
                subject: ev.subject.clone(),
                before: ev.before,
                after: ev.after,
                outcome: ev.outcome.clone(),
            },
            promotion: ev.on.as_ref().map(|o| o.id.clone()),
            gates: ev.gates,
            approvals: ev.approvals,
        };
        let line = self.journal.append(&record)?;
        if let Some(on) = ev.on.as_ref().filter(|_| ev.mirror) {
            let mirror = AuditMirror {
                seq: line.seq,
                hash: line.hash.clone(),
                at: record.entry.at,
                actor: tags::shorten(&ev.actor, 200),
                action: tags::shorten(&ev.action, 100),
                outcome: tags::shorten(&ev.outcome, 3000),
            };
            let key = tags::key(
                &on.id,
                &TagKind::Audit(tags::audit_suffix(record.entry.at, &line.hash)),
            );
            let written = match tags::encode(&key, &mirror) {
                Ok(value) => self
                    .backends
                    .registry
                    .set_version_tag(&on.model, &on.version, &key, &value)
                    .await
                    .map_err(PromotionError::from),
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                tracing::warn!(promotion = %on.id, seq = line.seq, error = %e, "audit entry not mirrored to the registry");
            }
        }
        Ok(line)
    }

    /// Audits `err` as a refusal or failure of `ev`'s action and returns it.
    pub(crate) async fn refuse(&self, ev: Event, err: PromotionError) -> PromotionError {
        let ev = ev.outcome(outcome_of(&err));
        if let Err(je) = self.audit(ev).await {
            tracing::error!(error = %je, "could not journal a refusal");
        }
        err
    }
}
