//! Range-query resolution. Prometheus refuses a range query when
//! `(end - start) / step > 11000` (integer division of nanosecond
//! durations), i.e. it allows at most 11,001 points per series. We stay one
//! point under that: no request built here returns more than
//! [`MAX_POINTS`] points per series. Steps are whole milliseconds and are
//! sent as Go durations (`"60000ms"`), so no float rounding can push a
//! request over the server's limit.

use crate::error::{PromError, PromErrorKind};
use modeldeck_core::domain::Timestamp;

/// Most points per series any range query built by this crate returns.
pub const MAX_POINTS: i64 = 11_000;

/// Smallest step the chart helper picks (Prometheus rarely scrapes faster).
pub const MIN_CHART_STEP_MS: i64 = 1_000;

/// A validated range: `start <= end`, `step_ms >= 1`, at most
/// [`MAX_POINTS`] points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeQuery {
    /// First evaluation time.
    pub start: Timestamp,
    /// Last possible evaluation time (inclusive).
    pub end: Timestamp,
    /// Step in milliseconds, after clamping.
    pub step_ms: i64,
}

impl RangeQuery {
    /// A range with `step_ms` raised just enough to keep at most
    /// [`MAX_POINTS`] points. Errors when `end < start` or `step_ms <= 0`.
    pub fn clamped(
        start: Timestamp,
        end: Timestamp,
        step_ms: i64,
    ) -> Result<RangeQuery, PromError> {
        let bad =
            |reason: String| PromError::new(PromErrorKind::InvalidInput { reason }, "range query");
        if end < start {
            return Err(bad(format!(
                "range ends ({}) before it starts ({})",
                end.rfc3339(),
                start.rfc3339()
            )));
        }
        if step_ms <= 0 {
            return Err(bad(format!("step must be positive, got {step_ms} ms")));
        }
        Ok(RangeQuery {
            start,
            end,
            step_ms: step_ms.max(min_step_ms(start, end)),
        })
    }

    /// The evaluation times Prometheus uses: `start + k * step <= end`.
    pub fn times(&self) -> impl Iterator<Item = Timestamp> + '_ {
        let n = self.points();
        (0..n).map(move |k| self.start.plus_millis(k * self.step_ms))
    }

    /// How many points each series has at most.
    pub fn points(&self) -> i64 {
        self.end.millis_since(self.start) / self.step_ms + 1
    }
}

/// The smallest step (ms) that keeps `[start, end]` at or under
/// [`MAX_POINTS`] points: points are `floor(range / step) + 1`, so the step
/// must exceed `range / MAX_POINTS`.
pub fn min_step_ms(start: Timestamp, end: Timestamp) -> i64 {
    let range = end.millis_since(start).max(0);
    range / MAX_POINTS + 1
}

/// A step for a chart `width` columns (or pixels) wide: at most `width`
/// points (one for a width of 0 or 1), whole seconds, never under
/// [`MIN_CHART_STEP_MS`], and never over the point limit.
pub fn step_for_width(start: Timestamp, end: Timestamp, width: u32) -> i64 {
    let range = end.millis_since(start).max(0);
    let whole_secs = |ms: i64| (ms + 999) / 1000 * 1000;
    let step = if width <= 1 {
        whole_secs(range + 1)
    } else {
        let intervals = i64::from(width) - 1;
        whole_secs((range + intervals - 1) / intervals)
    };
    step.max(MIN_CHART_STEP_MS).max(min_step_ms(start, end))
}

/// A step as a Go duration string Prometheus parses exactly.
pub(crate) fn step_param(step_ms: i64) -> String {
    format!("{step_ms}ms")
}

/// A timestamp as Prometheus' float-seconds parameter, exact to the ms.
pub(crate) fn time_param(t: Timestamp) -> String {
    let sign = if t.0 < 0 { "-" } else { "" };
    let abs = t.0.unsigned_abs();
    let (secs, ms) = (abs / 1000, abs % 1000);
    if ms == 0 {
        format!("{sign}{secs}")
    } else {
        format!("{sign}{secs}.{ms:03}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_to_the_point_limit() {
        let s = Timestamp(1_700_000_000_000);
        for range_ms in [
            0,
            1,
            10_999,
            11_000,
            660_000_000,
            315_360_000_000,
            123_456_789,
        ] {
            let q = RangeQuery::clamped(s, s.plus_millis(range_ms), 1).unwrap();
            assert!(q.points() <= MAX_POINTS, "{range_ms}: {}", q.points());
            // one millisecond less would exceed the limit (unless already at 1 ms)
            if q.step_ms > 1 {
                let fewer = range_ms / (q.step_ms - 1) + 1;
                assert!(fewer > MAX_POINTS, "{range_ms}: step not minimal");
            }
            assert_eq!(q.times().count() as i64, q.points());
        }
        let q = RangeQuery::clamped(s, s.plus_millis(3_600_000), 60_000).unwrap();
        assert_eq!((q.step_ms, q.points()), (60_000, 61));
        assert!(RangeQuery::clamped(s, s.plus_millis(-1), 1).is_err());
        assert!(RangeQuery::clamped(s, s, 0).is_err());
    }

    #[test]
    fn sizes_steps_for_charts() {
        let s = Timestamp(1_700_000_000_000);
        let day = s.plus_millis(86_400_000);
        let step = step_for_width(s, day, 800);
        assert_eq!(step % 1000, 0);
        assert!(86_400_000 / step < 800, "{step}");
        assert_eq!(step_for_width(s, s.plus_millis(10_000), 800), 1000);
        assert_eq!(step_for_width(s, day, 0), 86_401_000);
        assert_eq!(86_400_000 / step_for_width(s, day, 1), 0);
    }

    #[test]
    fn formats_params_exactly() {
        assert_eq!(time_param(Timestamp(1_795_824_000_500)), "1795824000.500");
        assert_eq!(time_param(Timestamp(1_795_824_000_000)), "1795824000");
        assert_eq!(time_param(Timestamp(-1500)), "-1.500");
        assert_eq!(step_param(60_001), "60001ms");
    }
}
