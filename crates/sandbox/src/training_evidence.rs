//! What the sandbox's training runs leave beside their final metrics: the
//! logged model's signature, the datasets the run used and each metric's
//! history over steps. All derived from the model, the version and the run
//! (no random draw of the world's generator is taken, so runs, params and
//! tags stay as they were).
//!
//! The demo's shapes: a model's newest version adds its last feature as an
//! input (required, so a breaking change; optional for rankers), and
//! `day_of_week` turns from a string into a long in the newest version
//! (demand-forecaster). Training data is a new snapshot per version; the
//! holdout set is the same for every version of a model.

use crate::rng::{Rng, hash_str};
use crate::world::Model;
use modeldeck_core::compare::{Direction, direction_of};
use modeldeck_core::compare_lineage::DatasetInput;
use modeldeck_core::compare_schema::{ColumnSpec, InputExample, ModelSchema, Signature};
use modeldeck_core::domain::{MetricPoint, RunData, Timestamp};
use std::collections::BTreeMap;

/// Columns whose type changes in a model's newest version: name, old, new.
const RETYPED_AT_NEWEST: [(&str, &str, &str); 1] = [("day_of_week", "string", "long")];

/// Steps of every sandbox metric history.
pub(crate) const HISTORY_STEPS: i64 = 400;

fn kind_of(name: &str) -> &'static str {
    let has = |w: &[&str]| w.iter().any(|x| name.contains(x));
    if name.starts_with("has_") || has(&["_flag", "_active", "_mismatch"]) {
        "boolean"
    } else if has(&["category", "tier", "season", "lang", "band", "channel"]) {
        "string"
    } else if has(&[
        "count",
        "_days",
        "hour",
        "delinquencies",
        "orders",
        "sessions",
        "tickets",
        "code",
        "length",
        "clicks",
    ]) {
        "long"
    } else {
        "double"
    }
}

fn newest(m: &Model) -> u32 {
    m.versions.last().map_or(1, |v| v.number)
}

/// The signature of version `number` of `m`.
pub(crate) fn schema_of(m: &Model, number: u32) -> ModelSchema {
    let is_newest = number == newest(m) && m.versions.len() > 1;
    let task = m
        .tags
        .get("task")
        .map(String::as_str)
        .unwrap_or("classifier");
    let n = m.features.len();
    let take = if is_newest || n < 2 { n } else { n - 1 };
    let inputs = m
        .features
        .iter()
        .take(take)
        .enumerate()
        .map(|(i, f)| {
            let mut kind = kind_of(&f.name);
            for (col, old, new) in RETYPED_AT_NEWEST {
                if f.name == col {
                    kind = if is_newest { new } else { old };
                }
            }
            ColumnSpec {
                name: f.name.clone(),
                kind: kind.to_string(),
                // A ranker's newest feature may be absent at request time.
                required: !(task == "ranker" && is_newest && i + 1 == n),
            }
        })
        .collect::<Vec<_>>();
    let outputs = vec![match task {
        "ranker" => ColumnSpec {
            name: "score".into(),
            kind: "double".into(),
            required: true,
        },
        "regressor" => ColumnSpec {
            name: "#0".into(),
            kind: "tensor(float64, [-1])".into(),
            required: true,
        },
        _ => ColumnSpec {
            name: "#0".into(),
            kind: "tensor(int64, [-1])".into(),
            required: true,
        },
    }];
    let input_example = (number > 1).then(|| {
        let cols: Vec<String> = inputs.iter().map(|c| format!("{:?}", c.name)).collect();
        InputExample {
            artifact_path: "input_example.json".into(),
            kind: "dataframe".into(),
            preview: Some(format!(
                "{{\"columns\": [{}], \"data\": [[...]]}}",
                cols.join(", ")
            )),
        }
    });
    ModelSchema::Signature {
        signature: Signature {
            inputs,
            outputs,
            params: Vec::new(),
            input_example,
        },
    }
}

/// The datasets the run of version `number` of `m` logged.
pub(crate) fn datasets_of(m: &Model, number: u32, run: &RunData) -> Vec<DatasetInput> {
    let snapshot = run.tags.get("dataset").cloned().unwrap_or_default();
    let features = match schema_of(m, number) {
        ModelSchema::Signature { signature } => {
            signature.inputs.into_iter().map(|c| c.name).collect()
        }
        _ => Vec::new(),
    };
    let date = snapshot.rsplit('@').next().unwrap_or("").to_string();
    let h = hash_str(&snapshot);
    let holdout = hash_str(&format!("{}-holdout", m.name));
    vec![
        DatasetInput {
            name: format!("{}-features", m.name),
            digest: format!("{:08x}", h & 0xffff_ffff),
            source_type: "http".into(),
            source: format!(
                "{{\"url\": \"https://lake.sandbox.invalid/features/{}/{date}.parquet\"}}",
                m.name
            ),
            context: Some("training".into()),
            rows: Some(40_000 + h % 20_000),
            features,
        },
        DatasetInput {
            name: format!("{}-holdout", m.name),
            digest: format!("{:08x}", holdout & 0xffff_ffff),
            source_type: "http".into(),
            source: format!(
                "{{\"url\": \"https://lake.sandbox.invalid/holdout/{}.parquet\"}}",
                m.name
            ),
            context: Some("eval".into()),
            rows: Some(8_000 + holdout % 2_000),
            features: m.features.iter().map(|f| f.name.clone()).collect(),
        },
    ]
}

/// The history of `key` in `run`: [`HISTORY_STEPS`] steps converging to
/// the run's final value (one spike on the way), empty if the run has no
/// such metric.
pub(crate) fn history_of(run: &RunData, key: &str) -> Vec<MetricPoint> {
    let Some(&last) = run.metrics.get(key) else {
        return Vec::new();
    };
    let mut rng = Rng::new(hash_str(&format!("{}/{key}", run.run_id)));
    let lower = direction_of(key, &BTreeMap::new()) == Direction::LowerIsBetter;
    let start = if lower { last * 3.0 } else { last * 0.55 };
    let rate = rng.range_f64(4.0, 7.0);
    let spike_at = rng.range_u64(40, 200) as i64;
    let t0 = run.started_at.unwrap_or(Timestamp(0));
    (0..HISTORY_STEPS)
        .map(|s| {
            let x = s as f64 / (HISTORY_STEPS - 1) as f64;
            let base = last + (start - last) * (-rate * x).exp();
            let mut value = if s == HISTORY_STEPS - 1 {
                last
            } else {
                base * (1.0 + rng.range_f64(-0.01, 0.01))
            };
            if s == spike_at {
                value = if lower { base * 1.8 } else { base * 0.7 };
            }
            MetricPoint {
                step: s,
                at: t0.plus_millis(s * 2_000),
                value: (value * 1e6).round() / 1e6,
            }
        })
        .collect()
}
