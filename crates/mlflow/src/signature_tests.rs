use super::*;

/// An `MLmodel` as mlflow 3.17 writes it for `mlflow.sklearn.log_model`
/// with a signature and an input example.
const SKLEARN: &str = r#"artifact_path: /srv/mlflow/artifacts/1/models/m-1/artifacts
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.2
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.7.2
is_signature_from_type_hint: false
mlflow_version: 3.17.2
model_id: m-1
model_size_bytes: 1234
model_uuid: m-1
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "amount", "required": true}, {"type": "long",
    "name": "hour", "required": false}, {"type": "array", "items": {"type": "string"},
    "name": "tags", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: '[{"name": "top_k", "type": "long", "default": 10, "shape": null}]'
type_hint_from_example: false
utc_time_created: '2026-12-06 01:02:03.456789'
"#;

#[test]
fn reads_columns_tensors_params_and_example() {
    let (s, ex) = parse_mlmodel(SKLEARN, "m version 1").unwrap();
    assert_eq!(ex.as_deref(), Some("input_example.json"));
    let sig = s.signature().unwrap();
    let names: Vec<(&str, &str, bool)> = sig
        .inputs
        .iter()
        .map(|c| (c.name.as_str(), c.kind.as_str(), c.required))
        .collect();
    assert_eq!(
        names,
        [
            ("amount", "double", true),
            ("hour", "long", false),
            ("tags", "array<string>", true)
        ]
    );
    assert_eq!(sig.outputs[0].name, "#0");
    assert_eq!(sig.outputs[0].kind, "tensor(int64, [-1])");
    assert_eq!(sig.params[0].name, "top_k");
    assert_eq!(sig.params[0].kind, "long");
    assert!(!sig.params[0].required);
    assert_eq!(sig.input_example.as_ref().unwrap().kind, "dataframe");
}

#[test]
fn no_signature_is_a_state() {
    let (s, _) = parse_mlmodel("flavors: {}\nmlflow_version: 3.17.2\n", "m version 2").unwrap();
    assert_eq!(s, ModelSchema::NoSignature);
    let (s, _) = parse_mlmodel("signature: null\n", "m version 2").unwrap();
    assert_eq!(s, ModelSchema::NoSignature);
}

#[test]
fn malformed_files_name_the_file_and_version() {
    for (text, why) in [
        ("signature: [1, 2\n", "not YAML"),
        ("- a\n- b\n", "not a YAML mapping"),
        (
            "signature:\n  inputs: '[{\"name\": \"x\"'\n",
            "signature.inputs is not JSON",
        ),
        (
            "signature:\n  inputs: '[{\"name\": \"x\"}]'\n",
            "signature.inputs[0]: no \"type\"",
        ),
        (
            "signature:\n  outputs: '{\"a\": 1}'\n",
            "signature.outputs is not a list",
        ),
        (
            "signature:\n  inputs: '[{\"type\": \"tensor\"}]'\n",
            "a tensor without \"tensor-spec\"",
        ),
    ] {
        let e = parse_mlmodel(text, "fraud version 7").unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedResponse, "{text}");
        assert!(
            e.message.contains("MLmodel of fraud version 7"),
            "{}",
            e.message
        );
        assert!(e.message.contains(why), "{why}: {}", e.message);
    }
}

#[test]
fn datasets_read_context_rows_and_features() {
    let run: types::Run = serde_json::from_value(serde_json::json!({
        "info": {"run_id": "r1", "experiment_id": "1"},
        "inputs": {"dataset_inputs": [{
            "tags": [{"key": "mlflow.data.context", "value": "training"}],
            "dataset": {
                "name": "fraud-train", "digest": "3f2a9c1b", "source_type": "local",
                "source": "{\"uri\": \"/data/train.csv\"}",
                "schema": "{\"mlflow_colspec\": [{\"type\": \"double\", \"name\": \"amount\"}]}",
                "profile": "{\"num_rows\": 1200, \"num_elements\": 2400}"
            }
        }, {"dataset": {"name": "bare", "digest": "d", "source_type": "code", "source": "{}"}}]}
    }))
    .unwrap();
    let d = datasets_of(&run);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].context.as_deref(), Some("training"));
    assert_eq!(d[0].rows, Some(1200));
    assert_eq!(d[0].features, ["amount"]);
    assert_eq!((d[1].context.clone(), d[1].rows), (None, None));
}
