//! Opening the Drift screen: from a Fleet row or a workload's detail (`D`:
//! the version it serves, then its canary's), or by `:drift <model>
//! [version]` (the version its workloads in scope serve, else the
//! champion alias, else the latest version).

use super::{App, Screen};
use crate::jobs::{Job, JobOutcome, JobRequest, JobResult};
use crate::prompt::{Prompt, PromptKind};
use crate::render;
use crate::views::Ctx;
use crate::views::Scope;
use crate::views::drift::DriftScreen;
use modeldeck_core::Snapshot;
use modeldeck_core::domain::{Workload, WorkloadRef};

/// The alias `:drift` falls back to when no workload serves the model.
const CHAMPION: &str = "champion";

impl App {
    /// `D` on the Fleet or a workload's detail.
    pub(super) fn open_drift_here(&mut self, reqs: &mut Vec<JobRequest>) {
        let target: Option<WorkloadRef> = match self.stack.last() {
            Some(Screen::Fleet) => self.fleet.selected_row().map(|r| r.workload_ref()),
            Some(Screen::Workload(v)) => Some(v.target().clone()),
            _ => None,
        };
        let Some(target) = target else {
            return self.say("no workload selected".into(), true);
        };
        let Some(w) = find(&self.snap, &target) else {
            return self.say("this workload is no longer listed".into(), true);
        };
        let Some(model) = w.model.clone() else {
            return self.say(
                "this workload is not bound to a registered model (label modeldeck.io/model)"
                    .into(),
                true,
            );
        };
        let versions = workload_versions(w);
        if versions.is_empty() {
            return self.say(
                format!("{model}: the workload does not say which version it serves"),
                true,
            );
        }
        self.push_drift(&model, versions, Some(target), reqs);
    }

    /// `:drift <model> [version]`.
    pub(super) fn open_drift_named(
        &mut self,
        model: &str,
        version: Option<String>,
        reqs: &mut Vec<JobRequest>,
    ) {
        let found = self.snap.model(model).cloned();
        if self.snap.registry.loaded && found.is_none() {
            return self.say(format!("no registered model named {model:?}"), true);
        }
        let versions = match version {
            Some(v) => {
                let resolved = found
                    .as_ref()
                    .and_then(|m| m.aliases.get(&v).cloned())
                    .unwrap_or(v);
                vec![resolved]
            }
            None => {
                let served = served_versions(&self.snap, &self.scope, model);
                if served.is_empty() {
                    found
                        .as_ref()
                        .and_then(|m| {
                            m.aliases
                                .get(CHAMPION)
                                .cloned()
                                .or_else(|| m.latest_version.clone())
                        })
                        .into_iter()
                        .collect()
                } else {
                    served
                }
            }
        };
        if versions.is_empty() {
            return self.say(
                format!("{model}: no version to show (none served, no champion, none registered)"),
                true,
            );
        }
        self.push_drift(model, versions, None, reqs);
    }

    /// `R` on the Drift screen: the command line, prefilled, for the reason.
    pub(super) fn retrain_prompt(&mut self) {
        let Some(Screen::Drift(d)) = self.stack.last() else {
            return self.say(
                "R retrains from the Drift screen (or :retrain <model> <reason>)".into(),
                true,
            );
        };
        let line = format!("retrain {} ", d.model());
        self.prompt = Some(Prompt::new(PromptKind::Command, &line));
        self.say(
            "type why (recorded in the audit entry), enter starts the run".into(),
            false,
        );
    }

    /// `:retrain <model> <reason>`: starts the run in the background.
    pub(super) fn start_retrain(&mut self, model: &str, reason: &str, reqs: &mut Vec<JobRequest>) {
        let window_ms = match self.stack.last() {
            Some(Screen::Drift(d)) if d.model() == model => d.window_ms(),
            _ => modeldeck_core::console::DEFAULT_DRIFT_WINDOW,
        };
        self.next_ticket += 1;
        reqs.push(JobRequest {
            ticket: self.next_ticket,
            job: Job::Retrain {
                model: model.to_string(),
                reason: reason.to_string(),
                window_ms,
            },
        });
        self.say(format!("starting a retraining run of {model}…"), false);
    }

