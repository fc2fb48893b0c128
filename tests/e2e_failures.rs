//! The failure cases of `docs/bad-input.md`, through the real binary, for
//! each of the three backends of a profile on the REAL world (see
//! `tests/real`): one backend at a time is pointed at a host that does not
//! resolve, a blackholed port (connect timeout), a TLS server nobody
//! trusts, a 403, a 5xx, malformed JSON or a 100 MB answer (the hostile
//! servers of `modeldeck-testkit`), while the other two stay real.
//!
//! The checks and the profile are in `tests/failures`; more cases in
//! `tests/e2e_failures_more.rs`. Each case checks, on `status -o json` and
//! on `models`:
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
mod failures;
mod real;

use failures::{Blackhole, Case, Which, run_cases};
use modeldeck_testkit::{Reply, Server};

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
        server: None,
        hole: None,
    });
    let hole = Blackhole::start();
    out.push(Case {
        what: "a blackholed host",
        url: hole.url("http"),
        names: format!("127.0.0.1:{}", hole.port),
        codes: &["timeout", "unreachable"],
        says: &["timed out", "timeout", "within", "deadline has elapsed"],
        server: None,
        hole: Some(hole),
    });
    let tls = Server::start_tls(Reply::http("200 OK", "application/json", "{}")).await;
    out.push(Case {
        what: "a TLS server it does not trust",
        url: tls.url(),
        names: tls.addr().to_string(),
        codes: &["unreachable"],
        says: &["certificate"],
        server: Some(tls),
        hole: None,
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
        server: Some(s),
        hole: None,
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
        server: Some(s),
        hole: None,
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
        server: Some(s),
        hole: None,
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
        server: Some(s),
        hole: None,
    });
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_registry_is_named_and_the_cluster_and_metrics_keep_working() {
    run_cases(Which::Registry, "fail", cases(Which::Registry).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_metrics_are_named_and_the_cluster_and_registry_keep_working() {
    run_cases(Which::Metrics, "fail", cases(Which::Metrics).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_cluster_is_named_and_the_registry_and_metrics_keep_working() {
    run_cases(Which::Cluster, "fail", cases(Which::Cluster).await).await;
}
