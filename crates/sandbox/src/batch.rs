//! Batch scoring jobs in the simulated world. A CronJob runs on its
//! schedule for `run_minutes`; a scenario can make its last `failing_runs`
//! runs (those due at or before the world's start) and every later one
//! fail, as a nightly job that silently broke does. The run record is
//! computed from the clock, never stored, so a world of 100,000 workloads
//! pays nothing for it; a CronJob the scenario says nothing about runs
//! hourly for 7 minutes and always succeeds.

use modeldeck_core::cron::Schedule;
use modeldeck_core::domain::{BatchStatus, Timestamp, WorkloadKind};
use serde::{Deserialize, Serialize};

/// A scenario's `batch = { schedule = "0 2 * * *", failing_runs = 1 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchSpec {
    pub schedule: String,
    #[serde(default)]
    pub failing_runs: u32,
    #[serde(default = "default_run_minutes")]
    pub run_minutes: u32,
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
}

impl Default for BatchPlan {
    fn default() -> Self {
        BatchPlan {
            schedule: DEFAULT_SCHEDULE.into(),
            failing_since: None,
            run_ms: i64::from(default_run_minutes()) * 60_000,
        }
    }
}

/// What is wrong with a workload's `batch`, as (field, message).
pub(crate) fn problem(kind: WorkloadKind, spec: Option<&BatchSpec>) -> Option<(String, String)> {
    let spec = spec?;
    if kind != WorkloadKind::CronJob {
        return Some((
            "batch".into(),
            "only a cron_job has a batch schedule".into(),
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
    let failing_since = Schedule::parse(&spec.schedule, None)
        .ok()
        .filter(|_| spec.failing_runs > 0)
        .and_then(|s| {
            // The due time of the n-th last run at or before the start.
            let mut due = s.prev_at_or_before(start)?;
            for _ in 1..spec.failing_runs {
                due = s.prev_at_or_before(due.plus_millis(-60_000))?;
            }
            Some(due)
        });
    BatchPlan {
        schedule: spec.schedule.clone(),
        failing_since,
        run_ms,
    }
}

impl BatchPlan {
    fn fails(&self, due: Timestamp) -> bool {
        self.failing_since.is_some_and(|f| due >= f)
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
}
