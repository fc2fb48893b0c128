//! Strategic merge patch: a merge patch in which lists of known fields merge
//! by key (containers and env by `name`, ports by `containerPort`...), plus
//! the `$patch`, `$retainKeys`, `$setElementOrder/` and
//! `$deleteFromPrimitiveList/` directives kubectl sends.

use crate::status::{ApiError, ApiResult};
use serde_json::{Map, Value};

/// The merge key of a list field, by field name (how the Go struct tags
/// of the core and apps types declare it); `None` means "replace".
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "ports" => "containerPort",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "hostAliases" => "ip",
        "ownerReferences" => "uid",
        _ => return None,
    })
}

/// Lists of scalars that merge as sets.
fn primitive_merge(field: &str) -> bool {
    matches!(field, "finalizers")
}

/// Applies a strategic merge patch to `target` in place.
pub fn strategic_merge(target: &mut Value, patch: &Value) -> ApiResult<()> {
    merge_map(target, patch)
}

fn merge_map(target: &mut Value, patch: &Value) -> ApiResult<()> {
    let Some(pm) = patch.as_object() else {
        *target = patch.clone();
        return Ok(());
    };
    match pm.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            *target = Value::Object(strip_directives(pm));
            return Ok(());
        }
        Some("delete") => {
            *target = Value::Null;
            return Ok(());
        }
        Some("merge") | None => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "strategic merge patch: unknown $patch directive `{other}`"
            )));
        }
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let retain: Option<Vec<String>> = pm.get("$retainKeys").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    for (k, pv) in pm {
        if k.starts_with("$setElementOrder/") || k == "$retainKeys" || k == "$patch" {
            continue;
        }
        let Some(tm) = target.as_object_mut() else {
            break;
        };
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(del)) = (tm.get_mut(field), pv.as_array()) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if pv.is_null() {
            tm.remove(k);
            continue;
        }
        match pv {
            Value::Object(_) => {
                let slot = tm.entry(k.clone()).or_insert(Value::Null);
                merge_map(slot, pv)?;
                if slot.is_null() {
                    tm.remove(k);
                }
            }
            Value::Array(items) => {
                let merged = match tm.remove(k) {
                    Some(Value::Array(cur)) => merge_list(k, cur, items)?,
                    _ => merge_list(k, Vec::new(), items)?,
                };
                tm.insert(k.clone(), Value::Array(merged));
            }
            other => {
                tm.insert(k.clone(), other.clone());
            }
        }
    }
    if let (Some(keep), Some(tm)) = (retain, target.as_object_mut()) {
        tm.retain(|k, _| keep.iter().any(|x| x == k));
    }
    Ok(())
}

fn strip_directives(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter()
        .filter(|(k, _)| !k.starts_with('$'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn merge_list(field: &str, mut cur: Vec<Value>, items: &[Value]) -> ApiResult<Vec<Value>> {
    if primitive_merge(field) {
        for it in items {
            if !cur.contains(it) {
                cur.push(it.clone());
            }
        }
        return Ok(cur);
    }
    let Some(key) = merge_key(field) else {
        return Ok(items.iter().map(clean).collect());
    };
    if items
        .iter()
        .any(|it| it.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return Ok(items
            .iter()
            .filter(|it| it.get("$patch").is_none())
            .map(clean)
            .collect());
    }
    for it in items {
        let Some(kv) = it.get(key).cloned() else {
            return Err(ApiError::bad_request(format!(
                "strategic merge patch: an element of `{field}` lacks its merge key `{key}`"
            )));
        };
        let pos = cur.iter().position(|c| c.get(key) == Some(&kv));
        let delete = it.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                cur.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => merge_map(&mut cur[i], it)?,
            (None, false) => cur.push(clean(it)),
        }
    }
    Ok(cur)
}

/// A patch element without directives, as stored.
fn clean(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), clean(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"spec": {"template": {"metadata": {"annotations": {"a": "1"}}, "spec": {"containers": [
            {"name": "server", "image": "m:1", "env": [{"name": "MODEL_VERSION", "value": "1"}, {"name": "X", "value": "x"}]},
            {"name": "sidecar", "image": "s:1"}
        ]}}}})
    }

    #[test]
    fn containers_and_env_merge_by_name() {
        let mut d = deploy();
        strategic_merge(
            &mut d,
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "server", "image": "m:2", "env": [{"name": "MODEL_VERSION", "value": "2"}]}]}}}}),
        )
        .unwrap();
        let c = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(c.as_array().map(Vec::len), Some(2));
        assert_eq!(c[0]["image"], "m:2");
        assert_eq!(c[0]["env"][0]["value"], "2");
        assert_eq!(c[0]["env"][1]["value"], "x");
        assert_eq!(c[1]["image"], "s:1");
    }

    #[test]
    fn directives() {
        let mut d = deploy();
        strategic_merge(
            &mut d,
            &json!({"spec": {"template": {
                "metadata": {"annotations": {"$patch": "replace", "b": "2"}},
                "spec": {"$setElementOrder/containers": [{"name": "server"}],
                         "containers": [{"name": "sidecar", "$patch": "delete"}]}}}}),
        )
        .unwrap();
        assert_eq!(
            d["spec"]["template"]["metadata"]["annotations"],
            json!({"b": "2"})
        );
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        let mut f = json!({"metadata": {"finalizers": ["a", "b"]}});
        strategic_merge(&mut f, &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["c"]}})).unwrap();
        assert_eq!(f["metadata"]["finalizers"], json!(["b", "c"]));
        assert!(
            strategic_merge(&mut f, &json!({"spec": {"containers": [{"image": "x"}]}})).is_err()
        );
    }
}
