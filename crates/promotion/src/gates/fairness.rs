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
//! and the gate takes the worst status. The older form `{ metric, max_gap }`
//! (one run metric of the candidate at most `max_gap`) is judged as before,
//! alone or next to the per-group part.

use super::drift_eval::{combine, versions_of};
use super::{Contenders, Target, gate, num};
use crate::policy::Policy;
use crate::tags::shorten;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{GateResult, GateStatus, ModelVersion, RunData};
use modeldeck_core::drift::fairness::{
    self, AttributeFairness, FairnessPolicy, OutcomeSample, Thresholds, Verdict, dir_distance,
};
use modeldeck_core::drift::text;
use modeldeck_core::error::{ErrorCode, PortResult};

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

/// Every source's part; with none, one inconclusive part naming what is
/// missing.
pub fn judge(evidence: &[Evidence]) -> Vec<(GateStatus, String)> {
    let parts: Vec<_> = evidence.iter().filter_map(judge_part).collect();
    if !parts.is_empty() {
        return parts;
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
    vec![(GateStatus::Inconclusive, format!("no fairness data: {why}"))]
}

/// The gate on `evidence` alone (the per-group part).
pub fn judge_gate(evidence: &[Evidence]) -> Option<GateResult> {
    combine(FAIRNESS_GATE, judge(evidence))
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

/// The policy's keys over the reference profile's (thresholds and
/// favourable outcomes: the policy's when set; reference groups: the
/// profile's, then the policy's per attribute).
pub fn merged(rule: &FairnessPolicy, profile: Option<&FairnessPolicy>) -> FairnessPolicy {
    let Some(p) = profile else {
        return rule.clone();
    };
    let mut reference = p.reference.clone();
    reference.extend(rule.reference.clone());
    FairnessPolicy {
        spd_max: rule.spd_max.or(p.spd_max),
        dir_min: rule.dir_min.or(p.dir_min),
        min_rows: rule.min_rows.or(p.min_rows),
        reference,
        favorable: if rule.favorable.is_empty() {
            p.favorable.clone()
        } else {
            rule.favorable.clone()
        },
    }
}

/// The candidate's run metrics, judged.
pub fn read_run(
    candidate: &(ModelVersion, PortResult<Option<RunData>>),
    p: &FairnessPolicy,
) -> Reading {
    let (v, run) = candidate;
    match run {
        Err(e) => Reading::Failed(format!("cannot read candidate v{} run: {e}", v.version)),
        Ok(None) => Reading::Absent(format!("candidate v{} has no training run", v.version)),
        Ok(Some(r)) => {
            let rows = fairness::from_run_metrics(&r.metrics, p);
            if rows.is_empty() {
                Reading::Absent(format!(
                    "candidate v{}'s run has no fairness.spd.<attribute> or fairness.dir.<attribute> metrics",
                    v.version
                ))
            } else {
                Reading::Judged {
                    rows,
                    unjudged: Vec::new(),
                }
            }
        }
    }
}

/// One version's outcome counters, judged per attribute (as
/// `Console::fairness` does: an attribute none of whose outcomes is
/// favourable cannot be judged).
pub fn read_sample(sample: &OutcomeSample, version: &str, p: &FairnessPolicy) -> Reading {
    if sample.counts.is_empty() {
        return Reading::Absent(format!(
            "no outcome counters of v{version} over {}",
            text::window(sample.window_ms)
        ));
    }
    let mut rows = Vec::new();
    let mut unjudged = Vec::new();
    for (attr, groups) in sample.group_counts(p) {
        let outcomes = sample.outcomes(&attr);
        if !outcomes.iter().any(|o| p.is_favorable(o)) {
            let shown: Vec<String> = outcomes.iter().take(6).map(|o| name(o)).collect();
            unjudged.push(format!(
                "{}: none of its outcomes {shown:?} is favourable; name the positive one in fairness.favorable",
                name(&attr)
            ));
            continue;
        }
        rows.push(fairness::evaluate_attribute(&attr, &groups, p));
    }
    Reading::Judged { rows, unjudged }
}

/// The fairness policy of `version`'s reference profile (`None` without
/// one), or why it cannot be read.
async fn profile_policy(
    b: &Backends,
    model: &str,
    version: &str,
) -> Result<Option<FairnessPolicy>, String> {
    match b.registry.reference_profile(model, version).await {
        Ok(p) => Ok(p.map(|p| p.policy.fairness)),
        Err(e) if matches!(e.code, ErrorCode::Unsupported | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(format!(
            "cannot read the reference profile of v{version}: {e}"
        )),
    }
}

/// The policy a version is judged by, or why there is none.
async fn policy_for(
    b: &Backends,
    model: &str,
    version: &str,
    rule: &FairnessPolicy,
) -> Result<FairnessPolicy, String> {
    let profile = profile_policy(b, model, version).await?;
    let p = merged(rule, profile.as_ref());
    p.validate()
        .map_err(|e| format!("v{version}'s fairness policy (with its reference profile's): {e}"))?;
    Ok(p)
}

/// The versions whose counters are read: each served version once, the
/// candidate's canary unless a target already serves the candidate.
fn live_versions(c: &Contenders, targets: &[Target]) -> Vec<(String, bool)> {
    let candidate = &c.candidate.0.version;
    let champion = c.champion.as_ref().map(|(v, _)| v.version.as_str());
    let mut out: Vec<(String, bool)> = Vec::new();
    for (version, canary, _) in versions_of(targets, candidate, champion) {
        let Some(v) = version else { continue };
        match out.iter_mut().find(|(x, _)| *x == v) {
            Some((_, c)) => *c = *c && canary,
            None => out.push((v, canary)),
        }
    }
    out
}

/// Reads every source (see the module documentation).
pub async fn gather(
    b: &Backends,
    rule: &FairnessPolicy,
    window_ms: i64,
    c: &Contenders,
    targets: &[Target],
) -> Vec<Evidence> {
    let model = c.candidate.0.model.as_str();
    let candidate = c.candidate.0.version.as_str();
    let mut out = Vec::new();
    let cand_policy = policy_for(b, model, candidate, rule).await;
    out.push(Evidence {
        place: Place::Run {
            version: candidate.to_string(),
        },
        reading: match &cand_policy {
            Ok(p) => read_run(&c.candidate, p),
            Err(e) => Reading::Failed(e.clone()),
        },
    });
    let mut versions = live_versions(c, targets);
    if targets.is_empty() {
        // No workload to look at: the candidate's own counters, if it
        // serves anywhere.
        versions.push((candidate.to_string(), false));
    }
    for (version, canary) in versions {
        let reading = match policy_for(b, model, &version, rule).await {
            Err(e) => Reading::Failed(e),
            Ok(p) => match b
                .metrics
                .outcome_counts(model, &version, window_ms, None)
                .await
            {
                Ok(s) => read_sample(&s, &version, &p),
                Err(e) if e.code == ErrorCode::Unsupported => {
                    Reading::Absent("the metrics backend has no outcome counters".into())
                }
                Err(e) => Reading::Failed(format!(
                    "cannot read the outcome counters of v{version}: {e}"
                )),
            },
        };
        out.push(Evidence {
            place: Place::Live {
                version,
                canary,
                window_ms,
            },
            reading,
        });
    }
    let gauges = match b.metrics.fairness_gauges(model).await {
        Ok(g) if g.is_empty() => Reading::Absent("no TrustyAI gauges".into()),
        Ok(g) => {
            let p = cand_policy.unwrap_or_else(|_| rule.clone());
            Reading::Judged {
                rows: fairness::from_gauges(&g, &p),
                unjudged: Vec::new(),
            }
        }
        Err(e) if e.code == ErrorCode::Unsupported => {
            Reading::Absent("the metrics backend has no TrustyAI gauges".into())
        }
        Err(e) => Reading::Failed(format!("cannot read TrustyAI's gauges: {e}")),
    };
    out.push(Evidence {
        place: Place::Trustyai,
        reading: gauges,
    });
    out
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
    if let Some((metric, max_gap)) = rule.gap_part() {
        parts.push(gap_part(metric, max_gap, &c.candidate));
    }
    if let Some(groups) = rule.group_part() {
        let window_ms = policy.drift_window.as_millis_i64();
        let evidence = gather(b, &groups, window_ms, c, targets).await;
        parts.extend(judge(&evidence));
    }
    if parts.is_empty() {
        return Some(gate(
            FAIRNESS_GATE,
            GateStatus::Inconclusive,
            "nothing to judge",
        ));
    }
    combine(FAIRNESS_GATE, parts)
}

#[cfg(test)]
#[path = "fairness_tests.rs"]
mod tests;
