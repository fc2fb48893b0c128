//! Group fairness of one protected attribute: statistical parity difference
//! and disparate impact ratio, from per-group outcome counts (pure
//! functions, formulas in `docs/drift.md`).
//!
//! For a group `g` of the attribute and the reference (privileged) group
//! `r`, with `P(pos | g) = positive(g) / total(g)`:
//!
//! - statistical parity difference `SPD(g) = P(pos | g) - P(pos | r)`
//!   (AIF360's `statistical_parity_difference` and TrustyAI's `SPD`:
//!   unprivileged minus privileged; 0 is parity, negative means `g` gets
//!   the positive outcome less often);
//! - disparate impact ratio `DIR(g) = P(pos | g) / P(pos | r)` (AIF360's
//!   `disparate_impact`, TrustyAI's `DIR`; 1 is parity; undefined when the
//!   reference never gets the positive outcome).
//!
//! The reference group is the policy's [`FairnessPolicy::reference`] for the
//! attribute when it names a group the counts have; otherwise the group
//! with the highest positive rate among the groups with enough rows, as the
//! four-fifths rule of the US Uniform Guidelines (29 CFR 1607.4(D))
//! compares every group with "the group with the highest rate". With that
//! default, SPD <= 0 and DIR <= 1 for every group.
//!
//! A group is unfair when `|SPD| > spd_max` (default 0.1, TrustyAI's fair
//! band -0.1..0.1) or its DIR lies outside `dir_min..=1/dir_min` (default
//! 0.8, the four-fifths rule; the upper bound only matters with a
//! configured reference that is not the best-treated group). A group with
//! fewer than `min_rows` rows is judged "too few" and never unfair: its
//! rate is shown, not trusted. Counts are floats (Prometheus' `increase()`
//! extrapolates); negative or non-finite counts count as zero.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest |SPD| still fair, unless the policy says otherwise.
pub const DEFAULT_SPD_MAX: f64 = 0.1;
/// Smallest DIR still fair (the four-fifths rule), unless the policy says
/// otherwise.
pub const DEFAULT_DIR_MIN: f64 = 0.8;
/// Rows a group needs before its rate is judged, unless the policy says
/// otherwise.
pub const DEFAULT_MIN_ROWS: f64 = 30.0;
/// The `outcome` label values that count as positive when the policy
/// names none.
pub const DEFAULT_FAVORABLE: [&str; 7] = [
    "1", "true", "yes", "positive", "approved", "accepted", "granted",
];
/// The run-metric prefix of a statistical parity difference computed at
/// evaluation time (`fairness.spd.<attribute>`).
pub const RUN_METRIC_SPD: &str = "fairness.spd.";
/// The run-metric prefix of a disparate impact ratio computed at evaluation
/// time (`fairness.dir.<attribute>`).
pub const RUN_METRIC_DIR: &str = "fairness.dir.";

/// Thresholds and reference groups, carried in the profile's policy as
/// `fairness = { spd_max = 0.1, dir_min = 0.8, min_rows = 30, reference =
/// { age_band = "36-50" } }`. Every field is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FairnessPolicy {
    /// Largest |SPD| still fair ([`DEFAULT_SPD_MAX`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spd_max: Option<f64>,
    /// Smallest DIR still fair ([`DEFAULT_DIR_MIN`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir_min: Option<f64>,
    /// Rows a group needs to be judged ([`DEFAULT_MIN_ROWS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rows: Option<f64>,
    /// The reference (privileged) group per attribute; unnamed attributes
    /// use the group with the highest positive rate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reference: BTreeMap<String, String>,
    /// The `outcome` label values that count as the positive (favourable)
    /// outcome; empty means [`DEFAULT_FAVORABLE`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub favorable: Vec<String>,
}

impl FairnessPolicy {
    /// Whether every field is unset.
    pub fn is_default(&self) -> bool {
        self == &FairnessPolicy::default()
    }

