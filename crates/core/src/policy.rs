//! Per-model promotion policy: which metrics must not regress (direction,
//! tolerance), drift and SLO thresholds, fairness limits, how many approvals,
//! how long an approval lives, whether the last approval executes. A
//! [`PolicySet`] picks the first rule whose glob matches the model name.
//!
//! ```toml
//! [default]
//! min_approvals = 1
//!
//! [[rules]]
//! models = "fraud-*"
//! [rules.policy]
//! min_approvals = 2
//! approval_ttl = "24h"
//! metrics = [{ name = "auc", tolerance = 0.005 }]
//! fairness = { spd_max = 0.1, dir_min = 0.8 }
//! canary_steps = [10, 50]
//! ```

use crate::compare::Direction;
use crate::drift::fairness::FairnessPolicy;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::time::Duration;

/// A metric the candidate must not lose on against the champion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricRule {
    /// Run metric key (`auc`, `val_loss`).
    pub name: String,
    /// Better high or low; guessed from the name when absent.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Relative difference treated as a tie (0.005 = 0.5 %).
    #[serde(default)]
    pub tolerance: f64,
}

/// Live service-level objectives checked on a canary and after deploy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Slo {
    /// Highest acceptable p99 latency, seconds.
    pub latency_p99_max_secs: Option<f64>,
    /// Highest acceptable error ratio (0..=1).
    pub error_ratio_max: Option<f64>,
}

impl Default for Slo {
    fn default() -> Self {
        Slo {
            latency_p99_max_secs: Some(0.5),
            error_ratio_max: Some(0.01),
        }
    }
}

/// The `fairness` gate's rule, in two parts that may be combined:
///
/// - per group (`fairness = { spd_max = 0.1, dir_min = 0.8 }`, every key
///   optional, the same keys and meaning as a reference profile's
///   [`FairnessPolicy`]): statistical parity difference and disparate
///   impact ratio of each protected attribute's groups, from the
///   candidate's run metrics `fairness.spd.<attribute>` /
///   `fairness.dir.<attribute>`, the live outcome counters of the versions
///   the targets serve and of the candidate's canary, and TrustyAI's gauges;
/// - a gap (`fairness = { metric = "demographic_parity_gap", max_gap =
///   0.05 }`, both keys together): one run metric of the candidate at most
///   `max_gap`.
///
/// The group part is on unless the rule is only a gap (`fairness = {}`
/// turns it on with the defaults).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FairnessRule {
    /// Run metric holding the gap (`demographic_parity_gap`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// Highest acceptable value of `metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gap: Option<f64>,
    /// Largest |SPD| still fair (default 0.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spd_max: Option<f64>,
    /// Smallest DIR still fair (default 0.8, the four-fifths rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir_min: Option<f64>,
    /// Rows a group needs before it is judged (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rows: Option<f64>,
    /// The reference group per attribute (`{ age_band = "36-50" }`);
    /// unnamed attributes use the group with the highest positive rate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reference: BTreeMap<String, String>,
    /// The `outcome` label values that count as positive (default
    /// `approved`, `1`, `true`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub favorable: Vec<String>,
}

impl FairnessRule {
    /// The older form alone: `metric` at most `max_gap`.
    pub fn gap(metric: impl Into<String>, max_gap: f64) -> FairnessRule {
        FairnessRule {
            metric: Some(metric.into()),
            max_gap: Some(max_gap),
            ..FairnessRule::default()
        }
    }

    /// The per-group form alone.
    pub fn groups(p: FairnessPolicy) -> FairnessRule {
        FairnessRule {
            spd_max: p.spd_max,
            dir_min: p.dir_min,
            min_rows: p.min_rows,
            reference: p.reference,
            favorable: p.favorable,
            ..FairnessRule::default()
        }
    }

    /// The gap part: `(metric, max_gap)` when both are set.
    pub fn gap_part(&self) -> Option<(&str, f64)> {
        Some((self.metric.as_deref()?, self.max_gap?))
    }

