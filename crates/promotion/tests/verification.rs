//! The verification step of batch and streaming promotions on the demo
//! world (issue 14): a CronJob promoted with `run_now` gets one Job made
//! from its patched template, audited and followed; the run succeeds with
//! a version that fixes the nightly job and fails with the one it failed
//! with (the promotion rolls back and the template with it); without
//! `run_now` `status` waits for the next scheduled run and then judges it.
//! A stream consumer is verified once its lag is back under its threshold,
//! and an execution that waits for it rolls back when the lag is still
//! over it after the window.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::*;
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::service::{Verification, VerificationState};
use modeldeck_promotion::{ExecuteOptions, NewPromotion, PromotionError, Promotions};
use std::time::Duration;

fn cron() -> WorkloadRef {
    WorkloadRef {
        cluster: "prod-eu".into(),
        namespace: "commerce".into(),
        kind: WorkloadKind::CronJob,
        name: "churn-batch-scoring".into(),
    }
}

fn stream() -> WorkloadRef {
    WorkloadRef {
        cluster: "prod-eu".into(),
        namespace: "risk".into(),
        kind: WorkloadKind::StreamConsumer,
        name: "fraud-stream-scorer".into(),
    }
}

async fn promote_to(
    w: &World,
    svc: &Promotions,
    model: &str,
    version: &str,
    t: WorkloadRef,
) -> String {
    w.act_as("alice");
    let p = svc
        .request(NewPromotion {
            model: model.into(),
            version: version.into(),
            targets: vec![t],
            reason: format!("verify {model} v{version}"),
            ..NewPromotion::default()
        })
        .await
        .unwrap();
    let approvers: &[&str] = if model.starts_with("fraud-") {
        &["bob", "carol"]
    } else {
        &["bob"]
    };
    approve(w, svc, &p.id, approvers).await;
    w.act_as("ops");
    p.id
}

fn only(v: &[Verification]) -> &Verification {
    assert_eq!(v.len(), 1, "{v:#?}");
    &v[0]
}

/// The version the nightly job runs now (the one it has failed with since
/// last night) and another one.
async fn versions(w: &World) -> (String, String) {
    let broken = w.workload(&cron()).await.served_version.unwrap();
    let other = if broken == "4" { "3" } else { "4" };
    (broken, other.to_string())
}

#[tokio::test]
async fn run_now_makes_one_audited_job_and_a_fixing_version_is_verified() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let (_, good) = versions(&w).await;
    let id = promote_to(&w, &svc, "churn-model", &good, cron()).await;
    let opts = ExecuteOptions {
        run_now: true,
        confirm_inconclusive: true,
        ..ExecuteOptions::default()
    };
    let r = svc.execute(&id, opts).await.unwrap();
    assert_eq!(r.state, PromotionState::Promoted, "{r:?}");
    assert_eq!(
        w.workload(&cron()).await.served_version.as_deref(),
        Some(good.as_str())
    );
    let st = svc.status(&id).await.unwrap();
    let v = only(&st.verification);
    assert_eq!(
        (v.check.as_str(), v.state),
        ("run_now", VerificationState::Verified),
        "{v:?}"
    );
    let job = v.job.clone().unwrap();
    assert!(job.starts_with("churn-batch-scoring-manual-"), "{job}");
    assert!(
        v.detail.contains(&format!("succeeded with v{good}")),
        "{}",
        v.detail
    );
    // Audited: who started which Job, and how it ended.
    let lines = read_path(&w.dir.path().join("ci-runner.jsonl")).unwrap();
    let started = lines
        .iter()
        .find(|l| l.record.entry.action == "batch.run_now")
        .expect("a batch.run_now entry");
    assert_eq!(started.record.entry.actor, "ops");
    assert_eq!(started.record.entry.after["job"], job.as_str());
    assert_eq!(
        started.record.entry.after["from_cronjob"],
        "churn-batch-scoring"
    );
    let finished = lines
        .iter()
        .find(|l| l.record.entry.action == "batch.run_finished")
        .expect("a batch.run_finished entry");
    assert_eq!(finished.record.entry.after["phase"], "succeeded");
    // A repeat writes nothing and starts no second Job.
    let again = svc.execute(&id, opts).await.unwrap();
    assert!(!again.wrote);
    let n = read_path(&w.dir.path().join("ci-runner.jsonl"))
        .unwrap()
        .iter()
        .filter(|l| l.record.entry.action == "batch.run_now")
        .count();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_failed_run_now_rolls_the_template_back_with_the_log_tail() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let (broken, good) = versions(&w).await;
    let first = promote_to(&w, &svc, "churn-model", &good, cron()).await;
    svc.execute(&first, confirmed()).await.unwrap();
    let id = promote_to(&w, &svc, "churn-model", &broken, cron()).await;
    let opts = ExecuteOptions {
        run_now: true,
        confirm_inconclusive: true,
        ..ExecuteOptions::default()
    };
    let err = svc.execute(&id, opts).await.unwrap_err();
    let PromotionError::RolledBack { reason } = &err else {
        panic!("not rolled back: {err}");
    };
    assert!(reason.contains("churn-batch-scoring-manual-"), "{reason}");
    assert!(
        reason.contains(&format!("failed with v{broken}")),
        "{reason}"
    );
    assert!(
        reason.contains("tenure_months"),
        "the log's last line: {reason}"
    );
    assert_eq!(
        w.workload(&cron()).await.served_version.as_deref(),
        Some(good.as_str()),
        "the template is back on the version before"
    );
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::RolledBack);
    let v = only(&st.verification);
    assert_eq!(v.state, VerificationState::Failed, "{v:?}");
    assert!(
        v.log_tail.last().unwrap().contains("tenure_months"),
        "{v:?}"
    );
}

