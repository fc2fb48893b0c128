//! Progressive delivery on KServe InferenceServices (Knative mode): the
//! candidate takes each of the policy's `canary_steps` percentages of the
//! traffic in turn; at each step the rollout must turn Available, the
//! candidate bakes, and the canary SLO gates are read. A failing gate (a
//! metrics outage included) aborts the execution, which compensates; an
//! inconclusive one pauses for a human. Steps already taken are skipped,
//! so a resumed execution continues where it stopped.

use super::Promotions;
use super::audit::Event;
use super::execute::ExecuteOptions;
use super::load::Loaded;
use super::rollout::Watch;
use crate::gates::{self, SloScope};
use crate::tags::TargetPlan;
use modeldeck_core::domain::{GateResult, MetricsTarget, Workload, WorkloadKind};
use modeldeck_core::error::ErrorCode;
use serde_json::json;

/// Where a target's canary stands after [`Promotions::step_canary`].
pub(crate) enum CanaryOutcome {
    /// Every step passed; the final patch carries this resourceVersion.
    Stepped(String),
    /// Not a canary target (not an InferenceService, no steps, or the
    /// cluster cannot split its traffic): switch it in one patch.
    Direct,
    /// A step's gates are inconclusive: wait for a human.
    Await(Vec<GateResult>),
}

/// Whether `w` runs a canary of `version` (ours, if we are promoting it).
pub(crate) fn canary_of(w: &Workload, version: &str) -> Option<u8> {
    w.canary
        .as_ref()
        .filter(|c| c.version == version)
        .map(|c| c.traffic_percent)
}

/// Writes retried while a conflict is only status churn.
const CHURN_RETRIES: usize = 5;

impl Promotions {
    /// Writes a canary `step` (or, with `None`, the full switch) on a target
    /// that runs our canary of `version`. The controller keeps writing the
    /// object's status until the new revision is Ready (each write moves
    /// the resourceVersion, and a watch cache can be a write behind), so a
    /// conflict is re-read: while the canary is still ours (same uid, same
    /// candidate) it is retried with the fresh resourceVersion; otherwise it
    /// stands.
    pub(crate) async fn write_ours(
        &self,
        tp: &TargetPlan,
        version: &str,
        step: Option<u8>,
        rv: String,
        poll: std::time::Duration,
    ) -> modeldeck_core::error::PortResult<Workload> {
        let t = &tp.target;
        let cluster = &self.backends.cluster;
        let mut rv = rv;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let r = match step {
                Some(p) => cluster.set_canary(t, version, p, Some(&rv)).await,
                None => cluster.set_served_version(t, version, Some(&rv)).await,
            };
            match r {
                Err(e) if e.code == ErrorCode::Conflict && attempt < CHURN_RETRIES => {
                    self.pause.pause(poll).await;
                    let all = cluster.list_workloads().await?;
                    match all.into_iter().find(|w| &w.id == t) {
                        Some(w) if w.uid == tp.uid && canary_of(&w, version).is_some() => {
                            rv = w.resource_version;
                        }
                        _ => return Err(e),
                    }
                }
                other => return other,
            }
        }
    }

    async fn current(&self, tp: &TargetPlan) -> Result<Workload, String> {
        let all = self
            .backends
            .cluster
            .list_workloads()
            .await
            .map_err(|e| format!("cannot read the cluster: {e}"))?;
        all.into_iter()
            .find(|w| w.id == tp.target)
            .ok_or_else(|| format!("{} disappeared during the canary", tp.target))
    }

    /// Takes `tp` through the canary steps of the promotion's policy.
    pub(crate) async fn step_canary(
        &self,
        l: &Loaded,
        actor: &str,
        tp: &TargetPlan,
        opts: ExecuteOptions,
    ) -> Result<CanaryOutcome, String> {
        let r = &l.request;
        let version = r.version.as_str();
        let policy = self.policies.for_model(&r.model);
        let t = &tp.target;
        if t.kind != WorkloadKind::InferenceService || policy.canary_steps.is_empty() {
            return Ok(CanaryOutcome::Direct);
        }
        let mut w = self.current(tp).await?;
        for &step in &policy.canary_steps {
            let now = canary_of(&w, version);
            if now.is_some_and(|p| p >= step) {
                continue;
            }
            let rv = if now.is_some() {
                w.resource_version.clone()
            } else {
                tp.resource_version.clone()
            };
            let ev = Event::new(actor, "canary.stepped", t.to_string())
                .on(&l.id, &r.model, &r.version)
                .targets(std::slice::from_ref(t));
            let written = if now.is_some() {
                self.write_ours(tp, version, Some(step), rv.clone(), policy.rollout_poll.0)
                    .await
            } else {
                self.backends
                    .cluster
                    .set_canary(t, version, step, Some(&rv))
                    .await
            };
            let nw = match written {
                Ok(nw) => nw,
                Err(e) if e.code == ErrorCode::Unsupported && now.is_none() => {
                    let note = format!(
                        "ok: no traffic split on {t} ({}); switched in one patch",
                        e.message
                    );
                    self.audit(ev.outcome(note))
                        .await
                        .map_err(|e| e.to_string())?;
                    return Ok(CanaryOutcome::Direct);
                }
                Err(e) if e.code == ErrorCode::Conflict => {
                    return Err(format!(
                        "stepping {t} to {step}% conflicted: it changed since it was read ({e})"
                    ));
                }
                Err(e) => return Err(format!("stepping the canary of {t} to {step}% failed: {e}")),
            };
            let before = json!({ "canary_percent": now.unwrap_or(0), "resource_version": rv });
            let after = json!({ "canary_percent": step, "version": version, "resource_version": nw.resource_version });
            self.audit(ev.change(before, after))
                .await
                .map_err(|e| e.to_string())?;
            let watch = Watch {
                target: t.clone(),
                uid: tp.uid.clone(),
                want: tp.before_version.clone(),
            };
            self.follow_rollout(std::slice::from_ref(&watch), policy)
                .await
                .map_err(|e| format!("canary at {step}%: {e}"))?;
            if !policy.bake.0.is_zero() {
                self.pause.pause(policy.bake.0).await;
            }
            let health = self
                .backends
                .metrics
                .fleet_health(&[MetricsTarget::new(t.clone(), r.model.as_str())])
                .await;
            let checked = gates::slo_gates(
                policy,
                std::slice::from_ref(t),
                &health,
                SloScope::Canary,
                version,
            );
            let (failed, inconclusive) = gates::blocking(&checked);
            let verdict = if !failed.is_empty() {
                "failed"
            } else if !inconclusive.is_empty() && !opts.confirm_inconclusive {
                "inconclusive"
            } else {
                "ok"
            };
            let ev = Event::new(actor, "canary.gates", t.to_string())
                .on(&l.id, &r.model, &r.version)
                .targets(std::slice::from_ref(t))
                .change(json!(null), json!({ "canary_percent": step }))
                .gates(&checked)
                .outcome(format!("{verdict}: canary gates at {step}%"));
            self.audit(ev).await.map_err(|e| e.to_string())?;
            if !failed.is_empty() {
                let words: Vec<String> = failed
                    .iter()
                    .map(|g| format!("{}: {}", g.name, g.detail))
                    .collect();
                return Err(format!(
                    "canary gate failed at {step}% on {t}: {}",
                    words.join("; ")
                ));
            }
            if verdict == "inconclusive" {
                return Ok(CanaryOutcome::Await(checked));
            }
            w = self.current(tp).await?;
        }
        Ok(CanaryOutcome::Stepped(w.resource_version))
    }
}