    /// Whether `outcome` (an `outcome` label value) is the positive one:
    /// one of [`FairnessPolicy::favorable`], else of [`DEFAULT_FAVORABLE`]
    /// (exact, case-sensitive).
    pub fn is_favorable(&self, outcome: &str) -> bool {
        if self.favorable.is_empty() {
            DEFAULT_FAVORABLE.contains(&outcome)
        } else {
            self.favorable.iter().any(|f| f == outcome)
        }
    }

    /// The thresholds with defaults filled in.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            spd_max: self.spd_max.unwrap_or(DEFAULT_SPD_MAX),
            dir_min: self.dir_min.unwrap_or(DEFAULT_DIR_MIN),
            min_rows: self.min_rows.unwrap_or(DEFAULT_MIN_ROWS),
        }
    }

    /// Checks the thresholds: `spd_max` in [0, 1], `dir_min` in (0, 1],
    /// `min_rows` >= 0, all finite. The message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let t = self.thresholds();
        if !(t.spd_max.is_finite() && (0.0..=1.0).contains(&t.spd_max)) {
            return Err(format!(
                "fairness.spd_max must be between 0 and 1, got {}",
                t.spd_max
            ));
        }
        if !(t.dir_min.is_finite() && t.dir_min > 0.0 && t.dir_min <= 1.0) {
            return Err(format!(
                "fairness.dir_min must be above 0 and at most 1, got {}",
                t.dir_min
            ));
        }
        if !(t.min_rows.is_finite() && t.min_rows >= 0.0) {
            return Err(format!(
                "fairness.min_rows must be 0 or more, got {}",
                t.min_rows
            ));
        }
        Ok(())
    }
}

/// The thresholds a verdict used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Largest |SPD| still fair.
    pub spd_max: f64,
    /// Smallest DIR still fair; `1 / dir_min` is the largest.
    pub dir_min: f64,
    /// Rows a group needs to be judged.
    pub min_rows: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        FairnessPolicy::default().thresholds()
    }
}

impl Thresholds {
    /// Whether an SPD and a DIR (either may be unknown) pass. Unknown
    /// values never fail; NaN counts as unknown.
    pub fn fair(&self, spd: Option<f64>, dir: Option<f64>) -> bool {
        let spd_ok = spd.is_none_or(|s| s.is_nan() || s.abs() <= self.spd_max + 1e-12);
        let dir_ok = dir.is_none_or(|d| {
            d.is_nan() || (d >= self.dir_min - 1e-12 && d * self.dir_min <= 1.0 + 1e-12)
        });
        spd_ok && dir_ok
    }
}

/// One group's outcome counts over the window.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupCounts {
    /// Rows with the positive outcome.
    pub positive: f64,
    /// All rows of the group.
    pub total: f64,
}

impl GroupCounts {
    /// `positive / total`, `None` when the group has no rows. Counts are
    /// clamped: negative or non-finite as 0, positive at most total.
    pub fn rate(&self) -> Option<f64> {
        let total = clean(self.total);
        (total > 0.0).then(|| clean(self.positive).min(total) / total)
    }
}

fn clean(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 { x } else { 0.0 }
}

/// A verdict on a group or an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Within the thresholds.
    Fair,
    /// The reference group itself (SPD 0, DIR 1 by definition).
    Reference,
    /// Fewer rows than `min_rows` (or no reference to compare with).
    TooFew,
    /// Past a threshold.
    Unfair,
}

impl Verdict {
    /// The word the front ends show.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Fair => "fair",
            Verdict::Reference => "reference",
            Verdict::TooFew => "too few",
            Verdict::Unfair => "unfair",
        }
    }
}

/// How the reference group was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceChoice {
    /// Named by the policy.
    Policy,
    /// The group with the highest positive rate (among groups with enough
    /// rows).
    HighestRate,
}

