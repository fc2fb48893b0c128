//! Batch scoring workloads (CronJobs): what the cluster says about their
//! schedule and last runs, and the verdict a person on call needs: did last
//! night's run succeed, when is the next one, was a run missed.

use super::Timestamp;
use crate::cron::Schedule;
use serde::{Deserialize, Serialize};

mod runs;
pub use runs::*;

/// How long after its scheduled minute a run may start before it counts as
/// missed (the CronJob controller starts runs within seconds).
pub const MISSED_AFTER_MS: i64 = 5 * 60_000;

/// A CronJob's schedule and run record, as its object states them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchStatus {
    /// `spec.schedule`, as written.
    pub schedule: String,
    /// `spec.timeZone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `spec.suspend`.
    pub suspended: bool,
    /// Runs in flight (`status.active`).
    pub active: u32,
    /// When the last run was scheduled (`status.lastScheduleTime`).
    pub last_schedule: Option<Timestamp>,
    /// When a run last succeeded (`status.lastSuccessfulTime`).
    pub last_success: Option<Timestamp>,
    /// The runs the cluster still keeps (the CronJob's Jobs, within its
    /// history limits), in any order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<BatchRun>,
}

/// How the last run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RunResult {
    /// A run is in flight.
    Running,
    /// The last scheduled run succeeded.
    Succeeded,
    /// The last scheduled run has not succeeded and none is running.
    Failed,
    /// No run was ever scheduled.
    NeverRun,
}

impl RunResult {
    /// The word shown in tables.
    pub fn label(self) -> &'static str {
        match self {
            RunResult::Running => "Running",
            RunResult::Succeeded => "Succeeded",
            RunResult::Failed => "Failed",
            RunResult::NeverRun => "Never run",
        }
    }
}

/// The on-call verdict on a batch workload, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BatchVerdict {
    /// The last run failed.
    Failed,
    /// A scheduled run did not start.
    Missed,
    /// The last run took (or the running one has taken) more than
    /// [`OVERRUN_FACTOR`] times the typical duration.
    Overran,
    /// Suspended: no run will start.
    Suspended,
    /// Running, succeeded, or not due yet.
    Ok,
}

/// What a front end shows for a batch workload at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchView {
    /// How the last run went.
    pub result: RunResult,
    /// When the last run was scheduled.
    pub last_run: Option<Timestamp>,
    /// When a run last succeeded.
    pub last_success: Option<Timestamp>,
    /// When the next run is due (`None`: suspended, or a schedule that
    /// could not be computed, see `note`).
    pub next_run: Option<Timestamp>,
    /// The scheduled time of a run that did not start.
    pub missed: Option<Timestamp>,
    /// The verdict.
    pub verdict: BatchVerdict,
    /// The schedule as written.
    pub schedule: String,
    /// Why `next_run` or `missed` could not be computed.
    pub note: Option<String>,
    /// The runs of the last [`STRIP_DAYS`] days, oldest first.
    pub runs: Vec<BatchRun>,
    /// The median duration of the successful runs kept, in seconds
    /// (`None` with fewer than [`MIN_TYPICAL_RUNS`]).
    pub typical_duration_seconds: Option<u64>,
    /// How long this view holds for the same status (not part of its
    /// value: neither compared, serialized nor exported).
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub validity: Validity,
}

/// The stretch of time `[from, until)` over which a [`BatchView`] judged
/// at `from` is what judging the same [`BatchStatus`] again would give:
/// the next run, a missed run, the strip's window and an overrun each
/// change only at a moment known when the view is judged. A Fleet refresh
/// keeps the view of an unchanged CronJob inside it instead of judging
/// every run again.
///
/// Views compare equal whatever their validity: it says how long a value
/// holds, not what it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct Validity {
    /// When the view was judged; `None` for a view that was not (read
    /// back from JSON, say), which never holds.
    from: Option<Timestamp>,
    /// The first moment at which the view may differ.
    until: Timestamp,
    /// Whether rows scored per run were written over the runs (so the
    /// view no longer holds where there are none to write).
    pub overlaid: bool,
}

