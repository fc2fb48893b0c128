//! The rest of the bad-input cases of issue 12, through the real client,
//! each asserting the whole shape of the error: the backend (`metrics`),
//! the code, the endpoint URL as the location, a message that names the
//! cause, and no token anywhere it could print. `https://` to a plain port,
//! silence after connect, a body shorter than its Content-Length, a proxy's
//! HTML login page, well-formed JSON of the wrong shape, and a 401 that
//! says what to check. Raw TCP on loopback (the testkit's server).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_prometheus::{ClientConfig, PromClient, PromError, Secret};
use modeldeck_testkit::{Reply, Server, http_declaring};
use std::time::Duration;

const TOKEN: &str = "tok-SECRET-pr0m-b4d1npu7";

fn client(url: &str, timeout: Duration) -> PromClient {
    PromClient::new(
        ClientConfig::new(url)
            .timeout(timeout)
            .bearer(Secret::new(TOKEN)),
    )
    .unwrap()
}

/// The error is the metrics backend's, of `code`, located at
/// `{base}/api/v1/query`, its message names one of `words`, and the token
/// shows nowhere. Returns the port error's text.
fn check(case: &str, e: PromError, c: &PromClient, code: ErrorCode, base: &str, words: &[&str]) {
    assert_eq!(e.code(), code, "{case}: {e:?}");
    assert_eq!(e.location, format!("{base}/api/v1/query"), "{case}: {e:?}");
    let be = BackendError::from(e.clone());
    assert_eq!(be.backend, Backend::Metrics, "{case}: {be}");
    assert_eq!(be.code, code, "{case}: {be}");
    assert_eq!(be.location.as_deref(), Some(&*e.location), "{case}: {be:?}");
    let shown = be.to_string();
    assert!(
        shown.starts_with(&format!("metrics {code}: ")),
        "{case}: {shown}"
    );
    let lower = be.message.to_lowercase();
    assert!(
        words.iter().any(|w| lower.contains(&w.to_lowercase())),
        "{case}: the message names the cause (one of {words:?}): {be}"
    );
    for text in [
        shown,
        format!("{be:?}"),
        e.to_string(),
        format!("{e:?}"),
        format!("{c:?}"),
    ] {
        assert!(!text.contains(TOKEN), "{case}: the token leaked: {text}");
    }
}

#[tokio::test]
async fn https_to_a_plain_port_is_unreachable_and_says_tls() {
    let plain = Server::start(Reply::http("200 OK", "application/json", "{}")).await;
    let url = plain.url().replace("http://", "https://");
    let c = client(&url, Duration::from_secs(5));
    let e = c.query("up", None).await.unwrap_err();
    check(
        "https to plain",
        e,
        &c,
        ErrorCode::Unreachable,
        &url,
        &["tls", "corrupt message", "handshake"],
    );
}

#[tokio::test]
async fn silence_after_connect_is_a_timeout_with_the_token_hidden() {
    let s = Server::start(Reply::Silent).await;
    let c = client(&s.url(), Duration::from_millis(300));
    let started = std::time::Instant::now();
    let e = c.query("up", None).await.unwrap_err();
    let took = started.elapsed();
    check(
        "silence",
        e,
        &c,
        ErrorCode::Timeout,
        &s.url(),
        &["within 300 ms"],
    );
    assert!(took < Duration::from_secs(5), "the 300 ms budget: {took:?}");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_malformed_at_its_url() {
    let body = br#"{"status":"success","data":{"resultType":"vector","result":["#;
    let s = Server::start(Reply::Raw(http_declaring(
        "200 OK",
        "application/json",
        body,
        4096,
    )))
    .await;
    let c = client(&s.url(), Duration::from_secs(5));
    let e = c.query("up", None).await.unwrap_err();
    check(
        "short body",
        e,
        &c,
        ErrorCode::MalformedResponse,
        &s.url(),
        &["cut off"],
    );
}

#[tokio::test]
async fn a_proxy_login_page_is_malformed_and_cannot_leak_the_token() {
    // The page quotes the token it refused, near the start (where the
    // message's snippet of the body would show it).
    let page = format!(
        "<!DOCTYPE html><html><p>{TOKEN} expired</p><title>Sign in</title>\
         <form action=\"/oauth2/start\"><input name=\"password\"></form></html>"
    );
    let s = Server::start(Reply::http("200 OK", "text/html; charset=utf-8", page)).await;
    let c = client(&s.url(), Duration::from_secs(5));
    let e = c.query("up", None).await.unwrap_err();
    check(
        "login page",
        e,
        &c,
        ErrorCode::MalformedResponse,
        &s.url(),
        &["expected JSON, got text/html"],
    );
}

#[tokio::test]
async fn well_formed_json_of_the_wrong_shape_is_malformed() {
    for body in [
        "[]",
        r#"{"foo":1}"#,
        "null",
        r#""success""#,
        r#"{"status":"success"}"#,
        r#"{"status":"success","data":[]}"#,
        r#"{"status":"success","data":{"resultType":"vector","result":{}}}"#,
    ] {
        let s = Server::start(Reply::http("200 OK", "application/json", body)).await;
        let c = client(&s.url(), Duration::from_secs(5));
        let e = c.query("up", None).await.unwrap_err();
        check(
            &format!("answered {body}"),
            e,
            &c,
            ErrorCode::MalformedResponse,
            &s.url(),
            &["unreadable answer"],
        );
    }
}

#[tokio::test]
async fn a_401_is_unauthenticated_and_says_what_to_check() {
    // Without an envelope (an auth proxy), and with a Kubernetes-style
    // `Status` (an API server proxy in front of Prometheus).
    for (ctype, body) in [
        ("text/plain", "Unauthorized".to_string()),
        (
            "application/json",
            r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}"#
                .to_string(),
        ),
        (
            "application/json",
            format!(r#"{{"status":"error","errorType":"unauthorized","error":"bad token {TOKEN}"}}"#),
        ),
    ] {
        let s = Server::start(Reply::http("401 Unauthorized", ctype, body.as_str())).await;
        let c = client(&s.url(), Duration::from_secs(5));
        let e = c.query("up", None).await.unwrap_err();
        let be = BackendError::from(e.clone());
        check(
            &format!("401 {body}"),
            e,
            &c,
            ErrorCode::Unauthenticated,
            &s.url(),
            &["401"],
        );
        assert!(
            be.message.contains("MODELDECK_METRICS_TOKEN")
                && be.message.contains("MODELDECK_METRICS_PASSWORD"),
            "the message says which credentials to check: {be}"
        );
    }
}
