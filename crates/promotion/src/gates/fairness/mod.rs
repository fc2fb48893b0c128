//! The `fairness` gate on the numbers `modeldeck fairness` and the Drift
//! screen show: statistical parity difference and disparate impact ratio
//! of each protected attribute's groups, judged by
//! [`modeldeck_core::drift::fairness`] against the policy's thresholds
//! (`fairness = { spd_max = 0.1, dir_min = 0.8 }`), from every source that
//! has them:
//!
//! 1. the candidate's run metrics `fairness.spd.<attribute>` /
//!    `fairness.dir.<attribute>` (its own evaluation);
//! 2. the live outcome counters (`modeldeck_outcome_total`) over the
//!    policy's `drift_window` of each version the targets serve and of the
//!    candidate's canary, the versions the drift gate reads
//!    ([`super::drift_eval::versions_of`]);
//! 3. TrustyAI's `trustyai_spd` / `trustyai_dir` gauges of the model, when
//!    the metrics backend has them.
//!
//! Thresholds, reference groups and favourable outcomes: the policy's keys
//! when set, else the version's reference profile's (`modeldeck fairness`
//! reads those), else the defaults. Each source gives one part of the gate
//! naming its worst attribute and group; the parts are joined worst first
//! and the gate takes the worst status. When the candidate's own numbers
//! (its run metrics, its canary's counters) pass or fail, they decide and
//! the other versions' (and TrustyAI's, whose version is unknown) are shown
//! for information: an unfair champion in production must not block the
//! candidate that fixes it. The older form `{ metric, max_gap }`
//! (one run metric of the candidate at most `max_gap`) is judged as before,
//! alone or next to the per-group part.

mod read;

pub use read::{gather, merged, read_run, read_sample};

use super::drift_eval::combine;
use super::{Contenders, Target, gate, num};
use crate::policy::Policy;
use crate::tags::shorten;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{GateResult, GateStatus, ModelVersion, RunData};
use modeldeck_core::drift::fairness::{AttributeFairness, Thresholds, Verdict, dir_distance};
use modeldeck_core::drift::text;
use modeldeck_core::error::PortResult;

/// The gate's name.
pub const FAIRNESS_GATE: &str = "fairness";

/// Where one part's numbers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// The candidate's run metrics.
    Run {
        /// The candidate.
        version: String,
    },
    /// The outcome counters of one version over a window.
    Live {
        /// The version.
        version: String,
        /// The candidate's canary traffic rather than a served version's.
        canary: bool,
        /// Window, milliseconds.
        window_ms: i64,
    },
    /// TrustyAI's gauges of the model (latest values, any version).
    Trustyai,
}

impl Place {
    /// Whether these are the candidate's own numbers (its run, or live
    /// traffic of its version); TrustyAI's gauges carry no version.
    pub fn is_candidates(&self, candidate: &str) -> bool {
        match self {
            Place::Run { .. } => true,
            Place::Live { version, .. } => version == candidate,
            Place::Trustyai => false,
        }
    }

    /// `live counters, v4, 24h`, `live counters, v7 canary, 1h`,
    /// `MLflow run metrics, v7`, `TrustyAI`.
    pub fn words(&self) -> String {
        match self {
            Place::Run { version } => format!("MLflow run metrics, v{}", name(version)),
            Place::Live {
                version,
                canary,
                window_ms,
            } => format!(
                "live counters, v{}{}, {}",
                name(version),
                if *canary { " canary" } else { "" },
                text::window(*window_ms)
            ),
            Place::Trustyai => "TrustyAI".into(),
        }
    }
}

/// What one source gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Attributes judged, and attributes that could not be (why).
    Judged {
        /// One row per attribute.
        rows: Vec<AttributeFairness>,
        /// Attributes with data that cannot be judged, each with why.
        unjudged: Vec<String>,
    },
    /// Nothing to judge from this source, and why.
    Absent(String),
    /// A backend failed: what and how.
    Failed(String),
}

