//! A planted secret never leaks (issue 12, item 6). Every secret slot a
//! profile has gets a value of its own, unique to this run:
//!
//! - the registry's bearer token (`MLFLOW_TRACKING_TOKEN`);
//! - the registry's basic-auth password (`MLFLOW_TRACKING_PASSWORD` with a
//!   `username`), and a password in the registry URL's user info;
//! - the metrics bearer token (`MODELDECK_METRICS_TOKEN`) and basic-auth
//!   password (`MODELDECK_METRICS_PASSWORD` with a `username`), and a
//!   password in the metrics URL's user info (the variables
//!   `crates/core/src/config/secrets.rs` reads);
//! - the kubeconfig's bearer token.
//!
//! Then every command runs (table and JSON): `status`, `models`,
//! `versions`, `compare`, `promote request`/`list`/`status`, `history`,
//! `audit` (list, verify, export), `config show`, and the TUI under tmux,
//! against servers that echo what they were sent: testkit's `Echo` (a 500
//! whose body is the request, `Authorization` header included) and 401/403
//! answers quoting the secret, and against the real backends (the sandbox
//! API server, a real MLflow and a real Prometheus, which accept the
//! planted headers). stdout, stderr, every file under the log directory
//! (`MODELDECK_LOG=debug`), the data directory and the audit journal, and
//! the TUI's screens are searched for each secret, and for the base64 of
//! each `user:password`: zero occurrences. The echo servers' request logs
//! prove each secret was sent, so a clean output is not a vacuous one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod leak;
mod real;
mod tmux;

use common::{Run, TempDir};
use leak::{Needles, basic_form, files_under, planted};
use modeldeck_apiserver::KubeconfigEntry;
use modeldeck_testkit::{Reply, Server};
use real::World;
use std::path::{Path, PathBuf};

/// One profile with planted secrets, and where its runs write.
struct Scenario<'w> {
    name: &'static str,
    w: &'w World,
    config: PathBuf,
    env: Vec<(&'static str, String)>,
    needles: Needles,
    /// Logs, data dir and journal of this scenario's runs.
    out: TempDir,
    model: String,
}

