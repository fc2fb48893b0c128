//! Chart data shared by every front end: the query step that keeps a range
//! query within a panel's width and Prometheus' point limit, downsampling a
//! series to a panel's width (min and max per column, so spikes survive),
//! gaps, threshold crossings, axis ticks and labels, and the markers
//! (deploys, approvals, promotions, rollbacks, retrains) drawn on a
//! timeline. Times are Unix milliseconds, labels are in UTC.

use serde::Serialize;

/// Prometheus refuses a range query that would return more than this many
/// points per series ("exceeded maximum resolution of 11,000 points").
pub const MAX_POINTS: usize = 11_000;

/// The step (milliseconds, a whole number of seconds, at least one second)
/// for a range query over `range_ms` drawn on `columns` columns: the query
/// returns at most `2 * columns` points, and never more than
/// [`MAX_POINTS`]. A range query over `[start, end]` at step `s` returns
/// `floor(range / s) + 1` points, so the step is `range / (limit - 1)`
/// rounded up to a second.
pub fn step_ms(range_ms: i64, columns: usize) -> i64 {
    let limit = columns.max(1).saturating_mul(2).min(MAX_POINTS) as i64;
    let range = range_ms.max(0);
    let ceil_div = |a: i64, b: i64| a / b + i64::from(a % b != 0);
    let raw = ceil_div(range, limit - 1);
    ceil_div(raw, 1000).saturating_mul(1000).max(1000)
}

/// One column of a downsampled series: the values that fell in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// The first value in input order (time order for sorted input).
    pub first: f64,
    /// The last value in input order.
    pub last: f64,
    /// How many finite values fell in the column.
    pub count: usize,
}

impl Column {
    fn new(v: f64) -> Self {
        Column {
            min: v,
            max: v,
            first: v,
            last: v,
            count: 1,
        }
    }

    fn push(&mut self, v: f64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.last = v;
        self.count += 1;
    }
}

/// The column (of `columns` over `[from, to]`) that time `t` falls in:
/// column `k` covers `[start(k), start(k + 1))`, the last one includes `to`.
/// `None` outside the range, for no columns, or for an empty range.
pub fn column_of(t: i64, from: i64, to: i64, columns: usize) -> Option<usize> {
    if columns == 0 || to <= from || t < from || t > to {
        return None;
    }
    let k = (i128::from(t - from) * columns as i128) / i128::from(to - from);
    Some((k as usize).min(columns - 1))
}

/// Where column `k` (of `columns` over `[from, to]`) starts: the smallest
/// `t` with `column_of(t) >= k`. `start(columns)` is past `to`'s column.
pub fn column_start(k: usize, from: i64, to: i64, columns: usize) -> i64 {
    if columns == 0 {
        return from;
    }
    let span = i128::from((to - from).max(0));
    let off = (k as i128 * span + columns as i128 - 1) / columns as i128;
    from.saturating_add(off as i64)
}

/// Downsamples `points` to `columns` columns over `[from, to]`: per column
/// the min, max, first and last finite value and how many there were;
/// `None` where no finite value fell (a gap, or a column narrower than the
/// series' step). Points outside the range and non-finite values are
/// skipped. Linear in the points plus the columns; the only allocation is
/// the result. Sorted input is walked column by column with one compare
/// per point; out-of-order points are placed by a division, so any order
/// gives the same min and max.
pub fn downsample(
    points: &[(i64, f64)],
    from: i64,
    to: i64,
    columns: usize,
) -> Vec<Option<Column>> {
    let mut out: Vec<Option<Column>> = vec![None; columns];
    if columns == 0 || to <= from {
        return out;
    }
    let mut i = 0;
    let n = points.len();
    let mut start = from;
    for k in 0..columns {
        // The last column includes `to`.
        let end = if k + 1 == columns {
            to.saturating_add(1)
        } else {
            column_start(k + 1, from, to, columns)
        };
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut first, mut last, mut count) = (f64::NAN, f64::NAN, 0usize);
        while i < n {
            let (t, v) = points[i];
            if t >= end {
                break;
            }
            i += 1;
            if !v.is_finite() {
                continue;
            }
            if t < start {
                // Before the range, or out of order: placed by its time.
                if let Some(j) = column_of(t, from, to, columns) {
                    add(&mut out[j], v);
                }
                continue;
            }
            if count == 0 {
                first = v;
            }
            min = if v < min { v } else { min };
            max = if v > max { v } else { max };
            last = v;
            count += 1;
        }
        if count > 0 {
            let c = Column {
                min,
                max,
                first,
                last,
                count,
            };
            out[k] = Some(match out[k] {
                Some(prev) => merge(prev, c),
                None => c,
            });
        }
        start = end;
    }
    // Whatever is left lies past `to`, or is out of order behind it.
    for &(t, v) in &points[i..] {
        if let (true, Some(j)) = (v.is_finite(), column_of(t, from, to, columns)) {
            add(&mut out[j], v);
        }
    }
    out
}

