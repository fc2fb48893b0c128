//! A version's model signature and its training run's datasets, read the
//! way MLflow writes them: the `MLmodel` YAML file at the root of the
//! model's files (`signature: {inputs: '<json>', outputs: '<json>',
//! params: '<json>'}`, `saved_input_example_info`), and `run.inputs.
//! dataset_inputs` with the `mlflow.data.context` input tag.
//!
//! Column specs are `{"type", "name", "required"}` (types `double`,
//! `string`, `array` with `items`, `object` with `properties`, `map` with
//! `values` ...); tensor specs are `{"type": "tensor", "tensor-spec":
//! {"dtype", "shape"}}`; param specs add `default` and `shape`.

use crate::client::MlflowClient;
use crate::types;
use modeldeck_core::compare_lineage::DatasetInput;
use modeldeck_core::compare_schema::{ColumnSpec, InputExample, ModelSchema, Signature};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use serde_json::Value;

/// The model file MLflow writes at the root of a logged model.
pub const MLMODEL: &str = "MLmodel";

/// Longest input example preview kept, in characters.
const PREVIEW_CHARS: usize = 400;

/// Parses an `MLmodel` file's text. `owner` names the version in errors.
pub fn parse_mlmodel(text: &str, owner: &str) -> PortResult<(ModelSchema, Option<String>)> {
    let bad = |why: String| {
        BackendError::new(
            Backend::Registry,
            ErrorCode::MalformedResponse,
            format!("{MLMODEL} of {owner} is malformed: {why}"),
        )
    };
    let doc: Value = serde_norway::from_str(text).map_err(|e| bad(format!("not YAML: {e}")))?;
    let Some(map) = doc.as_object() else {
        return Err(bad("not a YAML mapping".into()));
    };
    let example = map
        .get("saved_input_example_info")
        .and_then(Value::as_object);
    let input_example = example.and_then(|e| {
        Some(InputExample {
            artifact_path: e.get("artifact_path")?.as_str()?.to_string(),
            kind: e
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_string(),
            preview: None,
        })
    });
    let example_path = input_example.as_ref().map(|e| e.artifact_path.clone());
    let sig = match map.get("signature") {
        None | Some(Value::Null) => return Ok((ModelSchema::NoSignature, example_path)),
        Some(Value::Object(s)) => s,
        Some(_) => return Err(bad("signature is not a mapping".into())),
    };
    let part = |key: &str| -> PortResult<Vec<ColumnSpec>> {
        let specs = match sig.get(key) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::String(s)) => serde_json::from_str::<Value>(s)
                .map_err(|e| bad(format!("signature.{key} is not JSON: {e}")))?,
            Some(v) => v.clone(),
        };
        let Some(list) = specs.as_array() else {
            return Err(bad(format!("signature.{key} is not a list of specs")));
        };
        list.iter()
            .enumerate()
            .map(|(i, s)| {
                column(s, i, key == "params").map_err(|w| bad(format!("signature.{key}[{i}]: {w}")))
            })
            .collect()
    };
    let signature = Signature {
        inputs: part("inputs")?,
        outputs: part("outputs")?,
        params: part("params")?,
        input_example,
    };
    Ok((ModelSchema::Signature { signature }, example_path))
}

fn column(spec: &Value, index: usize, param: bool) -> Result<ColumnSpec, String> {
    let Some(o) = spec.as_object() else {
        return Err("not an object".into());
    };
    let name = match o.get("name").and_then(Value::as_str) {
        Some(n) => n.to_string(),
        None if param => return Err("a param without a name".into()),
        None => format!("#{index}"),
    };
    let mut kind = kind_of(spec)?;
    if param && let Some(shape) = o.get("shape").filter(|s| !s.is_null()) {
        kind = format!("{kind}{shape}");
    }
    let required = !param && o.get("required").and_then(Value::as_bool).unwrap_or(true);
    Ok(ColumnSpec {
        name,
        kind,
        required,
    })
}

