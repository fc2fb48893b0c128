//! Batch scoring jobs in the simulated world. A CronJob runs on its
//! schedule for `run_minutes`; a scenario can make its last `failing_runs`
//! runs (those due at or before the world's start) and every later one
//! fail, as a nightly job that silently broke does. The run record is
//! computed from the clock, never stored, so a world of 100,000 workloads
//! pays nothing for it; a CronJob the scenario says nothing about runs
//! hourly for 7 minutes and always succeeds.

use modeldeck_core::cron::Schedule;
use modeldeck_core::domain::{BatchRun, BatchStatus, RunOutcome, Timestamp, WorkloadKind};
use serde::{Deserialize, Serialize};

mod log;
pub(crate) mod rows;
pub use log::{FAILED_RUN_ERROR, scoring_log};

/// How far back a simulated CronJob's runs are kept (a week and a day, so
/// a seven-day strip is full).
pub const RUNS_KEPT_MS: i64 = 8 * 86_400_000;
/// Seconds after its minute a run's Job starts (the controller's delay).
pub const START_DELAY_MS: i64 = 4_000;

/// A scenario's `batch = { schedule = "0 2 * * *", failing_runs = 1 }`
/// (the last `failing_runs` runs finished by the world's start, and every
/// later one, fail; so do those `also_failed` counts back).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchSpec {
    pub schedule: String,
    #[serde(default)]
    pub failing_runs: u32,
    #[serde(default = "default_run_minutes")]
    pub run_minutes: u32,
    /// Earlier runs that failed too, counted back from the world's start
    /// (1 = the last run finished by then).
    #[serde(default)]
    pub also_failed: Vec<u32>,
    /// Rows a successful run scores (about; its pod exports
    /// `modeldeck_batch_rows_total`); none: no rows counter.
    #[serde(default)]
    pub rows_per_run: Option<u64>,
}

fn default_run_minutes() -> u32 {
    7
}

/// The schedule of a CronJob the scenario says nothing about.
pub(crate) const DEFAULT_SCHEDULE: &str = "0 * * * *";

/// A CronJob's plan, kept in the world (and its saved state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BatchPlan {
    pub schedule: String,
    /// Runs due at or after this time fail.
    pub failing_since: Option<Timestamp>,
    pub run_ms: i64,
    /// Single earlier runs (by due time) that failed.
    #[serde(default)]
    pub failed_also: Vec<Timestamp>,
    /// Rows a successful run scores ([`rows`]).
    #[serde(default)]
    pub rows_per_run: Option<u64>,
}

impl Default for BatchPlan {
    fn default() -> Self {
        BatchPlan {
            schedule: DEFAULT_SCHEDULE.into(),
            failing_since: None,
            run_ms: i64::from(default_run_minutes()) * 60_000,
            failed_also: Vec::new(),
            rows_per_run: None,
        }
    }
}

/// The version `w` served at `t` (from its recorded changes).
pub(crate) fn version_at(w: &crate::world::WorkloadState, t: Timestamp) -> u32 {
    let changes = w.changes();
    match changes.iter().rev().find(|c| c.at <= t) {
        Some(c) => c.to,
        None => changes.first().map_or(w.served, |c| c.from),
    }
}

/// The last `lines` lines of the log of `w`'s newest failed run's pod at
/// `now` (empty when no kept run failed).
pub(crate) fn failed_log_tail(
    w: &crate::world::WorkloadState,
    model: &str,
    now: Timestamp,
    lines: usize,
) -> Vec<String> {
    let Some(plan) = w.batch_plan() else {
        return Vec::new();
    };
    let runs = plan.runs(w.created_at, now, &w.name, |t| version_at(w, t).to_string());
    let Some(r) = runs.iter().rev().find(|r| r.outcome == RunOutcome::Failed) else {
        return Vec::new();
    };
    let end = r.end.unwrap_or(now);
    let version = r.version.clone().unwrap_or_default();
    let log = scoring_log(model, &version, r.start, end, true, true);
    log[log.len().saturating_sub(lines)..].to_vec()
}

/// What is wrong with a workload's `batch`, as (field, message).
pub(crate) fn problem(kind: WorkloadKind, spec: Option<&BatchSpec>) -> Option<(String, String)> {
    let spec = spec?;
    if !kind.is_batch() {
        return Some((
            "batch".into(),
            "only a cron_job or a pipeline has a batch schedule".into(),
        ));
    }
    if let Err(e) = Schedule::parse(&spec.schedule, None) {
        return Some(("batch.schedule".into(), e.to_string()));
    }
    if !(1..=1440).contains(&spec.run_minutes) {
        return Some((
            "batch.run_minutes".into(),
            format!("{} is outside 1-1440", spec.run_minutes),
        ));
    }
    None
}

