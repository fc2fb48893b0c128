//! Seeding the live backends from the sandbox demo world, with plain REST
//! calls (independent of the adapters under test): MLflow registered
//! models, runs with their metrics and params, versions in order, tags and
//! aliases; sandbox API servers serving the demo workloads of those models.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use super::cluster::users;
use modeldeck_apiserver::{ApiServer, ApiServerHandle, ControllerConfig, ServerConfig};
use modeldeck_core::domain::{Timestamp, Workload, WorkloadKind};
use modeldeck_sandbox::Sandbox;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Versions of these demo models never get ready on the API server (the
/// sandbox's broken versions).
pub const BROKEN: &[(&str, &str)] = &[("spam-filter", "7")];

/// A model-name prefix no other test or earlier run uses.
pub fn unique_prefix() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "lv{}x{}x{}-",
        std::process::id(),
        Timestamp::now().0 % 1_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// MLflow's REST API with its own reqwest client.
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
    user: Option<(String, String)>,
}

impl Rest {
    pub fn new(base: &str, user: Option<(&str, &str)>) -> Rest {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Rest {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_string(),
            user: user.map(|(u, p)| (u.to_string(), p.to_string())),
        }
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.user {
            Some((u, p)) => rb.basic_auth(u, Some(p)),
            None => rb,
        }
    }

    /// POST `path` (under the server root); returns (status, JSON body).
    pub async fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/{}", self.base, path.trim_start_matches('/'));
        let rb = match method {
            "GET" => self.http.get(&url).query(&body_pairs(&body)),
            "PATCH" => self.http.patch(&url).json(&body),
            "DELETE" => self.http.delete(&url).json(&body),
            _ => self.http.post(&url).json(&body),
        };
        let resp = self.auth(rb).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// POST `/api/2.0/mlflow/<endpoint>`; panics with the body on failure.
    pub async fn post(&self, endpoint: &str, body: Value) -> Value {
        let (status, v) = self
            .send("POST", &format!("api/2.0/mlflow/{endpoint}"), body)
            .await;
        assert!((200..300).contains(&status), "{endpoint}: {status} {v}");
        v
    }

    pub async fn get(&self, endpoint: &str, query: Value) -> (u16, Value) {
        self.send("GET", &format!("api/2.0/mlflow/{endpoint}"), query)
            .await
    }

    /// Where `alias` points (None when unset).
    pub async fn alias(&self, model: &str, alias: &str) -> Option<String> {
        let (status, v) = self
            .get(
                "registered-models/alias",
                json!({"name": model, "alias": alias}),
            )
            .await;
        if status != 200 {
            return None;
        }
        v["model_version"]["version"].as_str().map(String::from)
    }

