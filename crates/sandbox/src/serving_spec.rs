//! The serving part of a simulated workload's spec, as the simulated API
//! server's seed writes it (the `modeldeck.io/model-version` pod-template
//! annotation, `MODEL_VERSION` / `MODEL_URI` env on the model container, an
//! InferenceService predictor's `storageUri` and `canaryTrafficPercent`),
//! and what serving a version changes in it: exactly the fields the
//! sandbox's own write (`rollout::start`) changes, the served version and
//! any canary, so the preview is the write.

use crate::revisions::{MODEL_SERVER_IMAGE, RUNTIME_IMAGE};
use crate::world::{WorkloadState, World};
use modeldeck_core::domain::{WorkloadKind, WorkloadRef};
use modeldeck_core::serving_diff::ServingChanges;
use serde_json::{Value, json};

const VERSION_ANNOTATION: &str = "modeldeck.io/model-version";

fn model_uri(model: &str, version: &str) -> String {
    format!("models:/{model}/{version}")
}

/// The serving fields of `state` when it serves `served` with `canary`
/// (version, percent) on top.
fn spec(
    kind: WorkloadKind,
    model: &str,
    images: &[String],
    served: &str,
    canary: Option<(String, u8)>,
) -> Value {
    if kind == WorkloadKind::InferenceService {
        let image = images.first().map_or(RUNTIME_IMAGE, String::as_str);
        let latest = canary.as_ref().map_or(served, |(v, _)| v.as_str());
        let mut predictor = json!({"model": {"modelFormat": {"name": "mlflow"}, "runtimeImage": image,
            "storageUri": model_uri(model, latest)}});
        if let Some((_, p)) = canary {
            predictor["canaryTrafficPercent"] = json!(p);
        }
        return json!({"metadata": {"annotations": {VERSION_ANNOTATION: served}},
            "spec": {"predictor": predictor}});
    }
    let name = match kind {
        WorkloadKind::StreamConsumer => "consumer",
        WorkloadKind::CronJob => "batch-scorer",
        _ => "model-server",
    };
    let mut containers: Vec<Value> = vec![json!({
        "name": name,
        "image": images.first().map_or(MODEL_SERVER_IMAGE, String::as_str),
        "env": [
            {"name": "MODEL_NAME", "value": model},
            {"name": "MODEL_VERSION", "value": served},
            {"name": "MODEL_URI", "value": model_uri(model, served)},
        ],
    })];
    for (i, image) in images.iter().enumerate().skip(1) {
        containers.push(json!({"name": format!("sidecar-{i}"), "image": image}));
    }
    let template = json!({"metadata": {"annotations": {VERSION_ANNOTATION: served}},
        "spec": {"containers": containers}});
    if kind == WorkloadKind::CronJob {
        json!({"spec": {"jobTemplate": {"spec": {"template": template}}}})
    } else {
        json!({"spec": {"template": template}})
    }
}

/// What serving version `number` would change in `state`.
pub(crate) fn preview(
    world: &World,
    state: &WorkloadState,
    target: &WorkloadRef,
    number: u32,
) -> ServingChanges {
    let model = world
        .models
        .get(state.model as usize)
        .map_or(state.name.as_str(), |m| m.name.as_str());
    let images = crate::revisions::history(world, state)
        .pop()
        .map(|r| r.images)
        .unwrap_or_default();
    let served = state.served.to_string();
    let canary = state.canary.map(|c| (c.version.to_string(), c.percent));
    let before = spec(state.kind, model, &images, &served, canary);
    let after = spec(state.kind, model, &images, &number.to_string(), None);
    ServingChanges::of(target.clone(), &number.to_string(), &before, &after)
}
