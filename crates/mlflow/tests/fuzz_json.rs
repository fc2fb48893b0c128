//! Issue 12 item 5: MLflow's JSON decoding (the `types` structs with the
//! lenient `de` decoders: NaN/Infinity metric strings, int64 as strings,
//! versions as numbers) under property tests, on stable Rust: arbitrary bytes,
//! and a structure-aware generator (valid registered models, versions, runs
//! and metrics with random mutations: fields removed, wrong types, huge
//! numbers, NaN, deep nesting, hostile strings with control and bidi
//! characters). Properties: no panic; an error that says where (serde_json's
//! line and column); decoded values bounded by the input's size; the lenient
//! decoders keep their promises on what they accept.
//!
//! Cases per property: `MODELDECK_PROPTEST_CASES` (default 256, for CI; the
//! benchmark run in `docs/benchmarks.md` uses 100,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_mlflow::types::{Metric, ModelVersion, RegisteredModel, Run};
use modeldeck_testkit::fuzz::*;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::fmt::Debug;

// ---- structure-aware JSON: a valid document, then random mutations ----

// ---- valid MLflow documents ----

fn version_doc(name: &str, n: u64) -> Value {
    json!({
        "name": name,
        "version": n.to_string(),
        "creation_timestamp": "1795869880555",
        "last_updated_timestamp": 1_795_869_880_999_i64,
        "user_id": "ana",
        "current_stage": "Production",
        "description": "",
        "source": "s3://models/fraud/7",
        "run_id": "0a1b2c",
        "status": "READY",
        "status_message": "",
        "tags": [{"key": "team", "value": "risk"}, {"key": "k"}],
        "aliases": ["champion"]
    })
}

fn model_doc(name: &str, n: u64) -> Value {
    json!({
        "name": name,
        "creation_timestamp": 1,
        "last_updated_timestamp": "2",
        "description": "fraud model",
        "user_id": "",
        "latest_versions": [version_doc(name, n)],
        "tags": [{"key": "owner", "value": "risk"}],
        "aliases": [{"alias": "champion", "version": n.to_string()}, {"alias": "old", "version": 1}]
    })
}

fn metric_doc(v: f64) -> Value {
    json!({"key": "auc", "value": v, "timestamp": "17", "step": 3})
}

fn run_doc(name: &str) -> Value {
    json!({
        "info": {
            "run_id": "0a1b2c", "run_uuid": "0a1b2c", "run_name": name,
            "experiment_id": "1", "user_id": "ana", "status": "FINISHED",
            "start_time": "1795869880555", "end_time": 1_795_869_880_999_i64,
            "artifact_uri": "s3://a/b", "lifecycle_stage": "active"
        },
        "data": {
            "metrics": [metric_doc(0.93), {"key": "loss", "value": "NaN"}, {"key": "x", "value": "-Infinity", "step": "4"}],
            "params": [{"key": "lr", "value": "0.01"}],
            "tags": [{"key": "mlflow.user", "value": "ana"}]
        }
    })
}

/// The decoders' promises for one input: no panic (the caller runs this),
/// an error with a position, a decoded value no bigger than the input.
fn check<T: DeserializeOwned + Debug>(text: &[u8]) -> Result<Option<T>, TestCaseError> {
    match serde_json::from_slice::<T>(text) {
        Ok(v) => {
            let shown = format!("{v:?}");
            prop_assert!(
                shown.len() <= 12 * text.len() + 1024,
                "{} bytes decoded from {}",
                shown.len(),
                text.len()
            );
            Ok(Some(v))
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(e.line() >= 1, "no position in {msg:?}");
            prop_assert!(msg.contains(" at line "), "{msg:?}");
            prop_assert!(
                msg.len() <= text.len() + 512,
                "{} bytes of error",
                msg.len()
            );
            Ok(None)
        }
    }
}

fn check_all(text: &[u8]) -> Result<(), TestCaseError> {
    check::<ModelVersion>(text)?;
    check::<RegisteredModel>(text)?;
    check::<Run>(text)?;
    check::<Metric>(text)?;
    check::<Vec<Metric>>(text)?;
    Ok(())
}

#[test]
fn the_seed_documents_decode() {
    let v: ModelVersion = serde_json::from_value(version_doc("fraud", 7)).unwrap();
    assert_eq!(v.version, "7");
    assert_eq!(v.description, None);
    let m: RegisteredModel = serde_json::from_value(model_doc("fraud", 7)).unwrap();
    assert_eq!(m.aliases[1].version, "1");
    let r: Run = serde_json::from_value(run_doc("r")).unwrap();
    assert!(r.data.metrics[1].value.is_nan());
    assert_eq!(r.info.start_time, Some(1_795_869_880_555));
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn mlflow_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_all(&bytes)?;
    }

    #[test]
    fn mlflow_arbitrary_text_never_panics(text in hostile_string(1024)) {
        check_all(text.as_bytes())?;
    }

    #[test]
    fn mlflow_mutated_documents_decode_or_say_where(
        which in 0usize..4,
        name in hostile_string(24),
        n in any::<u64>(),
        v in any::<f64>(),
        edits in prop::collection::vec(edit(), 0..6),
    ) {
        let doc = match which {
            0 => version_doc(&name, n),
            1 => model_doc(&name, n),
            2 => run_doc(&name),
            _ => json!([metric_doc(v), metric_doc(-v)]),
        };
        let text = mutate(doc, &edits);
        check_all(text.as_bytes())?;
        if edits.is_empty() {
            // Unmutated, they decode, hostile names and all.
            match which {
                0 => prop_assert_eq!(check::<ModelVersion>(text.as_bytes())?.unwrap().name, name),
                1 => prop_assert_eq!(check::<RegisteredModel>(text.as_bytes())?.unwrap().name, name),
                2 => prop_assert!(check::<Run>(text.as_bytes())?.is_some()),
                _ => prop_assert!(check::<Vec<Metric>>(text.as_bytes())?.is_some()),
            }
        }
    }

    /// Metric values: a number (±f64::MAX read back as ±infinity), or a
    /// numeric or NaN/Infinity string in any case; anything else is an
    /// error that names the accepted forms.
    #[test]
    fn metric_values_keep_their_promise(
        value in prop_oneof![
            any::<f64>().prop_map(|f| json!(f).to_string()),
            any::<i64>().prop_map(|i| i.to_string()),
            prop::sample::select(vec!["nan", "NAN", " Infinity ", "-inf", "+Inf", "1e999", "0x10", ""])
                .prop_map(|s| json!(s).to_string()),
            hostile_string(16).prop_map(|s| json!(s).to_string()),
            raw_json(),
            json_value().prop_map(|v| v.to_string()),
        ],
    ) {
        let text = format!("{{\"key\":\"k\",\"value\":{value}}}");
        match serde_json::from_str::<Metric>(&text) {
            Ok(m) => {
                let parsed: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
                if let Some(f) = parsed.as_f64().filter(|f| f.abs() < f64::MAX) {
                    prop_assert_eq!(m.value.to_bits(), f.to_bits(), "{}", value);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains(" at line "), "{msg:?}");
                let about_value = msg.contains("a number or \"NaN\"")
                    || msg.contains("EOF")
                    || msg.contains("recursion limit")
                    || msg.contains("number out of range")
                    || msg.contains("expected")
                    || msg.contains("invalid")
                    || msg.contains("control character")
                    || msg.contains("lone leading surrogate");
                prop_assert!(about_value, "unclear error {msg:?}");
            }
        }
    }
}
