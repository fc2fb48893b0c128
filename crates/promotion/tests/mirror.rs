//! The Kubernetes Event mirror of the audit trail is best effort: a cluster
//! that refuses Events never fails a promotion step, and the refusal is
//! noted in the journal entry itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::PromotionState;
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::journal::read_path;

#[tokio::test]
async fn a_refused_event_is_noted_in_the_journal_and_the_promotion_goes_on() {
    let w = World::demo(42);
    let svc = w.service("ci-runner");
    w.ports.refuse_method(Some("record_event"));
    let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
    approve(&w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    let r = svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    assert_eq!(r.state, PromotionState::Promoted);
    w.ports.refuse_method(None);
    svc.journal().verify().unwrap();
    let lines = read_path(svc.journal().path()).unwrap();
    let targets = w.targets_of("recsys-ranker").await;
    let requested = lines
        .iter()
        .find(|l| l.record.entry.action == "promotion.requested")
        .unwrap();
    assert_eq!(
        requested.record.mirror_failures.len(),
        targets.len(),
        "one note per target: {:?}",
        requested.record.mirror_failures
    );
    assert!(
        requested.record.mirror_failures[0].contains("forbidden"),
        "{:?}",
        requested.record.mirror_failures
    );
    let patched: Vec<_> = lines
        .iter()
        .filter(|l| l.record.entry.action == "workload.patched")
        .collect();
    assert_eq!(patched.len(), targets.len());
    for l in patched {
        assert_eq!(
            l.record.mirror_failures.len(),
            1,
            "a per-target entry goes to its own workload only"
        );
    }
    // Nothing about the promotion reached the cluster's Events.
    for t in &targets {
        let evs = w.backends().cluster.events(t).await.unwrap();
        assert!(
            !evs.iter().any(|e| e.reason.starts_with("Promotion")),
            "{evs:?}"
        );
    }
}