/// One source's reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Where from.
    pub place: Place,
    /// What it gave.
    pub reading: Reading,
}

/// Text from other systems (attribute and group names) as a gate shows
/// it: no control or bidi characters, at most 60 bytes.
fn name(s: &str) -> String {
    shorten(&modeldeck_core::text::clean(s), 60)
}

/// `SPD -0.27 < -0.1`, `SPD -0.05 ≥ -0.1`, `SPD 0.12 > 0.1`.
pub fn spd_versus(spd: f64, t: &Thresholds) -> String {
    let fair = spd.abs() <= t.spd_max + 1e-12;
    let v = text::number(spd);
    match (spd < 0.0, fair) {
        (true, true) => format!("SPD {v} ≥ {}", text::number(-t.spd_max)),
        (true, false) => format!("SPD {v} < {}", text::number(-t.spd_max)),
        (false, true) => format!("SPD {v} ≤ {}", text::number(t.spd_max)),
        (false, false) => format!("SPD {v} > {}", text::number(t.spd_max)),
    }
}

/// `DIR 0.603 < 0.8`, `DIR 0.9 ≥ 0.8`, and above parity against
/// `1 / dir_min`: `DIR 1.3 > 1.25`.
pub fn dir_versus(dir: f64, t: &Thresholds) -> String {
    let v = text::number(dir);
    if dir < 1.0 {
        let cmp = if dir >= t.dir_min - 1e-12 { "≥" } else { "<" };
        format!("DIR {v} {cmp} {}", text::number(t.dir_min))
    } else {
        let cmp = if dir * t.dir_min <= 1.0 + 1e-12 {
            "≤"
        } else {
            ">"
        };
        format!("DIR {v} {cmp} {}", text::number(1.0 / t.dir_min))
    }
}

/// The worst group's name, SPD and DIR (its own, not the attribute's
/// worst of each, which may come from two groups).
fn worst_of(a: &AttributeFairness) -> (Option<&str>, Option<f64>, Option<f64>) {
    let group = a.worst_group.as_deref();
    match group.and_then(|g| a.groups.iter().find(|x| x.group == g)) {
        Some(g) => (group, g.spd, g.dir),
        None => (group, a.spd, a.dir),
    }
}

/// How far from parity the worst group is: (|ln DIR|, |SPD|).
fn distance(a: &AttributeFairness) -> (f64, f64) {
    let (_, spd, dir) = worst_of(a);
    (
        dir.filter(|d| !d.is_nan()).map_or(0.0, dir_distance),
        spd.filter(|s| !s.is_nan()).map_or(0.0, f64::abs),
    )
}

/// One attribute in words: `age_band 18-25 SPD -0.27 < -0.1, DIR 0.603 <
/// 0.8 vs 36-50`, or why it could not be judged.
pub fn attribute_words(a: &AttributeFairness) -> String {
    let attr = name(&a.attribute);
    let t = &a.thresholds;
    if a.verdict == Verdict::TooFew {
        let few: Vec<String> = a
            .groups
            .iter()
            .filter(|g| g.total < t.min_rows)
            .take(4)
            .map(|g| format!("{} {}", name(&g.group), text::number(g.total)))
            .collect();
        let listed = if few.is_empty() {
            "no group to compare with".to_string()
        } else {
            format!("rows: {}", few.join(", "))
        };
        return format!(
            "{attr}: too few rows to judge, groups need {} ({listed})",
            text::number(t.min_rows)
        );
    }
    let (group, spd, dir) = worst_of(a);
    let mut s = attr;
    if let Some(g) = group {
        s.push(' ');
        s.push_str(&name(g));
    }
    let mut nums = Vec::new();
    if let Some(v) = spd.filter(|v| v.is_finite()) {
        nums.push(spd_versus(v, t));
    }
    if let Some(v) = dir.filter(|v| v.is_finite()) {
        nums.push(dir_versus(v, t));
    }
    if !nums.is_empty() {
        s.push(' ');
        s.push_str(&nums.join(", "));
    }
    if let Some(r) = &a.reference {
        s.push_str(" vs ");
        s.push_str(&name(r));
    }
    s
}

