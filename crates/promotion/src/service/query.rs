//! Reading promotions: one promotion's status with its live checklist, the
//! list of promotions, the inbox (what waits for me), and history (which
//! version served an alias when).

use super::approvals::{self, Tally};
use super::load::{Loaded, derive_state, observed_from};
use super::review::canaries;
use super::{Promotions, promotion_resource};
use crate::error::Result;
use crate::gates::{self, SloScope};
use crate::tags::{self, TargetOutcome};
use modeldeck_core::domain::{
    ExecutionPhase, Promotion, PromotionOutcome, PromotionState, Timestamp, WorkloadRef,
};
use modeldeck_core::serving_diff::ServingChanges;

/// A promotion with what a reviewer or operator needs around it: a read
/// model (documented in `docs/cli.md` as `promote status` JSON), the same
/// whatever stores the promotion.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PromotionStatus {
    /// The promotion (state derived from tags and the cluster).
    pub promotion: Promotion,
    /// Execution phase while Executing.
    pub phase: Option<ExecutionPhase>,
    /// How it ended, if it did.
    pub outcome: Option<PromotionOutcome>,
    /// Decisions that do not count, with why.
    pub not_counted: Vec<String>,
    /// Registry tags that could not be read.
    pub problems: Vec<String>,
    /// For a Promoted promotion: where the world no longer matches it.
    pub drift: Vec<String>,
    /// While it waits (Requested, Approved): what serving the candidate
    /// would change in each target's spec, from the cluster adapter's own
    /// patch builder; empty once executing or ended, and in lists.
    pub serving_changes: Vec<ServingChanges>,
    /// Once executed: per CronJob or stream consumer target, whether the
    /// new version is verified (the first run after the execution, or the
    /// run-now Job, succeeded with it; the consumer lag is back under its
    /// threshold), still waiting, or failed.
    pub verification: Vec<super::verify::Verification>,
}

impl Promotions {
    /// Promotion `id` now, with the live gate checklist while it is open.
    pub async fn status(&self, id: &str) -> Result<PromotionStatus> {
        let l = self.load(id).await?;
        self.status_of(&l, true).await
    }

    async fn status_of(&self, l: &Loaded, live_gates: bool) -> Result<PromotionStatus> {
        let r = &l.request;
        let policy = self.policies.for_model(&r.model);
        let obs = self.observe(l).await?;
        // Once an execution has started, the approvals are judged against
        // the world as its plan recorded it (the execution itself moves the
        // alias and the workloads), at the time it started.
        let tally = match &l.tags.exec {
            Some(e) => approvals::tally(&l.tags, r, &as_planned(&obs, &e.plan), e.started_at),
            None => approvals::tally(&l.tags, r, &obs, self.now()),
        };
        let state = derive_state(&l.tags, &tally, policy.min_approvals);
        let mut gate_values = approvals::checklist(&tally, &r.requested_by, &obs, policy);
        if let Some(e) = &l.tags.exec {
            for g in gate_values
                .iter_mut()
                .filter(|g| matches!(g.name.as_str(), "approvals" | "bound_state"))
            {
                g.detail = format!(
                    "{} (as when execution started, {})",
                    g.detail,
                    e.started_at.rfc3339()
                );
            }
        }
        if live_gates && matches!(state, PromotionState::Requested | PromotionState::Approved) {
            let contenders = self
                .contenders(r, &l.version, obs.champion.as_deref())
                .await;
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
        }
        let serving_changes =
            if matches!(state, PromotionState::Requested | PromotionState::Approved) {
                self.serving_changes(&r.targets, &r.version).await
            } else {
                Vec::new()
            };
        let mut drift = Vec::new();
        if state == PromotionState::Promoted {
            if obs.champion.as_deref() != Some(r.version.as_str()) {
                drift.push(format!(
                    "{} now points at {}",
                    r.alias,
                    obs.champion.as_deref().unwrap_or("nothing")
                ));
            }
            for t in &r.targets {
                match obs.workloads.get(t) {
                    Some(w) if w.served_version.as_deref() == Some(r.version.as_str()) => {}
                    Some(w) => drift.push(format!(
                        "{t} now serves {}",
                        w.served_version.as_deref().unwrap_or("nothing")
                    )),
                    None => drift.push(format!("{t} no longer exists")),
                }
            }
        }
        let verification = self.verification(l, state, &obs.workloads).await;
        Ok(PromotionStatus {
            verification,
            promotion: super::load::to_promotion(l, state, gate_values),
            phase: if state == PromotionState::Executing {
                l.tags.exec.as_ref().map(|e| e.phase.into())
            } else {
                None
            },
            outcome: l.tags.outcome.as_ref().map(Into::into),
            not_counted: not_counted(&tally),
            problems: l.tags.problems.clone(),
            drift,
            serving_changes,
        })
    }