/// The plan for `spec` in a world that starts at `start`.
pub(crate) fn plan(spec: &BatchSpec, start: Timestamp) -> BatchPlan {
    let run_ms = i64::from(spec.run_minutes) * 60_000;
    let sched = Schedule::parse(&spec.schedule, None).ok();
    // The due time of the n-th last run that had finished by the start (a
    // world opened while tonight's run is in flight still has last
    // night's failure to show).
    let nth_back = |n: u32| {
        let s = sched.as_ref()?;
        let mut due = s.prev_at_or_before(start.plus_millis(-run_ms))?;
        for _ in 1..n {
            due = s.prev_at_or_before(due.plus_millis(-60_000))?;
        }
        Some(due)
    };
    let failing_since = Some(spec.failing_runs)
        .filter(|&n| n > 0)
        .and_then(nth_back);
    let failed_also = spec
        .also_failed
        .iter()
        .filter(|&&n| n > 0)
        .filter_map(|&n| nth_back(n))
        .collect();
    BatchPlan {
        schedule: spec.schedule.clone(),
        failing_since,
        run_ms,
        failed_also,
        rows_per_run: spec.rows_per_run,
    }
}

impl BatchPlan {
    pub(crate) fn fails(&self, due: Timestamp) -> bool {
        self.failing_since.is_some_and(|f| due >= f) || self.failed_also.contains(&due)
    }

    /// [`BatchPlan::status`] with the runs of the last [`RUNS_KEPT_MS`]
    /// (each run's model version from `version_at` its due time).
    pub fn status_with_runs(
        &self,
        suspended: bool,
        created: Timestamp,
        now: Timestamp,
        job_prefix: &str,
        version_at: impl Fn(Timestamp) -> String,
    ) -> BatchStatus {
        let mut st = self.status(suspended, created, now);
        st.runs = self.runs(created, now, job_prefix, version_at);
        st
    }

    /// The runs due after `created` and within [`RUNS_KEPT_MS`] of `now`,
    /// oldest first; a Job is named `<prefix>-<due minute>` as the CronJob
    /// controller names it.
    pub fn runs(
        &self,
        created: Timestamp,
        now: Timestamp,
        job_prefix: &str,
        version_at: impl Fn(Timestamp) -> String,
    ) -> Vec<BatchRun> {
        let Ok(s) = Schedule::parse(&self.schedule, None) else {
            return Vec::new();
        };
        let from = now.plus_millis(-RUNS_KEPT_MS).max(created);
        let mut out = Vec::new();
        let mut due = s.prev_at_or_before(now);
        while let Some(d) = due.filter(|&d| d >= from) {
            let start = d.plus_millis(START_DELAY_MS).min(now);
            let outcome = match self.outcome(d, now) {
                None => RunOutcome::Running,
                Some(true) => RunOutcome::Succeeded,
                Some(false) => RunOutcome::Failed,
            };
            out.push(BatchRun {
                job: format!("{job_prefix}-{}", d.0 / 60_000),
                start,
                end: (outcome != RunOutcome::Running).then(|| d.plus_millis(self.run_ms)),
                outcome,
                version: Some(version_at(d)),
                rows: None,
            });
            if out.len() >= 10_000 {
                break;
            }
            due = s.prev_at_or_before(d.plus_millis(-60_000));
        }
        out.reverse();
        out
    }

    /// The CronJob's status at `now`, as the CronJob controller would have
    /// left it: the last scheduled run (running for `run_ms` after its
    /// time), and the completion of the last run that succeeded.
    pub fn status(&self, suspended: bool, created: Timestamp, now: Timestamp) -> BatchStatus {
        let mut out = BatchStatus {
            schedule: self.schedule.clone(),
            suspended,
            ..BatchStatus::default()
        };
        let Ok(s) = Schedule::parse(&self.schedule, None) else {
            return out;
        };
        let Some(last) = s.prev_at_or_before(now).filter(|&d| d >= created) else {
            return out;
        };
        out.last_schedule = Some(last);
        let running = now < last.plus_millis(self.run_ms);
        out.active = u32::from(running && !suspended);
        // Walk back to the last run that finished and succeeded.
        let mut due = Some(last);
        for _ in 0..10_000 {
            let Some(d) = due.filter(|&d| d >= created) else {
                break;
            };
            let finished = d.plus_millis(self.run_ms);
            if finished <= now && !self.fails(d) {
                out.last_success = Some(finished);
                break;
            }
            due = s.prev_at_or_before(d.plus_millis(-60_000));
        }
        out
    }

