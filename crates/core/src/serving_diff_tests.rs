use super::*;
use crate::domain::WorkloadKind;
use serde_json::json;

fn target() -> WorkloadRef {
    WorkloadRef {
        cluster: "prod-eu".into(),
        namespace: "fraud".into(),
        kind: WorkloadKind::Deployment,
        name: "fraud-scorer".into(),
    }
}

fn deployment(version: &str) -> Value {
    json!({
        "metadata": {"name": "fraud-scorer", "resourceVersion": "41"},
        "spec": {"replicas": 3, "template": {
            "metadata": {"annotations": {"modeldeck.io/model-version": version}},
            "spec": {"containers": [
                {"name": "predictor", "image": "ghcr.io/m/server:1.4.2",
                 "resources": {"limits": {"cpu": "2"}},
                 "env": [{"name": "MODEL_VERSION", "value": version},
                         {"name": "MODEL_URI", "value": format!("models:/fraud/{version}")},
                         {"name": "LOG_LEVEL", "value": "info"}]},
                {"name": "sidecar", "image": "envoy:1.30"}
            ]}}},
        "status": {"observedGeneration": 7}
    })
}

#[test]
fn merge_patch_follows_rfc_7386() {
    // The RFC's own example (appendix A, one of its cases combined).
    let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
    merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
    assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
    let mut t = json!({"a": [{"b": "c"}]});
    merge_patch(&mut t, &json!({"a": [1]}));
    assert_eq!(t, json!({"a": [1]}));
    let mut t = json!(["a", "b"]);
    merge_patch(&mut t, &json!({"a": "b", "c": null}));
    assert_eq!(t, json!({"a": "b"}));
    let mut t = json!({"e": null});
    merge_patch(&mut t, &json!({"a": 1}));
    assert_eq!(t, json!({"e": null, "a": 1}));
}

#[test]
fn only_changed_fields_are_listed_with_named_paths() {
    let c = diff_specs(&deployment("6"), &deployment("7"));
    let paths: Vec<&str> = c.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.template.metadata.annotations[modeldeck.io/model-version]",
            "spec.template.spec.containers[predictor].env[MODEL_URI]",
            "spec.template.spec.containers[predictor].env[MODEL_VERSION]",
        ]
    );
    assert_eq!(c[1].before.as_deref(), Some("models:/fraud/6"));
    assert_eq!(c[1].after.as_deref(), Some("models:/fraud/7"));
    assert_eq!(c[0].before.as_deref(), Some("6"));
}

#[test]
fn bookkeeping_is_not_a_change_and_equal_specs_are_already_on_candidate() {
    let mut after = deployment("7");
    after["metadata"]["resourceVersion"] = json!("42");
    after["status"]["observedGeneration"] = json!(8);
    let s = ServingChanges::of(target(), "7", &deployment("7"), &after);
    assert!(s.already_on_candidate);
    assert!(s.changes.is_empty());
    assert_eq!(s.summary(), "already serves v7");
}

#[test]
fn added_removed_and_reordered_items() {
    let before = json!({"spec": {"predictor": {
        "canaryTrafficPercent": 10,
        "model": {"storageUri": "models:/fraud/6", "runtime": "kserve-mlserver"}}}});
    let mut after = before.clone();
    merge_patch(
        &mut after,
        &json!({"metadata": {"annotations": {"modeldeck.io/model-version": "7"}},
                "spec": {"predictor": {"canaryTrafficPercent": null,
                                       "model": {"storageUri": "models:/fraud/7"}}}}),
    );
    let c = diff_specs(&before, &after);
    assert_eq!(
        c,
        vec![
            FieldChange {
                path: "metadata.annotations[modeldeck.io/model-version]".into(),
                before: None,
                after: Some("7".into()),
            },
            FieldChange {
                path: "spec.predictor.canaryTrafficPercent".into(),
                before: Some("10".into()),
                after: None,
            },
            FieldChange {
                path: "spec.predictor.model.storageUri".into(),
                before: Some("models:/fraud/6".into()),
                after: Some("models:/fraud/7".into()),
            },
        ]
    );
    // Containers listed in another order are the same containers.
    let a = json!({"cs": [{"name": "x", "v": 1}, {"name": "y", "v": 2}]});
    let b = json!({"cs": [{"name": "y", "v": 2}, {"name": "x", "v": 3}]});
    assert_eq!(
        diff_specs(&a, &b),
        vec![FieldChange {
            path: "cs[x].v".into(),
            before: Some("1".into()),
            after: Some("3".into()),
        }]
    );
    // Unnamed lists go by index; a removed container lists each of its leaves.
    let a = json!({"args": ["--model", "models:/m/1"], "cs": [{"name": "x", "image": "i"}]});
    let b = json!({"args": ["--model", "models:/m/2"], "cs": []});
    let c = diff_specs(&a, &b);
    assert_eq!(c[0].path, "args[1]");
    assert_eq!(c[1].path, "cs[x].image");
    assert_eq!(c[1].after, None);
    assert_eq!(c[1].before.as_deref(), Some("i"));
}

#[test]
fn summaries_say_what_a_table_shows() {
    let s = ServingChanges::of(target(), "7", &deployment("6"), &deployment("7"));
    assert_eq!(s.summary(), "3 fields change");
    assert!(!s.already_on_candidate);
    let u = ServingChanges::unavailable(target(), "7", "workload not found");
    assert_eq!(u.summary(), "cannot tell: workload not found");
}

#[test]
fn credentials_in_uris_are_masked() {
    assert_eq!(
        mask_userinfo("s3://AKIA:secret@minio:9000/models/7 and https://u@h/x"),
        "s3://***@minio:9000/models/7 and https://***@h/x"
    );
    assert_eq!(mask_userinfo("models:/fraud/7"), "models:/fraud/7");
    assert_eq!(mask_userinfo("a@b https://h/p@q"), "a@b https://h/p@q");
    let before = json!({"env": [{"name": "MODEL_URI", "value": "https://bob:hunter2@reg/m/6"}]});
    let after = json!({"env": [{"name": "MODEL_URI", "value": "models:/m/7"}]});
    let s = ServingChanges::of(target(), "7", &before, &after);
    assert_eq!(s.changes[0].before.as_deref(), Some("https://***@reg/m/6"));
    assert!(!format!("{s:?}").contains("hunter2"));
}
