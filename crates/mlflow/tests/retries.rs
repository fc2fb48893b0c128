//! Retries against a server that fails N times, then answers: idempotent
//! calls (GETs, tag and alias setters, DELETEs) come through, calls that may
//! create something are sent once, the limit holds, and MLflow's own
//! `MLFLOW_HTTP_REQUEST_MAX_RETRIES` / `_BACKOFF_FACTOR` / `_TIMEOUT` steer it.

mod common;

use modeldeck_core::ErrorCode;
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig};
use modeldeck_testkit::{Reply, Server};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const MODEL: &str =
    r#"{"registered_model":{"name":"fraud","aliases":[{"alias":"champion","version":"3"}]}}"#;

fn json(body: &str) -> Reply {
    Reply::http("200 OK", "application/json", body)
}

fn status(line: &str) -> Reply {
    Reply::http(
        line,
        "application/json",
        r#"{"error_code":"TEMPORARILY_UNAVAILABLE","message":"try later"}"#,
    )
}

#[allow(clippy::expect_used)]
fn client(uri: &str, max_retries: u32) -> MlflowClient {
    let mut cfg = MlflowConfig::new(uri, Auth::None).expect("config");
    cfg.retry.max_retries = max_retries;
    cfg.retry.backoff_factor = Duration::from_millis(10);
    MlflowClient::new(cfg).expect("client")
}

#[tokio::test]
async fn reads_come_through_after_transient_failures() {
    for failure in [
        "503 Service Unavailable",
        "502 Bad Gateway",
        "504 Gateway Timeout",
        "429 Too Many Requests",
    ] {
        let s = Server::start(Reply::fail_then(2, status(failure), json(MODEL))).await;
        let m = client(&s.url(), 3).get_model("fraud").await.unwrap();
        assert_eq!(m.name, "fraud", "{failure}");
        assert_eq!(
            s.request_count(),
            3,
            "{failure}: two failures, then the answer"
        );
    }
}

#[tokio::test]
async fn idempotent_writes_are_retried_and_creating_ones_are_not() {
    let s = Server::start(Reply::fail_then(
        1,
        status("503 Service Unavailable"),
        json("{}"),
    ))
    .await;
    let c = client(&s.url(), 3);
    c.set_alias("fraud", "champion", "3").await.unwrap();
    c.set_model_tag("fraud", "k", "v").await.unwrap();
    c.delete_alias("fraud", "challenger").await.unwrap();
    assert_eq!(s.request_count(), 4, "one failure, then three answers");
    let reqs = s.requests();
    assert!(
        reqs[0].starts_with("POST /api/2.0/mlflow/registered-models/alias"),
        "{}",
        reqs[0]
    );
    assert!(
        reqs[1].starts_with("POST /api/2.0/mlflow/registered-models/alias"),
        "the same request again: {}",
        reqs[1]
    );
    assert!(
        reqs[1].contains(r#""version":"3""#),
        "the body is sent again: {}",
        reqs[1]
    );

    // A generic POST may create something: sent once, the 503 is the answer.
    let s = Server::start(Reply::fail_then(
        1,
        status("503 Service Unavailable"),
        json("{}"),
    ))
    .await;
    let e = client(&s.url(), 3)
        .post_json::<serde_json::Value>(
            "model-versions/create",
            &serde_json::json!({"name": "fraud"}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ServerError, "{e}");
    assert_eq!(s.request_count(), 1);
}

#[tokio::test]
async fn the_limit_holds_and_the_last_failure_is_the_error() {
    let s = Server::start(status("503 Service Unavailable")).await;
    let e = client(&s.url(), 2).get_model("fraud").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ServerError, "{e}");
    assert!(
        e.message.contains("TEMPORARILY_UNAVAILABLE: try later"),
        "{e}"
    );
    assert_eq!(s.request_count(), 3, "one try and two retries");

    // A 429 that never ends is the code of 429, after the retries.
    let s = Server::start(status("429 Too Many Requests")).await;
    let e = client(&s.url(), 1).get_model("fraud").await.unwrap_err();
    assert_eq!(
        (e.code, s.request_count()),
        (ErrorCode::ServerError, 2),
        "{e}"
    );

    // Not transient: a 500 and a 404 are answered at once.
    for line in ["500 Internal Server Error", "404 Not Found"] {
        let s = Server::start(status(line)).await;
        let _ = client(&s.url(), 5).get_model("fraud").await.unwrap_err();
        assert_eq!(s.request_count(), 1, "{line}");
    }
}

#[tokio::test]
async fn mlflow_variables_set_the_retries() {
    let env = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let s = Server::start(Reply::fail_then(
        4,
        status("503 Service Unavailable"),
        json(MODEL),
    ))
    .await;
    let uri = s.url();
    let cfg = MlflowConfig::from_env_map(&env(&[
        ("MLFLOW_TRACKING_URI", &uri),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0"),
    ]))
    .unwrap();
    let e = MlflowClient::new(cfg)
        .unwrap()
        .get_model("fraud")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ServerError, "{e}");
    assert_eq!(s.request_count(), 2, "MLFLOW_HTTP_REQUEST_MAX_RETRIES=1");

    // The server has failed 2 of its 4 times; 5 retries with a 1 s factor
    // wait 0 s, then 2 s, and the third try gets the model.
    let cfg = MlflowConfig::from_env_map(&env(&[
        ("MLFLOW_TRACKING_URI", &uri),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "5"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1"),
    ]))
    .unwrap();
    let t = Instant::now();
    let m = MlflowClient::new(cfg)
        .unwrap()
        .get_model("fraud")
        .await
        .unwrap();
    assert_eq!(m.name, "fraud");
    assert_eq!(s.request_count(), 5);
    assert!(
        t.elapsed() >= Duration::from_millis(1900),
        "waited {:?}",
        t.elapsed()
    );

    // The timeout is per attempt, and a timed-out request is not retried.
    let s = Server::start(Reply::fail_then(1, Reply::Silent, json(MODEL))).await;
    let uri = s.url();
    let mut cfg = MlflowConfig::from_env_map(&env(&[
        ("MLFLOW_TRACKING_URI", &uri),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "1"),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "3"),
    ]))
    .unwrap();
    assert_eq!(cfg.timeout, Duration::from_secs(1));
    cfg.retry.backoff_factor = Duration::ZERO;
    let e = MlflowClient::new(cfg)
        .unwrap()
        .get_model("fraud")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout, "{e}");
    assert_eq!(s.request_count(), 1);
}
