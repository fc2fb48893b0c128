//! Compensation: put every target back on the version it served before
//! (only where it now serves the candidate: someone else's later change is
//! left alone and reported), follow that rollout, restore or delete the
//! alias, and record the promotion RolledBack with the reason.

use super::Promotions;
use super::audit::Event;
use super::execute::ExecutionReport;
use super::load::Loaded;
use super::review::describe;
use super::rollout::Watch;
use crate::error::{PromotionError, Result};
use crate::tags::{self, ExecRecord, OutcomeRecord, Phase, TagKind, TargetOutcome};
use modeldeck_core::domain::PromotionState;
use serde_json::json;

/// Restore attempts when the workload's resourceVersion keeps moving.
const RESTORE_ATTEMPTS: usize = 5;

impl Promotions {
    /// Puts `tp` back on `before` with the resourceVersion precondition. A
    /// conflict is re-read: if the object is still ours (same uid, still on
    /// the candidate or its canary), only its status moved on (a controller
    /// writing rollout progress, or a watch cache a step behind), so the
    /// restore is retried with the fresh resourceVersion; anything else is
    /// someone else's change and stops the compensation.
    async fn restore(
        &self,
        tp: &crate::tags::TargetPlan,
        before: &str,
        version: &str,
        rv: &str,
        poll: std::time::Duration,
    ) -> std::result::Result<modeldeck_core::domain::Workload, String> {
        let t = &tp.target;
        let mut rv = rv.to_string();
        let mut last = String::new();
        for _ in 0..RESTORE_ATTEMPTS {
            match self
                .backends
                .cluster
                .set_served_version(t, before, Some(&rv))
                .await
            {
                Ok(w) => return Ok(w),
                Err(e) if e.code == modeldeck_core::error::ErrorCode::Conflict => {
                    last = e.to_string();
                    self.pause.pause(poll).await;
                    let all = self
                        .backends
                        .cluster
                        .list_workloads()
                        .await
                        .map_err(|e| format!("cannot read the cluster: {e}"))?;
                    let Some(w) = all.into_iter().find(|w| &w.id == t) else {
                        return Err(format!("{t} disappeared while being restored"));
                    };
                    let ours = w.uid == tp.uid
                        && (w.served_version.as_deref() == Some(version)
                            || super::canary::canary_of(&w, version).is_some());
                    if !ours {
                        return Err(format!(
                            "restoring {t} to v{before} conflicted and it no longer serves v{version} (changed by someone else): {e}"
                        ));
                    }
                    rv = w.resource_version;
                }
                Err(e) => return Err(format!("restoring {t} to v{before} failed: {e}")),
            }
        }
        Err(format!(
            "restoring {t} to v{before} failed {RESTORE_ATTEMPTS} times on a moving resourceVersion: {last}"
        ))
    }

    /// Compensates and reports: `rolled_back` when everything is back,
    /// `compensation_failed` when it could not finish.
    pub(crate) async fn compensate_and_report(
        &self,
        l: &Loaded,
        exec: &ExecRecord,
        actor: &str,
        reason: String,
    ) -> Result<ExecutionReport> {
        match self.compensate(l, exec, actor, &reason, false).await {
            Ok(()) => Err(PromotionError::RolledBack { reason }),
            Err(e) => {
                let ev = Event::new(actor, "promotion.compensation_failed", describe(&l.request))
                    .on(&l.id, &l.request.model, &l.request.version)
                    .targets(&l.request.targets);
                let err = PromotionError::CompensationFailed {
                    reason: format!(
                        "{reason}; then: {e}; the promotion stays Executing and the next execute or rollback resumes it"
                    ),
                };
                Err(self.refuse(ev, err).await)
            }
        }
    }