    /// A retraining run started (or not), or its status: tells the user
    /// and hands the run to the model's Drift screens.
    pub(super) fn retrain_job(&mut self, r: &JobResult, reqs: &mut Vec<JobRequest>) -> bool {
        match &r.outcome {
            JobOutcome::Retrained(Ok(out)) => {
                let run = &out.run;
                let note = if out.audited {
                    "audited"
                } else {
                    "not audited"
                };
                self.say(
                    format!(
                        "◆ retraining {}: {} {}/{} created in {} from {} ({note})",
                        run.model,
                        run.kind.as_str(),
                        run.namespace,
                        run.name,
                        run.cluster,
                        run.source
                    ),
                    false,
                );
                let mut ctx = ctx!(self, reqs);
                for s in self.stack.iter_mut() {
                    if let Screen::Drift(d) = s {
                        d.follow(run, &mut ctx);
                    }
                }
                true
            }
            JobOutcome::Retrained(Err(e)) => {
                self.say(format!("retraining not started: {e}"), true);
                true
            }
            JobOutcome::RetrainStatus(_) => {
                let mut ctx = ctx!(self, reqs);
                self.stack.iter_mut().any(|s| match s {
                    Screen::Drift(d) => d.on_retrain_status(r, &mut ctx),
                    _ => false,
                })
            }
            _ => false,
        }
    }

    /// On the tick: a followed retraining run is re-read every few seconds.
    pub(super) fn drift_tick(&mut self, reqs: &mut Vec<JobRequest>) {
        let mut ctx = ctx!(self, reqs);
        if let Some(Screen::Drift(d)) = self.stack.last_mut() {
            d.on_tick(&mut ctx);
        }
    }

    fn push_drift(
        &mut self,
        model: &str,
        versions: Vec<String>,
        target: Option<WorkloadRef>,
        reqs: &mut Vec<JobRequest>,
    ) {
        let mut ctx = ctx!(self, reqs);
        let s = DriftScreen::open(model, versions, target, &mut ctx);
        self.stack.push(Screen::Drift(Box::new(s)));
    }
}

fn find<'a>(snap: &'a Snapshot, target: &WorkloadRef) -> Option<&'a Workload> {
    snap.workloads.iter().find(|w| w.id == *target)
}

/// The stable version a workload serves, then its canary's.
fn workload_versions(w: &Workload) -> Vec<String> {
    let mut out: Vec<String> = w.served_version.iter().cloned().collect();
    if let Some(c) = &w.canary
        && !out.contains(&c.version)
    {
        out.push(c.version.clone());
    }
    out
}

/// Versions of `model` served by workloads in scope, the most served first
/// (canaries after every stable version).
fn served_versions(snap: &Snapshot, scope: &Scope, model: &str) -> Vec<String> {
    let mut stable: Vec<(String, usize)> = Vec::new();
    let mut canary: Vec<String> = Vec::new();
    for w in snap.workloads.iter().filter(|w| {
        w.model.as_deref() == Some(model) && scope.contains(&w.id.cluster, &w.id.namespace)
    }) {
        if let Some(v) = &w.served_version {
            match stable.iter_mut().find(|(s, _)| s == v) {
                Some((_, n)) => *n += 1,
                None => stable.push((v.clone(), 1)),
            }
        }
        if let Some(c) = &w.canary
            && !canary.contains(&c.version)
        {
            canary.push(c.version.clone());
        }
    }
    stable.sort_by_key(|s| std::cmp::Reverse(s.1));
    let mut out: Vec<String> = stable.into_iter().map(|(v, _)| v).collect();
    for c in canary {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}