impl Validity {
    /// Whether the view still holds at `now` for the same status.
    pub fn holds_at(&self, now: Timestamp) -> bool {
        self.from
            .is_some_and(|from| from <= now && now < self.until)
    }
}

impl PartialEq for Validity {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Moves `until` back to `t` when `t` comes after `now` and before it.
fn bound(until: &mut Timestamp, now: Timestamp, t: Timestamp) {
    if t > now && t < *until {
        *until = t;
    }
}

impl BatchView {
    /// The word a table shows in the rollout column (`Failed`, `Missed`,
    /// `Running`, `Succeeded`, `Suspended`, `Never run`).
    pub fn label(&self) -> &'static str {
        match self.verdict {
            BatchVerdict::Missed => "Missed",
            BatchVerdict::Overran => "Overran",
            BatchVerdict::Suspended => "Suspended",
            _ => self.result.label(),
        }
    }

    /// The detail beside [`BatchView::label`] at `now`: how long ago the
    /// last run was (or a missed one was due) and when the next is due
    /// (`14h ago, next in 9h`; `due 15h ago, next in 9h`; `for 10m`).
    pub fn detail(&self, now: Timestamp) -> String {
        let ago = |t: Timestamp| super::format_age(now, t);
        let next = self
            .next_run
            .map(|n| format!("next in {}", super::format_age(n, now)));
        let first = match (self.verdict, self.result) {
            (BatchVerdict::Missed, _) => self.missed.map(|m| format!("due {} ago", ago(m))),
            (BatchVerdict::Overran, _) => self.last().map(|r| {
                let ran = r.end.unwrap_or(now).0.saturating_sub(r.start.0) / 1000;
                let usual = self.typical_duration_seconds.unwrap_or(0);
                format!(
                    "ran {}, usually {}",
                    format_duration(u64::try_from(ran).unwrap_or(0)),
                    format_duration(usual)
                )
            }),
            (_, RunResult::Running) => self.last_run.map(|t| {
                // A run in flight must not hide that the one before it failed.
                match self
                    .runs
                    .iter()
                    .rev()
                    .find(|r| r.outcome != RunOutcome::Running)
                {
                    Some(prev) if prev.outcome == RunOutcome::Failed => {
                        format!("for {}, last failed {} ago", ago(t), ago(prev.start))
                    }
                    _ => format!("for {}", ago(t)),
                }
            }),
            _ => self.last_run.map(|t| format!("{} ago", ago(t))),
        };
        match (first, next) {
            (Some(a), Some(b)) => format!("{a}, {b}"),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => self.note.clone().unwrap_or_default(),
        }
    }
}

impl BatchView {
    /// The newest run of the strip.
    pub fn last(&self) -> Option<&BatchRun> {
        self.runs.last()
    }
}

impl BatchStatus {
    /// The view at `now` of a CronJob created at `created`.
    pub fn view(&self, created: Timestamp, now: Timestamp) -> BatchView {
        self.view_reusing(created, now, Vec::new())
    }

