//! One metric across a model's versions (MLflow #4806): for each version
//! the final value of the metric in its training run, in version order,
//! with the versions that have no value named and why. Front ends draw it
//! (x = version number, y = value, aliases marked); the choice of which
//! versions count and why one is missing is made here.

use crate::console::Console;
use crate::domain::{ModelVersion, RunData};
use crate::error::PortResult;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How many runs are read at once.
const CONCURRENT_READS: usize = 8;

/// A metric across the versions of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetricHistory {
    /// Registered model name.
    pub model: String,
    /// Every metric any version's run logged, sorted by name.
    pub metrics: Vec<String>,
    /// The metric charted: the one asked for, else the first of `metrics`
    /// (`None`: no run logged any metric).
    pub metric: Option<String>,
    /// One point per version whose run has a finite value of `metric`,
    /// oldest version first.
    pub points: Vec<VersionPoint>,
    /// The versions without a value, oldest first, each with why.
    pub missing: Vec<MissingVersion>,
}

/// A version's value of the metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VersionPoint {
    /// Version, as the registry has it (`"7"`).
    pub version: String,
    /// The version as a number (the x axis).
    pub number: u64,
    /// The metric's final value in the version's run.
    pub value: f64,
    /// Aliases pointing at the version (`champion`, ...).
    pub aliases: Vec<String>,
}

/// A version without a value of the metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MissingVersion {
    /// Version, as the registry has it.
    pub version: String,
    /// The version as a number.
    pub number: u64,
    /// Aliases pointing at the version.
    pub aliases: Vec<String>,
    /// Why there is no value (`no training run`, `its run did not log
    /// accuracy`, `the value is NaN`, `its run could not be read: ...`).
    pub reason: String,
}

/// A version and what reading its run gave: the run (`None`: the version
/// has no run, or it is gone), or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRun {
    /// The version.
    pub version: ModelVersion,
    /// Its run, or the read's error message.
    pub run: Result<Option<RunData>, String>,
}

/// `metric` (or, for `None` or a blank name, the first metric by name)
/// across `runs`, in version order (numbers, then the version string).
pub fn metric_history(model: &str, runs: &[VersionRun], metric: Option<&str>) -> MetricHistory {
    let metrics: BTreeSet<&String> = runs
        .iter()
        .filter_map(|r| r.run.as_ref().ok().and_then(Option::as_ref))
        .flat_map(|run| run.metrics.keys())
        .collect();
    let chosen = match metric.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Some(m.to_string()),
        None => metrics.iter().next().map(|m| (*m).clone()),
    };
    let mut ordered: Vec<&VersionRun> = runs.iter().collect();
    ordered.sort_by(|a, b| {
        a.version
            .number()
            .cmp(&b.version.number())
            .then_with(|| a.version.version.cmp(&b.version.version))
    });
    let mut points = Vec::new();
    let mut missing = Vec::new();
    for r in ordered {
        let v = &r.version;
        let miss = |reason: String| MissingVersion {
            version: v.version.clone(),
            number: v.number(),
            aliases: v.aliases.clone(),
            reason,
        };
        let Some(name) = &chosen else {
            missing.push(miss("no run logged any metric".to_string()));
            continue;
        };
        match &r.run {
            Err(e) => missing.push(miss(format!("its run could not be read: {e}"))),
            Ok(None) => missing.push(miss("no training run".to_string())),
            Ok(Some(run)) => match run.metrics.get(name) {
                None => missing.push(miss(format!("its run did not log {name}"))),
                Some(x) if !x.is_finite() => missing.push(miss(format!("the value is {x}"))),
                Some(x) => points.push(VersionPoint {
                    version: v.version.clone(),
                    number: v.number(),
                    value: *x,
                    aliases: v.aliases.clone(),
                }),
            },
        }
    }
    MetricHistory {
        model: model.to_string(),
        metrics: metrics.into_iter().cloned().collect(),
        metric: chosen,
        points,
        missing,
    }
}

