//! The serving-spec diff shown before approval is what the promotion then
//! writes (issue 13): on the sandbox API servers over HTTP through the kube
//! adapter, with a real MLflow, a promotion of a model served by a
//! Deployment (`prod-eu`) and a KServe InferenceService (`prod-us`, with
//! canary steps) is requested; its status lists each target's changes;
//! after it executes, each object is read back from the API server and
//! every changed field holds the diff's `after`, and nothing else in the
//! spec changed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;
mod live;

use live::{Live, approve, request};
use modeldeck_core::domain::*;
use modeldeck_core::serving_diff::{FieldChange, diff_specs};
use modeldeck_promotion::ExecuteOptions;
use std::collections::BTreeMap;

/// The spec part of a diff (metadata is also the server's bookkeeping:
/// generation, the controller's revision annotation).
fn in_spec(changes: &[FieldChange]) -> Vec<FieldChange> {
    changes
        .iter()
        .filter(|c| c.path.starts_with("spec."))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_diff_shown_before_approval_is_what_execution_writes() {
    let l = Live::start(&["recsys-ranker"]).await;
    let svc = l.service("ci-runner");
    let targets = l.targets_of("recsys-ranker").await;
    let kinds: Vec<WorkloadKind> = targets.iter().map(|t| t.kind).collect();
    assert!(kinds.contains(&WorkloadKind::Deployment), "{targets:?}");
    assert!(
        kinds.contains(&WorkloadKind::InferenceService),
        "{targets:?}"
    );
    let before: BTreeMap<WorkloadRef, serde_json::Value> =
        targets.iter().map(|t| (t.clone(), l.object(t))).collect();
    let model = l.model("recsys-ranker");

    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    let shown = svc.status(&id).await.unwrap().serving_changes;
    assert_eq!(
        shown.iter().map(|s| &s.target).collect::<Vec<_>>(),
        targets.iter().collect::<Vec<_>>()
    );
    for s in &shown {
        assert_eq!(s.unavailable, None, "{s:?}");
        assert!(!s.already_on_candidate, "{s:?}");
        let uri = s
            .changes
            .iter()
            .find(|c| c.path.ends_with("[MODEL_URI]") || c.path.ends_with("storageUri"))
            .unwrap_or_else(|| panic!("no model URI change for {}: {:#?}", s.target, s.changes));
        assert_eq!(uri.before, Some(format!("models:/{model}/7")), "{uri:?}");
        assert_eq!(uri.after, Some(format!("models:/{model}/8")), "{uri:?}");
        println!("{}: {:#?}", s.target, s.changes);
    }
    // The Deployment's change names the container and the env entry.
    let dep = shown
        .iter()
        .find(|s| s.target.kind == WorkloadKind::Deployment)
        .unwrap();
    assert!(
        dep.changes
            .iter()
            .any(|c| c.path.starts_with("spec.template.spec.containers[")
                && c.path.ends_with("].env[MODEL_URI]")),
        "{:#?}",
        dep.changes
    );

    approve(&l, &svc, &id, &["bob"]).await;
    // Still shown once approved (what the executor is about to write).
    assert_eq!(svc.status(&id).await.unwrap().serving_changes, shown);
    l.act_as("carol").await;
    let report = svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    assert_eq!(report.state, PromotionState::Promoted);
    // Executed: nothing more to show.
    assert!(svc.status(&id).await.unwrap().serving_changes.is_empty());

    for s in &shown {
        let after = l.object(&s.target);
        let written = diff_specs(&before[&s.target], &after);
        for c in &s.changes {
            let got = written.iter().find(|w| w.path == c.path);
            assert_eq!(
                got,
                Some(c),
                "{}: {} shown as {:?} -> {:?}, written {got:?}",
                s.target,
                c.path,
                c.before,
                c.after
            );
        }
        assert_eq!(
            in_spec(&written),
            in_spec(&s.changes),
            "{}: the spec changed exactly where the diff said",
            s.target
        );
        let extra: Vec<&FieldChange> = written.iter().filter(|w| !s.changes.contains(w)).collect();
        println!("{}: also changed by the server: {extra:?}", s.target);
    }
}