/// One group of an attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFairness {
    /// The group (a value of the attribute), raw.
    pub group: String,
    /// Rows with the positive outcome.
    pub positive: f64,
    /// All rows.
    pub total: f64,
    /// Positive rate; `None` without rows.
    pub rate: Option<f64>,
    /// Statistical parity difference against the reference.
    pub spd: Option<f64>,
    /// Disparate impact ratio against the reference; `None` when the
    /// reference's rate is 0.
    pub dir: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// One protected attribute: every group, the reference, the worst group
/// and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeFairness {
    /// The attribute (e.g. `age_band`), raw.
    pub attribute: String,
    /// The reference (privileged) group; `None` when no group qualifies,
    /// or when the numbers were computed elsewhere without naming it.
    pub reference: Option<String>,
    /// How the reference was chosen (`None` with no reference).
    pub reference_choice: Option<ReferenceChoice>,
    /// Every group, in name order (empty for scores computed elsewhere).
    pub groups: Vec<GroupFairness>,
    /// The judged group furthest from parity (the lowest DIR, else the
    /// largest |SPD|); `None` when none was judged.
    pub worst_group: Option<String>,
    /// The worst SPD (largest |SPD| among judged groups).
    pub spd: Option<f64>,
    /// The worst DIR (furthest from 1 on a log scale among judged groups).
    pub dir: Option<f64>,
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// `unfair` when any group is, `fair` when at least one group was
    /// judged, else `too_few`.
    pub verdict: Verdict,
}

/// `rate - reference_rate`.
pub fn spd(rate: f64, reference_rate: f64) -> f64 {
    rate - reference_rate
}

/// `rate / reference_rate`; `None` when the reference rate is not above 0.
pub fn dir(rate: f64, reference_rate: f64) -> Option<f64> {
    (reference_rate > 0.0 && reference_rate.is_finite()).then(|| rate / reference_rate)
}

/// Every group of `attribute` against its reference group (see the module
/// documentation for the choice of reference and the verdicts).
pub fn evaluate_attribute(
    attribute: &str,
    counts: &BTreeMap<String, GroupCounts>,
    policy: &FairnessPolicy,
) -> AttributeFairness {
    let t = policy.thresholds();
    let enough = |c: &GroupCounts| clean(c.total) >= t.min_rows && c.rate().is_some();
    let configured = policy
        .reference
        .get(attribute)
        .filter(|g| counts.contains_key(g.as_str()));
    let (reference, choice) = match configured {
        Some(g) => (Some(g.clone()), Some(ReferenceChoice::Policy)),
        None => {
            let mut best: Option<(&String, f64)> = None;
            for (g, c) in counts.iter().filter(|(_, c)| enough(c)) {
                let r = c.rate().unwrap_or(0.0);
                if best.is_none_or(|(_, b)| r > b) {
                    best = Some((g, r));
                }
            }
            match best {
                Some((g, _)) => (Some(g.clone()), Some(ReferenceChoice::HighestRate)),
                None => (None, None),
            }
        }
    };
    // A configured reference with too few rows judges nobody.
    let ref_rate = reference
        .as_ref()
        .and_then(|g| counts.get(g))
        .filter(|c| enough(c))
        .and_then(GroupCounts::rate);
    let groups: Vec<GroupFairness> = counts
        .iter()
        .map(|(g, c)| {
            let rate = c.rate();
            let is_ref = reference.as_deref() == Some(g.as_str());
            let (spd_v, dir_v) = match (rate, ref_rate) {
                (Some(r), Some(rr)) => (Some(spd(r, rr)), dir(r, rr)),
                _ => (None, None),
            };
            let verdict = if is_ref && ref_rate.is_some() {
                Verdict::Reference
            } else if !enough(c) || ref_rate.is_none() {
                Verdict::TooFew
            } else if t.fair(spd_v, dir_v) {
                Verdict::Fair
            } else {
                Verdict::Unfair
            };
            GroupFairness {
                group: g.clone(),
                positive: clean(c.positive),
                total: clean(c.total),
                rate,
                spd: spd_v,
                dir: dir_v,
                verdict,
            }
        })
        .collect();
    let judged = || {
        groups
            .iter()
            .filter(|g| matches!(g.verdict, Verdict::Fair | Verdict::Unfair))
    };
    let worst_spd = judged()
        .filter_map(|g| g.spd)
        .fold(None, |acc: Option<f64>, s| {
            Some(acc.map_or(s, |a| if s.abs() > a.abs() { s } else { a }))
        });
    let worst_dir = judged()
        .filter_map(|g| g.dir)
        .fold(None, |acc: Option<f64>, d| {
            Some(acc.map_or(d, |a| {
                if dir_distance(d) > dir_distance(a) {
                    d
                } else {
                    a
                }
            }))
        });
    let worst_group = judged()
        .max_by(|a, b| {
            let key = |g: &GroupFairness| {
                (
                    g.verdict == Verdict::Unfair,
                    g.dir.map_or(0.0, dir_distance),
                    g.spd.map_or(0.0, f64::abs),
                )
            };
            key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal)
                // On a tie keep the first in name order.
                .then(std::cmp::Ordering::Greater)
        })
        .map(|g| g.group.clone());
    let verdict = if judged().any(|g| g.verdict == Verdict::Unfair) {
        Verdict::Unfair
    } else if judged().next().is_some() {
        Verdict::Fair
    } else {
        Verdict::TooFew
    };
    AttributeFairness {
        attribute: attribute.to_string(),
        reference: reference.filter(|_| ref_rate.is_some() || configured.is_some()),
        reference_choice: choice.filter(|_| ref_rate.is_some() || configured.is_some()),
        groups,
        worst_group,
        spd: worst_spd,
        dir: worst_dir,
        thresholds: t,
        verdict,
    }
}