impl Scenario<'_> {
    fn run(&self, args: &[&str]) -> Run {
        let mut c = self.w.cmd(args);
        c.env("MODELDECK_CONFIG", &self.config)
            .env("MODELDECK_LOG_DIR", self.out.0.join("logs"))
            .env("MODELDECK_DATA_DIR", self.out.0.join("data"))
            .env("MODELDECK_JOURNAL", self.out.0.join("journal.jsonl"))
            .env("MODELDECK_LOG", "debug");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        let r: Run = c.output().unwrap().into();
        assert_ne!(r.code, 101, "{} {args:?} panicked: {}", self.name, r.stderr);
        assert!(
            !r.stderr.contains("panicked"),
            "{}: {}",
            self.name,
            r.stderr
        );
        self.needles
            .assert_absent(&format!("{}: stdout of {args:?}", self.name), &r.stdout);
        self.needles
            .assert_absent(&format!("{}: stderr of {args:?}", self.name), &r.stderr);
        r
    }

    /// Every command, as a table and as JSON. Returns the runs by name.
    fn every_command(&self) -> Vec<(String, Run)> {
        let m = self.model.as_str();
        let mut runs = Vec::new();
        let mut id = None;
        let commands: Vec<Vec<&str>> = vec![
            vec!["status"],
            vec!["models"],
            vec!["versions", m],
            vec!["compare", m, "1", "2"],
            vec!["compare", m, "champion", "challenger"],
            vec![
                "promote",
                "request",
                m,
                "3",
                "--target",
                "prod/fraud-detector",
                "--reason",
                "token leak check",
            ],
            vec!["promote", "list"],
            vec!["history", m],
            vec!["audit"],
            vec!["audit", "verify"],
            vec!["audit", "export"],
            vec!["config", "show"],
        ];
        for args in &commands {
            for json in [false, true] {
                let mut all = args.clone();
                if json {
                    all.extend_from_slice(&["--output", "json"]);
                }
                let r = self.run(&all);
                if json && args.starts_with(&["promote", "request"]) && r.code == 0 {
                    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
                    id = doc["id"].as_str().map(str::to_string);
                }
                runs.push((all.join(" "), r));
            }
        }
        if let Some(id) = id {
            for json in [false, true] {
                let mut all = vec!["promote", "status", id.as_str()];
                if json {
                    all.extend_from_slice(&["--output", "json"]);
                }
                let r = self.run(&all);
                runs.push((all.join(" "), r));
            }
        }
        runs
    }

    /// The TUI under tmux for a few seconds: the Fleet, `:models`, a
    /// model's versions; every screen searched. The secrets are in a
    /// script's environment, never typed where the screen shows them.
    fn tui(&self) -> usize {
        // Beside the world's kubeconfig, outside the searched directory.
        let script = self.w.dir.0.join(format!(
            "tui-{}.sh",
            self.out.0.file_name().unwrap().to_string_lossy()
        ));
        let mut text = String::from("#!/bin/sh\n");
        let mut vars: Vec<(String, String)> = vec![
            ("MODELDECK_CONFIG".into(), self.config.display().to_string()),
            (
                "MODELDECK_LOG_DIR".into(),
                self.out.0.join("logs").display().to_string(),
            ),
            (
                "MODELDECK_DATA_DIR".into(),
                self.out.0.join("data").display().to_string(),
            ),
            (
                "MODELDECK_JOURNAL".into(),
                self.out.0.join("journal.jsonl").display().to_string(),
            ),
            ("MODELDECK_LOG".into(), "debug".into()),
        ];
        vars.extend(self.env.iter().map(|(k, v)| (k.to_string(), v.clone())));
        for v in [
            "MODELDECK_PROFILE",
            "KUBECONFIG",
            "MLFLOW_TRACKING_URI",
            "PROMETHEUS_URL",
        ] {
            text.push_str(&format!("unset {v}\n"));
        }
        for (k, v) in vars {
            text.push_str(&format!("export {k}='{v}'\n"));
        }
        text.push_str(&format!("exec '{}'\n", common::BIN));
        std::fs::write(&script, text).unwrap();

        let t = tmux::Tmux::start(200, 50);
        t.shell(&format!("sh '{}'", script.display()));
        let mut screens = Vec::new();
        screens.push(t.wait_for("the Fleet", |s| {
            s.contains("registry") || s.contains("cluster")
        }));
        // Let the first reads (and their failures) land.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        screens.push(t.screen());
        t.type_text(":models");
        t.keys(&["Enter"]);
        std::thread::sleep(std::time::Duration::from_millis(1000));
        screens.push(t.screen());
        t.keys(&["Enter"]);
        std::thread::sleep(std::time::Duration::from_millis(1000));
        screens.push(t.screen());
        t.type_text(":fleet");
        t.keys(&["Enter"]);
        std::thread::sleep(std::time::Duration::from_millis(500));
        screens.push(t.screen());
        // `:fleet` makes the Fleet the only screen, so one `q` quits; a
        // second would reach the shell when the TUI has already left.
        t.keys(&["q"]);
        screens.push(t.wait_for("the shell prompt", |s| {
            s.lines()
                .rfind(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with(tmux::PROMPT.trim_end()))
        }));
        for (i, s) in screens.iter().enumerate() {
            self.needles
                .assert_absent(&format!("{}: TUI screen {i}", self.name), s);
        }
        screens.len()
    }

    /// Runs everything and searches every file it wrote; returns
    /// (commands run, TUI screens, files searched, bytes searched).
    fn check(&self) -> (usize, usize, usize, usize) {
        let runs = self.every_command();
        let screens = self.tui();
        let files = files_under(&self.out.0);
        assert!(
            files
                .iter()
                .any(|(p, _)| p.starts_with(self.out.0.join("logs"))),
            "{}: no log file was written",
            self.name
        );
        let mut bytes = 0;
        for (path, text) in &files {
            bytes += text.len();
            self.needles
                .assert_absent(&format!("{}: file {}", self.name, path.display()), text);
        }
        for (cmd, r) in &runs {
            bytes += r.stdout.len() + r.stderr.len();
            eprintln!("{}: {cmd}: exit {}", self.name, r.code);
        }
        (runs.len(), screens, files.len(), bytes)
    }
}