fn rank(s: GateStatus) -> u8 {
    match s {
        GateStatus::Fail => 0,
        GateStatus::Inconclusive => 1,
        GateStatus::Pending => 2,
        GateStatus::Pass => 3,
    }
}

/// One source's part of the gate (`None` when it had nothing): the worst
/// attribute (unfair first, then one that cannot be judged, then the
/// furthest from parity) with where the numbers come from, and how many
/// attributes are unfair when there are several.
pub fn judge_part(e: &Evidence) -> Option<(GateStatus, String)> {
    let (rows, unjudged) = match &e.reading {
        Reading::Absent(_) => return None,
        Reading::Failed(m) => return Some((GateStatus::Fail, m.clone())),
        Reading::Judged { rows, unjudged } => (rows, unjudged),
    };
    let mut items: Vec<(GateStatus, (f64, f64), String)> = rows
        .iter()
        .map(|a| {
            let status = match a.verdict {
                Verdict::Unfair => GateStatus::Fail,
                Verdict::TooFew => GateStatus::Inconclusive,
                Verdict::Fair | Verdict::Reference => GateStatus::Pass,
            };
            (status, distance(a), attribute_words(a))
        })
        .collect();
    items.extend(
        unjudged
            .iter()
            .map(|u| (GateStatus::Inconclusive, (0.0, 0.0), u.clone())),
    );
    let n = items.len();
    let unfair = items
        .iter()
        .filter(|(s, _, _)| *s == GateStatus::Fail)
        .count();
    items.sort_by(|a, b| {
        rank(a.0)
            .cmp(&rank(b.0))
            .then(b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal))
    });
    let (status, _, words) = items.into_iter().next()?;
    let count = if n > 1 {
        format!(", {unfair} of {n} attributes unfair")
    } else {
        String::new()
    };
    Some((status, format!("{words} ({}){count}", e.place.words())))
}

/// The per-group part of the gate: the parts that count, and the parts
/// shown for information only.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Judgement {
    /// Parts that make the gate's status.
    pub parts: Vec<(GateStatus, String)>,
    /// Other versions' numbers (and TrustyAI's, whose version is unknown)
    /// when the candidate's own numbers judge it: shown, not counted.
    pub info: Vec<String>,
}