    /// The per-group part, unless the rule is only a gap.
    pub fn group_part(&self) -> Option<FairnessPolicy> {
        let p = FairnessPolicy {
            spd_max: self.spd_max,
            dir_min: self.dir_min,
            min_rows: self.min_rows,
            reference: self.reference.clone(),
            favorable: self.favorable.clone(),
        };
        (self.gap_part().is_none() || !p.is_default()).then_some(p)
    }

    /// Checks both parts; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        match (&self.metric, self.max_gap) {
            (Some(m), Some(g)) => {
                if m.trim().is_empty() {
                    return Err("fairness.metric is empty".into());
                }
                if !(g.is_finite() && g >= 0.0) {
                    return Err(format!(
                        "fairness.max_gap must be a non-negative number, got {g}"
                    ));
                }
            }
            (Some(_), None) => {
                return Err(
                    "fairness.metric needs fairness.max_gap (the highest acceptable value)".into(),
                );
            }
            (None, Some(_)) => {
                return Err(
                    "fairness.max_gap needs fairness.metric (the run metric holding the gap)"
                        .into(),
                );
            }
            (None, None) => {}
        }
        let Some(p) = self.group_part() else {
            return Ok(());
        };
        p.validate()?;
        for (attribute, group) in &p.reference {
            if attribute.trim().is_empty() {
                return Err("fairness.reference has an empty attribute name".into());
            }
            if group.trim().is_empty() {
                return Err(format!(
                    "fairness.reference.{attribute} names an empty group"
                ));
            }
        }
        if p.favorable.iter().any(|f| f.trim().is_empty()) {
            return Err("fairness.favorable holds an empty outcome".into());
        }
        Ok(())
    }
}

/// What fails the drift gate when the targets' version has a reference
/// profile: any drifted feature (as Evidently's `DataDriftTestPreset` fails
/// on any `TestColumnDrift`), or only dataset drift (the share of drifted
/// features at the profile's `dataset_share`, as `TestShareOfDriftedColumns`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftFailOn {
    /// Any input feature whose score passes its threshold.
    #[default]
    Feature,
    /// Only dataset drift.
    Dataset,
}

/// Data-quality limits on the live data of the targets' version, read over
/// [`Policy::drift_window`] against its reference profile. Rates are 0..=1.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataQualityRule {
    /// Highest live missing rate of any feature.
    pub missing_rate_max: Option<f64>,
    /// Highest rise of a feature's missing rate over the reference's.
    pub missing_increase_max: Option<f64>,
    /// Highest share of a numeric feature's live values outside the
    /// reference's range (its underflow and overflow bins).
    pub out_of_range_max: Option<f64>,
}

impl DataQualityRule {
    /// Whether any limit is set.
    pub fn is_set(&self) -> bool {
        self.missing_rate_max.is_some()
            || self.missing_increase_max.is_some()
            || self.out_of_range_max.is_some()
    }
}

