//! The simulated cluster reacts to patches like a Deployment controller:
//! rollouts progress with the virtual clock, bump resourceVersions, record
//! events, refuse stale preconditions and stall on a broken version.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_core::error::ErrorCode;
use std::time::Duration;

async fn get(sb: &modeldeck_sandbox::Sandbox, r: &WorkloadRef) -> Workload {
    sb.backends()
        .cluster
        .list_workloads()
        .await
        .unwrap()
        .into_iter()
        .find(|w| &w.id == r)
        .unwrap()
}

#[tokio::test]
async fn a_rollout_progresses_to_available_as_the_clock_advances() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let target = fraud_eu();
    let before = get(&sb, &target).await;
    assert_eq!(before.served_version.as_deref(), Some("7"));
    assert_eq!(before.rollout, RolloutState::Available);

    let after = c
        .set_served_version(&target, "8", Some(&before.resource_version))
        .await
        .unwrap();
    assert_eq!(after.served_version.as_deref(), Some("8"));
    assert_ne!(after.resource_version, before.resource_version);
    assert!(
        matches!(
            after.rollout,
            RolloutState::Progressing {
                updated: 2,
                desired: 6
            }
        ),
        "{:?}",
        after.rollout
    );

    let mut seen = vec![after.rollout.clone()];
    let mut rvs = vec![after.resource_version.parse::<u64>().unwrap()];
    for _ in 0..20 {
        sb.advance(Duration::from_secs(4));
        let w = get(&sb, &target).await;
        rvs.push(w.resource_version.parse().unwrap());
        if seen.last() != Some(&w.rollout) {
            seen.push(w.rollout.clone());
        }
    }
    assert_eq!(
        seen,
        vec![
            RolloutState::Progressing {
                updated: 2,
                desired: 6
            },
            RolloutState::Progressing {
                updated: 4,
                desired: 6
            },
            RolloutState::Progressing {
                updated: 6,
                desired: 6
            },
            RolloutState::Available,
        ]
    );
    assert!(
        rvs.windows(2).all(|w| w[0] <= w[1]),
        "resourceVersions never go back: {rvs:?}"
    );
    assert!(rvs.last() > rvs.first());

    let events = c.events(&target).await.unwrap();
    let scaling: Vec<&str> = events
        .iter()
        .filter(|e| e.reason == "ScalingReplicaSet")
        .map(|e| e.message.as_str())
        .collect();
    assert!(scaling.len() >= 4, "{scaling:?}");
    assert!(scaling[0].starts_with("Scaled up replica set fraud-detector-"));
    assert!(scaling.last().unwrap().ends_with("to 0"), "{scaling:?}");
    assert!(
        events.windows(2).all(|w| w[0].at <= w[1].at),
        "events newest last"
    );
}

#[tokio::test]
async fn a_stale_resource_version_is_a_conflict_and_changes_nothing() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let target = fraud_eu();
    let seen = get(&sb, &target).await;
    c.set_served_version(&target, "8", Some(&seen.resource_version))
        .await
        .unwrap();
    let err = c
        .set_served_version(&target, "6", Some(&seen.resource_version))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains(&seen.resource_version), "{err}");
    assert_eq!(get(&sb, &target).await.served_version.as_deref(), Some("8"));
    // Without a precondition the write goes through.
    let w = c.set_served_version(&target, "6", None).await.unwrap();
    assert_eq!(w.served_version.as_deref(), Some("6"));
}

#[tokio::test]
async fn unknown_workloads_and_versions_are_refused_by_name() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let ghost = wref("prod-eu", "risk", WorkloadKind::Deployment, "no-such-thing");
    let err = c.set_served_version(&ghost, "1", None).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("no-such-thing"), "{err}");
    let err = c.events(&ghost).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);

    let err = c
        .set_served_version(&fraud_eu(), "99", None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    assert!(
        err.message.contains("99") && err.message.contains("fraud-detector"),
        "{err}"
    );
}

#[tokio::test]
async fn patching_the_same_version_is_a_no_op() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let before = get(&sb, &fraud_eu()).await;
    let after = c.set_served_version(&fraud_eu(), "7", None).await.unwrap();
    assert_eq!(after.resource_version, before.resource_version);
    assert_eq!(after.rollout, RolloutState::Available);
}

#[tokio::test]
async fn a_broken_version_stalls_then_degrades_and_rolling_back_recovers() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let spam = wref("prod-eu", "risk", WorkloadKind::Deployment, "spam-filter");
    c.set_served_version(&spam, "7", None).await.unwrap();
    sb.advance(Duration::from_secs(60));
    assert!(matches!(
        get(&sb, &spam).await.rollout,
        RolloutState::Progressing { .. }
    ));
    sb.advance(Duration::from_secs(61));
    let w = get(&sb, &spam).await;
    assert_eq!(
        w.rollout,
        RolloutState::Degraded {
            reason: "ProgressDeadlineExceeded".into()
        }
    );
    let events = c.events(&spam).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "Warning" && e.reason == "ProgressDeadlineExceeded")
    );
    assert!(
        events
            .iter()
            .any(|e| e.kind == "Warning" && e.reason == "BackOff")
    );

    c.set_served_version(&spam, "6", Some(&w.resource_version))
        .await
        .unwrap();
    sb.advance(Duration::from_secs(60));
    assert_eq!(get(&sb, &spam).await.rollout, RolloutState::Available);
}

