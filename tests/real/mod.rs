//! One coherent world on the REAL backends for end-to-end tests of the
//! binary: the sandbox Kubernetes API server (in process) serving the
//! Prometheus fixture's four workloads, a real Prometheus of our own with
//! the fixture backfilled (anchored in the future, so "now" always has
//! data), and the shared real MLflow (started by `scripts/test.sh`) seeded
//! through REST with this process's own model names. A profile file ties
//! them together, as a user's `config.toml` would.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::TempDir;
use modeldeck_apiserver::{ApiServer, ApiServerHandle, ControllerConfig, Rule, ServerConfig, User};
use modeldeck_core::domain::{RolloutState, Timestamp, Workload, WorkloadKind, WorkloadRef};
use modeldeck_prometheus::fixture::{Fixture, FixtureWorkload, workloads};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Cluster (kubeconfig context) name of the world.
pub const CLUSTER: &str = "e2e";

/// Variables that would point `modeldeck` elsewhere than the world's
/// profile: removed from every command the world runs.
pub const CLEARED_ENV: [&str; 11] = [
    "MODELDECK_PROFILE",
    "KUBECONFIG",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "PROMETHEUS_URL",
    "MODELDECK_METRICS_URL",
    "MODELDECK_REGISTRY_URL",
    "MODELDECK_CONTEXTS",
    "MODELDECK_NAMESPACES",
];

