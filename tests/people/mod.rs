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
        let text = std::fs::read_to_string(&w.config).unwrap().replace(
            &w.kubeconfig.display().to_string(),
            &kubeconfig.display().to_string(),
        );
        assert!(text.contains(&kubeconfig.display().to_string()), "{text}");
        let config = w.dir.0.join(format!("config-{name}.toml"));
        std::fs::write(&config, format!("{text}\n{FAST_POLICY}\n")).unwrap();
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
