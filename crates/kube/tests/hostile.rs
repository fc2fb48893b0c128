//! The kube adapter against API servers that answer badly: TLS that does
//! not verify, HTML, 5xx, malformed and truncated JSON, 401. Each bad
//! context fails on its own with a code and a message naming what it was
//! doing and why, its server URL is reported, the token never shows, and a
//! live context next to it keeps working.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::{KubeconfigEntry, fixtures};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::{ContextPhase, ContextStatus};
use modeldeck_testkit::{Reply, Server, http_declaring};
use std::time::Duration;

const TOKEN: &str = "tok-3f9c1e77-never-print-me";

/// A loopback HTTP server (the testkit's) that answers every request with
/// `status` and `body`, declaring `declared` bytes (default: the body's
/// length), and closes the connection.
async fn answering(
    status: &str,
    content_type: &str,
    body: &str,
    declared: Option<usize>,
) -> Server {
    let bytes = http_declaring(
        status,
        content_type,
        body.as_bytes(),
        declared.unwrap_or(body.len()),
    );
    Server::start(Reply::Raw(bytes)).await
}

fn entry(context: &str, server: String, ca_pem: Option<String>) -> KubeconfigEntry {
    KubeconfigEntry {
        context: context.into(),
        server,
        user: format!("{context}-user"),
        token: TOKEN.into(),
        namespace: None,
        ca_pem,
    }
}

fn by(st: &[ContextStatus], name: &str) -> ContextStatus {
    st.iter().find(|s| s.context == name).unwrap().clone()
}