/// Reads a required environment variable set by `scripts/test.sh`.
pub fn need_env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run the suite with scripts/test.sh, which starts the real \
             MLflow and Prometheus servers (or start them with scripts/services/*.sh and export it)"
        )
    })
}

/// The workload and model names of one fixture workload in this world.
pub struct Bound {
    /// The fixture row (namespace, name, expected rates).
    pub fx: FixtureWorkload,
    /// Registered model name in MLflow (unique to this process).
    pub model: String,
    /// Version the workload serves.
    pub version: String,
}

/// A running world; everything stops on drop.
pub struct World {
    pub dir: TempDir,
    pub api: Option<ApiServerHandle>,
    pub kubeconfig: PathBuf,
    pub config: PathBuf,
    pub mlflow: String,
    pub prom_url: String,
    prom_name: String,
    pub bound: Vec<Bound>,
    /// Model name prefix of this world.
    pub prefix: String,
}

fn curl_json(method: &str, url: &str, body: &Value) -> Value {
    let out = Command::new("curl")
        .args(["-sS", "-X", method, "-H", "content-type: application/json"])
        .args(["--data-binary", &body.to_string(), url])
        .output()
        .expect("curl");
    assert!(out.status.success(), "curl {url}: {:?}", out);
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url} answered non-JSON ({e}): {text}"))
}

/// POSTs to MLflow's REST API and returns the JSON answer.
pub fn mlflow_post(base: &str, path: &str, body: Value) -> Value {
    let url = format!("{}/api/2.0/mlflow/{path}", base.trim_end_matches('/'));
    let v = curl_json("POST", &url, &body);
    assert!(v.get("error_code").is_none(), "{path}: {v}");
    v
}

/// A run with metrics and params, for a version's source run.
fn seed_run(base: &str, metrics: &[(&str, f64)], params: &[(&str, &str)]) -> String {
    let run = mlflow_post(base, "runs/create", json!({"experiment_id": "0"}));
    let id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
    let now = Timestamp::now().0;
    let metrics: Vec<Value> = metrics
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v, "timestamp": now, "step": 0}))
        .collect();
    let params: Vec<Value> = params
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    mlflow_post(
        base,
        "runs/log-batch",
        json!({"run_id": id, "metrics": metrics, "params": params}),
    );
    id
}

fn workload(fx: &FixtureWorkload, model: &str, version: &str) -> Workload {
    let (ready, desired, rollout) = match fx.kind {
        WorkloadKind::CronJob => (0, 0, RolloutState::Idle),
        _ => (2, 2, RolloutState::Available),
    };
    Workload {
        id: WorkloadRef {
            cluster: CLUSTER.into(),
            namespace: fx.namespace.into(),
            kind: fx.kind,
            name: fx.workload.into(),
        },
        uid: String::new(),
        resource_version: String::new(),
        model: Some(model.into()),
        served_version: Some(version.into()),
        canary: None,
        ready_replicas: ready,
        desired_replicas: desired,
        rollout,
        labels: BTreeMap::from([("team".to_string(), "e2e".to_string())]).into(),
        created_at: Timestamp::now().plus_millis(-86_400_000),
        batch: None,
    }
}

impl World {
    /// Starts the world. Model `<prefix>-fraud` has versions 1..=3 with
    /// `champion` on 2 (served by `prod/fraud-detector`) and `challenger`
    /// on 3 (served by the `staging` canary InferenceService); the others
    /// have one version, served.
    pub async fn start(tag: &str) -> World {
        let mlflow = need_env("MODELDECK_TEST_MLFLOW_URI");
        which("promtool");
        let dir = TempDir::new(tag);
        let prefix = format!(
            "e2e{}{}-{tag}",
            std::process::id(),
            Timestamp::now().0 % 100_000
        );

        // Registry.
        let mut versions_of: BTreeMap<&str, u32> = BTreeMap::new();
        for fx in workloads() {
            *versions_of.entry(fx.model).or_default() = if fx.model == "fraud" { 3 } else { 1 };
        }
        for (model, n) in &versions_of {
            let name = format!("{prefix}-{model}");
            mlflow_post(&mlflow, "registered-models/create", json!({"name": name}));
            for v in 1..=*n {
                let auc = 0.80 + f64::from(v) * 0.03;
                let run = seed_run(
                    &mlflow,
                    &[("auc", auc), ("latency_ms", 40.0 - f64::from(v))],
                    &[("max_depth", &format!("{}", 4 + v)), ("optimizer", "adam")],
                );
                mlflow_post(
                    &mlflow,
                    "model-versions/create",
                    json!({"name": name, "source": format!("s3://models/{model}/{v}"), "run_id": run}),
                );
            }
            let champion = if *n == 3 { "2" } else { "1" };
            mlflow_post(
                &mlflow,
                "registered-models/alias",
                json!({"name": name, "alias": "champion", "version": champion}),
            );
            if *n == 3 {
                mlflow_post(
                    &mlflow,
                    "registered-models/alias",
                    json!({"name": name, "alias": "challenger", "version": "3"}),
                );
            }
        }

        // Cluster.
        let bound: Vec<Bound> = workloads()
            .into_iter()
            .map(|fx| {
                let version = match (fx.model, fx.kind) {
                    ("fraud", WorkloadKind::InferenceService) => "3",
                    ("fraud", _) => "2",
                    _ => "1",
                };
                Bound {
                    model: format!("{prefix}-{}", fx.model),
                    version: version.into(),
                    fx,
                }
            })
            .collect();
        let ws: Vec<Workload> = bound
            .iter()
            .map(|b| workload(&b.fx, &b.model, &b.version))
            .collect();
        let cfg = ServerConfig {
            tls: true,
            controller: ControllerConfig {
                tick: Duration::from_millis(50),
                ready_after: Duration::from_millis(250),
                ..ControllerConfig::default()
            },
            ..ServerConfig::named(CLUSTER)
        }
        .with_seed(modeldeck_apiserver::seed::from_workloads(&ws))
        .with_user(User::new("alice", vec![Rule::all()]))
        .with_user(User::new("bob", vec![Rule::all()]));
        let api = ApiServer::start(cfg).await.expect("sandbox API server");
        // The cluster binds approvals, as one with `modeldeck cluster
        // install` applied: the shipped CRDs, admission policy and binding.
        for obj in modeldeck_manifests::objects().unwrap() {
            api.create(obj).unwrap();
        }
        let kubeconfig = dir.0.join("kubeconfig");
        let entry = api.kubeconfig_entry("admin").unwrap();
        modeldeck_apiserver::write_kubeconfig(&kubeconfig, &[entry], CLUSTER).unwrap();

        // Metrics: our own Prometheus, fixture anchored 1 h ahead.
        let end = Timestamp::now().0 / 1000 + 3600;
        let fixture = Fixture::new(end).unwrap();
        let om = dir.0.join("fixture.om");
        std::fs::write(&om, fixture.render()).unwrap();
        let prom_name = format!("e2e-{}-{tag}", std::process::id());
        let out = Command::new(script("prometheus.sh"))
            .args(["start", &prom_name])
            .arg(&om)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "prometheus.sh start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let prom_url = stdout
            .lines()
            .find_map(|l| l.strip_prefix("export MODELDECK_TEST_PROM_URL="))
            .expect("prometheus URL")
            .to_string();

        let config = dir.0.join("config.toml");
        let world = World {
            dir,
            api: Some(api),
            kubeconfig,
            config,
            mlflow,
            prom_url,
            prom_name,
            bound,
            prefix,
        };
        world.write_profile("e2e", &world.mlflow.clone(), "");
        world
    }

    /// A config file like the default one, but authenticating to the
    /// cluster as `user` (`admin`, `alice`, `bob`, `viewer`), with `extra`
    /// appended (policies).
    pub fn config_as(&self, user: &str, extra: &str) -> PathBuf {
        let api = self.api.as_ref().expect("cluster running");
        let kc = self.dir.0.join(format!("kubeconfig-{user}"));
        modeldeck_apiserver::write_kubeconfig(&kc, &[api.kubeconfig_entry(user).unwrap()], CLUSTER)
            .unwrap();
        let text = std::fs::read_to_string(&self.config).unwrap().replace(
            &self.kubeconfig.display().to_string(),
            &kc.display().to_string(),
        );
        let path = self.dir.0.join(format!("config-{user}.toml"));
        std::fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
        path
    }

    /// Runs `modeldeck` with config file `config` and the world's journal.
    pub async fn run_with(&self, config: &std::path::Path, args: &[&str]) -> crate::common::Run {
        let mut c = self.cmd(args);
        c.env("MODELDECK_CONFIG", config)
            .env("MODELDECK_JOURNAL", self.dir.0.join("journal.jsonl"));
        tokio::task::spawn_blocking(move || c.output().unwrap().into())
            .await
            .unwrap()
    }

    /// Writes the config file with one profile `name` (the default) whose
    /// registry is `registry_url`; `extra_registry` adds lines to its table.
    pub fn write_profile(&self, name: &str, registry_url: &str, extra_registry: &str) {
        let text = format!(
            "default_profile = \"{name}\"\n\n\
             [profiles.{name}.cluster]\nkubeconfig = \"{}\"\n\n\
             [profiles.{name}.registry]\nurl = \"{registry_url}\"\n{extra_registry}\n\n\
             [profiles.{name}.metrics]\nurl = \"{}\"\n",
            self.kubeconfig.display(),
            self.prom_url
        );
        std::fs::write(&self.config, text).unwrap();
    }

    /// A `modeldeck` command on this world's config, with the ecosystem's
    /// variables cleared so only the profile speaks.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(crate::common::BIN);
        c.args(args)
            .env("MODELDECK_CONFIG", &self.config)
            .env("MODELDECK_LOG_DIR", self.dir.0.join("logs"));
        for v in CLEARED_ENV {
            c.env_remove(v);
        }
        c
    }

    /// Runs a command to completion off the async runtime's threads.
    pub async fn run(&self, args: &[&str]) -> crate::common::Run {
        let mut c = self.cmd(args);
        tokio::task::spawn_blocking(move || c.output().unwrap().into())
            .await
            .unwrap()
    }

    /// Runs with `--output json`, asserts exit 0 and parses stdout.
    pub async fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--output", "json"]);
        let r = self.run(&all).await;
        assert_eq!(r.code, 0, "modeldeck {all:?}: {}\n{}", r.stderr, r.stdout);
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
    }

    /// The bound workload named `name` in `namespace`.
    pub fn bound(&self, namespace: &str, name: &str) -> &Bound {
        self.bound
            .iter()
            .find(|b| b.fx.namespace == namespace && b.fx.workload == name)
            .unwrap()
    }

    /// Stops the API server (the cluster goes dead; the others stay).
    pub async fn stop_cluster(&mut self) {
        if let Some(api) = self.api.take() {
            api.shutdown().await;
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = Command::new(script("prometheus.sh"))
            .args(["stop", &self.prom_name])
            .output();
    }
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/services")
        .join(name)
}

fn which(bin: &str) {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {bin}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{bin} is not installed: scripts/test.sh installs it (apt package prometheus)"
    );
}