fn merge(a: Column, b: Column) -> Column {
    Column {
        min: a.min.min(b.min),
        max: a.max.max(b.max),
        first: a.first,
        last: b.last,
        count: a.count + b.count,
    }
}

fn add(slot: &mut Option<Column>, v: f64) {
    match slot {
        Some(c) => c.push(v),
        None => *slot = Some(Column::new(v)),
    }
}

/// The series' usual spacing: the median gap between consecutive finite
/// samples (time order), `None` with fewer than two samples.
pub fn typical_step(points: &[(i64, f64)]) -> Option<i64> {
    let mut deltas: Vec<i64> = points
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|p| p.0)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0)
        .collect();
    if deltas.is_empty() {
        return None;
    }
    let mid = (deltas.len() - 1) / 2;
    Some(*deltas.select_nth_unstable(mid).1)
}

/// The stretches without samples: `(last sample before, first sample
/// after)` wherever consecutive finite samples are more than
/// `2 * step_ms` apart. A chart draws a break there instead of a line.
pub fn gaps(points: &[(i64, f64)], step_ms: i64) -> Vec<(i64, i64)> {
    let limit = step_ms.max(1).saturating_mul(2);
    let mut out = Vec::new();
    let mut prev: Option<i64> = None;
    for &(t, v) in points {
        if !v.is_finite() {
            continue;
        }
        if let Some(p) = prev
            && t - p > limit
        {
            out.push((p, t));
        }
        prev = Some(t);
    }
    out
}

/// A line a value should stay on one side of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Threshold {
    /// The limit.
    pub value: f64,
    /// True when values below the limit are the bad side (p-values: drift
    /// when p < 0.05); false when values at or above it are (distances,
    /// latency, error ratios).
    pub low_is_bad: bool,
}

impl Threshold {
    /// True when `v` is on the bad side, with the same rule as a drift
    /// verdict: a p-value below the limit, a distance at or above it.
    /// Non-finite values never breach.
    pub fn breached(&self, v: f64) -> bool {
        if !v.is_finite() {
            return false;
        }
        if self.low_is_bad {
            v < self.value
        } else {
            v >= self.value
        }
    }
}

/// Where a series first went past its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Crossing {
    /// The first sample on the bad side.
    pub at: i64,
    /// Its value.
    pub value: f64,
    /// True when the series was already past the threshold at its first
    /// sample in the range (so it crossed before the chart starts).
    pub from_start: bool,
}

/// The first sample in `[from, to]` on the bad side of `threshold`, after
/// the last one on the good side before it (time order). `None` when no
/// sample is on the bad side.
pub fn first_crossing(
    points: &[(i64, f64)],
    threshold: &Threshold,
    from: i64,
    to: i64,
) -> Option<Crossing> {
    let mut seen_good = false;
    for &(t, v) in points {
        if !v.is_finite() || t < from || t > to {
            continue;
        }
        if threshold.breached(v) {
            return Some(Crossing {
                at: t,
                value: v,
                from_start: !seen_good,
            });
        }
        seen_good = true;
    }
    None
}

/// What happened on a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MarkerKind {
    /// A new revision rolled out.
    Deploy,
    /// A promotion request was approved.
    Approval,
    /// An alias moved to a version (or traffic shifted to it).
    Promotion,
    /// A rollout was undone or an alias moved back.
    Rollback,
    /// A retraining run started.
    Retrain,
}

impl MarkerKind {
    /// Every kind, in legend order.
    pub const ALL: [MarkerKind; 5] = [
        MarkerKind::Deploy,
        MarkerKind::Approval,
        MarkerKind::Promotion,
        MarkerKind::Rollback,
        MarkerKind::Retrain,
    ];

    /// The one-cell glyph drawn at the top of the marker's rule: deploy
    /// `▲`, approval `✓`, promotion `★`, rollback `↩`, retrain `◆`. All are
    /// distinct, one column wide, and none is a letter a label could hold.
    pub fn glyph(self) -> char {
        match self {
            MarkerKind::Deploy => '▲',
            MarkerKind::Approval => '✓',
            MarkerKind::Promotion => '★',
            MarkerKind::Rollback => '↩',
            MarkerKind::Retrain => '◆',
        }
    }

    /// The kind in one lowercase word, for legends.
    pub fn word(self) -> &'static str {
        match self {
            MarkerKind::Deploy => "deploy",
            MarkerKind::Approval => "approval",
            MarkerKind::Promotion => "promotion",
            MarkerKind::Rollback => "rollback",
            MarkerKind::Retrain => "retrain",
        }
    }
}