    /// The outcome of the run due at `due`: `None` while it runs.
    pub fn outcome(&self, due: Timestamp, now: Timestamp) -> Option<bool> {
        (due.plus_millis(self.run_ms) <= now).then(|| !self.fails(due))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::{BatchVerdict, RunResult};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn nightly(failing_runs: u32) -> BatchSpec {
        BatchSpec {
            schedule: "0 2 * * *".into(),
            failing_runs,
            run_minutes: 40,
            also_failed: Vec::new(),
            rows_per_run: None,
        }
    }

    const START: &str = "2026-12-05T16:30:00Z";
    const CREATED: &str = "2026-10-01T00:00:00Z";

    #[test]
    fn the_nightly_job_that_failed_last_night() {
        let p = plan(&nightly(1), t(START));
        assert_eq!(p.failing_since, Some(t("2026-12-05T02:00:00Z")));
        let st = p.status(false, t(CREATED), t(START));
        assert_eq!(st.last_schedule, Some(t("2026-12-05T02:00:00Z")));
        assert_eq!(st.last_success, Some(t("2026-12-04T02:40:00Z")));
        let v = st.view(t(CREATED), t(START));
        assert_eq!(
            (v.result, v.verdict),
            (RunResult::Failed, BatchVerdict::Failed)
        );
        assert_eq!(v.next_run, Some(t("2026-12-06T02:00:00Z")));
        // Tonight's run fails too, once it has finished; while it runs it runs.
        let st = p.status(false, t(CREATED), t("2026-12-06T02:10:00Z"));
        assert_eq!(st.active, 1);
        let st = p.status(false, t(CREATED), t("2026-12-06T03:00:00Z"));
        assert_eq!(st.last_success, Some(t("2026-12-04T02:40:00Z")));
        assert_eq!(p.outcome(t("2026-12-04T02:00:00Z"), t(START)), Some(true));
        assert_eq!(p.outcome(t("2026-12-05T02:00:00Z"), t(START)), Some(false));
    }

    #[test]
    fn a_healthy_hourly_job_succeeds_and_a_new_one_never_ran() {
        let p = BatchPlan::default();
        let st = p.status(false, t(CREATED), t(START));
        assert_eq!(st.last_schedule, Some(t("2026-12-05T16:00:00Z")));
        assert_eq!(st.last_success, Some(t("2026-12-05T16:07:00Z")));
        assert_eq!(st.view(t(CREATED), t(START)).result, RunResult::Succeeded);
        let st = p.status(false, t("2026-12-05T16:20:00Z"), t(START));
        assert_eq!(
            st.view(t("2026-12-05T16:20:00Z"), t(START)).result,
            RunResult::NeverRun
        );
    }

    #[test]
    fn bad_batch_specs_name_the_field() {
        let spec = BatchSpec {
            schedule: "0 2 * *".into(),
            ..nightly(0)
        };
        let (f, m) = problem(WorkloadKind::CronJob, Some(&spec)).unwrap();
        assert_eq!(f, "batch.schedule");
        assert!(m.contains("4 fields"), "{m}");
        let (f, _) = problem(WorkloadKind::Deployment, Some(&nightly(0))).unwrap();
        assert_eq!(f, "batch");
        let spec = BatchSpec {
            run_minutes: 0,
            ..nightly(0)
        };
        assert_eq!(
            problem(WorkloadKind::CronJob, Some(&spec)).unwrap().0,
            "batch.run_minutes"
        );
        assert_eq!(problem(WorkloadKind::CronJob, None), None);
    }

    #[test]
    fn a_week_of_runs_with_two_failures() {
        let spec = BatchSpec {
            also_failed: vec![5],
            ..nightly(1)
        };
        let p = plan(&spec, t(START));
        let v = |d: Timestamp| {
            if d < t("2026-12-03T00:00:00Z") {
                "6"
            } else {
                "7"
            }
            .to_string()
        };
        let st = p.status_with_runs(false, t(CREATED), t(START), "churn", v);
        let view = st.view(t(CREATED), t(START));
        // Nov 28 (outside the strip, kept) to Dec 5.
        assert_eq!(st.runs.len(), 8);
        assert_eq!(modeldeck_core::domain::strip(&view.runs), "✓✓✗✓✓✓✗");
        assert_eq!(view.runs[0].start, t("2026-11-29T02:00:04Z"));
        assert_eq!(
            view.runs[2].job,
            format!("churn-{}", t("2026-12-01T02:00:00Z").0 / 60_000)
        );
        assert_eq!(view.runs[6].version.as_deref(), Some("7"));
        assert_eq!(view.runs[0].version.as_deref(), Some("6"));
        assert_eq!(view.typical_duration_seconds, Some(40 * 60 - 4));
        assert_eq!(view.verdict, BatchVerdict::Failed);
        // Tonight's run is running; its end is unknown.
        let later = t("2026-12-06T02:10:00Z");
        let runs = p.runs(t(CREATED), later, "churn", |_| "7".into());
        let last = runs.last().unwrap();
        assert_eq!((last.outcome, last.end), (RunOutcome::Running, None));
    }

    #[test]
    fn a_world_opened_during_tonights_run_still_shows_last_nights_failure() {
        let spec = BatchSpec {
            also_failed: vec![5],
            ..nightly(1)
        };
        let start = t("2026-12-06T02:12:00Z");
        let p = plan(&spec, start);
        assert_eq!(p.failing_since, Some(t("2026-12-05T02:00:00Z")));
        let view = p
            .status_with_runs(false, t(CREATED), start, "churn", |_| "7".into())
            .view(t(CREATED), start);
        assert_eq!(modeldeck_core::domain::strip(&view.runs), "✓✗✓✓✓✗…");
        // Tonight's run fails too once it ends.
        assert_eq!(
            p.outcome(t("2026-12-06T02:00:00Z"), t("2026-12-06T03:00:00Z")),
            Some(false)
        );
    }
}
