//! Rollout history of the simulated world (issue 10's deploy markers): the
//! demo's feature-transformer deploy sits exactly on demand-forecaster's
//! sudden lag_7d shift, a promotion executed in the sandbox adds a revision
//! (a rollback renumbers the old one, as Kubernetes does), an
//! InferenceService follows Knative (a canary's version is a revision,
//! traffic steps are not), a CronJob has none, and bad targets or
//! scenarios are named.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, ErrorCode};
use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};
use std::time::Duration;

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;
const TRANSFORMER: &str = "registry.example.com/commerce/demand-transformer:2.4.0";
const SERVER: &str = "ghcr.io/modeldeck/model-server:1.4.2";

fn forecaster(cluster: &str) -> WorkloadRef {
    wref(
        cluster,
        "commerce",
        WorkloadKind::Deployment,
        "demand-forecaster",
    )
}

async fn history(sb: &Sandbox, t: &WorkloadRef) -> Vec<Revision> {
    sb.backends().cluster.revisions(t).await.unwrap()
}

/// Largest bin-share difference of lag_7d between the live window of
/// `window` ms ending at `at` and v5's reference.
async fn lag_shift(sb: &Sandbox, window: i64, at: Timestamp) -> f64 {
    use modeldeck_core::drift::{Distribution, LiveCounts};
    let b = sb.backends();
    let p = b
        .registry
        .reference_profile("demand-forecaster", "5")
        .await
        .unwrap()
        .unwrap();
    let s = b
        .metrics
        .feature_sample("demand-forecaster", "5", &p, window, Some(at))
        .await
        .unwrap();
    let (Distribution::Numeric { counts, .. }, LiveCounts::Numeric(live)) = (
        &p.feature("lag_7d").unwrap().dist,
        &s.feature("lag_7d").unwrap().counts,
    ) else {
        panic!("lag_7d is numeric");
    };
    let (lt, rt) = (live.iter().sum::<f64>(), counts.iter().sum::<u64>() as f64);
    live.iter()
        .zip(counts)
        .map(|(l, r)| (l / lt - *r as f64 / rt).abs())
        .fold(0.0, f64::max)
}

#[tokio::test]
async fn the_transformer_deploy_sits_on_the_sudden_lag_shift() {
    let sb = demo(42);
    let start = sb.clock().now();
    assert_eq!(start, GENERATED_START);
    for cluster in ["prod-eu", "prod-us"] {
        let r = history(&sb, &forecaster(cluster)).await;
        assert_eq!(r.len(), 2, "{cluster}: created, then the deploy: {r:#?}");
        assert!(r[0].at < start.plus_millis(-20 * 24 * HOUR), "{r:#?}");
        assert_eq!(r[0].images, vec![SERVER]);
        assert_eq!(
            r[0].cause.as_deref(),
            Some("serve models:/demand-forecaster/5")
        );
        assert_eq!(r[1].revision, "2");
        assert_eq!(r[1].at, start.plus_millis(-20 * HOUR), "{cluster}");
        assert_eq!(r[1].images, vec![SERVER, TRANSFORMER]);
        assert_eq!(
            r[1].cause.as_deref(),
            Some("feature transformer 2.4.0: lag features from the new pipeline")
        );
    }
    // The drift starts at that instant: the minute before is clean, the
    // minute after has shifted.
    let at = start.plus_millis(-20 * HOUR);
    let before = lag_shift(&sb, MINUTE, at.plus_millis(-1)).await;
    let after = lag_shift(&sb, MINUTE, at.plus_millis(MINUTE)).await;
    assert!(before < 0.05, "before the deploy: {before}");
    assert!(after > 0.2, "after the deploy: {after}");
    // Workloads without seeded deploys have their creation only.
    let fraud = history(&sb, &fraud_eu()).await;
    assert_eq!(fraud.len(), 1, "{fraud:#?}");
    assert_eq!(
        fraud[0].cause.as_deref(),
        Some("serve models:/fraud-detector/7")
    );
}

#[tokio::test]
async fn a_promotion_adds_a_revision_and_a_rollback_renumbers() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let t = forecaster("prod-eu");
    let before = history(&sb, &t).await;
    sb.advance(Duration::from_secs(600));
    let promoted_at = sb.clock().now();
    c.set_served_version(&t, "6", None).await.unwrap();
    let after = history(&sb, &t).await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(&after[..before.len()], &before[..], "the past is unchanged");
    let new = after.last().unwrap();
    assert_eq!(new.revision, "3");
    assert_eq!(new.at, promoted_at);
    assert_eq!(new.images, before[1].images, "same pods, new model version");
    assert_eq!(
        new.cause.as_deref(),
        Some("serve models:/demand-forecaster/6")
    );
    // The other cluster's workload is untouched.
    assert_eq!(history(&sb, &forecaster("prod-us")).await.len(), 2);

    // Back to v5 with the transformer: revision 2's ReplicaSet comes back
    // as revision 4, keeping its creation time.
    sb.advance(Duration::from_secs(600));
    c.set_served_version(&t, "5", None).await.unwrap();
    let back = history(&sb, &t).await;
    let nums: Vec<&str> = back.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(nums, vec!["1", "3", "4"]);
    assert_eq!(back[2].at, before[1].at);
    assert_eq!(back[2].images, before[1].images);
    assert_eq!(
        back[2].cause.as_deref(),
        Some("serve models:/demand-forecaster/5")
    );
}

