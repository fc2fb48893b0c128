//! The sandbox's serving-spec preview (`Cluster::preview_served_version`):
//! the fields its write changes (served version, canary), named as the
//! simulated API server's objects name them; nothing written by a preview.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_core::error::ErrorCode;

#[tokio::test]
async fn a_preview_lists_the_changed_fields_and_writes_nothing() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let target = fraud_eu();
    let rv = |ws: Vec<Workload>| {
        ws.into_iter()
            .find(|w| w.id == fraud_eu())
            .unwrap()
            .resource_version
    };
    let rv_before = rv(c.list_workloads().await.unwrap());
    let p = c.preview_served_version(&target, "8").await.unwrap();
    assert_eq!(rv(c.list_workloads().await.unwrap()), rv_before);
    let paths: Vec<(&str, Option<&str>, Option<&str>)> = p
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.before.as_deref(), c.after.as_deref()))
        .collect();
    assert_eq!(
        paths,
        [
            (
                "spec.template.metadata.annotations[modeldeck.io/model-version]",
                Some("7"),
                Some("8")
            ),
            (
                "spec.template.spec.containers[model-server].env[MODEL_URI]",
                Some("models:/fraud-detector/7"),
                Some("models:/fraud-detector/8")
            ),
            (
                "spec.template.spec.containers[model-server].env[MODEL_VERSION]",
                Some("7"),
                Some("8")
            ),
        ]
    );
    assert!(!p.already_on_candidate);
    let same = c.preview_served_version(&target, "7").await.unwrap();
    assert!(
        same.already_on_candidate && same.changes.is_empty(),
        "{same:?}"
    );
}

#[tokio::test]
async fn an_isvc_canary_is_ended_by_the_change() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let isvc = wref(
        "prod-us",
        "search",
        WorkloadKind::InferenceService,
        "search-ranker",
    );
    // A 10 % canary of 6 runs: serving 6 ends it.
    let p = c.preview_served_version(&isvc, "6").await.unwrap();
    let paths: Vec<&str> = p.changes.iter().map(|c| c.path.as_str()).collect();
    assert!(
        paths.contains(&"spec.predictor.canaryTrafficPercent"),
        "{p:#?}"
    );
    let canary = p
        .changes
        .iter()
        .find(|c| c.path == "spec.predictor.canaryTrafficPercent")
        .unwrap();
    assert_eq!(
        (canary.before.as_deref(), canary.after.as_deref()),
        (Some("10"), None)
    );
    let w = c.set_served_version(&isvc, "6", None).await.unwrap();
    assert_eq!(w.canary, None);
    assert!(
        c.preview_served_version(&isvc, "6")
            .await
            .unwrap()
            .already_on_candidate
    );
}

#[tokio::test]
async fn unknown_versions_and_workloads_are_named() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let e = c
        .preview_served_version(&fraud_eu(), "99")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert!(e.message.contains("no version \"99\""), "{}", e.message);
    let ghost = wref("prod-eu", "fraud", WorkloadKind::Deployment, "ghost");
    let e = c.preview_served_version(&ghost, "1").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}
