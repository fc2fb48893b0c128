//! Champion vs challenger: two versions side by side, metrics with a
//! direction-aware delta and a winner, params and tags diffed.

use crate::domain::{ModelVersion, RunData};
use crate::policy::MetricRule;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Whether a metric is better high or low.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Direction {
    /// Bigger is better (auc, accuracy, f1).
    HigherIsBetter,
    /// Smaller is better (loss, rmse, latency).
    LowerIsBetter,
}

/// Which side won a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Winner {
    /// The first version (usually the champion).
    A,
    /// The second version (usually the challenger).
    B,
    /// Equal within tolerance.
    Tie,
    /// One side has no value (or NaN): no verdict.
    Unknown,
}

const LOWER_IS_BETTER: [&str; 14] = [
    "loss",
    "error",
    "err",
    "rmse",
    "mse",
    "mae",
    "mape",
    "latency",
    "logloss",
    "brier",
    "fpr",
    "fnr",
    "perplexity",
    "duration",
];

/// Guesses a metric's direction from its name; `overrides` wins.
pub fn direction_of(metric: &str, overrides: &BTreeMap<String, Direction>) -> Direction {
    if let Some(d) = overrides.get(metric) {
        return *d;
    }
    let lower = metric.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| LOWER_IS_BETTER.iter().any(|l| w == l)) {
        Direction::LowerIsBetter
    } else {
        Direction::HigherIsBetter
    }
}

/// One metric compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetricDelta {
    /// Metric key.
    pub key: String,
    /// Value of version A.
    pub a: Option<f64>,
    /// Value of version B.
    pub b: Option<f64>,
    /// `b - a`, when both are finite.
    pub delta: Option<f64>,
    /// Direction used.
    pub direction: Direction,
    /// Verdict.
    pub winner: Winner,
    /// The relative tolerance the promotion policy's metric gate gives this
    /// metric (0.005 = 0.5 %), which also decided the tie here; absent when
    /// the policy names no gate on it (the console's tie tolerance applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub gate_tolerance: Option<f64>,
}

/// A param or tag compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ValueDiff {
    /// Key.
    pub key: String,
    /// Value in A.
    pub a: Option<String>,
    /// Value in B.
    pub b: Option<String>,
    /// True when they differ.
    pub differs: bool,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Side {
    /// The version.
    pub version: ModelVersion,
    /// Its run, if the registry had one.
    pub run: Option<RunData>,
}

/// Two versions of one model compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Comparison {
    /// Model name.
    pub model: String,
    /// First version.
    pub a: Side,
    /// Second version.
    pub b: Side,
    /// Metrics, sorted by key.
    pub metrics: Vec<MetricDelta>,
    /// Params, sorted by key.
    pub params: Vec<ValueDiff>,
    /// Version tags, sorted by key.
    pub tags: Vec<ValueDiff>,
}

impl Comparison {
    /// How many metrics each side wins: `(a, b)`.
    pub fn score(&self) -> (usize, usize) {
        let a = self
            .metrics
            .iter()
            .filter(|m| m.winner == Winner::A)
            .count();
        let b = self
            .metrics
            .iter()
            .filter(|m| m.winner == Winner::B)
            .count();
        (a, b)
    }
}

/// Compares two versions. `tolerance` is relative (0.001 = 0.1 %): smaller
/// differences are a tie.
pub fn compare(
    a: Side,
    b: Side,
    overrides: &BTreeMap<String, Direction>,
    tolerance: f64,
) -> Comparison {
    compare_by_policy(a, b, overrides, tolerance, &[])
}

/// As [`compare`], with the promotion policy's metric gates: a metric a
/// rule names takes the rule's direction (when it gives one) and the rule's
/// tolerance, the same numbers the gate judges with, and carries that
/// tolerance in [`MetricDelta::gate_tolerance`].
pub fn compare_by_policy(
    a: Side,
    b: Side,
    overrides: &BTreeMap<String, Direction>,
    tolerance: f64,
    rules: &[MetricRule],
) -> Comparison {
    let empty = RunData::default();
    let ra = a.run.as_ref().unwrap_or(&empty);
    let rb = b.run.as_ref().unwrap_or(&empty);
    let keys: BTreeSet<&String> = ra.metrics.keys().chain(rb.metrics.keys()).collect();
    let metrics = keys
        .into_iter()
        .map(|k| {
            let va = ra.metrics.get(k).copied();
            let vb = rb.metrics.get(k).copied();
            let rule = rules.iter().find(|r| &r.name == k);
            let direction = rule
                .and_then(|r| r.direction)
                .unwrap_or_else(|| direction_of(k, overrides));
            let gate_tolerance = rule.map(|r| r.tolerance);
            let (delta, winner) = judge(va, vb, direction, gate_tolerance.unwrap_or(tolerance));
            MetricDelta {
                key: k.clone(),
                a: va,
                b: vb,
                delta,
                direction,
                winner,
                gate_tolerance,
            }
        })
        .collect();
    let params = diff_maps(&ra.params, &rb.params);
    let tags = diff_maps(&user_tags(&a.version.tags), &user_tags(&b.version.tags));
    Comparison {
        model: a.version.model.clone(),
        a,
        b,
        metrics,
        params,
        tags,
    }
}

