//! Standard clients unchanged: the real `kubectl` binary against the server
//! (over TLS, so kubectl sends the bearer token that picks the user). No
//! skipping: without kubectl on PATH these tests fail and say so.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_apiserver::{ApiServer, ApiServerHandle, ControllerConfig, ServerConfig, fixtures};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static N: AtomicU32 = AtomicU32::new(0);

struct Env {
    server: ApiServerHandle,
    dir: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn env() -> Env {
    let cfg = ServerConfig {
        tls: true,
        controller: ControllerConfig {
            tick: Duration::from_millis(50),
            ready_after: Duration::from_millis(300),
            log_interval: Duration::from_millis(100),
            ..ControllerConfig::default()
        },
        ..ServerConfig::named("kubectl-test")
    }
    .with_seed(fixtures::demo_seed("kubectl-test"));
    let server = ApiServer::start(cfg).await.unwrap();
    let dir = std::env::temp_dir().join(format!(
        "modeldeck-kubectl-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    for user in ["admin", "viewer"] {
        server.write_kubeconfig(&dir.join(user), user).unwrap();
    }
    Env { server, dir }
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn kubectl(e: &Env, user: &str, args: &[&str]) -> Out {
    let mut cmd = Command::new("kubectl");
    cmd.arg("--kubeconfig")
        .arg(e.dir.join(user))
        .arg("--cache-dir")
        .arg(e.dir.join("cache"))
        .args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap();
    let out = match out {
        Ok(o) => o,
        Err(err) => panic!(
            "cannot run `kubectl` ({err}): these tests need the kubectl binary on PATH (e.g. /usr/bin/kubectl)"
        ),
    };
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn ok(e: &Env, user: &str, args: &[&str]) -> String {
    let o = kubectl(e, user, args).await;
    assert!(
        o.ok,
        "kubectl {args:?} as {user} failed:\n{}\n{}",
        o.stdout, o.stderr
    );
    o.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_list_json_and_describe() {
    let e = env().await;
    let all = ok(&e, "admin", &["get", "deploy", "-A"]).await;
    let header = all.lines().next().unwrap_or("");
    assert!(
        header.starts_with("NAMESPACE")
            && header.contains("READY")
            && header.contains("UP-TO-DATE"),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.starts_with("ml-prod") && l.contains("fraud-detector") && l.contains("3/3")),
        "{all}"
    );
    assert!(
        all.lines()
            .any(|l| l.starts_with("ml-staging") && l.contains("price-optimizer")),
        "{all}"
    );

    let json: Value = serde_json::from_str(
        &ok(
            &e,
            "admin",
            &["get", "deploy", "-n", "ml-prod", "-o", "json"],
        )
        .await,
    )
    .unwrap();
    let items = json["items"].as_array().unwrap();
    let names: Vec<&str> = items
        .iter()
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["fraud-detector", "ranker-stream", "recommender"]
    );
    let fraud = &items[0];
    assert_eq!(
        fraud["metadata"]["labels"]["modeldeck.io/model"],
        "fraud-detector"
    );
    assert_eq!(
        fraud["spec"]["template"]["metadata"]["annotations"]["modeldeck.io/model-version"],
        "7"
    );

    let d = ok(
        &e,
        "admin",
        &["describe", "deploy", "fraud-detector", "-n", "ml-prod"],
    )
    .await;
    for want in [
        "Replicas:               3 desired | 3 updated | 3 total | 3 available",
        "MODEL_URI:      models:/fraud-detector/7",
        "NewReplicaSet:",
        "NewReplicaSetAvailable",
        "ScalingReplicaSet",
    ] {
        assert!(d.contains(want), "describe lacks {want:?}:\n{d}");
    }
    let missing = kubectl(&e, "admin", &["get", "deploy", "nope", "-n", "ml-prod"]).await;
    assert!(!missing.ok);
    assert!(
        missing
            .stderr
            .contains("deployments.apps \"nope\" not found"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_status_undo_and_history() {
    let e = env().await;
    let s = ok(
        &e,
        "admin",
        &[
            "rollout",
            "status",
            "deploy/recommender",
            "-n",
            "ml-prod",
            "--timeout=60s",
        ],
    )
    .await;
    assert!(s.contains("successfully rolled out"), "{s}");

    let u = ok(
        &e,
        "admin",
        &["rollout", "undo", "deploy/fraud-detector", "-n", "ml-prod"],
    )
    .await;
    assert!(u.contains("rolled back"), "{u}");
    let s = ok(
        &e,
        "admin",
        &[
            "rollout",
            "status",
            "deploy/fraud-detector",
            "-n",
            "ml-prod",
            "--timeout=60s",
        ],
    )
    .await;
    assert!(s.contains("successfully rolled out"), "{s}");
    let v = ok(
        &e,
        "admin",
        &[
            "get",
            "deploy",
            "fraud-detector",
            "-n",
            "ml-prod",
            "-o",
            "jsonpath={.spec.template.metadata.annotations.modeldeck\\.io/model-version}",
        ],
    )
    .await;
    assert_eq!(v, "6", "undo restored the previous model version");
    let h = ok(
        &e,
        "admin",
        &[
            "rollout",
            "history",
            "deploy/fraud-detector",
            "-n",
            "ml-prod",
        ],
    )
    .await;
    assert!(
        h.lines()
            .any(|l| l.starts_with('2') && l.contains("models:/fraud-detector/7")),
        "{h}"
    );
    assert!(
        h.lines()
            .any(|l| l.starts_with('3') && l.contains("models:/fraud-detector/6")),
        "{h}"
    );
    assert!(
        !h.lines().any(|l| l.starts_with('1')),
        "revision 1 became 3: {h}"
    );
    let rs = ok(
        &e,
        "admin",
        &[
            "get",
            "rs",
            "-n",
            "ml-prod",
            "-l",
            "app.kubernetes.io/name=fraud-detector",
            "-o",
            "name",
        ],
    )
    .await;
    assert_eq!(
        rs.lines().count(),
        2,
        "undo reuses the old ReplicaSet: {rs}"
    );

    let logs = ok(
        &e,
        "admin",
        &["logs", "deploy/fraud-detector", "-n", "ml-prod", "--tail=2"],
    )
    .await;
    assert_eq!(logs.lines().count(), 2, "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_can_i_and_whoami_per_user() {
    let e = env().await;
    let yes = kubectl(&e, "admin", &["auth", "can-i", "patch", "deployments"]).await;
    assert!(
        yes.ok && yes.stdout.trim() == "yes",
        "{} {}",
        yes.stdout,
        yes.stderr
    );
    let no = kubectl(
        &e,
        "viewer",
        &["auth", "can-i", "patch", "deployments", "-n", "ml-prod"],
    )
    .await;
    assert!(
        !no.ok && no.stdout.trim() == "no",
        "{} {}",
        no.stdout,
        no.stderr
    );
    let list = kubectl(
        &e,
        "viewer",
        &["auth", "can-i", "list", "deployments", "-n", "ml-prod"],
    )
    .await;
    assert!(list.ok && list.stdout.trim() == "yes");

    let who = ok(&e, "viewer", &["auth", "whoami"]).await;
    assert!(
        who.lines()
            .any(|l| l.starts_with("Username") && l.contains("viewer")),
        "{who}"
    );
    let who = ok(&e, "admin", &["auth", "whoami", "-o", "json"]).await;
    let v: Value = serde_json::from_str(&who).unwrap();
    assert_eq!(v["status"]["userInfo"]["username"], "admin");

    let denied = kubectl(
        &e,
        "viewer",
        &[
            "scale",
            "deploy/fraud-detector",
            "-n",
            "ml-prod",
            "--replicas=5",
        ],
    )
    .await;
    assert!(!denied.ok);
    assert!(
        denied.stderr.contains("forbidden") && denied.stderr.contains("User \"viewer\""),
        "{}",
        denied.stderr
    );
    let d = e
        .server
        .get("apps/v1", "Deployment", "ml-prod", "fraud-detector")
        .unwrap();
    assert_eq!(
        d["spec"]["replicas"], 3,
        "the refused scale changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_scale_and_dry_run() {
    let e = env().await;
    let manifest = e.dir.join("d.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: applied, namespace: ml-staging}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: applied}}\n  template:\n    metadata: {labels: {app: applied}}\n    spec: {containers: [{name: s, image: \"m:1\"}]}\n",
    )
    .unwrap();
    let path = manifest.to_string_lossy().into_owned();
    assert!(
        ok(&e, "admin", &["apply", "-f", &path])
            .await
            .contains("created")
    );
    assert!(
        ok(&e, "admin", &["apply", "-f", &path])
            .await
            .contains("unchanged")
    );
    ok(
        &e,
        "admin",
        &[
            "scale",
            "deploy/applied",
            "-n",
            "ml-staging",
            "--replicas=4",
            "--dry-run=server",
        ],
    )
    .await;
    assert_eq!(
        e.server
            .get("apps/v1", "Deployment", "ml-staging", "applied")
            .unwrap()["spec"]["replicas"],
        2
    );
    ok(
        &e,
        "admin",
        &[
            "scale",
            "deploy/applied",
            "-n",
            "ml-staging",
            "--replicas=4",
        ],
    )
    .await;
    let s = ok(
        &e,
        "admin",
        &[
            "rollout",
            "status",
            "deploy/applied",
            "-n",
            "ml-staging",
            "--timeout=60s",
        ],
    )
    .await;
    assert!(s.contains("successfully rolled out"), "{s}");
    let ready = ok(
        &e,
        "admin",
        &[
            "get",
            "deploy",
            "applied",
            "-n",
            "ml-staging",
            "-o",
            "jsonpath={.status.readyReplicas}",
        ],
    )
    .await;
    assert_eq!(ready, "4");
}