/// A duration written `500ms`, `90s`, `15m`, `24h`, `7d`, or as seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl Span {
    /// Milliseconds, saturating.
    pub fn as_millis_i64(self) -> i64 {
        i64::try_from(self.0.as_millis()).unwrap_or(i64::MAX)
    }

    /// Parses `500ms`, `90s`, `15m`, `24h`, `7d` or a bare number of seconds.
    pub fn parse(text: &str) -> Result<Span, String> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u64 = num
            .parse()
            .map_err(|_| format!("`{text}` is not a duration like 90s, 15m, 24h or 7d"))?;
        let ms = match unit {
            "ms" => Some(n),
            "" | "s" => n.checked_mul(1000),
            "m" => n.checked_mul(60_000),
            "h" => n.checked_mul(3_600_000),
            "d" => n.checked_mul(86_400_000),
            other => {
                return Err(format!(
                    "`{text}`: unknown unit `{other}` (use ms, s, m, h or d)"
                ));
            }
        };
        ms.map(|ms| Span(Duration::from_millis(ms)))
            .ok_or_else(|| format!("`{text}` is too long a duration"))
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.0.as_millis();
        match ms {
            m if m % 86_400_000 == 0 && m > 0 => write!(f, "{}d", m / 86_400_000),
            m if m % 3_600_000 == 0 && m > 0 => write!(f, "{}h", m / 3_600_000),
            m if m % 60_000 == 0 && m > 0 => write!(f, "{}m", m / 60_000),
            m if m % 1000 == 0 => write!(f, "{}s", m / 1000),
            m => write!(f, "{m}ms"),
        }
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Span, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Secs(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Secs(s) => Ok(Span(Duration::from_secs(s))),
            Raw::Text(t) => Span::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// The rules one model's promotions follow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Metrics compared against the champion.
    pub metrics: Vec<MetricRule>,
    /// Highest acceptable feature PSI on the targets (`None`: no drift
    /// gate). Used when the targets' version has no reference profile (or
    /// the metrics backend no live distributions): with one, each feature
    /// is judged by its own method and threshold (`drift::evaluate`).
    pub drift_max_psi: Option<f64>,
    /// The live window the drift and data-quality gates read (1m..=90d).
    pub drift_window: Span,
    /// What fails the drift gate when a reference profile is there.
    pub drift_fail_on: DriftFailOn,
    /// Data-quality limits (none set: no `data_quality` gate).
    pub data_quality: DataQualityRule,
    /// Live SLOs.
    pub slo: Slo,
    /// Fairness limits: SPD/DIR per protected attribute and group, and/or
    /// a run metric's gap (`None`: no fairness gate).
    pub fairness: Option<FairnessRule>,
    /// Valid approvals needed (at least 1: four eyes).
    pub min_approvals: u32,
    /// How long an approval stays valid.
    pub approval_ttl: Span,
    /// Execute as soon as the last required approval arrives.
    pub auto_execute: bool,
    /// How long a rollout may take to become Available.
    pub rollout_timeout: Span,
    /// How often the rollout is polled.
    pub rollout_poll: Span,
    /// How long the new version serves before the post-deploy SLO gates
    /// are read (and, on a canary, before each step's gates are read).
    pub bake: Span,
    /// Traffic percentages a KServe InferenceService (Knative mode) goes
    /// through before the candidate takes all of it, the canary SLO gates
    /// checked at each: `[10, 50]` means 10 %, 50 %, then 100 %. Empty: the
    /// InferenceService is switched in one patch. Strictly increasing, 1..=99.
    pub canary_steps: Vec<u8>,
    /// Refuse to execute when a target cluster does not bind approvals to
    /// identities (the `modelapprovals.modeldeck.io` ledger and its
    /// admission policy, `modeldeck cluster install`). On by default: off,
    /// anyone who may write registry tags can forge an approval there.
    pub require_bound_approvals: bool,
    /// Model card fields the candidate's card must have before approval
    /// and execution (`["intended_use", "limitations", "owner"]`; empty:
    /// no `card` gate). Keys are [`crate::card::CardField`]'s.
    pub card_required: Vec<crate::card::CardField>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            metrics: Vec::new(),
            drift_max_psi: Some(0.25),
            drift_window: Span(Duration::from_secs(24 * 3600)),
            drift_fail_on: DriftFailOn::Feature,
            data_quality: DataQualityRule::default(),
            slo: Slo::default(),
            fairness: None,
            min_approvals: 1,
            approval_ttl: Span(Duration::from_secs(24 * 3600)),
            auto_execute: false,
            rollout_timeout: Span(Duration::from_secs(600)),
            rollout_poll: Span(Duration::from_secs(5)),
            bake: Span(Duration::from_secs(60)),
            canary_steps: Vec::new(),
            require_bound_approvals: true,
            card_required: Vec::new(),
        }
    }
}

