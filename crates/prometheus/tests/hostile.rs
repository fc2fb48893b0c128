//! The client against servers that misbehave: the testkit's raw-HTTP server
//! answers broken JSON, cut-off bodies, HTML, auth refusals that echo the
//! credentials, 100 MB bodies, silence and TLS no one trusts. No Prometheus
//! needed; nothing here is mocked above the socket.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_core::error::{BackendError, ErrorCode};
use modeldeck_prometheus::{
    ClientConfig, DEFAULT_MAX_BODY_BYTES, PromClient, PromErrorKind, QueryData, Secret,
};
use modeldeck_testkit::{Reply, Server};
use std::time::Duration;

const HUNDRED_MB: u64 = 100 * 1024 * 1024;

fn http(status: &str, content_type: &str, body: &str) -> Reply {
    Reply::http(status, content_type, body)
}

/// Status line and headers, then 100 MB of spaces.
fn huge(declare_length: bool) -> Reply {
    let head = if declare_length {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUNDRED_MB}\r\nConnection: close\r\n\r\n"
        )
    } else {
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_string()
    };
    Reply::Stream {
        head,
        total: HUNDRED_MB,
        fill: b' ',
    }
}

async fn serve(reply: Reply) -> Server {
    Server::start(reply).await
}

fn client(url: &str) -> PromClient {
    PromClient::new(ClientConfig::new(url).timeout(Duration::from_secs(5))).unwrap()
}

#[tokio::test]
async fn unreachable_ports_are_unreachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = client(&format!("http://127.0.0.1:{port}"))
        .query("up", None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e:?}");
    assert_eq!(e.location, format!("http://127.0.0.1:{port}/api/v1/query"));
    let be = BackendError::from(e);
    assert!(
        be.to_string()
            .starts_with("metrics unreachable: cannot reach Prometheus"),
        "{be}"
    );
}

#[tokio::test]
async fn broken_json_is_malformed() {
    let s = serve(http("200 OK", "application/json", r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}"#)).await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedResponse);
    assert!(
        e.to_string().contains("invalid JSON (EOF while parsing"),
        "{e}"
    );

    let s = serve(http("200 OK", "application/json", r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x"]]}]}}"#)).await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert!(
        matches!(&e.kind, PromErrorKind::Malformed { reason } if reason.contains("\"x\" is not a number")),
        "{e:?}"
    );

    let s = serve(http(
        "200 OK",
        "application/json",
        r#"{"status":"success","data":{"resultType":"table","result":[]}}"#,
    ))
    .await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert!(
        e.to_string().contains("unknown resultType \"table\""),
        "{e}"
    );
}

#[tokio::test]
async fn cut_off_bodies_are_malformed() {
    let s = serve(Reply::Raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"status\":\"success\",\"data\":{\"res".to_vec(),
    ))
    .await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedResponse, "{e:?}");
    assert!(e.to_string().contains("cut off"), "{e}");
}

#[tokio::test]
async fn html_is_malformed_or_a_server_error() {
    let page = "<!DOCTYPE html>\n<html><body><h1>Sign in</h1></body></html>";
    let s = serve(http("200 OK", "text/html; charset=utf-8", page)).await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::MalformedResponse);
    assert!(
        e.to_string()
            .contains("expected JSON, got text/html; charset=utf-8: <!DOCTYPE html> <html>"),
        "{e}"
    );

    let s = serve(http(
        "502 Bad Gateway",
        "text/html",
        "<h1>502 Bad Gateway</h1>",
    ))
    .await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert_eq!((e.code(), e.status()), (ErrorCode::ServerError, Some(502)));

    let s = serve(http("404 Not Found", "text/plain", "404 page not found")).await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn hundred_megabyte_bodies_are_refused_unread() {
    // declared length: refused on the header with the default cap;
    // no length: streamed and refused once past a 4 MiB cap
    for (declare_length, cap) in [(true, DEFAULT_MAX_BODY_BYTES), (false, 4 << 20)] {
        let s = serve(huge(declare_length)).await;
        let c = PromClient::new(ClientConfig::new(s.url()).max_body_bytes(cap)).unwrap();
        let e = c.query("up", None).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::TooLarge, "{e:?}");
        let PromErrorKind::TooLarge { limit, declared } = e.kind else {
            unreachable!()
        };
        assert_eq!(limit, cap);
        assert_eq!(declared, declare_length.then_some(HUNDRED_MB));
        // give the writer a moment to notice the closed socket
        tokio::time::sleep(Duration::from_millis(200)).await;
        let written = s.body_bytes_written();
        assert!(
            written < HUNDRED_MB / 2,
            "server wrote {written} bytes: the body was read"
        );
    }
}

