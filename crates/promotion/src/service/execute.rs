//! Executing an approved promotion: re-check approvals, RBAC, gates and the
//! exact approved state; claim it; record a plan; then go forward (see
//! `forward.rs`) or, on any failure, compensate (see `compensate.rs`).
//!
//! Idempotence: one in-process async mutex per id serializes callers, and
//! every step first reads what is already done (outcome tag, alias, served
//! version) so a repeat writes nothing. Across processes a claim tag (read
//! back after writing) keeps a second executor out, and the resourceVersion
//! precondition on every patch makes a double write that slips through a
//! conflict instead of a second change. A crash leaves an `exec` tag with
//! the plan; the next `execute` resumes from it.

use super::approvals::{self, Tally};
use super::audit::Event;
use super::load::{Loaded, derive_state};
use super::review::{canaries, describe};
use super::{Promotions, patch_resource};
use crate::error::{PromotionError, Result};
use crate::gates::{self, SloScope};
use crate::tags::{self, ClaimRecord, ExecRecord, Phase, Plan, TagKind, TargetPlan};
use modeldeck_core::domain::{GateResult, PromotionState};
use serde_json::json;

/// How to execute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// A human has looked at the inconclusive gates and says go on.
    pub confirm_inconclusive: bool,
    /// After patching a CronJob target, start one run of it at once (a Job
    /// as `kubectl create job --from=cronjob/...` makes it), audited and
    /// followed to its end; a failed run rolls the promotion back. Only
    /// for promotions whose targets are all CronJobs.
    pub run_now: bool,
    /// After the rollout, wait for the verification of stream consumer
    /// targets (lag back under its threshold within the window); a failed
    /// verification rolls the promotion back.
    pub wait: bool,
}

/// What an execution did.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionReport {
    /// Promotion id.
    pub id: String,
    /// Its state now.
    pub state: PromotionState,
    /// False when nothing had to be written (it was already done).
    pub wrote: bool,
    /// Gates as evaluated.
    pub gates: Vec<GateResult>,
    /// What happened, in words.
    pub note: String,
}

impl Promotions {
    /// Executes promotion `id` (or resumes an interrupted execution).
    /// Returns the report when it ends Promoted (now or earlier); an error
    /// otherwise: a refusal (nothing written), `gate_inconclusive` (paused
    /// for a human), `in_progress`, `rolled_back` (failed and compensated),
    /// `compensation_failed`.
    pub async fn execute(&self, id: &str, opts: ExecuteOptions) -> Result<ExecutionReport> {
        let lock = self.lock_for(id);
        let _guard = lock.lock().await;
        let l = match self.load(id).await {
            Ok(l) => l,
            Err(e) => {
                return Err(self
                    .refuse(
                        Event::new("unknown", "promotion.execute", format!("promotion {id}")),
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
                        Event::new("unknown", "promotion.execute", describe(r))
                            .on(id, &r.model, &r.version)
                            .targets(&r.targets),
                        e,
                    )
                    .await);
            }
        };
        let ev = Event::new(&actor, "promotion.execute", describe(r))
            .on(id, &r.model, &r.version)
            .targets(&r.targets);
        if super::load::unfinished(&l.tags)
            && let Some(exec) = l.tags.exec.clone()
        {
            return self.resume(&l, exec, &actor, opts).await;
        }
        if let Some(o) = &l.tags.outcome {
            let note = match o.state {
                PromotionState::Promoted => format!(
                    "already promoted at {}",
                    o.promoted_at.unwrap_or_default().rfc3339()
                ),
                s => format!("already {s:?}: {}", o.reason.as_deref().unwrap_or("")),
            };
            self.audit(ev.no_mirror().outcome(format!("ok: no-op, {note}")))
                .await?;
            return match o.state {
                PromotionState::Promoted => Ok(ExecutionReport {
                    id: id.into(),
                    state: o.state,
                    wrote: false,
                    gates: vec![],
                    note,
                }),
                _ => Err(PromotionError::RolledBack {
                    reason: o.reason.clone().unwrap_or(note),
                }),
            };
        }
        match self.start(&l, &actor, opts).await {
            Ok(Started::Run(exec, gates)) => self.run(&l, exec, &actor, opts, gates).await,
            Err(e) => Err(self.refuse(ev, e).await),
        }
    }

