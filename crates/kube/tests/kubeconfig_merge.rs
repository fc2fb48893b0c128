//! Several kubeconfig files through [`KubeCluster`], merged as kubectl merges
//! `KUBECONFIG`: contexts of every file are watched, the first file wins a
//! name both define, `current-context` comes from the first file that sets
//! it, and a missing file is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_apiserver::fixtures;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::{ContextPhase, Contexts, KubeCluster, KubeOptions};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contexts_of_every_file_first_file_wins_and_sets_the_current_context() {
    let live = server("live", fixtures::demo_seed("live"), false).await;
    let shared = server("shared", fixtures::demo_seed("shared"), false).await;
    let other = server("other", fixtures::demo_seed("other"), false).await;
    let dir = scratch();
    let dead = format!("http://127.0.0.1:{}", dead_port());
    // The first file names `shared` too, at a dead address: its entry wins,
    // so `shared` fails although the second file's `shared` would answer.
    let a = kubeconfig(
        &dir,
        "a.yaml",
        &[
            live.kubeconfig_entry("admin").unwrap(),
            entry_at("shared", dead.clone()),
        ],
    );
    let b = kubeconfig(
        &dir,
        "b.yaml",
        &[
            shared.kubeconfig_entry("admin").unwrap(),
            other.kubeconfig_entry("admin").unwrap(),
        ],
    );
    let files = vec![a, dir.0.join("missing.yaml"), b];

    let current = KubeCluster::connect(KubeOptions {
        kubeconfig: files.clone(),
        ..KubeOptions::default()
    })
    .unwrap();
    assert_eq!(
        current.clusters(),
        vec!["live"],
        "current-context of the first file (the second says `shared`)"
    );
    drop(current);

    let c = KubeCluster::connect(KubeOptions {
        kubeconfig: files,
        contexts: Contexts::All,
        call_timeout: Duration::from_secs(3),
        ..KubeOptions::default()
    })
    .unwrap();
    assert_eq!(c.clusters(), vec!["live", "shared", "other"]);
    let ws = wait_for(&c, "both live contexts listed", |ws| {
        ws.iter().any(|w| w.id.cluster == "live") && ws.iter().any(|w| w.id.cluster == "other")
    })
    .await;
    assert!(ws.iter().all(|w| w.id.cluster != "shared"), "{ws:?}");
    let st = c.wait_ready(Duration::from_secs(20)).await;
    let by = |n: &str| st.iter().find(|s| s.context == n).unwrap().clone();
    assert_eq!(by("live").phase, ContextPhase::Ready);
    assert_eq!(by("other").phase, ContextPhase::Ready);
    let shared_st = by("shared");
    assert_eq!(shared_st.phase, ContextPhase::Failed, "{shared_st:?}");
    assert_eq!(
        shared_st.server.as_deref().map(|s| s.trim_end_matches('/')),
        Some(dead.as_str()),
        "the first file's server"
    );
    let parts = c.partial_failures();
    assert_eq!(
        parts.iter().map(|p| p.context.as_str()).collect::<Vec<_>>(),
        vec!["shared"],
        "{parts:?}"
    );
    assert_eq!(
        shared.request_count("list", "deployments"),
        0,
        "the second file's `shared` is never asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_missing_files_is_an_error_naming_them() {
    let dir = scratch();
    let e = KubeCluster::connect(KubeOptions {
        kubeconfig: vec![dir.0.join("a.yaml"), dir.0.join("b.yaml")],
        ..KubeOptions::default()
    })
    .unwrap_err();
    assert!(
        e.message.contains("a.yaml") && e.message.contains("b.yaml"),
        "{e}"
    );
}

/// Nested YAML aliases (each doubling the one before) are refused with the
/// file named, before kube-rs's parser replays them; a kubeconfig that
/// shares its user with an anchor and an alias still reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alias_bombs_are_refused_and_a_shared_anchor_reads() {
    let dir = scratch();
    let mut bomb = String::from("apiVersion: v1\nkind: Config\na0: &a0 [x, x]\n");
    for i in 1..24 {
        bomb.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1));
    }
    let path = dir.0.join("bomb.yaml");
    std::fs::write(&path, &bomb).unwrap();
    let e = modeldeck_kube::config::read_kubeconfig(std::slice::from_ref(&path)).unwrap_err();
    assert!(
        e.message.contains("bomb.yaml") && e.message.contains("billion laughs"),
        "{e}"
    );
    assert!(!e.message.contains("[x, x]"), "{e}");

    let shared = "apiVersion: v1\nkind: Config\n\
        clusters:\n- name: a\n  cluster:\n    server: https://a.example:6443\n\
        - name: b\n  cluster:\n    server: https://b.example:6443\n\
        users:\n- name: u\n  user: &u\n    token: shared-token-1234\n\
        - name: v\n  user: *u\n\
        contexts:\n- name: a\n  context: {cluster: a, user: u}\n\
        - name: b\n  context: {cluster: b, user: v}\n\
        current-context: a\n";
    let path = dir.0.join("shared.yaml");
    std::fs::write(&path, shared).unwrap();
    let kc = modeldeck_kube::config::read_kubeconfig(&[path]).unwrap();
    assert_eq!(kc.contexts.len(), 2);
    assert_eq!(kc.auth_infos.len(), 2);
}