#[tokio::test]
async fn silence_is_a_timeout() {
    let s = serve(Reply::Silent).await;
    let c =
        PromClient::new(ClientConfig::new(s.url()).timeout(Duration::from_millis(300))).unwrap();
    let e = c.query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout, "{e:?}");
    assert!(e.to_string().contains("within 300 ms"), "{e}");
    // the query carried the same budget for the server
    assert!(s.requests()[0].contains("timeout=300ms"));
}

#[tokio::test]
async fn bearer_tokens_never_leak() {
    let token = "tok-s3cr3t-0123456789";
    // a hostile proxy that echoes the Authorization header back
    let s = serve(http(
        "401 Unauthorized",
        "text/plain",
        &format!("bad credentials: Bearer {token}"),
    ))
    .await;
    let c = PromClient::new(ClientConfig::new(s.url()).bearer(Secret::new(token))).unwrap();
    let e = c.query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unauthenticated);
    let head = s.requests()[0].to_ascii_lowercase();
    assert!(
        head.contains(&format!("authorization: bearer {token}")),
        "token not sent: {head}"
    );
    for text in [
        e.to_string(),
        format!("{e:?}"),
        format!("{c:?}"),
        BackendError::from(e).to_string(),
    ] {
        assert!(!text.contains(token), "token leaked: {text}");
    }

    let s = serve(http(
        "403 Forbidden",
        "application/json",
        &format!(
            r#"{{"status":"error","errorType":"forbidden","error":"token {token} may not read"}}"#
        ),
    ))
    .await;
    let c = PromClient::new(ClientConfig::new(s.url()).bearer(Secret::new(token))).unwrap();
    let e = c.query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert!(
        !e.to_string().contains(token) && e.to_string().contains("token *** may not read"),
        "{e}"
    );
}

#[tokio::test]
async fn basic_auth_from_the_url_is_sent_and_hidden() {
    // echo the header: base64("ops:pa55word") must not come back in the error
    let s = serve(http(
        "401 Unauthorized",
        "text/plain",
        "got Basic b3BzOnBhNTV3b3Jk",
    ))
    .await;
    let url = s.url().replacen("http://", "http://ops:pa55word@", 1);
    let c = client(&url);
    let e = c.query("up", None).await.unwrap_err();
    let head = s.requests()[0].to_ascii_lowercase();
    assert!(
        head.contains("authorization: basic b3bzonbhntv3b3jk"),
        "{head}"
    );
    let text = format!("{e} {e:?} {c:?}");
    assert!(
        !text.contains("pa55word") && !text.contains("b3BzOnBhNTV3b3Jk"),
        "{text}"
    );
    assert!(!e.location.contains("ops"), "{}", e.location);
}

#[tokio::test]
async fn envelopes_with_odd_statuses_and_extras_are_read() {
    let body = r#"{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}"#;
    let s = serve(http("503 Service Unavailable", "application/json", body)).await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Timeout);

    let body = r#"{"status":"success","warnings":["w1"],"infos":["i1"],"data":{"resultType":"vector","result":[
        {"metric":{"__name__":"h"},"histogram":[1795824000.5,{"count":"3","sum":"1.5","buckets":[[0,"0","1","3"]]}]},
        {"metric":{"__name__":"g"},"value":[1795824000,"+Inf"]}]}}"#;
    let s = serve(http("200 OK", "application/json", body)).await;
    let r = client(&s.url()).query("up", None).await.unwrap();
    assert_eq!(
        (r.warnings, r.infos),
        (vec!["w1".to_string()], vec!["i1".to_string()])
    );
    let QueryData::Vector(v) = r.data else {
        panic!()
    };
    assert_eq!(v[0].histogram.as_ref().unwrap().count, 3.0);
    assert!(v[0].sample.is_none());
    assert_eq!(v[1].sample.unwrap().value, f64::INFINITY);
}

