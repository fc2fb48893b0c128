//! The simulated world's state: clusters, registered models with their
//! versions and runs, workloads with their rollouts, and the switches tests
//! flip (outages, identity, RBAC). Compact on purpose: a world of 100,000
//! workloads keeps one small record per workload and builds the domain
//! types only when a port is asked.

use crate::rng::{hash_str, mix};
use modeldeck_core::domain::*;
use modeldeck_core::error::Backend;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// What a model predicts; decides its training metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Task {
    Classifier,
    Regressor,
    Ranker,
}

/// One input feature (its shape and drift: `crate::drift`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Feature {
    pub name: String,
    /// Seeded key of this feature's noise.
    pub key: u64,
}

/// How a version behaves when served (seeded per version).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Traits {
    /// Median latency, seconds.
    pub latency_s: f64,
    /// Fraction of failed requests.
    pub error_ratio: f64,
    /// Pods of this version never become ready (a rollout to it stalls).
    pub broken: bool,
}

/// One registered version with its training run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Version {
    pub number: u32,
    pub run: RunData,
    pub status: VersionStatus,
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
    pub user: Option<String>,
    pub created_at: Timestamp,
    pub traits: Traits,
}

/// One registered model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Model {
    pub name: String,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub aliases: BTreeMap<String, String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub team: String,
    pub features: Vec<Feature>,
    /// How the model's input data moves over time.
    #[serde(default)]
    pub drift: crate::drift::DriftPlan,
    /// Ascending by number.
    pub versions: Vec<Version>,
}

impl Model {
    /// The version numbered `number`.
    pub fn version(&self, number: u32) -> Option<&Version> {
        self.versions
            .binary_search_by_key(&number, |v| v.number)
            .ok()
            .and_then(|i| self.versions.get(i))
    }

    /// Mutable access to the version numbered `number`.
    pub fn version_mut(&mut self, number: u32) -> Option<&mut Version> {
        match self.versions.binary_search_by_key(&number, |v| v.number) {
            Ok(i) => self.versions.get_mut(i),
            Err(_) => None,
        }
    }

    /// The domain view.
    pub fn to_domain(&self) -> RegisteredModel {
        RegisteredModel {
            name: self.name.clone(),
            description: self.description.clone(),
            tags: self.tags.clone(),
            aliases: self.aliases.clone(),
            latest_version: self.versions.last().map(|v| v.number.to_string()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The domain view of one version, aliases joined in.
    pub fn version_domain(&self, v: &Version) -> ModelVersion {
        let version = v.number.to_string();
        ModelVersion {
            model: self.name.clone(),
            aliases: self
                .aliases
                .iter()
                .filter(|(_, n)| **n == version)
                .map(|(a, _)| a.clone())
                .collect(),
            run_id: Some(v.run.run_id.clone()),
            source: format!("runs:/{}/model", v.run.run_id),
            status: v.status,
            tags: v.tags.clone(),
            description: v.description.clone(),
            user: v.user.clone(),
            created_at: v.created_at,
            version,
        }
    }
}

/// A canary split by version number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CanarySplit {
    pub version: u32,
    pub percent: u8,
}

/// A rolling update under way.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Rollout {
    pub started_at: Timestamp,
    pub from: u32,
    pub step_ms: i64,
    /// Replicas moved per step.
    pub surge: u32,
    /// Steps whose events and status changes were applied.
    pub steps_applied: u32,
    /// The new version never gets ready: the rollout will stall.
    pub broken: bool,
    /// Stalled past its progress deadline.
    pub failed: bool,
}

impl Rollout {
    /// Steps to move `desired` replicas.
    pub fn total_steps(&self, desired: u32) -> u32 {
        desired.div_ceil(self.surge.max(1)).max(1)
    }
}

/// A past change of the served version, for consistent metric history.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) struct Change {
    pub at: Timestamp,
    pub from: u32,
    pub to: u32,
    /// How long traffic took to move over.
    pub duration_ms: i64,
    /// Share of traffic the new version ends up with (0 when its pods never get ready).
    pub max_weight: f64,
    /// The canary live before this change.
    pub canary_before: Option<CanarySplit>,
}

/// Rarely-present parts of a workload, boxed to keep the common record small.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Extra {
    pub labels: BTreeMap<String, String>,
    pub events: Vec<ClusterEvent>,
    pub changes: Vec<Change>,
    /// Deploys seeded from the scenario (`crate::revisions`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deploys: Vec<crate::revisions::Deploy>,
    /// A CronJob's schedule and failures from the scenario (`crate::batch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<crate::batch::BatchPlan>,
    /// A stream consumer's topic and lag from the scenario (`crate::stream`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<crate::stream::StreamPlan>,
}

/// One workload, compactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WorkloadState {
    pub cluster: u16,
    pub namespace: u16,
    pub kind: WorkloadKind,
    pub name: String,
    /// Index into `World::models`.
    pub model: u32,
    pub served: u32,
    pub canary: Option<CanarySplit>,
    pub desired: u32,
    pub rollout: Option<Rollout>,
    pub suspended: bool,
    pub rv: u64,
    pub created_at: Timestamp,
    /// Seeded key for this workload's noise.
    pub key: u64,
    /// Mean requests (or messages) per second.
    pub base_rps: f64,
    pub extra: Option<Box<Extra>>,
}