#[tokio::test]
async fn an_inference_service_promotes_its_canary() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let isvc = wref(
        "prod-us",
        "search",
        WorkloadKind::InferenceService,
        "search-ranker",
    );
    let before = get(&sb, &isvc).await;
    assert_eq!(
        before.canary,
        Some(Canary {
            version: "6".into(),
            traffic_percent: 10
        })
    );
    let w = c.set_served_version(&isvc, "6", None).await.unwrap();
    assert_eq!(w.canary, None);
    assert!(matches!(w.rollout, RolloutState::Progressing { .. }));
    sb.advance(Duration::from_secs(20));
    let w = get(&sb, &isvc).await;
    assert_eq!(w.rollout, RolloutState::Available);
    let events = c.events(&isvc).await.unwrap();
    assert!(
        events.iter().any(|e| e.reason == "InferenceServiceReady"),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_cron_job_switches_version_without_a_rollout() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let job = wref(
        "prod-eu",
        "commerce",
        WorkloadKind::CronJob,
        "churn-batch-scoring",
    );
    let before = get(&sb, &job).await;
    assert_eq!(before.rollout, RolloutState::Idle);
    let w = c.set_served_version(&job, "4", None).await.unwrap();
    assert_eq!(w.served_version.as_deref(), Some("4"));
    assert_eq!(w.rollout, RolloutState::Idle);
    assert_ne!(w.resource_version, before.resource_version);
    // The nightly job's next run creates a Job (and, as the scenario has it
    // failing since last night, fails 40 minutes later).
    let now = sb.clock().now();
    let batch = before.batch.as_ref().expect("a CronJob has a batch status");
    let next = batch.view(before.created_at, now).next_run.unwrap();
    sb.advance(Duration::from_millis((next.0 - now.0 + 60_000) as u64));
    let events = c.events(&job).await.unwrap();
    assert!(
        events.iter().any(|e| e.reason == "SuccessfulCreate"),
        "{events:?}"
    );
    sb.advance(Duration::from_secs(45 * 60));
    let events = c.events(&job).await.unwrap();
    assert!(
        events.iter().any(|e| e.reason == "BackoffLimitExceeded"
            && e.kind == "Warning"
            && e.object.starts_with("Job/churn-batch-scoring-")),
        "{events:?}"
    );
    let after = get(&sb, &job).await;
    let view = after
        .batch
        .unwrap()
        .view(after.created_at, sb.clock().now());
    assert_eq!(view.result, modeldeck_core::domain::RunResult::Failed);
}

#[tokio::test]
async fn events_expire_after_an_hour() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    c.set_served_version(&fraud_eu(), "8", None).await.unwrap();
    sb.advance(Duration::from_secs(60));
    assert!(!c.events(&fraud_eu()).await.unwrap().is_empty());
    sb.advance(Duration::from_secs(3700));
    assert!(c.events(&fraud_eu()).await.unwrap().is_empty());
}

#[tokio::test]
async fn identity_and_access_rules_answer_as_set() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let me = c.whoami("prod-eu").await.unwrap();
    assert_eq!(me.username, "sandbox-admin");
    let check = AccessCheck {
        verb: "approve".into(),
        group: "modeldeck.io".into(),
        resource: "modelpromotions".into(),
        namespace: Some("risk".into()),
    };
    assert!(c.can_i("prod-eu", &check).await.unwrap());
    sb.set_identity("dana.kowalski", &["ml-engineers"]);
    sb.set_access_rule("approve", "modelpromotions", false);
    assert_eq!(c.whoami("prod-us").await.unwrap().username, "dana.kowalski");
    assert!(!c.can_i("prod-eu", &check).await.unwrap());
    let patch = AccessCheck {
        verb: "patch".into(),
        resource: "deployments".into(),
        group: "apps".into(),
        namespace: None,
    };
    assert!(c.can_i("prod-eu", &patch).await.unwrap());
    sb.set_access_rule("*", "*", false);
    assert!(!c.can_i("prod-eu", &patch).await.unwrap());
    let err = c.whoami("prod-mars").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("prod-mars"));
}

#[tokio::test]
async fn the_demo_fleet_has_every_kind_with_binding_and_team_labels() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    assert_eq!(c.clusters(), vec!["prod-eu", "prod-us"]);
    let ws = c.list_workloads().await.unwrap();
    let namespaces: std::collections::BTreeSet<&str> =
        ws.iter().map(|w| w.id.namespace.as_str()).collect();
    assert_eq!(namespaces.len(), 3);
    for kind in WorkloadKind::ALL {
        assert!(ws.iter().any(|w| w.id.kind == kind), "{kind:?}");
    }
    assert_eq!(ws.iter().filter(|w| w.canary.is_some()).count(), 1);
    for w in &ws {
        assert_eq!(w.labels.get("modeldeck.io/model"), w.model.as_ref());
        assert!(w.labels.contains_key("team"), "{}", w.id);
        assert_eq!(w.uid.len(), 36);
        assert!(w.created_at < sb.clock().now());
    }
    let fraud = ws.iter().find(|w| w.id == fraud_eu()).unwrap();
    assert_eq!(fraud.labels["team"], "risk");
    assert_eq!(fraud.labels["tier"], "critical");
    assert_eq!((fraud.ready_replicas, fraud.desired_replicas), (6, 6));
}
