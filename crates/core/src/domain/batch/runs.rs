//! The runs of a batch workload (a CronJob's Jobs): when each started and
//! ended, how it went, the model version it used; the last seven days as a
//! strip, and the typical duration a run is judged against.

use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};

/// The days a strip covers.
pub const STRIP_DAYS: i64 = 7;
const DAY_MS: i64 = 86_400_000;
/// A run taking more than this many times the typical duration (the
/// median of the successful runs) is "far beyond usual".
pub const OVERRUN_FACTOR: i64 = 3;
/// Fewest successful runs a typical duration is computed from.
pub const MIN_TYPICAL_RUNS: usize = 3;

/// How one run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RunOutcome {
    /// Still running.
    Running,
    /// The Job completed (`Complete` condition).
    Succeeded,
    /// The Job failed (`Failed` condition).
    Failed,
}

impl RunOutcome {
    /// One symbol for a strip, readable without colour.
    pub fn symbol(self) -> char {
        match self {
            RunOutcome::Running => '…',
            RunOutcome::Succeeded => '✓',
            RunOutcome::Failed => '✗',
        }
    }
}

/// One run of a batch workload (one Job of a CronJob).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BatchRun {
    /// The Job's name.
    pub job: String,
    /// When it started (`status.startTime`, else its creation).
    pub start: Timestamp,
    /// When it ended (`status.completionTime`, or the `Failed` condition's
    /// transition time); `None` while it runs.
    pub end: Option<Timestamp>,
    /// How it went.
    pub outcome: RunOutcome,
    /// The model version its pod template named, if bound.
    pub version: Option<String>,
    /// Rows scored in the run: the increase of the rows counter
    /// (`modeldeck_batch_rows_total{model,version}` by convention) over the
    /// run's start..end, as PromQL's `increase` gives it (counter resets
    /// handled); `None` when the metrics backend has no samples for it
    /// (never an invented 0).
    #[serde(default)]
    pub rows: Option<f64>,
}

/// `clone_from` field by field, so writing a run over another reuses its
/// strings (a derived `Clone` would allocate them again).
impl Clone for BatchRun {
    fn clone(&self) -> Self {
        BatchRun {
            job: self.job.clone(),
            start: self.start,
            end: self.end,
            outcome: self.outcome,
            version: self.version.clone(),
            rows: self.rows,
        }
    }

    fn clone_from(&mut self, src: &Self) {
        self.job.clone_from(&src.job);
        self.start = src.start;
        self.end = src.end;
        self.outcome = src.outcome;
        self.version.clone_from(&src.version);
        self.rows = src.rows;
    }
}

impl BatchRun {
    /// How long it ran, in whole seconds (`None` while running).
    pub fn duration_seconds(&self) -> Option<u64> {
        self.end
            .map(|e| u64::try_from(e.0.saturating_sub(self.start.0) / 1000).unwrap_or(0))
    }
}

/// The runs that started within [`STRIP_DAYS`] before `now`, oldest first.
pub fn recent_runs(runs: &[BatchRun], now: Timestamp) -> Vec<BatchRun> {
    let mut out = Vec::new();
    recent_runs_into(runs, now, &mut out);
    out
}

/// [`recent_runs`] written over `out`, reusing its runs' strings: a Fleet
/// refresh rebuilds every CronJob's strip, and with a week of hourly runs
/// per CronJob a fresh copy was most of a refresh's allocations.
pub fn recent_runs_into(runs: &[BatchRun], now: Timestamp, out: &mut Vec<BatchRun>) {
    let from = now.plus_millis(-STRIP_DAYS * DAY_MS);
    let mut picked: Vec<&BatchRun> = runs
        .iter()
        .filter(|r| r.start > from && r.start <= now)
        .collect();
    picked.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.job.cmp(&b.job)));
    out.truncate(picked.len());
    let kept = out.len();
    for (slot, r) in out.iter_mut().zip(&picked) {
        slot.clone_from(r);
    }
    out.extend(picked[kept..].iter().map(|r| (*r).clone()));
}

/// The median duration of the successful runs, in seconds (the lower of
/// the middle two for an even count); `None` with fewer than
/// [`MIN_TYPICAL_RUNS`] of them.
pub fn typical_duration_seconds(runs: &[BatchRun]) -> Option<u64> {
    let mut d: Vec<u64> = runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Succeeded)
        .filter_map(BatchRun::duration_seconds)
        .collect();
    if d.len() < MIN_TYPICAL_RUNS {
        return None;
    }
    d.sort_unstable();
    Some(d[(d.len() - 1) / 2])
}

