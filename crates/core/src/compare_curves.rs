//! Training curves of two runs: the metrics both have a history of, one
//! metric's two histories over steps, and their downsampling to a panel's
//! width by [`chart::downsample`](crate::chart::downsample) (min and max per
//! column, so a loss spike survives).

use crate::chart::{self, Column};
use crate::domain::{MetricPoint, RunData};
use serde::{Deserialize, Serialize};

/// One metric's history in both runs, oldest step first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CurvePair {
    /// Metric key.
    pub metric: String,
    /// A's history.
    pub a: Vec<MetricPoint>,
    /// B's history.
    pub b: Vec<MetricPoint>,
}

/// A curve pair downsampled to `columns` columns over the steps both
/// cover: per column min/max of each side (`None` where a side has no
/// finite point).
#[derive(Debug, Clone, PartialEq)]
pub struct CurveColumns {
    /// First step of the x axis.
    pub from: i64,
    /// Last step of the x axis.
    pub to: i64,
    /// A per column.
    pub a: Vec<Option<Column>>,
    /// B per column.
    pub b: Vec<Option<Column>>,
    /// Smallest and largest finite value of both, for the y axis.
    pub y: Option<(f64, f64)>,
}

/// Metrics both runs logged, in the order a reviewer looks first: loss-like
/// metrics, then the rest, each group by name.
pub fn common_metrics(a: &RunData, b: &RunData) -> Vec<String> {
    let mut keys: Vec<String> = a
        .metrics
        .keys()
        .filter(|k| b.metrics.contains_key(*k))
        .cloned()
        .collect();
    keys.sort_by_key(|k| (!k.to_ascii_lowercase().contains("loss"), k.clone()));
    keys
}

impl CurvePair {
    /// True when neither side has a point.
    pub fn is_empty(&self) -> bool {
        self.a.is_empty() && self.b.is_empty()
    }

    /// Downsamples both histories to `columns` columns over the union of
    /// their steps.
    pub fn columns(&self, columns: usize) -> CurveColumns {
        let steps = self.a.iter().chain(&self.b).map(|p| p.step);
        let from = steps.clone().min().unwrap_or(0);
        let mut to = steps.max().unwrap_or(0);
        if to <= from {
            to = from + 1;
        }
        let pts = |h: &[MetricPoint]| -> Vec<(i64, f64)> {
            h.iter().map(|p| (p.step, p.value)).collect()
        };
        let a = chart::downsample(&pts(&self.a), from, to, columns);
        let b = chart::downsample(&pts(&self.b), from, to, columns);
        let y = a.iter().chain(&b).flatten().fold(None, |acc, c| match acc {
            None => Some((c.min, c.max)),
            Some((lo, hi)) => Some((f64::min(lo, c.min), f64::max(hi, c.max))),
        });
        CurveColumns { from, to, a, b, y }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;

    fn hist(n: i64, f: impl Fn(i64) -> f64) -> Vec<MetricPoint> {
        (0..n)
            .map(|s| MetricPoint {
                step: s,
                at: Timestamp(s),
                value: f(s),
            })
            .collect()
    }

    #[test]
    fn a_spike_survives_downsampling() {
        let pair = CurvePair {
            metric: "loss".into(),
            a: hist(5000, |s| {
                if s == 2345 {
                    9.0
                } else {
                    1.0 / (1.0 + s as f64)
                }
            }),
            b: hist(3000, |_| 0.5),
        };
        let c = pair.columns(40);
        assert_eq!((c.from, c.to), (0, 4999));
        assert_eq!(c.a.len(), 40);
        let peak = c.a.iter().flatten().map(|k| k.max).fold(0.0, f64::max);
        assert_eq!(peak, 9.0);
        // B stops at step 2999: the columns past it are empty.
        assert!(c.b.last().unwrap().is_none());
        assert_eq!(c.y, Some((1.0 / 5000.0, 9.0)));
    }

    #[test]
    fn common_metrics_put_losses_first() {
        let mut a = RunData::default();
        let mut b = RunData::default();
        for k in ["auc", "val_loss", "only_a", "loss"] {
            a.metrics.insert(k.into(), 1.0);
        }
        for k in ["auc", "val_loss", "loss", "only_b"] {
            b.metrics.insert(k.into(), 1.0);
        }
        assert_eq!(common_metrics(&a, &b), ["loss", "val_loss", "auc"]);
    }

    #[test]
    fn nan_points_and_empty_histories() {
        let pair = CurvePair {
            metric: "x".into(),
            a: hist(3, |_| f64::NAN),
            b: Vec::new(),
        };
        let c = pair.columns(10);
        assert!(c.a.iter().all(Option::is_none));
        assert_eq!(c.y, None);
        assert!(!pair.is_empty());
    }
}
