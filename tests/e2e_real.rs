//! The binary end to end on a profile that points at the REAL backends: the
//! sandbox Kubernetes API server, a real Prometheus with backfilled history
//! and a real MLflow (see `tests/real`). The CLI's documents are checked
//! against what was seeded (expected numbers come from the fixture tables,
//! never from the servers), failures of one backend leave the others
//! working, secrets never leak, and the TUI shows the same world under tmux.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod real;
mod tmux;

use real::{World, mlflow_post, need_env};
use serde_json::{Value, json};

fn row<'a>(status: &'a Value, namespace: &str, name: &str) -> &'a Value {
    status["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["namespace"] == namespace && w["name"] == name)
        .unwrap_or_else(|| panic!("no {namespace}/{name} in {status}"))
}

fn backend<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["backend"] == name)
        .unwrap()
}

fn close(got: &Value, want: f64, what: &str) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {got}"));
    assert!(
        (g - want).abs() <= want.abs() * 0.02 + 1e-9,
        "{what}: got {g}, want {want}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_versions_and_compare_join_the_three_real_backends() {
    let w = World::start("join").await;
    let status = w.json(&["status"]).await;
    for b in ["cluster", "registry", "metrics"] {
        assert_eq!(backend(&status, b)["state"], "ready", "{b}: {status}");
    }
    assert_eq!(status["profile"], "e2e");
    assert_eq!(status["sandbox"], false);
    assert_eq!(status["count"], 4, "{status}");

    // Cluster: served version from the binding; registry: its aliases;
    // metrics: live numbers equal to the fixture's tables.
    let fraud = w.bound("prod", "fraud-detector");
    let r = row(&status, "prod", "fraud-detector");
    assert_eq!(r["model"], fraud.model.as_str());
    assert_eq!(r["version"], "2");
    assert_eq!(r["aliases"], json!(["champion"]));
    assert_eq!(r["rollout"], "available");
    close(&r["rps"], fraud.fx.request_rate(), "fraud rps");
    close(
        &r["error_pct"],
        fraud.fx.error_ratio() * 100.0,
        "fraud error %",
    );
    close(
        &r["p99_ms"],
        fraud.fx.latency_quantile(0.99) * 1000.0,
        "fraud p99",
    );
    let canary = row(&status, "staging", "fraud-detector-canary");
    assert_eq!(canary["kind"], "inference_service");
    assert_eq!(canary["aliases"], json!(["challenger"]));
    let batch = row(&status, "batch", "recsys-nightly");
    assert_eq!(batch["kind"], "cron_job");

    // versions: MLflow's versions with aliases, run metrics, and who serves them.
    let versions = w.json(&["versions", &fraud.model]).await;
    let vs = versions["versions"].as_array().unwrap();
    assert_eq!(
        vs.iter().map(|v| v["version"].clone()).collect::<Vec<_>>(),
        vec![json!("3"), json!("2"), json!("1")]
    );
    let v2 = &vs[1];
    assert_eq!(v2["aliases"], json!(["champion"]));
    close(&v2["metrics"]["auc"], 0.86, "v2 auc");
    let served = v2["served_by"].as_array().unwrap();
    assert_eq!(served.len(), 1, "{v2}");
    assert!(
        served[0].as_str().unwrap().contains("fraud-detector"),
        "{v2}"
    );

    // compare: champion vs challenger by alias, direction-aware.
    let cmp = w
        .json(&["compare", &fraud.model, "champion", "challenger"])
        .await;
    let text = cmp.to_string();
    assert!(text.contains("auc"), "{cmp}");
    assert!(text.contains("max_depth"), "{cmp}");

    // kubectl agrees with what Modeldeck saw.
    let out = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&w.kubeconfig)
        .args(["get", "deploy", "-A", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let k: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = k["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"fraud-detector"), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_registry_leaves_the_cluster_and_metrics_working_and_hides_its_password() {
    let w = World::start("deadreg").await;
    // Nothing listens on port 9 (discard) on loopback in the sandbox.
    w.write_profile("e2e", "http://someone:hunter2-secret@127.0.0.1:9", "");
    let r = w.run(&["status", "--output", "json"]).await;
    assert_eq!(r.code, 4, "a failed backend exits 4: {}", r.stderr);
    assert!(!r.stdout.contains("hunter2"), "password on stdout");
    assert!(!r.stderr.contains("hunter2"), "password on stderr");
    let status: Value = serde_json::from_str(&r.stdout).unwrap();
    let reg = backend(&status, "registry");
    assert_eq!(reg["state"], "failed", "{reg}");
    let msg = reg["error"]["message"].as_str().unwrap();
    assert_eq!(reg["error"]["code"], "unreachable", "{reg}");
    assert!(
        msg.contains("127.0.0.1:9") || reg["error"]["location"].to_string().contains("127.0.0.1:9"),
        "the URL is named: {reg}"
    );
    assert!(
        r.stderr.contains("registry"),
        "stderr names the backend: {}",
        r.stderr
    );
    // The others keep working.
    assert_eq!(backend(&status, "cluster")["state"], "ready");
    assert_eq!(backend(&status, "metrics")["state"], "ready");
    let fraud = w.bound("prod", "fraud-detector");
    close(
        &row(&status, "prod", "fraud-detector")["rps"],
        fraud.fx.request_rate(),
        "rps without a registry",
    );
    let logs = std::fs::read_dir(w.dir.0.join("logs"))
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect::<String>()
        })
        .unwrap_or_default();
    assert!(!logs.contains("hunter2"), "password in the log file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_cluster_leaves_the_registry_working() {
    let mut w = World::start("deadcluster").await;
    let fraud = w.bound("prod", "fraud-detector").model.clone();
    w.stop_cluster().await;
    let r = w.run(&["models", "--output", "json"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&fraud), "{}", r.stdout);
    let r = w.run(&["status", "--output", "json"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    let status: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(backend(&status, "cluster")["state"], "failed", "{status}");
    assert_eq!(backend(&status, "registry")["state"], "ready", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_context_among_live_ones_is_reported_as_partial() {
    let w = World::start("partial").await;
    let all = w.json(&["status"]).await;
    let live = all["workloads"].as_array().unwrap().len();
    assert!(live > 0, "{all}");
    // The same kubeconfig plus a context whose server is gone, all contexts.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let kc = w.dir.0.join("kubeconfig-partial");
    let api = w.api.as_ref().unwrap();
    modeldeck_apiserver::write_kubeconfig(
        &kc,
        &[
            api.kubeconfig_entry("admin").unwrap(),
            modeldeck_apiserver::KubeconfigEntry {
                context: "gone".into(),
                server: format!("http://127.0.0.1:{dead}"),
                user: "gone-admin".into(),
                token: "tok-gone-never-shown".into(),
                namespace: None,
                ca_pem: None,
            },
        ],
        real::CLUSTER,
    )
    .unwrap();
    let text = std::fs::read_to_string(&w.config).unwrap().replace(
        &format!("kubeconfig = \"{}\"", w.kubeconfig.display()),
        &format!("kubeconfig = \"{}\"\ncontexts = [\"*\"]", kc.display()),
    );
    let config = w.dir.0.join("config-partial.toml");
    std::fs::write(&config, text).unwrap();
    let r = w.run_with(&config, &["status", "--output", "json"]).await;
    // Incomplete: exit 4, though the live context's workloads are all there.
    assert_eq!(r.code, 4, "{}\n{}", r.stderr, r.stdout);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["workloads"].as_array().unwrap().len(), live, "{doc}");
    let cluster = backend(&doc, "cluster");
    assert_eq!(cluster["state"], "partial", "{doc}");
    assert_eq!(cluster["partial"][0]["location"], "context gone", "{doc}");
    let msg = cluster["partial"][0]["message"].as_str().unwrap();
    assert!(
        msg.starts_with("gone: ") && msg.contains(&format!("(server http://127.0.0.1:{dead})")),
        "{msg}"
    );
    assert_eq!(backend(&doc, "registry")["state"], "ready", "{doc}");
    assert_eq!(backend(&doc, "metrics")["state"], "ready", "{doc}");
    assert!(
        r.stderr.contains("error: cluster unreachable: gone: "),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("tok-gone") && !r.stderr.contains("tok-gone"));
    // The table says it too.
    let r = w.run_with(&config, &["status"]).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stdout.contains("partial"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_registry_password_from_the_keychain_or_the_environment() {
    let auth_uri = need_env("MODELDECK_TEST_MLFLOW_AUTH_URI");
    let user = need_env("MODELDECK_TEST_MLFLOW_AUTH_USER");
    let password = need_env("MODELDECK_TEST_MLFLOW_AUTH_PASSWORD");
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session bus: run the suite with scripts/test.sh (it starts one with an unlocked gnome-keyring)"
    );
    let w = World::start("auth").await;
    // Seed one model on the auth server, as its admin.
    let base = auth_uri.replacen("://", &format!("://{user}:{password}@"), 1);
    let model = format!("{}-guarded", w.prefix);
    mlflow_post(&base, "registered-models/create", json!({"name": model}));

    let profile = format!("e2eauth{}", std::process::id());
    w.write_profile(&profile, &auth_uri, &format!("username = \"{user}\""));

    // No password anywhere: 401, named, exit 4.
    let r = w.run(&["models", "--output", "json"]).await;
    assert_eq!(r.code, 4, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("unauthenticated"), "{}", r.stdout);

    // Wrong password from the environment: still 401, and never echoed.
    let mut c = w.cmd(&["models", "--output", "json"]);
    c.env("MLFLOW_TRACKING_PASSWORD", "wrong-Pa55-word");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(4), "{so}\n{se}");
    assert!(!so.contains("wrong-Pa55") && !se.contains("wrong-Pa55"));

    // `login registry` stores it in the keychain; the next command uses it.
    let mut c = w.cmd(&["login", "registry", "--stdin"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let pw = password.clone();
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = c.spawn().unwrap();
        writeln!(child.stdin.take().unwrap(), "{pw}").unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "login: {out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&password));
    let shown = w.run(&["config", "show"]).await;
    assert!(
        shown.stdout.contains("registry-password"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("keychain"), "{}", shown.stdout);
    assert!(
        !shown.stdout.contains(&password),
        "config show leaks the password"
    );
    let models = w.json(&["models"]).await;
    assert!(models.to_string().contains(&model), "{models}");
    let r = w.run(&["logout", "registry"]).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = w.run(&["models", "--output", "json"]).await;
    assert_eq!(r.code, 4, "after logout the registry refuses again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_shows_the_real_world_under_tmux() {
    let w = World::start("tui").await;
    let status = w.json(&["status"]).await;
    let fraud = row(&status, "prod", "fraud-detector");
    let p99 = fraud["p99_ms"].as_f64().unwrap();
    let model = w.bound("prod", "fraud-detector").model.clone();
    let cmd = format!(
        "MODELDECK_CONFIG='{}' MODELDECK_LOG_DIR='{}' '{}'",
        w.config.display(),
        w.dir.0.join("logs").display(),
        common::BIN
    );
    tokio::task::spawn_blocking(move || {
        let t = tmux::Tmux::start(200, 50);
        t.shell(&cmd);
        let screen = t.wait_for("the Fleet with live numbers", |s| {
            s.contains("fraud-detector-canary") && s.contains(&format!("{p99:.0}"))
        });
        assert!(screen.contains("e2e"), "profile/context shown:\n{screen}");
        assert!(
            !screen.contains("SANDBOX"),
            "no sandbox banner on real backends:\n{screen}"
        );
        t.type_text(":models");
        t.keys(&["Enter"]);
        t.wait_for("the registry's models", |s| s.contains(&model));
        // `:models` makes Models the only screen, so one `q` quits; a
        // second would reach the shell when the TUI has already left.
        t.keys(&["q"]);
        t.wait_for("the shell prompt", |s| {
            s.lines()
                .rfind(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with(tmux::PROMPT.trim_end()))
        });
        assert_eq!(t.pane_flag("alternate_on"), "0");
    })
    .await
    .unwrap();
}
