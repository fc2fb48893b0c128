//! Serving signals per model version (issue 10: canary and stable health
//! side by side).
//!
//! With the template setting `version_label` set, `signal_range_by_version`
//! renders the same per-workload template as `signal_range` with `{by}` =
//! the join labels and the version label, sends one clamped range query,
//! and answers one on-grid series per distinct version among the series
//! about the workload, sorted by version ([`version_order`]). Without it,
//! the answer is `Unsupported` (the series carry no version); so it is for
//! `drift_max`, which is not a serving signal (drift per version is
//! `feature_sample`).
//!
//! A series about the workload without the version label means the
//! template drops it from its aggregation: an error naming the template
//! and the label, never a silent merge. Version values are untrusted: they
//! are returned raw (front ends neutralize them) and quoted with escapes
//! in messages.

use super::{PrometheusMetrics, invalid, port_error, rate_window};
use crate::join::{labels_match, on_grid};
use crate::step::RangeQuery;
use crate::templates::PromqlTemplates;
use crate::wire::RangeSeries;
use modeldeck_core::domain::{MetricsTarget, Series, Signal, TimeRange, WorkloadRef};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use std::cmp::Ordering;
use std::collections::BTreeMap;

impl PrometheusMetrics {
    /// Renders `signal`'s per-workload template for `target` (with `by` as
    /// `{by}` when given) and sends it as one clamped range query: the
    /// template's name, the range actually asked and the series.
    pub(super) async fn workload_range(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
        by: Option<String>,
    ) -> PortResult<(&'static str, RangeQuery, Vec<RangeSeries>)> {
        let (name, template, q) = self.templates.workload_template(signal);
        let mut extra: Vec<(&str, String)> =
            q.map(|q| ("quantile", q.to_string())).into_iter().collect();
        if let Some(w) = rate_window(&self.templates.window, range.step_ms) {
            extra.push(("window", w));
        }
        if let Some(by) = by {
            extra.push(("by", by));
        }
        let promql = self.render_for(name, template, target, &extra)?;
        let rq = RangeQuery::clamped(range.start, range.end, range.step_ms)
            .map_err(|e| port_error(e, name))?;
        let r = self
            .client
            .query_range(&promql, &rq)
            .await
            .map_err(|e| port_error(e, name))?;
        Ok((name, rq, r.data))
    }

    /// `Metrics::signal_range_by_version` (see the module doc).
    pub(super) async fn range_by_version(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Vec<(String, Series)>> {
        let workload = &target.workload;
        let Some(by) = self.templates.by_version_clause() else {
            return Err(unsupported(format!(
                "{workload}: the PromQL templates set no version_label, so serving signals are \
                 not split by version (docs/metrics.md, \"Per-version health\")"
            )));
        };
        if signal == Signal::DriftMax {
            return Err(unsupported(format!(
                "{workload}: drift_max is not split by version (a version's drift is read from \
                 its live feature distributions)"
            )));
        }
        let (name, rq, series) = self.workload_range(target, signal, range, Some(by)).await?;
        let parts = split_by_version(&self.templates, series, workload)
            .map_err(|e| invalid(e.message(name, &self.templates, workload)))?;
        Ok(parts
            .into_iter()
            .map(|(v, s)| (v, on_grid(&s, &rq)))
            .collect())
    }
}

fn unsupported(message: String) -> BackendError {
    BackendError::new(Backend::Metrics, ErrorCode::Unsupported, message)
}

/// Why a per-version result cannot be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// A series about the workload has no version label.
    Unlabelled,
    /// Several series about the workload carry this version.
    Duplicate(String, usize),
}

impl SplitError {
    fn message(&self, template: &str, t: &PromqlTemplates, target: &WorkloadRef) -> String {
        let label = &t.version_label;
        let by = t.by_version_clause().unwrap_or_default();
        match self {
            SplitError::Unlabelled => format!(
                "template {template} returned a series for {target} without the version label \
                 {label:?} (version_label); keep that label in its aggregation, e.g. \
                 sum by ({by})"
            ),
            SplitError::Duplicate(v, n) => format!(
                "template {template} returned {n} series for {target} with {label}={v:?}; \
                 aggregate it to one series per version (e.g. sum by ({by}))"
            ),
        }
    }
}

/// The series of `series` about `target` (join labels as `pick_one`
/// matches them: absent = no claim), one per value of `version_label`,
/// sorted by [`version_order`]. No series: an empty list.
pub(crate) fn split_by_version(
    t: &PromqlTemplates,
    series: Vec<RangeSeries>,
    target: &WorkloadRef,
) -> Result<Vec<(String, RangeSeries)>, SplitError> {
    let mut by: BTreeMap<String, Vec<RangeSeries>> = BTreeMap::new();
    for s in series {
        if !labels_match(t, &s.labels, target) {
            continue;
        }
        // Prometheus drops empty labels, so "" never names a version.
        let v = match s.labels.get(&t.version_label) {
            Some(v) if !v.is_empty() => v.clone(),
            _ => return Err(SplitError::Unlabelled),
        };
        by.entry(v).or_default().push(s);
    }
    let mut out = Vec::with_capacity(by.len());
    for (v, mut list) in by {
        if list.len() > 1 {
            return Err(SplitError::Duplicate(v, list.len()));
        }
        if let Some(s) = list.pop() {
            out.push((v, s));
        }
    }
    out.sort_by(|a, b| version_order(&a.0, &b.0));
    Ok(out)
}

