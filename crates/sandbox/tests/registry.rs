//! The simulated registry: versions and runs, not-found errors that name
//! what is missing, tags and aliases that stick, the pending promotion.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, ErrorCode};
use modeldeck_sandbox::PROMOTION_REQUEST_TAG;

#[tokio::test]
async fn the_demo_has_a_dozen_models_with_histories_and_runs() {
    let sb = demo(42);
    let r = sb.backends().registry;
    let models = r.list_models().await.unwrap();
    assert_eq!(models.len(), 12);
    for m in &models {
        let versions = r.list_versions(&m.name).await.unwrap();
        assert!(
            (3..=8).contains(&versions.len()),
            "{} has {}",
            m.name,
            versions.len()
        );
        let numbers: Vec<u64> = versions.iter().map(ModelVersion::number).collect();
        assert!(
            numbers.windows(2).all(|w| w[0] > w[1]),
            "newest first: {numbers:?}"
        );
        assert_eq!(
            m.latest_version.as_deref(),
            Some(versions[0].version.as_str())
        );
        assert!(
            m.aliases.contains_key("champion"),
            "{} has a champion",
            m.name
        );
        for v in &versions {
            let run = r.get_run(v.run_id.as_deref().unwrap()).await.unwrap();
            assert!(run.metrics.len() >= 3, "{run:?}");
            assert!(run.params.contains_key("learning_rate"));
            assert!(run.tags.contains_key("mlflow.user"));
            assert!(run.metrics.values().all(|x| x.is_finite()));
        }
    }
    let with_challenger = models
        .iter()
        .filter(|m| m.aliases.contains_key("challenger"))
        .count();
    assert!(with_challenger >= 3);
    let fraud = r.list_versions("fraud-detector").await.unwrap();
    let run_of = |v: &str| {
        fraud
            .iter()
            .find(|x| x.version == v)
            .unwrap()
            .run_id
            .clone()
            .unwrap()
    };
    let (a, b) = (
        r.get_run(&run_of("7")).await.unwrap(),
        r.get_run(&run_of("8")).await.unwrap(),
    );
    assert!(
        b.metrics["auc"] > a.metrics["auc"],
        "the challenger beats the champion offline"
    );
    assert!(b.metrics["log_loss"] < a.metrics["log_loss"]);
    let demand = r.get_version("demand-forecaster", "5").await.unwrap();
    let run = r.get_run(demand.run_id.as_deref().unwrap()).await.unwrap();
    assert!(run.metrics.contains_key("rmse") && run.metrics.contains_key("mae"));
}

#[tokio::test]
async fn missing_things_are_not_found_with_their_names() {
    let sb = demo(42);
    let r = sb.backends().registry;
    let e = r.get_model("fraud-detectr").await.unwrap_err();
    assert_eq!(
        (e.backend, e.code),
        (Backend::Registry, ErrorCode::NotFound)
    );
    assert!(e.message.contains("fraud-detectr"), "{e}");
    let e = r.list_versions("nope").await.unwrap_err();
    assert!(e.message.contains("nope"));
    let e = r.get_version("fraud-detector", "42").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(
        e.message.contains("42") && e.message.contains("fraud-detector"),
        "{e}"
    );
    let e = r
        .get_version("fraud-detector", "champion")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = r.get_run("0123456789abcdef").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("0123456789abcdef"));
    let e = r
        .set_alias("fraud-detector", "champion", "99")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = r.set_version_tag("ghost", "1", "k", "v").await.unwrap_err();
    assert!(e.message.contains("ghost"));
}

#[tokio::test]
async fn tags_and_aliases_are_set_and_deleted() {
    let sb = demo(42);
    let r = sb.backends().registry;
    r.set_version_tag("churn-model", "3", "reviewed_by", "chen.wei")
        .await
        .unwrap();
    let v = r.get_version("churn-model", "3").await.unwrap();
    assert_eq!(
        v.tags.get("reviewed_by").map(String::as_str),
        Some("chen.wei")
    );
    r.set_version_tag("churn-model", "3", "reviewed_by", "emeka.obi")
        .await
        .unwrap();
    let v = r.get_version("churn-model", "3").await.unwrap();
    assert_eq!(
        v.tags.get("reviewed_by").map(String::as_str),
        Some("emeka.obi")
    );
    r.delete_version_tag("churn-model", "3", "reviewed_by")
        .await
        .unwrap();
    r.delete_version_tag("churn-model", "3", "reviewed_by")
        .await
        .unwrap();
    let v = r.get_version("churn-model", "3").await.unwrap();
    assert!(!v.tags.contains_key("reviewed_by"));
    let e = r
        .set_version_tag("churn-model", "3", "", "x")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);

    r.set_alias("churn-model", "shadow", "2").await.unwrap();
    assert_eq!(
        r.get_version("churn-model", "2").await.unwrap().aliases,
        vec!["shadow"]
    );
    r.set_alias("churn-model", "shadow", "3").await.unwrap();
    assert!(
        r.get_version("churn-model", "2")
            .await
            .unwrap()
            .aliases
            .is_empty()
    );
    r.delete_alias("churn-model", "shadow").await.unwrap();
    r.delete_alias("churn-model", "shadow").await.unwrap();
    assert!(
        !r.get_model("churn-model")
            .await
            .unwrap()
            .aliases
            .contains_key("shadow")
    );
}

#[tokio::test]
async fn the_pending_promotion_is_a_version_tag_with_a_promotion() {
    let sb = demo(42);
    let r = sb.backends().registry;
    let mut pending = Vec::new();
    for m in r.list_models().await.unwrap() {
        for v in r.list_versions(&m.name).await.unwrap() {
            if let Some(json) = v.tags.get(PROMOTION_REQUEST_TAG) {
                pending.push((v.clone(), serde_json::from_str::<Promotion>(json).unwrap()));
            }
        }
    }
    assert_eq!(pending.len(), 1);
    let (v, p) = &pending[0];
    assert_eq!(
        (p.model.as_str(), p.version.as_str()),
        ("fraud-detector", "8")
    );
    assert_eq!(v.aliases, vec!["challenger"]);
    assert_eq!(p.previous_version.as_deref(), Some("7"));
    assert_eq!(p.alias, "champion");
    assert_eq!(p.state, PromotionState::Requested);
    assert_eq!(p.targets.len(), 3);
    assert!(p.requested_at < sb.clock().now());
    let workloads = sb.backends().cluster.list_workloads().await.unwrap();
    for t in &p.targets {
        let w = workloads.iter().find(|w| &w.id == t).unwrap();
        assert_eq!(w.served_version.as_deref(), Some("7"));
    }
}
