//! The real binary against a registry alone: a small HTTP server speaking
//! MLflow's REST API, with no kubeconfig and no Prometheus configured.
//!
//! - Hostile text: the registry (as a compromised server or proxy would)
//!   hands out an alias and a metric name carrying a bidi override ("Trojan
//!   Source") and terminal escapes. The table must show them neutralized, by
//!   the same sanitizer the TUI uses; the JSON output must keep the raw
//!   value (it is data: the encoder escapes it).
//! - The backends the profile leaves out are `not_configured` (by their
//!   error code), not failures.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BIN, Run, TempDir};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

/// Reorders the rest of a line when a terminal obeys it.
const RLO: char = '\u{202E}';
/// An alias with a right-to-left override and a clear-screen escape.
const ALIAS: &str = "champion\u{202E}7v\u{1b}[2J";
/// A metric name with a right-to-left isolate.
const METRIC: &str = "auc\u{2067}";
const MODEL: &str = "fraud-detector";

/// Answers MLflow's REST routes that `modeldeck versions` reads, one
/// request per connection, until the test process ends.
fn hostile_mlflow() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let version = |v: &str, run: &str| {
        json!({"name": MODEL, "version": v, "creation_timestamp": 1_700_000_000_000_i64,
               "status": "READY", "source": "s3://models/fraud", "run_id": run})
    };
    let model = json!({"name": MODEL, "creation_timestamp": 1_700_000_000_000_i64,
        "last_updated_timestamp": 1_700_000_000_000_i64,
        "aliases": [{"alias": ALIAS, "version": "2"}],
        "latest_versions": [version("2", "run-2")]});
    let run = json!({"run": {"info": {"run_id": "run-2", "experiment_id": "0"},
        "data": {"metrics": [{"key": METRIC, "value": 0.91, "timestamp": 0, "step": 0}]}}});
    let routes: Vec<(&str, String)> = vec![
        ("/version", "3.17.2".into()),
        (
            "/registered-models/search",
            json!({"registered_models": [model]}).to_string(),
        ),
        (
            "/registered-models/get",
            json!({"registered_model": model}).to_string(),
        ),
        (
            "/model-versions/search",
            json!({"model_versions": [version("2", "run-2"), version("1", "")]}).to_string(),
        ),
        ("/runs/get", run.to_string()),
    ];
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer(stream, &routes);
        }
    });
    url
}

fn answer(mut stream: TcpStream, routes: &[(&str, String)]) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Headers end at an empty line; GETs carry no body.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    let (status, body) = match routes.iter().find(|(r, _)| path.ends_with(r)) {
        Some((_, body)) => ("200 OK", body.clone()),
        None => (
            "404 Not Found",
            json!({"error_code": "ENDPOINT_NOT_FOUND", "message": path}).to_string(),
        ),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// `modeldeck <args>` against the registry at `url` only: no config file,
/// no kubeconfig, no Prometheus.
fn run_against(url: &str, args: &[&str]) -> Run {
    let home = TempDir::new("hostile-home");
    Command::new(BIN)
        .args(args)
        .env("MODELDECK_LOG_DIR", home.0.join("logs"))
        .env("MODELDECK_CONFIG", home.0.join("no-such-config.toml"))
        .env("HOME", &home.0)
        .env("MLFLOW_TRACKING_URI", url)
        .env("MLFLOW_TRACKING_TOKEN", "test-token")
        .env_remove("KUBECONFIG")
        .env_remove("PROMETHEUS_URL")
        .env_remove("MODELDECK_PROFILE")
        .env_remove("MODELDECK_REGISTRY_URL")
        .env_remove("MODELDECK_METRICS_URL")
        .output()
        .unwrap()
        .into()
}

#[test]
fn a_bidi_override_in_an_alias_cannot_reorder_the_versions_table() {
    let url = hostile_mlflow();
    let r = run_against(&url, &["versions", MODEL]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let table = &r.stdout;
    for bad in [RLO, '\u{2067}', '\u{1b}'] {
        assert!(
            !table.contains(bad),
            "{bad:?} reached the terminal:\n{table}"
        );
    }
    // Neutralized in place, one visible mark per hostile character, in the
    // alias column and in a metric column's header.
    assert!(table.contains("champion\u{FFFD}7v\u{FFFD}[2J"), "{table}");
    assert!(table.contains("AUC\u{FFFD}"), "{table}");
    // The rows are still rows: the header, two versions, a blank line and
    // the count.
    assert_eq!(table.lines().count(), 5, "{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("v2 "), "{table}");
}

#[test]
fn json_keeps_the_raw_hostile_value() {
    let url = hostile_mlflow();
    let r = run_against(&url, &["versions", MODEL, "--output", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    // The encoder escapes the control character; the override is text.
    assert!(r.stdout.contains("\\u001b[2J"), "{}", r.stdout);
    assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let v2 = &doc["versions"][0];
    assert_eq!(v2["version"], "2", "{doc}");
    assert_eq!(v2["aliases"], json!([ALIAS]), "the raw alias: {doc}");
    assert!(v2["metrics"][METRIC].is_number(), "{doc}");
}

#[test]
fn backends_left_out_are_not_configured_by_code_and_not_failures() {
    let url = hostile_mlflow();
    let r = run_against(&url, &["status", "--output", "json"]);
    assert_eq!(r.code, 0, "nothing failed: {}\n{}", r.stderr, r.stdout);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    let backend = |name: &str| {
        doc["backends"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["backend"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(backend("registry")["state"], "ready", "{doc}");
    for name in ["cluster", "metrics"] {
        let b = backend(name);
        assert_eq!(b["state"], "not_configured", "{b}");
        assert_eq!(b["error"]["code"], "not_configured", "{b}");
    }
    let table = run_against(&url, &["status"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("metrics") && l.contains("not_configured")),
        "{}",
        table.stdout
    );
}