#[tokio::test]
async fn run_now_is_refused_for_a_deployment_before_anything_is_written() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let t = WorkloadRef {
        cluster: "prod-eu".into(),
        namespace: "risk".into(),
        kind: WorkloadKind::Deployment,
        name: "spam-filter".into(),
    };
    let before = w.workload(&t).await;
    let id = promote_to(&w, &svc, "spam-filter", "1", t.clone()).await;
    let opts = ExecuteOptions {
        run_now: true,
        confirm_inconclusive: true,
        ..ExecuteOptions::default()
    };
    let err = svc.execute(&id, opts).await.unwrap_err().to_string();
    assert!(err.contains("--run-now"), "{err}");
    assert!(err.contains("not a CronJob"), "{err}");
    assert_eq!(
        w.workload(&t).await.resource_version,
        before.resource_version
    );
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::Approved
    );
}

#[tokio::test]
async fn without_run_now_status_waits_for_the_next_run_then_judges_it() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let (_, good) = versions(&w).await;
    let id = promote_to(&w, &svc, "churn-model", &good, cron()).await;
    svc.execute(&id, confirmed()).await.unwrap();
    let st = svc.status(&id).await.unwrap();
    let v = only(&st.verification);
    assert_eq!(
        (v.check.as_str(), v.state),
        ("next_run", VerificationState::Waiting),
        "{v:?}"
    );
    let next = v.next_run.expect("the next run's time");
    assert!(
        v.detail
            .contains(&format!("waiting for the next run at {}", next.rfc3339()))
    );
    // Past the next run's end: the first run with the new version is judged
    // (the sandbox's nightly job keeps failing on schedule), with its log.
    let now = w.control.clock().now();
    let wait = next.0 - now.0 + 3 * 3_600_000;
    w.control
        .advance(Duration::from_millis(u64::try_from(wait).unwrap()));
    let st = svc.status(&id).await.unwrap();
    let v = only(&st.verification);
    assert_ne!(v.state, VerificationState::Waiting, "{v:?}");
    let started = v.run_started.unwrap();
    assert!(started >= next, "{v:?}");
    assert!(v.detail.contains(&format!("with v{good}")), "{v:?}");
    if v.state == VerificationState::Failed {
        assert!(!v.log_tail.is_empty(), "{v:?}");
    }
}

#[tokio::test]
async fn a_consumer_is_verified_when_its_lag_drains_and_a_waiting_execute_rolls_back() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    // The demo's open request for v8 (on every target) is withdrawn first.
    w.act_as("dana.kowalski");
    for p in svc.list(Some("fraud-detector")).await.unwrap() {
        if p.promotion.state == PromotionState::Requested {
            svc.cancel(&p.promotion.id, "superseded by a stream-only request")
                .await
                .unwrap();
        }
    }
    // Waiting: 15 minutes of draining leave it far over its threshold.
    let id = promote_to(&w, &svc, "fraud-detector", "8", stream()).await;
    let opts = ExecuteOptions {
        wait: true,
        confirm_inconclusive: true,
        ..ExecuteOptions::default()
    };
    let err = svc.execute(&id, opts).await.unwrap_err();
    let PromotionError::RolledBack { reason } = &err else {
        panic!("not rolled back: {err}");
    };
    assert!(
        reason.contains("still over its threshold 15 minutes"),
        "{reason}"
    );
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::RolledBack);
    assert!(st.verification.is_empty(), "{:?}", st.verification);

    // Not waiting: Promoted, then verified once the lag has drained.
    let id = promote_to(&w, &svc, "fraud-detector", "8", stream()).await;
    svc.execute(&id, confirmed()).await.unwrap();
    let v = only(&svc.status(&id).await.unwrap().verification).clone();
    assert_eq!(
        (v.check.as_str(), v.state),
        ("lag", VerificationState::Waiting),
        "{v:?}"
    );
    let th = v.threshold.unwrap();
    assert!(
        v.lag_seconds.unwrap_or(0.0) > th.max_seconds || v.lag_messages.unwrap() > th.max_messages
    );
    w.control.advance(Duration::from_secs(4 * 3600));
    let v = only(&svc.status(&id).await.unwrap().verification).clone();
    assert_eq!(v.state, VerificationState::Verified, "{v:?}");
    assert!(
        v.detail.contains("back under its threshold"),
        "{}",
        v.detail
    );
}

/// A CronJob serves no requests, so its p99 gate is inconclusive after
/// deploy: a human confirms, as on the TUI.
fn confirmed() -> ExecuteOptions {
    ExecuteOptions {
        confirm_inconclusive: true,
        ..ExecuteOptions::default()
    }
}
