//! One status, one code: every HTTP error status 400..=599 becomes the
//! same `ErrorCode` through the MLflow client's error path, the Prometheus
//! client's and the kube adapter's, and that code is the core's
//! `ErrorCode::from_http_status`. The MLflow and Prometheus clients get the
//! status from a real socket (a body that is neither's JSON envelope, so
//! the status alone decides); kube gets it as the `Status` kube-rs builds.
//! One refinement: MLflow's envelope-less 404 is `unsupported` ("not an
//! MLflow server at …"), asserted below.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::error::{BackendError, ErrorCode};
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, RetryPolicy};
use modeldeck_prometheus::{ClientConfig, PromClient};
use modeldeck_testkit::{Reply, Server};
use std::time::Duration;

fn mlflow(url: &str) -> MlflowClient {
    let mut cfg = MlflowConfig::new(url, Auth::None).unwrap();
    cfg.retry = RetryPolicy::NONE; // the status itself, not a retry of it
    cfg.timeout = Duration::from_secs(5);
    MlflowClient::new(cfg).unwrap()
}

fn prometheus(url: &str) -> PromClient {
    PromClient::new(ClientConfig::new(url).timeout(Duration::from_secs(5))).unwrap()
}

fn kube_path(status: u16) -> ErrorCode {
    let s = kube::core::Status::failure("refused", "Reason").with_code(status);
    modeldeck_kube::error::from_kube(kube::Error::Api(Box::new(s)), "ctx", "get thing").code
}

#[tokio::test]
async fn every_error_status_is_one_code_in_all_three_clients() {
    let statuses: Vec<u16> = (400..=599).collect();
    // Request 2n (MLflow) and 2n+1 (Prometheus) get status n.
    let replies = statuses
        .iter()
        .flat_map(|s| {
            let r = Reply::http(&format!("{s} Status {s}"), "text/plain", "no envelope here");
            [r.clone(), r]
        })
        .collect();
    let server = Server::start(Reply::Sequence(replies)).await;
    let (mlflow, prometheus) = (mlflow(&server.url()), prometheus(&server.url()));
    let mut table = Vec::new();
    for &status in &statuses {
        let via_mlflow = mlflow.get_model("m").await.unwrap_err().code;
        let via_prometheus =
            BackendError::from(prometheus.query("up", None).await.unwrap_err()).code;
        let via_kube = kube_path(status);
        let expected = ErrorCode::from_http_status(status);
        // The one refinement: a 404 without MLflow's envelope is a route
        // MLflow does not have (another product, or too old a server), not
        // a missing model (MLflow says that in its envelope).
        let expected_mlflow = if status == 404 {
            ErrorCode::Unsupported
        } else {
            expected
        };
        assert_eq!(
            (via_mlflow, via_prometheus, via_kube),
            (expected_mlflow, expected, expected),
            "HTTP {status}: (mlflow, prometheus, kube)"
        );
        table.push((status, expected));
    }
    assert_eq!(
        server.request_count(),
        2 * statuses.len(),
        "one request per client and status"
    );
    // The decisions the map documents, seen through the clients.
    let code = |s: u16| table.iter().find(|(t, _)| *t == s).map(|(_, c)| *c);
    assert_eq!(code(401), Some(ErrorCode::Unauthenticated));
    assert_eq!(code(408), Some(ErrorCode::Timeout));
    assert_eq!(code(410), Some(ErrorCode::Conflict));
    assert_eq!(code(413), Some(ErrorCode::TooLarge));
    assert_eq!(code(429), Some(ErrorCode::ServerError));
    assert_eq!(code(504), Some(ErrorCode::Timeout));
}