/// Reads every version of `model` and its run through `console`, then
/// [`metric_history`]. A run that cannot be read makes that version
/// missing (with the error), not the whole history.
///
/// Errors: listing the versions failed (the model is unknown, the
/// registry is unreachable).
pub async fn read(
    console: &Console,
    model: &str,
    metric: Option<&str>,
) -> PortResult<MetricHistory> {
    let versions = console.list_versions(model).await?;
    let runs: Vec<VersionRun> = futures::stream::iter(versions)
        .map(|v| async move {
            let run = if v.run_id.is_none() {
                Ok(None)
            } else {
                console
                    .version_detail(model, &v.version)
                    .await
                    .map(|side| side.run)
                    .map_err(|e| e.to_string())
            };
            VersionRun { version: v, run }
        })
        .buffered(CONCURRENT_READS)
        .collect()
        .await;
    Ok(metric_history(model, &runs, metric))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Timestamp, VersionStatus};
    use std::collections::BTreeMap;

    fn version(n: &str, aliases: &[&str]) -> ModelVersion {
        ModelVersion {
            model: "fraud".into(),
            version: n.into(),
            run_id: Some(format!("run-{n}")),
            source: String::new(),
            status: VersionStatus::Ready,
            aliases: aliases.iter().map(|a| (*a).to_string()).collect(),
            tags: BTreeMap::new(),
            description: None,
            user: None,
            created_at: Timestamp(0),
        }
    }

    fn with(n: &str, aliases: &[&str], metrics: &[(&str, f64)]) -> VersionRun {
        VersionRun {
            version: version(n, aliases),
            run: Ok(Some(RunData {
                run_id: format!("run-{n}"),
                metrics: metrics
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), *v))
                    .collect(),
                ..RunData::default()
            })),
        }
    }

    #[test]
    fn points_in_version_order_with_aliases_and_the_missing_named() {
        let runs = vec![
            with("10", &["challenger"], &[("auc", 0.91)]),
            with("2", &[], &[("auc", 0.80), ("f1", 0.5)]),
            with("9", &["champion"], &[("f1", 0.7)]),
            VersionRun {
                version: version("3", &[]),
                run: Ok(None),
            },
            VersionRun {
                version: version("4", &[]),
                run: Err("registry unreachable".into()),
            },
            with("5", &[], &[("auc", f64::NAN)]),
        ];
        let h = metric_history("fraud", &runs, Some("auc"));
        assert_eq!(h.metrics, vec!["auc".to_string(), "f1".to_string()]);
        assert_eq!(h.metric.as_deref(), Some("auc"));
        let pts: Vec<(u64, f64)> = h.points.iter().map(|p| (p.number, p.value)).collect();
        assert_eq!(pts, vec![(2, 0.80), (10, 0.91)]);
        assert_eq!(h.points[1].aliases, vec!["challenger".to_string()]);
        let miss: Vec<(&str, &str)> = h
            .missing
            .iter()
            .map(|m| (m.version.as_str(), m.reason.as_str()))
            .collect();
        assert_eq!(
            miss,
            vec![
                ("3", "no training run"),
                ("4", "its run could not be read: registry unreachable"),
                ("5", "the value is NaN"),
                ("9", "its run did not log auc"),
            ]
        );
        assert_eq!(h.missing[3].aliases, vec!["champion".to_string()]);
    }

    #[test]
    fn no_metric_asked_takes_the_first_by_name() {
        let runs = vec![with("1", &[], &[("rmse", 2.0), ("mae", 1.0)])];
        let h = metric_history("m", &runs, None);
        assert_eq!(h.metric.as_deref(), Some("mae"));
        assert_eq!(h.points.len(), 1);
        let blank = metric_history("m", &runs, Some("  "));
        assert_eq!(blank.metric.as_deref(), Some("mae"));
    }

    #[test]
    fn an_unknown_metric_makes_every_version_missing() {
        let runs = vec![with("1", &[], &[("auc", 0.9)])];
        let h = metric_history("m", &runs, Some("latency"));
        assert_eq!(h.metric.as_deref(), Some("latency"));
        assert!(h.points.is_empty());
        assert_eq!(h.missing[0].reason, "its run did not log latency");
    }

    #[test]
    fn no_metrics_at_all() {
        let runs = vec![VersionRun {
            version: version("1", &[]),
            run: Ok(None),
        }];
        let h = metric_history("m", &runs, None);
        assert_eq!(h.metric, None);
        assert!(h.metrics.is_empty());
        assert_eq!(h.missing[0].reason, "no run logged any metric");
        let empty = metric_history("m", &[], None);
        assert!(empty.points.is_empty() && empty.missing.is_empty());
    }
}
