//! Two people and a read-only colleague on one simulated cluster, through
//! the binary only: `modeldeck sandbox serve --users alice,bob,viewer`
//! runs as its own process (TLS, a token per person) and writes the shared
//! kubeconfig (`<user>@<cluster>` contexts) and one kubeconfig per person;
//! each person runs `modeldeck` with their own profile (their kubeconfig,
//! the real MLflow, a real Prometheus) and their own journal. kubectl says
//! each context is who it claims to be; then alice requests, cannot approve
//! her own request (four eyes), the viewer is refused by RBAC, bob approves
//! and executes, MLflow's alias and the served Deployment move (read
//! directly: MLflow REST, kubectl), and `audit verify` passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod real;

use real::World;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The served cluster's name (and each person's context name).
const CLUSTER: &str = "shared";

/// One approval, quick bake; the fixture's fraud p99 (about 0.57 s) is
/// under this SLO.
const FAST_POLICY: &str = r#"
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
struct Served {
    child: Child,
    /// What it printed before "serving until ctrl-c".
    banner: Vec<String>,
}

impl Served {
    fn start(mut cmd: Command, log: &Path) -> Served {
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
fn scenario(model: &str) -> String {
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

struct Kubectl {
    kubeconfig: PathBuf,
    cache: PathBuf,
}

impl Kubectl {
    fn run(&self, context: &str, args: &[&str]) -> std::process::Output {
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

    fn whoami(&self, context: &str) -> Value {
        let out = self.run(context, &["auth", "whoami", "-o", "json"]);
        assert!(out.status.success(), "{context}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn can_i(&self, context: &str, verb: &str, resource: &str) -> String {
        let out = self.run(context, &["auth", "can-i", verb, resource, "-n", "prod"]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A SelfSubjectAccessReview created with kubectl (as Modeldeck asks
    /// it): `auth can-i` cannot name the group of a resource the server
    /// does not serve.
    fn may(&self, context: &str, verb: &str, group: &str, resource: &str) -> bool {
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

    fn served_version(&self, context: &str) -> String {
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

fn alias_of(mlflow: &str, model: &str, alias: &str) -> Option<String> {
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
struct Person {
    name: &'static str,
    config: PathBuf,
    journal: PathBuf,
}

impl Person {
    /// `user`'s profile: the world's profile with the cluster pointed at
    /// the kubeconfig `sandbox serve` wrote for them, plus the policy.
    fn new(w: &World, name: &'static str, kubeconfig: &Path) -> Person {
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

    async fn run(&self, w: &World, args: &[&str]) -> common::Run {
        let mut c = w.cmd(args);
        c.env("MODELDECK_CONFIG", &self.config)
            .env("MODELDECK_JOURNAL", &self.journal);
        tokio::task::spawn_blocking(move || c.output().unwrap().into())
            .await
            .unwrap()
    }

    /// Runs with `-o json` and parses stdout (success or error document).
    async fn json(&self, w: &World, args: &[&str]) -> (i32, Value) {
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

fn inbox_ids(v: &Value) -> Vec<String> {
    let list = v
        .as_array()
        .or_else(|| v["promotions"].as_array())
        .unwrap_or_else(|| panic!("not a list of promotions: {v}"));
    list.iter()
        .filter_map(|p| p["id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_requests_bob_approves_and_executes_on_a_served_sandbox() {
    let mut w = World::start("two").await;
    // The world's in-process cluster is not used: the binary serves ours.
    w.stop_cluster().await;
    let model = w.bound("prod", "fraud-detector").model.clone();
    let scenario_path = w.dir.0.join("scenario.toml");
    std::fs::write(&scenario_path, scenario(&model)).unwrap();
    let shared_kc = w.dir.0.join("kubeconfig-shared");
    let people_dir = w.dir.0.join("people");
    let mut cmd = w.cmd(&["sandbox", "serve", "--users", "alice,bob,viewer"]);
    cmd.arg("--scenario")
        .arg(&scenario_path)
        .arg("--kubeconfig")
        .arg(&shared_kc)
        .arg("--kubeconfig-dir")
        .arg(&people_dir);
    let served = Served::start(cmd, &w.dir.0.join("serve.stderr"));
    let banner = served.banner.join("\n");
    assert!(
        banner
            .contains("contexts: alice@shared, bob@shared, viewer@shared (current: alice@shared)"),
        "{banner}"
    );
    assert!(
        !banner.contains("token"),
        "the banner never prints tokens: {banner}"
    );

    // kubectl: each context of the shared kubeconfig is its person, with its rules.
    let k = Kubectl {
        kubeconfig: shared_kc.clone(),
        cache: w.dir.0.join("kubectl-cache"),
    };
    for (user, promoter) in [("alice", true), ("bob", true), ("viewer", false)] {
        let ctx = format!("{user}@{CLUSTER}");
        assert_eq!(k.whoami(&ctx)["status"]["userInfo"]["username"], user);
        for verb in ["create", "approve"] {
            assert_eq!(
                k.may(&ctx, verb, "modeldeck.io", "modelpromotions"),
                promoter,
                "{ctx} may {verb} modelpromotions"
            );
        }
        let want = if promoter { "yes" } else { "no" };
        assert_eq!(k.can_i(&ctx, "patch", "deployments.apps"), want, "{ctx}");
        assert_eq!(k.can_i(&ctx, "list", "deployments.apps"), "yes", "{ctx}");
    }
    assert_eq!(k.served_version("viewer@shared"), "2");
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );

    // Each person's profile points at their own kubeconfig from --kubeconfig-dir.
    let person = |name: &'static str| {
        let kc = people_dir.join(format!("{name}.kubeconfig"));
        assert!(kc.is_file(), "{} missing", kc.display());
        Person::new(&w, name, &kc)
    };
    let (alice, bob, viewer) = (person("alice"), person("bob"), person("viewer"));

    // alice requests v3 (the challenger) for the Deployment.
    let (code, req) = alice
        .json(
            &w,
            &[
                "promote",
                "request",
                &model,
                "challenger",
                "--target",
                "prod/fraud-detector",
                "--reason",
                "v3 beats v2 offline",
            ],
        )
        .await;
    assert_eq!(code, 0, "{req}");
    let id = req["id"].as_str().unwrap().to_string();
    assert_eq!(req["state"], "requested");
    assert_eq!(req["version"], "3");
    assert_eq!(req["requested_by"], "alice", "identity from alice's token");

    // It waits in bob's inbox, not in alice's (her own) nor the viewer's (RBAC).
    for (p, waits) in [(&bob, true), (&alice, false), (&viewer, false)] {
        let (code, v) = p.json(&w, &["promote", "list", "--inbox"]).await;
        assert_eq!(code, 0, "{}: {v}", p.name);
        assert_eq!(
            inbox_ids(&v).contains(&id),
            waits,
            "{}'s inbox: {v}",
            p.name
        );
    }

    // Four eyes: alice cannot approve her own request.
    let (code, v) = alice.json(&w, &["promote", "approve", &id]).await;
    assert_eq!(code, 5, "{v}");
    assert_eq!(v["error"]["code"], "refused_self_approval", "{v}");

    // The viewer is refused by RBAC.
    let (code, v) = viewer.json(&w, &["promote", "approve", &id]).await;
    assert_eq!(code, 5, "{v}");
    assert_eq!(v["error"]["code"], "refused_rbac", "{v}");
    // Nothing moved.
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );
    assert_eq!(k.served_version("bob@shared"), "2");

    // bob approves and executes.
    let (code, v) = bob
        .json(&w, &["promote", "approve", &id, "-m", "numbers hold"])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["state"], "approved", "{v}");
    let (code, ex) = bob.json(&w, &["promote", "execute", &id]).await;
    assert_eq!(code, 0, "{ex}");
    assert_eq!(ex["state"], "promoted", "{ex}");
    assert_eq!(ex["wrote"], true, "{ex}");

    // Both systems of record moved, read directly.
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("3")
    );
    assert_eq!(k.served_version("alice@shared"), "3");

    // The status tells the story with each person's name.
    let (code, st) = alice.json(&w, &["promote", "status", &id]).await;
    assert_eq!(code, 0, "{st}");
    assert_eq!(st["state"], "promoted", "{st}");
    let approvers: Vec<&str> = st["approvals"]
        .as_array()
        .unwrap_or_else(|| panic!("no approvals: {st}"))
        .iter()
        .filter_map(|a| a["approver"].as_str())
        .collect();
    assert_eq!(approvers, vec!["bob"], "{st}");

    // The audit trail verifies, for each person's own journal.
    for p in [&bob, &alice] {
        let (code, v) = p.json(&w, &["audit", "verify"]).await;
        assert_eq!(code, 0, "{}: {v}", p.name);
        assert_eq!(v["ok"], true, "{}: {v}", p.name);
    }
    drop(served);
}

#[test]
fn bad_people_flags_are_usage_errors_before_anything_is_served() {
    let logs = common::TempDir::new("two-usage");
    for (args, says) in [
        (vec!["--users", "alice,alice"], "listed twice"),
        (vec!["--users", "alice,../x"], "user name"),
        (
            vec!["--users", "alice", "--user", "bob"],
            "not one of --users",
        ),
        (
            vec!["--users", "alice", "--viewers", "carol"],
            "not one of the users",
        ),
        (vec!["--user", "carol"], "without --users"),
        (vec!["--users", "alice", "--plain"], "--plain"),
        (vec!["--viewers", "carol"], "--users"),
    ] {
        let mut all = vec!["sandbox", "serve"];
        all.extend(&args);
        let r = common::run_in(&logs, &all);
        assert_eq!(r.code, 2, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(!r.stdout.contains("serving"), "{args:?}: {}", r.stdout);
    }
}
