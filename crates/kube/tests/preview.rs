//! `Cluster::preview_served_version` through the kube adapter against the
//! simulated API server over HTTP: the preview writes nothing, and after
//! `set_served_version` the object read back from the server changed in
//! its spec exactly where the preview said, to the values it said, for a
//! Deployment and an InferenceService with a canary; then the workload is
//! already on the candidate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::fixtures;
use modeldeck_core::domain::{WorkloadKind, WorkloadRef};
use modeldeck_core::ports::Cluster;
use modeldeck_core::serving_diff::{FieldChange, diff_specs};
use std::time::Duration;

fn wref(kind: WorkloadKind, name: &str) -> WorkloadRef {
    WorkloadRef {
        cluster: "alpha".into(),
        namespace: "ml-prod".into(),
        kind,
        name: name.into(),
    }
}

fn in_spec(c: &[FieldChange]) -> Vec<FieldChange> {
    c.iter()
        .filter(|c| c.path.starts_with("spec."))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_preview_is_what_the_write_changes() {
    let s = server("alpha", fixtures::demo_seed("alpha"), true).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    wait_for(&c, "sync", |ws| ws.len() == 8).await;
    let cases = [
        (
            wref(WorkloadKind::Deployment, "fraud-detector"),
            ("apps/v1", "Deployment"),
            "8",
        ),
        (
            wref(WorkloadKind::InferenceService, "churn-predictor"),
            ("serving.kserve.io/v1beta1", "InferenceService"),
            "4",
        ),
    ];
    for (t, (api, kind), version) in &cases {
        let before = s.get(api, kind, "ml-prod", &t.name).unwrap();
        let shown = c.preview_served_version(t, version).await.unwrap();
        println!("{t}: {:#?}", shown.changes);
        assert_eq!(
            s.get(api, kind, "ml-prod", &t.name).unwrap()["metadata"]["resourceVersion"],
            before["metadata"]["resourceVersion"],
            "{t}: a preview writes nothing"
        );
        assert!(
            !shown.already_on_candidate && shown.unavailable.is_none(),
            "{shown:?}"
        );
        c.set_served_version(t, version, None).await.unwrap();
        let after = s.get(api, kind, "ml-prod", &t.name).unwrap();
        let written = diff_specs(&before, &after);
        for ch in &shown.changes {
            assert!(
                written.contains(ch),
                "{t}: {ch:?} not written; written {written:#?}"
            );
        }
        assert_eq!(in_spec(&written), in_spec(&shown.changes), "{t}");
        let again = c.preview_served_version(t, version).await.unwrap();
        assert!(again.already_on_candidate, "{t}: {again:#?}");
    }
    // The InferenceService's canary ends with the change.
    let isvc = c.preview_served_version(&cases[1].0, "3").await.unwrap();
    assert!(
        isvc.changes
            .iter()
            .any(|ch| ch.path == "spec.predictor.model.storageUri"),
        "{isvc:#?}"
    );
    // An unknown workload is named.
    let e = c
        .preview_served_version(&wref(WorkloadKind::Deployment, "ghost"), "1")
        .await
        .unwrap_err();
    assert!(e.message.contains("ghost"), "{}", e.message);
}
