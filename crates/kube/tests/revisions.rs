//! Rollout history through the adapter against the simulated API server
//! (our own, crates/apiserver, whose Deployment controller makes one
//! ReplicaSet per pod template with revision annotations, as Kubernetes'
//! does): image changes list as revisions with increasing times, images and
//! change-causes; a rollback renumbers the old ReplicaSet; foreign
//! ReplicaSets are left out; a KServe InferenceService without Knative
//! falls back to its RawDeployment predictor; RBAC refusals name what is
//! missing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::{ApiServer, Rule, ServerConfig, User, fixtures};
use modeldeck_core::domain::{Revision, WorkloadKind, WorkloadRef};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::KubeCluster;
use serde_json::{Value, json};
use std::time::Duration;

const NS: &str = "ml-prod";

fn target(kind: WorkloadKind, ns: &str, name: &str) -> WorkloadRef {
    WorkloadRef {
        cluster: "alpha".into(),
        namespace: ns.into(),
        kind,
        name: name.into(),
    }
}

fn deployment(name: &str, labels: Value, image: &str, cause: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": labels,
                     "annotations": {"kubernetes.io/change-cause": cause}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "server", "image": image}]},
            },
        },
    })
}

fn image_patch(image: &str, cause: &str) -> Value {
    json!({"metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
           "spec": {"template": {"spec": {"containers": [{"name": "server", "image": image}]}}}})
}

