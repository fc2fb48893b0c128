//! The built-in controllers, run as one loop: Deployments (ReplicaSets,
//! pods, rolling updates, status), InferenceServices (readiness), Jobs and
//! CronJobs (on the controllers' [`Clock`]), and Event expiry. Work is change-driven: only objects touched since the last pass,
//! plus those still rolling, are reconciled, so a 10,000-object store idles.

mod clock;
mod conditions;
pub mod cronjob;
mod deployment;
mod events;
mod isvc;
pub mod job;
pub mod pods;

use crate::config::ControllerConfig;
use crate::resources::{ResourceId, ids};
use crate::store::{Signal, Store, key_of};
use events::Recorder;
use pods::Replica;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::broadcast;

pub use clock::Clock;
pub use deployment::REVISION;
pub use pods::FAIL_ANNOTATION;

type NsName = (String, String);

/// Controller state: private replica records and the work queues.
pub struct Controller {
    store: Arc<Store>,
    cfg: ControllerConfig,
    recorder: Recorder,
    /// ReplicaSet uid -> its replicas.
    replicas: HashMap<String, Vec<Replica>>,
    /// (ns, name) -> (generation, ready at ms).
    isvc_ready_at: HashMap<NsName, (i64, i64)>,
    dirty: BTreeSet<(ResourceId, String, String)>,
    active: BTreeSet<(ResourceId, String, String)>,
    /// Owner uid -> (namespace, name) of the ReplicaSets it controls.
    rs_by_owner: HashMap<String, BTreeSet<NsName>>,
    /// Every store change since the last drain.
    rx: broadcast::Receiver<Signal>,
    /// Whether the first full scan happened.
    scanned: bool,
    /// CronJob uid and schedule time of each run reported missed.
    missed: BTreeSet<(String, i64)>,
}

fn controller_uid(obj: &Value) -> Option<String> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)?["uid"]
        .as_str()
        .map(String::from)
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("active", &self.active.len())
            .finish()
    }
}

fn owner_deployment(store: &Store, obj: &Value) -> Option<NsName> {
    let (ns, _) = key_of(obj);
    let owner = obj
        .pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)?;
    match owner["kind"].as_str()? {
        "Deployment" => Some((ns, owner["name"].as_str()?.to_string())),
        "ReplicaSet" => {
            let rs = store.get(ids::REPLICASETS, &ns, owner["name"].as_str()?)?;
            owner_deployment(store, &rs)
        }
        _ => None,
    }
}

impl Controller {
    /// A controller over `store`.
    pub fn new(store: Arc<Store>, cfg: ControllerConfig) -> Controller {
        let recorder = Recorder::new(store.clone(), cfg.event_ttl, cfg.max_events);
        let rx = store.subscribe();
        Controller {
            store,
            cfg,
            recorder,
            replicas: HashMap::new(),
            isvc_ready_at: HashMap::new(),
            dirty: BTreeSet::new(),
            active: BTreeSet::new(),
            rs_by_owner: HashMap::new(),
            rx,
            scanned: false,
            missed: BTreeSet::new(),
        }
    }

    fn ready_after_ms(&self) -> i64 {
        self.cfg.ready_after.as_millis() as i64
    }

    /// Records (or with `gone`, forgets) a ReplicaSet in the owner index.
    fn index_rs(&mut self, rs: &Value, gone: bool) {
        let Some(owner) = controller_uid(rs) else {
            return;
        };
        let key = key_of(rs);
        if gone {
            if let Some(set) = self.rs_by_owner.get_mut(&owner) {
                set.remove(&key);
            }
        } else {
            self.rs_by_owner.entry(owner).or_default().insert(key);
        }
    }

    fn mark_all(&mut self) {
        self.rs_by_owner.clear();
        for rs in self.store.all(ids::REPLICASETS) {
            self.index_rs(&rs, false);
        }
        for res in [
            ids::DEPLOYMENTS,
            ids::INFERENCESERVICES,
            ids::JOBS,
            ids::CRONJOBS,
        ] {
            for o in self.store.all(res) {
                let (ns, n) = key_of(&o);
                self.dirty.insert((res, ns, n));
            }
        }
    }

    fn note(&mut self, res: ResourceId, obj: &Value, gone: bool) {
        if res == ids::REPLICASETS {
            self.index_rs(obj, gone);
        }
        match res {
            ids::DEPLOYMENTS | ids::INFERENCESERVICES | ids::JOBS | ids::CRONJOBS => {
                let (ns, n) = key_of(obj);
                self.dirty.insert((res, ns, n));
            }
            ids::REPLICASETS | ids::PODS => {
                if let Some((ns, n)) = owner_deployment(&self.store, obj) {
                    self.dirty.insert((ids::DEPLOYMENTS, ns, n));
                }
            }
            _ => {}
        }
    }

    fn drain(&mut self) {
        if !self.scanned {
            self.scanned = true;
            self.mark_all();
        }
        loop {
            match self.rx.try_recv() {
                Ok(Signal::Change(c)) => self.note(
                    c.res,
                    &c.object,
                    c.kind == crate::store::ChangeType::Deleted,
                ),
                Ok(Signal::Expire) => {}
                Err(broadcast::error::TryRecvError::Lagged(_)) => self.mark_all(),
                Err(_) => return,
            }
        }
    }

    /// One pass over the queued objects. `settle` brings them up at once
    /// (used for the objects a server starts with).
    pub fn pass(&mut self, settle: bool) {
        let mut work: BTreeSet<_> = std::mem::take(&mut self.dirty);
        work.extend(self.active.iter().cloned());
        for (res, ns, name) in work {
            let moving = match res {
                ids::DEPLOYMENTS => self.reconcile_deployment(&ns, &name, settle),
                ids::INFERENCESERVICES => self.reconcile_isvc(&ns, &name, settle),
                ids::JOBS => self.reconcile_job(&ns, &name),
                ids::CRONJOBS => self.reconcile_cronjob(&ns, &name),
                _ => false,
            };
            let key = (res, ns, name);
            if moving {
                self.active.insert(key);
            } else {
                self.active.remove(&key);
            }
        }
    }

    /// Forgets replica records of ReplicaSets that no longer exist.
    fn prune(&mut self) {
        let live: BTreeSet<String> = self
            .store
            .all(ids::REPLICASETS)
            .iter()
            .filter_map(|r| r["metadata"]["uid"].as_str().map(String::from))
            .collect();
        self.replicas.retain(|uid, _| live.contains(uid));
        self.rs_by_owner.retain(|_, set| !set.is_empty());
    }

    /// Settles everything stored now: ReplicaSets, pods and statuses come up
    /// at once and quietly, as if the cluster had been running for a while.
    pub fn settle_all(&mut self) {
        self.drain();
        self.pass(true);
        self.drain();
        self.pass(true);
    }

    /// Runs forever, reconciling on every tick what changed since the last
    /// one (and what is still rolling).
    pub async fn run(mut self) {
        let mut tick = tokio::time::interval(self.cfg.tick);
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            self.drain();
            self.pass(false);
            n += 1;
            if n.is_multiple_of(25) {
                self.recorder.expire();
                self.prune();
            }
        }
    }
}
