//! [`MlflowRegistry`]: Modeldeck's [`Registry`] port on an [`MlflowClient`].
//! Joins aliases into versions (search results carry none), converts MLflow
//! shapes to domain types, and on servers older than 2.3 stands stages in
//! for the champion/challenger aliases.

use crate::client::MlflowClient;
use crate::stages::{AliasMode, StageMapping};
use crate::types;
use async_trait::async_trait;
use modeldeck_core::domain::{
    MetricPoint, ModelVersion, RegisteredModel, RunData, Timestamp, VersionStatus,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::Registry;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The registry port over MLflow REST.
pub struct MlflowRegistry {
    client: MlflowClient,
    stages: StageMapping,
    mode: Mutex<Option<AliasMode>>,
}

impl std::fmt::Debug for MlflowRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlflowRegistry")
            .field("client", &self.client)
            .field("stages", &self.stages)
            .finish()
    }
}

impl MlflowRegistry {
    /// The port over `client`; the alias mode is probed (`GET /version`) on first use.
    pub fn new(client: MlflowClient) -> Self {
        MlflowRegistry {
            client,
            stages: StageMapping::default(),
            mode: Mutex::new(None),
        }
    }

    /// Uses `stages` for the pre-2.3 fallback (your champion/challenger names).
    pub fn with_stage_mapping(mut self, stages: StageMapping) -> Self {
        self.stages = stages;
        self
    }

    /// Fixes the alias mode instead of probing the server.
    pub fn with_alias_mode(self, mode: AliasMode) -> Self {
        self.set_mode(mode);
        self
    }

    /// The underlying client.
    pub fn client(&self) -> &MlflowClient {
        &self.client
    }

    fn cached_mode(&self) -> Option<AliasMode> {
        self.mode.lock().map(|g| *g).unwrap_or(None)
    }

    fn set_mode(&self, mode: AliasMode) {
        if let Ok(mut g) = self.mode.lock() {
            *g = Some(mode);
        }
    }

    /// Aliases or stages, from `GET /version` once. A server without
    /// `/version` is taken to have aliases; if its alias routes then turn
    /// out missing, the mode switches to stages.
    pub async fn alias_mode(&self) -> PortResult<AliasMode> {
        if let Some(m) = self.cached_mode() {
            return Ok(m);
        }
        let mode = match self.client.server_version().await {
            Ok(v) => AliasMode::for_version(v),
            Err(e) if matches!(e.code, ErrorCode::NotFound | ErrorCode::MalformedResponse) => {
                tracing::warn!(error = %e, "no usable /version; assuming aliases");
                AliasMode::Aliases
            }
            Err(e) => return Err(e),
        };
        self.set_mode(mode);
        Ok(mode)
    }

    /// The history of one metric of a run, oldest first.
    pub async fn metric_history(&self, run_id: &str, key: &str) -> PortResult<Vec<MetricPoint>> {
        let mut pts: Vec<MetricPoint> = self
            .client
            .metric_history(run_id, key)
            .await?
            .into_iter()
            .map(|m| MetricPoint {
                step: m.step,
                at: Timestamp(m.timestamp),
                value: m.value,
            })
            .collect();
        pts.sort_by_key(|p| (p.step, p.at));
        Ok(pts)
    }

    fn model_aliases(
        &self,
        mode: AliasMode,
        m: &types::RegisteredModel,
    ) -> BTreeMap<String, String> {
        match mode {
            AliasMode::Aliases => m
                .aliases
                .iter()
                .map(|a| (a.alias.clone(), a.version.clone()))
                .collect(),
            AliasMode::Stages => self.stages.aliases_from_stages(&m.latest_versions),
        }
    }

    fn no_alias_api(&self, alias: &str) -> BackendError {
        let mapped: Vec<&str> = self.stages.pairs.iter().map(|(a, _)| a.as_str()).collect();
        BackendError::new(
            Backend::Registry,
            ErrorCode::Unsupported,
            format!(
                "this MLflow server predates aliases (< 2.3); only {} map to stages, not {alias:?}",
                mapped.join(" and ")
            ),
        )
    }