impl WorkloadState {
    /// Mutable extras, created on first use.
    pub fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }

    /// A CronJob's batch plan (the scenario's, else hourly and healthy);
    /// `None` for other kinds.
    pub fn batch_plan(&self) -> Option<std::borrow::Cow<'_, crate::batch::BatchPlan>> {
        if !self.kind.is_batch() {
            return None;
        }
        Some(match self.extra.as_deref().and_then(|e| e.batch.as_ref()) {
            Some(p) => std::borrow::Cow::Borrowed(p),
            None => std::borrow::Cow::Owned(crate::batch::BatchPlan::default()),
        })
    }

    /// Recorded changes of the served version (oldest first).
    pub fn changes(&self) -> &[Change] {
        self.extra.as_deref().map_or(&[], |e| e.changes.as_slice())
    }
}

/// One access rule of the simulated RBAC.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessRule {
    pub verb: String,
    pub resource: String,
    pub allowed: bool,
}

/// The whole simulated world.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct World {
    pub seed: u64,
    /// The time the world has been advanced to.
    pub now: Timestamp,
    /// Sorted cluster names.
    pub clusters: Vec<String>,
    /// Sorted namespace names (shared by all clusters).
    pub namespaces: Vec<String>,
    /// Sorted by name.
    pub models: Vec<Model>,
    /// run id -> (model index, version number).
    pub runs: HashMap<String, (u32, u32)>,
    /// Sorted by (cluster, namespace, kind, name), like `WorkloadRef`.
    pub workloads: Vec<WorkloadState>,
    /// Indices of workloads with a rollout under way.
    pub active: Vec<u32>,
    /// Last resourceVersion handed out.
    pub rv_counter: u64,
    pub outages: [bool; 3],
    pub identity: Identity,
    pub rules: Vec<AccessRule>,
    /// The promotion ledger objects of each cluster, by cluster name
    /// (absent from worlds saved before the ledger existed).
    #[serde(default)]
    pub ledgers: BTreeMap<String, crate::ledger::ClusterLedger>,
    /// Reference profiles logged through the registry port
    /// (`profile build --log-to`), by run id: the runs' artifacts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub logged_profiles: BTreeMap<String, modeldeck_core::drift::ReferenceProfile>,
    /// Reference profiles, simulations and the Fleet's drift, computed on
    /// first use (never saved: they follow from the rest).
    #[serde(skip)]
    pub drift_cache: crate::drift::CacheCell,
}

impl World {
    /// An empty world at `now`.
    pub fn new(seed: u64, now: Timestamp) -> World {
        World {
            seed,
            now,
            clusters: Vec::new(),
            namespaces: Vec::new(),
            models: Vec::new(),
            runs: HashMap::new(),
            workloads: Vec::new(),
            active: Vec::new(),
            rv_counter: 1000,
            outages: [false; 3],
            identity: Identity {
                username: "sandbox-admin".into(),
                groups: vec!["system:authenticated".into(), "modeldeck:admins".into()],
            },
            rules: Vec::new(),
            ledgers: BTreeMap::new(),
            logged_profiles: BTreeMap::new(),
            drift_cache: Default::default(),
        }
    }

    /// The simulated RBAC's answer for any of `asked` (`(verb, resource)`
    /// pairs): the latest rule matching one of them, `None` when none does
    /// (the caller decides the default; `can_i` allows).
    pub fn access(&self, asked: &[(&str, &str)]) -> Option<bool> {
        self.rules
            .iter()
            .rev()
            .find(|r| {
                asked.iter().any(|(verb, res)| {
                    rule_matches(&r.verb, verb) && rule_matches(&r.resource, res)
                })
            })
            .map(|r| r.allowed)
    }

    /// A fresh resourceVersion.
    pub fn next_rv(&mut self) -> u64 {
        self.rv_counter += 1;
        self.rv_counter
    }

    /// Whether `backend` is in a simulated outage.
    pub fn is_down(&self, backend: Backend) -> bool {
        self.outages[backend_slot(backend)]
    }

    /// Index of the model named `name`.
    pub fn model_index(&self, name: &str) -> Option<usize> {
        self.models
            .binary_search_by(|m| m.name.as_str().cmp(name))
            .ok()
    }

    /// Index of the workload `r`.
    pub fn workload_index(&self, r: &WorkloadRef) -> Option<usize> {
        let c = self.clusters.binary_search(&r.cluster).ok()? as u16;
        let n = self.namespaces.binary_search(&r.namespace).ok()? as u16;
        self.workloads
            .binary_search_by(|w| {
                (w.cluster, w.namespace, w.kind, w.name.as_str()).cmp(&(c, n, r.kind, &r.name))
            })
            .ok()
    }

    /// The identity of workload `w`.
    pub fn workload_ref(&self, w: &WorkloadState) -> WorkloadRef {
        WorkloadRef {
            cluster: self
                .clusters
                .get(usize::from(w.cluster))
                .cloned()
                .unwrap_or_default(),
            namespace: self
                .namespaces
                .get(usize::from(w.namespace))
                .cloned()
                .unwrap_or_default(),
            kind: w.kind,
            name: w.name.clone(),
        }
    }

