//! [`MlflowClient`]: typed calls of the registry and tracking REST API 2.0,
//! searches followed across `next_page_token`, and the registry's quirks
//! (missing alias answers 400, alias routes absent before 2.3) turned into
//! stable error codes.

use crate::config::MlflowConfig;
use crate::errors::Failure;
use crate::stages::ServerVersion;
use crate::transport::{Repeat, Transport};
use crate::types::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::json;

/// Safety net against a server that pages forever.
const MAX_PAGES: usize = 100_000;

/// A client of one MLflow tracking server. Cheap to clone (shared pool).
#[derive(Clone)]
pub struct MlflowClient {
    pub(crate) t: Transport,
}

impl std::fmt::Debug for MlflowClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlflowClient")
            .field("config", &self.t.cfg)
            .finish()
    }
}

impl MlflowClient {
    /// A client for `config`. Fails (`invalid_request`) only on an unusable
    /// TLS setup (unreadable CA bundle).
    pub fn new(config: MlflowConfig) -> PortResult<Self> {
        Ok(MlflowClient {
            t: Transport::new(config)?,
        })
    }

    /// A client configured from `MLFLOW_TRACKING_*` environment variables.
    pub fn from_env() -> PortResult<Self> {
        let cfg = MlflowConfig::from_env().map_err(|e| {
            BackendError::new(Backend::Registry, ErrorCode::InvalidRequest, e.to_string())
        })?;
        Self::new(cfg)
    }

    /// The configuration in use.
    pub fn config(&self) -> &MlflowConfig {
        &self.t.cfg
    }

    /// `mlflow <url>`, without secrets.
    pub fn describe(&self) -> String {
        self.t.cfg.describe()
    }