fn judge(a: Option<f64>, b: Option<f64>, dir: Direction, tol: f64) -> (Option<f64>, Winner) {
    match (a, b) {
        (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
            let delta = y - x;
            let scale = x.abs().max(y.abs()).max(f64::MIN_POSITIVE);
            if delta.abs() <= tol * scale {
                return (Some(delta), Winner::Tie);
            }
            let b_better = match dir {
                Direction::HigherIsBetter => delta > 0.0,
                Direction::LowerIsBetter => delta < 0.0,
            };
            (Some(delta), if b_better { Winner::B } else { Winner::A })
        }
        _ => (None, Winner::Unknown),
    }
}

/// Tag keys under this prefix are Modeldeck's own promotion records (see
/// the promotion crate), not metadata about the version: a comparison
/// leaves them out, as the MLflow UI leaves out its `mlflow.*` system tags.
pub const WORKFLOW_TAG_PREFIX: &str = "modeldeck.promotion";

fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !k.starts_with(WORKFLOW_TAG_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn diff_maps(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<ValueDiff> {
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .map(|k| {
            let va = a.get(k).cloned();
            let vb = b.get(k).cloned();
            ValueDiff {
                key: k.clone(),
                differs: va != vb,
                a: va,
                b: vb,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_follow_names() {
        let none = BTreeMap::new();
        assert_eq!(direction_of("auc", &none), Direction::HigherIsBetter);
        assert_eq!(direction_of("val_loss", &none), Direction::LowerIsBetter);
        assert_eq!(direction_of("RMSE", &none), Direction::LowerIsBetter);
        assert_eq!(direction_of("recall", &none), Direction::HigherIsBetter);
        let mut o = BTreeMap::new();
        o.insert("auc".to_string(), Direction::LowerIsBetter);
        assert_eq!(direction_of("auc", &o), Direction::LowerIsBetter);
    }

    #[test]
    fn judges_with_direction_and_tolerance() {
        let h = Direction::HigherIsBetter;
        let l = Direction::LowerIsBetter;
        assert_eq!(judge(Some(0.90), Some(0.92), h, 0.001).1, Winner::B);
        assert_eq!(judge(Some(0.90), Some(0.92), l, 0.001).1, Winner::A);
        assert_eq!(judge(Some(0.9), Some(0.9000001), h, 0.001).1, Winner::Tie);
        assert_eq!(
            judge(Some(0.9), Some(f64::NAN), h, 0.001).1,
            Winner::Unknown
        );
        assert_eq!(judge(None, Some(1.0), h, 0.001).1, Winner::Unknown);
    }

    fn side(version: &str, metrics: &[(&str, f64)]) -> Side {
        Side {
            version: ModelVersion {
                model: "fraud".into(),
                version: version.into(),
                run_id: Some(format!("run-{version}")),
                source: String::new(),
                status: crate::domain::VersionStatus::Ready,
                aliases: Vec::new(),
                tags: BTreeMap::new(),
                description: None,
                user: None,
                created_at: crate::domain::Timestamp(0),
            },
            run: Some(RunData {
                metrics: metrics
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), *v))
                    .collect(),
                ..RunData::default()
            }),
        }
    }

    #[test]
    fn policy_gates_give_their_direction_and_tolerance() {
        let a = side("7", &[("auc", 0.900), ("score", 10.0), ("recall", 0.70)]);
        let b = side("8", &[("auc", 0.901), ("score", 12.0), ("recall", 0.71)]);
        let rules = [
            // 0.1 % better is within a 0.5 % gate tolerance: a tie, as the gate says.
            MetricRule {
                name: "auc".into(),
                direction: None,
                tolerance: 0.005,
            },
            // The policy says lower is better: 12 loses to 10.
            MetricRule {
                name: "score".into(),
                direction: Some(Direction::LowerIsBetter),
                tolerance: 0.0,
            },
        ];
        let c = compare_by_policy(a.clone(), b.clone(), &BTreeMap::new(), 0.0001, &rules);
        let m = |k: &str| {
            c.metrics
                .iter()
                .find(|m| m.key == k)
                .cloned()
                .unwrap_or_else(|| panic!("{k}"))
        };
        assert_eq!(
            (m("auc").winner, m("auc").gate_tolerance),
            (Winner::Tie, Some(0.005))
        );
        assert_eq!(m("score").direction, Direction::LowerIsBetter);
        assert_eq!(
            (m("score").winner, m("score").gate_tolerance),
            (Winner::A, Some(0.0))
        );
        // A metric no gate names keeps the name's direction and the tie tolerance.
        assert_eq!(
            (m("recall").winner, m("recall").gate_tolerance),
            (Winner::B, None)
        );
        // Without the policy the same numbers read differently.
        let plain = compare(a, b, &BTreeMap::new(), 0.0001);
        let p = |k: &str| plain.metrics.iter().find(|m| m.key == k).map(|m| m.winner);
        assert_eq!((p("auc"), p("score")), (Some(Winner::B), Some(Winner::B)));
    }

    #[test]
    fn promotion_records_are_not_version_tags() {
        let mut a = BTreeMap::new();
        a.insert("git_commit".to_string(), "101b4be".to_string());
        a.insert(
            "modeldeck.promotion/p1/request".to_string(),
            "{}".to_string(),
        );
        let mut b = a.clone();
        b.insert("modeldeck.promotion.request".to_string(), "{}".to_string());
        b.insert("git_commit".to_string(), "6134ff6".to_string());
        let d = diff_maps(&user_tags(&a), &user_tags(&b));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].key, "git_commit");
        assert!(d[0].differs);
    }
}
