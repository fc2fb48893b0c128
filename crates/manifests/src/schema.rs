//! The part of a real API server's custom-resource validation our CRDs
//! use, read from the CRD object itself: `metadata.name` is a DNS-1123
//! subdomain, and the version's `openAPIV3Schema` is checked for `type`
//! (object, string, array, integer, boolean), `required`, `minLength` and
//! `enum`. Unknown fields are not errors (a real server prunes them).
//! Not modelled: `format`, `pattern`, numeric bounds, CEL rules.
//!
//! Errors are field errors in the API server's wording
//! (`spec.approver: Required value`).

use serde_json::Value;

/// The `openAPIV3Schema` of `version` in `crd`.
pub fn version_schema<'c>(crd: &'c Value, version: &str) -> Option<&'c Value> {
    crd["spec"]["versions"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == version)
        .map(|v| &v["schema"]["openAPIV3Schema"])
}

/// Whether `name` is a lowercase RFC 1123 subdomain (at most 253 bytes of
/// dot-separated labels of `a-z`, `0-9` and `-`, each starting and ending
/// alphanumeric), as `metadata.name` of a custom resource must be.
pub fn is_dns_subdomain(name: &str) -> bool {
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            let b = label.as_bytes();
            matches!((b.first(), b.last()), (Some(f), Some(l)) if alnum(*f) && alnum(*l))
                && b.iter().all(|c| alnum(*c) || *c == b'-')
        })
}

/// The field errors of `object` (name and schema of `version` in `crd`),
/// empty when it is valid.
pub fn validate(crd: &Value, version: &str, object: &Value) -> Vec<String> {
    let mut errs = Vec::new();
    match object["metadata"]["name"].as_str() {
        None | Some("") => errs.push("metadata.name: Required value: name or generateName is required".into()),
        Some(n) if !is_dns_subdomain(n) => errs.push(format!(
            "metadata.name: Invalid value: {n:?}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
        )),
        Some(_) => {}
    }
    match version_schema(crd, version) {
        Some(schema) => walk(schema, object, "", &mut errs),
        None => errs.push(format!(
            "apiVersion: Invalid value: {version:?}: not served"
        )),
    }
    errs
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

fn walk(schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
    if let Some(want) = schema["type"].as_str() {
        let got = type_name(v);
        let fits = got == want || (want == "number" && got == "integer");
        if !fits {
            errs.push(format!(
                "{path}: Invalid value: {got:?}: {path} in body must be of type {want}: {got:?}"
            ));
            return;
        }
    }
    match v {
        Value::Object(map) => {
            for r in schema["required"].as_array().into_iter().flatten() {
                if let Some(r) = r.as_str()
                    && map.get(r).is_none_or(Value::is_null)
                {
                    errs.push(format!("{}: Required value", join(path, r)));
                }
            }
            for (k, child) in map {
                if let Some(s) = schema["properties"].get(k) {
                    walk(s, child, &join(path, k), errs);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(&schema["items"], item, &format!("{path}[{i}]"), errs);
            }
        }
        Value::String(s) => {
            if let Some(min) = schema["minLength"].as_u64()
                && (s.chars().count() as u64) < min
            {
                errs.push(format!(
                    "{path}: Invalid value: {s:?}: {path} in body should be at least {min} chars long"
                ));
            }
            if let Some(allowed) = schema["enum"].as_array()
                && !allowed.iter().any(|a| a == v)
            {
                let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
                errs.push(format!(
                    "{path}: Unsupported value: {s:?}: supported values: {}",
                    list.join(", ")
                ));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn approval(spec: Value) -> Value {
        json!({"metadata": {"name": "p1-abc", "namespace": "risk"}, "spec": spec})
    }

    /// Sorted: the field order of a JSON map is not the point.
    fn errors(crd: &Value, version: &str, object: &Value) -> Vec<String> {
        let mut e = validate(crd, version, object);
        e.sort();
        e
    }

    #[test]
    fn names_are_dns_subdomains() {
        for ok in ["p1", "p0a1-b2", "a.b-c", "x"] {
            assert!(is_dns_subdomain(ok), "{ok}");
        }
        for bad in ["", "P1", "-a", "a-", "a..b", "a_b", &"a".repeat(254)] {
            assert!(!is_dns_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn the_shipped_crds_check_required_fields_lengths_enums_and_types() {
        let crd = crate::approvals_crd().unwrap();
        let v = crate::VERSION;
        let good = approval(
            json!({"promotion": "p1", "approver": "bob", "requester": "alice",
                                   "decision": "approve", "unknown": 1}),
        );
        assert_eq!(validate(&crd, v, &good), Vec::<String>::new());
        let bad = approval(
            json!({"promotion": "", "approver": "bob", "decision": "maybe",
                                  "comment": 3}),
        );
        assert_eq!(
            errors(&crd, v, &bad),
            [
                "spec.comment: Invalid value: \"integer\": spec.comment in body must be of type string: \"integer\"",
                "spec.decision: Unsupported value: \"maybe\": supported values: \"approve\", \"reject\"",
                "spec.promotion: Invalid value: \"\": spec.promotion in body should be at least 1 chars long",
                "spec.requester: Required value",
            ]
        );
        let mut unnamed = good.clone();
        unnamed["metadata"]["name"] = json!("Bad_Name");
        assert!(validate(&crd, v, &unnamed)[0].starts_with("metadata.name: Invalid value"));
        assert_eq!(validate(&crd, "v9", &good).len(), 1);

        let crd = crate::promotions_crd().unwrap();
        let p = json!({"metadata": {"name": "p1"},
            "spec": {"model": "m", "version": "1", "alias": "champion", "requestedBy": "alice",
                     "targets": [{"kind": "deployment"}]},
            "status": {"phase": "Sideways", "history": [{"at": "t", "actor": "a", "action": "x"}]}});
        assert_eq!(
            errors(&crd, v, &p),
            [
                "spec.targets[0].name: Required value",
                "status.phase: Unsupported value: \"Sideways\": supported values: \"Requested\", \"Approved\", \"Executing\", \"Promoted\", \"Rejected\", \"Cancelled\", \"RolledBack\", \"Failed\"",
            ]
        );
    }
}