/// One type as a string: `double`, `tensor(float32, [-1, 4])`,
/// `array<double>`, `object{a: long, b: string}`, `map<string, double>`.
fn kind_of(spec: &Value) -> Result<String, String> {
    let Some(t) = spec.get("type").and_then(Value::as_str) else {
        return Err("no \"type\"".into());
    };
    Ok(match t {
        "tensor" => {
            let ts = spec
                .get("tensor-spec")
                .ok_or("a tensor without \"tensor-spec\"")?;
            let dtype = ts
                .get("dtype")
                .and_then(Value::as_str)
                .ok_or("a tensor without \"dtype\"")?;
            let shape = ts
                .get("shape")
                .and_then(Value::as_array)
                .map(|s| {
                    let dims: Vec<String> = s.iter().map(Value::to_string).collect();
                    format!("[{}]", dims.join(", "))
                })
                .unwrap_or_else(|| "[]".into());
            format!("tensor({dtype}, {shape})")
        }
        "array" => format!(
            "array<{}>",
            kind_of(spec.get("items").ok_or("an array without \"items\"")?)?
        ),
        "map" => format!(
            "map<string, {}>",
            kind_of(spec.get("values").ok_or("a map without \"values\"")?)?
        ),
        "object" => {
            let props = spec
                .get("properties")
                .and_then(Value::as_object)
                .ok_or("an object without \"properties\"")?;
            let mut fields = Vec::new();
            for (k, v) in props {
                fields.push(format!("{k}: {}", kind_of(v)?));
            }
            format!("object{{{}}}", fields.join(", "))
        }
        other => other.to_string(),
    })
}

/// A run's dataset inputs in domain terms.
pub fn datasets_of(run: &types::Run) -> Vec<DatasetInput> {
    run.inputs
        .dataset_inputs
        .iter()
        .map(|d| {
            let ds = &d.dataset;
            let profile: Option<Value> = ds
                .profile
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok());
            let schema: Option<Value> = ds
                .schema
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok());
            let features = schema
                .as_ref()
                .and_then(|s| {
                    s.get("mlflow_colspec")
                        .or_else(|| s.get("mlflow_tensorspec"))
                })
                .and_then(Value::as_array)
                .map(|cols| {
                    cols.iter()
                        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            DatasetInput {
                name: ds.name.clone(),
                digest: ds.digest.clone(),
                source_type: ds.source_type.clone(),
                source: ds.source.clone(),
                context: d
                    .tags
                    .iter()
                    .find(|t| t.key == "mlflow.data.context")
                    .map(|t| t.value.clone()),
                rows: profile
                    .as_ref()
                    .and_then(|p| p.get("num_rows"))
                    .and_then(Value::as_u64),
                features,
            }
        })
        .collect()
}

impl MlflowClient {
    /// The signature in the `MLmodel` file of `name` `version`, with the
    /// start of its input example when one was saved. No `MLmodel` (the
    /// server answers not found) is [`ModelSchema::NoModelFile`].
    pub async fn model_schema(&self, name: &str, version: &str) -> PortResult<ModelSchema> {
        let owner = format!("{name} version {version}");
        let bytes = match self.download_version_artifact(name, version, MLMODEL).await {
            Ok(b) => b,
            Err(e) if e.code == ErrorCode::NotFound => return Ok(ModelSchema::NoModelFile),
            Err(e) => return Err(e),
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::MalformedResponse,
                format!("{MLMODEL} of {owner} is not UTF-8 text"),
            )
        })?;
        let (mut schema, example) = parse_mlmodel(&text, &owner)?;
        if let (ModelSchema::Signature { signature }, Some(path)) = (&mut schema, example)
            && let Some(ex) = signature.input_example.as_mut()
        {
            // The example is a convenience: a missing or unreadable one leaves no preview.
            if let Ok(b) = self.download_version_artifact(name, version, &path).await {
                let t = String::from_utf8_lossy(&b);
                ex.preview = Some(t.chars().take(PREVIEW_CHARS).collect());
            }
        }
        Ok(schema)
    }

    /// The datasets run `run_id` logged as inputs.
    pub async fn run_datasets(&self, run_id: &str) -> PortResult<Vec<DatasetInput>> {
        Ok(datasets_of(&self.get_run(run_id).await?))
    }
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
