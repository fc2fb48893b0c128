//! `promote execute --run-now`: after a CronJob's template is patched, one
//! run made from it at once, as `kubectl create job --from=cronjob/<name>`
//! makes it (the cluster port's `start_retrain`, the same Job builder
//! `modeldeck retrain` uses: the job template's spec, labels and
//! annotations, `cronjob.kubernetes.io/instantiate: manual`, an owner
//! reference to the CronJob), audited (who, which Job), recorded in a tag
//! on the candidate version (`<prefix><id>/run/<target index>`, which
//! `promote status` shows) and followed to its end. A failed run is an
//! execution failure: the caller compensates (the template goes back).
//!
//! The tag is a mirror anyone who can write registry tags can edit: which
//! Job verifies comes from the journal (`batch.run_now`), how it went from
//! the cluster (or, once the Job is gone, the journal's
//! `batch.run_finished`), never from the tag.

use super::Promotions;
use super::audit::Event;
use super::load::Loaded;
use super::review::describe;
use crate::tags::{self, ExecRecord};
use modeldeck_core::domain::{
    RetrainPhase, RetrainRequest, RetrainRun, RetrainRunKind, RetrainSource, RetrainSourceKind,
    Timestamp, WorkloadKind, WorkloadRef,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

/// The longest an immediate run is followed before the execution gives up
/// on it (and compensates): batch scoring runs take hours, not minutes.
pub const RUN_NOW_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

/// Lines of the run's log kept in its record.
const KEPT_LINES: usize = 10;
/// Longest kept log line, bytes (the tag must fit MLflow's 5000).
const KEPT_LINE_BYTES: usize = 300;

/// The record of one immediate run (tag `run/<target index>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The run as last read (without its log).
    pub run: RetrainRun,
    /// Its pod's last log lines, shortened.
    #[serde(default)]
    pub log_tail: Vec<String>,
    /// Who started it.
    pub by: String,
    /// When it was last read.
    pub at: Timestamp,
}

/// The tag key of target `index`'s immediate run in promotion `id`.
pub fn run_key(id: &str, index: usize) -> String {
    format!("{}{id}/run/{index}", tags::PREFIX)
}

/// The immediate run recorded for target `index`, if any.
pub(crate) fn read_run(
    version_tags: &BTreeMap<String, String>,
    id: &str,
    index: usize,
) -> Option<RunRecord> {
    let v = version_tags.get(&run_key(id, index))?;
    serde_json::from_str(v).ok()
}

/// The immediate run of one target as the journal records it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JournaledRun {
    /// The Job the execution started (`batch.run_now`), as created.
    pub run: RetrainRun,
    /// The same Job as it ended (`batch.run_finished`), once it has.
    pub finished: Option<RetrainRun>,
}

/// The last run-now of `t` in promotion `id` among `lines` (of the
/// journal): the Job started and, when journalled, how it ended.
pub(crate) fn journaled_run(
    lines: &[crate::journal::JournalLine],
    id: &str,
    model: &str,
    t: &WorkloadRef,
) -> Option<JournaledRun> {
    let mut found: Option<JournaledRun> = None;
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().map(str::to_string);
    for line in lines {
        let rec = &line.record;
        if rec.promotion.as_deref() != Some(id) {
            continue;
        }
        let after = &rec.entry.after;
        match rec.entry.action.as_str() {
            "batch.run_now" if rec.entry.outcome == "ok" => {
                let ours = text(after, "cluster").as_deref() == Some(t.cluster.as_str())
                    && text(after, "namespace").as_deref() == Some(t.namespace.as_str())
                    && text(after, "from_cronjob").as_deref() == Some(t.name.as_str());
                let Some(name) = text(after, "job").filter(|_| ours) else {
                    continue;
                };
                let created = serde_json::from_value::<Timestamp>(after["created_at"].clone())
                    .unwrap_or(rec.entry.at);
                let run = RetrainRun {
                    cluster: t.cluster.clone(),
                    namespace: t.namespace.clone(),
                    name,
                    kind: RetrainRunKind::Job,
                    source: t.name.clone(),
                    model: model.to_string(),
                    uid: text(after, "uid").unwrap_or_default(),
                    dry_run: false,
                    phase: RetrainPhase::Pending,
                    active: 0,
                    succeeded: 0,
                    failed: 0,
                    created_at: Some(created),
                    started_at: None,
                    completed_at: None,
                    message: None,
                    pod: None,
                    log_tail: Vec::new(),
                };
                found = Some(JournaledRun {
                    run,
                    finished: None,
                });
            }
            "batch.run_finished" => {
                let Some(j) = found
                    .as_mut()
                    .filter(|j| text(after, "job").as_deref() == Some(j.run.name.as_str()))
                else {
                    continue;
                };
                let Ok(phase) = serde_json::from_value::<RetrainPhase>(after["phase"].clone())
                else {
                    continue;
                };
                let mut done = j.run.clone();
                done.phase = phase;
                done.message = text(after, "message");
                done.completed_at = Some(rec.entry.at);
                j.finished = Some(done);
            }
            _ => {}
        }
    }
    found
}

