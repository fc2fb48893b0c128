//! Compare's evidence read from a real MLflow seeded by MLflow's own Python
//! client (`tests/py/compare_seed.py`: real `mlflow.sklearn` models with an
//! inferred and an explicit signature, one without, a version without an
//! `MLmodel` and one with a malformed one, `mlflow.log_input` datasets, a
//! 3,000-step loss history with a NaN): the signatures, the schema diff,
//! the datasets and the histories the adapter reads match what that client
//! reports (computed in Python, not written here).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use modeldeck_core::compare_lineage::{DataVerdict, compare_lineage};
use modeldeck_core::compare_schema::{ChangeKind, ModelSchema, diff_schemas};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::MlflowRegistry;
use serde_json::Value;
use std::path::PathBuf;

const STEPS: usize = 3000;

fn python() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cache = std::env::var_os("MODELDECK_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".cache"));
    let py = cache.join("mlflow-venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run `scripts/services/mlflow.sh install` (MLflow with scikit-learn)",
        py.display()
    );
    py
}

/// Seeds `model` with the Python client and answers what it reported.
fn seed(model: &str) -> Value {
    let out = std::env::temp_dir().join(format!("{model}.json"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/compare_seed.py");
    let r = std::process::Command::new(python())
        .arg(&script)
        .arg(model)
        .arg(STEPS.to_string())
        .arg(&out)
        .env("MLFLOW_TRACKING_URI", common::uri())
        .env("GIT_PYTHON_REFRESH", "quiet")
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "compare_seed.py failed: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    let v = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);
    v
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// `[name, kind, required]` triples as the Python client reported them.
fn reported(cols: &Value) -> Vec<(String, String, bool)> {
    cols.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                s(&c[0]).to_string(),
                s(&c[1]).to_string(),
                c[2].as_bool().unwrap(),
            )
        })
        .collect()
}

fn read(sig: &ModelSchema, part: &str) -> Vec<(String, String, bool)> {
    let sig = sig.signature().expect("a signature");
    let cols = if part == "inputs" {
        &sig.inputs
    } else {
        &sig.outputs
    };
    cols.iter()
        .map(|c| (c.name.clone(), c.kind.clone(), c.required))
        .collect()
}

#[tokio::test]
async fn evidence_matches_what_the_python_client_reports() {
    let model = common::unique("cmp");
    let py = seed(&model);
    let reg = MlflowRegistry::new(common::client());
    let v = &py["versions"];

    // Signatures, side by side with get_model_info(...).signature.
    let a = reg.model_schema(&model, s(&v["a"])).await.unwrap();
    let b = reg.model_schema(&model, s(&v["b"])).await.unwrap();
    for (side, schema) in [("a", &a), ("b", &b)] {
        for part in ["inputs", "outputs"] {
            assert_eq!(
                read(schema, part),
                reported(&py["signature"][side][part]),
                "{side} {part}"
            );
        }
    }
    // v1 was logged with an input example: its file is read.
    let ex = a.signature().unwrap().input_example.as_ref().unwrap();
    assert_eq!(ex.artifact_path, "input_example.json");
    assert!(ex.preview.as_deref().unwrap().contains("amount"), "{ex:?}");

    // The diff, against the one computed in Python from those reports.
    let d = diff_schemas(a, b);
    let got: Vec<(String, String, String, bool)> = d
        .changes
        .iter()
        .map(|c| {
            let kind = match c.change {
                ChangeKind::Added => "added",
                ChangeKind::Removed => "removed",
                ChangeKind::Retyped => "retyped",
                ChangeKind::RequiredChanged => "required_changed",
            };
            (
                c.part.word().to_string(),
                c.name.clone(),
                kind.to_string(),
                c.breaking,
            )
        })
        .collect();
    let want: Vec<(String, String, String, bool)> = py["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                s(&c[0]).to_string(),
                s(&c[1]).to_string(),
                s(&c[2]).to_string(),
                c[3].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert!(!want.is_empty());
    assert_eq!(d.breaking, want.iter().any(|c| c.3));

    // No signature, no MLmodel: states; a malformed MLmodel: an error
    // naming the file and the version.
    assert!(py["signature"]["no_signature"].is_null());
    assert_eq!(
        reg.model_schema(&model, s(&v["no_signature"]))
            .await
            .unwrap(),
        ModelSchema::NoSignature
    );
    assert_eq!(
        reg.model_schema(&model, s(&v["no_mlmodel"])).await.unwrap(),
        ModelSchema::NoModelFile
    );
    let e = reg.model_schema(&model, s(&v["broken"])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedResponse, "{e}");
    assert!(
        e.message
            .contains(&format!("MLmodel of {model} version {}", s(&v["broken"]))),
        "{e}"
    );

    // Dataset inputs, against client.get_run(...).inputs.
    let runs = &py["runs"];
    let (ra, rb) = (s(&runs["a"]), s(&runs["b"]));
    let da = reg.run_datasets(ra).await.unwrap();
    let db = reg.run_datasets(rb).await.unwrap();
    for (side, ds) in [("a", &da), ("b", &db)] {
        let mut ours: Vec<Value> = ds
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.name, "digest": d.digest, "source_type": d.source_type,
                    "source": d.source, "context": d.context, "rows": d.rows,
                })
            })
            .collect();
        ours.sort_by_key(|d| (d["context"].to_string(), d["name"].to_string()));
        assert_eq!(Value::Array(ours), py["inputs"][side], "{side}");
    }
    let lineage = compare_lineage(&da, &db);
    let per_ctx = py["same_data_per_context"].as_object().unwrap();
    for r in &lineage.rows {
        let ctx = r.context.clone().unwrap();
        assert_eq!(r.same, per_ctx[&ctx].as_bool().unwrap(), "{ctx}");
    }
    let all_same = per_ctx.values().all(|v| v.as_bool().unwrap());
    assert_eq!(
        lineage.verdict,
        if all_same {
            DataVerdict::SameData
        } else {
            DataVerdict::DifferentData
        }
    );
    assert_eq!(compare_lineage(&da, &da).verdict, DataVerdict::SameData);

    // Histories, against client.get_metric_history.
    for (side, run) in [("a", ra), ("b", rb)] {
        let h = reg.metric_history(run, "loss").await.unwrap();
        let want = py["history"][side].as_array().unwrap();
        assert_eq!(h.len(), STEPS);
        assert_eq!(h.len(), want.len());
        for (p, w) in h.iter().zip(want) {
            assert_eq!(p.step, w[0].as_i64().unwrap());
            match w[1].as_f64() {
                Some(x) => assert_eq!(p.value, x, "{side} step {}", p.step),
                None => assert!(p.value.is_nan(), "{side} step {}", p.step),
            }
        }
    }
}
