//! Rows a simulated batch run scores (issue 14): a CronJob whose scenario
//! sets `rows_per_run` scores about that many rows per successful run
//! (within ±5%, fixed by the run's start), at an even pace over its
//! `run_minutes`. Its pod exports `modeldeck_batch_rows_total{model,version}`
//! from 0 at the run's start (so each run is a counter reset), holding the
//! final count until the next run starts. A failed run's pod dies before
//! it exports anything: it has no rows (unknown, not 0).

use super::{BatchPlan, version_at};
use crate::rng::mix;
use crate::world::WorkloadState;
use modeldeck_core::domain::{BatchRun, RunOutcome, Timestamp};
use std::collections::BTreeMap;

/// Rows the run starting at `start` scores in all.
fn total(w: &WorkloadState, per_run: u64, start: Timestamp) -> f64 {
    let noise = (mix(w.key ^ 0xBA7C, start.0 as u64) % 1001) as f64 / 1000.0;
    (per_run as f64 * (0.95 + 0.1 * noise)).round()
}

/// The counter's value at `t` within `run` (`None`: a failed run, nothing
/// exported).
fn counter_in(w: &WorkloadState, plan: &BatchPlan, run: &BatchRun, t: Timestamp) -> Option<f64> {
    let per_run = plan.rows_per_run?;
    // A run bound to fail exports nothing, even while it runs (the Job is
    // named after its due minute).
    let due = run
        .job
        .rsplit('-')
        .next()
        .and_then(|m| m.parse::<i64>().ok())
        .map(|m| Timestamp(m * 60_000));
    if run.outcome == RunOutcome::Failed || due.is_some_and(|d| plan.fails(d)) || t < run.start {
        return None;
    }
    let done = t.millis_since(run.start).min(plan.run_ms) as f64 / plan.run_ms.max(1) as f64;
    Some((total(w, per_run, run.start) * done).round())
}

/// Each kept run's rows at `now`, by Job name (failed runs absent; an
/// in-flight run's rows so far).
pub(crate) fn rows_by_job(w: &WorkloadState, now: Timestamp) -> BTreeMap<String, f64> {
    let Some(plan) = w.batch_plan().filter(|p| p.rows_per_run.is_some()) else {
        return BTreeMap::new();
    };
    let runs = plan.runs(w.created_at, now, &w.name, |t| version_at(w, t).to_string());
    runs.iter()
        .filter_map(|r| {
            let v = counter_in(w, &plan, r, r.end.unwrap_or(now).min(now))?;
            Some((r.job.clone(), v))
        })
        .collect()
}

/// The exported counter of `w` at `t`: (version, value) of the newest run
/// started by then, unless it failed.
pub(crate) fn counter_at(w: &WorkloadState, t: Timestamp) -> Option<(String, f64)> {
    let plan = w.batch_plan().filter(|p| p.rows_per_run.is_some())?;
    let runs = plan.runs(w.created_at, t, &w.name, |d| version_at(w, d).to_string());
    let run = runs.into_iter().next_back()?;
    let v = counter_in(w, &plan, &run, t)?;
    Some((run.version.clone().unwrap_or_default(), v))
}