    /// Every tag of a version.
    pub async fn version_tags(&self, model: &str, version: &str) -> BTreeMap<String, String> {
        let (status, v) = self
            .get(
                "model-versions/get",
                json!({"name": model, "version": version}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        v["model_version"]["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["key"].as_str().unwrap_or("").to_string(),
                    t["value"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

fn body_pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, x)| (k.clone(), x.as_str().map_or(x.to_string(), String::from)))
        .collect()
}

/// Copies `models` (with every version, its run and tags, and the aliases)
/// from the sandbox registry into MLflow under `prefix`.
pub async fn registry(rest: &Rest, sb: &Sandbox, models: &[&str], prefix: &str) {
    let reg = sb.backends().registry;
    let now = Timestamp::now().0;
    for base in models {
        let name = format!("{prefix}{base}");
        let m = reg.get_model(base).await.unwrap();
        rest.post("registered-models/create", json!({"name": name}))
            .await;
        let mut versions = reg.list_versions(base).await.unwrap();
        versions.sort_by_key(|v| v.version.parse::<u32>().unwrap_or(0));
        for v in versions {
            let run = rest
                .post(
                    "runs/create",
                    json!({"experiment_id": "0", "start_time": now, "run_name": format!("{name}-v{}", v.version)}),
                )
                .await;
            let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
            if let Some(src) = &v.run_id {
                let data = reg.get_run(src).await.unwrap();
                let metrics: Vec<Value> = data
                    .metrics
                    .iter()
                    .map(|(k, x)| json!({"key": k, "value": x, "timestamp": now, "step": 0}))
                    .collect();
                let params: Vec<Value> = data
                    .params
                    .iter()
                    .map(|(k, x)| json!({"key": k, "value": x}))
                    .collect();
                rest.post(
                    "runs/log-batch",
                    json!({"run_id": run_id, "metrics": metrics, "params": params}),
                )
                .await;
            }
            let tags: Vec<Value> = v
                .tags
                .iter()
                .filter(|(k, _)| !k.starts_with("modeldeck."))
                .map(|(k, x)| json!({"key": k, "value": x}))
                .collect();
            let made = rest
                .post(
                    "model-versions/create",
                    json!({"name": name, "source": format!("runs:/{run_id}/model"), "run_id": run_id, "tags": tags}),
                )
                .await;
            assert_eq!(
                made["model_version"]["version"].as_str(),
                Some(v.version.as_str()),
                "versions are created in order"
            );
        }
        for (alias, version) in &m.aliases {
            rest.post(
                "registered-models/alias",
                json!({"name": name, "alias": alias, "version": version}),
            )
            .await;
        }
    }
}

/// Controller timing for tests: replicas ready in 250 ms.
pub fn fast() -> ControllerConfig {
    ControllerConfig {
        tick: Duration::from_millis(50),
        ready_after: Duration::from_millis(250),
        log_interval: Duration::from_millis(200),
        ..ControllerConfig::default()
    }
}

/// One API server per demo cluster, serving the workloads of `models`
/// (bound to the prefixed names); broken versions never start.
pub async fn clusters(
    sb: &Sandbox,
    models: &[&str],
    prefix: &str,
) -> BTreeMap<String, ApiServerHandle> {
    let all = sb.backends().cluster.list_workloads().await.unwrap();
    let mut by_cluster: BTreeMap<String, Vec<Workload>> = BTreeMap::new();
    for w in all {
        let Some(m) = w.model.clone().filter(|m| models.contains(&m.as_str())) else {
            continue;
        };
        assert!(
            w.id.kind != WorkloadKind::StreamConsumer,
            "the live world counts Deployments, InferenceServices and CronJobs: {}",
            w.id
        );
        let mut w = w;
        w.model = Some(format!("{prefix}{m}"));
        by_cluster.entry(w.id.cluster.clone()).or_default().push(w);
    }
    let mut out = BTreeMap::new();
    for (cluster, ws) in by_cluster {
        let mut seed = modeldeck_apiserver::seed::from_workloads(&ws);
        for o in seed.objects.iter_mut() {
            if o["kind"] != "Deployment" {
                continue;
            }
            let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
            let broken: Vec<&str> = BROKEN
                .iter()
                .filter(|(m, _)| *m == name)
                .map(|(_, v)| *v)
                .collect();
            if !broken.is_empty() {
                o["spec"]["template"]["metadata"]["annotations"]["sandbox.modeldeck.io/fail-versions"] =
                    json!(broken.join(","));
                // Short enough that a rollout to a broken version fails
                // quickly, long enough that a loaded CI machine (the
                // controller and pods slowed down) does not time out the
                // rollout back to the good version: 3 s flaked there.
                o["spec"]["progressDeadlineSeconds"] = json!(8);
            }
        }
        let mut cfg = ServerConfig {
            controller: fast(),
            bookmark_interval: Duration::from_millis(200),
            ..ServerConfig::named(&cluster)
        }
        .with_seed(seed);
        cfg.users = users();
        let s = ApiServer::start(cfg).await.unwrap();
        out.insert(cluster, s);
    }
    out
}