    /// What serving `version` would change in each of `targets`, read
    /// through the cluster port's preview (the write's own patch builder);
    /// a target that cannot be read says why instead.
    pub async fn serving_changes(
        &self,
        targets: &[WorkloadRef],
        version: &str,
    ) -> Vec<ServingChanges> {
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            out.push(
                match self
                    .backends
                    .cluster
                    .preview_served_version(t, version)
                    .await
                {
                    Ok(c) => c,
                    Err(e) => ServingChanges::unavailable(t.clone(), version, e.message),
                },
            );
        }
        out
    }

    /// Every promotion of `model` (or of every model), newest first, with
    /// the approval checklist but without live metric gates or the
    /// verification (cheap).
    pub async fn list(&self, model: Option<&str>) -> Result<Vec<PromotionStatus>> {
        let models: Vec<String> = match model {
            Some(m) => vec![m.to_string()],
            None => self
                .backends
                .registry
                .list_models()
                .await?
                .into_iter()
                .map(|m| m.name)
                .collect(),
        };
        let workloads = self.backends.cluster.list_workloads().await?;
        let mut out = Vec::new();
        for m in models {
            let aliases = self.backends.registry.get_model(&m).await?.aliases;
            for v in self.backends.registry.list_versions(&m).await? {
                self.remember(&v);
                for id in tags::collect(&v.tags).into_keys() {
                    let Ok(l) = self.loaded_from(&id, v.clone()) else {
                        continue;
                    };
                    let r = &l.request;
                    let policy = self.policies.for_model(&r.model);
                    let mut obs = observed_from(
                        r,
                        &l.version,
                        aliases.get(&r.alias).cloned(),
                        workloads.clone(),
                    );
                    // Closed promotions are not re-judged; open ones count
                    // only what the cluster ledger backs.
                    if l.tags.outcome.is_none() && l.tags.cancel.is_none() {
                        obs.ledger = self.read_sites(r).await;
                    }
                    let tally = approvals::tally(&l.tags, r, &obs, self.now());
                    let state = derive_state(&l.tags, &tally, policy.min_approvals);
                    out.push(PromotionStatus {
                        promotion: super::load::to_promotion(
                            &l,
                            state,
                            approvals::checklist(&tally, &r.requested_by, &obs, policy),
                        ),
                        phase: if state == PromotionState::Executing {
                            l.tags.exec.as_ref().map(|e| e.phase.into())
                        } else {
                            None
                        },
                        outcome: l.tags.outcome.as_ref().map(Into::into),
                        not_counted: not_counted(&tally),
                        problems: l.tags.problems.clone(),
                        drift: Vec::new(),
                        serving_changes: Vec::new(),
                        verification: Vec::new(),
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            b.promotion
                .requested_at
                .cmp(&a.promotion.requested_at)
                .then_with(|| a.promotion.id.cmp(&b.promotion.id))
        });
        Ok(out)
    }

    /// What waits for the current user: open promotions they did not
    /// request, have not decided on, and may approve per RBAC.
    pub async fn inbox(&self) -> Result<Vec<PromotionStatus>> {
        let me = self.identity(&[]).await?.username;
        let key = tags::approver_key(&me);
        let mut out = Vec::new();
        for s in self.list(None).await? {
            let p = &s.promotion;
            if p.state != PromotionState::Requested || p.requested_by == me {
                continue;
            }
            let decided = p
                .approvals
                .iter()
                .any(|a| tags::approver_key(&a.approver) == key);
            if decided
                || self
                    .require(&me, "approve", promotion_resource, &p.targets)
                    .await
                    .is_err()
            {
                continue;
            }
            out.push(s);
        }
        Ok(out)
    }

    /// Every Promoted / RolledBack / aborted event of `alias` on `model`,
    /// oldest first, from the outcome tags (shared by every console).
    pub async fn history(&self, model: &str, alias: Option<&str>) -> Result<Vec<HistoryEvent>> {
        let alias = alias.unwrap_or(&self.opts.default_alias);
        let mut out = Vec::new();
        for v in self.backends.registry.list_versions(model).await? {
            self.remember(&v);
            for (id, t) in tags::collect(&v.tags) {
                let (Some(req), Some(o)) = (&t.request, &t.outcome) else {
                    continue;
                };
                if req.alias != alias {
                    continue;
                }
                let ev = |kind, at, serving: Option<String>| HistoryEvent {
                    at,
                    kind,
                    promotion: id.clone(),
                    version: req.version.clone(),
                    serving,
                    previous: o.previous_version.clone(),
                    by: o.by.clone(),
                    reason: o.reason.clone(),
                    targets: o.targets.clone(),
                };
                if let Some(at) = o.promoted_at {
                    out.push(ev(HistoryKind::Promoted, at, Some(req.version.clone())));
                }
                if let Some(at) = o.rolled_back_at {
                    let kind = if o.promoted_at.is_some() {
                        HistoryKind::RolledBack
                    } else {
                        HistoryKind::Aborted
                    };
                    out.push(ev(kind, at, o.previous_version.clone()));
                }
            }
        }
        out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.promotion.cmp(&b.promotion)));
        Ok(out)
    }
}

