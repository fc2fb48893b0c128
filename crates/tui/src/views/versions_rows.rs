//! The Versions table's rows: one version's cells, with up to three key
//! metrics of its training run.

use super::status_label;
use crate::views::text_table::CellText;
use modeldeck_core::domain::{ModelVersion, RunData};

/// Metrics shown first when a run has them.
const KEY_METRICS: [&str; 9] = [
    "auc",
    "accuracy",
    "f1",
    "precision",
    "recall",
    "rmse",
    "mae",
    "loss",
    "val_loss",
];

/// Up to three metrics: well-known ones first, then alphabetical.
fn key_metrics(run: &RunData) -> String {
    let mut picked: Vec<(&str, f64)> = KEY_METRICS
        .iter()
        .filter_map(|k| run.metrics.get(*k).map(|v| (*k, *v)))
        .collect();
    for (k, v) in &run.metrics {
        if picked.len() >= 3 {
            break;
        }
        if !picked.iter().any(|(p, _)| p == k) {
            picked.push((k, *v));
        }
    }
    picked.truncate(3);
    picked
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::format::metric(Some(*v))))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn row(
    v: &ModelVersion,
    marked: bool,
    serving: usize,
    run: Option<&RunData>,
) -> Vec<CellText> {
    let mark = if marked { "✓ " } else { "  " };
    let tags: Vec<String> = v.tags.iter().map(|(k, val)| format!("{k}={val}")).collect();
    let metrics = match (run, &v.run_id) {
        (Some(r), _) => key_metrics(r),
        (None, Some(_)) => "…".to_string(),
        (None, None) => "- (no run)".to_string(),
    };
    vec![
        CellText::text(&format!("{mark}v{}", v.version)),
        CellText::text(&if v.aliases.is_empty() {
            "-".to_string()
        } else {
            v.aliases.join(",")
        }),
        CellText::text(status_label(v.status)),
        CellText::Text(serving.to_string()),
        CellText::Age(v.created_at),
        CellText::text(&metrics),
        CellText::text(&if tags.is_empty() {
            "-".to_string()
        } else {
            tags.join(" ")
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_metrics_prefer_known_names() {
        let mut run = RunData::default();
        run.metrics.insert("zeta".into(), 1.0);
        run.metrics.insert("f1".into(), 0.5);
        run.metrics.insert("auc".into(), 0.9);
        run.metrics.insert("alpha".into(), 2.0);
        assert_eq!(key_metrics(&run), "auc=0.9000 f1=0.5000 alpha=2.0000");
    }
}
