//! What the failure suites share (`tests/e2e_failures.rs`,
//! `tests/e2e_failures_more.rs`): a case (one hostile server for one
//! backend, and what the binary must say about it), the profile that points
//! one backend of the REAL world at it, and the checks every case gets.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common;
use crate::real::{self, World};
use modeldeck_apiserver::KubeconfigEntry;
use modeldeck_testkit::Server;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The secret planted in every slot of every run: the kubeconfig token of
/// a broken cluster, `MLFLOW_TRACKING_TOKEN` and `MODELDECK_METRICS_TOKEN`
/// (the real MLflow and Prometheus ignore a bearer token). Some servers
/// quote it back; it must never show.
pub const TOKEN: &str = "tok-broken-never-shown-5d1e";

/// Which backend a case breaks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Which {
    Cluster,
    Registry,
    Metrics,
}

impl Which {
    pub fn name(self) -> &'static str {
        match self {
            Which::Cluster => "cluster",
            Which::Registry => "registry",
            Which::Metrics => "metrics",
        }
    }
}

/// A loopback port that completes no handshake: a listener with a backlog
/// of one that never accepts, its queue filled by our own connections, so
/// the kernel drops every further SYN and a client waits for its connect
/// timeout (a blackholed host, without leaving the machine).
pub struct Blackhole {
    pub port: u16,
    _listener: tokio::net::TcpListener,
    _fill: Vec<std::net::TcpStream>,
}

impl Blackhole {
    pub fn start() -> Blackhole {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = sock.listen(0).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut fill = Vec::new();
        for _ in 0..16 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(s) => fill.push(s),
                Err(_) => {
                    return Blackhole {
                        port: addr.port(),
                        _listener: listener,
                        _fill: fill,
                    };
                }
            }
        }
        panic!("the accept queue of {addr} never filled: cannot blackhole it");
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}

/// What a case serves, and what the binary must say about it.
pub struct Case {
    pub what: &'static str,
    /// The URL the broken backend points at.
    pub url: String,
    /// Text the error (message or location) must contain: where it failed.
    pub names: String,
    /// Acceptable codes (one, except where two layers may notice first).
    pub codes: &'static [&'static str],
    /// Text the message must contain (lowercased), one of.
    pub says: &'static [&'static str],
    /// Keeps the server alive for the case.
    pub server: Option<Server>,
    pub hole: Option<Blackhole>,
}

impl Case {
    /// A case served by the testkit server `s`, named by its address.
    pub fn served(
        what: &'static str,
        s: Server,
        codes: &'static [&'static str],
        says: &'static [&'static str],
    ) -> Case {
        Case {
            what,
            url: s.url(),
            names: s.addr().to_string(),
            codes,
            says,
            server: Some(s),
            hole: None,
        }
    }
}

