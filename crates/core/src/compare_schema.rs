//! The model signature of a version (MLflow's `MLmodel` `signature`:
//! inputs, outputs, params) and the diff of two signatures as a serving
//! client sees it: which columns were added, removed or retyped, and which
//! of those make a request that worked against A fail against B.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One column, tensor or param of a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ColumnSpec {
    /// Column name; unnamed tensors are named by position (`#0`).
    pub name: String,
    /// The type as one string: `double`, `string`, `tensor(float32, [-1, 4])`,
    /// `array<double>` ...
    pub kind: String,
    /// False for optional columns (`required: false`) and for params (they
    /// have defaults).
    pub required: bool,
}

/// The input example logged with the model, when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InputExample {
    /// Path inside the model's files (`input_example.json`).
    pub artifact_path: String,
    /// `dataframe`, `ndarray`, `json_object` ...
    pub kind: String,
    /// The start of the example's text, when it could be read.
    pub preview: Option<String>,
}

/// A version's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Signature {
    /// Inputs in the signature's order.
    pub inputs: Vec<ColumnSpec>,
    /// Outputs in the signature's order.
    pub outputs: Vec<ColumnSpec>,
    /// Inference params (with defaults).
    pub params: Vec<ColumnSpec>,
    /// The logged input example.
    pub input_example: Option<InputExample>,
}

/// What a version's model files say about its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ModelSchema {
    /// The model was logged with a signature.
    Signature {
        /// The signature.
        signature: Signature,
    },
    /// The `MLmodel` file has no `signature`.
    NoSignature,
    /// The version's files have no `MLmodel` (not an MLflow model).
    NoModelFile,
}

impl ModelSchema {
    /// The signature, if there is one.
    pub fn signature(&self) -> Option<&Signature> {
        match self {
            ModelSchema::Signature { signature } => Some(signature),
            _ => None,
        }
    }

    /// A short phrase for a side without a signature.
    pub fn missing_reason(&self) -> Option<&'static str> {
        match self {
            ModelSchema::Signature { .. } => None,
            ModelSchema::NoSignature => Some("logged without a signature"),
            ModelSchema::NoModelFile => Some("no MLmodel file in the version's files"),
        }
    }
}

/// Which part of the signature a change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SchemaPart {
    /// Model inputs.
    Input,
    /// Model outputs.
    Output,
    /// Inference params.
    Param,
}

impl SchemaPart {
    /// `input`, `output` or `param`.
    pub fn word(self) -> &'static str {
        match self {
            SchemaPart::Input => "input",
            SchemaPart::Output => "output",
            SchemaPart::Param => "param",
        }
    }
}

/// What happened to a column from A to B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ChangeKind {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// In both with another type.
    Retyped,
    /// Same type, but optional in one and required in the other.
    RequiredChanged,
}

/// One column that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ColumnChange {
    /// Inputs, outputs or params.
    pub part: SchemaPart,
    /// Column name.
    pub name: String,
    /// What changed.
    pub change: ChangeKind,
    /// The column in A.
    pub a: Option<ColumnSpec>,
    /// The column in B.
    pub b: Option<ColumnSpec>,
    /// True when a client that worked with A fails with B.
    pub breaking: bool,
    /// Why it breaks (or why not), one sentence.
    pub reason: String,
}

/// Two signatures compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SchemaDiff {
    /// A's schema.
    pub a: ModelSchema,
    /// B's schema.
    pub b: ModelSchema,
    /// Columns that differ: inputs, then outputs, then params; by name.
    pub changes: Vec<ColumnChange>,
    /// Columns the same on both sides.
    pub unchanged: usize,
    /// True when any change is breaking.
    pub breaking: bool,
    /// False when a side has no signature: nothing could be compared.
    pub comparable: bool,
}

