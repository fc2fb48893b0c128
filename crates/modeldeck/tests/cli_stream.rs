//! `modeldeck status` and stream consumers (issue 14): the `stream` object
//! of the JSON (docs/cli.md), the LAG column, and worst-first sorting
//! across kinds, on the sandbox whose fraud consumer falls behind after
//! its deploy.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json, keys, run, sorted};
use serde_json::Value;

fn rows(v: &Value) -> &Vec<Value> {
    v["workloads"].as_array().unwrap()
}

#[test]
fn a_stream_consumer_has_the_documented_stream_object() {
    let st = json(&["status"]);
    let mut consumers = 0;
    for w in rows(&st) {
        let kind = w["kind"].as_str().unwrap();
        let Some(s) = w.get("stream") else {
            assert_ne!(kind, "stream_consumer", "a consumer without lag: {w}");
            continue;
        };
        consumers += 1;
        assert_eq!(kind, "stream_consumer", "{w}");
        assert_eq!(
            keys(s),
            sorted(&[
                "group",
                "topic",
                "lag_messages",
                "lag_seconds",
                "throughput",
                "trend",
                "slope_per_s",
                "top_partitions",
                "thresholds",
                "verdict"
            ]),
            "{s}"
        );
        assert!(
            ["growing", "shrinking", "steady", "unknown"].contains(&s["trend"].as_str().unwrap())
        );
        assert!(["behind", "growing", "high", "ok"].contains(&s["verdict"].as_str().unwrap()));
        let parts = s["top_partitions"].as_array().unwrap();
        assert!(!parts.is_empty() && parts.len() <= 3);
        for p in parts {
            assert_eq!(keys(p), sorted(&["topic", "partition", "lag"]));
        }
        // The lag is the sum over every partition: at least the top ones'.
        let top: f64 = parts.iter().map(|p| p["lag"].as_f64().unwrap()).sum();
        assert!(s["lag_messages"].as_f64().unwrap() >= top);
    }
    assert!(consumers >= 1);
    let fraud = rows(&st)
        .iter()
        .find(|w| w["name"] == "fraud-stream-scorer")
        .unwrap();
    let s = &fraud["stream"];
    assert_eq!(s["group"], "fraud-scoring");
    assert_eq!(s["topic"], "payments.authorizations");
    assert_eq!(s["trend"], "growing");
    assert_eq!(s["verdict"], "behind");
    assert!(s["lag_seconds"].as_f64().unwrap() > 300.0);
}

#[test]
fn worst_first_puts_the_consumer_falling_behind_on_top() {
    let by_rollout = json(&["status", "--sort", "rollout"]);
    assert_eq!(rows(&by_rollout)[0]["name"], "fraud-stream-scorer");
    // Then the failed nightly batch run: worst first across kinds.
    assert_eq!(rows(&by_rollout)[1]["rollout"], "failed");
    let by_lag = json(&["status", "--sort", "lag", "--desc"]);
    assert_eq!(rows(&by_lag)[0]["name"], "fraud-stream-scorer");
    assert_eq!(by_lag["sort"]["column"], "lag");
}

#[test]
fn the_table_shows_lag_with_its_trend_and_seconds() {
    let r = run(&["--sandbox", "status"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let header = r.stdout.lines().next().unwrap();
    assert!(header.contains(" LAG "), "{header}");
    let line = r
        .stdout
        .lines()
        .find(|l| l.contains("fraud-stream-scorer"))
        .unwrap();
    assert!(line.contains("M ↑ "), "{line}");
    assert!(line.contains('m'), "seconds behind in minutes: {line}");
    let other = r
        .stdout
        .lines()
        .find(|l| l.contains("spam-filter"))
        .unwrap();
    let lag_end = header.find(" LAG").unwrap() + " LAG".len();
    let cells: Vec<char> = other.chars().collect();
    assert_eq!(cells[lag_end - 1], '-', "{other}");
}
