//! Keeping Fleet rows tellable apart on a narrow terminal. The same
//! workload name in two contexts (`demand-forecaster` in prod-eu and in
//! prod-us) or two namespaces looks like one row twice once CONTEXT or
//! NAMESPACE is dropped. When the visible rows need a column to be told
//! apart, that column claims a place before the health columns, at the
//! fewest cells that still distinguish its values: the start (`gke-a…`) or
//! the end (`…eu`) of each value, whichever is shorter.

use modeldeck_core::fleet::FleetRow;
use std::collections::{BTreeSet, HashMap};

/// Priority of a column the rows need to be told apart: below the name,
/// above the model and every health column (see `Col::priority`).
pub const PRIORITY: u8 = 96;

/// Which end of a value a shortened cell keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keep {
    /// `prod-eu-west…`.
    #[default]
    Start,
    /// `…eu`.
    End,
}

/// A context or namespace column's claim: whether rows need it, and the
/// narrowest width (and kept end) at which its visible values stay distinct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Short {
    /// Two visible rows differ only in this column.
    pub needed: bool,
    /// Cells that keep every visible value distinct (ellipsis included).
    pub min: u16,
    /// The end those cells keep.
    pub keep: Keep,
}

/// The context and namespace claims over `rows`.
pub fn claims(rows: &[&FleetRow]) -> (Short, Short) {
    let cluster = needed(rows, |r| (&r.namespace, &r.name), |r| &r.cluster);
    let namespace = needed(rows, |r| (&r.cluster, &r.name), |r| &r.namespace);
    (
        claim(cluster, rows.iter().map(|r| r.cluster.as_str())),
        claim(namespace, rows.iter().map(|r| r.namespace.as_str())),
    )
}

/// True when two rows with the same `key` differ in `field`.
fn needed<'a, K: std::hash::Hash + Eq>(
    rows: &[&'a FleetRow],
    key: impl Fn(&'a FleetRow) -> K,
    field: impl Fn(&'a FleetRow) -> &'a String,
) -> bool {
    let mut seen: HashMap<K, &String> = HashMap::with_capacity(rows.len());
    rows.iter().any(|r| {
        let f = field(r);
        *seen.entry(key(r)).or_insert(f) != f
    })
}

fn claim<'a>(needed: bool, values: impl Iterator<Item = &'a str>) -> Short {
    if !needed {
        return Short::default();
    }
    let distinct: BTreeSet<&str> = values.collect();
    let chars: Vec<Vec<char>> = distinct.iter().map(|v| v.chars().collect()).collect();
    let start = distinguishing(&chars);
    let reversed: Vec<Vec<char>> = chars
        .iter()
        .map(|c| c.iter().rev().copied().collect())
        .collect();
    let end = distinguishing(&reversed);
    let longest = chars.iter().map(Vec::len).max().unwrap_or(0);
    let (kept, keep) = if end < start {
        (end, Keep::End)
    } else {
        (start, Keep::Start)
    };
    // Kept characters (two at least: `…eu` reads as a place, `…u` does not)
    // plus the ellipsis, never wider than the longest value.
    let min = (kept.max(2) + 1).min(longest);
    Short {
        needed,
        min: u16::try_from(min).unwrap_or(u16::MAX),
        keep,
    }
}

/// The fewest leading characters that tell all `values` apart.
fn distinguishing(values: &[Vec<char>]) -> usize {
    let mut sorted: Vec<&Vec<char>> = values.iter().collect();
    sorted.sort();
    sorted
        .windows(2)
        .map(|w| {
            let common = w[0].iter().zip(w[1].iter()).take_while(|(a, b)| a == b);
            common.count() + 1
        })
        .max()
        .unwrap_or(1)
}

/// `value` in at most `width` cells, keeping `keep`'s end and marking the
/// cut with `…`.
pub fn shorten(value: &str, width: u16, keep: Keep) -> String {
    let width = usize::from(width);
    let n = value.chars().count();
    if n <= width {
        return value.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let kept = width - 1;
    match keep {
        Keep::Start => value.chars().take(kept).chain(['…']).collect(),
        Keep::End => std::iter::once('…')
            .chain(value.chars().skip(n - kept))
            .collect(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use modeldeck_core::domain::{DriftStatus, Timestamp, WorkloadKind};

    /// A Deployment's row, healthy and without metrics.
    pub(in crate::views::fleet) fn row(cluster: &str, namespace: &str, name: &str) -> FleetRow {
        FleetRow {
            cluster: cluster.into(),
            namespace: namespace.into(),
            name: name.into(),
            kind: WorkloadKind::Deployment,
            model: None,
            version: None,
            aliases: vec![],
            ready: 1,
            desired: 1,
            rollout: "Available".into(),
            rollout_detail: None,
            rps: None,
            p99_ms: None,
            error_pct: None,
            drift_psi: None,
            drift: DriftStatus::Unknown,
            created_at: Timestamp(0),
            labels: Default::default(),
            batch: None,
            stream: None,
        }
    }

    #[test]
    fn a_name_in_two_contexts_needs_the_context_by_its_distinct_end() {
        let rows = [
            row("prod-eu", "forecasting", "demand-forecaster"),
            row("prod-us", "forecasting", "demand-forecaster"),
            row("staging", "forecasting", "churn"),
        ];
        let refs: Vec<&FleetRow> = rows.iter().collect();
        let (cluster, namespace) = claims(&refs);
        assert!(cluster.needed);
        assert_eq!(cluster.keep, Keep::End);
        // "u", "s", "g" already differ; two are kept for reading, + ellipsis.
        assert_eq!(cluster.min, 3);
        assert!(!namespace.needed);
        assert_eq!(shorten("prod-eu", 3, Keep::End), "…eu");
        assert_eq!(shorten("prod-us", 3, Keep::End), "…us");
        assert_eq!(shorten("staging", 3, Keep::End), "…ng");
    }

    #[test]
    fn unique_names_need_neither_column() {
        let rows = [row("a", "x", "one"), row("b", "y", "two")];
        let refs: Vec<&FleetRow> = rows.iter().collect();
        assert_eq!(claims(&refs), (Short::default(), Short::default()));
    }

    #[test]
    fn a_name_in_two_namespaces_needs_the_namespace_by_its_start() {
        let rows = [
            row("prod", "fraud-online", "scorer"),
            row("prod", "risk-batch", "scorer"),
        ];
        let refs: Vec<&FleetRow> = rows.iter().collect();
        let (cluster, namespace) = claims(&refs);
        assert!(!cluster.needed);
        assert!(namespace.needed);
        assert_eq!(namespace.keep, Keep::Start);
        assert_eq!(namespace.min, 3);
        assert_eq!(shorten("fraud-online", 3, Keep::Start), "fr…");
    }

    #[test]
    fn a_value_that_prefixes_another_is_still_told_apart() {
        let rows = [row("prod", "ns", "m"), row("prod-2", "ns", "m")];
        let refs: Vec<&FleetRow> = rows.iter().collect();
        let (cluster, _) = claims(&refs);
        let shown: Vec<String> = ["prod", "prod-2"]
            .iter()
            .map(|v| shorten(v, cluster.min, cluster.keep))
            .collect();
        assert_ne!(shown[0], shown[1]);
    }

    #[test]
    fn shorten_keeps_short_values_and_handles_zero_width() {
        assert_eq!(shorten("eu", 5, Keep::End), "eu");
        assert_eq!(shorten("prod-eu", 0, Keep::Start), "");
        assert_eq!(shorten("prod-eu", 1, Keep::End), "…");
    }
}
