//! The verification step of batch and streaming targets, as Argo
//! Rollouts' analysis would judge them: a CronJob is verified when a run
//! that started after the execution ran the new version and succeeded (the
//! next scheduled run, or the audited immediate run `--run-now` made, see
//! `run_now.rs`: the Job the journal says it started, judged by what the
//! cluster says about it, never by the registry tag that mirrors it); a
//! stream consumer when its consumer lag is back under its
//! threshold, failed when it is still over it once the verification window
//! after the execution has passed. Online targets (Deployments, KServe) are
//! verified by the execution itself (rollout Available, post-deploy gates)
//! and get no entry.

use super::Promotions;
use super::load::Loaded;
use super::run_now::{JournaledRun, RunRecord, read_run};
use modeldeck_core::domain::{
    BatchRun, LagSettings, LagThresholds, MetricsTarget, PromotionState, RetrainPhase, RetrainRun,
    RunOutcome, StreamLag, Timestamp, Workload, WorkloadKind, WorkloadRef, format_lag_seconds,
    format_messages,
};
use serde::Serialize;
use std::time::Duration;

/// How long after the execution a consumer's lag may stay over its
/// threshold before the verification fails.
pub const LAG_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Lines of a failed run's log kept in a verification entry.
pub const LOG_TAIL_LINES: usize = 10;

/// The consumer-lag thresholds a promotion verifies `workload` against,
/// decided as the Fleet decides them ([`LagThresholds::resolve`]): the
/// workload's `modeldeck.io/max-lag-*` labels over the profile's `[lag]`
/// settings (`PromotionOptions::lag`) over the defaults.
pub fn lag_thresholds_for(settings: &LagSettings, workload: &Workload) -> LagThresholds {
    LagThresholds::resolve(settings, &workload.labels).thresholds()
}

/// Where one target's verification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum VerificationState {
    /// Nothing to judge yet (no run since the execution; lag over the
    /// threshold inside the window).
    Waiting,
    /// The run that verifies is in flight.
    Running,
    /// Verified: the run succeeded with the new version; the lag is under
    /// its threshold.
    Verified,
    /// The run failed; the lag is still over its threshold after the window.
    Failed,
}

impl VerificationState {
    /// The word shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            VerificationState::Waiting => "waiting",
            VerificationState::Running => "running",
            VerificationState::Verified => "verified",
            VerificationState::Failed => "failed",
        }
    }
}

/// One target's verification (`promote status` JSON `verification[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Verification {
    /// The target.
    pub target: WorkloadRef,
    /// `next_run` (a CronJob's first run after the execution), `run_now`
    /// (the immediate run the execution made), or `lag` (a consumer).
    pub check: String,
    /// Where it stands.
    pub state: VerificationState,
    /// In words: "waiting for the next run at ...", "lag 1.8M over ...".
    pub detail: String,
    /// The Job that verifies (batch).
    pub job: Option<String>,
    /// When that run started (batch).
    pub run_started: Option<Timestamp>,
    /// When the next scheduled run is due, while waiting for it (batch).
    pub next_run: Option<Timestamp>,
    /// The failed run's pod log, last lines (batch).
    pub log_tail: Vec<String>,
    /// Consumer lag now, messages summed over partitions (stream).
    pub lag_messages: Option<f64>,
    /// Consumer lag now, seconds, when the exporter gives it (stream).
    pub lag_seconds: Option<f64>,
    /// The thresholds judged against (stream).
    pub threshold: Option<LagThresholds>,
    /// When the verification window ends (stream).
    pub window_ends: Option<Timestamp>,
}

impl Verification {
    fn new(target: &WorkloadRef, check: &str, state: VerificationState, detail: String) -> Self {
        Verification {
            target: target.clone(),
            check: check.into(),
            state,
            detail,
            job: None,
            run_started: None,
            next_run: None,
            log_tail: Vec::new(),
            lag_messages: None,
            lag_seconds: None,
            threshold: None,
            window_ends: None,
        }
    }
}

/// The entry of a CronJob target from an immediate run's record.
pub(crate) fn from_run(target: &WorkloadRef, rec: &RunRecord, version: &str) -> Verification {
    let run = &rec.run;
    let (state, what) = match run.phase {
        RetrainPhase::Succeeded => (VerificationState::Verified, "succeeded"),
        RetrainPhase::Failed => (VerificationState::Failed, "failed"),
        RetrainPhase::Running => (VerificationState::Running, "is running"),
        RetrainPhase::Pending => (VerificationState::Running, "is pending"),
    };
    let mut detail = format!("run-now job {} {what} with v{version}", run.name);
    if let Some(m) = run
        .message
        .as_deref()
        .filter(|_| run.phase == RetrainPhase::Failed)
    {
        detail.push_str(&format!(": {m}"));
    }
    let mut v = Verification::new(target, "run_now", state, detail);
    v.job = Some(run.name.clone());
    v.run_started = run.started_at.or(run.created_at);
    v.log_tail = rec.log_tail.clone();
    v
}

