//! `modeldeck sandbox seed-registry <mlflow-url>`: writes a registry's
//! models (the simulated world's, read through its `Registry` port) into a
//! real MLflow: registered models with description and tags, one run per
//! version (params, final metrics, tags, start time) in the experiment
//! [`SEED_EXPERIMENT`], the versions (`runs:/<run>/model`, description,
//! tags), the reference profiles (run artifact + the
//! `modeldeck.reference_profile` tag, through the adapter's
//! `log_reference_profile`) and the aliases.
//!
//! Idempotent: every version written carries the tag [`SEED_VERSION_TAG`]
//! (the source's version number), and a version already carrying it is not
//! created again (its run neither); profiles are uploaded only to versions
//! without the profile tag; aliases are set again (a no-op when they
//! already point there). On an MLflow model created by this command the
//! version numbers are the source's; on one that already had other
//! versions they differ, and the report says so.

use modeldeck_core::domain::{ModelVersion, RegisteredModel, RunData};
use modeldeck_core::drift::PROFILE_TAG;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{MlflowClient, MlflowConfig, MlflowRegistry};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The experiment the seeded runs go to.
pub const SEED_EXPERIMENT: &str = "modeldeck-sandbox";
/// The version tag holding the source's version number.
pub const SEED_VERSION_TAG: &str = "modeldeck.sandbox.version";
/// The run tag holding the source's run id.
pub const SEED_RUN_TAG: &str = "modeldeck.sandbox.run_id";

/// What one seeding did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Registered models seen (created or present).
    pub models: usize,
    /// Models created.
    pub models_created: usize,
    /// Versions created (each with its run).
    pub versions_created: usize,
    /// Versions already present (skipped).
    pub versions_present: usize,
    /// Reference profiles uploaded.
    pub profiles_logged: usize,
    /// Aliases set.
    pub aliases_set: usize,
    /// `(model, source version, MLflow version)` where the numbers differ.
    pub renumbered: Vec<(String, String, String)>,
}

/// The MLflow at `url`, authenticated from MLflow's own variables in `env`
/// (`MLFLOW_TRACKING_USERNAME` + `MLFLOW_TRACKING_PASSWORD`, or
/// `MLFLOW_TRACKING_TOKEN`; `MLFLOW_TRACKING_URI` is ignored). The error
/// names the URL without credentials.
pub fn mlflow_at(url: &str, env: &BTreeMap<String, String>) -> Result<MlflowRegistry, String> {
    let mut env = env.clone();
    env.insert("MLFLOW_TRACKING_URI".into(), url.to_string());
    let config = MlflowConfig::from_env_map(&env).map_err(|e| format!("MLflow: {e}"))?;
    let client = MlflowClient::new(config).map_err(|e| format!("MLflow: {e}"))?;
    Ok(MlflowRegistry::new(client))
}

/// Copies every model of `source` into the MLflow behind `target`.
///
/// Errors: the first failing request, naming the model and version it was
/// for (the token never appears).
pub async fn seed_registry(
    source: &dyn Registry,
    target: &MlflowRegistry,
) -> PortResult<SeedReport> {
    let client = target.client();
    let experiment = experiment_id(client).await?;
    let mut report = SeedReport::default();
    let mut models = source.list_models().await?;
    models.sort_by(|a, b| a.name.cmp(&b.name));
    for m in &models {
        seed_model(source, target, &experiment, m, &mut report)
            .await
            .map_err(|e| about(&m.name, e))?;
    }
    Ok(report)
}

fn about(model: &str, mut e: BackendError) -> BackendError {
    e.message = format!("seeding {model}: {}", e.message);
    e
}

fn kv(map: &BTreeMap<String, String>) -> Vec<Value> {
    map.iter()
        .map(|(k, v)| json!({ "key": k, "value": v }))
        .collect()
}

async fn experiment_id(client: &MlflowClient) -> PortResult<String> {
    let found: PortResult<Value> = client
        .get_json(
            "experiments/get-by-name",
            &[("experiment_name", SEED_EXPERIMENT)],
        )
        .await;
    let v = match found {
        Ok(v) => v["experiment"]["experiment_id"].clone(),
        Err(e) if e.code == ErrorCode::NotFound => {
            let created: Value = client
                .post_json("experiments/create", &json!({ "name": SEED_EXPERIMENT }))
                .await?;
            created["experiment_id"].clone()
        }
        Err(e) => return Err(e),
    };
    v.as_str().map(str::to_string).ok_or_else(|| {
        BackendError::new(
            Backend::Registry,
            ErrorCode::MalformedResponse,
            format!("experiment {SEED_EXPERIMENT:?} came back without an experiment_id"),
        )
    })
}

