//! Writing audit entries: every step appends one line to the hash-chained
//! journal and mirrors it into a registry tag on the promotion's candidate
//! version and a Kubernetes Event on each target workload. Mirrors are best
//! effort: the journal is the record. An Event the cluster refuses is noted
//! in the journal entry itself (`mirror_failures`); a registry that refuses
//! the tag is logged (the action's own registry writes fail anyway).

use super::Promotions;
use crate::error::{PromotionError, Result};
use crate::journal::{AuditRecord, JournalLine};
use crate::tags::{self, AuditMirror, TagKind};
use modeldeck_core::domain::{Approval, AuditEntry, GateResult, LedgerEntry, WorkloadRef};
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
    /// Workloads whose Events mirror this entry.
    pub targets: Vec<WorkloadRef>,
    /// Digest of the evidence the actor saw (an approval record).
    pub evidence: Option<String>,
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
            targets: Vec::new(),
            evidence: None,
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

    /// The workloads the entry is mirrored onto as Kubernetes Events.
    pub(crate) fn targets(mut self, targets: &[WorkloadRef]) -> Event {
        self.targets = targets.to_vec();
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

    pub(crate) fn evidence(mut self, digest: String) -> Event {
        self.evidence = Some(digest);
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
        let mirror_failures = if ev.mirror {
            self.mirror_events(&ev).await
        } else {
            Vec::new()
        };
        let sites = match &ev.on {
            Some(_) if ev.mirror => self.bound_sites(&ev.targets).await,
            _ => Vec::new(),
        };
        let record = AuditRecord {
            entry: AuditEntry {
                at: self.now(),
                actor: ev.actor.clone(),
                action: ev.action.clone(),
                subject: ev.subject.clone(),
                before: ev.before.clone(),
                after: ev.after.clone(),
                outcome: ev.outcome.clone(),
            },
            promotion: ev.on.as_ref().map(|o| o.id.clone()),
            gates: ev.gates.clone(),
            approvals: ev.approvals.clone(),
            mirror_failures,
            shared_to: sites.iter().map(|(c, n)| format!("{c}/{n}")).collect(),
        };
        let line = self.journal.append(&record)?;
        if let Some(on) = ev.on.as_ref().filter(|_| !sites.is_empty()) {
            self.share(on, &ev, &record.entry, &line, &sites).await;
        }
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

    /// Appends the entry to the shared history on the promotion objects of
    /// its targets' namespaces (best effort: the journal has it).
    /// A failure is journalled as `audit.share_failed` naming the line and
    /// the sites, so `audit verify` does not count it as a deletion.
    async fn share(
        &self,
        on: &OnPromotion,
        ev: &Event,
        entry: &AuditEntry,
        line: &JournalLine,
        sites: &[super::ledger::SiteKey],
    ) {
        let words = |v: &Value| (!v.is_null()).then(|| tags::shorten(&v.to_string(), 2000));
        let shared = LedgerEntry {
            at: entry.at.rfc3339(),
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            evidence_digest: ev.evidence.clone(),
            before: words(&entry.before),
            after: words(&entry.after),
            outcome: Some(tags::shorten(&entry.outcome, 2000)),
            witness: Some(format!(
                "{}:{}:{}",
                self.journal.id().unwrap_or_default(),
                line.seq,
                line.hash
            )),
            prev_hash: String::new(),
            hash: String::new(),
        };
        let phase = phase_after(&entry.action, &entry.outcome);
        let failed = self.append_history(&on.id, sites, shared, phase).await;
        if failed.is_empty() {
            return;
        }
        let mut note = AuditRecord::new(AuditEntry {
            at: self.now(),
            actor: entry.actor.clone(),
            action: "audit.share_failed".into(),
            subject: format!("journal entry #{}", line.seq),
            before: Value::Null,
            after: serde_json::json!({
                "seq": line.seq,
                "sites": failed.iter().map(|((c, n), _)| format!("{c}/{n}")).collect::<Vec<_>>(),
                "errors": failed.iter().map(|(_, e)| tags::shorten(e, 500)).collect::<Vec<_>>(),
            }),
            outcome: "failed: the shared history was not appended".into(),
        });
        note.promotion = Some(on.id.clone());
        if let Err(e) = self.journal.append(&note) {
            tracing::error!(error = %e, "could not journal a failed shared-history append");
        }
    }

    /// The distinct target namespaces whose cluster binds approvals.
    async fn bound_sites(&self, targets: &[WorkloadRef]) -> Vec<super::ledger::SiteKey> {
        let mut sites: Vec<super::ledger::SiteKey> = targets
            .iter()
            .map(|t| (t.cluster.clone(), t.namespace.clone()))
            .collect();
        sites.sort();
        sites.dedup();
        let mut out = Vec::new();
        let mut bound: std::collections::BTreeMap<String, bool> = Default::default();
        for (c, n) in sites {
            let b = match bound.get(&c) {
                Some(b) => *b,
                None => {
                    let b = matches!(
                        self.backends.cluster.ledger(&c).await,
                        Ok(modeldeck_core::domain::LedgerState::Bound)
                    );
                    bound.insert(c.clone(), b);
                    b
                }
            };
            if b {
                out.push((c, n));
            }
        }
        out
    }

    /// Records `ev` as an Event on each of its targets; returns what failed,
    /// one line per target, for the journal entry.
    async fn mirror_events(&self, ev: &Event) -> Vec<String> {
        let Some(on) = &ev.on else {
            return Vec::new();
        };
        let (kind, reason, message) = event_text(ev, &on.id);
        let mut failed = Vec::new();
        for t in &ev.targets {
            if let Err(e) = self
                .backends
                .cluster
                .record_event(t, kind, &reason, &message)
                .await
            {
                tracing::warn!(promotion = %on.id, target = %t, error = %e, "audit entry not mirrored to a Kubernetes Event");
                failed.push(tags::shorten(
                    &format!("event on {t}: {}: {}", e.code, e.message),
                    500,
                ));
            }
        }
        failed
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

/// `(type, reason, message)` of the Event mirroring `ev`: the reason is the
/// action in UpperCamelCase (`promotion.rolled_back` -> `PromotionRolledBack`),
/// Warning for refusals, failures and compensation.
pub(crate) fn event_text(ev: &Event, id: &str) -> (&'static str, String, String) {
    let reason: String = ev
        .action
        .split(['.', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    let reason: String = reason
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(128)
        .collect();
    let bad = ev.outcome.starts_with("refused") || ev.outcome.starts_with("failed");
    let undo = ["compensating", "compensation_failed", "rolled_back"]
        .iter()
        .any(|a| ev.action.ends_with(a));
    let kind = if bad || undo { "Warning" } else { "Normal" };
    let message = tags::shorten(
        &format!(
            "{} by {}: {} ({}; promotion {id})",
            ev.action, ev.actor, ev.subject, ev.outcome
        ),
        1000,
    );
    let reason = if reason.is_empty() {
        "Promotion".to_string()
    } else {
        reason
    };
    (kind, reason, message)
}

/// The promotion object's `status.phase` after a successful `action`.
fn phase_after(action: &str, outcome: &str) -> Option<&'static str> {
    if !outcome.starts_with("ok") {
        return None;
    }
    Some(match action {
        "promotion.requested" => "Requested",
        "promotion.executing" => "Executing",
        "promotion.promoted" => "Promoted",
        "promotion.rejected" => "Rejected",
        "promotion.cancelled" => "Cancelled",
        "promotion.rolled_back" => "RolledBack",
        "promotion.compensation_failed" => "Failed",
        _ => return None,
    })
}
