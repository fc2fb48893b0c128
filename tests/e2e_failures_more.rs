//! More failure cases of `docs/bad-input.md` through the real binary, with
//! the same checks as `tests/e2e_failures.rs` (`tests/failures`): one
//! backend of a profile on the REAL world at a time is pointed at a silent
//! server (read timeout after the connection), a closed port (connection
//! refused), well-formed JSON of the
//! wrong shape, a body shorter than its Content-Length, `https://` to a
//! plain port, a 200 HTML login page quoting the token, another product's
//! HTML 404, a 401 or a 409, while the other two stay real. A planted token
//! sits in every secret slot and never shows.
//!
//! And hostile strings from Kubernetes: a workload whose pod-template
//! version annotation carries `ESC[2J`, U+202E and a BEL is shown harmless
//! by the `status` table and kept raw by its JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod failures;
mod real;

use failures::{Case, TOKEN, Which, no_panic, run, run_cases};
use modeldeck_testkit::{Reply, Server, http_declaring};
use real::World;
use serde_json::{Value, json};

/// Each backend's own error body for `status` (401 and 409).
fn error_body(which: Which, status: u16) -> String {
    let (reason, text) = match status {
        401 => ("Unauthorized", "Unauthorized"),
        _ => ("Conflict", "the object has been modified"),
    };
    match which {
        Which::Cluster => json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": text, "reason": reason, "code": status
        })
        .to_string(),
        Which::Registry | Which::Metrics => format!("{status} {reason}: {text}\n"),
    }
}

