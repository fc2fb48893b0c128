//! The kube adapter against the sandbox API server over real HTTP(S) with
//! the real kube client: list/watch, 410 relist, conflicts, access reviews,
//! dead contexts, rollout progression, events, logs and rollback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::fixtures;
use modeldeck_core::domain::{AccessCheck, Canary, RolloutState, WorkloadKind, WorkloadRef};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::ContextPhase;
use serde_json::json;
use std::time::Duration;

fn wref(ctx: &str, ns: &str, kind: WorkloadKind, name: &str) -> WorkloadRef {
    WorkloadRef {
        cluster: ctx.into(),
        namespace: ns.into(),
        kind,
        name: name.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_every_kind_and_follows_changes() {
    let s = server("alpha", fixtures::demo_seed("alpha"), true).await;
    let dir = scratch();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]);
    let c = adapter(kc, Duration::from_secs(10));
    let ws = wait_for(&c, "the demo workloads", |ws| ws.len() == 8).await;
    assert!(ws.iter().all(|w| w.id.cluster == "alpha"));
    let fraud = find(&ws, "ml-prod", "fraud-detector").unwrap();
    assert_eq!(
        (
            fraud.id.kind,
            fraud.served_version.as_deref(),
            fraud.model.as_deref()
        ),
        (WorkloadKind::Deployment, Some("7"), Some("fraud-detector"))
    );
    assert_eq!(fraud.rollout, RolloutState::Available);
    assert_eq!((fraud.ready_replicas, fraud.desired_replicas), (3, 3));
    let isvc = find(&ws, "ml-prod", "churn-predictor").unwrap();
    assert_eq!(isvc.id.kind, WorkloadKind::InferenceService);
    assert_eq!(isvc.served_version.as_deref(), Some("3"));
    assert_eq!(
        isvc.canary,
        Some(Canary {
            version: "4".into(),
            traffic_percent: 20
        })
    );
    assert_eq!(
        find(&ws, "ml-prod", "ranker-stream").unwrap().id.kind,
        WorkloadKind::StreamConsumer
    );
    assert_eq!(
        find(&ws, "ml-batch", "nightly-scorer").unwrap().rollout,
        RolloutState::Suspended
    );
    assert_eq!(
        find(&ws, "ml-staging", "search-ranker").unwrap().rollout,
        RolloutState::Paused
    );

    // A new bound Deployment appears, an unbound one never does.
    let deploy = |name: &str, labels: serde_json::Value| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "ml-prod", "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name},
            "annotations": {"modeldeck.io/model-version": "1"}}, "spec": {"containers": [{"name": "s", "image": "m:1"}]}}}})
    };
    s.create(deploy("unbound", json!({"app": "unbound"})))
        .unwrap();
    s.create(deploy(
        "fresh",
        json!({"modeldeck.io/model": "fresh-model"}),
    ))
    .unwrap();
    let ws = wait_for(&c, "fresh to appear", |ws| {
        find(ws, "ml-prod", "fresh").is_some()
    })
    .await;
    assert!(find(&ws, "ml-prod", "unbound").is_none());
    // Dropping the binding label removes it (the server turns that into DELETED).
    s.merge_patch(
        "apps/v1",
        "Deployment",
        "ml-prod",
        "fresh",
        json!({"metadata": {"labels": {"modeldeck.io/model": null}}}),
    )
    .unwrap();
    wait_for(&c, "fresh to go", |ws| {
        find(ws, "ml-prod", "fresh").is_none()
    })
    .await;
    // Deleting removes it too.
    modeldeck_apiserver::write::delete(
        s.store(),
        modeldeck_apiserver::resources::ids::DEPLOYMENTS,
        "ml-prod",
        "recommender",
        None,
        false,
        false,
    )
    .unwrap();
    let ws = wait_for(&c, "recommender to go", |ws| {
        find(ws, "ml-prod", "recommender").is_none()
    })
    .await;
    assert_eq!(ws.len(), 7);
    assert_eq!(c.context_status()[0].phase, ContextPhase::Ready);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relists_after_the_watch_window_expires() {
    let s = server("alpha", fixtures::demo_seed("alpha"), false).await;
    let dir = scratch();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]);
    let c = adapter(kc, Duration::from_secs(10));
    wait_for(&c, "initial sync", |ws| ws.len() == 8).await;
    // Once the watch is open, expiring the history must cut it with a 410.
    eventually("an open deployments watch", || {
        s.open_watches("deployments") > 0
    })
    .await;
    let lists_before = s.request_count("list", "deployments");
    let watches_before = s.request_count("watch", "deployments");
    // Expire the history (open watches end with 410), then change an object
    // while the watch is down: only a re-list can show it.
    s.expire_history();
    s.merge_patch("apps/v1", "Deployment", "ml-prod", "fraud-detector",
        json!({"spec": {"template": {"metadata": {"annotations": {"modeldeck.io/model-version": "99"}}}}})).unwrap();
    let ws = wait_for(&c, "the patched version after relist", |ws| {
        find(ws, "ml-prod", "fraud-detector").and_then(|w| w.served_version.as_deref())
            == Some("99")
    })
    .await;
    assert_eq!(ws.len(), 8);
    assert!(
        s.request_count("list", "deployments") > lists_before,
        "a 410 must trigger a re-list"
    );
    eventually("a new watch after the re-list", || {
        s.request_count("watch", "deployments") > watches_before
    })
    .await;
    assert_eq!(
        c.context_status()[0].phase,
        ContextPhase::Ready,
        "410 is routine, not an error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_resource_version_is_a_conflict() {
    let s = server("alpha", fixtures::demo_seed("alpha"), true).await;
    let dir = scratch();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]);
    let c = adapter(kc, Duration::from_secs(10));
    let ws = wait_for(&c, "sync", |ws| ws.len() == 8).await;
    let seen = find(&ws, "ml-staging", "fraud-detector").unwrap().clone();
    // Someone else changes the object after we read it.
    s.merge_patch(
        "apps/v1",
        "Deployment",
        "ml-staging",
        "fraud-detector",
        json!({"metadata": {"labels": {"touched": "yes"}}}),
    )
    .unwrap();
    let err = c
        .set_served_version(&seen.id, "9", Some(&seen.resource_version))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "{err}");
    assert!(err.message.contains(&seen.resource_version), "{err}");
    let d = s
        .get("apps/v1", "Deployment", "ml-staging", "fraud-detector")
        .unwrap();
    assert_eq!(
        d["spec"]["template"]["metadata"]["annotations"]["modeldeck.io/model-version"], "8",
        "nothing changed"
    );

    let fresh = wait_for(&c, "the touched label", |ws| {
        find(ws, "ml-staging", "fraud-detector").is_some_and(|w| w.labels.contains_key("touched"))
    })
    .await;
    let fresh = find(&fresh, "ml-staging", "fraud-detector").unwrap();
    let w = c
        .set_served_version(&fresh.id, "9", Some(&fresh.resource_version))
        .await
        .unwrap();
    assert_eq!(w.served_version.as_deref(), Some("9"));
    let d = s
        .get("apps/v1", "Deployment", "ml-staging", "fraud-detector")
        .unwrap();
    let env = &d["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env[1], json!({"name": "MODEL_VERSION", "value": "9"}));
    assert_eq!(
        env[2],
        json!({"name": "MODEL_URI", "value": "models:/fraud-detector/9"})
    );

    // InferenceService: storageUri and the stable-version annotation; the canary ends.
    let isvc = wref(
        "alpha",
        "ml-prod",
        WorkloadKind::InferenceService,
        "churn-predictor",
    );
    let w = c.set_served_version(&isvc, "4", None).await.unwrap();
    assert_eq!(
        (w.served_version.as_deref(), w.canary.as_ref()),
        (Some("4"), None)
    );
    let o = s
        .get(
            "serving.kserve.io/v1beta1",
            "InferenceService",
            "ml-prod",
            "churn-predictor",
        )
        .unwrap();
    assert_eq!(
        o["spec"]["predictor"]["model"]["storageUri"],
        "models:/churn-predictor/4"
    );
    assert!(o["spec"]["predictor"].get("canaryTrafficPercent").is_none());
    let missing = c
        .set_served_version(
            &wref("alpha", "ml-prod", WorkloadKind::Deployment, "nope"),
            "1",
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_reviews_answer_per_user() {
    let s = server("alpha", fixtures::demo_seed("alpha"), true).await;
    let dir = scratch();
    let mut viewer = s.kubeconfig_entry("viewer").unwrap();
    viewer.context = "as-viewer".into();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap(), viewer]);
    let c = adapter(kc, Duration::from_secs(10));
    let patch = AccessCheck {
        verb: "patch".into(),
        group: "apps".into(),
        resource: "deployments".into(),
        namespace: Some("ml-prod".into()),
    };
    let list = AccessCheck {
        verb: "list".into(),
        ..patch.clone()
    };
    let approve = AccessCheck {
        verb: "approve".into(),
        group: "modeldeck.io".into(),
        resource: "modelpromotions".into(),
        namespace: None,
    };
    assert!(c.can_i("alpha", &patch).await.unwrap());
    assert!(c.can_i("alpha", &approve).await.unwrap());
    assert!(!c.can_i("as-viewer", &patch).await.unwrap());
    assert!(c.can_i("as-viewer", &list).await.unwrap());
    assert!(!c.can_i("as-viewer", &approve).await.unwrap());
    assert_eq!(c.whoami("as-viewer").await.unwrap().username, "viewer");
    let me = c.whoami("alpha").await.unwrap();
    assert_eq!(me.username, "admin");
    assert!(me.groups.contains(&"system:masters".to_string()));
    // The server enforces it too.
    wait_for(&c, "both contexts", |ws| ws.len() == 16).await;
    let err = c
        .set_served_version(
            &wref(
                "as-viewer",
                "ml-prod",
                WorkloadKind::Deployment,
                "fraud-detector",
            ),
            "8",
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err}");
    assert!(err.message.contains("viewer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_and_silent_contexts_do_not_block_the_live_one() {
    let s = server("live", fixtures::demo_seed("live"), true).await;
    let dir = scratch();
    // A listener that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let kc = kubeconfig(
        &dir,
        "kc",
        &[
            entry_at("dead", format!("http://127.0.0.1:{}", dead_port())),
            s.kubeconfig_entry("admin").unwrap(),
            entry_at("silent", silent_url),
        ],
    );
    let c = adapter(kc, Duration::from_secs(3));
    assert_eq!(c.clusters(), vec!["dead", "live", "silent"]);
    // Rows come in as the live context's watchers list them (each kind,
    // page by page): all 8, despite the others.
    let ws = wait_for(&c, "the live context's workloads", |ws| ws.len() == 8).await;
    assert!(ws.iter().all(|w| w.id.cluster == "live"));
    let st = c.wait_ready(Duration::from_secs(20)).await;
    let by = |n: &str| st.iter().find(|s| s.context == n).unwrap().clone();
    assert_eq!(by("live").phase, ContextPhase::Ready);
    let dead = by("dead");
    assert_eq!(dead.phase, ContextPhase::Failed);
    assert_eq!(
        dead.error.as_ref().map(|e| e.code),
        Some(ErrorCode::Unreachable),
        "{:?}",
        dead.error
    );
    // The port reports both, each naming its context and server, while
    // list_workloads answers with the live one's workloads.
    let parts = c.partial_failures();
    let named: Vec<_> = parts.iter().map(|p| p.context.as_str()).collect();
    assert_eq!(named, vec!["dead", "silent"], "{parts:?}");
    assert!(
        parts[0]
            .server
            .as_deref()
            .is_some_and(|s| s.starts_with("http://127.0.0.1:")),
        "{:?}",
        parts[0]
    );
    assert!(!parts[0].stale, "never listed: nothing stale to show");
    assert!(
        parts[0].summary().starts_with("dead: ")
            && parts[0].summary().contains("(server http://127.0.0.1:"),
        "{}",
        parts[0]
    );
    let silent = by("silent");
    assert_eq!(silent.phase, ContextPhase::Failed);
    assert_eq!(
        silent.error.as_ref().map(|e| e.code),
        Some(ErrorCode::Timeout),
        "{:?}",
        silent.error
    );
    // Calls on the dead context fail on their own.
    let err = c.whoami("dead").await.unwrap_err();
    assert!(
        matches!(err.code, ErrorCode::Unreachable | ErrorCode::Timeout),
        "{err}"
    );
    assert!(c.whoami("live").await.is_ok());
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_context_dead_is_an_error_naming_each() {
    let dir = scratch();
    let (pa, pb) = (dead_port(), dead_port());
    let kc = kubeconfig(
        &dir,
        "kc",
        &[
            entry_at("a", format!("http://127.0.0.1:{pa}")),
            entry_at("b", format!("http://127.0.0.1:{pb}")),
        ],
    );
    let c = adapter(kc, Duration::from_secs(5));
    let err = c.list_workloads().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Unreachable, "{err}");
    assert!(
        err.message.contains("a: ") && err.message.contains("b: "),
        "{err}"
    );
    // Each context's server, so the user sees where it tried.
    assert!(
        err.message
            .contains(&format!("(server http://127.0.0.1:{pa})"))
            && err
                .message
                .contains(&format!("(server http://127.0.0.1:{pb})")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_goes_away_leaves_stale_workloads_and_a_degraded_context() {
    let s = server("gone", fixtures::demo_seed("gone"), true).await;
    let dir = scratch();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]),
        Duration::from_secs(3),
    );
    wait_for(&c, "sync", |ws| ws.len() == 8).await;
    let addr = s.addr();
    s.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the port is closed"
    );
    let st = loop {
        let st = c.context_status();
        if st[0].phase == ContextPhase::Degraded {
            break st;
        }
        let mut rx = c.changed().unwrap();
        tokio::time::timeout(Duration::from_secs(30), rx.changed())
            .await
            .expect("the context never turned degraded")
            .unwrap();
    };
    assert!(st[0].error.is_some());
    assert_eq!(
        c.list_workloads().await.unwrap().len(),
        8,
        "the last known workloads stay, marked stale by the phase"
    );
    let e = c.whoami("gone").await.unwrap_err();
    assert!(
        matches!(e.code, ErrorCode::Unreachable | ErrorCode::Timeout),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chosen_namespaces_only_and_silent_calls_time_out() {
    let s = server("ns", fixtures::demo_seed("ns"), false).await;
    let dir = scratch();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]);
    let c = modeldeck_kube::KubeCluster::connect(modeldeck_kube::KubeOptions {
        kubeconfig: vec![kc],
        namespaces: Some(vec!["ml-staging".into(), "ml-batch".into()]),
        ..modeldeck_kube::KubeOptions::default()
    })
    .unwrap();
    let ws = wait_for(&c, "two namespaces", |ws| ws.len() == 4).await;
    assert!(ws.iter().all(|w| w.id.namespace != "ml-prod"), "{ws:?}");
    assert_eq!(
        s.request_count("list", "deployments"),
        2,
        "one watcher per chosen namespace"
    );
    // The InferenceService watchers start after discovery finds KServe, so
    // the workloads may be listed before they have synced: wait for them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while c.context_status()[0].synced != (6, 6) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        c.context_status()[0].synced,
        (6, 6),
        "deployments, cronjobs, inference services x 2"
    );

    // A server that accepts and never answers: every user call is bounded.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let kc = kubeconfig(&dir, "silent", &[entry_at("silent", url)]);
    let c = adapter(kc, Duration::from_millis(500));
    let e = c.whoami("silent").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout, "{e}");
    let e = c
        .events(&wref("silent", "ml", WorkloadKind::Deployment, "x"))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout, "{e}");
    let e = c.list_workloads().await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout, "{e}");
    hold.abort();
}
