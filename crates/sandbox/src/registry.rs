//! The simulated model registry behind the [`Registry`] port: models,
//! versions newest first with aliases joined in, runs, alias moves and
//! version tags, reference profiles (`crate::drift`), with MLflow-like
//! not-found errors that name what is missing.

use crate::shared::Shared;
use crate::training::evidence;
use crate::world::{Model, Version, World};
use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::drift::{PROFILE_ARTIFACT, PROFILE_TAG, ReferenceProfile};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::Registry;
use std::sync::Arc;

/// The registry port of one sandbox.
#[derive(Debug, Clone)]
pub(crate) struct SandboxRegistry {
    pub shared: Arc<Shared>,
}

fn model_missing(name: &str) -> BackendError {
    BackendError::not_found(
        Backend::Registry,
        format!("registered model {name:?} not found"),
    )
    .at(format!("sandbox://registry/models/{name}"))
}

fn model_ref<'a>(world: &'a World, name: &str) -> PortResult<&'a Model> {
    world
        .model_index(name)
        .and_then(|i| world.models.get(i))
        .ok_or_else(|| model_missing(name))
}

fn model_mut<'a>(world: &'a mut World, name: &str) -> PortResult<&'a mut Model> {
    match world.model_index(name) {
        Some(i) => world.models.get_mut(i).ok_or_else(|| model_missing(name)),
        None => Err(model_missing(name)),
    }
}

fn version_missing(model: &str, version: &str) -> BackendError {
    BackendError::not_found(
        Backend::Registry,
        format!("version {version:?} of registered model {model:?} not found"),
    )
    .at(format!(
        "sandbox://registry/models/{model}/versions/{version}"
    ))
}

fn version_of<'a>(m: &'a Model, version: &str) -> PortResult<&'a Version> {
    version
        .trim()
        .parse::<u32>()
        .ok()
        .and_then(|n| m.version(n))
        .ok_or_else(|| version_missing(&m.name, version))
}

fn version_number(m: &Model, version: &str) -> PortResult<u32> {
    version_of(m, version).map(|v| v.number)
}

fn run_of<'a>(w: &'a World, run_id: &str) -> PortResult<(&'a Model, &'a Version)> {
    w.runs
        .get(run_id)
        .and_then(|(mi, n)| {
            let m = w.models.get(*mi as usize)?;
            Some((m, m.version(*n)?))
        })
        .ok_or_else(|| {
            BackendError::not_found(Backend::Registry, format!("run {run_id:?} not found"))
                .at(format!("sandbox://registry/runs/{run_id}"))
        })
}

fn check_key(what: &str, key: &str) -> PortResult<()> {
    if key.is_empty() || key.len() > 250 {
        return Err(BackendError::new(
            Backend::Registry,
            ErrorCode::InvalidRequest,
            format!("{what} {key:?} must be 1 to 250 bytes long"),
        ));
    }
    Ok(())
}

#[async_trait]
impl Registry for SandboxRegistry {
    fn describe(&self) -> String {
        let seed = self.shared.lock().seed;
        format!("sandbox registry (seed {seed})")
    }

    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>> {
        self.shared.call(Backend::Registry, |w| {
            Ok(w.models.iter().map(Model::to_domain).collect())
        })
    }

    async fn get_model(&self, model: &str) -> PortResult<RegisteredModel> {
        self.shared.call(Backend::Registry, |w| {
            model_ref(w, model).map(Model::to_domain)
        })
    }

    async fn list_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>> {
        self.shared.call(Backend::Registry, |w| {
            let m = model_ref(w, model)?;
            Ok(m.versions
                .iter()
                .rev()
                .map(|v| m.version_domain(v))
                .collect())
        })
    }

    async fn get_version(&self, model: &str, version: &str) -> PortResult<ModelVersion> {
        self.shared.call(Backend::Registry, |w| {
            let m = model_ref(w, model)?;
            Ok(m.version_domain(version_of(m, version)?))
        })
    }

    async fn get_run(&self, run_id: &str) -> PortResult<RunData> {
        self.shared.call(Backend::Registry, |w| {
            w.runs
                .get(run_id)
                .and_then(|(mi, n)| w.models.get(*mi as usize)?.version(*n))
                .map(|v| v.run.clone())
                .ok_or_else(|| {
                    BackendError::not_found(Backend::Registry, format!("run {run_id:?} not found"))
                        .at(format!("sandbox://registry/runs/{run_id}"))
                })
        })
    }