impl Promotions {
    async fn write_run(&self, l: &Loaded, index: usize, rec: &RunRecord) -> Result<(), String> {
        let mut rec = rec.clone();
        rec.run.log_tail = Vec::new();
        rec.log_tail = rec
            .log_tail
            .iter()
            .rev()
            .take(KEPT_LINES)
            .rev()
            .map(|l| tags::shorten(l, KEPT_LINE_BYTES))
            .collect();
        let key = run_key(&l.id, index);
        let value = tags::encode(&key, &rec).map_err(|e| e.to_string())?;
        self.backends
            .registry
            .set_version_tag(&l.request.model, &l.request.version, &key, &value)
            .await
            .map_err(|e| format!("cannot record the run: {e}"))
    }

    /// Starts one run of every CronJob target and follows each to its end;
    /// `Err` names the target and Job that failed (with its last log line).
    pub(crate) async fn run_now(
        &self,
        l: &Loaded,
        exec: &ExecRecord,
        actor: &str,
        poll: Duration,
    ) -> Result<Vec<String>, String> {
        let r = &l.request;
        let mut notes = Vec::new();
        for (i, tp) in exec.plan.targets.iter().enumerate() {
            let t = &tp.target;
            if t.kind != WorkloadKind::CronJob {
                continue;
            }
            // A resumed execution follows the run it already started, as
            // the journal (never the editable tag) records it.
            let journaled = self.journaled_run(&l.id, &r.model, t);
            if journaled.is_none() {
                let fresh = self
                    .backends
                    .registry
                    .get_version(&r.model, &r.version)
                    .await
                    .map_err(|e| format!("cannot read the run record: {e}"))?;
                if let Some(rec) = read_run(&fresh.tags, &l.id, i) {
                    tracing::warn!(promotion = %l.id, target = %t, job = %rec.run.name, "a run-now tag the journal does not back: ignored");
                    notes.push(format!(
                        "ignored tag run/{i}: it names job {} ({}), which the journal \
                         records no run-now of",
                        rec.run.name,
                        rec.run.phase.as_str()
                    ));
                }
            }
            let run = match journaled {
                Some(j)
                    if j.finished.as_ref().map(|f| f.phase) == Some(RetrainPhase::Succeeded) =>
                {
                    notes.push(format!("run-now job {} succeeded", j.run.name));
                    continue;
                }
                Some(j) => j.run,
                None => {
                    let source = RetrainSource {
                        cluster: t.cluster.clone(),
                        namespace: t.namespace.clone(),
                        name: t.name.clone(),
                        kind: RetrainSourceKind::CronJob,
                        model: r.model.clone(),
                        schedule: None,
                        suspended: false,
                        containers: Vec::new(),
                    };
                    let request = RetrainRequest {
                        model: r.model.clone(),
                        reason: format!("promotion {}: run now to verify v{}", l.id, r.version),
                        requested_by: actor.to_string(),
                        evidence: None,
                        dry_run: false,
                    };
                    let run = self
                        .backends
                        .cluster
                        .start_retrain(&source, &request)
                        .await
                        .map_err(|e| format!("creating a Job from cronjob {t} failed: {e}"))?;
                    let rec = RunRecord {
                        run: run.clone(),
                        log_tail: Vec::new(),
                        by: actor.to_string(),
                        at: self.now(),
                    };
                    self.write_run(l, i, &rec).await?;
                    let ev = Event::new(actor, "batch.run_now", describe(r))
                        .on(&l.id, &r.model, &r.version)
                        .targets(std::slice::from_ref(t))
                        .change(
                            serde_json::Value::Null,
                            json!({ "job": run.name, "namespace": run.namespace,
                                    "cluster": run.cluster, "uid": run.uid,
                                    "created_at": run.created_at,
                                    "from_cronjob": t.name, "version": r.version }),
                        );
                    self.audit(ev).await.map_err(|e| e.to_string())?;
                    run
                }
            };
            let done = self.follow_run(&run, poll).await?;
            let rec = RunRecord {
                log_tail: done.log_tail.clone(),
                run: done.clone(),
                by: actor.to_string(),
                at: self.now(),
            };
            self.write_run(l, i, &rec).await?;
            let failed = done.phase != RetrainPhase::Succeeded;
            let ev = Event::new(actor, "batch.run_finished", describe(r))
                .on(&l.id, &r.model, &r.version)
                .targets(std::slice::from_ref(t))
                .change(
                    json!({ "job": done.name }),
                    json!({ "job": done.name, "phase": done.phase.as_str(),
                            "message": done.message }),
                )
                .outcome(if failed {
                    format!("failed: job {} {}", done.name, done.phase.as_str())
                } else {
                    "ok".into()
                });
            self.audit(ev).await.map_err(|e| e.to_string())?;
            if failed {
                let last = done
                    .log_tail
                    .last()
                    .map(|s| format!("; log: {s}"))
                    .unwrap_or_default();
                return Err(format!(
                    "the run-now job {} of {t} {} with v{}{}{last}",
                    done.name,
                    done.phase.as_str(),
                    r.version,
                    done.message
                        .as_deref()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                ));
            }
            notes.push(format!("run-now job {} succeeded", done.name));
        }
        Ok(notes)
    }