    /// Sorts workloads into lookup order and clears the rollout index
    /// (call once after building).
    pub fn finish_build(&mut self) {
        self.workloads.sort_by(|a, b| {
            (a.cluster, a.namespace, a.kind, &a.name).cmp(&(
                b.cluster,
                b.namespace,
                b.kind,
                &b.name,
            ))
        });
        self.workloads.dedup_by(|a, b| {
            (a.cluster, a.namespace, a.kind, &a.name) == (b.cluster, b.namespace, b.kind, &b.name)
        });
        self.active = self
            .workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| w.rollout.is_some_and(|r| !r.failed))
            .map(|(i, _)| i as u32)
            .collect();
        self.runs = HashMap::with_capacity(self.models.iter().map(|m| m.versions.len()).sum());
        for (mi, m) in self.models.iter().enumerate() {
            for v in &m.versions {
                self.runs
                    .insert(v.run.run_id.clone(), (mi as u32, v.number));
            }
        }
    }

    /// The domain view of workload `w` as of now.
    pub fn workload_domain(&self, w: &WorkloadState) -> Workload {
        let model = self.models.get(w.model as usize);
        let model_name = model.map(|m| m.name.clone());
        let mut labels = BTreeMap::new();
        if let Some(m) = model {
            labels.insert("modeldeck.io/model".to_string(), m.name.clone());
            labels.insert("team".to_string(), m.team.clone());
        }
        labels.insert("app.kubernetes.io/name".to_string(), w.name.clone());
        labels.insert(
            "app.kubernetes.io/component".to_string(),
            component(w.kind).to_string(),
        );
        if let Some(e) = &w.extra {
            labels.extend(e.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let (rollout, ready) = crate::rollout::status(w, self.now);
        let batch = w.batch_plan().map(|p| {
            let at = |t| crate::batch::version_at(w, t).to_string();
            let mut b = p.status_with_runs(w.suspended, w.created_at, self.now, &w.name, at);
            if w.kind == WorkloadKind::Pipeline {
                // Argo and Kubeflow Pipelines record no last successful
                // time: it is the newest success among the runs they keep
                // (a weekly pipeline whose last run failed has none).
                b.last_success = b
                    .runs
                    .iter()
                    .filter(|r| r.outcome == RunOutcome::Succeeded)
                    .filter_map(|r| r.end)
                    .max();
            }
            b
        });
        // A CronJob's pods are its runs in flight (as the cluster adapter
        // reads `status.active`).
        let (ready, desired) = match &batch {
            Some(b) => (b.active, b.active),
            None => (ready, w.desired),
        };
        Workload {
            id: self.workload_ref(w),
            uid: uid(mix(self.seed, w.key)),
            resource_version: w.rv.to_string(),
            model: model_name,
            served_version: Some(w.served.to_string()),
            canary: w.canary.map(|c| Canary {
                version: c.version.to_string(),
                traffic_percent: c.percent,
            }),
            ready_replicas: ready,
            desired_replicas: desired,
            rollout,
            labels: labels.into(),
            created_at: w.created_at,
            batch,
        }
    }
}

/// `*` matches anything; otherwise exact (case-insensitive) match.
fn rule_matches(rule: &str, asked: &str) -> bool {
    rule == "*" || rule.eq_ignore_ascii_case(asked)
}

/// Slot of a backend in `World::outages`.
pub(crate) fn backend_slot(b: Backend) -> usize {
    match b {
        Backend::Cluster => 0,
        Backend::Registry => 1,
        Backend::Metrics => 2,
    }
}

/// The `app.kubernetes.io/component` label of a kind.
fn component(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment | WorkloadKind::InferenceService => "online-inference",
        WorkloadKind::CronJob | WorkloadKind::Pipeline => "batch-scoring",
        WorkloadKind::StreamConsumer => "stream-scoring",
    }
}

/// A Kubernetes-style uid from 64 bits (two derived words fill 128).
pub(crate) fn uid(bits: u64) -> String {
    let a = bits;
    let b = mix(bits, 0x55);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// A pod-template-hash-like suffix for a workload at a version.
pub(crate) fn template_hash(name: &str, version: u32) -> String {
    const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = mix(hash_str(name), u64::from(version));
    let mut s = String::with_capacity(10);
    for _ in 0..10 {
        let i = (h % SAFE.len() as u64) as usize;
        s.push(char::from(SAFE.get(i).copied().unwrap_or(b'b')));
        h /= SAFE.len() as u64;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_has_kubernetes_shape() {
        let u = uid(12345);
        let parts: Vec<usize> = u.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
        assert_ne!(uid(1), uid(2));
    }

    #[test]
    fn template_hash_is_stable_and_version_specific() {
        assert_eq!(template_hash("a", 1), template_hash("a", 1));
        assert_ne!(template_hash("a", 1), template_hash("a", 2));
        assert_eq!(template_hash("a", 1).len(), 10);
    }
}
