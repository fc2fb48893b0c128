//! The three patch types: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
//! and strategic merge patch (built-in types only, merge keys by field name).

mod strategic;

use crate::status::{ApiError, ApiResult};
use serde_json::Value;

pub use strategic::strategic_merge;

/// Content type of a JSON merge patch.
pub const MERGE: &str = "application/merge-patch+json";
/// Content type of a JSON patch.
pub const JSON: &str = "application/json-patch+json";
/// Content type of a strategic merge patch.
pub const STRATEGIC: &str = "application/strategic-merge-patch+json";
/// Content type of server-side apply (not supported here).
pub const APPLY: &str = "application/apply-patch+yaml";

/// A patch body with its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 7386.
    Merge,
    /// RFC 6902.
    Json,
    /// Kubernetes strategic merge.
    Strategic,
}

impl PatchType {
    /// The patch type named by a `Content-Type` header (parameters ignored).
    pub fn from_content_type(ct: &str, strategic_ok: bool) -> ApiResult<PatchType> {
        let base = ct.split(';').next().unwrap_or("").trim();
        let accepted: &[&str] = if strategic_ok {
            &[JSON, MERGE, STRATEGIC]
        } else {
            &[JSON, MERGE]
        };
        match base {
            MERGE => Ok(PatchType::Merge),
            JSON => Ok(PatchType::Json),
            STRATEGIC if strategic_ok => Ok(PatchType::Strategic),
            other => Err(ApiError::unsupported_media_type(other, accepted)),
        }
    }
}

/// Applies `body` of type `ty` to a copy of `current`.
pub fn apply(current: &Value, ty: PatchType, body: &[u8]) -> ApiResult<Value> {
    let mut out = current.clone();
    match ty {
        PatchType::Merge | PatchType::Strategic => {
            let p: Value = serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!(
                    "error decoding patch: {e} (the body must be a JSON object)"
                ))
            })?;
            if !p.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding patch: the body must be a JSON object",
                ));
            }
            if ty == PatchType::Merge {
                json_patch::merge(&mut out, &p);
            } else {
                strategic_merge(&mut out, &p)?;
            }
        }
        PatchType::Json => {
            let p: json_patch::Patch = serde_json::from_slice(body).map_err(|e| {
                ApiError::bad_request(format!(
                    "error decoding JSON patch: {e} (expected an array of operations)"
                ))
            })?;
            json_patch::patch(&mut out, &p.0).map_err(|e| {
                ApiError::unprocessable(format!("the JSON patch could not be applied: {e}"))
            })?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_replaces_arrays_and_deletes_nulls() {
        let cur = json!({"a": {"b": 1, "c": 2}, "l": [1, 2]});
        let out = apply(
            &cur,
            PatchType::Merge,
            br#"{"a": {"b": null, "d": 3}, "l": [9]}"#,
        )
        .unwrap();
        assert_eq!(out, json!({"a": {"c": 2, "d": 3}, "l": [9]}));
    }

    #[test]
    fn json_patch_test_op_failure_is_422() {
        let cur = json!({"metadata": {"resourceVersion": "5"}});
        let body = br#"[{"op": "test", "path": "/metadata/resourceVersion", "value": "4"}]"#;
        assert_eq!(apply(&cur, PatchType::Json, body).unwrap_err().code, 422);
        let ok = br#"[{"op": "replace", "path": "/metadata/resourceVersion", "value": "6"}]"#;
        assert_eq!(
            apply(&cur, PatchType::Json, ok).unwrap()["metadata"]["resourceVersion"],
            "6"
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8", false)
                .unwrap(),
            PatchType::Merge
        );
        assert_eq!(
            PatchType::from_content_type(STRATEGIC, false)
                .unwrap_err()
                .code,
            415
        );
        assert!(PatchType::from_content_type(APPLY, true).is_err());
    }
}
