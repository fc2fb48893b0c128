//! Going forward: check the world is still explained by the plan, move the
//! alias, patch each target with the approved resourceVersion as a
//! precondition, follow the rollout, let the new version bake, read the
//! post-deploy gates, and record the outcome. Every step skips what is
//! already done, so a resumed or repeated run writes nothing twice.

use super::Promotions;
use super::audit::Event;
use super::canary::{CanaryOutcome, canary_of};
use super::execute::{ExecuteOptions, ExecutionReport};
use super::load::Loaded;
use super::review::describe;
use super::rollout::Watch;
use crate::error::{PromotionError, Result};
use crate::gates::{self, Contenders, SloScope};
use crate::tags::{self, ExecRecord, OutcomeRecord, Phase, TagKind, TargetOutcome};
use modeldeck_core::domain::{GateResult, PromotionState, WorkloadKind};
use modeldeck_core::error::ErrorCode;
use serde_json::json;

/// Where going forward ended.
pub(crate) enum Forward {
    /// Deployed and the post-deploy gates pass (or were confirmed).
    Done(Vec<GateResult>),
    /// Deployed; inconclusive post-deploy gates wait for a human.
    Await(Vec<GateResult>),
    /// Another executor holds the claim: stop without touching anything.
    Lost(PromotionError),
}

impl Promotions {
    /// Goes forward from `exec`; on failure compensates.
    pub(crate) async fn run(
        &self,
        l: &Loaded,
        mut exec: ExecRecord,
        actor: &str,
        opts: ExecuteOptions,
        mut gate_values: Vec<GateResult>,
    ) -> Result<ExecutionReport> {
        let r = &l.request;
        match self.forward(l, &mut exec, actor, opts).await {
            Ok(Forward::Done(post)) => {
                gate_values.extend(post);
                match self.finalize(l, &exec, actor, &gate_values).await {
                    Ok(report) => Ok(report),
                    Err(e) => {
                        self.compensate_and_report(
                            l,
                            &exec,
                            actor,
                            format!("could not record the outcome: {e}"),
                        )
                        .await
                    }
                }
            }
            Ok(Forward::Await(post)) => {
                exec.phase = Phase::AwaitingDecision;
                exec.note =
                    Some("post-deploy gates inconclusive: confirm to finish, or roll back".into());
                exec.updated_at = self.now();
                if let Err(e) = self.write_exec(r, &exec).await {
                    return self
                        .compensate_and_report(
                            l,
                            &exec,
                            actor,
                            format!("could not record the pause: {e}"),
                        )
                        .await;
                }
                let err = PromotionError::GateInconclusive {
                    gates: post.clone(),
                };
                let ev = Event::new(actor, "promotion.paused", describe(r))
                    .on(&l.id, &r.model, &r.version)
                    .targets(&r.targets)
                    .gates(&post);
                self.audit(ev.outcome(format!("paused: {err}"))).await?;
                Err(err)
            }
            Ok(Forward::Lost(e)) => Err(e),
            Err(reason) => self.compensate_and_report(l, &exec, actor, reason).await,
        }
    }

