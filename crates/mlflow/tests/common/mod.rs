//! Shared helpers of the live tests: where the real MLflow servers are
//! (from `scripts/services/mlflow.sh start`), unique names, and a seeder that
//! creates data with plain reqwest calls (independent of the client under test).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, Secret};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

/// `$var`, or a failing test that says how to get a server.
pub fn env_or_fail(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => panic!(
            "{var} is not set: these tests need a real MLflow server. Run `scripts/test.sh`, \
             or start one with `eval \"$(scripts/services/mlflow.sh start dev)\"` \
             (and `start dev-auth --auth` for the auth tests)"
        ),
    }
}

/// The plain test server.
pub fn uri() -> String {
    env_or_fail("MODELDECK_TEST_MLFLOW_URI")
}

/// A name no other test (or earlier run against the same server) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A client of `uri` with `page_size`.
pub fn client_with(uri: &str, auth: Auth, page_size: u32) -> MlflowClient {
    let mut cfg = MlflowConfig::new(uri, auth).unwrap();
    cfg.page_size = page_size;
    MlflowClient::new(cfg).unwrap()
}

/// A client of the plain test server.
pub fn client() -> MlflowClient {
    client_with(&uri(), Auth::None, 1000)
}

/// Creates test data through REST with its own reqwest client.
pub struct Seeder {
    http: reqwest::Client,
    base: String,
    user: Option<(String, String)>,
}

impl Seeder {
    pub fn new(base: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Seeder {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_string(),
            user: None,
        }
    }

    pub fn with_user(mut self, user: &str, password: &str) -> Self {
        self.user = Some((user.to_string(), password.to_string()));
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.user {
            Some((u, p)) => rb.basic_auth(u, Some(p)),
            None => rb,
        }
    }

    /// POST `/api/2.0/mlflow/<endpoint>`; panics with the body on failure.
    pub async fn post(&self, endpoint: &str, body: Value) -> Value {
        let url = self.url(&format!("api/2.0/mlflow/{endpoint}"));
        let resp = self
            .auth(self.http.post(&url).json(&body))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(
            status.is_success(),
            "seeding {endpoint} failed: {status} {text}"
        );
        serde_json::from_str(&text).unwrap()
    }

    /// PUT raw bytes through the artifact proxy at `path`.
    pub async fn put_artifact(&self, path: &str, bytes: Vec<u8>) {
        let url = self.url(&format!("api/2.0/mlflow-artifacts/artifacts/{path}"));
        let resp = self
            .auth(self.http.put(&url).body(bytes))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "artifact upload failed: {}",
            resp.status()
        );
    }

    pub async fn experiment(&self, name: &str, artifact_location: Option<&str>) -> String {
        let mut body = json!({ "name": name });
        if let Some(loc) = artifact_location {
            body["artifact_location"] = json!(loc);
        }
        let v = self.post("experiments/create", body).await;
        v["experiment_id"].as_str().unwrap().to_string()
    }

    /// A run; returns (run_id, artifact_uri).
    pub async fn run(&self, experiment_id: &str) -> (String, String) {
        let v = self
            .post(
                "runs/create",
                json!({"experiment_id": experiment_id, "start_time": 1_700_000_000_000i64}),
            )
            .await;
        let info = &v["run"]["info"];
        (
            info["run_id"].as_str().unwrap().to_string(),
            info["artifact_uri"].as_str().unwrap().to_string(),
        )
    }

    /// Logs metrics given as (key, JSON value, step); NaN must be `"NaN"`.
    pub async fn metrics(&self, run_id: &str, points: &[(&str, Value, i64)]) {
        for chunk in points.chunks(1000) {
            let metrics: Vec<Value> = chunk
                .iter()
                .map(|(k, v, step)| json!({"key": k, "value": v, "timestamp": 1_700_000_000_000i64 + step, "step": step}))
                .collect();
            self.post(
                "runs/log-batch",
                json!({"run_id": run_id, "metrics": metrics}),
            )
            .await;
        }
    }

    pub async fn model(&self, name: &str) {
        self.post("registered-models/create", json!({ "name": name }))
            .await;
    }

    /// A new version of `model` from `source`; returns its version string.
    pub async fn version(&self, model: &str, run_id: &str, source: &str) -> String {
        let v = self
            .post(
                "model-versions/create",
                json!({"name": model, "source": source, "run_id": run_id}),
            )
            .await;
        v["model_version"]["version"].as_str().unwrap().to_string()
    }

    /// A model with `n` versions (all from one run); returns the run id.
    pub async fn model_with_versions(&self, model: &str, n: usize) -> String {
        let exp = self.experiment(&unique("exp"), None).await;
        let (run, _) = self.run(&exp).await;
        self.model(model).await;
        for _ in 0..n {
            self.version(model, &run, &format!("runs:/{run}/model"))
                .await;
        }
        run
    }
}

/// Asserts no error or debug text in `texts` contains `secret`.
pub fn assert_hidden(secret: &str, texts: &[String]) {
    for t in texts {
        assert!(!t.contains(secret), "secret leaked into: {t}");
    }
}

/// A bearer-token client of `uri` (for leak checks).
pub fn bearer_client(uri: &str, token: &str) -> MlflowClient {
    client_with(uri, Auth::Bearer(Secret::new(token)), 1000)
}
