//! People at their own terminals on a served sandbox: `modeldeck sandbox
//! serve` as a child process, kubectl with a shared kubeconfig, each
//! person's profile and journal, and direct reads of what moved (MLflow
//! REST, kubectl). Shared by the two-person and trust end-to-end tests.

#![allow(dead_code)]

use crate::common;
use crate::real::World;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The served cluster's name (and each person's context name).
pub const CLUSTER: &str = "shared";

/// One approval, quick bake; the fixture's fraud p99 (about 0.57 s) is
/// under this SLO.
pub const FAST_POLICY: &str = r#"
[profiles.e2e.policies."*"]
min_approvals = 1
bake = "1s"
rollout_poll = "1s"
rollout_timeout = "90s"
drift_max_psi = 10.0
slo = { latency_p99_max_secs = 2.0 }
"#;

/// `modeldeck sandbox serve` as a child process; interrupted (ctrl-c) and
/// reaped on drop.
pub struct Served {
    child: Child,
    /// What it printed before "serving until ctrl-c".
    pub banner: Vec<String>,
}

impl Served {
    pub fn start(mut cmd: Command, log: &Path) -> Served {
        cmd.stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap());
        let mut child = cmd.spawn().expect("modeldeck sandbox serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut served = Served {
            child,
            banner: Vec::new(),
        };
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(l) if l == "serving until ctrl-c" => break,
                Ok(l) => banner.push(l),
                Err(_) => panic!(
                    "sandbox serve did not come up; it printed {banner:?}, stderr: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                ),
            }
        }
        served.banner = banner;
        served
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scenario with one cluster serving `<prefix>-fraud` v2 from
/// `prod/fraud-detector`, as the real MLflow and Prometheus of the world
/// have it (versions 1..=3, champion 2, challenger 3).
pub fn scenario(model: &str) -> String {
    format!(
        r#"
seed = 7
[[clusters]]
name = "{CLUSTER}"
namespaces = ["prod"]

[[models]]
name = "{model}"
task = "classifier"
team = "e2e"
versions = 3
champion = 2
challenger = 3

[[workloads]]
cluster = "{CLUSTER}"
namespace = "prod"
kind = "deployment"
name = "fraud-detector"
model = "{model}"
replicas = 2
"#
    )
}

pub struct Kubectl {
    pub kubeconfig: PathBuf,
    pub cache: PathBuf,
}