/// How far a DIR is from parity, symmetric in the ratio: `|ln dir|`
/// (0 for 1; a DIR of 0 is infinitely far).
pub fn dir_distance(d: f64) -> f64 {
    if d <= 0.0 {
        f64::INFINITY
    } else {
        d.ln().abs()
    }
}

/// An attribute's SPD and DIR computed elsewhere (TrustyAI's gauges, an
/// MLflow run's `fairness.spd.<attribute>` / `fairness.dir.<attribute>`),
/// judged by the same thresholds; no groups, no reference. `None` when
/// both are missing. Non-finite values count as missing.
pub fn evaluate_reported(
    attribute: &str,
    spd: Option<f64>,
    dir: Option<f64>,
    policy: &FairnessPolicy,
) -> Option<AttributeFairness> {
    let spd = spd.filter(|v| v.is_finite());
    let dir = dir.filter(|v| v.is_finite());
    if spd.is_none() && dir.is_none() {
        return None;
    }
    let t = policy.thresholds();
    Some(AttributeFairness {
        attribute: attribute.to_string(),
        reference: None,
        reference_choice: None,
        groups: Vec::new(),
        worst_group: None,
        spd,
        dir,
        thresholds: t,
        verdict: if t.fair(spd, dir) {
            Verdict::Fair
        } else {
            Verdict::Unfair
        },
    })
}

/// The attributes an MLflow run reports: every `fairness.spd.<attribute>`
/// and `fairness.dir.<attribute>` metric, judged by `policy`, in name
/// order. Attributes with an empty name are ignored.
pub fn from_run_metrics(
    metrics: &BTreeMap<String, f64>,
    policy: &FairnessPolicy,
) -> Vec<AttributeFairness> {
    let mut by_attr: BTreeMap<&str, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for (k, v) in metrics {
        if let Some(a) = k.strip_prefix(RUN_METRIC_SPD).filter(|a| !a.is_empty()) {
            by_attr.entry(a).or_default().0 = Some(*v);
        } else if let Some(a) = k.strip_prefix(RUN_METRIC_DIR).filter(|a| !a.is_empty()) {
            by_attr.entry(a).or_default().1 = Some(*v);
        }
    }
    by_attr
        .into_iter()
        .filter_map(|(a, (s, d))| evaluate_reported(a, s, d, policy))
        .collect()
}