    /// Every check before the first write; on success the claim and plan
    /// are recorded and the execution is `Executing`.
    async fn start(&self, l: &Loaded, actor: &str, opts: ExecuteOptions) -> Result<Started> {
        let r = &l.request;
        let policy = self.policies.for_model(&r.model);
        let obs = self.observe(l).await?;
        let tally = approvals::tally(&l.tags, r, &obs, self.now());
        let state = derive_state(&l.tags, &tally, policy.min_approvals);
        if matches!(state, PromotionState::Cancelled | PromotionState::Rejected) {
            return Err(PromotionError::WrongState {
                id: l.id.clone(),
                state,
                action: "execute it".into(),
            });
        }
        super::ledger::require_bound(&obs, policy)?;
        if opts.run_now
            && let Some(t) = r
                .targets
                .iter()
                .find(|t| t.kind != modeldeck_core::domain::WorkloadKind::CronJob)
        {
            return Err(PromotionError::Invalid {
                field: "--run-now".into(),
                reason: format!(
                    "{t} is a {}, not a CronJob: only a CronJob target can run now",
                    t.kind
                ),
            });
        }
        self.require(actor, "patch", patch_resource, &r.targets)
            .await?;
        if tally.valid.len() < policy.min_approvals as usize {
            return Err(tally.shortfall(policy.min_approvals as usize));
        }
        let contenders = self
            .contenders(r, &l.version, obs.champion.as_deref())
            .await;
        let mut gate_values = approvals::checklist(&tally, &r.requested_by, &obs, policy);
        gate_values.extend(
            gates::evaluate(
                &self.backends,
                policy,
                &contenders,
                &canaries(r, &obs),
                SloScope::Canary,
            )
            .await,
        );
        let (failed, inconclusive) = gates::blocking(&gate_values);
        if !failed.is_empty() {
            return Err(PromotionError::GateFailed { gates: failed });
        }
        if !inconclusive.is_empty() && !opts.confirm_inconclusive {
            return Err(PromotionError::GateInconclusive {
                gates: inconclusive,
            });
        }
        let token = self.claim(l, actor).await?;
        // Dry run: the world must still be exactly what was approved, read
        // after the claim so nothing can slip in between.
        let expected = expected_state(&tally);
        let now_obs = self.observe(l).await?;
        let mut changes = Vec::new();
        for rec in &tally.valid {
            changes.extend(approvals::changes_since(rec, r, &now_obs));
        }
        let mut unique = std::collections::BTreeSet::new();
        changes.retain(|c| unique.insert(c.clone()));
        if !changes.is_empty() || now_obs.workloads.len() != r.targets.len() {
            self.release(l).await;
            if changes.is_empty() {
                changes.push("a target disappeared".into());
            }
            return Err(PromotionError::StaleState { changes });
        }
        let plan = Plan {
            alias: r.alias.clone(),
            previous_alias_version: now_obs.champion.clone(),
            targets: r
                .targets
                .iter()
                .filter_map(|t| now_obs.workloads.get(t))
                .map(|w| TargetPlan {
                    target: w.id.clone(),
                    uid: w.uid.clone(),
                    resource_version: w.resource_version.clone(),
                    before_version: w.served_version.clone(),
                })
                .collect(),
        };
        let now = self.now();
        let exec = ExecRecord {
            v: tags::SCHEMA,
            executor: self.opts.executor.clone(),
            token,
            actor: actor.to_string(),
            started_at: now,
            updated_at: now,
            phase: Phase::Planned,
            plan,
            note: None,
        };
        self.write_exec(r, &exec).await?;
        self.set_state_tag(r, PromotionState::Executing).await;
        let ev = Event::new(actor, "promotion.executing", describe(r))
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .change(
                json!({ "expected": expected }),
                json!({ "plan": exec.plan }),
            )
            .gates(&gate_values)
            .approvals(tally.valid.iter().map(|a| a.approval.clone()).collect());
        self.audit(ev).await?;
        Ok(Started::Run(exec, gate_values))
    }

