//! Per-type defaulting and validation, the subset of the real apiserver's
//! that kubectl output and the controller rely on.

use crate::resources::{ResourceId, ResourceType, ids};
use crate::selector::LabelSelector;
use crate::status::{ApiError, ApiResult};
use serde_json::{Map, Value, json};

fn set_default(m: &mut Map<String, Value>, k: &str, v: Value) {
    if m.get(k).is_none_or(Value::is_null) {
        m.insert(k.to_string(), v);
    }
}

fn obj_mut<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Map<String, Value>> {
    let mut cur = v;
    for p in path {
        if !cur.is_object() {
            return None;
        }
        let m = cur.as_object_mut()?;
        cur = m.entry(p.to_string()).or_insert_with(|| json!({}));
    }
    if cur.is_null() {
        *cur = json!({});
    }
    cur.as_object_mut()
}

/// Defaults of a pod template (`spec` of a PodTemplateSpec).
fn default_pod_spec(spec: &mut Map<String, Value>) {
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "securityContext", json!({}));
    if let Some(cs) = spec.get_mut("containers").and_then(Value::as_array_mut) {
        for c in cs.iter_mut().filter_map(Value::as_object_mut) {
            let latest = c
                .get("image")
                .and_then(Value::as_str)
                .is_some_and(|i| i.ends_with(":latest") || !i.contains(':'));
            set_default(
                c,
                "imagePullPolicy",
                json!(if latest { "Always" } else { "IfNotPresent" }),
            );
            set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
            set_default(c, "terminationMessagePolicy", json!("File"));
            set_default(c, "resources", json!({}));
        }
    }
}

fn default_template(obj: &mut Value, path: &[&str]) {
    let mut p = path.to_vec();
    p.push("spec");
    if let Some(spec) = obj_mut(obj, &p) {
        default_pod_spec(spec);
    }
}

/// Drops `null` map entries at every level: a decoder into typed structs
/// treats them as absent, so they must not make two objects differ (kubectl
/// sends `creationTimestamp: null` in pod templates).
pub fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Applies the defaults of `res` to `obj` in place (after dropping nulls).
pub fn apply_defaults(res: ResourceId, obj: &mut Value) {
    strip_nulls(obj);
    match res {
        ids::DEPLOYMENTS => {
            if let Some(spec) = obj_mut(obj, &["spec"]) {
                set_default(spec, "replicas", json!(1));
                set_default(
                    spec,
                    "strategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
                );
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(spec, "progressDeadlineSeconds", json!(600));
            }
            default_template(obj, &["spec", "template"]);
        }
        ids::REPLICASETS => {
            if let Some(spec) = obj_mut(obj, &["spec"]) {
                set_default(spec, "replicas", json!(1));
            }
            default_template(obj, &["spec", "template"]);
        }
        ids::PODS => {
            if let Some(spec) = obj_mut(obj, &["spec"]) {
                default_pod_spec(spec);
            }
        }
        ids::CRONJOBS => {
            if let Some(spec) = obj_mut(obj, &["spec"]) {
                set_default(spec, "concurrencyPolicy", json!("Allow"));
                set_default(spec, "suspend", json!(false));
                set_default(spec, "successfulJobsHistoryLimit", json!(3));
                set_default(spec, "failedJobsHistoryLimit", json!(1));
            }
            default_template(obj, &["spec", "jobTemplate", "spec", "template"]);
        }
        ids::JOBS => {
            default_template(obj, &["spec", "template"]);
            crate::controller::job::default_job(obj);
        }
        ids::NAMESPACES => {
            if let Some(spec) = obj_mut(obj, &["spec"]) {
                set_default(spec, "finalizers", json!(["kubernetes"]));
            }
            if let Some(st) = obj_mut(obj, &["status"]) {
                set_default(st, "phase", json!("Active"));
            }
        }
        _ => {}
    }
}

/// Whether `name` is a DNS-1123 subdomain.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

