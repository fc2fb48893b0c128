//! Rollback: restore the last known-good version from recorded history.
//! The promotion that put the current version in place recorded, per
//! target, the version served before and the alias's previous version; a
//! rollback puts exactly those back and marks that promotion RolledBack.

use super::audit::Event;
use super::load::{Loaded, unfinished};
use super::review::describe;
use super::{Promotions, patch_resource};
use crate::error::{PromotionError, Result};
use crate::tags::{self, ExecRecord, OutcomeRecord, Phase, Plan, TargetPlan};
use modeldeck_core::domain::PromotionState;

/// What a rollback restored.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackReport {
    /// The promotion undone.
    pub promotion: String,
    /// Model.
    pub model: String,
    /// Alias.
    pub alias: String,
    /// Version taken out of service.
    pub from_version: String,
    /// Version the alias points at again (`None`: alias removed).
    pub restored_version: Option<String>,
    /// Each target's before and after as recorded.
    pub targets: Vec<modeldeck_core::domain::TargetChange>,
}

impl Promotions {
    /// Rolls back the promotion that last moved `alias` of `model` (or the
    /// one still executing), restoring the alias and every target exactly
    /// as they were before it.
    pub async fn rollback(
        &self,
        model: &str,
        alias: Option<&str>,
        reason: &str,
    ) -> Result<RollbackReport> {
        let alias = alias.unwrap_or(&self.opts.default_alias).to_string();
        let subject = format!("{} alias {alias}", tags::shorten(model, 200));
        let actor = match self.identity(&[]).await {
            Ok(a) => a.username,
            Err(e) => {
                return Err(self
                    .refuse(Event::new("unknown", "promotion.rollback", subject), e)
                    .await);
            }
        };
        let ev = Event::new(&actor, "promotion.rollback", subject);
        let mut latest: Option<(bool, i64, String)> = None;
        let versions = match self.backends.registry.list_versions(model).await {
            Ok(v) => v,
            Err(e) => return Err(self.refuse(ev, e.into()).await),
        };
        for v in versions {
            self.remember(&v);
            for (id, t) in tags::collect(&v.tags) {
                let Some(req) = &t.request else { continue };
                if req.alias != alias {
                    continue;
                }
                let running = unfinished(&t);
                let promoted_at = t
                    .outcome
                    .as_ref()
                    .filter(|o| o.state == PromotionState::Promoted)
                    .and_then(|o| o.promoted_at);
                let key = match (running, promoted_at) {
                    (true, _) => (true, i64::MAX),
                    (false, Some(at)) => (false, at.0),
                    _ => continue,
                };
                if latest
                    .as_ref()
                    .is_none_or(|(r, at, _)| (key.0, key.1) > (*r, *at))
                {
                    latest = Some((key.0, key.1, id));
                }
            }
        }
        match latest {
            Some((_, _, id)) => self.rollback_promotion(&id, reason).await,
            None => {
                let err = PromotionError::NotFound {
                    what: format!("a promotion of {model} {alias} to roll back"),
                };
                Err(self.refuse(ev, err).await)
            }
        }
    }

    /// Rolls back promotion `id`: a Promoted one is undone, an unfinished
    /// one is compensated.
    pub async fn rollback_promotion(&self, id: &str, reason: &str) -> Result<RollbackReport> {
        let lock = self.lock_for(id);
        let _guard = lock.lock().await;
        let l = match self.load(id).await {
            Ok(l) => l,
            Err(e) => {
                return Err(self
                    .refuse(
                        Event::new("unknown", "promotion.rollback", format!("promotion {id}")),
                        e,
                    )
                    .await);
            }
        };
        let r = &l.request;
        let actor = match self.identity(&r.targets).await {
            Ok(a) => a.username,
            Err(e) => {
                return Err(self
                    .refuse(
                        Event::new("unknown", "promotion.rollback", describe(r))
                            .on(id, &r.model, &r.version)
                            .targets(&r.targets),
                        e,
                    )
                    .await);
            }
        };
        let ev = Event::new(&actor, "promotion.rollback", describe(r))
            .on(id, &r.model, &r.version)
            .targets(&r.targets);
        let exec = match self.rollback_plan(&l, &actor, reason).await {
            Ok(exec) => exec,
            Err(e) => return Err(self.refuse(ev, e).await),
        };
        self.audit(ev.outcome(format!("ok: started: {reason}")))
            .await?;
        let why = format!("rolled back by {actor}: {reason}");
        if let Err(e) = self.compensate(&l, &exec, &actor, &why, true).await {
            let err = PromotionError::CompensationFailed {
                reason: format!(
                    "{e}; the promotion stays Executing and the next rollback resumes it"
                ),
            };
            let ev = Event::new(&actor, "promotion.rollback_failed", describe(r))
                .on(id, &r.model, &r.version)
                .targets(&r.targets);
            return Err(self.refuse(ev, err).await);
        }
        Ok(RollbackReport {
            promotion: id.to_string(),
            model: r.model.clone(),
            alias: r.alias.clone(),
            from_version: r.version.clone(),
            restored_version: exec.plan.previous_alias_version.clone(),
            targets: exec
                .plan
                .targets
                .iter()
                .map(|tp| modeldeck_core::domain::TargetChange {
                    target: tp.target.clone(),
                    uid: tp.uid.clone(),
                    before_version: tp.before_version.clone(),
                    after_version: r.version.clone(),
                })
                .collect(),
        })
    }

