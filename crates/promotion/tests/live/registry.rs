//! The registry port of the live world: a real MLflow client per MLflow
//! user, routed by who acts. On the basic-auth server the promotion's
//! actors write as the admin, while `viewer` and `reader` use an MLflow user
//! that has READ permission only (MLflow answers their writes 403).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::error::PortResult;
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, MlflowRegistry, Secret};
use std::sync::{Arc, Mutex};

/// Users whose registry calls go through the read-only MLflow user.
pub const READ_ONLY: &[&str] = &["viewer", "reader"];

pub fn registry(uri: &str, auth: Auth) -> Arc<MlflowRegistry> {
    Arc::new(MlflowRegistry::new(
        MlflowClient::new(MlflowConfig::new(uri, auth).unwrap()).unwrap(),
    ))
}

pub fn basic(user: &str, password: &str) -> Auth {
    Auth::Basic {
        username: user.to_string(),
        password: Secret::new(password),
    }
}

pub struct UserRegistry {
    writer: Arc<MlflowRegistry>,
    reader: Option<Arc<MlflowRegistry>>,
    current: Mutex<String>,
}

impl UserRegistry {
    pub fn new(writer: Arc<MlflowRegistry>, reader: Option<Arc<MlflowRegistry>>) -> Arc<Self> {
        Arc::new(UserRegistry {
            writer,
            reader,
            current: Mutex::new("admin".into()),
        })
    }

    pub fn act_as(&self, user: &str) {
        *self.current.lock().unwrap() = user.to_string();
    }

    fn cur(&self) -> Arc<MlflowRegistry> {
        let user = self.current.lock().unwrap().clone();
        match &self.reader {
            Some(r) if READ_ONLY.contains(&user.as_str()) => r.clone(),
            _ => self.writer.clone(),
        }
    }
}

#[async_trait]
impl Registry for UserRegistry {
    fn describe(&self) -> String {
        self.writer.describe()
    }
    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>> {
        self.cur().list_models().await
    }
    async fn get_model(&self, model: &str) -> PortResult<RegisteredModel> {
        self.cur().get_model(model).await
    }
    async fn list_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>> {
        self.cur().list_versions(model).await
    }
    async fn get_version(&self, model: &str, version: &str) -> PortResult<ModelVersion> {
        self.cur().get_version(model, version).await
    }
    async fn get_run(&self, run_id: &str) -> PortResult<RunData> {
        self.cur().get_run(run_id).await
    }
    async fn set_alias(&self, model: &str, alias: &str, version: &str) -> PortResult<()> {
        self.cur().set_alias(model, alias, version).await
    }
    async fn delete_alias(&self, model: &str, alias: &str) -> PortResult<()> {
        self.cur().delete_alias(model, alias).await
    }
    async fn set_version_tag(
        &self,
        model: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> PortResult<()> {
        self.cur().set_version_tag(model, version, key, value).await
    }
    async fn delete_version_tag(&self, model: &str, version: &str, key: &str) -> PortResult<()> {
        self.cur().delete_version_tag(model, version, key).await
    }
}