impl Policy {
    /// Checks values serde cannot: thresholds finite and non-negative, at
    /// least one approval, a poll interval shorter than the timeout.
    pub fn validate(&self) -> Result<(), String> {
        let finite = |what: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!("{what} must be a non-negative number, got {v}"))
            }
        };
        for m in &self.metrics {
            if m.name.trim().is_empty() {
                return Err("metrics: a metric has an empty name".into());
            }
            finite(&format!("metrics.{}.tolerance", m.name), m.tolerance)?;
        }
        if let Some(v) = self.drift_max_psi {
            finite("drift_max_psi", v)?;
        }
        let w = self.drift_window.0;
        if w < Duration::from_secs(60) || w > Duration::from_secs(90 * 86_400) {
            return Err(format!(
                "drift_window must be between 1m and 90d, got {}",
                self.drift_window
            ));
        }
        let q = &self.data_quality;
        for (what, v) in [
            ("data_quality.missing_rate_max", q.missing_rate_max),
            ("data_quality.missing_increase_max", q.missing_increase_max),
            ("data_quality.out_of_range_max", q.out_of_range_max),
        ] {
            if let Some(v) = v
                && !(0.0..=1.0).contains(&v)
            {
                return Err(format!("{what} must be a rate between 0 and 1, got {v}"));
            }
        }
        if let Some(v) = self.slo.latency_p99_max_secs {
            finite("slo.latency_p99_max_secs", v)?;
        }
        if let Some(v) = self.slo.error_ratio_max {
            finite("slo.error_ratio_max", v)?;
        }
        if let Some(f) = &self.fairness {
            f.validate()?;
        }
        if let Some(bad) = self.canary_steps.iter().find(|p| !(1..=99).contains(*p)) {
            return Err(format!(
                "canary_steps: {bad} is not a percentage between 1 and 99 (100 is the final step)"
            ));
        }
        if self.canary_steps.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!(
                "canary_steps must increase strictly, got {:?}",
                self.canary_steps
            ));
        }
        if self.min_approvals == 0 {
            return Err("min_approvals must be at least 1 (four-eyes rule)".into());
        }
        if self.rollout_poll.0.is_zero() || self.rollout_poll >= self.rollout_timeout {
            return Err(format!(
                "rollout_poll ({}) must be above zero and below rollout_timeout ({})",
                self.rollout_poll, self.rollout_timeout
            ));
        }
        Ok(())
    }
}

/// A policy for the models whose name matches `models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// Glob on the model name: `*` any run of characters, `?` one.
    pub models: String,
    /// The policy (fields left out take the built-in defaults).
    #[serde(default)]
    pub policy: Policy,
}

/// Rules tried in order; the first match wins, else `default`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySet {
    /// Policy of models no rule matches.
    pub default: Policy,
    /// Rules, in order.
    pub rules: Vec<PolicyRule>,
}

impl PolicySet {
    /// The policy for `model`.
    pub fn for_model(&self, model: &str) -> &Policy {
        self.rules
            .iter()
            .find(|r| glob_match(&r.models, model))
            .map_or(&self.default, |r| &r.policy)
    }

    /// The set a profile's `policies."GLOB"` tables describe: `"*"` (or
    /// `"default"`) is the default; other globs become rules, the most
    /// specific first (fewest wildcards, then longest), so `fraud-detector`
    /// wins over `fraud-*`.
    ///
    /// Errors: `(glob, message)` for the first invalid policy.
    pub fn from_globs<'a>(
        globs: impl IntoIterator<Item = (&'a String, &'a Policy)>,
    ) -> Result<PolicySet, (String, String)> {
        let mut set = PolicySet::default();
        let mut rules = Vec::new();
        for (glob, policy) in globs {
            policy.validate().map_err(|e| (glob.clone(), e))?;
            if glob == "*" || glob == "default" {
                set.default = policy.clone();
            } else {
                rules.push(PolicyRule {
                    models: glob.clone(),
                    policy: policy.clone(),
                });
            }
        }
        rules.sort_by_key(|r| {
            let wild = r.models.chars().filter(|c| matches!(c, '*' | '?')).count();
            (wild, std::cmp::Reverse(r.models.len()))
        });
        set.rules = rules;
        Ok(set)
    }

    /// Validates every policy; the error names the rule.
    pub fn validate(&self) -> Result<(), String> {
        self.default
            .validate()
            .map_err(|e| format!("default: {e}"))?;
        for (i, r) in self.rules.iter().enumerate() {
            r.policy
                .validate()
                .map_err(|e| format!("rules[{i}] (models = {:?}): {e}", r.models))?;
        }
        Ok(())
    }
}

/// Glob match: `*` matches any run of characters (including none), `?`
/// exactly one, everything else itself. Linear-time, no backtracking blowup.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests;