fn check_containers(obj: &Value, path: &str, causes: &mut Vec<(String, String)>) {
    let cs = obj.pointer(path).and_then(Value::as_array);
    match cs {
        None => causes.push((
            path.trim_start_matches('/').replace('/', "."),
            "Required value".into(),
        )),
        Some(cs) if cs.is_empty() => causes.push((
            path.trim_start_matches('/').replace('/', "."),
            "Required value".into(),
        )),
        Some(cs) => {
            for (i, c) in cs.iter().enumerate() {
                let field = format!("{}[{i}]", path.trim_start_matches('/').replace('/', "."));
                if c["name"].as_str().is_none_or(str::is_empty) {
                    causes.push((format!("{field}.name"), "Required value".into()));
                }
                if c["image"].as_str().is_none_or(str::is_empty) {
                    causes.push((format!("{field}.image"), "Required value".into()));
                }
            }
        }
    }
}

/// Validates `obj` as a `ty`; 422 with the offending fields.
pub fn validate(res: ResourceId, obj: &Value) -> ApiResult<()> {
    let ty: &ResourceType = res.ty();
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut causes: Vec<(String, String)> = Vec::new();
    if !valid_name(name) {
        causes.push((
            "metadata.name".into(),
            format!("Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"),
        ));
    }
    match res {
        ids::DEPLOYMENTS | ids::REPLICASETS => {
            let sel = obj.pointer("/spec/selector");
            match sel {
                None | Some(Value::Null) => {
                    causes.push(("spec.selector".into(), "Required value".into()))
                }
                Some(sel) => {
                    let s = LabelSelector::from_object(sel);
                    let tmpl = obj.pointer("/spec/template").cloned().unwrap_or_default();
                    if s.is_empty() {
                        causes.push((
                            "spec.selector".into(),
                            "Invalid value: empty selector is invalid for deployment".into(),
                        ));
                    } else if !s.matches(&tmpl) {
                        causes.push((
                            "spec.template.metadata.labels".into(),
                            "Invalid value: `selector` does not match template `labels`".into(),
                        ));
                    }
                }
            }
            if obj
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .is_some_and(|r| r < 0)
            {
                causes.push((
                    "spec.replicas".into(),
                    "Invalid value: must be greater than or equal to 0".into(),
                ));
            }
            check_containers(obj, "/spec/template/spec/containers", &mut causes);
        }
        ids::CRONJOBS => {
            if obj
                .pointer("/spec/schedule")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                causes.push(("spec.schedule".into(), "Required value".into()));
            }
            check_containers(
                obj,
                "/spec/jobTemplate/spec/template/spec/containers",
                &mut causes,
            );
        }
        ids::JOBS => {
            check_containers(obj, "/spec/template/spec/containers", &mut causes);
            crate::controller::job::validate_job(obj, &mut causes);
        }
        ids::INFERENCESERVICES if obj.pointer("/spec/predictor").is_none_or(Value::is_null) => {
            causes.push(("spec.predictor".into(), "Required value".into()));
        }
        _ => {}
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(ty, name, &causes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy() -> Value {
        json!({"metadata": {"name": "fraud"}, "spec": {
            "selector": {"matchLabels": {"app": "fraud"}},
            "template": {"metadata": {"labels": {"app": "fraud"}}, "spec": {"containers": [{"name": "s", "image": "m:1"}]}}}})
    }

    #[test]
    fn nulls_do_not_count() {
        let mut a = json!({"metadata": {"creationTimestamp": null, "labels": {"a": "1"}}, "l": [{"x": null}]});
        strip_nulls(&mut a);
        assert_eq!(a, json!({"metadata": {"labels": {"a": "1"}}, "l": [{}]}));
    }

    #[test]
    fn deployment_defaults() {
        let mut d = deploy();
        apply_defaults(ids::DEPLOYMENTS, &mut d);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
        assert_eq!(d["spec"]["template"]["spec"]["restartPolicy"], "Always");
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
            "IfNotPresent"
        );
        assert!(validate(ids::DEPLOYMENTS, &d).is_ok());
    }

    #[test]
    fn invalid_deployments_name_fields() {
        let mut d = deploy();
        d["spec"]["template"]["metadata"]["labels"]["app"] = json!("other");
        d["metadata"]["name"] = json!("Bad_Name");
        let e = validate(ids::DEPLOYMENTS, &d).unwrap_err();
        assert_eq!(e.code, 422);
        assert!(e.message.contains("metadata.name"), "{}", e.message);
        assert!(e.message.contains("selector"), "{}", e.message);
        assert!(valid_name("a.b-c"));
        assert!(!valid_name("-a"));
    }
}
