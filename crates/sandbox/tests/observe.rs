//! Events a client records, pod log tails that follow the served version,
//! and KServe canary splits on the simulated cluster.
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
async fn recorded_events_show_among_the_workload_events() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let t = fraud_eu();
    c.record_event(&t, "Normal", "PromotionRequested", "alice asked for v8")
        .await
        .unwrap();
    c.record_event(&t, "Warning", "PromotionRefused", "stale approval")
        .await
        .unwrap();
    let evs = c.events(&t).await.unwrap();
    let ours: Vec<_> = evs
        .iter()
        .filter(|e| e.reason.starts_with("Promotion"))
        .collect();
    assert_eq!(ours.len(), 2, "{evs:#?}");
    assert_eq!(ours[0].object, "Deployment/fraud-detector");
    assert_eq!(
        (ours[1].kind.as_str(), ours[1].message.as_str()),
        ("Warning", "stale approval")
    );
    let err = c.record_event(&t, "Fatal", "X", "y").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequest);
    let missing = wref("prod-eu", "risk", WorkloadKind::Deployment, "nope");
    let err = c
        .record_event(&missing, "Normal", "X", "y")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn the_log_tail_follows_the_served_version_and_is_deterministic() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let t = fraud_eu();
    let tail = c.log_tail(&t, 5).await.unwrap();
    assert_eq!(tail.len(), 5, "{tail:?}");
    assert_eq!(
        tail,
        demo(42).backends().cluster.log_tail(&t, 5).await.unwrap()
    );
    let before = get(&sb, &t).await;
    c.set_served_version(&t, "8", Some(&before.resource_version))
        .await
        .unwrap();
    sb.advance(Duration::from_secs(1));
    let fresh = c.log_tail(&t, 50).await.unwrap();
    assert!(
        fresh
            .iter()
            .any(|l| l.contains("loading models:/fraud-detector/8")),
        "{fresh:#?}"
    );
    assert!(fresh.len() <= 50);
    sb.advance(Duration::from_secs(120));
    let later = c.log_tail(&t, 3).await.unwrap();
    assert_eq!(later.len(), 3);
    assert!(later.iter().all(|l| l.contains("predict")), "{later:?}");
    assert!(c.log_tail(&t, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_canary_split_moves_and_a_full_patch_ends_it() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let isvc = wref(
        "prod-us",
        "search",
        WorkloadKind::InferenceService,
        "recsys-ranker",
    );
    let w0 = get(&sb, &isvc).await;
    assert_eq!(w0.served_version.as_deref(), Some("7"));
    assert_eq!(w0.canary, None);
    let stale = c.set_canary(&isvc, "8", 10, Some("1")).await.unwrap_err();
    assert_eq!(stale.code, ErrorCode::Conflict);
    let w1 = c
        .set_canary(&isvc, "8", 10, Some(&w0.resource_version))
        .await
        .unwrap();
    assert_eq!(w1.served_version.as_deref(), Some("7"), "stable stays");
    assert_eq!(
        w1.canary,
        Some(Canary {
            version: "8".into(),
            traffic_percent: 10
        })
    );
    let w2 = c
        .set_canary(&isvc, "8", 50, Some(&w1.resource_version))
        .await
        .unwrap();
    assert_eq!(w2.canary.as_ref().unwrap().traffic_percent, 50);
    let tail = c.log_tail(&isvc, 40).await.unwrap();
    assert!(
        tail.iter().any(|l| l.contains("version 8 ready")),
        "the newest pod is the canary's: {tail:?}"
    );
    let evs = c.events(&isvc).await.unwrap();
    assert!(
        evs.iter().any(|e| e.message.contains("50% of traffic")),
        "{evs:#?}"
    );
    let bad = c.set_canary(&isvc, "8", 100, None).await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidRequest);
    let deploy = c.set_canary(&fraud_eu(), "8", 10, None).await.unwrap_err();
    assert_eq!(deploy.code, ErrorCode::Unsupported);
    let w3 = c
        .set_served_version(&isvc, "8", Some(&w2.resource_version))
        .await
        .unwrap();
    assert_eq!(w3.served_version.as_deref(), Some("8"));
    assert_eq!(w3.canary, None, "a full patch ends the canary");
}