/// A config file: the cluster from `kubeconfig`, the registry and metrics
/// at these URLs with these extra lines.
fn write_config(
    dir: &Path,
    name: &str,
    kubeconfig: &Path,
    registry: (&str, &str),
    metrics: (&str, &str),
) -> PathBuf {
    let path = dir.join(format!("config-{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "default_profile = \"leak\"\n\n\
             [profiles.leak.cluster]\nkubeconfig = \"{}\"\n\n\
             [profiles.leak.registry]\nurl = \"{}\"\ntimeout_secs = 3\n{}\n\n\
             [profiles.leak.metrics]\nurl = \"{}\"\ntimeout_secs = 3\n{}\n",
            kubeconfig.display(),
            registry.0,
            registry.1,
            metrics.0,
            metrics.1
        ),
    )
    .unwrap();
    path
}

/// A kubeconfig of one context `e2e` at `server` with bearer `token`.
fn hostile_kubeconfig(dir: &Path, name: &str, server: &Server, token: &str) -> PathBuf {
    let kc = dir.join(format!("kubeconfig-{name}"));
    modeldeck_apiserver::write_kubeconfig(
        &kc,
        &[KubeconfigEntry {
            context: real::CLUSTER.into(),
            server: server.url(),
            user: "leak-admin".into(),
            token: token.into(),
            namespace: None,
            ca_pem: None,
        }],
        real::CLUSTER,
    )
    .unwrap();
    kc
}

/// Asserts `server` was sent `what` (so its echo carried it back).
fn was_sent(server: &Server, what: &str, slot: &str) {
    let reqs = server.requests();
    assert!(
        reqs.iter().any(|r| r.contains(what)),
        "{slot} was never sent to {} ({} requests): the check would be vacuous",
        server.url(),
        reqs.len()
    );
}