/// A config file on the world, with `which` pointed at `url` (a
/// kubeconfig of one context `e2e` for the cluster). The registry and
/// metrics time out after 3 s (the blackhole case); the cluster's connect
/// timeout is the adapter's own 5 s.
pub fn config_for(w: &World, which: Which, url: &str, n: usize) -> PathBuf {
    let kubeconfig = match which {
        Which::Cluster => {
            let kc = w.dir.0.join(format!("kubeconfig-broken-{n}"));
            modeldeck_apiserver::write_kubeconfig(
                &kc,
                &[KubeconfigEntry {
                    context: real::CLUSTER.into(),
                    server: url.into(),
                    user: "broken-admin".into(),
                    token: TOKEN.into(),
                    namespace: None,
                    ca_pem: None,
                }],
                real::CLUSTER,
            )
            .unwrap();
            kc
        }
        _ => w.kubeconfig.clone(),
    };
    let (registry, metrics) = match which {
        Which::Registry => (url.to_string(), w.prom_url.clone()),
        Which::Metrics => (w.mlflow.clone(), url.to_string()),
        Which::Cluster => (w.mlflow.clone(), w.prom_url.clone()),
    };
    let text = format!(
        "default_profile = \"e2e\"\n\n\
         [profiles.e2e.cluster]\nkubeconfig = \"{}\"\n\n\
         [profiles.e2e.registry]\nurl = \"{registry}\"\ntimeout_secs = 3\n\n\
         [profiles.e2e.metrics]\nurl = \"{metrics}\"\ntimeout_secs = 3\n",
        kubeconfig.display()
    );
    let path = w.dir.0.join(format!("config-broken-{n}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

pub fn backend<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["backends"]
        .as_array()
        .unwrap_or_else(|| panic!("no backends: {status}"))
        .iter()
        .find(|b| b["backend"] == name)
        .unwrap_or_else(|| panic!("no backend {name}: {status}"))
}

pub fn no_panic(what: &str, r: &common::Run) {
    assert_ne!(r.code, 101, "{what}: panicked: {}", r.stderr);
    assert!(
        !r.stderr.contains("panicked"),
        "{what}: panicked: {}",
        r.stderr
    );
}

/// The workloads of the healthy world (names only), to compare with.
pub async fn healthy_workloads(w: &World) -> Vec<String> {
    let status = w.json(&["status"]).await;
    let mut names: Vec<String> = status["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}/{}", r["namespace"], r["name"]).replace('"', ""))
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{status}");
    names
}

/// Runs `modeldeck` on `config` with [`TOKEN`] in the environment's
/// secret slots.
pub async fn run(w: &World, config: &Path, args: &[&str]) -> common::Run {
    let mut c = w.cmd(args);
    c.env("MODELDECK_CONFIG", config)
        .env("MODELDECK_JOURNAL", w.dir.0.join("journal.jsonl"))
        .env("MLFLOW_TRACKING_TOKEN", TOKEN)
        .env("MODELDECK_METRICS_TOKEN", TOKEN);
    tokio::task::spawn_blocking(move || c.output().unwrap().into())
        .await
        .unwrap()
}

/// The exit code of `models` when the registry fails with `code`: 3 for
/// `not_found` (`crates/modeldeck/src/failure.rs` maps every registry
/// `not_found` to "not found", docs/cli.md), 4 for the others (another
/// product's HTML 404 is `unsupported`, so 4).
fn models_exit(code: &str) -> i32 {
    if code == "not_found" { 3 } else { 4 }
}

/// Runs every case against `which` on a world of its own (`tag`) and
/// checks it; prints one line per case (what, code, seconds) on the
/// test's stderr.
pub async fn run_cases(which: Which, tag: &str, cases: Vec<Case>) {
    let w = World::start(&format!("{tag}-{}", which.name())).await;
    let healthy = healthy_workloads(&w).await;
    let model = w.bound("prod", "fraud-detector").model.clone();
    let mut report = Vec::new();
    for (n, case) in cases.into_iter().enumerate() {
        let what = format!("{} against {}", which.name(), case.what);
        let config = config_for(&w, which, &case.url, n);
        let t0 = Instant::now();
        let r = run(&w, &config, &["status", "--output", "json"]).await;
        let took = t0.elapsed();
        no_panic(&what, &r);
        assert_eq!(
            r.code, 4,
            "{what}: a failed backend exits 4\n{}\n{}",
            r.stdout, r.stderr
        );
        let doc: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{what}: stdout is not JSON ({e}): {}", r.stdout));
        let b = backend(&doc, which.name());
        assert_eq!(b["state"], "failed", "{what}: {b}");
        let err = &b["error"];
        let code = err["code"].as_str().unwrap_or_default().to_string();
        assert!(
            case.codes.contains(&code.as_str()),
            "{what}: code {code}, want one of {:?}: {b}",
            case.codes
        );
        assert_eq!(err["backend"], which.name(), "{what}: {b}");
        let message = err["message"].as_str().unwrap_or_default().to_string();
        let location = err["location"].as_str().unwrap_or_default().to_string();
        let lower = message.to_lowercase();
        assert!(
            case.says.iter().any(|s| lower.contains(s)),
            "{what}: the message says none of {:?}: {message}",
            case.says
        );
        // Where: the URL for the HTTP backends (in the location), the
        // context and its server for the cluster.
        match which {
            Which::Cluster => {
                assert!(
                    location.contains(real::CLUSTER) || message.contains(real::CLUSTER),
                    "{what}: the context is not named: {b}"
                );
                assert!(
                    message.contains(&case.names) || location.contains(&case.names),
                    "{what}: the server {} is not named: {b}",
                    case.names
                );
            }
            _ => assert!(
                location.contains(&case.names),
                "{what}: the location does not name {}: {b}",
                case.names
            ),
        }
        assert!(
            !r.stdout.contains("tok-broken") && !r.stderr.contains("tok-broken"),
            "{what}: the planted token shows"
        );
        // One line on stderr naming the backend and the code.
        let line = format!("error: {} {code}: ", which.name());
        assert!(
            r.stderr.lines().any(|l| l.starts_with(&line)),
            "{what}: no `{line}...` line on stderr: {}",
            r.stderr
        );
        // The other two keep working.
        // (Without a cluster there are no workloads to ask Prometheus
        // about: it answers, with nothing, so it is `empty`, not failed.)
        for other in [Which::Cluster, Which::Registry, Which::Metrics] {
            if other != which {
                let state = &backend(&doc, other.name())["state"];
                let ok = state == "ready"
                    || (which == Which::Cluster && other == Which::Metrics && state == "empty");
                assert!(ok, "{what}: {} is {state}: {doc}", other.name());
            }
        }
        let rows = doc["workloads"].as_array().unwrap();
        if which == Which::Cluster {
            assert!(
                rows.is_empty(),
                "{what}: workloads without a cluster: {doc}"
            );
        } else {
            let mut names: Vec<String> = rows
                .iter()
                .map(|r| format!("{}/{}", r["namespace"], r["name"]).replace('"', ""))
                .collect();
            names.sort();
            assert_eq!(names, healthy, "{what}: the Fleet lost workloads");
            let fraud = rows
                .iter()
                .find(|r| r["namespace"] == "prod" && r["name"] == "fraud-detector")
                .unwrap();
            if which == Which::Registry {
                assert!(
                    fraud["rps"].as_f64().is_some(),
                    "{what}: no live rps: {fraud}"
                );
            } else {
                assert_eq!(fraud["model"], model.as_str(), "{what}: {fraud}");
            }
        }

        // `models`: the registry's own command fails the same way (exit 4,
        // `{"error": ...}`); with another backend broken it still lists
        // the models.
        let r = run(&w, &config, &["models", "--output", "json"]).await;
        no_panic(&what, &r);
        assert!(
            !r.stdout.contains("tok-broken") && !r.stderr.contains("tok-broken"),
            "{what}: models: the planted token shows"
        );
        if which == Which::Registry {
            assert_eq!(
                r.code,
                models_exit(&code),
                "{what}: models\n{}\n{}",
                r.stdout,
                r.stderr
            );
            let doc: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
                panic!("{what}: models stdout is not JSON ({e}): {}", r.stdout)
            });
            assert_eq!(doc["error"]["backend"], "registry", "{what}: {doc}");
            assert_eq!(doc["error"]["code"], code.as_str(), "{what}: {doc}");
            assert!(
                doc["error"]["location"]
                    .as_str()
                    .unwrap_or_default()
                    .contains(&case.names),
                "{what}: {doc}"
            );
            assert!(r.stderr.contains(&line), "{what}: {}", r.stderr);
        } else {
            assert_eq!(r.code, 0, "{what}: models\n{}\n{}", r.stdout, r.stderr);
            assert!(r.stdout.contains(&model), "{what}: {}", r.stdout);
        }
        // The table form exits the same and prints no JSON error document.
        let r = run(&w, &config, &["status"]).await;
        no_panic(&what, &r);
        assert_eq!(
            r.code, 4,
            "{what}: status table\n{}\n{}",
            r.stdout, r.stderr
        );
        assert!(r.stdout.contains("failed"), "{what}: {}", r.stdout);
        assert!(
            !r.stdout.contains("tok-broken") && !r.stderr.contains("tok-broken"),
            "{what}: status table: the planted token shows"
        );
        report.push(format!(
            "{:<36} {:<20} status in {:>5.2} s",
            what,
            code,
            took.as_secs_f64()
        ));
        eprintln!("{}: {code}: {message} (at {location})", what);
    }
    eprintln!("{}", report.join("\n"));
    no_token_in_files(&w.dir.0);
}

/// No file the runs wrote (the log files, the journal, the profiles'
/// directory) holds [`TOKEN`]; the kubeconfigs, which hold it by design,
/// are skipped.
pub fn no_token_in_files(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("kubeconfig") {
                continue;
            }
            let bytes = std::fs::read(&p).unwrap_or_default();
            seen += 1;
            let text = String::from_utf8_lossy(&bytes);
            let leaks: Vec<String> = text
                .lines()
                .filter(|l| l.contains(TOKEN))
                .map(|l| l.replace(TOKEN, "<TOKEN>"))
                .collect();
            assert!(
                leaks.is_empty(),
                "the planted token is in {}:\n{}",
                p.display(),
                leaks.join("\n")
            );
        }
    }
    assert!(seen > 0, "no files written under {}", dir.display());
}
