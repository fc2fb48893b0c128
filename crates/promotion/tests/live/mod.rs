//! The promotion tests' world on REAL backends: a real MLflow server (from
//! `scripts/services/mlflow.sh`, sqlite store) as the registry, and two
//! sandbox Kubernetes API servers (`prod-eu`, `prod-us`) reached through
//! the kube adapter (`KubeCluster`, one per user, each with its own bearer
//! token) as the cluster. The registry and cluster content is copied from
//! the sandbox demo world (same versions, run metrics and workloads, model
//! names prefixed so runs never collide on the shared MLflow); the metrics
//! port is the demo world's, whose workloads have the same refs.
//!
//! Assertions read each backend directly: MLflow through its REST API,
//! the workloads through the API server's store; never Modeldeck's view.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cluster;
pub mod outage;
pub mod registry;
pub mod seed;

use crate::common::TempDir;
use crate::common::faulty::Faulty;
use cluster::UserCluster;
use modeldeck_apiserver::ApiServerHandle;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{
    Clock, SharedClock, SystemClock, Timestamp, WorkloadKind, WorkloadRef,
};
use modeldeck_promotion::journal::{Journal, JournalOptions};
use modeldeck_promotion::{PolicySet, PromotionOptions, Promotions};
use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The policy of the live tests: the sandbox tests' rules, with timings a
/// real rollout on the API server meets in seconds, and canary steps for
/// the rankers (whose `prod-us` targets are InferenceServices).
pub const LIVE_POLICY: &str = r#"
[default]
min_approvals = 1
approval_ttl = "24h"
bake = "300ms"
rollout_poll = "100ms"
rollout_timeout = "20s"

[[rules]]
models = "*-ranker"
[rules.policy]
min_approvals = 1
metrics = [{ name = "ndcg_at_10", tolerance = 0.01 }]
bake = "300ms"
rollout_poll = "100ms"
rollout_timeout = "20s"
canary_steps = [10, 50]
"#;

pub fn live_policies() -> PolicySet {
    let set: PolicySet = toml::from_str(LIVE_POLICY).unwrap();
    set.validate().unwrap();
    set
}

/// `$var`, or a failing test that says how to get the server.
pub fn need_env(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => panic!(
            "{var} is not set: the live promotion tests need a real MLflow server. Run them \
             through `scripts/test.sh`, or start one with \
             `eval \"$(scripts/services/mlflow.sh start dev)\"` (and \
             `eval \"$(scripts/services/mlflow.sh start dev-auth --auth)\"` for the read-only \
             user test), then run `cargo nextest run -p modeldeck-promotion`"
        ),
    }
}

/// The wall clock plus an offset a test can move forward (approval expiry
/// without waiting a day).
#[derive(Debug, Default)]
pub struct JumpClock {
    offset_ms: AtomicI64,
}

