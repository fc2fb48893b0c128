//! Unit tests of status and body mapping (bodies as MLflow 3.17.2 sent them).

use super::*;

const LOC: &str = "http://127.0.0.1:5000/api/2.0/mlflow/x";

#[test]
fn json_envelope_keeps_mlflow_code() {
    let body = br#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Registered Model with name=x not found","sqlstate":"KAM00","error_class":"RESOURCE_NOT_FOUND"}"#;
    let f = from_status(StatusCode::NOT_FOUND, "application/json", body, LOC);
    assert_eq!(f.error.code, ErrorCode::NotFound);
    assert_eq!(f.mlflow_code.as_deref(), Some("RESOURCE_DOES_NOT_EXIST"));
    assert!(!f.is_missing_route());
    assert_eq!(
        f.error.message,
        "HTTP 404 RESOURCE_DOES_NOT_EXIST: Registered Model with name=x not found"
    );
    assert_eq!(f.error.location.as_deref(), Some(LOC));
}

#[test]
fn html_404_is_a_missing_route() {
    let body = b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.</p>";
    let f = from_status(StatusCode::NOT_FOUND, "text/html; charset=utf-8", body, LOC);
    // Not "no such model": the server is not MLflow (or too old).
    assert_eq!(f.error.code, ErrorCode::Unsupported);
    assert!(f.is_missing_route());
    assert!(
        f.error
            .message
            .starts_with("not an MLflow server at http://127.0.0.1:5000: HTTP 404"),
        "{}",
        f.error.message
    );
    assert!(
        f.error.message.contains("no such API route"),
        "{}",
        f.error.message
    );
    assert!(!f.error.message.contains('<'), "{}", f.error.message);
}

#[test]
fn plain_text_auth_errors() {
    let f = from_status(
        StatusCode::UNAUTHORIZED,
        "text/html; charset=utf-8",
        b"You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html",
        LOC,
    );
    assert_eq!(f.error.code, ErrorCode::Unauthenticated);
    assert!(f.error.message.contains("You are not authenticated"));
    let f = from_status(
        StatusCode::FORBIDDEN,
        "text/html",
        b"Permission denied",
        LOC,
    );
    assert_eq!(f.error.code, ErrorCode::Forbidden);
    assert!(
        f.error.message.ends_with("Permission denied"),
        "{}",
        f.error.message
    );
}

#[test]
fn statuses_map_to_codes() {
    for (s, c) in [
        (400, ErrorCode::InvalidRequest),
        (405, ErrorCode::InvalidRequest),
        (409, ErrorCode::Conflict),
        (429, ErrorCode::ServerError),
        (500, ErrorCode::ServerError),
        (503, ErrorCode::ServerError),
    ] {
        let f = from_status(StatusCode::from_u16(s).unwrap(), "", b"", LOC);
        assert_eq!(f.error.code, c, "status {s}");
    }
}

#[test]
fn malformed_names_the_endpoint_and_truncation() {
    let body = br#"{"registered_models": [{"name": "a""#;
    let e = serde_json::from_slice::<serde_json::Value>(body).unwrap_err();
    let f = malformed("registered-models/search", LOC, body, &e);
    assert_eq!(f.error.code, ErrorCode::MalformedResponse);
    assert!(f.error.message.contains("registered-models/search"));
    assert!(f.error.message.contains("truncated"), "{}", f.error.message);
    let e = serde_json::from_slice::<serde_json::Value>(b"<html>").unwrap_err();
    let f = malformed("runs/get", LOC, b"<html>", &e);
    assert!(
        f.error.message.contains("invalid JSON"),
        "{}",
        f.error.message
    );
}
