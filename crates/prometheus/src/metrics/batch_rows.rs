//! Rows scored per batch run (issue 14): the increase of the rows counter
//! (`modeldeck_batch_rows_total{model,version}` by convention; template
//! `batch_rows`) over each run's start..end.
//!
//! One query per CronJob, whatever its number of runs: the template as a
//! range selector over the span of its runs (`<selector>[<span>ms]`,
//! evaluated at the last run's end) returns the raw samples, which are
//! then cut by the runs' windows. Each run's rows are what PromQL's
//! `increase(<selector>[<end - start>] @ <end>)` gives, summed over the
//! series: the same counter-reset handling and the same extrapolation to
//! the window's edges ([`extrapolated_increase`], Prometheus 2.x's
//! `extrapolatedRate`: samples at both ends of the window count). A run
//! without two samples of some series in its window has no rows (`None`),
//! never an invented 0.

use super::{PrometheusMetrics, port_error};
use crate::wire::{QueryData, Sample};
use modeldeck_core::domain::{
    MetricsTarget, RunWindow, STRIP_DAYS, Timestamp, WorkloadKind, WorkloadRef,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use std::collections::BTreeMap;

impl PrometheusMetrics {
    /// Rows per run of every CronJob among `targets` (by Job name).
    pub(super) async fn rows_per_run(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, BTreeMap<String, f64>>> {
        let now = self.eval_time().unwrap_or_else(Timestamp::now);
        let mut out = BTreeMap::new();
        // One after another: a fleet has few CronJobs, and each query is
        // bounded by its runs' span.
        for t in targets
            .iter()
            .filter(|t| t.workload.kind == WorkloadKind::CronJob && !t.runs.is_empty())
        {
            let rows = self.rows_of(t, now).await?;
            if !rows.is_empty() {
                out.insert(t.workload.clone(), rows);
            }
        }
        Ok(out)
    }

    /// One CronJob's rows per run, from one query.
    async fn rows_of(
        &self,
        target: &MetricsTarget,
        now: Timestamp,
    ) -> PortResult<BTreeMap<String, f64>> {
        let from = now.plus_millis(-STRIP_DAYS * 86_400_000);
        let runs: Vec<(&RunWindow, Timestamp)> = target
            .runs
            .iter()
            .filter(|r| r.start > from && r.start <= now)
            .map(|r| (r, r.end.unwrap_or(now).min(now)))
            .filter(|(r, end)| *end > r.start)
            .collect();
        let (Some(first), Some(last)) = (
            runs.iter().map(|(r, _)| r.start).min(),
            runs.iter().map(|(_, e)| *e).max(),
        ) else {
            return Ok(BTreeMap::new());
        };
        if target.model.is_none() {
            return Ok(BTreeMap::new()); // unbound: no {model} to select by
        }
        let selector = self.render_for("batch_rows", &self.templates.batch_rows, target, &[])?;
        let span = last.millis_since(first).max(1);
        let q = format!("{selector}[{span}ms]");
        let r = self
            .client
            .query(&q, Some(last))
            .await
            .map_err(|e| port_error(e, "batch_rows"))?;
        let series = match r.data {
            QueryData::Matrix(m) => m,
            other => {
                return Err(BackendError::new(
                    Backend::Metrics,
                    ErrorCode::InvalidRequest,
                    format!(
                        "template batch_rows must be a series selector (it is read as \
                         {q}), got a {}",
                        other.kind()
                    ),
                ));
            }
        };
        let mut out = BTreeMap::new();
        for (run, end) in runs {
            let mut total: Option<f64> = None;
            for s in &series {
                let inside: Vec<Sample> = s
                    .samples
                    .iter()
                    .filter(|p| p.at >= run.start && p.at <= end && p.value.is_finite())
                    .copied()
                    .collect();
                if let Some(v) = extrapolated_increase(&inside, run.start, end) {
                    total = Some(total.unwrap_or(0.0) + v);
                }
            }
            if let Some(v) = total {
                out.insert(run.job.clone(), v);
            }
        }
        Ok(out)
    }
}

/// PromQL's `increase` of one counter series over `[start, end]` from its
/// samples in that window (time order), as Prometheus 2.x computes it:
/// the last value less the first, plus the value before each reset; then
/// extrapolated to the window's edges when the first and last samples are
/// within 1.1 average intervals of them (else by half an interval), and
/// never back past the counter's zero. `None` with fewer than two samples.
pub(crate) fn extrapolated_increase(
    samples: &[Sample],
    start: Timestamp,
    end: Timestamp,
) -> Option<f64> {
    let (first, last) = (samples.first()?, samples.last()?);
    if samples.len() < 2 {
        return None;
    }
    let mut result = last.value - first.value;
    let mut prev = first.value;
    for p in &samples[1..] {
        if p.value < prev {
            result += prev;
        }
        prev = p.value;
    }
    let secs = |ms: i64| ms as f64 / 1000.0;
    let mut to_start = secs(first.at.millis_since(start));
    let to_end = secs(end.millis_since(last.at));
    let sampled = secs(last.at.millis_since(first.at));
    if sampled <= 0.0 {
        return None;
    }
    let average = sampled / (samples.len() - 1) as f64;
    if result > 0.0 && first.value >= 0.0 {
        let to_zero = sampled * (first.value / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average / 2.0
    };
    Some(result * (interval / sampled))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(at_s: i64, value: f64) -> Sample {
        Sample {
            at: Timestamp(at_s * 1000),
            value,
        }
    }

    #[test]
    fn increase_handles_resets_and_too_few_samples() {
        let w = |a: i64, b: i64| (Timestamp(a * 1000), Timestamp(b * 1000));
        let (a, b) = w(0, 60);
        assert_eq!(extrapolated_increase(&[], a, b), None);
        assert_eq!(extrapolated_increase(&[s(10, 5.0)], a, b), None);
        // Samples on both edges: no extrapolation; a reset adds the value before it.
        let v = extrapolated_increase(&[s(0, 10.0), s(30, 40.0), s(60, 15.0)], a, b).unwrap();
        assert_eq!(v, 15.0 - 10.0 + 40.0);
        // A counter from zero is not extrapolated back past its zero.
        let v = extrapolated_increase(&[s(30, 0.0), s(45, 15.0), s(60, 30.0)], w(0, 60).0, b);
        assert_eq!(v, Some(30.0));
    }
}