/// The context failed with one of `codes`, and says so without the token.
fn failed_with(st: &[ContextStatus], name: &str, codes: &[ErrorCode], server: &str) -> String {
    let s = by(st, name);
    assert_eq!(s.phase, ContextPhase::Failed, "{name}: {s:?}");
    let e = s.error.clone().unwrap();
    assert!(codes.contains(&e.code), "{name}: {e}");
    assert_eq!(e.location.as_deref(), Some(&*format!("context {name}")));
    assert_eq!(
        s.server.as_deref().map(|u| u.trim_end_matches('/')),
        Some(server.trim_end_matches('/')),
        "{name}: the server URL is reported"
    );
    let shown = format!("{e} {e:?} {s:?}");
    assert!(!shown.contains(TOKEN), "{name}: the token leaked: {shown}");
    assert!(!shown.contains("panicked"), "{shown}");
    e.message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_that_does_not_verify_fails_its_context_and_names_the_cause() {
    let live = server("live", fixtures::demo_seed("live"), true).await;
    let other = server("other", fixtures::demo_seed("other"), true).await;
    // A real plain-HTTP server (hyper) to aim https:// at.
    let plain = server("plain", fixtures::demo_seed("plain"), false).await;
    let plain_url = plain.url();
    let dir = scratch();
    let wrong_ca_url = other.url();
    let no_ca_url = other.url();
    let https_to_plain = plain_url.replace("http://", "https://");
    let kc = kubeconfig(
        &dir,
        "kc",
        &[
            live.kubeconfig_entry("admin").unwrap(),
            // Signed by another CA than the one the kubeconfig trusts.
            entry(
                "wrong-ca",
                wrong_ca_url.clone(),
                live.ca_pem().map(str::to_string),
            ),
            // No CA at all: the system roots do not know the sandbox's CA.
            entry("no-ca", no_ca_url.clone(), None),
            // https:// to a server that speaks plain HTTP.
            entry(
                "https-to-plain",
                https_to_plain.clone(),
                live.ca_pem().map(str::to_string),
            ),
        ],
    );
    let c = adapter(kc, Duration::from_secs(3));
    let st = c.wait_ready(Duration::from_secs(20)).await;
    assert_eq!(by(&st, "live").phase, ContextPhase::Ready, "{st:?}");
    let ws = c.list_workloads().await.unwrap();
    assert_eq!(
        ws.len(),
        8,
        "the live context's workloads, despite the others"
    );
    assert!(ws.iter().all(|w| w.id.cluster == "live"));

    for name in ["wrong-ca", "no-ca"] {
        let url = if name == "wrong-ca" {
            &wrong_ca_url
        } else {
            &no_ca_url
        };
        let m = failed_with(&st, name, &[ErrorCode::Unreachable], url);
        // rustls names the cause: UnknownIssuer without the CA, BadSignature
        // when a CA of the same name signed it.
        assert!(
            m.contains("TLS handshake failed") && m.contains("invalid peer certificate"),
            "{name}: the cause is the certificate: {m}"
        );
    }
    let m = failed_with(
        &st,
        "https-to-plain",
        &[ErrorCode::Unreachable],
        &https_to_plain,
    );
    assert!(
        m.contains("TLS handshake failed") && m.contains("not speak TLS"),
        "https to a plain server says the TLS handshake failed: {m}"
    );
    // Calls on a failed context fail on their own, with the same cause.
    let e = c.whoami("wrong-ca").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
    assert!(c.whoami("live").await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_api_server_fails_its_context_only() {
    let live = server("live", fixtures::demo_seed("live"), false).await;
    let html_server = answering(
        "502 Bad Gateway",
        "text/html",
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        None,
    )
    .await;
    let garbage_server = answering(
        "200 OK",
        "application/json",
        r#"{"kind": "APIGroupList","#,
        None,
    )
    .await;
    let cut_server = answering(
        "200 OK",
        "application/json",
        r#"{"kind":"APIGroupList","groups":[{"name":"apps""#,
        Some(4096),
    )
    .await;
    let denied_server = answering(
        "401 Unauthorized",
        "application/json",
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#,
        None,
    )
    .await;
    let (html, garbage, cut, denied) = (
        html_server.url(),
        garbage_server.url(),
        cut_server.url(),
        denied_server.url(),
    );
    let dir = scratch();
    let kc = kubeconfig(
        &dir,
        "kc",
        &[
            live.kubeconfig_entry("admin").unwrap(),
            entry("html", html.clone(), None),
            entry("garbage", garbage.clone(), None),
            entry("cut", cut.clone(), None),
            entry("denied", denied.clone(), None),
        ],
    );
    let c = adapter(kc, Duration::from_secs(3));
    let st = c.wait_ready(Duration::from_secs(20)).await;
    assert_eq!(by(&st, "live").phase, ContextPhase::Ready, "{st:?}");
    let ws = c.list_workloads().await.unwrap();
    assert_eq!(ws.len(), 8, "{ws:?}");

    let m = failed_with(&st, "html", &[ErrorCode::ServerError], &html);
    assert!(m.contains("502") || m.contains("Bad Gateway"), "{m}");
    let m = failed_with(&st, "garbage", &[ErrorCode::MalformedResponse], &garbage);
    assert!(m.contains("EOF") || m.to_lowercase().contains("eof"), "{m}");
    // A body cut off mid-way: either the transport notices the missing
    // bytes or the JSON parser does; never a success.
    let m = failed_with(
        &st,
        "cut",
        &[ErrorCode::MalformedResponse, ErrorCode::Unreachable],
        &cut,
    );
    assert!(!m.is_empty());
    let m = failed_with(&st, "denied", &[ErrorCode::Unauthenticated], &denied);
    assert!(m.contains("Unauthorized"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_answer_is_refused_at_the_cap_without_reading_it() {
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    let live = server("live", fixtures::demo_seed("live"), false).await;
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUNDRED_MB}\r\n\r\n{{\"kind\":\"APIGroupList\",\"groups\":["
    );
    let huge = Server::start(Reply::Stream {
        head,
        total: HUNDRED_MB,
        fill: b' ',
    })
    .await;
    let huge_url = huge.url();
    let dir = scratch();
    let kc = kubeconfig(
        &dir,
        "kc",
        &[
            live.kubeconfig_entry("admin").unwrap(),
            entry("huge", huge_url.clone(), None),
        ],
    );
    let c = modeldeck_kube::KubeCluster::connect(modeldeck_kube::KubeOptions {
        kubeconfig: vec![kc],
        contexts: modeldeck_kube::Contexts::All,
        call_timeout: Duration::from_secs(10),
        max_body_bytes: 1024 * 1024,
        ..modeldeck_kube::KubeOptions::default()
    })
    .unwrap();
    let st = c.wait_ready(Duration::from_secs(20)).await;
    assert_eq!(by(&st, "live").phase, ContextPhase::Ready, "{st:?}");
    assert_eq!(
        c.list_workloads().await.unwrap().len(),
        8,
        "the cap lets normal answers through"
    );
    let m = failed_with(&st, "huge", &[ErrorCode::TooLarge], &huge_url);
    assert!(m.contains("size cap"), "{m}");
    let sent = huge.body_bytes_written();
    assert!(
        sent < 16 * 1024 * 1024,
        "the client stopped reading near the 1 MiB cap, not at 100 MB: the server wrote {sent} bytes"
    );
}