/// The nine cases against `which`, each with its own server (or port).
async fn cases(which: Which) -> Vec<Case> {
    let mut out = Vec::new();
    // Read timeout: connects, reads the request, never answers. The
    // registry and metrics give up at the profile's 3 s, the cluster at
    // the adapter's call timeout.
    let s = Server::start(Reply::Silent).await;
    let codes: &[&str] = match which {
        // A watch's list may notice first ("deadline has elapsed"), as for
        // the blackholed host (docs/bad-input.md, "What is still not tested here", item 6).
        Which::Cluster => &["timeout", "unreachable"],
        _ => &["timeout"],
    };
    out.push(Case::served(
        "a silent server",
        s,
        codes,
        &["timed out", "timeout", "within", "deadline has elapsed"],
    ));
    // A closed port: bound, then let go, so the connection is refused
    // (docs/bad-input.md: metrics refusing with the other backends real).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    out.push(Case {
        what: "a closed port (connection refused)",
        url: format!("http://127.0.0.1:{port}"),
        names: format!("127.0.0.1:{port}"),
        codes: &["unreachable"],
        says: &["refused", "connect", "cannot reach"],
        server: None,
        hole: None,
    });
    // Well-formed JSON, the wrong shape: an array for every call.
    let s = Server::start(Reply::http("200 OK", "application/json", "[]")).await;
    out.push(Case::served(
        "JSON of the wrong shape",
        s,
        &["malformed_response"],
        &[
            "invalid type",
            "missing field",
            "unreadable",
            "not a json object",
            "expected",
        ],
    ));
    // 4096 bytes announced, a few sent, then the connection closes.
    let s = Server::start(Reply::Raw(http_declaring(
        "200 OK",
        "application/json",
        br#"{"items": [{"metadata": {"#,
        4096,
    )))
    .await;
    out.push(Case::served(
        "a body shorter than its Content-Length",
        s,
        &["malformed_response"],
        &["cut short", "cut off", "ended early", "truncated", "eof"],
    ));
    // `https://` to a server that speaks plain HTTP.
    let s = Server::start(Reply::http("200 OK", "application/json", "{}")).await;
    let mut c = Case::served(
        "https:// to a plain port",
        s,
        &["unreachable"],
        &["tls", "corrupt message", "ssl", "handshake"],
    );
    c.url = c.url.replacen("http://", "https://", 1);
    out.push(c);
    // A proxy's login page, quoting the token near its start.
    let page = format!(
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>\
         <p>Your token {TOKEN} has expired.</p><form action=\"/login\"></form></body></html>"
    );
    let s = Server::start(Reply::http("200 OK", "text/html; charset=utf-8", page)).await;
    out.push(Case::served(
        "an HTML login page quoting the token",
        s,
        &["malformed_response"],
        &["html", "json", "expected value", "invalid"],
    ));
    // Another product's HTTP API on the port: its HTML 404 for any path.
    let s = Server::start(Reply::http(
        "404 Not Found",
        "text/html",
        "<html><head><title>Error 404 Not Found</title></head>\
         <body><h2>HTTP ERROR 404 Not Found</h2><p>Powered by Jetty://</p></body></html>",
    ))
    .await;
    // For the registry that is not "no such model" (exit 3) but "not an
    // MLflow server at <url>" (`unsupported`, exit 4).
    let (codes, says): (&'static [&'static str], &'static [&'static str]) = match which {
        Which::Registry => (
            &["unsupported"],
            &["not an mlflow server at http://127.0.0.1:"],
        ),
        _ => (&["not_found"], &["404", "not found", "no such"]),
    };
    out.push(Case::served(
        "another product's HTTP API (HTML 404)",
        s,
        codes,
        says,
    ));
    let ct = match which {
        Which::Cluster => "application/json",
        _ => "text/plain",
    };
    let s = Server::start(Reply::http("401 Unauthorized", ct, error_body(which, 401))).await;
    out.push(Case::served(
        "a 401",
        s,
        &["unauthenticated"],
        &["401", "unauthorized", "unauthenticated"],
    ));
    let s = Server::start(Reply::http("409 Conflict", ct, error_body(which, 409))).await;
    out.push(Case::served(
        "a 409",
        s,
        &["conflict"],
        &["409", "conflict", "modified"],
    ));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_answers_badly_is_named_and_the_others_keep_working() {
    run_cases(Which::Registry, "more", cases(Which::Registry).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_that_answer_badly_are_named_and_the_others_keep_working() {
    run_cases(Which::Metrics, "more", cases(Which::Metrics).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_that_answers_badly_is_named_and_the_others_keep_working() {
    run_cases(Which::Cluster, "more", cases(Which::Cluster).await).await;
}

/// The hostile version a workload's pod template claims.
const HOSTILE: &str = "2\u{202E}exe.vlm\u{1b}[2J\u{7}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_strings_from_kubernetes_are_shown_harmless_and_kept_raw_in_json() {
    let w = World::start("hostile-kube").await;
    let model = w.bound("prod", "fraud-detector").model.clone();
    // A Deployment bound to the world's model whose served-version
    // annotation (free text in Kubernetes, unlike names) carries a screen
    // clear, a bidi override and a bell.
    let api = w.api.as_ref().unwrap();
    api.create(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "hostile-scorer", "namespace": "prod",
            "labels": {"modeldeck.io/model": model}},
        "spec": {"replicas": 1,
            "selector": {"matchLabels": {"app": "hostile-scorer"}},
            "template": {
                "metadata": {"labels": {"app": "hostile-scorer"},
                    "annotations": {"modeldeck.io/model-version": HOSTILE}},
                "spec": {"containers": [{"name": "s", "image": "scorer:1"}]}}}
    }))
    .unwrap();
    let config = w.config.clone();

    // JSON keeps the raw value (the encoder escapes ESC and BEL).
    let r = run(&w, &config, &["status", "--output", "json"]).await;
    no_panic("status json", &r);
    let doc: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    let row = doc["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "hostile-scorer")
        .unwrap_or_else(|| panic!("the hostile workload is not listed: {doc}"));
    assert_eq!(row["version"], HOSTILE, "{row}");
    assert!(!r.stdout.contains('\u{1b}'), "raw ESC in the JSON");
    let json_code = r.code;

    // The table shows it harmless: no ESC, BEL or U+202E reaches the
    // terminal, the version is there with each one replaced, and the row
    // stays one line.
    let r = run(&w, &config, &["status"]).await;
    no_panic("status table", &r);
    assert_eq!(r.code, json_code, "{}\n{}", r.stdout, r.stderr);
    for bad in ['\u{1b}', '\u{7}', '\u{202E}'] {
        assert!(
            !r.stdout.contains(bad) && !r.stderr.contains(bad),
            "{bad:?} reached the terminal: {:?}",
            r.stdout
        );
    }
    let lines: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("hostile-scorer"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    assert!(
        lines[0].contains("2\u{FFFD}exe.vlm\u{FFFD}[2J"),
        "the version is not shown harmless: {:?}",
        lines[0]
    );
    eprintln!("status exit {json_code}; table row: {:?}", lines[0]);
    assert!(!r.stdout.contains(TOKEN));
}
