//! Turning query results into the port's shapes: joining fleet-wide
//! vectors to the asked-for [`WorkloadRef`]s by label, picking the one
//! series of a per-workload query, and laying a range series onto the
//! evaluation grid with NaN where Prometheus had no point.

use crate::step::RangeQuery;
use crate::templates::PromqlTemplates;
use crate::wire::{Labels, RangeSeries};
use modeldeck_core::domain::{Series, Timestamp, WorkloadRef};
use std::collections::BTreeMap;

/// Lookup from result labels to the workloads they describe.
#[derive(Debug)]
pub(crate) struct JoinIndex<'a> {
    by_key: BTreeMap<(Option<String>, String, String), Vec<&'a WorkloadRef>>,
    namespace_label: &'a str,
    workload_label: &'a str,
    cluster_label: Option<&'a str>,
}

impl<'a> JoinIndex<'a> {
    /// Indexes `workloads` by (cluster if joined on, namespace, name).
    pub(crate) fn new(t: &'a PromqlTemplates, workloads: &'a [WorkloadRef]) -> JoinIndex<'a> {
        let cluster_label = Some(t.cluster_label.as_str()).filter(|c| !c.is_empty());
        let mut by_key: BTreeMap<_, Vec<&WorkloadRef>> = BTreeMap::new();
        for w in workloads {
            let cluster = cluster_label.map(|_| w.cluster.clone());
            by_key
                .entry((cluster, w.namespace.clone(), w.name.clone()))
                .or_default()
                .push(w);
        }
        JoinIndex {
            by_key,
            namespace_label: &t.namespace_label,
            workload_label: &t.workload_label,
            cluster_label,
        }
    }

    /// The workloads a result series belongs to (none when its join labels
    /// are missing or name a workload nobody asked about).
    pub(crate) fn lookup(&self, labels: &Labels) -> &[&'a WorkloadRef] {
        let ns = labels.get(self.namespace_label);
        let wl = labels.get(self.workload_label);
        let cl = self.cluster_label.map(|c| labels.get(c));
        let (Some(ns), Some(wl)) = (ns, wl) else {
            return &[];
        };
        let cluster = match cl {
            None => None,
            Some(Some(c)) => Some(c.clone()),
            Some(None) => return &[],
        };
        self.by_key
            .get(&(cluster, ns.clone(), wl.clone()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Whether `labels` say they are about `target` (labels absent = no claim).
pub(crate) fn labels_match(t: &PromqlTemplates, labels: &Labels, target: &WorkloadRef) -> bool {
    let same = |label: &str, value: &str| labels.get(label).is_none_or(|v| v == value);
    same(&t.namespace_label, &target.namespace)
        && same(&t.workload_label, &target.name)
        && (t.cluster_label.is_empty() || same(&t.cluster_label, &target.cluster))
}

/// Picks the single series about `target` out of a per-workload result:
/// `Ok(None)` when there is none, an error message when the template is not
/// aggregated to one series per workload.
pub(crate) fn pick_one<T>(
    t: &PromqlTemplates,
    items: Vec<T>,
    labels: impl Fn(&T) -> &Labels,
    target: &WorkloadRef,
) -> Result<Option<T>, usize> {
    if items.len() <= 1 {
        return Ok(items.into_iter().next());
    }
    let total = items.len();
    let mut hits: Vec<T> = items
        .into_iter()
        .filter(|s| labels_match(t, labels(s), target))
        .collect();
    match hits.len() {
        0 => Ok(None),
        1 => Ok(hits.pop()),
        _ => Err(total),
    }
}

/// Lays `series` onto the evaluation grid of `range`: one point per step,
/// NaN where Prometheus returned nothing (a gap).
pub(crate) fn on_grid(series: &RangeSeries, range: &RangeQuery) -> Series {
    let known: BTreeMap<Timestamp, f64> = series.samples.iter().map(|s| (s.at, s.value)).collect();
    Series {
        points: range
            .times()
            .map(|t| (t, known.get(&t).copied().unwrap_or(f64::NAN)))
            .collect(),
    }
}

/// A NaN means "no value" for health (0/0 error ratio, quantile of no
/// traffic); infinities are kept.
pub(crate) fn health_value(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Sample;
    use modeldeck_core::domain::WorkloadKind;

    fn wref(cluster: &str, ns: &str, name: &str) -> WorkloadRef {
        WorkloadRef {
            cluster: cluster.into(),
            namespace: ns.into(),
            kind: WorkloadKind::Deployment,
            name: name.into(),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn joins_on_namespace_and_workload_and_optionally_cluster() {
        let refs = vec![
            wref("a", "prod", "x"),
            wref("b", "prod", "x"),
            wref("a", "dev", "y"),
        ];
        let t = PromqlTemplates::default();
        let idx = JoinIndex::new(&t, &refs);
        assert_eq!(
            idx.lookup(&labels(&[("namespace", "prod"), ("workload", "x")]))
                .len(),
            2
        );
        assert!(idx.lookup(&labels(&[("namespace", "prod")])).is_empty());
        let t = PromqlTemplates {
            cluster_label: "cluster".into(),
            ..Default::default()
        };
        let idx = JoinIndex::new(&t, &refs);
        let hit = idx.lookup(&labels(&[
            ("cluster", "b"),
            ("namespace", "prod"),
            ("workload", "x"),
        ]));
        assert_eq!(hit, &[&refs[1]]);
        assert!(
            idx.lookup(&labels(&[("namespace", "prod"), ("workload", "x")]))
                .is_empty()
        );
    }

    #[test]
    fn fills_gaps_with_nan() {
        let s = RangeSeries {
            labels: Labels::new(),
            samples: vec![
                Sample {
                    at: Timestamp(0),
                    value: 1.0,
                },
                Sample {
                    at: Timestamp(2000),
                    value: 3.0,
                },
            ],
            histograms: vec![],
        };
        let r = RangeQuery::clamped(Timestamp(0), Timestamp(2500), 1000).unwrap();
        let g = on_grid(&s, &r);
        assert_eq!(g.points.len(), 3);
        assert!(g.points[1].1.is_nan());
        assert_eq!(g.points[2], (Timestamp(2000), 3.0));
    }

    #[test]
    fn picks_the_series_of_the_target() {
        let t = PromqlTemplates::default();
        let target = wref("a", "prod", "x");
        let items = vec![
            labels(&[("namespace", "prod"), ("workload", "x")]),
            labels(&[("namespace", "prod"), ("workload", "z")]),
        ];
        let got = pick_one(&t, items, |l| l, &target).unwrap().unwrap();
        assert_eq!(got.get("workload").unwrap(), "x");
        let items = vec![labels(&[("model", "m1")]), labels(&[("model", "m2")])];
        assert_eq!(pick_one(&t, items, |l| l, &target).unwrap_err(), 2);
    }
}
