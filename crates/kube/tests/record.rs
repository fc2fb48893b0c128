//! The writes a promotion needs besides the served version, against the
//! sandbox API server: Events recorded on a workload (read back through the
//! adapter and by `kubectl describe`), the newest pod's log tail, and KServe
//! canary steps (10 -> 50 -> full) with resourceVersion preconditions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::fixtures;
use modeldeck_core::domain::{Canary, WorkloadKind, WorkloadRef};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Cluster;
use std::time::Duration;

fn wref(kind: WorkloadKind, name: &str) -> WorkloadRef {
    WorkloadRef {
        cluster: "alpha".into(),
        namespace: "ml-prod".into(),
        kind,
        name: name.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_recorded_on_a_workload_are_read_back_and_described_by_kubectl() {
    let s = server("alpha", fixtures::demo_seed("alpha"), true).await;
    let dir = scratch();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]);
    let c = adapter(kc.clone(), Duration::from_secs(10));
    wait_for(&c, "sync", |ws| ws.len() == 8).await;
    let fraud = wref(WorkloadKind::Deployment, "fraud-detector");
    let isvc = wref(WorkloadKind::InferenceService, "churn-predictor");
    c.record_event(
        &fraud,
        "Normal",
        "PromotionExecuting",
        "carol executes promotion p-1: fraud-detector v7 -> v8",
    )
    .await
    .unwrap();
    c.record_event(&isvc, "Warning", "PromotionRefused", "stale approval")
        .await
        .unwrap();
    let evs = c.events(&fraud).await.unwrap();
    let ours: Vec<_> = evs
        .iter()
        .filter(|e| e.reason == "PromotionExecuting")
        .collect();
    assert_eq!(ours.len(), 1, "{evs:#?}");
    assert_eq!(ours[0].object, "Deployment/fraud-detector");
    assert!(ours[0].message.contains("v7 -> v8"));
    let evs = c.events(&isvc).await.unwrap();
    assert!(
        evs.iter()
            .any(|e| e.reason == "PromotionRefused" && e.kind == "Warning"),
        "{evs:#?}"
    );
    // Bad input is refused before anything is sent.
    let bad = c.record_event(&fraud, "Error", "X", "y").await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidRequest);
    let bad = c
        .record_event(&fraud, "Normal", "not a reason", "y")
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidRequest);
    let gone = c
        .record_event(&wref(WorkloadKind::Deployment, "nope"), "Normal", "X", "y")
        .await
        .unwrap_err();
    assert_eq!(gone.code, ErrorCode::NotFound);
    // A viewer may not create Events: a 403, as on a real cluster.
    let vc = adapter(
        kubeconfig(&dir, "viewer", &[s.kubeconfig_entry("viewer").unwrap()]),
        Duration::from_secs(10),
    );
    wait_for(&vc, "viewer sync", |ws| ws.len() == 8).await;
    let denied = vc
        .record_event(&fraud, "Normal", "PromotionRequested", "x")
        .await
        .unwrap_err();
    assert_eq!(denied.code, ErrorCode::Forbidden, "{denied}");

    match std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kc)
        .args(["describe", "deploy", "-n", "ml-prod", "fraud-detector"])
        .output()
    {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{out:?}");
            assert!(
                text.contains("PromotionExecuting") && text.contains("modeldeck"),
                "kubectl describe shows the Event from modeldeck:\n{text}"
            );
        }
        Err(e) => panic!("kubectl is needed for this test (apt install kubernetes-client): {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_tail_is_the_newest_pods_and_bounded() {
    let s = server("alpha", fixtures::demo_seed("alpha"), false).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let ws = wait_for(&c, "sync", |ws| ws.len() == 8).await;
    let fraud = wref(WorkloadKind::Deployment, "fraud-detector");
    let tail = c.log_tail(&fraud, 3).await.unwrap();
    assert_eq!(tail.len(), 3, "{tail:?}");
    assert!(c.log_tail(&fraud, 0).await.unwrap().is_empty());
    let before = find(&ws, "ml-prod", "fraud-detector").unwrap().clone();
    c.set_served_version(&fraud, "8", Some(&before.resource_version))
        .await
        .unwrap();
    // The new ReplicaSet's pods are the newest: their log names version 8.
    let mut last = Vec::new();
    for _ in 0..100 {
        last = c.log_tail(&fraud, 5_000).await.unwrap();
        if last.iter().any(|l| l.contains("version 8 ready")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        last.iter().any(|l| l.contains("version 8 ready")),
        "{last:#?}"
    );
    assert!(last.len() <= modeldeck_kube::logs::MAX_NEWEST_TAIL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_steps_move_traffic_and_a_full_patch_ends_the_canary() {
    let s = server("alpha", fixtures::demo_seed("alpha"), false).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let ws = wait_for(&c, "sync", |ws| ws.len() == 8).await;
    let isvc = wref(WorkloadKind::InferenceService, "churn-predictor");
    // Seeded mid-canary (v4 at 20 %); first end it on v3 so the steps start clean.
    let w0 = find(&ws, "ml-prod", "churn-predictor").unwrap().clone();
    let w0 = c
        .set_served_version(&isvc, "3", Some(&w0.resource_version))
        .await
        .unwrap();
    assert_eq!(w0.canary, None);
    let w0 = settled(&c, |w| w.canary.is_none()).await;
    let stale = c.set_canary(&isvc, "4", 10, Some("1")).await.unwrap_err();
    assert_eq!(stale.code, ErrorCode::Conflict, "{stale}");
    let _ = w0;
    let w1 = step(&c, &isvc, |w| w.canary.is_none(), Some(10)).await;
    assert_eq!(w1.served_version.as_deref(), Some("3"), "stable kept");
    assert_eq!(
        w1.canary,
        Some(Canary {
            version: "4".into(),
            traffic_percent: 10
        })
    );
    let o = s
        .get(
            "serving.kserve.io/v1beta1",
            "InferenceService",
            "ml-prod",
            "churn-predictor",
        )
        .unwrap();
    assert_eq!(o["spec"]["predictor"]["canaryTrafficPercent"], 10);
    assert!(
        o["spec"]["predictor"]["model"]["storageUri"]
            .as_str()
            .unwrap()
            .ends_with("/4"),
        "{o}"
    );
    let w1 = settled(&c, |w| {
        w.canary.as_ref().is_some_and(|k| k.traffic_percent == 10)
    })
    .await;
    let _ = w1;
    let w2 = step(
        &c,
        &isvc,
        |w| w.canary.as_ref().is_some_and(|k| k.traffic_percent == 10),
        Some(50),
    )
    .await;
    assert_eq!(w2.canary.as_ref().unwrap().traffic_percent, 50);
    let w2 = settled(&c, |w| {
        w.canary.as_ref().is_some_and(|k| k.traffic_percent == 50)
    })
    .await;
    let _ = w2;
    let w3 = step(
        &c,
        &isvc,
        |w| w.canary.as_ref().is_some_and(|k| k.traffic_percent == 50),
        None,
    )
    .await;
    assert_eq!((w3.served_version.as_deref(), w3.canary), (Some("4"), None));
    let bad = c.set_canary(&isvc, "5", 100, None).await.unwrap_err();
    assert_eq!(bad.code, ErrorCode::InvalidRequest);
    let deploy = c
        .set_canary(
            &wref(WorkloadKind::Deployment, "fraud-detector"),
            "8",
            10,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(deploy.code, ErrorCode::Unsupported);
    // RawDeployment mode has no traffic split.
    s.merge_patch(
        "serving.kserve.io/v1beta1",
        "InferenceService",
        "ml-prod",
        "churn-predictor",
        serde_json::json!({"metadata": {"annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}}}),
    )
    .unwrap();
    let raw = c.set_canary(&isvc, "3", 10, None).await.unwrap_err();
    assert_eq!(raw.code, ErrorCode::Unsupported, "{raw}");
    assert!(raw.message.contains("RawDeployment"), "{raw}");
}

/// The churn-predictor once the controller is done with it (status writes
/// bump its resourceVersion until the new revision is Ready).
async fn settled(
    c: &modeldeck_kube::KubeCluster,
    f: impl Fn(&modeldeck_core::domain::Workload) -> bool,
) -> modeldeck_core::domain::Workload {
    let ws = wait_for(c, "churn-predictor settled", |ws| {
        find(ws, "ml-prod", "churn-predictor")
            .is_some_and(|w| f(w) && w.rollout == modeldeck_core::domain::RolloutState::Available)
    })
    .await;
    find(&ws, "ml-prod", "churn-predictor").unwrap().clone()
}

/// Once the churn-predictor is settled in state `f`, writes a canary step
/// (or the full switch on `None`) with the resourceVersion just read. The
/// controller may still write the status once more after the adapter saw
/// it Available (a 409 then, as on a real cluster): read again and retry.
async fn step(
    c: &modeldeck_kube::KubeCluster,
    isvc: &WorkloadRef,
    f: impl Fn(&modeldeck_core::domain::Workload) -> bool + Copy,
    pct: Option<u8>,
) -> modeldeck_core::domain::Workload {
    for _ in 0..10 {
        let w = settled(c, f).await;
        let r = match pct {
            Some(p) => c.set_canary(isvc, "4", p, Some(&w.resource_version)).await,
            None => {
                c.set_served_version(isvc, "4", Some(&w.resource_version))
                    .await
            }
        };
        match r {
            Ok(w) => return w,
            Err(e) if e.code == ErrorCode::Conflict => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    panic!("the resourceVersion never settled");
}