    async fn forward(
        &self,
        l: &Loaded,
        exec: &mut ExecRecord,
        actor: &str,
        opts: ExecuteOptions,
    ) -> std::result::Result<Forward, String> {
        let r = &l.request;
        let version = r.version.as_str();
        let policy = self.policies.for_model(&r.model);
        let all = self
            .backends
            .cluster
            .list_workloads()
            .await
            .map_err(|e| format!("cannot read the cluster: {e}"))?;
        for tp in &exec.plan.targets {
            let t = &tp.target;
            let w = all
                .iter()
                .find(|w| &w.id == t)
                .ok_or_else(|| format!("{t} disappeared during execution"))?;
            if w.uid != tp.uid {
                return Err(format!(
                    "{t} was recreated during execution (uid {} -> {})",
                    tp.uid, w.uid
                ));
            }
            if w.served_version.as_deref() != Some(version)
                && w.resource_version != tp.resource_version
                && canary_of(w, version).is_none()
            {
                return Err(format!(
                    "{t} was changed by someone else during execution (resourceVersion {} -> {})",
                    tp.resource_version, w.resource_version
                ));
            }
        }
        let model = self
            .backends
            .registry
            .get_model(&r.model)
            .await
            .map_err(|e| format!("cannot read the alias: {e}"))?;
        let current = model.aliases.get(&r.alias).cloned();
        if current.as_deref() != Some(version) && current != exec.plan.previous_alias_version {
            return Err(format!(
                "{} was moved to {} by someone else during execution",
                r.alias,
                current.as_deref().unwrap_or("nowhere")
            ));
        }
        if current.as_deref() != Some(version) {
            // The claim is checked right before the first change.
            if let Err(e) = self.check_claim(l, &exec.token).await {
                return Ok(Forward::Lost(e));
            }
        }
        let resumed_pause = exec.phase == Phase::AwaitingDecision;
        if exec.phase == Phase::Planned {
            exec.phase = Phase::Rolling;
            exec.updated_at = self.now();
            self.write_exec(r, exec)
                .await
                .map_err(|e| format!("cannot record progress: {e}"))?;
        }
        if current.as_deref() != Some(version) {
            self.backends
                .registry
                .set_alias(&r.model, &r.alias, version)
                .await
                .map_err(|e| format!("moving {} failed: {e}", r.alias))?;
            let ev = Event::new(
                actor,
                "alias.moved",
                format!("{} alias {}", r.model, r.alias),
            )
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .change(json!({ "version": current }), json!({ "version": version }));
            self.audit(ev).await.map_err(|e| e.to_string())?;
        }
        for tp in &exec.plan.targets {
            let t = &tp.target;
            let Some(w) = all.iter().find(|w| &w.id == t) else {
                continue;
            };
            if w.served_version.as_deref() == Some(version) {
                continue;
            }
            let (rv, stepped) = match self.step_canary(l, actor, tp, opts).await? {
                CanaryOutcome::Direct => (tp.resource_version.clone(), false),
                CanaryOutcome::Stepped(rv) => (rv, true),
                CanaryOutcome::Await(g) => return Ok(Forward::Await(g)),
            };
            let ev = Event::new(actor, "workload.patched", t.to_string())
                .on(&l.id, &r.model, &r.version)
                .targets(std::slice::from_ref(t));
            let patched = if stepped {
                self.write_ours(tp, version, None, rv.clone(), policy.rollout_poll.0)
                    .await
            } else {
                self.backends
                    .cluster
                    .set_served_version(t, version, Some(&rv))
                    .await
            };
            match patched {
                Ok(nw) => {
                    let ev = ev.change(
                        json!({ "served_version": tp.before_version, "resource_version": rv }),
                        json!({ "served_version": version, "resource_version": nw.resource_version }),
                    );
                    self.audit(ev).await.map_err(|e| e.to_string())?;
                }
                Err(e) if e.code == ErrorCode::Conflict => {
                    let again = self
                        .backends
                        .cluster
                        .list_workloads()
                        .await
                        .map_err(|e| format!("cannot read the cluster: {e}"))?;
                    let done = again.iter().any(|n| {
                        &n.id == t
                            && n.uid == tp.uid
                            && n.served_version.as_deref() == Some(version)
                    });
                    if !done {
                        return Err(format!(
                            "patching {t} conflicted: it changed since approval ({e})"
                        ));
                    }
                    self.audit(ev.outcome("ok: already patched by another executor"))
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Err(e) => return Err(format!("patching {t} failed: {e}")),
            }
        }
        let watches: Vec<Watch> = exec
            .plan
            .targets
            .iter()
            .map(|tp| Watch {
                target: tp.target.clone(),
                uid: tp.uid.clone(),
                want: Some(version.to_string()),
            })
            .collect();
        self.follow_rollout(&watches, policy).await?;
        if opts.run_now {
            self.run_now(l, exec, actor, policy.rollout_poll.0).await?;
        }
        if opts.wait {
            self.wait_for_lag(&r.targets, exec.started_at, policy.rollout_poll.0)
                .await?;
        }
        if !resumed_pause && !policy.bake.0.is_zero() {
            self.pause.pause(policy.bake.0).await;
        }
        let post = self.post_deploy_gates(l, opts.run_now).await;
        let (failed, inconclusive) = gates::blocking(&post);
        if !failed.is_empty() {
            let words: Vec<String> = failed
                .iter()
                .map(|g| format!("{}: {}", g.name, g.detail))
                .collect();
            return Err(format!("post-deploy gate failed: {}", words.join("; ")));
        }
        if !inconclusive.is_empty() && !opts.confirm_inconclusive {
            return Ok(Forward::Await(post));
        }
        Ok(Forward::Done(post))
    }

    /// The SLO gates on every target, after deploy. A CronJob that
    /// `--run-now` ran to success is verified by that run (it serves no
    /// requests to judge); without a run, its gates stay inconclusive and
    /// a human decides.
    pub(crate) async fn post_deploy_gates(&self, l: &Loaded, ran_now: bool) -> Vec<GateResult> {
        let r = &l.request;
        let policy = self.policies.for_model(&r.model);
        let contenders = Contenders {
            candidate: (l.version.clone(), Ok(None)),
            champion: None,
        };
        let targets: Vec<_> = r
            .targets
            .iter()
            .filter(|t| !(ran_now && t.kind == WorkloadKind::CronJob))
            .cloned()
            .map(gates::Target::new)
            .collect();
        gates::evaluate(
            &self.backends,
            policy,
            &contenders,
            &targets,
            SloScope::PostDeploy,
        )
        .await
    }

    async fn finalize(
        &self,
        l: &Loaded,
        exec: &ExecRecord,
        actor: &str,
        gate_values: &[GateResult],
    ) -> Result<ExecutionReport> {
        let r = &l.request;
        let now = self.now();
        let outcome = OutcomeRecord {
            v: tags::SCHEMA,
            state: PromotionState::Promoted,
            alias: r.alias.clone(),
            previous_version: exec.plan.previous_alias_version.clone(),
            targets: exec
                .plan
                .targets
                .iter()
                .map(|tp| TargetOutcome {
                    target: tp.target.clone(),
                    uid: tp.uid.clone(),
                    before_version: tp.before_version.clone(),
                    after_version: r.version.clone(),
                })
                .collect(),
            promoted_at: Some(now),
            rolled_back_at: None,
            by: actor.to_string(),
            reason: None,
        };
        let key = tags::key(&l.id, &TagKind::Outcome);
        let value = tags::encode(&key, &outcome)?;
        self.backends
            .registry
            .set_version_tag(&r.model, &r.version, &key, &value)
            .await?;
        self.set_state_tag(r, PromotionState::Promoted).await;
        let ev = Event::new(actor, "promotion.promoted", describe(r))
            .on(&l.id, &r.model, &r.version)
            .targets(&r.targets)
            .change(
                json!({ "alias": exec.plan.previous_alias_version }),
                json!({ "alias": r.version, "targets": outcome.targets }),
            )
            .gates(gate_values);
        self.audit(ev).await?;
        Ok(ExecutionReport {
            id: l.id.clone(),
            state: PromotionState::Promoted,
            wrote: true,
            gates: gate_values.to_vec(),
            note: format!(
                "{} now points at v{} and {} target(s) serve it",
                r.alias,
                r.version,
                exec.plan.targets.len()
            ),
        })
    }
}
