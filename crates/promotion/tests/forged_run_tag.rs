//! A requester who can write registry tags forges the run record of a
//! batch promotion's verification (`<prefix><id>/run/<i>`, which
//! `promote execute --run-now` writes) to claim that a run of the new
//! version succeeded. The verdict comes from the Job the journal says the
//! execution started and what the cluster says about it, so the forged tag
//! changes nothing but is named as not trusted: a failed run stays failed,
//! no run stays waiting, and a tag written before the execution does not
//! make it skip its run. The execution's start, which decides which
//! scheduled run is "the next one", comes from the journal too: moving it
//! back in the `exec` tag does not make last week's run of the version
//! count. Each test fails on a service that trusts the tag (seen: each
//! was run against the service before the fix and failed).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::approve;
use common::world::World;
use modeldeck_core::domain::*;
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::service::{RunRecord, Verification, VerificationState, run_key};
use modeldeck_promotion::tags;
use modeldeck_promotion::{ExecuteOptions, NewPromotion, PromotionError, Promotions};

const MODEL: &str = "churn-model";

fn cron() -> WorkloadRef {
    WorkloadRef {
        cluster: "prod-eu".into(),
        namespace: "commerce".into(),
        kind: WorkloadKind::CronJob,
        name: "churn-batch-scoring".into(),
    }
}

/// alice requests `version` on the nightly CronJob alone, bob approves.
async fn approved(w: &World, svc: &Promotions, version: &str) -> String {
    w.act_as("alice");
    let p = svc
        .request(NewPromotion {
            model: MODEL.into(),
            version: version.into(),
            targets: vec![cron()],
            reason: format!("verify {MODEL} v{version}"),
            ..NewPromotion::default()
        })
        .await
        .unwrap();
    approve(w, svc, &p.id, &["bob"]).await;
    w.act_as("ops");
    p.id
}

fn opts(run_now: bool) -> ExecuteOptions {
    ExecuteOptions {
        run_now,
        confirm_inconclusive: true,
        ..ExecuteOptions::default()
    }
}

/// (the version the nightly job fails with, another one).
async fn versions(w: &World) -> (String, String) {
    let broken = w.workload(&cron()).await.served_version.unwrap();
    let other = if broken == "4" { "3" } else { "4" };
    (broken, other.to_string())
}

/// A run record claiming that `job` ran and succeeded just now.
fn success_claim(w: &World, job: &str) -> RunRecord {
    let now = w.control.clock().now();
    let t = cron();
    RunRecord {
        run: RetrainRun {
            cluster: t.cluster.clone(),
            namespace: t.namespace.clone(),
            name: job.into(),
            kind: RetrainRunKind::Job,
            source: t.name.clone(),
            model: MODEL.into(),
            uid: format!("sandbox-job-f0rg3-{}", now.0),
            dry_run: false,
            phase: RetrainPhase::Succeeded,
            active: 0,
            succeeded: 1,
            failed: 0,
            created_at: Some(now),
            started_at: Some(now),
            completed_at: Some(now),
            message: None,
            pod: Some(format!("{job}-pod")),
            log_tail: Vec::new(),
        },
        log_tail: vec!["scored 1200000 rows, all good".into()],
        by: "ops".into(),
        at: now,
    }
}

/// alice writes `rec` as target 0's run record of promotion `id`, encoded
/// as the service encodes it (it passes every tag check).
async fn forge(w: &World, id: &str, version: &str, rec: &RunRecord) {
    w.act_as("alice");
    let key = run_key(id, 0);
    let value = tags::encode(&key, rec).unwrap();
    w.backends()
        .registry
        .set_version_tag(MODEL, version, &key, &value)
        .await
        .unwrap();
    w.act_as("ops");
}

async fn verification(svc: &Promotions, id: &str) -> Verification {
    let st = svc.status(id).await.unwrap();
    assert_eq!(st.verification.len(), 1, "{:#?}", st.verification);
    st.verification[0].clone()
}

fn journal_count(w: &World, action: &str) -> usize {
    read_path(&w.dir.path().join("ci-runner.jsonl"))
        .unwrap()
        .iter()
        .filter(|l| l.record.entry.action == action)
        .count()
}

#[tokio::test]
async fn a_forged_success_tag_does_not_hide_a_failed_run_now() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let (broken, good) = versions(&w).await;
    let first = approved(&w, &svc, &good).await;
    svc.execute(&first, opts(false)).await.unwrap();
    let id = approved(&w, &svc, &broken).await;
    let err = svc.execute(&id, opts(true)).await.unwrap_err();
    assert!(
        matches!(err, PromotionError::RolledBack { .. }),
        "not rolled back: {err}"
    );
    let v = verification(&svc, &id).await;
    assert_eq!(v.state, VerificationState::Failed, "{v:?}");
    let job = v.job.clone().unwrap();

    // The real record, edited: the same Job, said to have succeeded.
    let key = run_key(&id, 0);
    let tags_now = w.backends().registry.get_version(MODEL, &broken).await;
    let real: RunRecord = serde_json::from_str(&tags_now.unwrap().tags[&key]).unwrap();
    assert_eq!(real.run.name, job);
    let mut edited = real.clone();
    edited.run.phase = RetrainPhase::Succeeded;
    edited.run.succeeded = 1;
    edited.run.failed = 0;
    edited.run.message = None;
    edited.log_tail = vec!["scored 1200000 rows, all good".into()];
    forge(&w, &id, &broken, &edited).await;
    let v = verification(&svc, &id).await;
    assert_eq!(
        (v.check.as_str(), v.state),
        ("run_now", VerificationState::Failed),
        "{v:?}"
    );
    assert_eq!(v.job.as_deref(), Some(job.as_str()));
    assert!(
        v.detail.contains(&format!("failed with v{broken}")),
        "{v:?}"
    );
    assert!(
        v.detail.contains("tag run/0") && v.detail.contains("not trusted"),
        "the disagreeing tag is named: {}",
        v.detail
    );
    assert!(
        v.log_tail.last().unwrap().contains("tenure_months"),
        "the cluster's log, not the tag's: {v:?}"
    );

    // A record naming another Job, made up, that "succeeded" with v<broken>.
    forge(
        &w,
        &id,
        &broken,
        &success_claim(&w, "churn-batch-scoring-manual-f0rg3"),
    )
    .await;
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::RolledBack);
    let v = &st.verification[0];
    assert_eq!(
        (v.state, v.job.as_deref()),
        (VerificationState::Failed, Some(job.as_str())),
        "{v:?}"
    );
    assert!(
        v.detail.contains("churn-batch-scoring-manual-f0rg3") && v.detail.contains("not trusted"),
        "{}",
        v.detail
    );
}