    /// `GET /version` (plain text, e.g. `3.17.2`).
    pub async fn server_version(&self) -> PortResult<ServerVersion> {
        let url = self.t.url("version", &[])?;
        let body = self.t.get_bytes(&url).await?;
        let text = String::from_utf8_lossy(&body);
        ServerVersion::parse(&text).ok_or_else(|| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::MalformedResponse,
                format!(
                    "/version answered {:?}, not a version number",
                    text.chars().take(60).collect::<String>()
                ),
            )
            .at(modeldeck_http::redact_url(&url))
        })
    }

    /// Any GET endpoint under `/api/2.0/mlflow/`, decoded as `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &[(&str, &str)],
    ) -> PortResult<T> {
        Ok(self.t.get_json(endpoint, query).await?)
    }

    /// Any POST endpoint under `/api/2.0/mlflow/` with a JSON body.
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &serde_json::Value,
    ) -> PortResult<T> {
        Ok(self
            .t
            .send_json(Method::POST, endpoint, body, Repeat::ByMethod)
            .await?)
    }

    // ----- registered models -----

    /// One page of `registered-models/search` (`max_results` clamped to 1..=1000).
    pub async fn search_models_page(
        &self,
        filter: Option<&str>,
        page_token: Option<&str>,
        max_results: u32,
    ) -> PortResult<Page<RegisteredModel>> {
        let max = max_results.clamp(1, 1000).to_string();
        let mut q: Vec<(&str, &str)> = vec![("max_results", &max)];
        if let Some(f) = filter {
            q.push(("filter", f));
        }
        if let Some(p) = page_token {
            q.push(("page_token", p));
        }
        let page: ModelsPage = self.t.get_json("registered-models/search", &q).await?;
        Ok(Page {
            items: page.registered_models,
            next_page_token: page.next_page_token,
        })
    }

    /// Every registered model matching `filter`, all pages.
    pub async fn search_models(&self, filter: Option<&str>) -> PortResult<Vec<RegisteredModel>> {
        let size = self.t.cfg.page_size;
        all_pages(
            "registered-models/search",
            |tok: Option<String>| async move {
                self.search_models_page(filter, tok.as_deref(), size).await
            },
        )
        .await
    }

    /// `registered-models/get`.
    pub async fn get_model(&self, name: &str) -> PortResult<RegisteredModel> {
        let e: ModelEnvelope = self
            .t
            .get_json("registered-models/get", &[("name", name)])
            .await?;
        Ok(e.registered_model)
    }

    /// Sets a registered-model tag (overwrites).
    pub async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> PortResult<()> {
        let body = json!({"name": name, "key": key, "value": value});
        self.t
            .send_json::<Empty>(
                Method::POST,
                "registered-models/set-tag",
                &body,
                Repeat::Idempotent,
            )
            .await?;
        Ok(())
    }

    /// Deletes a registered-model tag (no error if absent).
    pub async fn delete_model_tag(&self, name: &str, key: &str) -> PortResult<()> {
        let body = json!({"name": name, "key": key});
        self.t
            .send_json::<Empty>(
                Method::DELETE,
                "registered-models/delete-tag",
                &body,
                Repeat::ByMethod,
            )
            .await?;
        Ok(())
    }

    // ----- versions -----

    /// One page of `model-versions/search`. Results carry no aliases.
    pub async fn search_versions_page(
        &self,
        filter: Option<&str>,
        order_by: &[&str],
        page_token: Option<&str>,
        max_results: u32,
    ) -> PortResult<Page<ModelVersion>> {
        let max = max_results.clamp(1, 200_000).to_string();
        let mut q: Vec<(&str, &str)> = vec![("max_results", &max)];
        if let Some(f) = filter {
            q.push(("filter", f));
        }
        q.extend(order_by.iter().map(|o| ("order_by", *o)));
        if let Some(p) = page_token {
            q.push(("page_token", p));
        }
        let page: VersionsPage = self.t.get_json("model-versions/search", &q).await?;
        Ok(Page {
            items: page.model_versions,
            next_page_token: page.next_page_token,
        })
    }

    /// Every version matching `filter`, all pages, in `order_by` order.
    pub async fn search_versions(
        &self,
        filter: Option<&str>,
        order_by: &[&str],
    ) -> PortResult<Vec<ModelVersion>> {
        let size = self.t.cfg.page_size;
        all_pages("model-versions/search", |tok: Option<String>| async move {
            self.search_versions_page(filter, order_by, tok.as_deref(), size)
                .await
        })
        .await
    }

    /// Every version of `model`, highest number first (without aliases).
    pub async fn list_model_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>> {
        let filter = name_filter(model)?;
        self.search_versions(Some(&filter), &["version_number DESC"])
            .await
    }

    /// `model-versions/get` (aliases included).
    pub async fn get_version(&self, name: &str, version: &str) -> PortResult<ModelVersion> {
        let e: VersionEnvelope = self
            .t
            .get_json(
                "model-versions/get",
                &[("name", name), ("version", version)],
            )
            .await?;
        Ok(e.model_version)
    }

    /// Sets a version tag (overwrites).
    pub async fn set_version_tag(
        &self,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> PortResult<()> {
        let body = json!({"name": name, "version": version, "key": key, "value": value});
        self.t
            .send_json::<Empty>(
                Method::POST,
                "model-versions/set-tag",
                &body,
                Repeat::Idempotent,
            )
            .await?;
        Ok(())
    }

    /// Deletes a version tag (no error if absent).
    pub async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> PortResult<()> {
        let body = json!({"name": name, "version": version, "key": key});
        self.t
            .send_json::<Empty>(
                Method::DELETE,
                "model-versions/delete-tag",
                &body,
                Repeat::ByMethod,
            )
            .await?;
        Ok(())
    }

    /// `model-versions/get-download-uri`: where the version's files are.
    pub async fn get_download_uri(&self, name: &str, version: &str) -> PortResult<String> {
        let d: DownloadUri = self
            .t
            .get_json(
                "model-versions/get-download-uri",
                &[("name", name), ("version", version)],
            )
            .await?;
        Ok(d.artifact_uri)
    }

    /// Deprecated stages: moves `version` to `stage` (`None`, `Staging`,
    /// `Production`, `Archived`), optionally archiving the others there.
    pub async fn transition_stage(
        &self,
        name: &str,
        version: &str,
        stage: &str,
        archive_existing: bool,
    ) -> PortResult<ModelVersion> {
        let body = json!({"name": name, "version": version, "stage": stage,
                          "archive_existing_versions": archive_existing});
        let e: VersionEnvelope = self
            .t
            .send_json(
                Method::POST,
                "model-versions/transition-stage",
                &body,
                Repeat::ByMethod,
            )
            .await?;
        Ok(e.model_version)
    }

    // ----- aliases (servers >= 2.3) -----

    /// The version `alias` points at. A missing alias (MLflow answers 400) is
    /// `not_found`; a server without alias routes gives `unsupported`.
    pub async fn get_version_by_alias(&self, name: &str, alias: &str) -> PortResult<ModelVersion> {
        let r: Result<VersionEnvelope, Failure> = self
            .t
            .get_json(
                "registered-models/alias",
                &[("name", name), ("alias", alias)],
            )
            .await;
        match r {
            Ok(e) => Ok(e.model_version),
            Err(f) if is_missing_alias(&f) => Err(f
                .recode(
                    ErrorCode::NotFound,
                    &format!("alias {alias:?} of model {name:?} not found"),
                )
                .into()),
            Err(f) => Err(alias_failure(f)),
        }
    }

    /// Points `alias` at `version`, moving it if it exists.
    pub async fn set_alias(&self, name: &str, alias: &str, version: &str) -> PortResult<()> {
        let body = json!({"name": name, "alias": alias, "version": version});
        self.t
            .send_json::<Empty>(
                Method::POST,
                "registered-models/alias",
                &body,
                Repeat::Idempotent,
            )
            .await
            .map_err(alias_failure)?;
        Ok(())
    }

    /// Removes `alias` (MLflow answers 200 when it does not exist).
    pub async fn delete_alias(&self, name: &str, alias: &str) -> PortResult<()> {
        let body = json!({"name": name, "alias": alias});
        self.t
            .send_json::<Empty>(
                Method::DELETE,
                "registered-models/alias",
                &body,
                Repeat::ByMethod,
            )
            .await
            .map_err(alias_failure)?;
        Ok(())
    }
}