    /// The run-now of `t` in promotion `id` this service's journal
    /// records (`None` also when the journal cannot be read).
    pub(crate) fn journaled_run(
        &self,
        id: &str,
        model: &str,
        t: &WorkloadRef,
    ) -> Option<JournaledRun> {
        match self.journal.read() {
            Ok(lines) => journaled_run(&lines, id, model, t),
            Err(e) => {
                tracing::warn!(promotion = %id, error = %e, "journal not read for the run-now record");
                None
            }
        }
    }

    /// `run` re-read every `poll` until it has finished.
    async fn follow_run(&self, run: &RetrainRun, poll: Duration) -> Result<RetrainRun, String> {
        let deadline = self
            .now()
            .plus_millis(i64::try_from(RUN_NOW_TIMEOUT.as_millis()).unwrap_or(i64::MAX));
        let budget = RUN_NOW_TIMEOUT.as_millis() / poll.as_millis().max(1) + 2;
        let mut polls = 0u128;
        loop {
            let st = self
                .backends
                .cluster
                .retrain_status(run, KEPT_LINES)
                .await
                .map_err(|e| format!("cannot follow job {}: {e}", run.name))?;
            if st.phase.is_done() {
                return Ok(st);
            }
            polls += 1;
            if self.now() >= deadline || polls >= budget {
                return Err(format!(
                    "the run-now job {} did not finish within {} h (it is {})",
                    run.name,
                    RUN_NOW_TIMEOUT.as_secs() / 3600,
                    st.phase.as_str()
                ));
            }
            self.pause.pause(poll).await;
        }
    }
}