/// Every source's part. The candidate's own live numbers (its canary or
/// served traffic) decide when any of them passes or fails: the served
/// champion's outcomes say nothing about a candidate that may be its fix,
/// so they are then shown for information. The candidate's run metrics
/// alone are self-reported: with them, a failing production part becomes
/// inconclusive (a human confirms) rather than information. Without the
/// candidate's numbers every source counts (the model in production). A source
/// that failed always counts. With no part at all, one inconclusive part
/// naming what each source lacked.
pub fn judge(evidence: &[Evidence], candidate: &str) -> Judgement {
    let mut out = Judgement::default();
    let (mut own_live, mut own_run) = (false, false);
    let mut others = Vec::new();
    for e in evidence {
        let Some(part) = judge_part(e) else { continue };
        if matches!(e.reading, Reading::Failed(_)) {
            out.parts.push(part);
        } else if e.place.is_candidates(candidate) {
            if matches!(part.0, GateStatus::Pass | GateStatus::Fail) {
                match e.place {
                    Place::Run { .. } => own_run = true,
                    _ => own_live = true,
                }
            }
            out.parts.push(part);
        } else {
            others.push(part);
        }
    }
    if own_live {
        out.info = others.into_iter().map(|(_, w)| w).collect();
    } else if own_run {
        // Run metrics are self-reported: anyone who may write the
        // candidate's run can log a fair `fairness.spd.*`. They cannot
        // clear production's numbers alone; a failing one asks a human.
        out.parts.extend(others.into_iter().map(|(s, w)| match s {
            GateStatus::Fail => (
                GateStatus::Inconclusive,
                format!(
                    "{w}: the candidate's run metrics say otherwise, but anyone who may \
                     write its run can log them; a canary's live numbers decide, or a human"
                ),
            ),
            _ => (s, w),
        }));
    } else {
        out.parts.extend(others);
    }
    if !out.parts.is_empty() {
        return out;
    }
    let why: Vec<&str> = evidence
        .iter()
        .filter_map(|e| match &e.reading {
            Reading::Absent(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let why = if why.is_empty() {
        "no source to read".to_string()
    } else {
        why.join(", ")
    };
    out.parts
        .push((GateStatus::Inconclusive, format!("no fairness data: {why}")));
    out
}

/// `parts` combined worst first, then the `info` lines.
fn finish(parts: Vec<(GateStatus, String)>, info: &[String]) -> Option<GateResult> {
    let mut g = combine(FAIRNESS_GATE, parts)?;
    if !info.is_empty() {
        g.detail
            .push_str("; for information (not the candidate's): ");
        g.detail.push_str(&info.join("; "));
    }
    Some(g)
}

/// The gate on `evidence` alone (the per-group part), for `candidate`.
pub fn judge_gate(evidence: &[Evidence], candidate: &str) -> Option<GateResult> {
    let j = judge(evidence, candidate);
    finish(j.parts, &j.info)
}

/// The older form: the candidate's `metric` at most `max_gap`.
pub fn gap_part(
    metric: &str,
    max_gap: f64,
    candidate: &(ModelVersion, PortResult<Option<RunData>>),
) -> (GateStatus, String) {
    let (v, run) = candidate;
    match run {
        Err(e) => (
            GateStatus::Fail,
            format!("cannot read candidate v{} run: {e}", v.version),
        ),
        Ok(None) => (
            GateStatus::Inconclusive,
            format!("candidate v{} has no training run", v.version),
        ),
        Ok(Some(r)) => match r.metrics.get(metric) {
            Some(g) if g.is_finite() && *g <= max_gap => (
                GateStatus::Pass,
                format!("{metric} {} <= max {}", num(*g), num(max_gap)),
            ),
            Some(g) if g.is_finite() => (
                GateStatus::Fail,
                format!("{metric} {} > max {}", num(*g), num(max_gap)),
            ),
            Some(_) => (
                GateStatus::Inconclusive,
                format!("{metric} is not a number"),
            ),
            None => (
                GateStatus::Inconclusive,
                format!("candidate v{} has no {metric} metric", v.version),
            ),
        },
    }
}

/// The `fairness` gate, when the policy configures one: the older gap
/// part and/or the per-group part over every source.
pub async fn fairness_gate(
    b: &Backends,
    policy: &Policy,
    c: &Contenders,
    targets: &[Target],
) -> Option<GateResult> {
    let rule = policy.fairness.as_ref()?;
    let mut parts = Vec::new();
    let mut info = Vec::new();
    if let Some((metric, max_gap)) = rule.gap_part() {
        parts.push(gap_part(metric, max_gap, &c.candidate));
    }
    if let Some(groups) = rule.group_part() {
        let window_ms = policy.drift_window.as_millis_i64();
        let evidence = gather(b, &groups, window_ms, c, targets).await;
        let j = judge(&evidence, &c.candidate.0.version);
        parts.extend(j.parts);
        info = j.info;
    }
    if parts.is_empty() {
        return Some(gate(
            FAIRNESS_GATE,
            GateStatus::Inconclusive,
            "nothing to judge",
        ));
    }
    finish(parts, &info)
}

#[cfg(test)]
mod policy_tests;
#[cfg(test)]
mod tests;