/// Whether `run` (finished, or running at `now`) took more than
/// [`OVERRUN_FACTOR`] times `typical`.
pub fn overran(run: &BatchRun, typical: Option<u64>, now: Timestamp) -> bool {
    let Some(t) = typical.filter(|&t| t > 0) else {
        return false;
    };
    let ran_ms = run.end.unwrap_or(now).0.saturating_sub(run.start.0);
    ran_ms / 1000 > t.saturating_mul(OVERRUN_FACTOR as u64) as i64
}

/// The strip of `runs` (oldest first): one symbol per run.
pub fn strip(runs: &[BatchRun]) -> String {
    runs.iter().map(|r| r.outcome.symbol()).collect()
}

/// A duration in seconds as people read it (`42s`, `7m05s`, `40m`,
/// `1h05m`); from ten minutes on, to the nearest minute.
pub fn format_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 600 => format!("{}m{:02}s", s / 60, s % 60),
        s => {
            let m = (s + 30) / 60;
            if m < 60 {
                format!("{m}m")
            } else {
                format!("{}h{:02}m", m / 60, m % 60)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    fn run(day: u32, minutes: i64, outcome: RunOutcome) -> BatchRun {
        let start = t(&format!("2026-12-{day:02}T02:00:05Z"));
        BatchRun {
            job: format!("nightly-{day}"),
            start,
            end: (outcome != RunOutcome::Running).then(|| start.plus_millis(minutes * 60_000)),
            outcome,
            version: Some("7".into()),
            rows: None,
        }
    }

    #[test]
    fn the_median_of_successes_is_typical() {
        use RunOutcome::*;
        let runs = vec![
            run(1, 40, Succeeded),
            run(2, 38, Succeeded),
            run(3, 5, Failed),
            run(4, 44, Succeeded),
            run(5, 41, Succeeded),
        ];
        // Successes 38, 40, 41, 44 minutes: the lower middle, 40.
        assert_eq!(typical_duration_seconds(&runs), Some(40 * 60));
        assert_eq!(typical_duration_seconds(&runs[..2]), None);
        assert_eq!(strip(&runs), "✓✓✗✓✓");
        assert_eq!(runs[2].duration_seconds(), Some(300));
    }

    #[test]
    fn far_beyond_usual_is_more_than_three_times_typical() {
        use RunOutcome::*;
        let typical = Some(40 * 60);
        let now = t("2026-12-06T12:00:00Z");
        assert!(!overran(&run(5, 120, Succeeded), typical, now));
        assert!(overran(&run(5, 121, Succeeded), typical, now));
        assert!(!overran(&run(5, 500, Succeeded), None, now));
        // A run still going counts its time so far.
        let going = run(6, 0, Running);
        assert!(!overran(&going, typical, t("2026-12-06T03:00:00Z")));
        assert!(overran(&going, typical, t("2026-12-06T04:01:00Z")));
    }

    #[test]
    fn recent_runs_are_the_last_seven_days_oldest_first() {
        use RunOutcome::*;
        let runs: Vec<BatchRun> = (1..=10).rev().map(|d| run(d, 40, Succeeded)).collect();
        let now = t("2026-12-10T12:00:00Z");
        let recent = recent_runs(&runs, now);
        let days: Vec<&str> = recent.iter().map(|r| r.job.as_str()).collect();
        assert_eq!(
            days,
            [
                "nightly-4",
                "nightly-5",
                "nightly-6",
                "nightly-7",
                "nightly-8",
                "nightly-9",
                "nightly-10"
            ]
        );
    }

    #[test]
    fn recent_runs_are_oldest_first_whatever_order_they_come_in() {
        use RunOutcome::*;
        let oldest_first: Vec<BatchRun> = (1..=10).rev().map(|d| run(d, 40, Succeeded)).collect();
        let now = t("2026-12-10T12:00:00Z");
        let want = recent_runs(&oldest_first, now);
        let newest_first: Vec<BatchRun> = oldest_first.iter().rev().cloned().collect();
        let mut shuffled = oldest_first.clone();
        shuffled.swap(1, 8);
        shuffled.swap(3, 5);
        for input in [&newest_first, &shuffled] {
            assert_eq!(recent_runs(input, now), want);
            // Written over a longer, stale strip: the same runs, none left over.
            let mut out = oldest_first.clone();
            out.extend(oldest_first.iter().cloned());
            recent_runs_into(input, now, &mut out);
            assert_eq!(out, want);
        }
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(format_duration(42), "42s");
        assert_eq!(format_duration(125), "2m05s");
        assert_eq!(format_duration(2400), "40m");
        assert_eq!(format_duration(2396), "40m");
        assert_eq!(format_duration(120), "2m00s");
        assert_eq!(format_duration(3900), "1h05m");
    }
}