    /// [`BatchStatus::view`], writing the strip's runs over `runs` (the
    /// previous view's, on a refresh) instead of allocating them again.
    pub fn view_reusing(
        &self,
        created: Timestamp,
        now: Timestamp,
        mut runs: Vec<BatchRun>,
    ) -> BatchView {
        let result = if self.active > 0 {
            RunResult::Running
        } else {
            match (self.last_schedule, self.last_success) {
                (None, _) => RunResult::NeverRun,
                (Some(s), Some(ok)) if ok >= s => RunResult::Succeeded,
                (Some(_), _) => RunResult::Failed,
            }
        };
        let (mut next_run, mut missed, mut note) = (None, None, None);
        let mut until = Timestamp(i64::MAX);
        match Schedule::parse(&self.schedule, self.time_zone.as_deref()) {
            Ok(s) => {
                if !self.suspended {
                    next_run = s.next_after(now);
                    bound(&mut until, now, s.next_after_changes(now));
                    // The last time the schedule was due that should have
                    // started by now, after the object existed.
                    let late = now.plus_millis(-MISSED_AFTER_MS);
                    let due = s.prev_at_or_before(late).filter(|&d| d >= created);
                    let started = self.last_schedule.unwrap_or(Timestamp(i64::MIN));
                    missed = due.filter(|&d| d > started && self.active == 0);
                    // When the last due time changes (the next one turns
                    // late, or one leaves the search window), once late.
                    let due_moves = s.prev_at_or_before_changes(late);
                    bound(&mut until, now, due_moves.plus_millis(MISSED_AFTER_MS));
                }
            }
            Err(e) => note = Some(e.to_string()),
        }
        let typical = typical_duration_seconds(&self.runs);
        recent_runs_into(&self.runs, now, &mut runs);
        // A run enters the strip when it starts and leaves it a week on.
        let window_from = now.plus_millis(-STRIP_DAYS * 86_400_000);
        for r in &self.runs {
            if r.start > now {
                bound(&mut until, now, r.start);
            } else if r.start > window_from {
                bound(
                    &mut until,
                    now,
                    r.start.plus_millis(STRIP_DAYS * 86_400_000),
                );
            }
        }
        let too_long = runs.last().is_some_and(|r| overran(r, typical, now));
        if let (Some(last), Some(t)) = (runs.last(), typical.filter(|&t| t > 0))
            && last.end.is_none()
        {
            // The moment a run in flight becomes an overrun.
            let limit = i64::try_from(t.saturating_mul(OVERRUN_FACTOR as u64)).unwrap_or(i64::MAX);
            let ms = limit.saturating_add(1).saturating_mul(1000);
            bound(&mut until, now, Timestamp(last.start.0.saturating_add(ms)));
        }
        let verdict = if result == RunResult::Failed {
            BatchVerdict::Failed
        } else if missed.is_some() {
            BatchVerdict::Missed
        } else if too_long {
            BatchVerdict::Overran
        } else if self.suspended {
            BatchVerdict::Suspended
        } else {
            BatchVerdict::Ok
        };
        BatchView {
            result,
            last_run: self.last_schedule,
            last_success: self.last_success,
            next_run,
            missed,
            verdict,
            schedule: self.schedule.clone(),
            note,
            runs,
            typical_duration_seconds: typical,
            validity: Validity {
                from: Some(now),
                until,
                overlaid: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn nightly() -> BatchStatus {
        BatchStatus {
            schedule: "0 2 * * *".into(),
            ..BatchStatus::default()
        }
    }

    const CREATED: &str = "2026-11-01T00:00:00Z";
    const NOW: &str = "2026-12-05T16:30:00Z";

    #[test]
    fn last_night_failed_and_the_next_run_is_tonight() {
        let s = BatchStatus {
            last_schedule: Some(t("2026-12-05T02:00:00Z")),
            last_success: Some(t("2026-12-04T02:00:00Z")),
            ..nightly()
        };
        let v = s.view(t(CREATED), t(NOW));
        assert_eq!(v.result, RunResult::Failed);
        assert_eq!(v.verdict, BatchVerdict::Failed);
        assert_eq!(v.next_run, Some(t("2026-12-06T02:00:00Z")));
        assert_eq!(v.missed, None);
        assert_eq!(
            (v.label(), v.detail(t(NOW)).as_str()),
            ("Failed", "14h ago, next in 9h")
        );
    }

    #[test]
    fn a_run_that_never_started_is_missed() {
        let s = BatchStatus {
            last_schedule: Some(t("2026-12-04T02:00:00Z")),
            last_success: Some(t("2026-12-04T02:00:00Z")),
            ..nightly()
        };
        let v = s.view(t(CREATED), t(NOW));
        assert_eq!(v.result, RunResult::Succeeded);
        assert_eq!(v.missed, Some(t("2026-12-05T02:00:00Z")));
        assert_eq!(v.verdict, BatchVerdict::Missed);
        assert_eq!(
            (v.label(), v.detail(t(NOW)).as_str()),
            ("Missed", "due 14h ago, next in 9h")
        );
        // Within the grace after its minute, a run is not missed yet.
        let v = s.view(t(CREATED), t("2026-12-05T02:03:00Z"));
        assert_eq!(v.verdict, BatchVerdict::Ok);
    }

    #[test]
    fn running_suspended_new_and_unreadable() {
        let running = BatchStatus {
            active: 1,
            last_schedule: Some(t("2026-12-05T02:00:00Z")),
            ..nightly()
        };
        assert_eq!(running.view(t(CREATED), t(NOW)).result, RunResult::Running);
        assert_eq!(running.view(t(CREATED), t(NOW)).verdict, BatchVerdict::Ok);
        let suspended = BatchStatus {
            suspended: true,
            ..nightly()
        };
        let v = suspended.view(t(CREATED), t(NOW));
        assert_eq!(
            (v.verdict, v.next_run, v.missed),
            (BatchVerdict::Suspended, None, None)
        );
        // Created after the last due time: nothing missed, never run yet.
        let v = nightly().view(t("2026-12-05T10:00:00Z"), t(NOW));
        assert_eq!(
            (v.result, v.verdict),
            (RunResult::NeverRun, BatchVerdict::Ok)
        );
        let bad = BatchStatus {
            schedule: "0 2 * *".into(),
            ..nightly()
        };
        let v = bad.view(t(CREATED), t(NOW));
        assert!(v.note.unwrap().contains("4 fields"));
        assert_eq!(v.next_run, None);
    }

    fn nightly_run(day: u32, minutes: i64, outcome: RunOutcome) -> BatchRun {
        let start = t(&format!("2026-12-{day:02}T02:00:04Z"));
        BatchRun {
            job: format!("scoring-{day}"),
            start,
            end: (outcome != RunOutcome::Running).then(|| start.plus_millis(minutes * 60_000)),
            outcome,
            version: Some("3".into()),
            rows: None,
        }
    }

    #[test]
    fn runs_give_the_strip_the_typical_duration_and_an_overrun() {
        use RunOutcome::*;
        let mut runs: Vec<BatchRun> = (1..=4).map(|d| nightly_run(d, 40, Succeeded)).collect();
        runs.push(nightly_run(5, 3, Failed));
        let s = BatchStatus {
            last_schedule: Some(t("2026-12-05T02:00:00Z")),
            last_success: Some(t("2026-12-04T02:40:04Z")),
            runs: runs.clone(),
            ..nightly()
        };
        let v = s.view(t(CREATED), t(NOW));
        assert_eq!(v.verdict, BatchVerdict::Failed);
        assert_eq!(v.typical_duration_seconds, Some(2400));
        assert_eq!(strip(&v.runs), "✓✓✓✓✗");
        // Tonight's run, 2h01m in, is more than 3x the usual 40m.
        runs.push(nightly_run(6, 0, Running));
        let s = BatchStatus {
            last_schedule: Some(t("2026-12-06T02:00:00Z")),
            active: 1,
            runs,
            ..s
        };
        let now = t("2026-12-06T04:01:05Z");
        let v = s.view(t(CREATED), now);
        assert_eq!((v.verdict, v.label()), (BatchVerdict::Overran, "Overran"));
        assert_eq!(v.detail(now), "ran 2h01m, usually 40m, next in 21h");
        // Ten minutes in, tonight's run shows as Running and still names
        // last night's failure; once a run succeeded it does not.
        let now = t("2026-12-06T02:10:05Z");
        let v = s.view(t(CREATED), now);
        assert_eq!(v.label(), "Running");
        assert_eq!(v.detail(now), "for 10m, last failed 24h ago, next in 23h");
        let mut ok = s.runs.clone();
        ok.insert(ok.len() - 1, nightly_run(5, 40, Succeeded));
        ok.retain(|r| !(r.job == "scoring-5" && r.outcome == Failed));
        let v = BatchStatus {
            runs: ok,
            ..s.clone()
        }
        .view(t(CREATED), now);
        assert_eq!(v.detail(now), "for 10m, next in 23h");
        assert_eq!(v.runs.len(), 6);
        let v = s.view(t(CREATED), t("2026-12-06T03:00:00Z"));
        assert_eq!(v.verdict, BatchVerdict::Ok);
    }
}