#[tokio::test]
async fn hang_ups_without_an_answer() {
    let s = serve(Reply::Raw(Vec::new())).await;
    let e = client(&s.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e:?}");
    assert!(
        matches!(e.kind, PromErrorKind::Disconnected { .. }),
        "{e:?}"
    );
}

/// What a Kubernetes API server proxy that wants its own token answers.
fn not_prometheus() -> Reply {
    http(
        "401 Unauthorized",
        "application/json",
        r#"{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}"#,
    )
}

#[tokio::test]
async fn tls_failures_are_unreachable_and_name_the_cause() {
    // https:// to a plain-HTTP server.
    let plain = serve(http("400 Bad Request", "text/plain", "not TLS")).await;
    let url = plain.url().replace("http://", "https://");
    let e = client(&url).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e:?}");
    let text = BackendError::from(e.clone()).to_string().to_lowercase();
    assert!(
        text.contains("corrupt message") || text.contains("tls"),
        "the handshake is named: {text}"
    );
    assert_eq!(e.location, format!("{url}/api/v1/query"));

    // A real TLS server whose CA nobody trusts.
    let tls = Server::start_tls(not_prometheus()).await;
    let e = client(&tls.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e:?}");
    let text = BackendError::from(e).to_string();
    assert!(
        text.starts_with("metrics unreachable: cannot reach Prometheus")
            && text.contains("certificate")
            && text.contains("UnknownIssuer"),
        "the cause is the certificate's issuer: {text}"
    );
    assert_eq!(tls.request_count(), 0, "no request passed the handshake");

    // Control: with verification off the handshake passes and the server
    // (not Prometheus) answers: a Kubernetes `Status` JSON with HTTP 401,
    // which is "unauthenticated", not a malformed Prometheus envelope.
    let mut cfg = ClientConfig::new(tls.url()).timeout(Duration::from_secs(5));
    cfg.insecure_tls = true;
    let e = PromClient::new(cfg)
        .unwrap()
        .query("up", None)
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::Unauthenticated,
        "past the handshake: {e:?}"
    );
}

#[tokio::test]
async fn a_private_ca_is_trusted_once_its_bundle_is_given() {
    let answer = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"p"},"value":[1795824000,"1"]}]}}"#;
    let tls = Server::start_tls(http("200 OK", "application/json", answer)).await;
    let e = client(&tls.url()).query("up", None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Unreachable, "{e:?}");

    // The CA file, as `ca_cert_path` of the profile's [metrics] table.
    let ca = tls.write_ca_file("prometheus-ca");
    let settings: modeldeck_core::config::EndpointSettings = toml::from_str(&format!(
        "url = {:?}\nca_cert_path = {:?}\n",
        tls.url(),
        ca.display().to_string()
    ))
    .unwrap();
    let c = PromClient::new(ClientConfig::from_endpoint(&settings, None).unwrap()).unwrap();
    let r = c.query("up", None).await.unwrap();
    let QueryData::Vector(v) = r.data else {
        panic!("{:?}", r.data)
    };
    assert_eq!(v.len(), 1);
    assert_eq!(tls.request_count(), 1, "one query, past the handshake");

    // A bundle that is not there fails the client, naming the file.
    let missing = ca.with_file_name("missing.pem");
    let e = PromClient::new(ClientConfig::new(tls.url()).ca_cert_path(&missing)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest, "{e:?}");
    assert!(e.to_string().contains("missing.pem"), "{e}");
    let _ = std::fs::remove_dir_all(ca.parent().unwrap());
}
