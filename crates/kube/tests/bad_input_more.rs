//! The rest of the bad-input cases of issue 12, through `KubeCluster`:
//! API servers (the testkit's raw servers) that are reached over `https://`
//! on a plain port, fall silent after the connection, cut a body short of
//! its Content-Length, answer a proxy's HTML login page with 200, answer
//! well-formed JSON of the wrong shape, or refuse the token with a 401
//! `Status`. Each context fails on its own with the right code, located at
//! `context <name>` with its server URL reported, a message naming the
//! cause, no panic and no token; the live context keeps its workloads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::{KubeconfigEntry, fixtures};
use modeldeck_core::error::{Backend, ErrorCode};
use modeldeck_core::ports::Cluster;
use modeldeck_kube::{ContextPhase, ContextStatus};
use modeldeck_testkit::{Reply, Server, http_declaring};
use std::time::Duration;

const TOKEN: &str = "tok-7d2b90c4-b4d-1npu7-never-print";

fn entry(context: &str, server: String) -> KubeconfigEntry {
    KubeconfigEntry {
        context: context.into(),
        server,
        user: format!("{context}-user"),
        token: TOKEN.into(),
        namespace: None,
        ca_pem: None,
    }
}

/// The context failed with one of `codes`, and says so at `context <name>`, with
/// its server URL reported and no token or panic. Returns the message.
fn failed_with(st: &[ContextStatus], name: &str, codes: &[ErrorCode], server: &str) -> String {
    let s = st.iter().find(|s| s.context == name).unwrap().clone();
    assert_eq!(s.phase, ContextPhase::Failed, "{name}: {s:?}");
    let e = s.error.clone().unwrap();
    assert_eq!(e.backend, Backend::Cluster, "{name}: {e}");
    assert!(codes.contains(&e.code), "{name}: not one of {codes:?}: {e}");
    assert_eq!(e.location.as_deref(), Some(&*format!("context {name}")));
    assert!(
        e.to_string().starts_with(&format!("cluster {}: ", e.code)),
        "{name}: {e}"
    );
    assert_eq!(
        s.server.as_deref().map(|u| u.trim_end_matches('/')),
        Some(server.trim_end_matches('/')),
        "{name}: the server URL is reported"
    );
    let shown = format!("{e} {e:?} {s:?}");
    assert!(!shown.contains(TOKEN), "{name}: the token leaked: {shown}");
    assert!(!shown.contains("panicked"), "{name}: {shown}");
    e.message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_answer_fails_its_context_with_a_clear_code() {
    let live = server("live", fixtures::demo_seed("live"), false).await;
    let answer =
        |status: &str, ctype: &str, body: &str| Reply::http(status, ctype, body.as_bytes());
    let plain = Server::start(answer("200 OK", "application/json", "{}")).await;
    let silent = Server::start(Reply::Silent).await;
    let short = Server::start(Reply::Raw(http_declaring(
        "200 OK",
        "application/json",
        br#"{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":["#,
        4096,
    )))
    .await;
    // A proxy's login page quoting the token it refused.
    let login = Server::start(answer(
        "200 OK",
        "text/html; charset=utf-8",
        &format!(
            "<!DOCTYPE html><html><p>{TOKEN} expired</p><title>Sign in</title>\
             <form action=\"/oauth2/start\"></form></html>"
        ),
    ))
    .await;
    let array = Server::start(answer("200 OK", "application/json", "[]")).await;
    let object = Server::start(answer("200 OK", "application/json", r#"{"foo":1}"#)).await;
    let denied = Server::start(answer(
        "401 Unauthorized",
        "application/json",
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#,
    ))
    .await;
    let https_to_plain = plain.url().replace("http://", "https://");
    let dir = scratch();
    let kc = kubeconfig(
        &dir,
        "kc",
        &[
            live.kubeconfig_entry("admin").unwrap(),
            entry("https-to-plain", https_to_plain.clone()),
            entry("silent", silent.url()),
            entry("short", short.url()),
            entry("login", login.url()),
            entry("array", array.url()),
            entry("object", object.url()),
            entry("denied", denied.url()),
        ],
    );
    let c = adapter(kc, Duration::from_secs(1));
    let st = c.wait_ready(Duration::from_secs(20)).await;
    let live_st = st.iter().find(|s| s.context == "live").unwrap();
    assert_eq!(live_st.phase, ContextPhase::Ready, "{st:?}");
    let ws = c.list_workloads().await.unwrap();
    assert_eq!(ws.len(), 8, "the live context's workloads: {ws:?}");

    let m = failed_with(
        &st,
        "https-to-plain",
        &[ErrorCode::Unreachable],
        &https_to_plain,
    );
    assert!(
        m.contains("TLS handshake failed") && m.contains("not speak TLS"),
        "https-to-plain: {m}"
    );
    // What reached the plain port was a TLS hello, never an HTTP request.
    assert!(
        plain.requests().iter().all(|r| !r.starts_with("GET ")),
        "no HTTP request reached it"
    );

    let m = failed_with(&st, "silent", &[ErrorCode::Timeout], &silent.url());
    let lower = m.to_lowercase();
    assert!(
        lower.contains("within") || lower.contains("timed out") || lower.contains("elapsed"),
        "silent: {m}"
    );
    assert!(silent.request_count() >= 1, "the request was sent");

    // hyper notices the missing bytes before the JSON parser does; the
    // adapter says `malformed_response`, as MLflow and Prometheus do, and
    // names the cut.
    let m = failed_with(&st, "short", &[ErrorCode::MalformedResponse], &short.url());
    assert!(
        m.contains("end of file before message length reached") || m.contains("EOF"),
        "short: the cut is named: {m}"
    );

    let m = failed_with(&st, "login", &[ErrorCode::MalformedResponse], &login.url());
    assert!(m.contains("expected value"), "login: the JSON error: {m}");

    for (name, s) in [("array", &array), ("object", &object)] {
        let m = failed_with(&st, name, &[ErrorCode::MalformedResponse], &s.url());
        assert!(
            m.contains("invalid type") || m.contains("missing field"),
            "{name}: serde names what is wrong: {m}"
        );
    }

    let m = failed_with(&st, "denied", &[ErrorCode::Unauthenticated], &denied.url());
    assert!(m.contains("Unauthorized"), "denied: {m}");
    assert!(
        m.contains("check the kubeconfig user"),
        "denied: what to check: {m}"
    );

    // Calls on a failed context fail on their own; the live one answers.
    let e = c.whoami("denied").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated, "{e}");
    assert!(e.to_string().contains("check the kubeconfig user"), "{e}");
    assert!(!format!("{e} {e:?}").contains(TOKEN), "{e:?}");
    assert!(c.whoami("live").await.is_ok());
}
