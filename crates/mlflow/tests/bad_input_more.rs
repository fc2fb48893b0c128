//! The rest of the bad-input cases of issue 12, through the real client,
//! each asserting the whole shape of the error: the backend (`registry`),
//! the code, the endpoint and the server's address in the location, a
//! message that names the cause, and no token anywhere it could print.
//! `https://` to a plain port, silence after connect, a body shorter than
//! its Content-Length, a proxy's HTML login page, and well-formed JSON of
//! the wrong shape. Raw TCP on loopback (the testkit's server).

use modeldeck_core::ErrorCode;
use modeldeck_core::error::{Backend, BackendError};
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, Secret};
use modeldeck_testkit::{Reply, Server, http_declaring};
use std::time::Duration;

const TOKEN: &str = "tok-SECRET-b4d1npu7";

#[allow(clippy::expect_used)]
fn client(uri: &str, timeout: Duration) -> MlflowClient {
    let mut cfg = MlflowConfig::new(uri, Auth::Bearer(Secret::new(TOKEN))).expect("test config");
    cfg.retry.backoff_factor = Duration::from_millis(10);
    cfg.timeout = timeout;
    MlflowClient::new(cfg).expect("test client")
}

/// The error is the registry's, of `code`, located at `endpoint` on the
/// server at `base`, its message names one of `words`, and the token shows
/// nowhere.
fn check(
    case: &str,
    e: &BackendError,
    c: &MlflowClient,
    code: ErrorCode,
    base: &str,
    endpoint: &str,
    words: &[&str],
) {
    assert_eq!(e.backend, Backend::Registry, "{case}: {e}");
    assert_eq!(e.code, code, "{case}: {e}");
    let at = e.location.as_deref().unwrap_or_default();
    assert!(
        at.starts_with(base) && at.contains(endpoint),
        "{case}: the location names {base} and {endpoint}: {e:?}"
    );
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("registry {code}: ")),
        "{case}: {shown}"
    );
    let lower = e.message.to_lowercase();
    assert!(
        words.iter().any(|w| lower.contains(&w.to_lowercase())),
        "{case}: the message names the cause (one of {words:?}): {e}"
    );
    for text in [shown, format!("{e:?}"), format!("{c:?}"), c.describe()] {
        assert!(!text.contains(TOKEN), "{case}: the token leaked: {text}");
    }
}

#[tokio::test]
async fn https_to_a_plain_port_is_unreachable_and_says_tls() {
    let plain = Server::start(Reply::http("200 OK", "application/json", "{}")).await;
    let uri = plain.url().replace("http://", "https://");
    let c = client(&uri, Duration::from_secs(5));
    let e = c.get_model("m").await.unwrap_err();
    check(
        "https to plain",
        &e,
        &c,
        ErrorCode::Unreachable,
        &uri,
        "/api/2.0/mlflow/registered-models/get",
        &["tls", "corrupt message", "handshake"],
    );
}

#[tokio::test]
async fn silence_after_connect_is_a_timeout_at_the_configured_budget() {
    let s = Server::start(Reply::Silent).await;
    let c = client(&s.url(), Duration::from_millis(300));
    let started = std::time::Instant::now();
    let e = c.search_models(None).await.unwrap_err();
    let took = started.elapsed();
    check(
        "silence",
        &e,
        &c,
        ErrorCode::Timeout,
        &s.url(),
        "/api/2.0/mlflow/registered-models/search",
        &["within", "timed out", "timeout"],
    );
    assert!(
        took < Duration::from_secs(5),
        "the 300 ms budget fired, not a default: {took:?}"
    );
    assert_eq!(s.request_count(), 1, "a timed-out request is not retried");
}

#[tokio::test]
async fn a_body_shorter_than_its_content_length_is_malformed() {
    let body = br#"{"registered_model": {"name": "m", "latest_versions": ["#;
    let s = Server::start(Reply::Raw(http_declaring(
        "200 OK",
        "application/json",
        body,
        4096,
    )))
    .await;
    let c = client(&s.url(), Duration::from_secs(5));
    let e = c.get_model("m").await.unwrap_err();
    check(
        "short body",
        &e,
        &c,
        ErrorCode::MalformedResponse,
        &s.url(),
        "/api/2.0/mlflow/registered-models/get",
        &["ended early", "cut off", "truncated"],
    );
}

#[tokio::test]
async fn a_proxy_login_page_is_malformed_and_says_html() {
    // The page quotes the token it refused, near the start (where the
    // message's "body starts" snippet would show it).
    let page = format!(
        "<html><p>{TOKEN} expired</p><title>Sign in</title>\
         <form action=\"/oauth2/start\"><input name=\"password\"></form></html>"
    );
    let s = Server::start(Reply::http("200 OK", "text/html; charset=utf-8", page)).await;
    let c = client(&s.url(), Duration::from_secs(5));
    let e = c.search_models(None).await.unwrap_err();
    check(
        "login page",
        &e,
        &c,
        ErrorCode::MalformedResponse,
        &s.url(),
        "/api/2.0/mlflow/registered-models/search",
        &["invalid json", "html"],
    );
    assert!(
        e.message.contains("registered-models/search"),
        "the message names the endpoint: {e}"
    );
}

#[tokio::test]
async fn well_formed_json_of_the_wrong_shape_is_malformed() {
    for body in ["[]", r#"{"foo":1}"#, "null", r#""registered_model""#] {
        let s = Server::start(Reply::http("200 OK", "application/json", body)).await;
        let c = client(&s.url(), Duration::from_secs(5));
        let e = c.get_model("m").await.unwrap_err();
        check(
            &format!("get_model answered {body}"),
            &e,
            &c,
            ErrorCode::MalformedResponse,
            &s.url(),
            "/api/2.0/mlflow/registered-models/get",
            &["registered-models/get"],
        );
        let e = c.get_version("m", "1").await.unwrap_err();
        check(
            &format!("get_version answered {body}"),
            &e,
            &c,
            ErrorCode::MalformedResponse,
            &s.url(),
            "/api/2.0/mlflow/model-versions/get",
            &["model-versions/get"],
        );
    }
    // A list endpoint answered with a list, not an object.
    let s = Server::start(Reply::http("200 OK", "application/json", "[]")).await;
    let c = client(&s.url(), Duration::from_secs(5));
    let e = c.search_models(None).await.unwrap_err();
    check(
        "search answered []",
        &e,
        &c,
        ErrorCode::MalformedResponse,
        &s.url(),
        "/api/2.0/mlflow/registered-models/search",
        &["registered-models/search"],
    );
}