async fn seed_model(
    source: &dyn Registry,
    target: &MlflowRegistry,
    experiment: &str,
    m: &RegisteredModel,
    report: &mut SeedReport,
) -> PortResult<()> {
    let client = target.client();
    report.models += 1;
    match client.get_model(&m.name).await {
        Ok(_) => {}
        Err(e) if e.code == ErrorCode::NotFound => {
            let mut body = json!({ "name": m.name, "tags": kv(&m.tags) });
            if let Some(d) = &m.description {
                body["description"] = json!(d);
            }
            let _: Value = client.post_json("registered-models/create", &body).await?;
            report.models_created += 1;
        }
        Err(e) => return Err(e),
    }
    // Source version number -> MLflow version, from the seed tag.
    let mut present: BTreeMap<String, (String, bool)> = BTreeMap::new();
    for v in client.list_model_versions(&m.name).await? {
        let has_profile = v.tags.iter().any(|t| t.key == PROFILE_TAG);
        if let Some(t) = v.tags.iter().find(|t| t.key == SEED_VERSION_TAG) {
            present.insert(t.value.clone(), (v.version.clone(), has_profile));
        }
    }
    let mut versions = source.list_versions(&m.name).await?;
    versions.sort_by_key(ModelVersion::number);
    for v in &versions {
        let (mlflow_version, has_profile) = match present.get(&v.version) {
            Some(found) => {
                report.versions_present += 1;
                found.clone()
            }
            None => {
                let created = create_version(source, client, experiment, v).await?;
                report.versions_created += 1;
                (created, false)
            }
        };
        if mlflow_version != v.version {
            report
                .renumbered
                .push((m.name.clone(), v.version.clone(), mlflow_version.clone()));
        }
        if !has_profile
            && v.tags.contains_key(PROFILE_TAG)
            && let Some(p) = source.reference_profile(&m.name, &v.version).await?
        {
            target
                .log_reference_profile(&m.name, &mlflow_version, &p)
                .await?;
            report.profiles_logged += 1;
        }
        present.insert(v.version.clone(), (mlflow_version, true));
    }
    for (alias, version) in &m.aliases {
        let Some((mlflow_version, _)) = present.get(version) else {
            continue;
        };
        client.set_alias(&m.name, alias, mlflow_version).await?;
        report.aliases_set += 1;
    }
    Ok(())
}

/// Creates the version's run (params, metrics, tags) and the version;
/// returns the MLflow version number.
async fn create_version(
    source: &dyn Registry,
    client: &MlflowClient,
    experiment: &str,
    v: &ModelVersion,
) -> PortResult<String> {
    let run_data = match &v.run_id {
        Some(id) => Some(source.get_run(id).await?),
        None => None,
    };
    let start = run_data
        .as_ref()
        .and_then(|r| r.started_at)
        .unwrap_or(v.created_at);
    let mut run_tags = BTreeMap::new();
    if let Some(id) = &v.run_id {
        run_tags.insert(SEED_RUN_TAG.to_string(), id.clone());
    }
    let created: Value = client
        .post_json(
            "runs/create",
            &json!({
                "experiment_id": experiment,
                "run_name": format!("{}-v{}", v.model, v.version),
                "start_time": start.0,
                "tags": kv(&run_tags),
            }),
        )
        .await?;
    let run_id = created["run"]["info"]["run_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::MalformedResponse,
                format!(
                    "runs/create for {} v{} returned no run_id",
                    v.model, v.version
                ),
            )
        })?;
    if let Some(r) = &run_data {
        log_run(client, &run_id, r, start.0).await?;
    }
    let _: Value = client
        .post_json(
            "runs/update",
            &json!({ "run_id": run_id, "status": "FINISHED", "end_time": v.created_at.0 }),
        )
        .await?;
    let mut tags: BTreeMap<String, String> = v
        .tags
        .iter()
        .filter(|(k, _)| k.as_str() != PROFILE_TAG)
        .map(|(k, val)| (k.clone(), val.clone()))
        .collect();
    tags.insert(SEED_VERSION_TAG.into(), v.version.clone());
    let mut body = json!({
        "name": v.model,
        "source": format!("runs:/{run_id}/model"),
        "run_id": run_id,
        "tags": kv(&tags),
    });
    if let Some(d) = &v.description {
        body["description"] = json!(d);
    }
    let made: Value = client.post_json("model-versions/create", &body).await?;
    made["model_version"]["version"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::MalformedResponse,
                format!(
                    "model-versions/create for {} v{} returned no version",
                    v.model, v.version
                ),
            )
        })
}

/// Params, finite metrics and tags of `r` in batches under MLflow's
/// limits (100 params, 100 tags, 1,000 metrics per request).
async fn log_run(client: &MlflowClient, run_id: &str, r: &RunData, at_ms: i64) -> PortResult<()> {
    let params = kv(&r.params);
    let tags: Vec<Value> = r
        .tags
        .iter()
        .filter(|(k, _)| !k.starts_with("mlflow."))
        .map(|(k, v)| json!({ "key": k, "value": v }))
        .collect();
    let metrics: Vec<Value> = r
        .metrics
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| json!({ "key": k, "value": v, "timestamp": at_ms, "step": 0 }))
        .collect();
    let batches = params
        .len()
        .div_ceil(100)
        .max(tags.len().div_ceil(100))
        .max(metrics.len().div_ceil(1000));
    for i in 0..batches {
        let part = |v: &[Value], n: usize| -> Vec<Value> {
            v.iter().skip(i * n).take(n).cloned().collect()
        };
        let _: Value = client
            .post_json(
                "runs/log-batch",
                &json!({
                    "run_id": run_id,
                    "params": part(&params, 100),
                    "tags": part(&tags, 100),
                    "metrics": part(&metrics, 1000),
                }),
            )
            .await?;
    }
    Ok(())
}