/// Polls the history until `done` holds (liveness bound 10 s).
async fn history_until(
    c: &KubeCluster,
    t: &WorkloadRef,
    what: &str,
    done: impl Fn(&[Revision]) -> bool,
) -> Vec<Revision> {
    let mut last = Vec::new();
    for _ in 0..200 {
        last = c.revisions(t).await.unwrap();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}; last history: {last:#?}");
}

fn images(r: &[Revision]) -> Vec<(String, Vec<String>)> {
    r.iter()
        .map(|r| (r.revision.clone(), r.images.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_changes_list_as_revisions_and_a_rollback_renumbers() {
    let s = server("alpha", fixtures::demo_seed("alpha"), true).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let t = target(WorkloadKind::Deployment, NS, "forecaster");
    let started = modeldeck_core::domain::Timestamp::now();
    s.create(deployment(
        "forecaster",
        json!({"app": "forecaster"}),
        "registry.example.com/forecaster:1.0",
        "first deploy",
    ))
    .unwrap();
    // A ReplicaSet with the same labels that the Deployment does not own.
    s.create(json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "forecaster-stray", "namespace": NS, "labels": {"app": "forecaster"},
                     "annotations": {"deployment.kubernetes.io/revision": "99"}},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "forecaster"}},
                 "template": {"metadata": {"labels": {"app": "forecaster"}},
                              "spec": {"containers": [{"name": "server", "image": "stray:1"}]}}},
    }))
    .unwrap();
    history_until(&c, &t, "the first ReplicaSet", |r| r.len() == 1).await;
    // creationTimestamp has second precision: keep the deploys apart.
    for (n, v) in [(2, "1.1"), (3, "1.2")] {
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        s.merge_patch(
            "apps/v1",
            "Deployment",
            NS,
            "forecaster",
            image_patch(
                &format!("registry.example.com/forecaster:{v}"),
                &format!("bump to {v}"),
            ),
        )
        .unwrap();
        history_until(&c, &t, "the next ReplicaSet", |r| r.len() == n).await;
    }
    let r = c.revisions(&t).await.unwrap();
    assert_eq!(
        images(&r),
        vec![
            (
                "1".into(),
                vec!["registry.example.com/forecaster:1.0".into()]
            ),
            (
                "2".into(),
                vec!["registry.example.com/forecaster:1.1".into()]
            ),
            (
                "3".into(),
                vec!["registry.example.com/forecaster:1.2".into()]
            ),
        ],
        "the stray ReplicaSet (revision 99, not owned) is left out"
    );
    let causes: Vec<Option<&str>> = r.iter().map(|r| r.cause.as_deref()).collect();
    assert_eq!(
        causes,
        vec![
            Some("first deploy"),
            Some("bump to 1.1"),
            Some("bump to 1.2")
        ]
    );
    assert!(
        r.windows(2).all(|w| w[0].at < w[1].at),
        "increasing times: {r:#?}"
    );
    let now = modeldeck_core::domain::Timestamp::now();
    assert!(
        r.iter()
            .all(|x| x.at.0 >= started.0 - 1_000 && x.at.0 <= now.0),
        "times are the ReplicaSets' creation: {r:#?} (test ran {started:?}..{now:?})"
    );

    // Back to 1.0: Kubernetes reuses revision 1's ReplicaSet as revision 4,
    // keeping its creation time (kubectl rollout history shows 2, 3, 4).
    s.merge_patch(
        "apps/v1",
        "Deployment",
        NS,
        "forecaster",
        image_patch("registry.example.com/forecaster:1.0", "rollback"),
    )
    .unwrap();
    let after = history_until(&c, &t, "the rollback", |x| {
        x.last().is_some_and(|l| l.revision == "4")
    })
    .await;
    let nums: Vec<&str> = after.iter().map(|x| x.revision.as_str()).collect();
    assert_eq!(nums, vec!["2", "3", "4"]);
    assert_eq!(after[2].images, r[0].images);
    assert_eq!(after[2].at, r[0].at);
    assert_eq!(after[2].cause.as_deref(), Some("rollback"));

    // The seeded fraud-detector carries its serve history as change-causes.
    let fraud = c
        .revisions(&target(WorkloadKind::Deployment, NS, "fraud-detector"))
        .await
        .unwrap();
    let causes: Vec<Option<&str>> = fraud.iter().map(|r| r.cause.as_deref()).collect();
    assert_eq!(
        causes,
        vec![
            Some("serve models:/fraud-detector/6"),
            Some("serve models:/fraud-detector/7")
        ]
    );
    assert!(
        fraud
            .iter()
            .all(|r| r.images == vec![modeldeck_apiserver::seed::IMAGE.to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isvc_without_knative_reads_its_raw_deployment_predictor() {
    let s = server("alpha", fixtures::demo_seed("alpha"), false).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let isvc = target(WorkloadKind::InferenceService, NS, "churn-predictor");
    // The simulated server serves no Knative: nothing to read yet.
    assert_eq!(c.revisions(&isvc).await.unwrap(), Vec::<Revision>::new());
    // What KServe's RawDeployment mode creates.
    s.create(deployment(
        "churn-predictor-predictor",
        json!({"serving.kserve.io/inferenceservice": "churn-predictor", "component": "predictor"}),
        "docker.io/seldonio/mlserver:1.6.1",
        "serve models:/churn-predictor/3",
    ))
    .unwrap();
    let r = history_until(&c, &isvc, "the predictor's ReplicaSet", |r| r.len() == 1).await;
    assert_eq!(r[0].revision, "1");
    assert_eq!(r[0].images, vec!["docker.io/seldonio/mlserver:1.6.1"]);
    assert_eq!(
        r[0].cause.as_deref(),
        Some("serve models:/churn-predictor/3")
    );

    let cron = target(WorkloadKind::CronJob, "ml-batch", "nightly-scorer");
    assert!(c.revisions(&cron).await.unwrap().is_empty());
    let missing = c
        .revisions(&target(WorkloadKind::Deployment, NS, "no-such-model"))
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
    assert!(
        missing.message.contains("ml-prod/no-such-model"),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_replicasets_name_the_verb_resource_and_namespace() {
    let reader = User::new(
        "deploy-reader",
        vec![Rule::new(
            &["get", "list", "watch"],
            &["apps"],
            &["deployments"],
            &[],
        )],
    );
    let cfg = ServerConfig {
        controller: fast(),
        ..ServerConfig::named("alpha")
    }
    .with_seed(fixtures::demo_seed("alpha"))
    .with_user(reader);
    let s = ApiServer::start(cfg).await.unwrap();
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("deploy-reader").unwrap()]),
        Duration::from_secs(10),
    );
    let e = c
        .revisions(&target(WorkloadKind::Deployment, NS, "fraud-detector"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "{e}");
    for word in ["list", "replicasets", "ml-prod", "deploy-reader"] {
        assert!(e.message.contains(word), "{word:?} missing from: {e}");
    }
    assert_eq!(e.location.as_deref(), Some("context alpha"));
}

/// `modeldeck sandbox serve` seeds the API server from the sandbox's port:
/// the ReplicaSets it seeds make `kubectl rollout history` (read here
/// through the adapter) list what the sandbox lists, times to the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_seeded_from_the_sandbox_lists_the_sandbox_history() {
    use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};
    let sb = Sandbox::demo_with(
        42,
        ClockMode::Virtual {
            start: GENERATED_START,
        },
    )
    .unwrap();
    let port = sb.backends().cluster;
    let seeds = modeldeck_apiserver::seed::from_cluster(port.as_ref())
        .await
        .unwrap();
    let s = server("prod-eu", seeds["prod-eu"].clone(), false).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(10),
    );
    let seconds = |r: &[Revision]| -> Vec<(i64, String, Vec<String>, Option<String>)> {
        r.iter()
            .map(|r| {
                (
                    r.at.0.div_euclid(1000),
                    r.revision.clone(),
                    r.images.clone(),
                    r.cause.clone(),
                )
            })
            .collect()
    };
    let mut t = target(WorkloadKind::Deployment, "commerce", "demand-forecaster");
    t.cluster = "prod-eu".into();
    let want = port.revisions(&t).await.unwrap();
    assert_eq!(want.len(), 2, "created, then the transformer deploy");
    let got = c.revisions(&t).await.unwrap();
    assert_eq!(seconds(&got), seconds(&want));
    let d = s
        .get("apps/v1", "Deployment", "commerce", "demand-forecaster")
        .unwrap();
    let images: Vec<&str> = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["image"].as_str())
        .collect();
    assert_eq!(images, want[1].images, "the Deployment runs the newest");
    // The adopted ReplicaSet runs: the workload is settled, not rolling.
    let ws = wait_for(&c, "demand-forecaster ready", |ws| {
        find(ws, "commerce", "demand-forecaster").is_some_and(|w| w.ready_replicas == 2)
    })
    .await;
    let w = find(&ws, "commerce", "demand-forecaster").unwrap();
    assert_eq!(
        w.rollout,
        modeldeck_core::domain::RolloutState::Available,
        "{w:?}"
    );
    assert_eq!(w.served_version.as_deref(), Some("5"));
    for (kind, ns, name) in [
        (WorkloadKind::Deployment, "risk", "fraud-detector"),
        (WorkloadKind::StreamConsumer, "risk", "fraud-stream-scorer"),
    ] {
        let mut t = target(kind, ns, name);
        t.cluster = "prod-eu".into();
        let want = port.revisions(&t).await.unwrap();
        assert!(!want.is_empty());
        assert_eq!(
            seconds(&c.revisions(&t).await.unwrap()),
            seconds(&want),
            "{t}"
        );
    }
}
