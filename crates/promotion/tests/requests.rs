//! Requests: input checked with clear errors, hostile strings handled, the
//! registry's tag limits respected before anything is written, operation
//! ids making retries idempotent, and auto-execution on the last approval.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::World;
use modeldeck_core::domain::{PromotionState, WorkloadKind, WorkloadRef};
use modeldeck_promotion::tags::{self, TagKind};
use modeldeck_promotion::{NewPromotion, PromotionError};
use modeldeck_sandbox::GenSpec;

fn ask(model: &str, version: &str) -> NewPromotion {
    NewPromotion {
        model: model.into(),
        version: version.into(),
        reason: "because".into(),
        ..NewPromotion::default()
    }
}

fn code(r: Result<impl std::fmt::Debug, PromotionError>) -> (String, String) {
    let e = r.unwrap_err();
    (e.code().to_string(), e.to_string())
}

#[tokio::test]
async fn bad_requests_are_refused_with_what_and_where() {
    let w = World::demo(42);
    let svc = w.service("console");
    w.act_as("alice");
    let calls = w.ports.calls();
    let cases: Vec<(NewPromotion, &str, &str)> = vec![
        (
            NewPromotion {
                reason: String::new(),
                ..ask("recsys-ranker", "8")
            },
            "invalid_input",
            "invalid reason",
        ),
        (
            NewPromotion {
                reason: "x".repeat(1001),
                ..ask("recsys-ranker", "8")
            },
            "too_large",
            "reason is 1001 bytes; the limit is 1000",
        ),
        (
            NewPromotion {
                alias: Some("champ ion/..".into()),
                ..ask("recsys-ranker", "8")
            },
            "invalid_input",
            "invalid alias",
        ),
        (
            NewPromotion {
                id: Some("Not An Id".into()),
                ..ask("recsys-ranker", "8")
            },
            "invalid_input",
            "invalid id",
        ),
        (ask("recsys-ranker", "99"), "not_found", "version \"99\""),
        (
            ask("no-such-model\n\"quoted\"", "1"),
            "invalid_input",
            r#"no workload is bound to model "no-such-model\n\"quoted\"""#,
        ),
        (
            ask("recsys-ranker", "7"),
            "invalid_input",
            "champion already points at v7",
        ),
        (
            NewPromotion {
                targets: vec![WorkloadRef {
                    cluster: "prod-eu".into(),
                    namespace: "search".into(),
                    kind: WorkloadKind::Deployment,
                    name: "query-intent".into(),
                }],
                ..ask("recsys-ranker", "8")
            },
            "invalid_input",
            "serves query-intent, not recsys-ranker",
        ),
        (
            NewPromotion {
                targets: vec![WorkloadRef {
                    cluster: "prod-eu".into(),
                    namespace: "search".into(),
                    kind: WorkloadKind::Deployment,
                    name: "ghost".into(),
                }],
                ..ask("recsys-ranker", "8")
            },
            "not_found",
            "prod-eu/search/deploy/ghost",
        ),
    ];
    for (input, want_code, want_text) in cases {
        let (c, msg) = code(svc.request(input.clone()).await);
        println!("{c}: {msg}");
        assert_eq!(c, want_code, "{input:?}: {msg}");
        assert!(msg.contains(want_text), "{input:?}: {msg}");
    }
    assert!(
        w.ports.writes_since(calls).is_empty(),
        "nothing written for bad requests"
    );
    assert_eq!(
        svc.journal().verify().unwrap().count,
        9,
        "every refusal journaled"
    );
}

#[tokio::test]
async fn a_retried_request_with_the_same_id_writes_once() {
    let w = World::demo(42);
    let svc = w.service("ci");
    w.act_as("ci-bot");
    let input = NewPromotion {
        id: Some("release-2026-11-28".into()),
        ..ask("recsys-ranker", "8")
    };
    let calls = w.ports.calls();
    let a = svc.request(input.clone()).await.unwrap();
    let b = svc.request(input.clone()).await.unwrap();
    assert_eq!(
        (a.id.as_str(), b.id.as_str()),
        ("release-2026-11-28", "release-2026-11-28")
    );
    let request_writes = w
        .ports
        .writes_since(calls)
        .into_iter()
        .filter(|x| x.ends_with("/request"))
        .count();
    assert_eq!(request_writes, 1);
    let (c, msg) = code(
        svc.request(NewPromotion {
            reason: "something else".into(),
            ..input
        })
        .await,
    );
    assert_eq!(c, "invalid_input", "{msg}");
    assert!(msg.contains("already names another request"), "{msg}");
}

#[tokio::test]
async fn too_many_targets_for_one_registry_tag_are_refused_before_writing() {
    let w = World::generated(&GenSpec {
        seed: 3,
        clusters: 2,
        namespaces: 2,
        models: 1,
        workloads: 60,
        versions_per_model: 3,
    });
    let model = w.backends().registry.list_models().await.unwrap()[0]
        .name
        .clone();
    let svc = w.service("console");
    w.act_as("alice");
    let calls = w.ports.calls();
    let (c, msg) = code(svc.request(ask(&model, "3")).await);
    assert_eq!(c, "invalid_input", "{msg}");
    assert!(
        msg.contains("60 targets")
            && msg.contains("over the registry's 5000")
            && msg.contains("split"),
        "{msg}"
    );
    assert!(w.ports.writes_since(calls).is_empty());
    // A handful of them fits.
    let few: Vec<WorkloadRef> = w.targets_of(&model).await.into_iter().take(5).collect();
    let p = svc
        .request(NewPromotion {
            targets: few,
            ..ask(&model, "3")
        })
        .await
        .unwrap();
    assert_eq!(p.targets.len(), 5);
    let v = w
        .backends()
        .registry
        .get_version(&model, "3")
        .await
        .unwrap();
    assert!(
        v.tags
            .iter()
            .all(|(k, val)| k.len() <= 250 && val.len() <= 5000)
    );
}

#[tokio::test]
async fn the_last_required_approval_executes_when_the_policy_says_so() {
    let w = World::demo(42);
    let svc = w.service("console");
    let id = request(&w, &svc, "alice", "eta-predictor", "4").await;
    w.act_as("bob");
    let p = svc.approve(&id, "ship it").await.unwrap();
    assert_eq!(p.state, PromotionState::Promoted);
    assert!(all_on(&served(&w, "eta-predictor", "champion").await, "4"));
}

#[tokio::test]
async fn hostile_names_and_comments_are_stored_safely() {
    let w = World::demo(42);
    let svc = w.service("console");
    let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
    let evil = "robert'); DROP TABLE--\n\u{202e}evil\u{0}/../../x";
    w.act_as(evil);
    let comment = "looks \"fine\"\n\t<script>alert(1)</script> é 🚀";
    svc.approve(&id, comment).await.unwrap();
    let v = w
        .backends()
        .registry
        .get_version("recsys-ranker", "8")
        .await
        .unwrap();
    let key = tags::key(&id, &TagKind::Approval(tags::approver_key(evil)));
    assert!(
        key.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b)),
        "{key}"
    );
    let rec: tags::ApprovalRecord = tags::decode(&key, &v.tags[&key]).unwrap();
    assert_eq!(
        (
            rec.approval.approver.as_str(),
            rec.approval.comment.as_str()
        ),
        (evil, comment)
    );
    let st = svc.status(&id).await.unwrap();
    assert_eq!(st.promotion.state, PromotionState::Approved);
    svc.journal().verify().unwrap();
}