fn kube_401_quoting(token: &str) -> Reply {
    Reply::http(
        "401 Unauthorized",
        "application/json",
        format!(
            r#"{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":"Unauthorized: token {token} is not valid","reason":"Unauthorized","code":401}}"#
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_never_leak_from_any_command_log_journal_or_screen() {
    let w = World::start("leak").await;
    let dir = w.dir.0.clone();
    let model = w.bound("prod", "fraud-detector").model.clone();
    let mut report = Vec::new();

    // 1. Bearer tokens in every slot, every server echoing the request
    //    back in a 500 (the Authorization header with it).
    {
        let (reg_tok, prom_tok, kube_tok) = (
            planted("MlflowToken"),
            planted("PromToken"),
            planted("KubeToken"),
        );
        let reg = Server::start(Reply::Echo).await;
        let prom = Server::start(Reply::Echo).await;
        let kube = Server::start(Reply::Echo).await;
        let kc = hostile_kubeconfig(&dir, "echo", &kube, &kube_tok);
        let config = write_config(&dir, "echo", &kc, (&reg.url(), ""), (&prom.url(), ""));
        let mut needles = Needles::default();
        needles.token("MLFLOW_TRACKING_TOKEN", &reg_tok);
        needles.token("MODELDECK_METRICS_TOKEN", &prom_tok);
        needles.token("kubeconfig token", &kube_tok);
        let s = Scenario {
            name: "echoing servers, bearer tokens",
            w: &w,
            config,
            env: vec![
                ("MLFLOW_TRACKING_TOKEN", reg_tok.clone()),
                ("MODELDECK_METRICS_TOKEN", prom_tok.clone()),
            ],
            needles,
            out: TempDir::new("leak-echo"),
            model: model.clone(),
        };
        let sums = tokio::task::block_in_place(|| s.check());
        was_sent(&reg, &reg_tok, "MLFLOW_TRACKING_TOKEN");
        was_sent(&kube, &kube_tok, "kubeconfig token");
        // Metrics are read only for workloads, and this cluster has none:
        // check the token reached Prometheus in scenario 4 instead.
        let r = tokio::task::block_in_place(|| s.run(&["models", "--output", "json"]));
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(
            r.stderr.contains("registry server_error"),
            "the echo reached the error path: {}",
            r.stderr
        );
        report.push((s.name, sums));
    }

    // 2. Basic auth in the registry and metrics slots (echoed as base64),
    //    a kube API server answering 401 with the token quoted.
    {
        let (reg_pw, prom_pw, kube_tok) = (
            planted("MlflowPassword"),
            planted("PromPassword"),
            planted("KubeQuoted"),
        );
        let reg = Server::start(Reply::Echo).await;
        let prom = Server::start(Reply::Echo).await;
        let kube = Server::start(kube_401_quoting(&kube_tok)).await;
        let kc = hostile_kubeconfig(&dir, "basic", &kube, &kube_tok);
        let config = write_config(
            &dir,
            "basic",
            &kc,
            (&reg.url(), "username = \"reg-user\""),
            (&prom.url(), "username = \"prom-user\""),
        );
        let mut needles = Needles::default();
        needles.basic("MLFLOW_TRACKING_PASSWORD", "reg-user", &reg_pw);
        needles.basic("MODELDECK_METRICS_PASSWORD", "prom-user", &prom_pw);
        needles.token("kubeconfig token (quoted by a 401)", &kube_tok);
        let s = Scenario {
            name: "echoing servers, basic auth",
            w: &w,
            config,
            env: vec![
                ("MLFLOW_TRACKING_PASSWORD", reg_pw.clone()),
                ("MODELDECK_METRICS_PASSWORD", prom_pw.clone()),
            ],
            needles,
            out: TempDir::new("leak-basic"),
            model: model.clone(),
        };
        let sums = tokio::task::block_in_place(|| s.check());
        was_sent(
            &reg,
            &basic_form("reg-user", &reg_pw),
            "MLFLOW_TRACKING_PASSWORD",
        );
        was_sent(&kube, &kube_tok, "kubeconfig token");
        report.push((s.name, sums));
    }

    // 3. The real backends with planted tokens: the sandbox API server's
    //    own token, real MLflow and Prometheus (which ignore the header),
    //    so every command succeeds and the journal fills (a promotion
    //    request, a refused self-approval).
    {
        let kube_tok = w.api.as_ref().unwrap().token("admin").unwrap();
        assert!(
            kube_tok.len() >= 16,
            "the sandbox token is too short to grep"
        );
        let (reg_tok, prom_tok) = (planted("RealMlflowToken"), planted("RealPromToken"));
        let config = write_config(
            &dir,
            "real",
            &w.kubeconfig,
            (&w.mlflow, ""),
            (&w.prom_url, ""),
        );
        let mut needles = Needles::default();
        needles.token("MLFLOW_TRACKING_TOKEN", &reg_tok);
        needles.token("MODELDECK_METRICS_TOKEN", &prom_tok);
        needles.token("kubeconfig token (sandbox API server)", &kube_tok);
        let s = Scenario {
            name: "real backends",
            w: &w,
            config,
            env: vec![
                ("MLFLOW_TRACKING_TOKEN", reg_tok),
                ("MODELDECK_METRICS_TOKEN", prom_tok),
            ],
            needles,
            out: TempDir::new("leak-real"),
            model: model.clone(),
        };
        let sums = tokio::task::block_in_place(|| s.check());
        let status = tokio::task::block_in_place(|| s.run(&["status", "--output", "json"]));
        assert_eq!(status.code, 0, "{}", status.stderr);
        let journal = std::fs::read_to_string(s.out.0.join("journal.jsonl")).unwrap_or_default();
        assert!(
            journal.contains("request"),
            "the journal was written (a request): {journal}"
        );
        report.push((s.name, sums));
    }

    // 4. The real cluster (so commands get past it), the registry and
    //    metrics echoing, with passwords in their URLs' user info.
    {
        let (reg_pw, prom_pw) = (planted("MlflowUrlPw"), planted("PromUrlPw"));
        let reg = Server::start(Reply::Echo).await;
        let prom = Server::start(Reply::Echo).await;
        let reg_url = reg
            .url()
            .replacen("://", &format!("://url-user:{reg_pw}@"), 1);
        let prom_url = prom
            .url()
            .replacen("://", &format!("://url-user:{prom_pw}@"), 1);
        let config = write_config(
            &dir,
            "userinfo",
            &w.kubeconfig,
            (&reg_url, ""),
            (&prom_url, ""),
        );
        let mut needles = Needles::default();
        needles.basic("registry URL password", "url-user", &reg_pw);
        needles.basic("metrics URL password", "url-user", &prom_pw);
        needles.token(
            "kubeconfig token (sandbox API server)",
            &w.api.as_ref().unwrap().token("admin").unwrap(),
        );
        let s = Scenario {
            name: "real cluster, echoing registry and metrics, URL user info",
            w: &w,
            config,
            env: Vec::new(),
            needles,
            out: TempDir::new("leak-userinfo"),
            model: model.clone(),
        };
        let sums = tokio::task::block_in_place(|| s.check());
        was_sent(
            &reg,
            &basic_form("url-user", &reg_pw),
            "registry URL password",
        );
        was_sent(
            &prom,
            &basic_form("url-user", &prom_pw),
            "metrics URL password",
        );
        report.push((s.name, sums));
    }

    // 5. The metrics bearer token echoed back by a Prometheus behind the
    //    real cluster (scenario 1's cluster has no workloads to ask about).
    {
        let prom_tok = planted("PromTokenLive");
        let prom = Server::start(Reply::Echo).await;
        let config = write_config(
            &dir,
            "promtoken",
            &w.kubeconfig,
            (&w.mlflow, ""),
            (&prom.url(), ""),
        );
        let mut needles = Needles::default();
        needles.token("MODELDECK_METRICS_TOKEN", &prom_tok);
        let s = Scenario {
            name: "real cluster and registry, echoing metrics, bearer token",
            w: &w,
            config,
            env: vec![("MODELDECK_METRICS_TOKEN", prom_tok.clone())],
            needles,
            out: TempDir::new("leak-promtoken"),
            model: model.clone(),
        };
        let sums = tokio::task::block_in_place(|| s.check());
        was_sent(&prom, &prom_tok, "MODELDECK_METRICS_TOKEN");
        report.push((s.name, sums));
    }

    // 6. and 7. The kubeconfig's other secrets, each against an echoing
    //    API server: a basic-auth password, and a tokenFile's token (read
    //    by kube's auth layer at request time, not held in the config).
    for (tag, secret, slot) in [
        (
            "kubebasic",
            planted("KubePassword"),
            "kubeconfig basic-auth password",
        ),
        (
            "kubetokenfile",
            planted("KubeTokenFile"),
            "kubeconfig tokenFile",
        ),
    ] {
        let kube = Server::start(Reply::Echo).await;
        let user_yaml = if tag == "kubebasic" {
            format!("    username: leak-user\n    password: {secret}\n")
        } else {
            let f = dir.join(format!("token-{tag}"));
            std::fs::write(&f, format!("{secret}\n")).unwrap();
            format!("    tokenFile: {}\n", f.display())
        };
        let kc = dir.join(format!("kubeconfig-{tag}"));
        std::fs::write(
            &kc,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: leak\n  cluster:\n    server: {}\n\
                 users:\n- name: leak\n  user:\n{user_yaml}contexts:\n- name: {ctx}\n  context:\n    \
                 cluster: leak\n    user: leak\ncurrent-context: {ctx}\n",
                kube.url(),
                ctx = real::CLUSTER,
            ),
        )
        .unwrap();
        let config = write_config(&dir, tag, &kc, (&w.mlflow, ""), (&w.prom_url, ""));
        let mut needles = Needles::default();
        if tag == "kubebasic" {
            needles.basic(slot, "leak-user", &secret);
        } else {
            needles.token(slot, &secret);
        }
        let s = Scenario {
            name: if tag == "kubebasic" {
                "echoing API server, kubeconfig basic auth"
            } else {
                "echoing API server, kubeconfig tokenFile"
            },
            w: &w,
            config,
            env: Vec::new(),
            needles,
            out: TempDir::new(&format!("leak-{tag}")),
            model: model.clone(),
        };
        let sums = tokio::task::block_in_place(|| s.check());
        let sent = if tag == "kubebasic" {
            basic_form("leak-user", &secret)
        } else {
            secret.clone()
        };
        was_sent(&kube, &sent, slot);
        report.push((s.name, sums));
    }

    for (name, (commands, screens, files, bytes)) in report {
        eprintln!(
            "{name}: {commands} runs, {screens} TUI screens, {files} files, {bytes} bytes of output and files searched: no secret"
        );
    }
}
