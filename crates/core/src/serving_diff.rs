//! What a promotion would change in each target workload's spec, shown
//! before anyone approves: the field-by-field difference between the object
//! as it is and the object after the very patch the cluster adapter would
//! send (the adapter builds the patch with the function its write uses,
//! applies it here with [`merge_patch`], and diffs with [`diff_specs`]).
//!
//! Paths read as `kubectl explain` paths, list items named by their `name`
//! (`spec.template.spec.containers[predictor].env[MODEL_URI]`), map keys
//! that are not plain words in brackets
//! (`metadata.annotations[modeldeck.io/model-version]`).

use crate::domain::WorkloadRef;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One field the promotion changes. `before` is `None` when the field is
/// added, `after` is `None` when it is removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldChange {
    /// Where, as `spec.template.spec.containers[predictor].env[MODEL_URI]`.
    pub path: String,
    /// The value now (strings as they are, other values as JSON).
    pub before: Option<String>,
    /// The value the promotion writes.
    pub after: Option<String>,
}

/// What serving `candidate` would change in one target workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServingChanges {
    /// The workload.
    pub target: WorkloadRef,
    /// The candidate version the promotion serves.
    pub candidate: String,
    /// The fields that change, in path order; unchanged fields are not listed.
    pub changes: Vec<FieldChange>,
    /// The workload already serves the candidate: nothing to write.
    pub already_on_candidate: bool,
    /// Why the change could not be computed (the workload is gone, the
    /// adapter cannot read specs, the binding is not ours to change);
    /// `changes` is then empty.
    pub unavailable: Option<String>,
}

impl ServingChanges {
    /// The changes of `target` from `before` to `after` (the object with
    /// the patch applied). No change at all reads as already on the candidate.
    /// Values go through [`mask_userinfo`]: a URI in an env entry may carry
    /// credentials, which are never shown.
    pub fn of(target: WorkloadRef, candidate: &str, before: &Value, after: &Value) -> Self {
        let mut changes = diff_specs(before, after);
        for c in &mut changes {
            for v in [&mut c.before, &mut c.after].into_iter().flatten() {
                *v = mask_userinfo(v);
            }
        }
        ServingChanges {
            target,
            candidate: candidate.to_string(),
            already_on_candidate: changes.is_empty(),
            changes,
            unavailable: None,
        }
    }

    /// A target whose changes could not be computed, saying why.
    pub fn unavailable(target: WorkloadRef, candidate: &str, why: impl Into<String>) -> Self {
        ServingChanges {
            target,
            candidate: candidate.to_string(),
            changes: Vec::new(),
            already_on_candidate: false,
            unavailable: Some(why.into()),
        }
    }

    /// One line for a table cell: `3 fields`, `already serves v7`, or why not.
    pub fn summary(&self) -> String {
        if let Some(why) = &self.unavailable {
            return format!("cannot tell: {why}");
        }
        if self.already_on_candidate {
            return format!("already serves v{}", self.candidate);
        }
        match self.changes.len() {
            1 => "1 field changes".into(),
            n => format!("{n} fields change"),
        }
    }
}

/// `text` with the user info of every URL in it (`scheme://user:pass@host`)
/// replaced by `***`, so a credential in a model URI is never displayed.
pub fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

/// Applies a JSON merge patch (RFC 7386) to `target`, as the API server
/// applies `application/merge-patch+json`: objects merge key by key, `null`
/// removes a key, anything else (lists too) replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Every leaf that differs between `before` and `after`, in path order.
/// `metadata.resourceVersion`, `metadata.managedFields` and `status` are
/// the server's bookkeeping, not the spec, and are left out.
pub fn diff_specs(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", Some(before), Some(after), &mut out);
    out.retain(|c| !bookkeeping(&c.path));
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn bookkeeping(path: &str) -> bool {
    [
        "metadata.resourceVersion",
        "metadata.managedFields",
        "status",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}[")))
}

fn key_path(parent: &str, key: &str) -> String {
    let word = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    match (parent.is_empty(), word) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{key}]"),
    }
}

/// A list whose items are all objects with a distinct string `name` is
/// keyed by name (containers, env); any other list by index.
fn named_items(list: &[Value]) -> Option<Vec<(String, &Value)>> {
    let mut out: Vec<(String, &Value)> = Vec::with_capacity(list.len());
    for item in list {
        let name = item.get("name").and_then(Value::as_str)?;
        if out.iter().any(|(n, _)| n == name) {
            return None;
        }
        out.push((name.to_string(), item));
    }
    Some(out)
}

fn items(list: &[Value], named: bool) -> Vec<(String, &Value)> {
    if named && let Some(n) = named_items(list) {
        return n;
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| (i.to_string(), v))
        .collect()
}

fn find<'a>(list: &[(String, &'a Value)], key: &str) -> Option<&'a Value> {
    list.iter().find(|(n, _)| n == key).map(|(_, v)| *v)
}

/// The `value` of a `{name, value}` object (an env entry).
fn pair_value(v: &Value) -> Option<&Value> {
    let o = v.as_object()?;
    (o.len() == 2 && o.contains_key("name")).then(|| o.get("value"))?
}

fn leaf(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(&key_path(path, k), x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            // Both sides keyed alike: by name only when both can be.
            let named = named_items(x).is_some() && named_items(y).is_some();
            let xs = items(x, named);
            let ys = items(y, named);
            let mut keys: Vec<&String> = xs.iter().chain(ys.iter()).map(|(k, _)| k).collect();
            keys.dedup();
            let mut seen: Vec<&String> = Vec::new();
            for k in keys {
                if seen.contains(&k) {
                    continue;
                }
                seen.push(k);
                let (x, y) = (find(&xs, k), find(&ys, k));
                // An env entry (`{name, value}`) reads as its value.
                let (x, y) = match (x.map(pair_value), y.map(pair_value)) {
                    (Some(Some(a)), Some(Some(b))) => (Some(a), Some(b)),
                    (Some(Some(a)), None) => (Some(a), None),
                    (None, Some(Some(b))) => (None, Some(b)),
                    _ => (x, y),
                };
                walk(&format!("{path}[{k}]"), x, y, out);
            }
        }
        (Some(x), Some(y)) if x == y => {}
        (Some(x), None) if is_container(x) => walk(path, Some(x), Some(&empty_like(x)), out),
        (None, Some(y)) if is_container(y) => walk(path, Some(&empty_like(y)), Some(y), out),
        (Some(x), Some(y)) if is_container(x) || is_container(y) => {
            // A shape change (a list became a string): one line for the whole.
            out.push(FieldChange {
                path: path.to_string(),
                before: Some(leaf(x)),
                after: Some(leaf(y)),
            });
        }
        (x, y) => {
            if x.is_some() || y.is_some() {
                out.push(FieldChange {
                    path: path.to_string(),
                    before: x.map(leaf),
                    after: y.map(leaf),
                });
            }
        }
    }
}

fn is_container(v: &Value) -> bool {
    v.is_object() || v.is_array()
}

fn empty_like(v: &Value) -> Value {
    if v.is_array() {
        Value::Array(Vec::new())
    } else {
        Value::Object(Map::new())
    }
}

#[cfg(test)]
#[path = "serving_diff_tests.rs"]
mod tests;