/// Why the run tag `run/<index>` is not believed about `run` (the Job the
/// journal says the execution started, as the cluster or the journal says
/// it went), or `None` when it agrees.
pub(crate) fn tag_disagrees(index: usize, tag: &RunRecord, run: &RetrainRun) -> Option<String> {
    if tag.run.name != run.name || (!run.uid.is_empty() && tag.run.uid != run.uid) {
        return Some(format!(
            "tag run/{index} names job {} but the execution started job {}: the tag is not trusted",
            tag.run.name, run.name
        ));
    }
    (tag.run.phase.is_done() && tag.run.phase != run.phase).then(|| {
        format!(
            "tag run/{index} says job {} {} but it {}: the tag is not trusted",
            run.name,
            tag.run.phase.as_str(),
            run.phase.as_str()
        )
    })
}

/// Why the run tag `run/<index>` counts for nothing when the journal
/// records no run-now of its target.
pub(crate) fn tag_unbacked(index: usize, tag: &RunRecord) -> String {
    format!(
        "tag run/{index} claims run-now job {} {}, but the journal records no run-now of \
         this target: the tag is not trusted",
        tag.run.name,
        tag.run.phase.as_str()
    )
}

/// The first run of `runs` that started at or after `since` and ran
/// `version`.
pub fn first_run_after<'a>(
    runs: &'a [BatchRun],
    since: Timestamp,
    version: &str,
) -> Option<&'a BatchRun> {
    runs.iter()
        .filter(|r| r.start >= since && r.version.as_deref() == Some(version))
        .min_by_key(|r| r.start)
}

/// The entry of a CronJob target judged by its scheduled runs (without a
/// log tail: the caller reads it for a failed run).
pub fn batch_entry(w: &Workload, since: Timestamp, version: &str, now: Timestamp) -> Verification {
    let t = &w.id;
    let Some(b) = &w.batch else {
        return Verification::new(
            t,
            "next_run",
            VerificationState::Waiting,
            "no run record read for this CronJob yet".into(),
        );
    };
    if let Some(r) = first_run_after(&b.runs, since, version) {
        let (state, what) = match r.outcome {
            RunOutcome::Succeeded => (VerificationState::Verified, "succeeded"),
            RunOutcome::Failed => (VerificationState::Failed, "failed"),
            RunOutcome::Running => (VerificationState::Running, "is running"),
        };
        let mut v = Verification::new(
            t,
            "next_run",
            state,
            format!(
                "run {} (started {}) {what} with v{version}",
                r.job,
                r.start.rfc3339()
            ),
        );
        v.job = Some(r.job.clone());
        v.run_started = Some(r.start);
        return v;
    }
    let view = b.view(w.created_at, now);
    let detail = match view.next_run {
        Some(n) => format!("waiting for the next run at {}", n.rfc3339()),
        None if b.suspended => "waiting for the next run: the CronJob is suspended".into(),
        None => format!(
            "waiting for the next run ({})",
            view.note
                .as_deref()
                .unwrap_or("its time could not be computed")
        ),
    };
    let mut v = Verification::new(t, "next_run", VerificationState::Waiting, detail);
    v.next_run = view.next_run;
    v
}