impl JumpClock {
    pub fn jump(&self, d: Duration) {
        self.offset_ms
            .fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for JumpClock {
    fn now(&self) -> Timestamp {
        SystemClock
            .now()
            .plus_millis(self.offset_ms.load(Ordering::SeqCst))
    }
}

/// A running live world; servers stop when it drops.
pub struct Live {
    pub sandbox: Sandbox,
    pub servers: BTreeMap<String, ApiServerHandle>,
    pub users: Arc<UserCluster>,
    pub registry: Arc<registry::UserRegistry>,
    pub ports: Arc<Faulty>,
    pub mlflow: String,
    pub rest: seed::Rest,
    pub prefix: String,
    pub clock: Arc<JumpClock>,
    /// Cuttable proxies in front of the backends (see [`Live::start_with`]).
    pub proxies: BTreeMap<String, outage::Proxy>,
    pub dir: TempDir,
}

impl Live {
    /// Seeds the plain MLflow server with `models` (demo names) and serves
    /// their workloads.
    pub async fn start(models: &[&str]) -> Live {
        Live::start_with(models, false).await
    }

    /// [`Live::start`], with every backend behind a cuttable TCP proxy
    /// (`proxies["mlflow"]`, `proxies["prod-eu"]`, `proxies["prod-us"]`).
    pub async fn start_with(models: &[&str], proxied: bool) -> Live {
        let mlflow = need_env("MODELDECK_TEST_MLFLOW_URI");
        let rest = seed::Rest::new(&mlflow, None);
        let none = modeldeck_mlflow::Auth::None;
        Live::start_on(models, mlflow, rest, none, None, proxied).await
    }

    /// The same on the basic-auth MLflow server: seeded as the admin (from
    /// the env); `viewer` and `reader` use a fresh MLflow user with READ
    /// permission only, created through MLflow's auth REST API.
    pub async fn start_auth(models: &[&str]) -> Live {
        let mlflow = need_env("MODELDECK_TEST_MLFLOW_AUTH_URI");
        let admin = need_env("MODELDECK_TEST_MLFLOW_AUTH_USER");
        let password = need_env("MODELDECK_TEST_MLFLOW_AUTH_PASSWORD");
        let rest = seed::Rest::new(&mlflow, Some((&admin, &password)));
        let reader = format!("ro-{}", seed::unique_prefix().trim_end_matches('-'));
        let reader_pw = format!("pw-{reader}-{}", Timestamp::now().0);
        rest.post(
            "users/create",
            json!({"username": reader, "password": reader_pw}),
        )
        .await;
        let live = Live::start_on(
            models,
            mlflow,
            rest,
            registry::basic(&admin, &password),
            Some(registry::basic(&reader, &reader_pw)),
            false,
        )
        .await;
        for base in models {
            let grant = json!({"username": reader, "resource_type": "registered_model",
                "resource_id": live.model(base), "permission": "READ"});
            let (status, body) = live
                .rest
                .send("POST", "api/3.0/mlflow/users/permissions/grant", grant)
                .await;
            assert!(
                (200..300).contains(&status),
                "granting READ: {status} {body}"
            );
            let (status, body) = live
                .rest
                .send(
                    "GET",
                    "api/3.0/mlflow/users/permissions/get",
                    json!({"username": reader, "resource_type": "registered_model", "resource_id": live.model(base)}),
                )
                .await;
            assert!(
                status == 200 && body.to_string().contains("READ"),
                "{reader} holds READ on {base}: {status} {body}"
            );
        }
        live
    }

    async fn start_on(
        models: &[&str],
        mlflow: String,
        rest: seed::Rest,
        writer: modeldeck_mlflow::Auth,
        reader: Option<modeldeck_mlflow::Auth>,
        proxied: bool,
    ) -> Live {
        let sandbox = Sandbox::demo_with(
            42,
            ClockMode::Virtual {
                start: GENERATED_START,
            },
        )
        .unwrap();
        let prefix = seed::unique_prefix();
        seed::registry(&rest, &sandbox, models, &prefix).await;
        let dir = TempDir::new("live");
        let servers = seed::clusters(&sandbox, models, &prefix).await;
        // Every served cluster binds approvals as a real one with
        // `modeldeck cluster install` applied: the shipped CRDs, admission
        // policy and binding (the sandbox API server evaluates its CEL).
        for s in servers.values() {
            for obj in modeldeck_manifests::objects().unwrap() {
                s.create(obj).unwrap();
            }
        }
        let mut proxies = BTreeMap::new();
        let mut urls: BTreeMap<String, String> =
            servers.iter().map(|(k, s)| (k.clone(), s.url())).collect();
        let mut registry_uri = mlflow.clone();
        if proxied {
            for (k, url) in urls.iter_mut() {
                let p = outage::Proxy::start(outage::addr_of(url)).await;
                *url = p.url(url);
                proxies.insert(k.clone(), p);
            }
            let p = outage::Proxy::start(outage::addr_of(&mlflow)).await;
            registry_uri = p.url(&mlflow);
            proxies.insert("mlflow".to_string(), p);
        }
        let reg = registry::UserRegistry::new(
            registry::registry(&registry_uri, writer),
            reader.map(|a| registry::registry(&registry_uri, a)),
        );
        let users = UserCluster::new(&servers, urls, dir.path());
        users.act_as("admin").await;
        let ports = Faulty::new(Backends {
            cluster: users.clone(),
            registry: reg.clone(),
            metrics: sandbox.backends().metrics,
        });
        Live {
            sandbox,
            servers,
            users,
            registry: reg,
            ports,
            mlflow,
            rest,
            prefix,
            clock: Arc::new(JumpClock::default()),
            proxies,
            dir,
        }
    }

    /// The MLflow name of demo model `base`.
    pub fn model(&self, base: &str) -> String {
        format!("{}{base}", self.prefix)
    }

    pub fn backends(&self) -> Backends {
        self.ports.backends()
    }

    /// Later port calls act as `user` (a kube adapter with their token).
    pub async fn act_as(&self, user: &str) {
        self.users.act_as(user).await;
        self.registry.act_as(user);
    }

    /// A service for `executor`, journaling to `<dir>/<executor>.jsonl`.
    pub fn service(&self, executor: &str) -> Promotions {
        self.service_under(executor, live_policies())
    }

    pub fn service_under(&self, executor: &str, policies: PolicySet) -> Promotions {
        let journal = Journal::open(
            self.dir.path().join(format!("{executor}.jsonl")),
            JournalOptions {
                head_key: None,
                fsync: false,
            },
        )
        .unwrap();
        let clock: SharedClock = self.clock.clone();
        Promotions::new(self.backends(), policies, Arc::new(journal))
            .with_clock(clock)
            .with_options(PromotionOptions {
                executor: executor.into(),
                ..PromotionOptions::default()
            })
    }

    // ---- reading the backends directly ----

    /// Where `alias` of demo model `base` points, from MLflow's REST API.
    pub async fn alias(&self, base: &str, alias: &str) -> Option<String> {
        self.rest.alias(&self.model(base), alias).await
    }

    /// Every tag of a version, from MLflow's REST API.
    pub async fn tags(&self, base: &str, version: &str) -> BTreeMap<String, String> {
        self.rest.version_tags(&self.model(base), version).await
    }

    /// The workload object as the API server stores it.
    pub fn object(&self, t: &WorkloadRef) -> Value {
        let s = &self.servers[&t.cluster];
        let (api, kind) = match t.kind {
            WorkloadKind::Deployment | WorkloadKind::StreamConsumer => ("apps/v1", "Deployment"),
            WorkloadKind::InferenceService => ("serving.kserve.io/v1beta1", "InferenceService"),
            WorkloadKind::CronJob => ("batch/v1", "CronJob"),
            WorkloadKind::Pipeline => ("argoproj.io/v1alpha1", "CronWorkflow"),
        };
        s.get(api, kind, &t.namespace, &t.name)
            .unwrap_or_else(|| panic!("{t} is not on its API server"))
    }

    /// The version an object serves by the binding convention (template
    /// annotation, or the stable annotation / storageUri of a KServe one).
    pub fn served(&self, t: &WorkloadRef) -> String {
        let o = self.object(t);
        let v = match t.kind {
            WorkloadKind::InferenceService => {
                let uri = o["spec"]["predictor"]["model"]["storageUri"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                match o["spec"]["predictor"]["canaryTrafficPercent"].as_i64() {
                    Some(p) if p < 100 => {
                        o["metadata"]["annotations"]["modeldeck.io/model-version"]
                            .as_str()
                            .map(String::from)
                    }
                    _ => uri.rsplit('/').next().map(String::from),
                }
            }
            WorkloadKind::CronJob => o["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
                ["annotations"]["modeldeck.io/model-version"]
                .as_str()
                .map(String::from),
            _ => o["spec"]["template"]["metadata"]["annotations"]["modeldeck.io/model-version"]
                .as_str()
                .map(String::from),
        };
        v.unwrap_or_else(|| panic!("{t} serves no version: {o}"))
    }

    /// What a rollback must restore exactly: a Deployment's pod template,
    /// an InferenceService's predictor.
    pub fn spec_of(&self, t: &WorkloadRef) -> Value {
        let o = self.object(t);
        match t.kind {
            WorkloadKind::InferenceService => o["spec"]["predictor"].clone(),
            WorkloadKind::CronJob => o["spec"]["jobTemplate"]["spec"]["template"].clone(),
            _ => o["spec"]["template"].clone(),
        }
    }

    /// Events about `t` on its API server, as (type, reason, message).
    pub fn events(&self, t: &WorkloadRef) -> Vec<(String, String, String)> {
        let s = &self.servers[&t.cluster];
        let page = s.store().list(
            modeldeck_apiserver::resources::ids::EVENTS,
            Some(&t.namespace),
            None,
            None,
            &|e| e["involvedObject"]["name"] == json!(t.name),
        );
        page.items
            .iter()
            .map(|e| {
                (
                    e["type"].as_str().unwrap_or("").to_string(),
                    e["reason"].as_str().unwrap_or("").to_string(),
                    e["message"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// The bound workloads of demo model `base`, sorted.
    pub async fn targets_of(&self, base: &str) -> Vec<WorkloadRef> {
        let model = self.model(base);
        let mut v: Vec<WorkloadRef> = self
            .users
            .admin()
            .await
            .list()
            .await
            .into_iter()
            .filter(|w| w.model.as_deref() == Some(model.as_str()))
            .map(|w| w.id)
            .collect();
        v.sort();
        v
    }

    /// Alias plus each target's (served version, uid, spec), read directly.
    pub async fn snapshot(&self, base: &str) -> Snapshot {
        let mut targets = BTreeMap::new();
        for t in self.targets_of(base).await {
            let o = self.object(&t);
            targets.insert(
                t.clone(),
                (
                    self.served(&t),
                    o["metadata"]["uid"].as_str().unwrap_or("").to_string(),
                    self.spec_of(&t),
                ),
            );
        }
        Snapshot {
            alias: self.alias(base, "champion").await,
            targets,
        }
    }

    /// Waits (30 s at most) until every target of `base` is Available in
    /// the admin's view.
    pub async fn settle(&self, base: &str) {
        let model = self.model(base);
        self.users
            .admin()
            .await
            .wait_for(&format!("{base} settled"), |ws| {
                ws.iter()
                    .filter(|w| w.model.as_deref() == Some(model.as_str()))
                    .all(|w| {
                        matches!(
                            w.rollout,
                            modeldeck_core::domain::RolloutState::Available
                                | modeldeck_core::domain::RolloutState::Idle
                        )
                    })
            })
            .await;
    }
}

/// The registry alias and every target as the backends hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub alias: Option<String>,
    /// target -> (served version, uid, pod template or predictor)
    pub targets: BTreeMap<WorkloadRef, (String, String, Value)>,
}

impl Snapshot {
    /// Alias and every target on `version`.
    pub fn all_on(&self, version: &str) -> bool {
        self.alias.as_deref() == Some(version)
            && self.targets.values().all(|(v, _, _)| v == version)
    }

    /// Versions only (specs differ in resourceVersion-free ways after a round trip).
    pub fn versions(&self) -> (Option<String>, Vec<String>) {
        (
            self.alias.clone(),
            self.targets.values().map(|(v, _, _)| v.clone()).collect(),
        )
    }
}

/// `requester` asks to promote demo model `base` v`version` (all targets).
pub async fn request(
    l: &Live,
    svc: &Promotions,
    requester: &str,
    base: &str,
    version: &str,
) -> String {
    l.act_as(requester).await;
    let p = svc
        .request(modeldeck_promotion::NewPromotion {
            model: l.model(base),
            version: version.into(),
            reason: format!("live test promotion of {base} v{version}"),
            ..modeldeck_promotion::NewPromotion::default()
        })
        .await
        .unwrap_or_else(|e| panic!("request {base} v{version}: {e}"));
    assert_eq!(p.state, modeldeck_core::domain::PromotionState::Requested);
    p.id
}

/// `approvers` approve `id` one after the other.
pub async fn approve(l: &Live, svc: &Promotions, id: &str, approvers: &[&str]) {
    for a in approvers {
        l.act_as(a).await;
        svc.approve(id, &format!("looks good to {a}"))
            .await
            .unwrap_or_else(|e| panic!("{a} approving {id}: {e}"));
    }
}