    /// Runs an alias-route call; a missing route flips the mode to stages.
    async fn on_alias_route<T>(&self, r: PortResult<T>) -> PortResult<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code == ErrorCode::Unsupported => {
                tracing::warn!(error = %e, "alias routes missing; falling back to stages");
                self.set_mode(AliasMode::Stages);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn set_alias_by_stage(&self, model: &str, alias: &str, version: &str) -> PortResult<()> {
        let mv = self
            .stages
            .plan_set(alias, version)
            .ok_or_else(|| self.no_alias_api(alias))?;
        self.client
            .transition_stage(model, &mv.version, &mv.stage, mv.archive_existing)
            .await?;
        Ok(())
    }

    async fn delete_alias_by_stage(&self, model: &str, alias: &str) -> PortResult<()> {
        let versions = self.client.list_model_versions(model).await?;
        let moves = self
            .stages
            .plan_delete(alias, &versions)
            .ok_or_else(|| self.no_alias_api(alias))?;
        for mv in moves {
            self.client
                .transition_stage(model, &mv.version, &mv.stage, mv.archive_existing)
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Registry for MlflowRegistry {
    fn describe(&self) -> String {
        self.client.describe()
    }

    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>> {
        let mode = self.alias_mode().await?;
        let models = self.client.search_models(None).await?;
        Ok(models
            .iter()
            .map(|m| to_model(m, self.model_aliases(mode, m)))
            .collect())
    }

    async fn get_model(&self, model: &str) -> PortResult<RegisteredModel> {
        let mode = self.alias_mode().await?;
        let m = self.client.get_model(model).await?;
        Ok(to_model(&m, self.model_aliases(mode, &m)))
    }

    async fn list_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>> {
        let mode = self.alias_mode().await?;
        let (m, versions) = tokio::join!(
            self.client.get_model(model),
            self.client.list_model_versions(model)
        );
        let (m, versions) = (m?, versions?);
        let aliases = match mode {
            AliasMode::Aliases => self.model_aliases(mode, &m),
            AliasMode::Stages => self.stages.aliases_from_stages(&versions),
        };
        let mut out: Vec<ModelVersion> = versions
            .iter()
            .map(|v| to_version(v, aliases_of(&aliases, &v.version)))
            .collect();
        out.sort_by_key(|v| std::cmp::Reverse(v.number()));
        Ok(out)
    }

    async fn get_version(&self, model: &str, version: &str) -> PortResult<ModelVersion> {
        let mode = self.alias_mode().await?;
        let v = self.client.get_version(model, version).await?;
        let aliases = match mode {
            AliasMode::Aliases => {
                let mut a = v.aliases.clone();
                a.sort();
                a
            }
            AliasMode::Stages => {
                let m = self.client.get_model(model).await?;
                aliases_of(
                    &self.stages.aliases_from_stages(&m.latest_versions),
                    version,
                )
            }
        };
        Ok(to_version(&v, aliases))
    }

    async fn get_run(&self, run_id: &str) -> PortResult<RunData> {
        Ok(to_run(&self.client.get_run(run_id).await?))
    }

    async fn set_alias(&self, model: &str, alias: &str, version: &str) -> PortResult<()> {
        if self.alias_mode().await? == AliasMode::Aliases {
            let r = self.client.set_alias(model, alias, version).await;
            if self.on_alias_route(r).await?.is_some() {
                return Ok(());
            }
        }
        self.set_alias_by_stage(model, alias, version).await
    }

    async fn delete_alias(&self, model: &str, alias: &str) -> PortResult<()> {
        if self.alias_mode().await? == AliasMode::Aliases {
            let r = self.client.delete_alias(model, alias).await;
            if self.on_alias_route(r).await?.is_some() {
                return Ok(());
            }
        }
        self.delete_alias_by_stage(model, alias).await
    }

    async fn set_version_tag(
        &self,
        model: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> PortResult<()> {
        self.client
            .set_version_tag(model, version, key, value)
            .await
    }

    async fn delete_version_tag(&self, model: &str, version: &str, key: &str) -> PortResult<()> {
        self.client.delete_version_tag(model, version, key).await
    }

    async fn reference_profile(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<Option<modeldeck_core::drift::ReferenceProfile>> {
        self.read_reference_profile(model, version).await
    }

    async fn log_reference_profile(
        &self,
        model: &str,
        version: &str,
        profile: &modeldeck_core::drift::ReferenceProfile,
    ) -> PortResult<String> {
        // The inherent method (profiles.rs): upload, then the tag.
        MlflowRegistry::log_reference_profile(self, model, version, profile).await
    }

    async fn model_schema(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<modeldeck_core::compare_schema::ModelSchema> {
        self.client.model_schema(model, version).await
    }

    async fn run_datasets(
        &self,
        run_id: &str,
    ) -> PortResult<Vec<modeldeck_core::compare_lineage::DatasetInput>> {
        self.client.run_datasets(run_id).await
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> PortResult<Vec<MetricPoint>> {
        MlflowRegistry::metric_history(self, run_id, key).await
    }
}

fn aliases_of(map: &BTreeMap<String, String>, version: &str) -> Vec<String> {
    map.iter()
        .filter(|(_, v)| v.as_str() == version)
        .map(|(a, _)| a.clone())
        .collect()
}

fn tags(kv: &[types::KeyValue]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// A registered model in domain terms, with `aliases` (name -> version).
pub fn to_model(m: &types::RegisteredModel, aliases: BTreeMap<String, String>) -> RegisteredModel {
    let latest = m
        .latest_versions
        .iter()
        .max_by_key(|v| v.version.parse::<u64>().unwrap_or(0))
        .map(|v| v.version.clone());
    RegisteredModel {
        name: m.name.clone(),
        description: m.description.clone(),
        tags: tags(&m.tags),
        aliases,
        latest_version: latest,
        created_at: Timestamp(m.creation_timestamp.unwrap_or(0)),
        updated_at: Timestamp(
            m.last_updated_timestamp
                .or(m.creation_timestamp)
                .unwrap_or(0),
        ),
    }
}

/// A version in domain terms, with the aliases pointing at it.
pub fn to_version(v: &types::ModelVersion, aliases: Vec<String>) -> ModelVersion {
    let status = match v.status.as_deref() {
        Some("PENDING_REGISTRATION") => VersionStatus::PendingRegistration,
        Some("FAILED_REGISTRATION") => VersionStatus::FailedRegistration,
        // MLflow's default; an unknown future status is shown as usable rather than hidden.
        _ => VersionStatus::Ready,
    };
    ModelVersion {
        model: v.name.clone(),
        version: v.version.clone(),
        run_id: v.run_id.clone(),
        source: v.source.clone(),
        status,
        aliases,
        tags: tags(&v.tags),
        description: v.description.clone(),
        user: v.user_id.clone(),
        created_at: Timestamp(v.creation_timestamp.unwrap_or(0)),
    }
}

/// A run's latest metrics, params and tags in domain terms.
pub fn to_run(r: &types::Run) -> RunData {
    RunData {
        run_id: r.info.run_id.clone(),
        metrics: r
            .data
            .metrics
            .iter()
            .map(|m| (m.key.clone(), m.value))
            .collect(),
        params: tags(&r.data.params),
        tags: tags(&r.data.tags),
        started_at: r.info.start_time.map(Timestamp),
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
