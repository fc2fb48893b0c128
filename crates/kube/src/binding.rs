//! Reading the binding convention off objects: which model a workload
//! serves and which version (pod-template annotation, then container env
//! `MODEL_VERSION`, then `MODEL_URI`; KServe `storageUri` and canary split).

use crate::config::BindingConfig;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use modeldeck_core::domain::Canary;
use serde_json::Value;
use std::collections::BTreeMap;

/// The version a pod template serves under the binding convention.
pub fn template_version(b: &BindingConfig, t: &PodTemplateSpec) -> Option<String> {
    let from_annotation = t
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(&b.version_annotation))
        .filter(|v| !v.is_empty())
        .cloned();
    if from_annotation.is_some() {
        return from_annotation;
    }
    let containers = t
        .spec
        .as_ref()
        .map(|s| s.containers.as_slice())
        .unwrap_or_default();
    let envs = || containers.iter().flat_map(|c| c.env.iter().flatten());
    if let Some(v) = envs()
        .find(|e| e.name == b.version_env)
        .and_then(|e| e.value.clone())
    {
        return Some(v);
    }
    envs()
        .find(|e| e.name == b.uri_env)
        .and_then(|e| e.value.as_deref())
        .and_then(|u| b.parse_uri(u))
        .map(|(_, v)| v.to_string())
}

/// The `storageUri` of an InferenceService predictor (the `model` form or a
/// legacy per-framework key), with the JSON pointer it was found at.
pub fn storage_uri(obj: &Value) -> Option<(String, String)> {
    let pred = obj.pointer("/spec/predictor")?.as_object()?;
    if let Some(u) = pred
        .get("model")
        .and_then(|m| m.get("storageUri"))
        .and_then(Value::as_str)
    {
        return Some(("/spec/predictor/model/storageUri".into(), u.to_string()));
    }
    pred.iter().find_map(|(k, v)| {
        v.get("storageUri")
            .and_then(Value::as_str)
            .map(|u| (format!("/spec/predictor/{k}/storageUri"), u.to_string()))
    })
}

/// Served version and canary of an InferenceService. `storageUri` names the
/// latest revision; during a canary (`canaryTrafficPercent` < 100) the
/// stable version is the one in the version annotation.
pub fn isvc_versions(
    b: &BindingConfig,
    obj: &Value,
    annotations: &BTreeMap<String, String>,
) -> (Option<String>, Option<Canary>) {
    let latest = storage_uri(obj).and_then(|(_, u)| b.parse_uri(&u).map(|(_, v)| v.to_string()));
    let stable = annotations
        .get(&b.version_annotation)
        .filter(|v| !v.is_empty())
        .cloned();
    let pct = obj
        .pointer("/spec/predictor/canaryTrafficPercent")
        .and_then(Value::as_i64)
        .filter(|p| (0..100).contains(p));
    match (latest, stable, pct) {
        (Some(l), Some(s), Some(p)) if l != s => (
            Some(s),
            Some(Canary {
                version: l,
                traffic_percent: p as u8,
            }),
        ),
        (l, s, _) => (l.or(s), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tmpl(v: Value) -> PodTemplateSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn template_version_prefers_annotation_then_env_then_uri() {
        let b = BindingConfig::default();
        let t = tmpl(
            json!({"metadata": {"annotations": {"modeldeck.io/model-version": "7"}},
            "spec": {"containers": [{"name": "s", "env": [{"name": "MODEL_VERSION", "value": "6"}]}]}}),
        );
        assert_eq!(template_version(&b, &t).as_deref(), Some("7"));
        let t = tmpl(
            json!({"spec": {"containers": [{"name": "a"}, {"name": "s", "env": [{"name": "MODEL_VERSION", "value": "6"}]}]}}),
        );
        assert_eq!(template_version(&b, &t).as_deref(), Some("6"));
        let t = tmpl(
            json!({"spec": {"containers": [{"name": "s", "env": [{"name": "MODEL_URI", "value": "models:/fraud/5"}]}]}}),
        );
        assert_eq!(template_version(&b, &t).as_deref(), Some("5"));
        let t = tmpl(json!({"spec": {"containers": [{"name": "s"}]}}));
        assert_eq!(template_version(&b, &t), None);
    }

    #[test]
    fn every_binding_name_is_configurable() {
        let b = BindingConfig {
            model_label: "ml.example.com/model".into(),
            version_annotation: "ml.example.com/version".into(),
            version_env: "SERVED_VERSION".into(),
            uri_env: "SERVED_URI".into(),
            uri_prefix: "registry://".into(),
            kind_label: "ml.example.com/role".into(),
            stream_value: "consumer".into(),
        };
        let t = tmpl(
            json!({"metadata": {"annotations": {"modeldeck.io/model-version": "1"}},
            "spec": {"containers": [{"name": "s", "env": [{"name": "SERVED_URI", "value": "registry://fraud/12"}]}]}}),
        );
        assert_eq!(
            template_version(&b, &t).as_deref(),
            Some("12"),
            "the default names are ignored"
        );
        let t = tmpl(json!({"metadata": {"annotations": {"ml.example.com/version": "13"}}}));
        assert_eq!(template_version(&b, &t).as_deref(), Some("13"));
        assert_eq!(b.model_uri("fraud", "14"), "registry://fraud/14");
    }

    #[test]
    fn isvc_canary_split() {
        let b = BindingConfig::default();
        let mut ann = BTreeMap::new();
        ann.insert("modeldeck.io/model-version".to_string(), "3".to_string());
        let o = json!({"spec": {"predictor": {"canaryTrafficPercent": 20, "model": {"storageUri": "models:/churn/4"}}}});
        let (served, canary) = isvc_versions(&b, &o, &ann);
        assert_eq!(served.as_deref(), Some("3"));
        assert_eq!(
            canary,
            Some(Canary {
                version: "4".into(),
                traffic_percent: 20
            })
        );
        let o = json!({"spec": {"predictor": {"sklearn": {"storageUri": "models:/churn/4"}}}});
        assert_eq!(isvc_versions(&b, &o, &ann), (Some("4".into()), None));
        assert_eq!(
            storage_uri(&o).map(|x| x.0).as_deref(),
            Some("/spec/predictor/sklearn/storageUri")
        );
    }
}
