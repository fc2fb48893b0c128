//! Shared helpers: start sandbox API servers, write kubeconfigs, wait for
//! the adapter to see something.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use modeldeck_apiserver::{
    ApiServer, ApiServerHandle, ControllerConfig, KubeconfigEntry, Seed, ServerConfig,
    write_kubeconfig,
};
use modeldeck_core::domain::Workload;
use modeldeck_core::ports::Cluster;
use modeldeck_kube::{Contexts, KubeCluster, KubeOptions};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

static N: AtomicU32 = AtomicU32::new(0);

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scratch() -> Scratch {
    let d = std::env::temp_dir().join(format!(
        "modeldeck-kube-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// Fast controller timing for tests.
pub fn fast() -> ControllerConfig {
    ControllerConfig {
        tick: Duration::from_millis(50),
        ready_after: Duration::from_millis(250),
        log_interval: Duration::from_millis(100),
        ..ControllerConfig::default()
    }
}

pub async fn server(name: &str, seed: Seed, tls: bool) -> ApiServerHandle {
    let cfg = ServerConfig {
        tls,
        controller: fast(),
        bookmark_interval: Duration::from_millis(200),
        ..ServerConfig::named(name)
    }
    .with_seed(seed);
    ApiServer::start(cfg).await.unwrap()
}

/// Writes a kubeconfig with the given entries and returns its path.
pub fn kubeconfig(dir: &Scratch, file: &str, entries: &[KubeconfigEntry]) -> PathBuf {
    let p = dir.0.join(file);
    write_kubeconfig(&p, entries, &entries[0].context).unwrap();
    p
}

/// An entry pointing at an address where nothing answers HTTP.
pub fn entry_at(context: &str, server: String) -> KubeconfigEntry {
    KubeconfigEntry {
        context: context.into(),
        server,
        user: "admin".into(),
        token: "unused".into(),
        namespace: None,
        ca_pem: None,
    }
}

/// A port on loopback with nothing listening.
pub fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn adapter(kubeconfig: PathBuf, timeout: Duration) -> KubeCluster {
    KubeCluster::connect(KubeOptions {
        kubeconfig: vec![kubeconfig],
        contexts: Contexts::All,
        call_timeout: timeout,
        ..KubeOptions::default()
    })
    .unwrap()
}

/// Waits until `f` holds for the adapter's workloads (liveness bound 30 s).
pub async fn wait_for(
    c: &KubeCluster,
    what: &str,
    f: impl Fn(&[Workload]) -> bool,
) -> Vec<Workload> {
    let mut rx = c.changed().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ws = c.list_workloads().await.unwrap();
        if f(&ws) {
            return ws;
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            panic!(
                "timed out waiting for: {what}; last list: {:#?}",
                ws.iter()
                    .map(|w| (&w.id, &w.served_version, &w.rollout))
                    .collect::<Vec<_>>()
            );
        }
    }
}

pub fn find<'a>(ws: &'a [Workload], ns: &str, name: &str) -> Option<&'a Workload> {
    ws.iter()
        .find(|w| w.id.namespace == ns && w.id.name == name)
}

/// Polls `f` every 10 ms until it holds (liveness bound 10 s).
pub async fn eventually(what: &str, f: impl Fn() -> bool) {
    for _ in 0..1000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never happened: {what}");
}

/// A server `name` holding `objects` and the demo world, and an adapter on
/// two contexts of it: the admin's, and `limited`, whose user `user` may
/// read only the API groups `groups` (the pipeline tests' user who may not
/// list CronWorkflows or ScheduledWorkflows).
pub async fn admin_and_limited(
    name: &str,
    user: &str,
    groups: &[&str],
    mut objects: Vec<serde_json::Value>,
) -> (ApiServerHandle, Scratch, KubeCluster) {
    let reader = modeldeck_apiserver::User::new(
        user,
        vec![modeldeck_apiserver::Rule::new(
            &["get", "list", "watch"],
            groups,
            &["*"],
            &[],
        )],
    );
    objects.extend(modeldeck_apiserver::fixtures::demo_seed(name).objects);
    let s = ApiServer::start(
        ServerConfig {
            controller: fast(),
            objects,
            ..ServerConfig::named(name)
        }
        .with_user(reader),
    )
    .await
    .unwrap();
    let dir = scratch();
    let mut limited = s.kubeconfig_entry(user).unwrap();
    limited.context = "limited".into();
    let c = adapter(
        kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap(), limited]),
        Duration::from_secs(10),
    );
    (s, dir, c)
}

/// The adapter's log tail of `id` (a batch workload whose last run failed)
/// equals the sandbox world's for the same workload in prod-us, and ends
/// with the scoring step's error.
pub async fn failed_log_as_the_world_writes_it(
    c: &KubeCluster,
    world: &dyn Cluster,
    id: &modeldeck_core::domain::WorkloadRef,
) {
    let tail = c.log_tail(id, 5).await.unwrap();
    let world_ref = modeldeck_core::domain::WorkloadRef {
        cluster: "prod-us".into(),
        ..id.clone()
    };
    assert_eq!(tail, world.log_tail(&world_ref, 5).await.unwrap());
    assert!(
        tail.last()
            .is_some_and(|l| l.contains("ERROR scoring failed")),
        "{tail:?}"
    );
}
