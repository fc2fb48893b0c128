//! The foundation against real sockets (the testkit's hostile server):
//! retries that stop at success, at the limit, and never for a request that
//! is not idempotent; bodies refused at the cap without being read; TLS
//! with an untrusted CA refused, then accepted with its CA file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_http::{
    BodyError, ClientOptions, RetryPolicy, build_client, error_chain, read_capped,
    send_with_retries,
};
use modeldeck_testkit::{Reply, Server};
use std::time::{Duration, Instant};

fn client() -> reqwest::Client {
    build_client(&ClientOptions::new(
        Duration::from_secs(5),
        "modeldeck-http-test",
    ))
    .unwrap()
}

fn quick(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        backoff_factor: Duration::from_millis(10),
        max_backoff: Duration::from_secs(1),
    }
}

fn unavailable() -> Reply {
    Reply::http("503 Service Unavailable", "text/plain", "busy")
}

fn ok() -> Reply {
    Reply::http("200 OK", "application/json", "{}")
}

#[tokio::test]
async fn retries_until_the_server_recovers() {
    let s = Server::start(Reply::fail_then(2, unavailable(), ok())).await;
    let c = client();
    let url = s.url();
    let r = send_with_retries(&quick(3), true, || c.get(&url))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.request_count(), 3, "two failures, one success");

    // Every retryable status, one failure each.
    for status in [
        "429 Too Many Requests",
        "502 Bad Gateway",
        "504 Gateway Timeout",
    ] {
        let s = Server::start(Reply::fail_then(
            1,
            Reply::http(status, "text/plain", ""),
            ok(),
        ))
        .await;
        let url = s.url();
        let r = send_with_retries(&quick(1), true, || c.get(&url))
            .await
            .unwrap();
        assert_eq!(
            (r.status().as_u16(), s.request_count()),
            (200, 2),
            "{status}"
        );
    }
}

#[tokio::test]
async fn gives_up_after_the_limit_and_returns_the_last_answer() {
    let s = Server::start(Reply::fail_then(10, unavailable(), ok())).await;
    let c = client();
    let url = s.url();
    let r = send_with_retries(&quick(2), true, || c.get(&url))
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(s.request_count(), 3, "one try and two retries");
}

#[tokio::test]
async fn never_retries_what_is_not_idempotent_or_not_transient() {
    let c = client();
    let s = Server::start(Reply::fail_then(1, unavailable(), ok())).await;
    let url = s.url();
    let r = send_with_retries(&quick(5), false, || c.post(&url))
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), s.request_count()), (503, 1));

    // A 500 is a server error that a retry usually repeats.
    let s = Server::start(Reply::fail_then(
        1,
        Reply::http("500 Internal Server Error", "text/plain", "bug"),
        ok(),
    ))
    .await;
    let url = s.url();
    let r = send_with_retries(&quick(5), true, || c.get(&url))
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), s.request_count()), (500, 1));

    // A timeout: the request may have run and its budget is spent.
    let s = Server::start(Reply::fail_then(1, Reply::Silent, ok())).await;
    let url = s.url();
    let short = build_client(&ClientOptions::new(Duration::from_millis(200), "t")).unwrap();
    let e = send_with_retries(&quick(5), true, || short.get(&url))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(s.request_count(), 1);
}

#[tokio::test]
async fn retries_connect_errors_until_a_server_listens() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let c = client();
    // Waits 0, 200, 400, 800 ms: the server comes up during them.
    let policy = RetryPolicy {
        max_retries: 4,
        backoff_factor: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
    };
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Server::start_on(port, ok()).await
    });
    let r = send_with_retries(&policy, true, || c.get(&url))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let server = late.await.unwrap();
    assert_eq!(server.request_count(), 1);

    // Without retries the same refusal is the answer.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let e = send_with_retries(&RetryPolicy::NONE, true, || c.get(&gone))
        .await
        .unwrap_err();
    assert!(e.is_connect(), "{e:?}");
}

#[tokio::test]
async fn honours_retry_after_seconds() {
    let limited = Reply::Raw(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            .to_vec(),
    );
    let s = Server::start(Reply::fail_then(1, limited, ok())).await;
    let c = client();
    let url = s.url();
    let t = Instant::now();
    let r = send_with_retries(&quick(2), true, || c.get(&url))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_unread() {
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    let c = client();
    for declare in [true, false] {
        let head = if declare {
            format!("HTTP/1.1 200 OK\r\nContent-Length: {HUNDRED_MB}\r\n\r\n")
        } else {
            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string()
        };
        let s = Server::start(Reply::Stream {
            head,
            total: HUNDRED_MB,
            fill: b'x',
        })
        .await;
        let resp = c.get(s.url()).send().await.unwrap();
        let e = read_capped(resp, 1 << 20).await.unwrap_err();
        let BodyError::TooLarge { limit, declared } = e else {
            panic!("{e:?}")
        };
        assert_eq!(limit, 1 << 20);
        assert_eq!(declared, declare.then_some(HUNDRED_MB));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            s.body_bytes_written() < HUNDRED_MB / 4,
            "the body was read: {} bytes",
            s.body_bytes_written()
        );
    }
    let s = Server::start(Reply::http("200 OK", "text/plain", "small")).await;
    let body = read_capped(c.get(s.url()).send().await.unwrap(), 5)
        .await
        .unwrap();
    assert_eq!(body, b"small", "a body of exactly the cap passes");
}

#[tokio::test]
async fn an_untrusted_ca_fails_the_handshake_until_its_file_is_given() {
    let s = Server::start_tls(ok()).await;
    let e = client().get(s.url()).send().await.unwrap_err();
    assert!(e.is_connect(), "{e:?}");
    let text = error_chain(&e);
    assert!(text.contains("UnknownIssuer"), "{text}");

    let ca = s.write_ca_file("http-client");
    let mut o = ClientOptions::new(Duration::from_secs(5), "t");
    o.ca_cert_path = Some(ca.clone());
    let r = build_client(&o).unwrap().get(s.url()).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let mut o = ClientOptions::new(Duration::from_secs(5), "t");
    o.insecure_tls = true;
    let r = build_client(&o).unwrap().get(s.url()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = std::fs::remove_dir_all(ca.parent().unwrap());
}
