//! The failure cases of `docs/bad-input.md`, through the real binary, for
//! each of the three backends of a profile on the REAL world (see
//! `tests/real`): one backend at a time is pointed at a host that does not
//! resolve, a blackholed port (connect timeout), a TLS server nobody
//! trusts, a 403, a 5xx, malformed JSON or a 100 MB answer (the hostile
//! servers of `modeldeck-testkit`), while the other two stay real.
//!
//! Each case checks, on `status -o json` and on `models`:
//! - exit 4 (`docs/cli.md`, "Exit codes"), never a panic;
//! - the failing backend is `failed` with the case's code, and its error
//!   names where (the URL's host and port, or the kube context and its
//!   server);
//! - one `error: <backend> <code>: ...` line on stderr;
//! - the two other backends are `ready` (metrics `empty` when the cluster,
//!   which names the workloads to ask about, is the one failing), and the Fleet still lists every
//!   workload (with its live numbers when only the registry fails).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod real;

use modeldeck_apiserver::KubeconfigEntry;
use modeldeck_testkit::{Reply, Server};
use real::World;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Which backend a case breaks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Which {
    Cluster,
    Registry,
    Metrics,
}

impl Which {
    fn name(self) -> &'static str {
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
struct Blackhole {
    port: u16,
    _listener: tokio::net::TcpListener,
    _fill: Vec<std::net::TcpStream>,
}

impl Blackhole {
    fn start() -> Blackhole {
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

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }
}

/// What a case serves, and what the binary must say about it.
struct Case {
    what: &'static str,
    /// The URL the broken backend points at.
    url: String,
    /// Text the error (message or location) must contain: where it failed.
    names: String,
    /// Acceptable codes (one, except where two layers may notice first).
    codes: &'static [&'static str],
    /// Text the message must contain (lowercased), one of.
    says: &'static [&'static str],
    /// Keeps the server alive for the case.
    _server: Option<Server>,
    _hole: Option<Blackhole>,
}

const NO_SUCH_HOST: &str = "modeldeck-no-such-host.invalid";

/// The seven cases against `which`, each with its own server.
async fn cases(which: Which) -> Vec<Case> {
    let mut out = Vec::new();
    let dns_url = format!("http://{NO_SUCH_HOST}:5000");
    out.push(Case {
        what: "a host that does not resolve",
        url: dns_url,
        names: NO_SUCH_HOST.into(),
        codes: &["unreachable"],
        says: &["dns", "resolve", "lookup", "name", "not known"],
        _server: None,
        _hole: None,
    });
    let hole = Blackhole::start();
    out.push(Case {
        what: "a blackholed host",
        url: hole.url("http"),
        names: format!("127.0.0.1:{}", hole.port),
        codes: &["timeout", "unreachable"],
        says: &["timed out", "timeout", "within", "deadline has elapsed"],
        _server: None,
        _hole: Some(hole),
    });
    let tls = Server::start_tls(Reply::http("200 OK", "application/json", "{}")).await;
    out.push(Case {
        what: "a TLS server it does not trust",
        url: tls.url(),
        names: tls.addr().to_string(),
        codes: &["unreachable"],
        says: &["certificate"],
        _server: Some(tls),
        _hole: None,
    });
    let body_403 = match which {
        Which::Cluster => {
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"e2e\" cannot list resource","reason":"Forbidden","code":403}"#
        }
        Which::Registry => {
            r#"{"error_code":"PERMISSION_DENIED","message":"Permission denied for this resource"}"#
        }
        Which::Metrics => r#"{"status":"error","errorType":"forbidden","error":"forbidden"}"#,
    };
    let s = Server::start(Reply::http("403 Forbidden", "application/json", body_403)).await;
    out.push(Case {
        what: "a 403",
        url: s.url(),
        names: s.addr().to_string(),
        codes: &["forbidden"],
        says: &["forbidden", "permission", "403"],
        _server: Some(s),
        _hole: None,
    });
    let s = Server::start(Reply::http(
        "503 Service Unavailable",
        "text/plain",
        "upstream connect error or disconnect/reset before headers",
    ))
    .await;
    out.push(Case {
        what: "a 5xx",
        url: s.url(),
        names: s.addr().to_string(),
        codes: &["server_error"],
        says: &["503", "unavailable", "upstream"],
        _server: Some(s),
        _hole: None,
    });
    let s = Server::start(Reply::http(
        "200 OK",
        "application/json",
        r#"{"kind": "List", "status": "success", "items": [{"metadata": {"name": "#,
    ))
    .await;
    out.push(Case {
        what: "malformed JSON",
        url: s.url(),
        names: s.addr().to_string(),
        codes: &["malformed_response"],
        says: &["json", "eof", "parse", "decode", "invalid"],
        _server: Some(s),
        _hole: None,
    });
    let s = Server::start(Reply::Stream {
        head: format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            100u64 << 20
        ),
        total: 100 << 20,
        fill: b' ',
    })
    .await;
    out.push(Case {
        what: "a 100 MB answer",
        url: s.url(),
        names: s.addr().to_string(),
        codes: &["too_large"],
        says: &["cap", "large", "bytes"],
        _server: Some(s),
        _hole: None,
    });
    out
}