/// Version order: versions that are whole numbers (ASCII digits, as
/// MLflow's are) first, in numeric order whatever their length (`9` before
/// `10`), then the others by name. A total order: equal numbers with
/// different spellings (`07`, `7`) fall back to the text.
pub(crate) fn version_order(a: &str, b: &str) -> Ordering {
    fn number(v: &str) -> Option<&str> {
        (!v.is_empty() && v.bytes().all(|c| c.is_ascii_digit())).then(|| v.trim_start_matches('0'))
    }
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.len().cmp(&y.len()).then(x.cmp(y)).then(a.cmp(b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Labels, Sample};
    use modeldeck_core::domain::{Timestamp, WorkloadKind};

    fn wref(cluster: &str, ns: &str, name: &str) -> WorkloadRef {
        WorkloadRef {
            cluster: cluster.into(),
            namespace: ns.into(),
            kind: WorkloadKind::InferenceService,
            name: name.into(),
        }
    }

    fn series(pairs: &[(&str, &str)], value: f64) -> RangeSeries {
        let labels: Labels = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RangeSeries {
            labels,
            samples: vec![Sample {
                at: Timestamp(0),
                value,
            }],
            histograms: vec![],
        }
    }

    fn with_version() -> PromqlTemplates {
        PromqlTemplates {
            version_label: "version".into(),
            ..Default::default()
        }
    }

    fn versions(parts: &[(String, RangeSeries)]) -> Vec<(&str, f64)> {
        parts
            .iter()
            .map(|(v, s)| (v.as_str(), s.samples[0].value))
            .collect()
    }

    #[test]
    fn orders_numbers_numerically_then_names() {
        let mut v = vec!["10", "9", "b", "07", "7", "a", "100", "1a", "0", ""];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(v, ["0", "07", "7", "9", "10", "100", "", "1a", "a", "b"]);
        // Antisymmetric on every pair (a total order, no sort panic).
        for a in &v {
            for b in &v {
                assert_eq!(
                    version_order(a, b),
                    version_order(b, a).reverse(),
                    "{a} {b}"
                );
            }
        }
    }

    #[test]
    fn splits_the_workloads_series_by_version() {
        let t = with_version();
        let target = wref("c", "staging", "ranker");
        let got = split_by_version(
            &t,
            vec![
                series(
                    &[
                        ("namespace", "staging"),
                        ("workload", "ranker"),
                        ("version", "10"),
                    ],
                    0.2,
                ),
                series(
                    &[
                        ("namespace", "staging"),
                        ("workload", "other"),
                        ("version", "1"),
                    ],
                    9.0,
                ),
                series(
                    &[
                        ("namespace", "staging"),
                        ("workload", "ranker"),
                        ("version", "9"),
                    ],
                    1.8,
                ),
                // A template that aggregated the join labels away still
                // claims nothing else: it is about the target.
                series(&[("version", "canary")], 0.5),
            ],
            &target,
        )
        .unwrap();
        assert_eq!(versions(&got), [("9", 1.8), ("10", 0.2), ("canary", 0.5)]);
        // No series (or none about the target): no versions.
        assert_eq!(split_by_version(&t, vec![], &target).unwrap(), vec![]);
        let other = vec![series(&[("workload", "other"), ("version", "1")], 1.0)];
        assert_eq!(split_by_version(&t, other, &target).unwrap(), vec![]);
        // One version serving: one series.
        let one = vec![series(&[("workload", "ranker"), ("version", "3")], 1.0)];
        assert_eq!(
            versions(&split_by_version(&t, one, &target).unwrap()),
            [("3", 1.0)]
        );
    }

    #[test]
    fn the_cluster_label_is_matched_when_set() {
        let t = PromqlTemplates {
            cluster_label: "cluster".into(),
            ..with_version()
        };
        let target = wref("eu", "prod", "x");
        let got = split_by_version(
            &t,
            vec![
                series(
                    &[("cluster", "us"), ("workload", "x"), ("version", "1")],
                    1.0,
                ),
                series(
                    &[("cluster", "eu"), ("workload", "x"), ("version", "2")],
                    2.0,
                ),
            ],
            &target,
        )
        .unwrap();
        assert_eq!(versions(&got), [("2", 2.0)]);
    }

    #[test]
    fn a_series_without_the_version_or_twice_the_same_is_refused() {
        let t = with_version();
        let target = wref("c", "prod", "x");
        let e = split_by_version(
            &t,
            vec![
                series(&[("workload", "x"), ("version", "1")], 1.0),
                series(&[("workload", "x")], 2.0),
            ],
            &target,
        )
        .unwrap_err();
        assert_eq!(e, SplitError::Unlabelled);
        let m = e.message("request_rate", &t, &target);
        assert!(
            m.contains("template request_rate")
                && m.contains("\"version\"")
                && m.contains("sum by (namespace, workload, version)"),
            "{m}"
        );
        // An empty value is no version (Prometheus drops empty labels).
        let empty = vec![series(&[("workload", "x"), ("version", "")], 1.0)];
        assert_eq!(
            split_by_version(&t, empty, &target),
            Err(SplitError::Unlabelled)
        );
        // Not aggregated to one series per version: named, value escaped.
        let e = split_by_version(
            &t,
            vec![
                series(&[("workload", "x"), ("version", "7\n"), ("pod", "a")], 1.0),
                series(&[("workload", "x"), ("version", "7\n"), ("pod", "b")], 2.0),
            ],
            &target,
        )
        .unwrap_err();
        assert_eq!(e, SplitError::Duplicate("7\n".into(), 2));
        let m = e.message("error_ratio", &t, &target);
        assert!(
            m.contains("2 series") && m.contains(r#"version="7\n""#),
            "{m}"
        );
        assert!(!m.contains('\n'), "{m}");
    }
}
