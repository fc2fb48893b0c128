//! The verdicts of the verification step, from workloads as the adapters
//! read them (built from JSON, as the CLI prints them).

use super::*;
use serde_json::json;

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn cron(runs: serde_json::Value) -> Workload {
    serde_json::from_value(json!({
        "cluster": "prod-eu", "namespace": "commerce", "kind": "cron_job",
        "name": "churn-batch-scoring", "uid": "u1", "resource_version": "7",
        "model": "churn-model", "served_version": "4", "canary": null,
        "ready_replicas": 0, "desired_replicas": 0, "rollout": {"state": "idle"},
        "labels": {}, "created_at": t("2026-10-01T00:00:00Z"),
        "batch": {"schedule": "0 2 * * *", "suspended": false, "active": 0,
                  "last_schedule": t("2026-12-05T02:00:00Z"), "last_success": null,
                  "runs": runs}
    }))
    .unwrap()
}

fn run(job: &str, start: &str, outcome: &str, version: &str) -> serde_json::Value {
    json!({"job": job, "start": t(start), "end": null, "outcome": outcome, "version": version})
}

#[test]
fn a_cronjob_waits_for_its_next_run_then_takes_the_first_run_of_the_new_version() {
    let executed = t("2026-12-05T16:30:00Z");
    let now = t("2026-12-05T17:00:00Z");
    // Only runs before the execution: waiting, with tonight's time.
    let w = cron(json!([run(
        "churn-1",
        "2026-12-05T02:00:04Z",
        "failed",
        "3"
    )]));
    let v = batch_entry(&w, executed, "4", now);
    assert_eq!(v.state, VerificationState::Waiting);
    assert_eq!(v.next_run, Some(t("2026-12-06T02:00:00Z")));
    assert_eq!(
        v.detail, "waiting for the next run at 2026-12-06T02:00:00Z",
        "{v:?}"
    );
    // A later run of another version (someone rolled back) does not count;
    // the first one of v4 after the execution does, whatever came later.
    let w = cron(json!([
        run("churn-2", "2026-12-06T02:00:04Z", "succeeded", "3"),
        run("churn-4", "2026-12-08T02:00:04Z", "succeeded", "4"),
        run("churn-3", "2026-12-07T02:00:04Z", "failed", "4"),
    ]));
    let v = batch_entry(&w, executed, "4", t("2026-12-08T03:00:00Z"));
    assert_eq!(
        (v.state, v.job.as_deref()),
        (VerificationState::Failed, Some("churn-3"))
    );
    let w = cron(json!([run(
        "churn-5",
        "2026-12-06T02:00:04Z",
        "running",
        "4"
    )]));
    let v = batch_entry(&w, executed, "4", t("2026-12-06T02:10:00Z"));
    assert_eq!(v.state, VerificationState::Running);
    let w = cron(json!([run(
        "churn-6",
        "2026-12-06T02:00:04Z",
        "succeeded",
        "4"
    )]));
    let v = batch_entry(&w, executed, "4", t("2026-12-06T03:00:00Z"));
    assert_eq!(v.state, VerificationState::Verified);
    assert!(v.detail.contains("churn-6") && v.detail.contains("succeeded with v4"));
}

fn lag(messages: f64, seconds: Option<f64>) -> StreamLag {
    StreamLag {
        group: "fraud-scoring".into(),
        topic: "payments".into(),
        lag_messages: messages,
        lag_seconds: seconds,
        ..StreamLag::default()
    }
}

#[test]
fn a_consumer_is_verified_under_its_threshold_and_fails_after_the_window() {
    let mut w = cron(json!([]));
    w.id.kind = WorkloadKind::StreamConsumer;
    w.batch = None;
    let since = t("2026-12-05T16:30:00Z");
    let win = LAG_WINDOW;
    let none = LagSettings::default();
    let th = lag_thresholds_for(&none, &w);
    assert_eq!(th, LagThresholds::default());
    let under = lag(th.max_messages - 1.0, None);
    let over = lag(th.max_messages * 18.0, None);
    let v = stream_entry(
        &none,
        &w,
        Some(&under),
        since,
        t("2026-12-05T16:31:00Z"),
        win,
    );
    assert_eq!(v.state, VerificationState::Verified, "{v:?}");
    assert_eq!(v.threshold, Some(th));
    let v = stream_entry(
        &none,
        &w,
        Some(&over),
        since,
        t("2026-12-05T16:44:59Z"),
        win,
    );
    assert_eq!(v.state, VerificationState::Waiting, "{v:?}");
    assert_eq!(v.window_ends, Some(t("2026-12-05T16:45:00Z")));
    let v = stream_entry(
        &none,
        &w,
        Some(&over),
        since,
        t("2026-12-05T16:45:00Z"),
        win,
    );
    assert_eq!(v.state, VerificationState::Failed, "{v:?}");
    assert!(
        v.detail.contains("still over its threshold 15 minutes"),
        "{}",
        v.detail
    );
    assert_eq!(v.lag_messages, Some(th.max_messages * 18.0));
    // Seconds decide when the exporter gives them.
    let behind = lag(1.0, Some(th.max_seconds + 1.0));
    let v = stream_entry(
        &none,
        &w,
        Some(&behind),
        since,
        t("2026-12-05T16:31:00Z"),
        win,
    );
    assert_eq!(v.state, VerificationState::Waiting, "{v:?}");
    let v = stream_entry(&none, &w, None, since, t("2026-12-05T16:31:00Z"), win);
    assert_eq!(v.state, VerificationState::Waiting, "{v:?}");
    // The profile's [lag] lowers the bar: the same lag is now over it, and
    // a workload's own label still wins over the profile.
    let profile = LagSettings {
        max_seconds: None,
        max_messages: Some(th.max_messages / 10.0),
    };
    let v = stream_entry(
        &profile,
        &w,
        Some(&under),
        since,
        t("2026-12-05T16:31:00Z"),
        win,
    );
    assert_eq!(v.state, VerificationState::Waiting, "{v:?}");
    assert_eq!(
        v.threshold.map(|x| x.max_messages),
        Some(th.max_messages / 10.0)
    );
    std::sync::Arc::make_mut(&mut w.labels).insert(
        modeldeck_core::domain::MAX_LAG_MESSAGES_LABEL.into(),
        format!("{}", th.max_messages),
    );
    let v = stream_entry(
        &profile,
        &w,
        Some(&under),
        since,
        t("2026-12-05T16:31:00Z"),
        win,
    );
    assert_eq!(v.state, VerificationState::Verified, "{v:?}");
}
