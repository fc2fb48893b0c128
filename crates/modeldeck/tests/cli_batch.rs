//! `modeldeck status -o json` on the sandbox: a CronJob's `batch` object
//! carries its runs of the last 7 days and the typical duration, as
//! docs/cli.md documents them (the demo's nightly scoring job failed last
//! night and five nights before).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{json, keys, sorted};
use serde_json::Value;

#[test]
fn the_nightly_jobs_runs_and_typical_duration() {
    let st = json(&["status"]);
    let w = st["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "churn-batch-scoring")
        .expect("the demo's nightly scoring job");
    let b = &w["batch"];
    assert_eq!(
        keys(b),
        sorted(&[
            "result",
            "verdict",
            "schedule",
            "last_run",
            "last_success",
            "next_run",
            "missed",
            "note",
            "runs",
            "typical_duration_seconds"
        ])
    );
    let runs = b["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 7, "a nightly job's week: {b}");
    let day = 86_400_000;
    let at = st["at_ms"].as_i64().unwrap();
    let mut prev = i64::MIN;
    for r in runs {
        assert_eq!(
            keys(r),
            sorted(&["job", "start", "end", "outcome", "version", "rows"])
        );
        let start = r["start"].as_i64().unwrap();
        assert!(start > prev && start > at - 7 * day && start <= at, "{r}");
        prev = start;
        assert!(
            r["job"]
                .as_str()
                .unwrap()
                .starts_with("churn-batch-scoring-")
        );
        assert!(r["version"].is_string(), "{r}");
        let end = r["end"].as_i64().unwrap();
        assert_eq!(end - start, 40 * 60_000 - 4_000, "40-minute runs: {r}");
    }
    let outcomes: Vec<&str> = runs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "succeeded",
            "succeeded",
            "failed",
            "succeeded",
            "succeeded",
            "succeeded",
            "failed"
        ]
    );
    // The median of the successes (each 39m56s).
    assert_eq!(b["typical_duration_seconds"], Value::from(2396));
    assert_eq!(
        (b["verdict"].as_str(), w["rollout"].as_str()),
        (Some("failed"), Some("failed"))
    );
    // The last run is the one `last_run` names (its scheduled minute).
    let last = runs.last().unwrap()["start"].as_i64().unwrap();
    assert_eq!(b["last_run"].as_i64().unwrap() / 60_000, last / 60_000);
}

/// The demo's weekly Argo pipeline (`kind` `pipeline`) carries the same
/// `batch` object: last week's run failed, the next is due next Sunday.
#[test]
fn the_weekly_pipeline_is_a_batch_workload() {
    let st = json(&["status"]);
    let w = st["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "ltv-retrain-pipeline")
        .expect("the demo's weekly pipeline");
    assert_eq!(w["kind"], "pipeline");
    assert_eq!(w["model"], "ltv-estimator");
    let b = &w["batch"];
    assert_eq!(b["schedule"], "0 3 * * 0");
    let at = st["at_ms"].as_i64().unwrap();
    let week = 7 * 86_400_000;
    let next = b["next_run"].as_i64().unwrap();
    assert!(next > at && next <= at + week, "{b}");
    let runs = b["runs"].as_array().unwrap();
    assert!(
        !runs.is_empty() && runs.len() <= 2,
        "a week of a weekly run: {b}"
    );
    let last = runs.last().unwrap();
    assert_eq!(last["outcome"], "failed", "{b}");
    assert!(last["version"].is_string(), "{last}");
    assert_eq!(
        last["end"].as_i64().unwrap() - last["start"].as_i64().unwrap(),
        95 * 60_000 - 4_000,
        "95-minute runs: {last}"
    );
    assert_eq!(
        (b["verdict"].as_str(), w["rollout"].as_str()),
        (Some("failed"), Some("failed"))
    );
}
