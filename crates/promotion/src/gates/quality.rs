//! The `data_quality` gate: the live missing rate of each feature, its rise
//! over the reference's, and the share of live values outside the
//! reference's range, from the same evaluation the drift gate reads
//! ([`super::drift_eval::gather`]), against the policy's `data_quality`
//! limits. The line names the worst feature with its live and reference
//! rates.

use super::drift_eval::{Outcome, VersionDrift, combine};
use super::live::worse;
use crate::policy::Policy;
use modeldeck_core::domain::{GateResult, GateStatus};
use modeldeck_core::drift::{DriftReport, FeatureDriftRow, text};

/// A rate as a percentage: `4.9%`, `0.51%`, `0%`.
pub fn pct(r: f64) -> String {
    format!("{}%", text::number(r * 100.0))
}

/// The reference's share in the underflow and overflow bins of a numeric
/// feature (0 when it has no bins).
fn reference_out_of_range(row: &FeatureDriftRow) -> f64 {
    match row.kind {
        modeldeck_core::drift::FeatureKind::Numeric if row.reference_share.len() >= 2 => {
            row.reference_share.first().copied().unwrap_or(0.0)
                + row.reference_share.last().copied().unwrap_or(0.0)
        }
        _ => 0.0,
    }
}

/// One check: its words, the value per feature (live, reference), the limit.
struct Check {
    what: &'static str,
    max: f64,
    value: fn(&FeatureDriftRow) -> Option<(f64, f64, f64)>,
}

/// (judged value, live rate, reference rate) for each check.
fn missing(row: &FeatureDriftRow) -> Option<(f64, f64, f64)> {
    let live = row.quality.missing_rate?;
    let reference = row.quality.reference_missing_rate.unwrap_or(0.0);
    Some((live, live, reference))
}

fn missing_rise(row: &FeatureDriftRow) -> Option<(f64, f64, f64)> {
    let (_, live, reference) = missing(row)?;
    Some((live - reference, live, reference))
}

fn out_of_range(row: &FeatureDriftRow) -> Option<(f64, f64, f64)> {
    let live = row.quality.out_of_range_rate?;
    Some((live, live, reference_out_of_range(row)))
}

fn judge(check: &Check, r: &DriftReport) -> (GateStatus, String) {
    let mut worst: Option<(&FeatureDriftRow, (f64, f64, f64))> = None;
    for row in &r.features {
        let Some(v) = (check.value)(row).filter(|v| v.0.is_finite()) else {
            continue;
        };
        if worst.is_none_or(|(_, w)| v.0 > w.0) {
            worst = Some((row, v));
        }
    }
    let Some((row, (judged, live, reference))) = worst else {
        return (
            GateStatus::Inconclusive,
            format!("{}: no live data", check.what),
        );
    };
    let fail = judged > check.max;
    let cmp = if fail { ">" } else { "≤" };
    let rise = if check.what == "missing rise" {
        format!(" = +{}", pct(judged))
    } else {
        String::new()
    };
    let status = if fail {
        GateStatus::Fail
    } else {
        GateStatus::Pass
    };
    (
        status,
        format!(
            "{} {} {} (reference {}){rise} {cmp} {}",
            row.feature,
            check.what,
            pct(live),
            pct(reference),
            pct(check.max),
        ),
    )
}

/// One evaluated version's checks, the worst first, as one part: its
/// status and `a missing 4.9% (reference 0.58%) > 2%, b out of range .. on
/// T (v7, 24h)`.
fn judge_all(checks: &[Check], item: &VersionDrift, r: &DriftReport) -> (GateStatus, String) {
    let mut judged: Vec<(GateStatus, String)> = checks.iter().map(|c| judge(c, r)).collect();
    judged.sort_by_key(|(s, _)| std::cmp::Reverse(rank(*s)));
    let status = judged
        .iter()
        .fold(GateStatus::Pass, |acc, (s, _)| worse(acc, *s));
    let words: Vec<String> = judged.into_iter().map(|(_, w)| w).collect();
    (status, format!("{} {}", words.join(", "), item.place()))
}

fn rank(s: GateStatus) -> u8 {
    match s {
        GateStatus::Fail => 3,
        GateStatus::Inconclusive => 2,
        GateStatus::Pending => 1,
        GateStatus::Pass => 0,
    }
}

/// The `data_quality` gate, when the policy sets a limit.
pub fn quality_gate(policy: &Policy, items: &[VersionDrift]) -> Option<GateResult> {
    let q = &policy.data_quality;
    let checks: Vec<Check> = [
        (q.missing_rate_max, "missing", missing as fn(&_) -> _),
        (q.missing_increase_max, "missing rise", missing_rise),
        (q.out_of_range_max, "out of range", out_of_range),
    ]
    .into_iter()
    .filter_map(|(max, what, value)| max.map(|max| Check { what, max, value }))
    .collect();
    if checks.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for item in items {
        match &item.outcome {
            Outcome::Report(r) => parts.push(judge_all(&checks, item, r)),
            Outcome::Failed(e) => parts.push((GateStatus::Fail, e.clone())),
            Outcome::NoProfile(why) => parts.push((
                GateStatus::Inconclusive,
                format!("{why} {}: data quality not measured", item.place()),
            )),
        }
    }
    if parts.is_empty() {
        return Some(super::gate(
            "data_quality",
            GateStatus::Pending,
            "no targets to measure data quality on",
        ));
    }
    combine("data_quality", parts)
}