/// One event on a timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Marker {
    /// When (Unix ms).
    pub at: i64,
    /// What happened.
    pub kind: MarkerKind,
    /// A short description (`v6`, `stable -> v7 by alice`); untrusted text:
    /// front ends sanitize it before drawing.
    pub label: String,
}

/// About `n` (at least 2) round values covering `[min, max]`: steps of 1,
/// 2 or 5 times a power of ten, the first at or below `min`, the last at
/// or above `max`. Degenerate or non-finite ranges are widened around the
/// value; an empty list only for non-finite input.
pub fn nice_ticks(min: f64, max: f64, n: usize) -> Vec<f64> {
    if !min.is_finite() || !max.is_finite() {
        return Vec::new();
    }
    let (mut lo, mut hi) = if min <= max { (min, max) } else { (max, min) };
    if hi - lo < f64::EPSILON * lo.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let (nice, exp) = nice_step((hi - lo) / (n.max(2) - 1) as f64);
    let step = nice * 10f64.powi(exp);
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let count = ((last - first).max(1.0) as usize).min(1000);
    // k * nice / 10^-exp is correctly rounded (0.03, not 0.030000000000000002).
    let at = |k: f64| {
        if exp < 0 {
            k * nice / 10f64.powi(-exp)
        } else {
            k * step
        }
    };
    (0..=count).map(|i| at(first + i as f64)).collect()
}

/// A round step near `raw`: (1, 2, 5 or 10, power of ten).
fn nice_step(raw: f64) -> (f64, i32) {
    let raw = if raw > 0.0 && raw.is_finite() {
        raw
    } else {
        1.0
    };
    let exp = raw.log10().floor() as i32;
    let f = raw / 10f64.powi(exp);
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    (nice, exp)
}

/// `v` written with the decimals its tick spacing `step` needs (`0.05`,
/// `250`, `12.5k`, `2M`); values from 10,000 on get a k/M/G suffix.
pub fn tick_label(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    for (div, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if v.abs() >= 1e4 && v.abs() >= div {
            return format!("{}{suffix}", tick_label(v / div, step / div));
        }
    }
    let decimals = if step > 0.0 && step < 1.0 {
        (-step.log10() - 1e-9).ceil() as usize
    } else {
        0
    };
    let s = format!("{:.*}", decimals.min(9), v);
    // `-0.00` reads as a value below zero.
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const TIME_STEPS: [i64; 16] = [
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
];

/// At most `max_labels` round times in `[from, to]` for an x axis, with
/// their labels in UTC: `HH:MM` within a day, and `Mon 03` (weekday, day of
/// the month) at midnight or when the spacing is a day or more.
pub fn time_ticks(from: i64, to: i64, max_labels: usize) -> Vec<(i64, String)> {
    if to <= from || max_labels == 0 {
        return Vec::new();
    }
    let span = to - from;
    let step = TIME_STEPS
        .iter()
        .copied()
        .find(|s| span / s < max_labels as i64)
        .unwrap_or_else(|| (span / max_labels as i64 / DAY + 1) * DAY);
    // Week-long steps start on Mondays (1970-01-05 was one).
    let anchor = if step % (7 * DAY) == 0 { 4 * DAY } else { 0 };
    let first = (from - anchor).div_euclid(step) * step + anchor;
    let first = if first < from { first + step } else { first };
    (0..)
        .map(|i| first + i * step)
        .take_while(|t| *t <= to)
        .map(|t| (t, time_label(t, step)))
        .collect()
}

/// One axis label for time `t` on an axis whose ticks are `step` apart.
pub fn time_label(t: i64, step: i64) -> String {
    let secs = t.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    if step >= DAY || rem == 0 {
        day_label(days)
    } else {
        format!("{:02}:{:02}", rem / 3600, (rem / 60) % 60)
    }
}

/// `HH:MM` in UTC, or `Mon 03 14:20` when `t` is not on the day of `now`.
pub fn moment_label(t: i64, now: i64) -> String {
    let secs = t.div_euclid(1000);
    let rem = secs.rem_euclid(86_400);
    let hm = format!("{:02}:{:02}", rem / 3600, (rem / 60) % 60);
    if secs.div_euclid(86_400) == now.div_euclid(1000).div_euclid(86_400) {
        hm
    } else {
        format!("{} {hm}", day_label(secs.div_euclid(86_400)))
    }
}

/// `Thu 26 14:00` in UTC, day always included (window bounds, legends).
pub fn day_time_label(t: i64) -> String {
    let secs = t.div_euclid(1000);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}",
        day_label(secs.div_euclid(86_400)),
        rem / 3600,
        (rem / 60) % 60
    )
}

fn day_label(days: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    format!("{weekday} {:02}", day_of_month(days))
}

// Howard Hinnant's days-to-civil, day of the month only.
fn day_of_month(days: i64) -> u32 {
    let z = days + 719_468;
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    (doy - (153 * mp + 2) / 5 + 1) as u32
}

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