impl Kubectl {
    pub fn run(&self, context: &str, args: &[&str]) -> std::process::Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(["--context", context])
            .args(args)
            .output()
            .expect("kubectl on PATH")
    }

    pub fn whoami(&self, context: &str) -> Value {
        let out = self.run(context, &["auth", "whoami", "-o", "json"]);
        assert!(out.status.success(), "{context}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn can_i(&self, context: &str, verb: &str, resource: &str) -> String {
        let out = self.run(context, &["auth", "can-i", verb, resource, "-n", "prod"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A SelfSubjectAccessReview created with kubectl (as Modeldeck asks
    /// it): `auth can-i` cannot name the group of a resource the server
    /// does not serve.
    pub fn may(&self, context: &str, verb: &str, group: &str, resource: &str) -> bool {
        let body = serde_json::json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {
                "verb": verb, "group": group, "resource": resource, "namespace": "prod"}},
        });
        let file = self
            .cache
            .with_file_name(format!("ssar-{context}-{verb}.json"));
        std::fs::write(&file, body.to_string()).unwrap();
        let f = file.display().to_string();
        let out = self.run(
            context,
            &["create", "--validate=false", "-f", &f, "-o", "json"],
        );
        assert!(out.status.success(), "{context}: {out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["status"]["allowed"]
            .as_bool()
            .unwrap_or_else(|| panic!("no status.allowed: {v}"))
    }

    pub fn served_version(&self, context: &str) -> String {
        let out = self.run(
            context,
            &[
                "get",
                "deploy",
                "-n",
                "prod",
                "fraud-detector",
                "-o",
                "json",
            ],
        );
        assert!(out.status.success(), "{out:?}");
        let d: Value = serde_json::from_slice(&out.stdout).unwrap();
        d["spec"]["template"]["metadata"]["annotations"]["modeldeck.io/model-version"]
            .as_str()
            .unwrap_or_else(|| panic!("no version annotation: {d}"))
            .to_string()
    }
}

impl Kubectl {
    /// `kubectl create -f` of `doc` as `context` (written to a file beside
    /// the cache, named `file`).
    pub fn create(&self, context: &str, file: &str, doc: &Value) -> std::process::Output {
        let path = self.cache.with_file_name(file);
        std::fs::write(&path, doc.to_string()).unwrap();
        let f = path.display().to_string();
        self.run(
            context,
            &["create", "--validate=false", "-f", &f, "-o", "json"],
        )
    }

    /// `kubectl get ... -o json` as `context`, which must succeed.
    pub fn get_json(&self, context: &str, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json"]);
        let out = self.run(context, &all);
        assert!(
            out.status.success(),
            "kubectl {all:?} as {context}: {out:?}"
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The Deployment `prod/fraud-detector`'s `(uid, resourceVersion)`.
    pub fn stamp(&self, context: &str) -> (String, String) {
        let d = self.get_json(context, &["deploy", "-n", "prod", "fraud-detector"]);
        let s = |k: &str| {
            d["metadata"][k]
                .as_str()
                .unwrap_or_else(|| panic!("no metadata.{k}: {d}"))
                .to_string()
        };
        (s("uid"), s("resourceVersion"))
    }
}

/// A `ModelApproval` as a client would create it (labelled with its
/// promotion, so the promotion service lists it).
pub fn approval_doc(
    name: &str,
    promotion: &str,
    approver: &str,
    requester: &str,
    digest: &str,
) -> Value {
    serde_json::json!({
        "apiVersion": "modeldeck.io/v1alpha1",
        "kind": "ModelApproval",
        "metadata": {
            "name": name,
            "namespace": "prod",
            "labels": {"modeldeck.io/promotion": promotion},
        },
        "spec": {
            "promotion": promotion,
            "approver": approver,
            "requester": requester,
            "decision": "approve",
            "comment": "lgtm",
            "evidenceDigest": digest,
        },
    })
}

/// `modeldeck sandbox serve --users <users> <extra..>` with the
/// [`scenario`] of the world's fraud model, a shared kubeconfig and one
/// kubeconfig per person: the server, kubectl on the shared kubeconfig,
/// and the directory of the per-person kubeconfigs.
pub fn serve(w: &World, users: &str, extra: &[&str]) -> (Served, Kubectl, PathBuf) {
    let model = w.bound("prod", "fraud-detector").model.clone();
    let scenario_path = w.dir.0.join("scenario.toml");
    std::fs::write(&scenario_path, scenario(&model)).unwrap();
    let shared_kc = w.dir.0.join("kubeconfig-shared");
    let people_dir = w.dir.0.join("people");
    let mut cmd = w.cmd(&["sandbox", "serve", "--no-metrics", "--users", users]);
    cmd.args(extra)
        .arg("--scenario")
        .arg(&scenario_path)
        .arg("--kubeconfig")
        .arg(&shared_kc)
        .arg("--kubeconfig-dir")
        .arg(&people_dir);
    let served = Served::start(cmd, &w.dir.0.join("serve.stderr"));
    let k = Kubectl {
        kubeconfig: shared_kc,
        cache: w.dir.0.join("kubectl-cache"),
    };
    (served, k, people_dir)
}

/// GETs from MLflow's REST API (`path` under `/api/2.0/mlflow/`, `query`
/// URL-encoded) and returns the JSON answer, which must not be an error.
pub fn mlflow_get(mlflow: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let mut c = Command::new("curl");
    c.args(["-sS", "-G"]).arg(format!(
        "{}/api/2.0/mlflow/{path}",
        mlflow.trim_end_matches('/')
    ));
    for (k, v) in query {
        c.args(["--data-urlencode", &format!("{k}={v}")]);
    }
    let out = c.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {out:?}"));
    assert!(v.get("error_code").is_none(), "{path}: {v}");
    v
}

/// A model version as MLflow's REST API returns it (`model_version`).
pub fn model_version(mlflow: &str, model: &str, version: &str) -> Value {
    mlflow_get(
        mlflow,
        "model-versions/get",
        &[("name", model), ("version", version)],
    )["model_version"]
        .clone()
}

/// One tag of a model version, read through MLflow's REST API.
pub fn version_tag(mlflow: &str, model: &str, version: &str, key: &str) -> Option<String> {
    let v = model_version(mlflow, model, version);
    v["tags"]
        .as_array()?
        .iter()
        .find(|t| t["key"] == key)
        .and_then(|t| t["value"].as_str())
        .map(str::to_string)
}

/// Writes a model-version tag through MLflow's REST API
/// (`model-versions/set-tag`), as anyone with write access to the
/// registry can.
pub fn set_version_tag(mlflow: &str, model: &str, version: &str, key: &str, value: &str) {
    crate::real::mlflow_post(
        mlflow,
        "model-versions/set-tag",
        serde_json::json!({"name": model, "version": version, "key": key, "value": value}),
    );
}

pub fn alias_of(mlflow: &str, model: &str, alias: &str) -> Option<String> {
    let out = Command::new("curl")
        .args(["-sS", "-G"])
        .arg(format!(
            "{}/api/2.0/mlflow/registered-models/alias",
            mlflow.trim_end_matches('/')
        ))
        .args(["--data-urlencode", &format!("name={model}")])
        .args(["--data-urlencode", &format!("alias={alias}")])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["model_version"]["version"].as_str().map(str::to_string)
}

/// One person at their own terminal: their profile, their journal.
pub struct Person {
    pub name: &'static str,
    pub config: PathBuf,
    pub journal: PathBuf,
}

impl Person {
    /// `user`'s profile: the world's profile with the cluster pointed at
    /// the kubeconfig `sandbox serve` wrote for them, plus the policy.
    pub fn new(w: &World, name: &'static str, kubeconfig: &Path) -> Person {
        Person::with_policy(w, name, kubeconfig, "", FAST_POLICY)
    }

    /// `name` at another terminal: the same kubeconfig and journal, a
    /// profile (`config-<name><variant>.toml`) with `policy` instead of
    /// [`FAST_POLICY`].
    pub fn with_policy(
        w: &World,
        name: &'static str,
        kubeconfig: &Path,
        variant: &str,
        policy: &str,
    ) -> Person {
        let text = std::fs::read_to_string(&w.config).unwrap().replace(
            &w.kubeconfig.display().to_string(),
            &kubeconfig.display().to_string(),
        );
        assert!(text.contains(&kubeconfig.display().to_string()), "{text}");
        let config = w.dir.0.join(format!("config-{name}{variant}.toml"));
        std::fs::write(&config, format!("{text}\n{policy}\n")).unwrap();
        Person {
            name,
            config,
            journal: w.dir.0.join(format!("journal-{name}.jsonl")),
        }
    }

    pub async fn run(&self, w: &World, args: &[&str]) -> common::Run {
        let mut c = w.cmd(args);
        c.env("MODELDECK_CONFIG", &self.config)
            .env("MODELDECK_JOURNAL", &self.journal);
        tokio::task::spawn_blocking(move || c.output().unwrap().into())
            .await
            .unwrap()
    }

    /// Runs with `-o json` and parses stdout (success or error document).
    pub async fn json(&self, w: &World, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend_from_slice(&["-o", "json"]);
        let r = self.run(w, &all).await;
        let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
            panic!(
                "{} {all:?}: not JSON ({e}): {}\nstderr: {}",
                self.name, r.stdout, r.stderr
            )
        });
        (r.code, v)
    }
}

pub fn inbox_ids(v: &Value) -> Vec<String> {
    let list = v
        .as_array()
        .or_else(|| v["promotions"].as_array())
        .unwrap_or_else(|| panic!("not a list of promotions: {v}"));
    list.iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect()
}