    /// Writes our claim and reads it back; someone else's live claim, or a
    /// claim that is not ours after the write, means another executor.
    pub(crate) async fn claim(&self, l: &Loaded, actor: &str) -> Result<String> {
        let r = &l.request;
        let now = self.now();
        // A claim left by an execution that has since finished (its outcome
        // is recorded and nothing is unfinished) guards nothing any more: a
        // later rollback by another process must not wait for it to expire.
        let finished = l.tags.outcome.is_some() && !super::load::unfinished(&l.tags);
        if let Some(c) = l.tags.claim.as_ref().filter(|_| !finished) {
            let age = now.millis_since(c.at);
            let ttl = i64::try_from(self.opts.claim_ttl.as_millis()).unwrap_or(i64::MAX);
            if c.executor != self.opts.executor && age < ttl {
                return Err(PromotionError::InProgress {
                    by: format!("{} (as {})", c.executor, c.actor),
                    since: c.at.rfc3339(),
                });
            }
        }
        // Across processes the cluster decides: a status update with the
        // resourceVersion we read, so of two executors one gets a conflict.
        self.claim_on_ledger(r, actor).await?;
        let token = tags::random_hex(&[&l.id, &self.opts.executor], now);
        let rec = ClaimRecord {
            v: tags::SCHEMA,
            executor: self.opts.executor.clone(),
            token: token.clone(),
            actor: actor.to_string(),
            at: now,
        };
        let key = tags::key(&l.id, &TagKind::Claim);
        let value = tags::encode(&key, &rec)?;
        self.backends
            .registry
            .set_version_tag(&r.model, &r.version, &key, &value)
            .await?;
        self.check_claim(l, &token).await?;
        Ok(token)
    }

    /// Fails with `in_progress` unless the claim tag holds `token`.
    pub(crate) async fn check_claim(&self, l: &Loaded, token: &str) -> Result<()> {
        let r = &l.request;
        let key = tags::key(&l.id, &TagKind::Claim);
        let v = self
            .backends
            .registry
            .get_version(&r.model, &r.version)
            .await?;
        let holder: Option<ClaimRecord> = v.tags.get(&key).and_then(|s| tags::decode(&key, s).ok());
        match holder {
            Some(c) if c.token == token => Ok(()),
            Some(c) => Err(PromotionError::InProgress {
                by: format!("{} (as {})", c.executor, c.actor),
                since: c.at.rfc3339(),
            }),
            None => Err(PromotionError::InProgress {
                by: "another executor (claim removed)".into(),
                since: self.now().rfc3339(),
            }),
        }
    }

    async fn release(&self, l: &Loaded) {
        self.release_on_ledger(&l.request).await;
        let key = tags::key(&l.id, &TagKind::Claim);
        if let Err(e) = self
            .backends
            .registry
            .delete_version_tag(&l.request.model, &l.request.version, &key)
            .await
        {
            tracing::warn!(promotion = %l.id, error = %e, "claim not released");
        }
    }

    pub(crate) async fn write_exec(
        &self,
        r: &tags::RequestRecord,
        exec: &ExecRecord,
    ) -> Result<()> {
        let key = tags::key(&r.id, &TagKind::Exec);
        let value = tags::encode(&key, exec)?;
        Ok(self
            .backends
            .registry
            .set_version_tag(&r.model, &r.version, &key, &value)
            .await?)
    }

    /// Picks up an execution a crashed or paused executor left behind.
    async fn resume(
        &self,
        l: &Loaded,
        exec: ExecRecord,
        actor: &str,
        opts: ExecuteOptions,
    ) -> Result<ExecutionReport> {
        let r = &l.request;
        let ev = Event::new(actor, "promotion.resume", describe(r))
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets);
        // Whoever resumes must be allowed to change the targets themselves.
        let token = match self
            .require(actor, "patch", patch_resource, &r.targets)
            .await
        {
            Ok(_) => match self.claim(l, actor).await {
                Ok(t) => t,
                Err(e) => return Err(self.refuse(ev, e).await),
            },
            Err(e) => return Err(self.refuse(ev, e).await),
        };
        let exec = ExecRecord {
            token,
            executor: self.opts.executor.clone(),
            updated_at: self.now(),
            ..exec
        };
        self.audit(ev.change(json!({ "phase": exec.phase, "executor": l.tags.exec.as_ref().map(|e| e.executor.clone()) }), json!({ "executor": exec.executor })))
            .await?;
        match exec.phase {
            Phase::Compensating => {
                let reason = exec
                    .note
                    .clone()
                    .unwrap_or_else(|| "an interrupted compensation".into());
                self.compensate_and_report(l, &exec, actor, reason).await
            }
            Phase::AwaitingDecision | Phase::Planned | Phase::Rolling => {
                self.run(l, exec, actor, opts, Vec::new()).await
            }
        }
    }
}

/// Outcome of the pre-write checks.
enum Started {
    Run(ExecRecord, Vec<GateResult>),
}

/// The state the valid approvals bound the execution to.
fn expected_state(t: &Tally) -> serde_json::Value {
    match t.valid.iter().max_by_key(|a| a.approval.at) {
        Some(a) => json!({
            "champion": a.champion,
            "run": a.approval.bound_run,
            "workloads": a.approval.bound_workloads,
            "gates_digest": a.gates_digest,
        }),
        None => serde_json::Value::Null,
    }
}
