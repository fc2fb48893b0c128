//! The sandbox API server's Kubernetes conventions, checked with the real
//! kube client: pagination and expired continue tokens, watch bookmarks,
//! 410 on old resourceVersions, selector transitions, watch-lists, dry-run,
//! patch types, Status errors and authentication.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Event;
use kube::api::{
    Api, DynamicObject, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::watcher;
use kube::{Client, Config, ResourceExt};
use modeldeck_apiserver::{ApiServerHandle, fixtures};
use serde_json::json;
use std::time::Duration;

async fn client(s: &ApiServerHandle, user: &str, dir: &Scratch) -> Client {
    let path = kubeconfig(dir, user, &[s.kubeconfig_entry(user).unwrap()]);
    let kc = Kubeconfig::read_from(path).unwrap();
    let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(cfg).unwrap()
}

fn api_status(e: kube::Error) -> kube::core::Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected a Status, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_expired_continue_tokens() {
    let s = server("p", fixtures::demo_seed("p"), true).await;
    let dir = scratch();
    let api: Api<Deployment> = Api::all(client(&s, "admin", &dir).await);
    let first = api.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.metadata.remaining_item_count, Some(4));
    let rv = first.metadata.resource_version.clone().unwrap();
    let mut names: Vec<String> = first.items.iter().map(|d| d.name_any()).collect();
    let mut token = first.metadata.continue_.clone();
    while let Some(t) = token.filter(|t| !t.is_empty()) {
        let page = api
            .list(&ListParams::default().limit(2).continue_token(&t))
            .await
            .unwrap();
        assert_eq!(
            page.metadata.resource_version.as_deref(),
            Some(rv.as_str()),
            "pages share the list RV"
        );
        names.extend(page.items.iter().map(|d| d.name_any()));
        token = page.metadata.continue_;
    }
    assert_eq!(names.len(), 6);
    // History moves past the list's RV and is compacted: the token is too old.
    s.merge_patch(
        "apps/v1",
        "Deployment",
        "ml-prod",
        "fraud-detector",
        json!({"metadata": {"labels": {"bump": "1"}}}),
    )
    .unwrap();
    s.expire_history();
    let e = api_status(
        api.list(
            &ListParams::default()
                .limit(2)
                .continue_token(first.metadata.continue_.as_deref().unwrap()),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!((e.code, e.reason.as_str()), (410, "Expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_bookmarks_expiry_and_selector_transitions() {
    let s = server("w", fixtures::demo_seed("w"), false).await;
    let dir = scratch();
    let api: Api<Deployment> = Api::namespaced(client(&s, "admin", &dir).await, "ml-prod");
    let list = api.list(&ListParams::default()).await.unwrap();
    let rv = list.metadata.resource_version.unwrap();
    let wp = WatchParams::default()
        .labels("modeldeck.io/model")
        .timeout(20);
    let mut stream = api.watch(&wp, &rv).await.unwrap().boxed();
    let mut bookmark = None;
    while bookmark.is_none() {
        match tokio::time::timeout(Duration::from_secs(10), stream.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            Some(WatchEvent::Bookmark(b)) => bookmark = Some(b.metadata.resource_version),
            Some(_) => {}
            None => panic!("watch ended"),
        }
    }
    assert!(!bookmark.unwrap().is_empty());
    // Dropping the label is a DELETED for this selector; adding it back an ADDED.
    s.merge_patch(
        "apps/v1",
        "Deployment",
        "ml-prod",
        "fraud-detector",
        json!({"metadata": {"labels": {"modeldeck.io/model": null}}}),
    )
    .unwrap();
    s.merge_patch(
        "apps/v1",
        "Deployment",
        "ml-prod",
        "fraud-detector",
        json!({"metadata": {"labels": {"modeldeck.io/model": "fraud-detector"}}}),
    )
    .unwrap();
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(10), stream.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            Some(WatchEvent::Deleted(d)) if d.name_any() == "fraud-detector" => {
                kinds.push("DELETED")
            }
            Some(WatchEvent::Added(d)) if d.name_any() == "fraud-detector" => kinds.push("ADDED"),
            Some(_) => {}
            None => panic!("watch ended"),
        }
    }
    assert_eq!(kinds, vec!["DELETED", "ADDED"]);
    // Open watches end with 410 when history expires; so do watches from old RVs.
    s.expire_history();
    let mut got_gone = false;
    while let Some(ev) = tokio::time::timeout(Duration::from_secs(10), stream.try_next())
        .await
        .unwrap()
        .unwrap()
    {
        if let WatchEvent::Error(e) = ev {
            assert_eq!(e.code, 410);
            got_gone = true;
        }
    }
    assert!(got_gone);
    let mut old = api
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    match old.try_next().await.unwrap() {
        Some(WatchEvent::Error(e)) => assert_eq!((e.code, e.reason.as_str()), (410, "Expired")),
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_watch_lists_work() {
    let s = server("sl", fixtures::demo_seed("sl"), false).await;
    let dir = scratch();
    let api: Api<Deployment> = Api::all(client(&s, "admin", &dir).await);
    let cfg = watcher::Config::default().streaming_lists();
    let mut stream = watcher(api, cfg).boxed();
    let mut n = 0;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.try_next())
            .await
            .unwrap()
            .unwrap()
        {
            Some(watcher::Event::InitApply(_)) => n += 1,
            Some(watcher::Event::InitDone) => break,
            _ => {}
        }
    }
    assert_eq!(n, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_dry_run_patch_types_and_status_errors() {
    let s = server("x", fixtures::demo_seed("x"), true).await;
    let dir = scratch();
    let c = client(&s, "admin", &dir).await;
    let api: Api<Deployment> = Api::namespaced(c.clone(), "ml-prod");
    let dry = api
        .patch(
            "fraud-detector",
            &PatchParams::default().dry_run(),
            &Patch::Merge(json!({"spec": {"replicas": 9}})),
        )
        .await
        .unwrap();
    assert_eq!(dry.spec.replicas, Some(9));
    assert_eq!(
        api.get("fraud-detector").await.unwrap().spec.replicas,
        Some(3),
        "dry run stores nothing"
    );

    let isvc = Api::<DynamicObject>::namespaced_with(
        c.clone(),
        "ml-prod",
        &kube::api::ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
        )),
    );
    let e = api_status(
        isvc.patch(
            "churn-predictor",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {}})),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(e.code, 415, "no strategic merge patch on custom resources");
    let p = isvc
        .patch(
            "churn-predictor",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .unwrap();
    assert_eq!(p.labels().get("x").map(String::as_str), Some("y"));

    let failing: json_patch::Patch =
        serde_json::from_value(json!([{"op": "test", "path": "/spec/replicas", "value": 7}]))
            .unwrap();
    let e = api_status(
        api.patch(
            "fraud-detector",
            &PatchParams::default(),
            &Patch::<()>::Json(failing),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(e.code, 422);

    let e = api_status(api.get("nope").await.unwrap_err());
    assert_eq!((e.code, e.reason.as_str()), (404, "NotFound"));
    assert!(e.message.contains("deployments.apps \"nope\" not found"));
    let existing = api.get("fraud-detector").await.unwrap();
    let mut copy = existing.clone();
    copy.metadata.resource_version = None;
    copy.metadata.uid = None;
    let e = api_status(api.create(&PostParams::default(), &copy).await.unwrap_err());
    assert_eq!((e.code, e.reason.as_str()), (409, "AlreadyExists"));

    let mut bad = existing.clone();
    bad.metadata.name = Some("Bad_Name".into());
    bad.metadata.resource_version = None;
    let e = api_status(api.create(&PostParams::default(), &bad).await.unwrap_err());
    assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"));

    let evs: Api<Event> = Api::namespaced(c.clone(), "ml-prod");
    let l = evs
        .list(
            &ListParams::default()
                .fields("involvedObject.kind=Deployment,involvedObject.name=fraud-detector"),
        )
        .await
        .unwrap();
    assert!(!l.items.is_empty());
    assert!(
        l.items
            .iter()
            .all(|e| e.involved_object.name.as_deref() == Some("fraud-detector"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tokens_are_unauthenticated_and_rules_are_enforced() {
    let s = server("a", fixtures::demo_seed("a"), true).await;
    let dir = scratch();
    let mut wrong = s.kubeconfig_entry("admin").unwrap();
    wrong.token = "not-a-token".into();
    let path = kubeconfig(&dir, "wrong", &[wrong]);
    let cfg = Config::from_custom_kubeconfig(
        Kubeconfig::read_from(path).unwrap(),
        &KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    let api: Api<Deployment> = Api::all(Client::try_from(cfg).unwrap());
    let e = api_status(api.list(&ListParams::default()).await.unwrap_err());
    assert_eq!(e.code, 401);

    let viewer: Api<Deployment> = Api::namespaced(client(&s, "viewer", &dir).await, "ml-prod");
    assert_eq!(
        viewer
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        3
    );
    let e = api_status(
        viewer
            .patch(
                "fraud-detector",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 1}})),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(e.code, 403);
    assert!(e.message.contains("User \"viewer\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"ml-prod\""), "{}", e.message);
}