/// Compares two schemas. Inputs and params match by name; unnamed tensors
/// by position (their names are `#0`, `#1`...).
pub fn diff_schemas(a: ModelSchema, b: ModelSchema) -> SchemaDiff {
    let (mut changes, mut unchanged) = (Vec::new(), 0);
    let comparable = a.signature().is_some() && b.signature().is_some();
    if let (Some(sa), Some(sb)) = (a.signature(), b.signature()) {
        for (part, ca, cb) in [
            (SchemaPart::Input, &sa.inputs, &sb.inputs),
            (SchemaPart::Output, &sa.outputs, &sb.outputs),
            (SchemaPart::Param, &sa.params, &sb.params),
        ] {
            let (c, u) = diff_columns(part, ca, cb);
            changes.extend(c);
            unchanged += u;
        }
    }
    SchemaDiff {
        breaking: changes.iter().any(|c| c.breaking),
        a,
        b,
        changes,
        unchanged,
        comparable,
    }
}

fn diff_columns(
    part: SchemaPart,
    a: &[ColumnSpec],
    b: &[ColumnSpec],
) -> (Vec<ColumnChange>, usize) {
    let ma: BTreeMap<&str, &ColumnSpec> = a.iter().map(|c| (c.name.as_str(), c)).collect();
    let mb: BTreeMap<&str, &ColumnSpec> = b.iter().map(|c| (c.name.as_str(), c)).collect();
    let mut names: Vec<&str> = ma.keys().chain(mb.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    let mut same = 0;
    for name in names {
        let (ca, cb) = (ma.get(name).copied(), mb.get(name).copied());
        let Some((change, breaking, reason)) = judge_column(part, name, ca, cb) else {
            same += 1;
            continue;
        };
        out.push(ColumnChange {
            part,
            name: name.to_string(),
            change,
            a: ca.cloned(),
            b: cb.cloned(),
            breaking,
            reason,
        });
    }
    (out, same)
}

fn judge_column(
    part: SchemaPart,
    name: &str,
    a: Option<&ColumnSpec>,
    b: Option<&ColumnSpec>,
) -> Option<(ChangeKind, bool, String)> {
    use ChangeKind::*;
    use SchemaPart::*;
    let r = match (part, a, b) {
        (_, None, None) => return None,
        (Input, None, Some(c)) if c.required => (
            Added,
            true,
            format!("B requires input {name:?}: requests without it fail"),
        ),
        (Input, None, Some(_)) => (
            Added,
            false,
            format!("optional input {name:?}: requests without it still work"),
        ),
        (Input, Some(_), None) => (
            Removed,
            true,
            format!("B no longer takes input {name:?}: requests that send it fail schema checks"),
        ),
        (Output, None, Some(_)) => (
            Added,
            false,
            format!("new output {name:?}: existing readers ignore it"),
        ),
        (Output, Some(_), None) => (
            Removed,
            true,
            format!("output {name:?} is gone: clients that read it fail"),
        ),
        (Param, None, Some(_)) => (Added, false, format!("new param {name:?} has a default")),
        (Param, Some(_), None) => (
            Removed,
            false,
            format!("param {name:?} is gone: MLflow ignores it with a warning"),
        ),
        (_, Some(x), Some(y)) if x.kind != y.kind => (
            Retyped,
            true,
            format!(
                "{} {name:?} changed type {} -> {}: {}",
                part.word(),
                x.kind,
                y.kind,
                match part {
                    Input => format!("requests sending {} fail", x.kind),
                    Output => "clients reading it fail".to_string(),
                    Param => "requests setting it may fail".to_string(),
                }
            ),
        ),
        (Input, Some(x), Some(y)) if x.required != y.required => {
            if y.required {
                (
                    RequiredChanged,
                    true,
                    format!("input {name:?} became required: requests without it fail"),
                )
            } else {
                (
                    RequiredChanged,
                    false,
                    format!("input {name:?} became optional"),
                )
            }
        }
        _ => return None,
    };
    Some(r)
}

#[cfg(test)]
#[path = "compare_schema_tests.rs"]
mod tests;