fn not_counted(t: &Tally) -> Vec<String> {
    t.invalid
        .iter()
        .map(|(a, p)| format!("{}: {}", a.approval.approver, p.message()))
        .collect()
}

/// What happened to an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    /// The promotion finished: its version served.
    Promoted,
    /// A finished promotion was rolled back: the previous version served again.
    RolledBack,
    /// An execution failed and was compensated: nothing changed in the end.
    Aborted,
}

/// One event in an alias's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    /// When.
    pub at: Timestamp,
    /// What.
    pub kind: HistoryKind,
    /// Promotion id.
    pub promotion: String,
    /// The promotion's candidate version.
    pub version: String,
    /// Version the alias pointed at after the event.
    pub serving: Option<String>,
    /// Version before the promotion.
    pub previous: Option<String>,
    /// Who acted.
    pub by: String,
    /// Why (rollbacks).
    pub reason: Option<String>,
    /// Targets' before and after.
    pub targets: Vec<TargetOutcome>,
}

/// A stretch of time during which one version served.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedPeriod {
    /// The version (`None`: the alias pointed nowhere).
    pub version: Option<String>,
    /// From.
    pub from: Timestamp,
    /// Until (`None`: still serving).
    pub to: Option<Timestamp>,
}

impl HistoryEvent {
    /// The periods in `events` (oldest first), skipping aborted executions.
    pub fn periods(events: &[HistoryEvent]) -> Vec<ServedPeriod> {
        let changes: Vec<&HistoryEvent> = events
            .iter()
            .filter(|e| e.kind != HistoryKind::Aborted)
            .collect();
        changes
            .iter()
            .enumerate()
            .map(|(i, e)| ServedPeriod {
                version: e.serving.clone(),
                from: e.at,
                to: changes.get(i + 1).map(|n| n.at),
            })
            .collect()
    }
}

/// Which version served at `t` according to `events` (oldest first): the
/// last completed change at or before `t`; before any, what the earliest
/// recorded event found in place (its `previous`).
pub fn served_at(events: &[HistoryEvent], t: Timestamp) -> Option<String> {
    let last = events
        .iter()
        .rev()
        .filter(|e| e.kind != HistoryKind::Aborted)
        .find(|e| e.at <= t);
    match last {
        Some(e) => e.serving.clone(),
        None => events.first().and_then(|e| e.previous.clone()),
    }
}

/// `obs` as an execution's plan recorded it before changing anything: the
/// alias where it was, each target at the approved resourceVersion serving
/// its version before.
fn as_planned(obs: &super::Observed, plan: &crate::tags::Plan) -> super::Observed {
    let mut out = obs.clone();
    out.champion = plan.previous_alias_version.clone();
    for tp in &plan.targets {
        if let Some(w) = out.workloads.get_mut(&tp.target) {
            w.uid = tp.uid.clone();
            w.resource_version = tp.resource_version.clone();
            w.served_version = tp.before_version.clone();
        }
    }
    out
}