/// The entry of a stream consumer with `lag` now (`None`: no lag series).
pub fn stream_entry(
    settings: &LagSettings,
    w: &Workload,
    lag: Option<&StreamLag>,
    since: Timestamp,
    now: Timestamp,
    window: Duration,
) -> Verification {
    let t = &w.id;
    let th = lag_thresholds_for(settings, w);
    let ends = since.plus_millis(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
    let limit = |l: &StreamLag| match l.lag_seconds {
        Some(s) if s.is_finite() => format!(
            "lag {} (threshold {})",
            format_lag_seconds(s),
            format_lag_seconds(th.max_seconds)
        ),
        _ => format!(
            "lag {} messages (threshold {})",
            format_messages(l.lag_messages),
            format_messages(th.max_messages)
        ),
    };
    let mut v = match lag {
        None if now >= ends => Verification::new(
            t,
            "lag",
            VerificationState::Failed,
            format!(
                "no consumer lag series for the group {} minutes after the execution",
                window.as_secs() / 60
            ),
        ),
        None => Verification::new(
            t,
            "lag",
            VerificationState::Waiting,
            format!(
                "no consumer lag series yet; the window ends at {}",
                ends.rfc3339()
            ),
        ),
        Some(l) if !l.over(&th) => Verification::new(
            t,
            "lag",
            VerificationState::Verified,
            format!("{} is back under its threshold", limit(l)),
        ),
        Some(l) if now >= ends => Verification::new(
            t,
            "lag",
            VerificationState::Failed,
            format!(
                "{} is still over its threshold {} minutes after the execution",
                limit(l),
                window.as_secs() / 60
            ),
        ),
        Some(l) => Verification::new(
            t,
            "lag",
            VerificationState::Waiting,
            format!(
                "{} is over its threshold; the window ends at {}",
                limit(l),
                ends.rfc3339()
            ),
        ),
    };
    if let Some(l) = lag {
        v.lag_messages = Some(l.lag_messages);
        v.lag_seconds = l.lag_seconds;
    }
    v.threshold = Some(th);
    v.window_ends = Some(ends);
    v
}

impl Promotions {
    /// The consumer lag of `w` now, from the metrics port.
    pub(crate) async fn lag_of(&self, w: &Workload) -> Result<Option<StreamLag>, String> {
        let asked = MetricsTarget::from(w);
        let health = self
            .backends
            .metrics
            .fleet_health(&[asked])
            .await
            .map_err(|e| format!("cannot read the consumer lag of {}: {e}", w.id))?;
        Ok(health.get(&w.id).and_then(|h| h.stream.clone()))
    }

    /// When the execution started, for "the first run after it": the signed
    /// journal's `promotion.executing` entry when this journal has one, not
    /// the `exec` registry tag alone, which a requester who writes tags
    /// could move back to make an older run of the version count. A tag
    /// more than a minute earlier than the journal is named as not trusted.
    fn trusted_start(&self, id: &str, tagged: Timestamp) -> (Timestamp, Option<String>) {
        let lines = match self.journal.read() {
            Ok(lines) => lines,
            Err(e) => {
                tracing::warn!(promotion = %id, error = %e, "journal not read for the execution start");
                return (tagged, None);
            }
        };
        let journaled = lines
            .iter()
            .filter(|l| l.record.promotion.as_deref() == Some(id))
            .find(|l| l.record.entry.action == "promotion.executing")
            .map(|l| l.record.entry.at);
        match journaled {
            Some(at) if tagged.0 < at.0 - 60_000 => (
                at,
                Some(format!(
                    "the exec tag says the execution started at {}, the journal at {}: \
                     the tag is not trusted",
                    tagged.rfc3339(),
                    at.rfc3339()
                )),
            ),
            Some(at) => (at.max(tagged), None),
            None => (tagged, None),
        }
    }

    /// One entry per batch or streaming target of an executed (or
    /// executing, or rolled back) promotion; empty before execution.
    pub(crate) async fn verification(
        &self,
        l: &Loaded,
        state: PromotionState,
        workloads: &std::collections::BTreeMap<WorkloadRef, Workload>,
    ) -> Vec<Verification> {
        let Some(exec) = &l.tags.exec else {
            return Vec::new();
        };
        if matches!(
            state,
            PromotionState::Requested | PromotionState::Approved | PromotionState::Cancelled
        ) {
            return Vec::new();
        }
        let r = &l.request;
        let (since, start_doubt) = self.trusted_start(&l.id, exec.started_at);
        let now = self.now();
        let mut out = Vec::new();
        for (i, tp) in exec.plan.targets.iter().enumerate() {
            let t = &tp.target;
            match t.kind {
                WorkloadKind::CronJob => {
                    let tag = read_run(&l.version.tags, &l.id, i);
                    if let Some(j) = self.journaled_run(&l.id, &r.model, t) {
                        out.push(self.run_now_entry(t, i, &j, tag.as_ref(), &r.version).await);
                        continue;
                    }
                    let doubt = tag.as_ref().map(|rec| tag_unbacked(i, rec));
                    if state == PromotionState::RolledBack {
                        if let Some(d) = doubt {
                            out.push(Verification::new(
                                t,
                                "run_now",
                                VerificationState::Waiting,
                                d,
                            ));
                        }
                        continue;
                    }
                    let Some(w) = workloads.get(t) else {
                        out.push(Verification::new(
                            t,
                            "next_run",
                            VerificationState::Failed,
                            format!("{t} no longer exists"),
                        ));
                        continue;
                    };
                    let mut v = batch_entry(w, since, &r.version, now);
                    if v.state == VerificationState::Failed {
                        match self.backends.cluster.log_tail(t, LOG_TAIL_LINES).await {
                            Ok(lines) => v.log_tail = lines,
                            Err(e) => v.log_tail = vec![format!("(log not read: {e})")],
                        }
                    }
                    for d in doubt.iter().chain(&start_doubt) {
                        v.detail.push_str(&format!("; {d}"));
                    }
                    out.push(v);
                }
                WorkloadKind::StreamConsumer if state != PromotionState::RolledBack => {
                    let Some(w) = workloads.get(t) else {
                        continue;
                    };
                    let v = match self.lag_of(w).await {
                        Ok(lag) => {
                            stream_entry(&self.opts.lag, w, lag.as_ref(), since, now, LAG_WINDOW)
                        }
                        Err(e) => Verification::new(t, "lag", VerificationState::Waiting, e),
                    };
                    out.push(v);
                }
                _ => {}
            }
        }
        out
    }

    /// The entry of CronJob target `t` (index `index`) whose run-now the
    /// journal records as `j`: the verdict is what the cluster says about
    /// that Job now or, when the cluster cannot say (the Job is gone), how
    /// the journal says it ended. The tag only adds its log tail when it
    /// agrees, and is named as a problem when it does not.
    async fn run_now_entry(
        &self,
        t: &WorkloadRef,
        index: usize,
        j: &JournaledRun,
        tag: Option<&RunRecord>,
        version: &str,
    ) -> Verification {
        let mut problems = Vec::new();
        let seen = match self
            .backends
            .cluster
            .retrain_status(&j.run, LOG_TAIL_LINES)
            .await
        {
            Ok(now) if j.run.uid.is_empty() || now.uid == j.run.uid => Some(now),
            Ok(now) => {
                problems.push(format!(
                    "the cluster's job {} has uid {}, not the {} the execution started",
                    now.name, now.uid, j.run.uid
                ));
                None
            }
            Err(e) => {
                problems.push(format!("job {} not read from the cluster: {e}", j.run.name));
                None
            }
        };
        let from_cluster = seen.is_some();
        let Some(run) = seen.or_else(|| j.finished.clone()) else {
            problems.insert(
                0,
                format!(
                    "run-now job {} with v{version}: no outcome known",
                    j.run.name
                ),
            );
            if let Some(d) = tag.and_then(|rec| tag_disagrees(index, rec, &j.run)) {
                problems.push(d);
            }
            let mut v = Verification::new(
                t,
                "run_now",
                VerificationState::Waiting,
                problems.join("; "),
            );
            v.job = Some(j.run.name.clone());
            return v;
        };
        let disagrees = tag.and_then(|rec| tag_disagrees(index, rec, &run));
        let log_tail = match tag {
            _ if from_cluster => run.log_tail.clone(),
            Some(rec) if disagrees.is_none() => rec.log_tail.clone(),
            _ => Vec::new(),
        };
        problems.extend(disagrees);
        let rec = RunRecord {
            run,
            log_tail,
            by: String::new(),
            at: self.now(),
        };
        let mut v = from_run(t, &rec, version);
        for p in problems {
            v.detail.push_str(&format!("; {p}"));
        }
        v
    }

    /// Waits until every stream consumer target's lag is under its
    /// threshold; `Err` when one is still over it when the window after
    /// `since` ends (the caller compensates).
    pub(crate) async fn wait_for_lag(
        &self,
        targets: &[WorkloadRef],
        since: Timestamp,
        poll: Duration,
    ) -> Result<Vec<String>, String> {
        let streams: Vec<&WorkloadRef> = targets
            .iter()
            .filter(|t| t.kind == WorkloadKind::StreamConsumer)
            .collect();
        let mut verified = Vec::new();
        for t in streams {
            let budget = LAG_WINDOW.as_millis() / poll.as_millis().max(1) + 2;
            let mut polls = 0u128;
            loop {
                let all = self
                    .backends
                    .cluster
                    .list_workloads()
                    .await
                    .map_err(|e| format!("cannot read the cluster: {e}"))?;
                let w = all
                    .iter()
                    .find(|w| &w.id == t)
                    .ok_or_else(|| format!("{t} disappeared during the verification"))?;
                let lag = self.lag_of(w).await?;
                let v = stream_entry(
                    &self.opts.lag,
                    w,
                    lag.as_ref(),
                    since,
                    self.now(),
                    LAG_WINDOW,
                );
                polls += 1;
                match v.state {
                    VerificationState::Verified => {
                        verified.push(format!("{t}: {}", v.detail));
                        break;
                    }
                    VerificationState::Failed => return Err(format!("{t}: {}", v.detail)),
                    _ if polls >= budget => {
                        return Err(format!("{t}: {} (gave up polling)", v.detail));
                    }
                    _ => self.pause.pause(poll).await,
                }
            }
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests;