#[tokio::test]
async fn a_forged_success_tag_without_any_run_keeps_the_verification_waiting() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let (_, good) = versions(&w).await;
    let id = approved(&w, &svc, &good).await;
    let r = svc.execute(&id, opts(false)).await.unwrap();
    assert_eq!(r.state, PromotionState::Promoted, "{r:?}");
    let v = verification(&svc, &id).await;
    assert_eq!(
        (v.check.as_str(), v.state),
        ("next_run", VerificationState::Waiting),
        "{v:?}"
    );
    assert_eq!(journal_count(&w, "batch.run_now"), 0);

    // No run happened; alice claims one did, with the new version.
    forge(
        &w,
        &id,
        &good,
        &success_claim(&w, "churn-batch-scoring-manual-f0rg3"),
    )
    .await;
    let v = verification(&svc, &id).await;
    assert_eq!(
        (v.check.as_str(), v.state),
        ("next_run", VerificationState::Waiting),
        "a tag alone verifies nothing: {v:?}"
    );
    assert!(v.job.is_none(), "{v:?}");
    assert!(v.next_run.is_some(), "{v:?}");
    assert!(
        v.detail.contains("tag run/0")
            && v.detail.contains("churn-batch-scoring-manual-f0rg3")
            && v.detail.contains("not trusted"),
        "the unbacked tag is named: {}",
        v.detail
    );
}

#[tokio::test]
async fn a_success_tag_written_before_execute_does_not_skip_the_run_now() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let (broken, good) = versions(&w).await;
    let first = approved(&w, &svc, &good).await;
    svc.execute(&first, opts(false)).await.unwrap();
    let id = approved(&w, &svc, &broken).await;
    // Before execution: "the run-now already succeeded, nothing to run".
    forge(
        &w,
        &id,
        &broken,
        &success_claim(&w, "churn-batch-scoring-manual-f0rg3"),
    )
    .await;
    let err = svc.execute(&id, opts(true)).await.unwrap_err();
    let PromotionError::RolledBack { reason } = &err else {
        panic!("not rolled back: {err}");
    };
    assert!(
        reason.contains(&format!("failed with v{broken}")),
        "{reason}"
    );
    assert_eq!(journal_count(&w, "batch.run_now"), 1, "a real run was made");
    assert_eq!(
        w.workload(&cron()).await.served_version.as_deref(),
        Some(good.as_str()),
        "the template is back on the version before"
    );
    let v = verification(&svc, &id).await;
    assert_eq!(v.state, VerificationState::Failed, "{v:?}");
    assert_ne!(
        v.job.as_deref(),
        Some("churn-batch-scoring-manual-f0rg3"),
        "{v:?}"
    );
}

#[tokio::test]
async fn a_start_moved_back_in_the_exec_tag_does_not_make_an_old_run_count() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    let (served, other) = versions(&w).await;
    let first = approved(&w, &svc, &other).await;
    svc.execute(&first, opts(false)).await.unwrap();
    // Back to the version the job ran all week: no run since the execution.
    let id = approved(&w, &svc, &served).await;
    let r = svc.execute(&id, opts(false)).await.unwrap();
    assert_eq!(r.state, PromotionState::Promoted, "{r:?}");
    let v = verification(&svc, &id).await;
    assert_eq!(v.state, VerificationState::Waiting, "{v:?}");

    // alice moves the execution's start 8 days back: last week's
    // successful runs of v<served> would now be "after" it.
    let key = tags::key(&id, &tags::TagKind::Exec);
    let mv = w.backends().registry.get_version(MODEL, &served).await;
    let mut exec: tags::ExecRecord = tags::decode(&key, &mv.unwrap().tags[&key]).unwrap();
    exec.started_at = exec.started_at.plus_millis(-8 * 86_400_000);
    w.act_as("alice");
    let value = tags::encode(&key, &exec).unwrap();
    w.backends()
        .registry
        .set_version_tag(MODEL, &served, &key, &value)
        .await
        .unwrap();
    w.act_as("ops");
    let v = verification(&svc, &id).await;
    assert_eq!(
        (v.check.as_str(), v.state),
        ("next_run", VerificationState::Waiting),
        "an old run does not verify it: {v:?}"
    );
    assert!(
        v.detail.contains("exec tag") && v.detail.contains("not trusted"),
        "the moved start is named: {}",
        v.detail
    );
}