    /// Checks a rollback may start and returns the plan to undo.
    async fn rollback_plan(&self, l: &Loaded, actor: &str, reason: &str) -> Result<ExecRecord> {
        let r = &l.request;
        if reason.trim().is_empty() {
            return Err(PromotionError::Invalid {
                field: "reason".into(),
                reason: "say why (it goes into the audit trail)".into(),
            });
        }
        tags::check_text("reason", reason)?;
        self.require(actor, "patch", patch_resource, &r.targets)
            .await?;
        let now = self.now();
        if unfinished(&l.tags) {
            let exec = l
                .tags
                .exec
                .clone()
                .ok_or_else(|| PromotionError::NotFound {
                    what: format!("the plan of promotion {}", l.id),
                })?;
            let token = self.claim(l, actor).await?;
            return Ok(ExecRecord {
                token,
                executor: self.opts.executor.clone(),
                updated_at: now,
                ..exec
            });
        }
        let Some(outcome) = l
            .tags
            .outcome
            .clone()
            .filter(|o| o.state == PromotionState::Promoted)
        else {
            let state = if l.tags.outcome.is_some() {
                PromotionState::RolledBack
            } else {
                PromotionState::Requested
            };
            return Err(PromotionError::WrongState {
                id: l.id.clone(),
                state,
                action: "roll it back (only a promoted or executing promotion can be)".into(),
            });
        };
        self.check_undoable(l, &outcome).await?;
        let token = self.claim(l, actor).await?;
        Ok(ExecRecord {
            v: tags::SCHEMA,
            executor: self.opts.executor.clone(),
            token,
            actor: actor.to_string(),
            started_at: now,
            updated_at: now,
            phase: Phase::Compensating,
            plan: Plan {
                alias: outcome.alias.clone(),
                previous_alias_version: outcome.previous_version.clone(),
                targets: outcome
                    .targets
                    .iter()
                    .map(|t| TargetPlan {
                        target: t.target.clone(),
                        uid: t.uid.clone(),
                        resource_version: String::new(),
                        before_version: t.before_version.clone(),
                    })
                    .collect(),
            },
            note: None,
        })
    }

    /// Refuses to undo a promotion whose result has since been changed by
    /// someone else: the alias or a target no longer shows what it did.
    async fn check_undoable(&self, l: &Loaded, o: &OutcomeRecord) -> Result<()> {
        let r = &l.request;
        let mut changes = Vec::new();
        let model = self.backends.registry.get_model(&r.model).await?;
        let current = model.aliases.get(&o.alias).cloned();
        if current.as_deref() != Some(r.version.as_str()) {
            changes.push(format!(
                "{} now points at {}, not v{} as promotion {} left it (a later change must be rolled back first)",
                o.alias,
                current.as_deref().map_or("nothing".into(), |v| format!("v{v}")),
                r.version,
                l.id
            ));
        }
        let all = self.backends.cluster.list_workloads().await?;
        for t in &o.targets {
            match all.iter().find(|w| w.id == t.target) {
                None => changes.push(format!("{} no longer exists", t.target)),
                Some(w) if w.uid != t.uid => changes.push(format!(
                    "{} was recreated (uid {} -> {})",
                    t.target, t.uid, w.uid
                )),
                Some(w)
                    if w.served_version.as_deref() != Some(t.after_version.as_str())
                        && w.served_version != t.before_version =>
                {
                    changes.push(format!(
                        "{} serves {} now, neither v{} nor its previous version",
                        t.target,
                        w.served_version.as_deref().unwrap_or("nothing"),
                        t.after_version
                    ))
                }
                Some(_) => {}
            }
        }
        if changes.is_empty() {
            Ok(())
        } else {
            Err(PromotionError::StaleState { changes })
        }
    }
}