/// Outcome counts of one model version over one window, as the metrics
/// backend reports them (issue 10's convention: the counter
/// `modeldeck_outcome_total{model,version,attribute,group,outcome}`, one
/// series per protected attribute, group and outcome).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeSample {
    /// End of the window.
    pub at: crate::domain::Timestamp,
    /// Window length, milliseconds.
    pub window_ms: i64,
    /// One row per (attribute, group, outcome) with data.
    pub counts: Vec<OutcomeCount>,
}

/// Rows of one attribute's group with one outcome over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeCount {
    /// The protected attribute (label `attribute`).
    pub attribute: String,
    /// Its group (label `group`).
    pub group: String,
    /// The outcome (label `outcome`).
    pub outcome: String,
    /// Rows (an `increase()`, so possibly fractional).
    pub count: f64,
}

impl OutcomeSample {
    /// Per attribute, per group: positive rows (outcomes `policy` deems
    /// favourable) and all rows. Non-finite or negative counts count as 0.
    pub fn group_counts(
        &self,
        policy: &FairnessPolicy,
    ) -> BTreeMap<String, BTreeMap<String, GroupCounts>> {
        let mut out: BTreeMap<String, BTreeMap<String, GroupCounts>> = BTreeMap::new();
        for c in &self.counts {
            let n = clean(c.count);
            let g = out
                .entry(c.attribute.clone())
                .or_default()
                .entry(c.group.clone())
                .or_default();
            g.total += n;
            if policy.is_favorable(&c.outcome) {
                g.positive += n;
            }
        }
        out
    }

    /// Every attribute of the sample, judged by `policy`, in name order.
    pub fn evaluate(&self, policy: &FairnessPolicy) -> Vec<AttributeFairness> {
        self.group_counts(policy)
            .iter()
            .map(|(a, groups)| evaluate_attribute(a, groups, policy))
            .collect()
    }

    /// The outcome values seen per attribute, for messages when none is
    /// favourable.
    pub fn outcomes(&self, attribute: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .counts
            .iter()
            .filter(|c| c.attribute == attribute)
            .map(|c| c.outcome.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// One of TrustyAI's fairness gauges (`trustyai_spd`, `trustyai_dir`),
/// computed by TrustyAI for one request: the protected attribute, its
/// privileged and unprivileged values. Shown as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessGauge {
    /// `spd` or `dir` (from the metric name).
    pub metric: String,
    /// The protected attribute (label `protected`; empty when absent).
    pub attribute: String,
    /// The privileged value (label `privileged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<String>,
    /// The unprivileged value (label `unprivileged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unprivileged: Option<String>,
    /// TrustyAI's request id (label `request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The gauge's value.
    pub value: f64,
}

/// TrustyAI's gauges as attributes: the SPD and DIR gauges of the same
/// attribute, privileged and unprivileged values are paired into one row
/// whose `reference` is the privileged value and `worst_group` the
/// unprivileged one, judged by `policy`'s thresholds. In attribute order.
pub fn from_gauges(gauges: &[FairnessGauge], policy: &FairnessPolicy) -> Vec<AttributeFairness> {
    type Key = (String, Option<String>, Option<String>);
    let mut by: BTreeMap<Key, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for g in gauges {
        let k = (
            g.attribute.clone(),
            g.privileged.clone(),
            g.unprivileged.clone(),
        );
        let e = by.entry(k).or_default();
        match g.metric.as_str() {
            "spd" => e.0 = Some(g.value),
            "dir" => e.1 = Some(g.value),
            _ => {}
        }
    }
    by.into_iter()
        .filter_map(|((a, p, u), (s, d))| {
            let mut row = evaluate_reported(&a, s, d, policy)?;
            row.reference = p;
            row.worst_group = u;
            Some(row)
        })
        .collect()
}

#[cfg(test)]
#[path = "fairness_tests.rs"]
mod tests;