/// A config file on the world, with `which` pointed at `url` (a
/// kubeconfig of one context `e2e` for the cluster). The registry and
/// metrics time out after 3 s (the blackhole case); the cluster's connect
/// timeout is the adapter's own 5 s.
fn config_for(w: &World, which: Which, url: &str, n: usize) -> PathBuf {
    let kubeconfig = match which {
        Which::Cluster => {
            let kc = w.dir.0.join(format!("kubeconfig-broken-{n}"));
            modeldeck_apiserver::write_kubeconfig(
                &kc,
                &[KubeconfigEntry {
                    context: real::CLUSTER.into(),
                    server: url.into(),
                    user: "broken-admin".into(),
                    token: "tok-broken-never-shown".into(),
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

fn backend<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["backends"]
        .as_array()
        .unwrap_or_else(|| panic!("no backends: {status}"))
        .iter()
        .find(|b| b["backend"] == name)
        .unwrap_or_else(|| panic!("no backend {name}: {status}"))
}

fn no_panic(what: &str, r: &common::Run) {
    assert_ne!(r.code, 101, "{what}: panicked: {}", r.stderr);
    assert!(
        !r.stderr.contains("panicked"),
        "{what}: panicked: {}",
        r.stderr
    );
}

/// The workloads of the healthy world (names only), to compare with.
async fn healthy_workloads(w: &World) -> Vec<String> {
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

/// Runs every case against `which` and checks it; prints one line per case
/// (what, code, seconds) on the test's stderr.
async fn run_cases(which: Which) {
    let w = World::start(&format!("fail-{}", which.name())).await;
    let healthy = healthy_workloads(&w).await;
    let model = w.bound("prod", "fraud-detector").model.clone();
    let mut report = Vec::new();
    for (n, case) in cases(which).await.into_iter().enumerate() {
        let what = format!("{} against {}", which.name(), case.what);
        let config = config_for(&w, which, &case.url, n);
        let t0 = Instant::now();
        let r = w.run_with(&config, &["status", "--output", "json"]).await;
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
            "{what}: the kubeconfig token shows"
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
        let r = w.run_with(&config, &["models", "--output", "json"]).await;
        no_panic(&what, &r);
        if which == Which::Registry {
            assert_eq!(r.code, 4, "{what}: models\n{}\n{}", r.stdout, r.stderr);
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
        let r = w.run_with(&config, &["status"]).await;
        no_panic(&what, &r);
        assert_eq!(
            r.code, 4,
            "{what}: status table\n{}\n{}",
            r.stdout, r.stderr
        );
        assert!(r.stdout.contains("failed"), "{what}: {}", r.stdout);
        report.push(format!(
            "{:<36} {:<20} status in {:>5.2} s",
            what,
            code,
            took.as_secs_f64()
        ));
        eprintln!("{}: {code}: {message} (at {location})", what);
    }
    eprintln!("{}", report.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_registry_is_named_and_the_cluster_and_metrics_keep_working() {
    run_cases(Which::Registry).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_metrics_are_named_and_the_cluster_and_registry_keep_working() {
    run_cases(Which::Metrics).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_cluster_is_named_and_the_registry_and_metrics_keep_working() {
    run_cases(Which::Cluster).await;
}