#[tokio::test]
async fn inference_services_follow_knative_and_cronjobs_have_none() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    // search-ranker in prod-us serves v5 with a 10 % canary on v6.
    let isvc = wref(
        "prod-us",
        "search",
        WorkloadKind::InferenceService,
        "search-ranker",
    );
    let r = history(&sb, &isvc).await;
    let causes: Vec<&str> = r.iter().filter_map(|r| r.cause.as_deref()).collect();
    assert_eq!(
        causes,
        vec![
            "serve models:/search-ranker/5",
            "canary models:/search-ranker/6 at 10%"
        ]
    );
    assert!(r[0].at < r[1].at && r[1].at <= sb.clock().now());
    // A traffic step makes no revision; nor does promoting the canary's
    // version (its revision already exists).
    c.set_canary(&isvc, "6", 50, None).await.unwrap();
    c.set_served_version(&isvc, "6", None).await.unwrap();
    assert_eq!(history(&sb, &isvc).await, r);
    // Back to v5: a new revision (Knative never reuses one).
    sb.advance(Duration::from_secs(60));
    c.set_served_version(&isvc, "5", None).await.unwrap();
    let back = history(&sb, &isvc).await;
    assert_eq!(back.len(), 3);
    assert_eq!(back[2].revision, "3");
    assert_eq!(back[2].at, sb.clock().now());

    let cron = wref(
        "prod-eu",
        "commerce",
        WorkloadKind::CronJob,
        "churn-batch-scoring",
    );
    assert!(history(&sb, &cron).await.is_empty());
}

#[tokio::test]
async fn unknown_workloads_and_outages_are_named() {
    let sb = demo(42);
    let c = sb.backends().cluster;
    let ghost = wref(
        "prod-eu",
        "commerce",
        WorkloadKind::Deployment,
        "no-such-forecaster",
    );
    let e = c.revisions(&ghost).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains("no-such-forecaster"), "{e}");
    sb.set_outage(Backend::Cluster, true);
    let e = c.revisions(&forecaster("prod-eu")).await.unwrap_err();
    assert_ne!(e.code, ErrorCode::NotFound, "{e}");
}

#[test]
fn bad_deploys_in_a_scenario_name_field_and_line() {
    let base = |deploys: &str, kind: &str| {
        format!(
            "[[clusters]]\nname = \"c\"\nnamespaces = [\"ns\"]\n\n[[models]]\nname = \"m\"\ntask = \"classifier\"\nteam = \"t\"\nversions = 2\n\n\
             [[workloads]]\ncluster = \"c\"\nnamespace = \"ns\"\nkind = \"{kind}\"\nname = \"w\"\nmodel = \"m\"\ndeploys = {deploys}\n"
        )
    };
    let err = |text: String| {
        Sandbox::from_scenario(
            &text,
            ClockMode::Virtual {
                start: GENERATED_START,
            },
        )
        .err()
        .map(|e| e.to_string())
    };
    let ok = base(
        r#"[{ hours_ago = 5, image = "r.example/m:1", cause = "why" }]"#,
        "deployment",
    );
    assert_eq!(err(ok), None);
    let cases = [
        (
            r#"[{ hours_ago = -1, image = "r/m:1" }]"#,
            "deployment",
            "workloads[0].deploys[0].hours_ago",
        ),
        (
            r#"[{ hours_ago = 1, image = "r/m:1" }, { hours_ago = 1, image = "has space:1" }]"#,
            "deployment",
            "workloads[0].deploys[1].image",
        ),
        (
            r#"[{ hours_ago = 1, image = "r/m:1", cause = "" }]"#,
            "deployment",
            "workloads[0].deploys[0].cause",
        ),
        (
            r#"[{ hours_ago = 1, image = "r/m:1" }]"#,
            "cron_job",
            "workloads[0].deploys",
        ),
    ];
    for (deploys, kind, field) in cases {
        let e = err(base(deploys, kind)).unwrap_or_else(|| panic!("{deploys} accepted"));
        assert!(e.contains(field), "{field} missing from: {e}");
        assert!(e.contains("line 11"), "the workload's line: {e}");
    }
    let e = err(base(
        r#"[{ hours_ago = 1, image = "r/m:1", tag = "x" }]"#,
        "deployment",
    ))
    .unwrap();
    assert!(e.contains("tag"), "unknown fields are refused: {e}");
}
