//! The client against servers that are not MLflow or misbehave: HTML 404,
//! malformed and truncated JSON, a 100 MB body, silence, refused
//! connections, a server echoing credentials, TLS that does not verify.
//! Raw TCP on loopback (the testkit's server).

mod common;

use common::assert_hidden;
use modeldeck_core::ErrorCode;
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, MlflowRegistry, Secret};
use modeldeck_testkit::{Reply, Server};
use std::time::Duration;

const TOKEN: &str = "tok-SECRET-9f3a77";

#[allow(clippy::expect_used)]
fn client(uri: &str, f: impl FnOnce(&mut MlflowConfig)) -> MlflowClient {
    let mut cfg = MlflowConfig::new(uri, Auth::Bearer(Secret::new(TOKEN))).expect("test config");
    // The default retries, with short waits.
    cfg.retry.backoff_factor = Duration::from_millis(10);
    f(&mut cfg);
    MlflowClient::new(cfg).expect("test client")
}

fn leak_check(e: &modeldeck_core::BackendError, c: &MlflowClient) {
    assert_hidden(
        TOKEN,
        &[
            e.to_string(),
            format!("{e:?}"),
            format!("{c:?}"),
            c.describe(),
        ],
    );
}

#[tokio::test]
async fn html_404_is_not_an_mlflow_server_and_says_no_such_route() {
    let page = b"<!doctype html><html><title>404 Not Found</title><h1>Not Found</h1></html>";
    let s = Server::start(Reply::http(
        "404 Not Found",
        "text/html; charset=utf-8",
        page,
    ))
    .await;
    let c = client(&s.url(), |_| {});
    let e = c.search_models(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");
    assert!(e.message.contains("no such API route"), "{e}");
    assert!(
        e.message.starts_with(&format!(
            "not an MLflow server at {}",
            s.url().trim_end_matches('/')
        )),
        "{e}"
    );
    assert!(
        e.location
            .as_deref()
            .unwrap()
            .contains("/api/2.0/mlflow/registered-models/search"),
        "{e:?}"
    );
    leak_check(&e, &c);
    // On an alias route the same answer means "server too old for aliases".
    let e = c.set_alias("m", "champion", "1").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");
}

#[tokio::test]
async fn malformed_json_names_the_endpoint() {
    let s = Server::start(Reply::http(
        "200 OK",
        "application/json",
        b"{\"model_versions\": 42}",
    ))
    .await;
    let c = client(&s.url(), |_| {});
    let e = c.list_model_versions("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedResponse, "{e}");
    assert!(e.message.contains("model-versions/search"), "{e}");

    let s = Server::start(Reply::http("200 OK", "text/html", b"<html>login</html>")).await;
    let e = client(&s.url(), |_| {}).get_run("r").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedResponse, "{e}");
    assert!(
        e.message.contains("runs/get") && e.message.contains("invalid JSON"),
        "{e}"
    );
}

#[tokio::test]
async fn truncated_json_is_malformed() {
    // Complete HTTP message, JSON cut short.
    let s = Server::start(Reply::http(
        "200 OK",
        "application/json",
        b"{\"registered_model\": {\"name\": \"m\", \"tags\": [",
    ))
    .await;
    let c = client(&s.url(), |_| {});
    let e = c.get_model("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedResponse, "{e}");
    assert!(
        e.message.contains("registered-models/get") && e.message.contains("truncated"),
        "{e}"
    );

    // Content-Length promises more than the server sends before closing.
    let mut raw =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n"
            .to_vec();
    raw.extend_from_slice(b"{\"registered_model\": {\"name\"");
    let s = Server::start(Reply::Raw(raw)).await;
    let e = client(&s.url(), |_| {}).get_model("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedResponse, "{e}");
    assert!(e.message.contains("ended early"), "{e}");
}

#[tokio::test]
async fn a_100_mb_body_is_refused_without_reading_it() {
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    // Announced length over the default 32 MiB cap: refused from the header.
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {HUNDRED_MB}\r\n\r\n"
    );
    let s = Server::start(Reply::Stream {
        head,
        total: HUNDRED_MB,
        fill: b' ',
    })
    .await;
    let c = client(&s.url(), |_| {});
    let e = c.search_models(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::TooLarge, "{e}");
    assert!(e.message.contains("104857600"), "{e}");
    leak_check(&e, &c);

    // No length (close-delimited): counted chunk by chunk, refused at the cap.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
        .to_string();
    let s = Server::start(Reply::Stream {
        head,
        total: HUNDRED_MB,
        fill: b' ',
    })
    .await;
    let c = client(&s.url(), |cfg| cfg.max_body_bytes = 1024 * 1024);
    let e = c.search_models(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::TooLarge, "{e}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = s.body_bytes_written();
    assert!(
        sent < HUNDRED_MB / 4,
        "the client kept reading: {sent} bytes sent"
    );

    // Same with the default cap: 100 MB never buffered.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"
        .to_string();
    let s = Server::start(Reply::Stream {
        head,
        total: HUNDRED_MB,
        fill: b' ',
    })
    .await;
    let e = client(&s.url(), |_| {})
        .search_models(None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TooLarge, "{e}");
}

#[tokio::test]
async fn silence_and_trickles_time_out() {
    let s = Server::start(Reply::Silent).await;
    let c = client(&s.url(), |cfg| cfg.timeout = Duration::from_millis(400));
    let e = c.get_model("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout, "{e}");
    assert!(e.location.is_some());
    leak_check(&e, &c);

    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"
            .to_string();
    let s = Server::start(Reply::Trickle {
        head,
        every: Duration::from_millis(50),
    })
    .await;
    let c = client(&s.url(), |cfg| cfg.timeout = Duration::from_millis(400));
    let e = c.get_model("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout, "{e}");
}

#[tokio::test]
async fn refused_connections_are_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there now
    for uri in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}/prefix"),
    ] {
        let c = client(&uri, |_| {});
        let e = c.get_model("m").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
        assert!(e.message.to_lowercase().contains("refused"), "{e}");
        assert!(e.location.as_deref().unwrap().contains(&port.to_string()));
        leak_check(&e, &c);
        let reg = MlflowRegistry::new(c);
        let e = reg.list_models().await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
    }
}

#[tokio::test]
async fn an_echoing_server_cannot_leak_credentials() {
    let s = Server::start(Reply::Echo).await;
    let c = client(&s.url(), |_| {});
    let e = c.get_model("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ServerError, "{e}");
    assert!(
        e.message.to_lowercase().contains("authorization"),
        "the echo arrived: {e}"
    );
    leak_check(&e, &c);

    // A proxy quoting the token in its own words.
    let body = format!("token {TOKEN} has expired");
    let s2 = Server::start(Reply::http(
        "401 Unauthorized",
        "text/plain",
        body.as_bytes(),
    ))
    .await;
    let c2 = client(&s2.url(), |_| {});
    let e = c2.get_model("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthenticated, "{e}");
    assert!(e.message.contains("token *** has expired"), "{e}");
    leak_check(&e, &c2);

    let pw = "pw-SECRET-71c2";
    let basic = Auth::Basic {
        username: "bob".into(),
        password: Secret::new(pw),
    };
    let c = MlflowClient::new(MlflowConfig::new(&s.url(), basic).unwrap()).unwrap();
    let e = c.get_model("m").await.unwrap_err();
    // base64("bob:pw-SECRET-71c2")
    assert_hidden(
        "Ym9iOnB3LVNFQ1JFVC03MWMy",
        &[e.to_string(), format!("{e:?}")],
    );
    assert_hidden(pw, &[e.to_string(), format!("{e:?}")]);
}

#[tokio::test]
async fn a_json_error_body_keeps_the_server_message() {
    let body = br#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"db locked"}"#;
    let s = Server::start(Reply::http(
        "503 Service Unavailable",
        "application/json",
        body,
    ))
    .await;
    let e = client(&s.url(), |_| {}).get_model("m").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ServerError, "{e}");
    assert!(
        e.message.contains("TEMPORARILY_UNAVAILABLE: db locked"),
        "{e}"
    );
    assert_eq!(s.request_count(), 4, "a 503 is retried 3 times by default");
}

#[tokio::test]
async fn an_old_version_answer_selects_stages() {
    // Every request gets "2.2.2": only /version is read before refusing.
    let s = Server::start(Reply::http("200 OK", "text/plain", b"2.2.2")).await;
    let reg = MlflowRegistry::new(client(&s.url(), |_| {}));
    assert_eq!(
        reg.alias_mode().await.unwrap(),
        modeldeck_mlflow::AliasMode::Stages
    );
    let e = reg.set_alias("m", "shadow", "1").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");

    let s = Server::start(Reply::http("200 OK", "text/plain", b"3.17.2\n")).await;
    let reg = MlflowRegistry::new(client(&s.url(), |_| {}));
    assert_eq!(
        reg.alias_mode().await.unwrap(),
        modeldeck_mlflow::AliasMode::Aliases
    );
}

/// A Kubernetes-style 401 `Status`: what a server that is not MLflow and
/// wants its own token answers.
fn not_mlflow() -> Reply {
    Reply::http(
        "401 Unauthorized",
        "application/json",
        r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}"#,
    )
}

#[tokio::test]
async fn tls_failures_are_unreachable_and_name_the_cause() {
    // https:// to a plain-HTTP server.
    let plain = Server::start(Reply::http("400 Bad Request", "text/plain", "not TLS")).await;
    let uri = plain.url().replace("http://", "https://");
    let c = client(&uri, |_| {});
    let e = c.search_models(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
    let lower = e.message.to_lowercase();
    assert!(
        lower.contains("corrupt message") || lower.contains("tls"),
        "the handshake is named: {e}"
    );
    assert!(e.location.as_deref().unwrap().starts_with(&uri), "{e:?}");
    leak_check(&e, &c);

    // A TLS server whose certificate no trusted CA signed.
    let s = Server::start_tls(not_mlflow()).await;
    let uri = s.url();
    let c = client(&uri, |_| {});
    let e = c.search_models(None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unreachable, "{e}");
    assert!(
        e.message.contains("certificate") && e.message.contains("UnknownIssuer"),
        "the cause is the certificate's issuer: {e}"
    );
    assert!(e.location.as_deref().unwrap().starts_with(&uri), "{e:?}");
    leak_check(&e, &c);
    assert_eq!(s.request_count(), 0, "no request passed the handshake");

    // Control: the same server passes the handshake once its CA is given
    // (MLFLOW_TRACKING_SERVER_CERT_PATH) or verification is off
    // (MLFLOW_TRACKING_INSECURE_TLS); it is not MLflow and wants its own
    // token, so it answers 401: an HTTP answer, past the handshake.
    let ca = s.write_ca_file("mlflow-tls");
    for c in [
        client(&uri, |cfg| cfg.ca_cert_path = Some(ca.clone())),
        client(&uri, |cfg| cfg.insecure_tls = true),
    ] {
        let e = c.search_models(None).await.unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::Unauthenticated,
            "past the handshake: {e}"
        );
    }
    assert_eq!(s.request_count(), 2);
    let _ = std::fs::remove_dir_all(ca.parent().unwrap());
}