    /// Undoes what `exec` did, newest change first. With `marker_required`
    /// (undoing a finished promotion) nothing is touched unless the
    /// `Compensating` phase was recorded first, so an interrupted rollback
    /// never shows as Promoted.
    pub(crate) async fn compensate(
        &self,
        l: &Loaded,
        exec: &ExecRecord,
        actor: &str,
        reason: &str,
        marker_required: bool,
    ) -> std::result::Result<(), String> {
        let r = &l.request;
        let version = r.version.as_str();
        let mut marked = exec.clone();
        marked.phase = Phase::Compensating;
        marked.note = Some(tags::shorten(reason, 1500));
        marked.updated_at = self.now();
        if let Err(e) = self.write_exec(r, &marked).await {
            if marker_required {
                return Err(format!(
                    "could not record the rollback phase, nothing was changed: {e}"
                ));
            }
            tracing::warn!(promotion = %l.id, error = %e, "compensating without recording the phase");
        }
        let ev = Event::new(actor, "promotion.compensating", describe(r))
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .outcome(format!("ok: {reason}"));
        if let Err(e) = self.audit(ev).await {
            tracing::error!(promotion = %l.id, error = %e, "compensation start not journaled");
        }
        let all = self
            .backends
            .cluster
            .list_workloads()
            .await
            .map_err(|e| format!("cannot read the cluster: {e}"))?;
        let mut notes = Vec::new();
        let mut watches = Vec::new();
        for tp in exec.plan.targets.iter().rev() {
            let t = &tp.target;
            let Some(w) = all.iter().find(|w| &w.id == t) else {
                notes.push(format!("{t} no longer exists"));
                continue;
            };
            if w.uid != tp.uid {
                notes.push(format!("{t} was recreated; left alone"));
                continue;
            }
            let canary = super::canary::canary_of(w, version).is_some();
            if w.served_version == tp.before_version && !canary {
                watches.push(Watch {
                    target: t.clone(),
                    uid: tp.uid.clone(),
                    want: tp.before_version.clone(),
                });
                continue;
            }
            if w.served_version.as_deref() != Some(version) && !canary {
                notes.push(format!(
                    "{t} now serves {} (changed by someone else); left alone",
                    w.served_version.as_deref().unwrap_or("nothing")
                ));
                continue;
            }
            let Some(before) = &tp.before_version else {
                notes.push(format!("{t} served no version before; left on v{version}"));
                continue;
            };
            let poll = self.policies.for_model(&r.model).rollout_poll.0;
            let nw = self
                .restore(tp, before, version, &w.resource_version, poll)
                .await?;
            let ev = Event::new(actor, "workload.restored", t.to_string())
                .on(&l.id, &r.model, &r.version)
                .targets(std::slice::from_ref(t))
                .change(
                    json!({ "served_version": version, "resource_version": w.resource_version }),
                    json!({ "served_version": before, "resource_version": nw.resource_version }),
                );
            if let Err(e) = self.audit(ev).await {
                tracing::error!(promotion = %l.id, error = %e, "restore not journaled");
            }
            watches.push(Watch {
                target: t.clone(),
                uid: tp.uid.clone(),
                want: Some(before.clone()),
            });
        }
        let policy = self.policies.for_model(&r.model);
        self.follow_rollout(&watches, policy).await?;
        let model = self
            .backends
            .registry
            .get_model(&r.model)
            .await
            .map_err(|e| format!("cannot read the alias: {e}"))?;
        let current = model.aliases.get(&r.alias).cloned();
        let previous = &exec.plan.previous_alias_version;
        if current.as_deref() == Some(version) {
            match previous {
                Some(p) => {
                    self.backends
                        .registry
                        .set_alias(&r.model, &r.alias, p)
                        .await
                }
                None => {
                    self.backends
                        .registry
                        .delete_alias(&r.model, &r.alias)
                        .await
                }
            }
            .map_err(|e| format!("restoring {} failed: {e}", r.alias))?;
            let ev = Event::new(
                actor,
                "alias.restored",
                format!("{} alias {}", r.model, r.alias),
            )
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .change(
                json!({ "version": version }),
                json!({ "version": previous }),
            );
            if let Err(e) = self.audit(ev).await {
                tracing::error!(promotion = %l.id, error = %e, "alias restore not journaled");
            }
        } else if &current != previous {
            notes.push(format!(
                "{} now points at {} (moved by someone else); left alone",
                r.alias,
                current.as_deref().unwrap_or("nothing")
            ));
        }
        let now = self.now();
        let outcome = OutcomeRecord {
            v: tags::SCHEMA,
            state: PromotionState::RolledBack,
            alias: r.alias.clone(),
            previous_version: previous.clone(),
            targets: exec
                .plan
                .targets
                .iter()
                .map(|tp| TargetOutcome {
                    target: tp.target.clone(),
                    uid: tp.uid.clone(),
                    before_version: tp.before_version.clone(),
                    after_version: version.to_string(),
                })
                .collect(),
            promoted_at: l.tags.outcome.as_ref().and_then(|o| o.promoted_at),
            rolled_back_at: Some(now),
            by: actor.to_string(),
            reason: Some(tags::shorten(reason, 1500)),
        };
        let key = tags::key(&l.id, &TagKind::Outcome);
        let value = tags::encode(&key, &outcome).map_err(|e| e.to_string())?;
        self.backends
            .registry
            .set_version_tag(&r.model, &r.version, &key, &value)
            .await
            .map_err(|e| format!("recording the rollback failed: {e}"))?;
        self.set_state_tag(r, PromotionState::RolledBack).await;
        let note = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        let ev = Event::new(actor, "promotion.rolled_back", describe(r))
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .change(
                json!({ "alias": version }),
                json!({ "alias": previous, "targets": outcome.targets }),
            )
            .outcome(format!("ok: compensated after: {reason}{note}"));
        if let Err(e) = self.audit(ev).await {
            tracing::error!(promotion = %l.id, error = %e, "rollback not journaled");
        }
        Ok(())
    }
}