/// Follows `next_page_token` until it is absent. A token that repeats is a
/// server bug that would loop forever: `malformed_response`.
pub(crate) async fn all_pages<T, F, Fut>(endpoint: &str, mut fetch: F) -> PortResult<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = PortResult<Page<T>>>,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = fetch(token.clone()).await?;
        out.extend(page.items);
        match page.next_page_token {
            None => return Ok(out),
            Some(next) if Some(&next) == token.as_ref() => {
                return Err(BackendError::new(
                    Backend::Registry,
                    ErrorCode::MalformedResponse,
                    format!("{endpoint} returned the same next_page_token twice; stopping"),
                ));
            }
            Some(next) => token = Some(next),
        }
    }
    Err(BackendError::new(
        Backend::Registry,
        ErrorCode::MalformedResponse,
        format!("{endpoint} still had more pages after {MAX_PAGES}; stopping"),
    ))
}

/// `name = '<model>'`, quoted so the SQL-ish filter grammar reads it back.
pub fn name_filter(model: &str) -> PortResult<String> {
    if !model.contains('\'') {
        Ok(format!("name = '{model}'"))
    } else if !model.contains('"') {
        Ok(format!("name = \"{model}\""))
    } else {
        Err(BackendError::new(
            Backend::Registry,
            ErrorCode::InvalidRequest,
            format!(
                "model name {model:?} holds both quote kinds; MLflow's search filter cannot express it"
            ),
        ))
    }
}

/// MLflow answers a lookup of a missing alias with 400 INVALID_PARAMETER_VALUE
/// "Registered model alias X not found." (not 404).
pub(crate) fn is_missing_alias(f: &Failure) -> bool {
    f.status == Some(400)
        && f.mlflow_code.as_deref() == Some("INVALID_PARAMETER_VALUE")
        && f.server_message
            .as_deref()
            .is_some_and(|m| m.to_ascii_lowercase().contains("not found"))
}

/// An HTML 404 on an alias route means the server predates aliases (< 2.3).
pub(crate) fn alias_failure(f: Failure) -> BackendError {
    if f.is_missing_route() {
        f.recode(
            ErrorCode::Unsupported,
            "this MLflow server has no alias API (needs >= 2.3)",
        )
        .into()
    } else {
        f.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_filter_quotes() {
        assert_eq!(name_filter("fraud").unwrap(), "name = 'fraud'");
        assert_eq!(name_filter("bob's").unwrap(), "name = \"bob's\"");
        assert_eq!(
            name_filter("a'b\"c").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }

    #[tokio::test]
    async fn paging_stops_on_a_repeated_token() {
        let e = all_pages("x/search", |_tok: Option<String>| async move {
            Ok(Page {
                items: vec![1],
                next_page_token: Some("same".to_string()),
            })
        })
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedResponse);
        let mut n = 0;
        let v = all_pages("x/search", |tok: Option<String>| {
            n += 1;
            let k = n;
            async move {
                let next = if k < 3 { Some(format!("t{k}")) } else { None };
                assert_eq!(tok.is_some(), k > 1);
                Ok(Page {
                    items: vec![k],
                    next_page_token: next,
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(v, vec![1, 2, 3]);
    }
}