    async fn set_alias(&self, model: &str, alias: &str, version: &str) -> PortResult<()> {
        self.shared.call(Backend::Registry, |w| {
            check_key("alias", alias)?;
            let now = w.now;
            let m = model_mut(w, model)?;
            let n = version_number(m, version)?;
            m.aliases.insert(alias.to_string(), n.to_string());
            m.updated_at = now;
            Ok(())
        })
    }

    async fn delete_alias(&self, model: &str, alias: &str) -> PortResult<()> {
        self.shared.call(Backend::Registry, |w| {
            let now = w.now;
            let m = model_mut(w, model)?;
            if m.aliases.remove(alias).is_some() {
                m.updated_at = now;
            }
            Ok(())
        })
    }

    async fn set_version_tag(
        &self,
        model: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> PortResult<()> {
        self.shared.call(Backend::Registry, |w| {
            check_key("tag key", key)?;
            if value.len() > 5000 {
                return Err(BackendError::new(
                    Backend::Registry,
                    ErrorCode::InvalidRequest,
                    format!(
                        "value of tag {key:?} is {} bytes, over the 5000-byte limit",
                        value.len()
                    ),
                ));
            }
            let m = model_mut(w, model)?;
            let n = version_number(m, version)?;
            if let Some(v) = m.version_mut(n) {
                v.tags.insert(key.to_string(), value.to_string());
            }
            Ok(())
        })
    }

    async fn reference_profile(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<Option<modeldeck_core::drift::ReferenceProfile>> {
        self.shared.call(Backend::Registry, |w| {
            let mi = w.model_index(model).ok_or_else(|| model_missing(model))?;
            let m = model_ref(w, model)?;
            let n = version_number(m, version)?;
            let logged = m.version(n).and_then(|v| {
                let tag = v.tags.get(PROFILE_TAG)?;
                (tag == PROFILE_ARTIFACT)
                    .then(|| w.logged_profiles.get(&v.run.run_id))
                    .flatten()
            });
            if let Some(p) = logged {
                return Ok(Some(p.clone()));
            }
            Ok(crate::drift::reference(w, mi as u32, n).map(|p| p.as_ref().clone()))
        })
    }

    async fn log_reference_profile(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
    ) -> PortResult<String> {
        profile.validate().map_err(|m| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::InvalidRequest,
                format!("reference profile for {model} version {version} is invalid: {m}"),
            )
        })?;
        self.shared.call(Backend::Registry, |w| {
            let m = model_mut(w, model)?;
            let n = version_number(m, version)?;
            let Some(v) = m.version_mut(n) else {
                return Err(model_missing(model));
            };
            v.tags
                .insert(PROFILE_TAG.to_string(), PROFILE_ARTIFACT.to_string());
            let run = v.run.run_id.clone();
            w.logged_profiles.insert(run, profile.clone());
            Ok(PROFILE_ARTIFACT.to_string())
        })
    }

    async fn model_schema(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<modeldeck_core::compare_schema::ModelSchema> {
        self.shared.call(Backend::Registry, |w| {
            let m = model_ref(w, model)?;
            let n = version_number(m, version)?;
            Ok(evidence::schema_of(m, n))
        })
    }

    async fn run_datasets(
        &self,
        run_id: &str,
    ) -> PortResult<Vec<modeldeck_core::compare_lineage::DatasetInput>> {
        self.shared.call(Backend::Registry, |w| {
            let (m, v) = run_of(w, run_id)?;
            Ok(evidence::datasets_of(m, v.number, &v.run))
        })
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> PortResult<Vec<MetricPoint>> {
        self.shared.call(Backend::Registry, |w| {
            let (_, v) = run_of(w, run_id)?;
            Ok(evidence::history_of(&v.run, key))
        })
    }

    async fn delete_version_tag(&self, model: &str, version: &str, key: &str) -> PortResult<()> {
        self.shared.call(Backend::Registry, |w| {
            let m = model_mut(w, model)?;
            let n = version_number(m, version)?;
            if let Some(v) = m.version_mut(n) {
                v.tags.remove(key);
            }
            Ok(())
        })
    }
}
