//! Data lineage of two training runs: the datasets each run logged as
//! inputs (MLflow dataset inputs: name, digest, source, context), paired up
//! side by side, and whether both trained on the same data (by digest).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One dataset a run used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DatasetInput {
    /// Dataset name.
    pub name: String,
    /// Content digest (MLflow computes it from the data).
    pub digest: String,
    /// `local`, `http`, `delta_table`, `code` ...
    pub source_type: String,
    /// Where it came from (a JSON string in MLflow, kept as logged).
    pub source: String,
    /// The `mlflow.data.context` input tag: `training`, `eval` ...
    pub context: Option<String>,
    /// Row count from the dataset's profile, when it has one.
    pub rows: Option<u64>,
    /// Column names from the dataset's schema, when it has one.
    pub features: Vec<String>,
}

/// The verdict at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DataVerdict {
    /// Every dataset pairs up with the same digest.
    SameData,
    /// Some dataset differs, or is on one side only.
    DifferentData,
    /// A side logged no dataset inputs: nothing to compare.
    Unknown,
}

/// Two datasets (or one) in the same role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LineageRow {
    /// The context both share (or the one side's).
    pub context: Option<String>,
    /// A's dataset.
    pub a: Option<DatasetInput>,
    /// B's dataset.
    pub b: Option<DatasetInput>,
    /// True when both exist with the same digest.
    pub same: bool,
}

/// The lineage of two runs compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Lineage {
    /// Same, different or unknown.
    pub verdict: DataVerdict,
    /// Datasets paired by role, sorted by context then name.
    pub rows: Vec<LineageRow>,
}

impl DataVerdict {
    /// `same data`, `different data`, `no dataset inputs`.
    pub fn phrase(self) -> &'static str {
        match self {
            DataVerdict::SameData => "same data",
            DataVerdict::DifferentData => "different data",
            DataVerdict::Unknown => "no dataset inputs to compare",
        }
    }
}

/// Pairs the datasets of two runs. A dataset pairs with the other side's
/// dataset of the same context when each side has one of that context
/// (a retrain on a new snapshot may rename it), else with the one of the
/// same context and name.
pub fn compare_lineage(a: &[DatasetInput], b: &[DatasetInput]) -> Lineage {
    let key = |all: &[DatasetInput], d: &DatasetInput| {
        let ctx = d.context.clone().unwrap_or_default();
        let n = all.iter().filter(|o| o.context == d.context).count();
        if n == 1 {
            (ctx, String::new())
        } else {
            (ctx, d.name.clone())
        }
    };
    let mut rows: BTreeMap<(String, String), LineageRow> = BTreeMap::new();
    for d in a {
        let r = rows.entry(key(a, d)).or_insert_with(|| empty_row(d));
        r.a = Some(d.clone());
    }
    for d in b {
        let k = key(b, d);
        // A single dataset of this context on B pairs with A's single one.
        let r = rows.entry(k).or_insert_with(|| empty_row(d));
        if r.b.is_some() {
            continue;
        }
        r.b = Some(d.clone());
    }
    let mut rows: Vec<LineageRow> = rows
        .into_values()
        .map(|mut r| {
            r.same = matches!((&r.a, &r.b), (Some(x), Some(y)) if x.digest == y.digest);
            r
        })
        .collect();
    rows.sort_by(|x, y| {
        let n = |r: &LineageRow| {
            r.a.as_ref()
                .or(r.b.as_ref())
                .map(|d| d.name.clone())
                .unwrap_or_default()
        };
        (x.context.clone(), n(x)).cmp(&(y.context.clone(), n(y)))
    });
    let verdict = if a.is_empty() || b.is_empty() {
        DataVerdict::Unknown
    } else if rows.iter().all(|r| r.same) {
        DataVerdict::SameData
    } else {
        DataVerdict::DifferentData
    };
    Lineage { verdict, rows }
}

fn empty_row(d: &DatasetInput) -> LineageRow {
    LineageRow {
        context: d.context.clone(),
        a: None,
        b: None,
        same: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(name: &str, digest: &str, ctx: Option<&str>) -> DatasetInput {
        DatasetInput {
            name: name.into(),
            digest: digest.into(),
            source_type: "local".into(),
            source: "{}".into(),
            context: ctx.map(str::to_string),
            rows: None,
            features: Vec::new(),
        }
    }

    #[test]
    fn same_digests_are_same_data() {
        let a = [
            ds("train", "d1", Some("training")),
            ds("hold", "e1", Some("eval")),
        ];
        let l = compare_lineage(&a, &a);
        assert_eq!(l.verdict, DataVerdict::SameData);
        assert_eq!(l.rows.len(), 2);
        assert!(l.rows.iter().all(|r| r.same));
    }

    #[test]
    fn a_new_snapshot_pairs_by_context_and_differs() {
        let a = [
            ds("train-1201", "d1", Some("training")),
            ds("hold", "e1", Some("eval")),
        ];
        let b = [
            ds("train-1205", "d2", Some("training")),
            ds("hold", "e1", Some("eval")),
        ];
        let l = compare_lineage(&a, &b);
        assert_eq!(l.verdict, DataVerdict::DifferentData);
        assert_eq!(l.rows.len(), 2);
        let eval = &l.rows[0];
        assert_eq!(eval.context.as_deref(), Some("eval"));
        assert!(eval.same);
        let train = &l.rows[1];
        assert_eq!(train.a.as_ref().unwrap().name, "train-1201");
        assert_eq!(train.b.as_ref().unwrap().name, "train-1205");
        assert!(!train.same);
    }

    #[test]
    fn one_sided_datasets_and_empty_sides() {
        let a = [ds("x", "d1", None), ds("y", "d2", None)];
        let b = [ds("x", "d1", None)];
        let l = compare_lineage(&a, &b);
        assert_eq!(l.verdict, DataVerdict::DifferentData);
        assert!(l.rows.iter().any(|r| r.b.is_none()));
        assert_eq!(compare_lineage(&a, &[]).verdict, DataVerdict::Unknown);
    }
}
