//! The adapter's memory: domain workloads keyed by where they came from
//! (context, watched source, namespace, name), replaced wholesale per
//! watcher on every (re)list, and a counter bumped on every change.

use modeldeck_core::domain::Workload;
use std::collections::BTreeMap;
use std::sync::RwLock;
use tokio::sync::watch;

/// Which watcher an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// `apps/v1` Deployments (plain and stream consumers).
    Deployments,
    /// `batch/v1` CronJobs.
    CronJobs,
    /// KServe InferenceServices.
    InferenceServices,
}

/// A watcher's scope: context, source and namespace (`None` = all).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// Context name.
    pub context: String,
    /// Source.
    pub source: Source,
    /// Namespace, or all.
    pub namespace: Option<String>,
}

type Key = (String, Source, String, String);

/// Workloads of every context, plus the change counter.
#[derive(Debug)]
pub struct WorkloadStore {
    map: RwLock<BTreeMap<Key, Workload>>,
    tx: watch::Sender<u64>,
}

impl Default for WorkloadStore {
    fn default() -> Self {
        WorkloadStore {
            map: RwLock::new(BTreeMap::new()),
            tx: watch::channel(0).0,
        }
    }
}

/// Inserts `w` at `k` unless it is there already; true when the map changed.
fn put(m: &mut BTreeMap<Key, Workload>, k: Key, w: Workload) -> bool {
    if m.get(&k) == Some(&w) {
        return false;
    }
    m.insert(k, w);
    true
}

fn key(scope: &Scope, ns: &str, name: &str) -> Key {
    (
        scope.context.clone(),
        scope.source,
        ns.to_string(),
        name.to_string(),
    )
}

fn in_scope(k: &Key, s: &Scope) -> bool {
    k.0 == s.context && k.1 == s.source && s.namespace.as_ref().is_none_or(|n| *n == k.2)
}

impl WorkloadStore {
    /// A receiver of the change counter.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Bumps the change counter.
    pub fn bump(&self) {
        self.tx.send_modify(|v| *v += 1);
    }

    /// Inserts or replaces one object's workload (`None`: the object is no
    /// longer bound, so it is removed).
    pub fn apply(&self, scope: &Scope, ns: &str, name: &str, w: Option<Workload>) {
        let k = key(scope, ns, name);
        let changed = {
            let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
            match w {
                Some(w) => m.insert(k, w.clone()).as_ref() != Some(&w),
                None => m.remove(&k).is_some(),
            }
        };
        if changed {
            self.bump();
        }
    }

    /// Replaces everything a scope holds (after a list or re-list).
    pub fn replace(&self, scope: &Scope, items: Vec<(String, String, Workload)>) {
        let changed = {
            let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
            let fresh: BTreeMap<Key, Workload> = items
                .into_iter()
                .map(|(ns, n, w)| (key(scope, &ns, &n), w))
                .collect();
            let before: Vec<Key> = m.keys().filter(|k| in_scope(k, scope)).cloned().collect();
            let mut changed = before.len() != fresh.len();
            for k in before {
                if !fresh.contains_key(&k) {
                    m.remove(&k);
                    changed = true;
                }
            }
            for (k, w) in fresh {
                changed |= put(&mut m, k, w);
            }
            changed
        };
        if changed {
            self.bump();
        }
    }

    /// Inserts or replaces a page of a (re)list in progress: its rows show
    /// at once, before the listing ends ([`WorkloadStore::finish_list`]).
    pub fn upsert_page(&self, scope: &Scope, items: Vec<(String, String, Workload)>) {
        let changed = {
            let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
            let mut changed = false;
            for (ns, n, w) in items {
                changed |= put(&mut m, key(scope, &ns, &n), w);
            }
            changed
        };
        if changed {
            self.bump();
        }
    }

    /// Ends a (re)list whose pages went in by [`WorkloadStore::upsert_page`]:
    /// upserts the last `items`, then drops whatever the scope holds that
    /// the listing did not name (`seen`: namespace and name of every
    /// object listed, the last items included).
    pub fn finish_list(
        &self,
        scope: &Scope,
        items: Vec<(String, String, Workload)>,
        seen: &std::collections::HashSet<(String, String)>,
    ) {
        self.upsert_page(scope, items);
        let removed = {
            let mut m = self.map.write().unwrap_or_else(|e| e.into_inner());
            let gone: Vec<Key> = m
                .keys()
                .filter(|k| in_scope(k, scope) && !seen.contains(&(k.2.clone(), k.3.clone())))
                .cloned()
                .collect();
            for k in &gone {
                m.remove(k);
            }
            !gone.is_empty()
        };
        if removed {
            self.bump();
        }
    }

    /// Every workload, sorted by cluster, namespace, kind, name.
    pub fn list(&self) -> Vec<Workload> {
        let m = self.map.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<Workload> = m.values().cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// Number of workloads held.
    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::{RolloutState, Timestamp, WorkloadKind, WorkloadRef};

    fn w(ctx: &str, name: &str, rv: &str) -> Workload {
        Workload {
            id: WorkloadRef {
                cluster: ctx.into(),
                namespace: "ml".into(),
                kind: WorkloadKind::Deployment,
                name: name.into(),
            },
            uid: String::new(),
            resource_version: rv.into(),
            model: Some("m".into()),
            served_version: None,
            canary: None,
            ready_replicas: 0,
            desired_replicas: 0,
            rollout: RolloutState::Idle,
            labels: Default::default(),
            created_at: Timestamp(0),
            batch: None,
        }
    }

    #[test]
    fn replace_swaps_a_scope_and_counts_changes() {
        let s = WorkloadStore::default();
        let rx = s.subscribe();
        let a = Scope {
            context: "a".into(),
            source: Source::Deployments,
            namespace: None,
        };
        let b = Scope {
            context: "b".into(),
            source: Source::Deployments,
            namespace: None,
        };
        s.replace(
            &a,
            vec![
                ("ml".into(), "x".into(), w("a", "x", "1")),
                ("ml".into(), "y".into(), w("a", "y", "1")),
            ],
        );
        s.replace(&b, vec![("ml".into(), "x".into(), w("b", "x", "1"))]);
        assert_eq!(s.len(), 3);
        let n = *rx.borrow();
        s.replace(
            &a,
            vec![
                ("ml".into(), "x".into(), w("a", "x", "1")),
                ("ml".into(), "y".into(), w("a", "y", "1")),
            ],
        );
        assert_eq!(*rx.borrow(), n, "identical relist changes nothing");
        s.replace(&a, vec![("ml".into(), "y".into(), w("a", "y", "2"))]);
        assert_eq!(s.len(), 2, "x vanished from context a only");
        assert!(*rx.borrow() > n);
        s.apply(&b, "ml", "x", None);
        assert_eq!(
            s.list()
                .iter()
                .map(|w| w.id.cluster.as_str())
                .collect::<Vec<_>>(),
            vec!["a"]
        );
    }

    #[test]
    fn pages_show_at_once_and_the_end_drops_the_unlisted() {
        let s = WorkloadStore::default();
        let rx = s.subscribe();
        let a = Scope {
            context: "a".into(),
            source: Source::Deployments,
            namespace: None,
        };
        s.replace(&a, vec![("ml".into(), "old".into(), w("a", "old", "1"))]);
        let n = *rx.borrow();
        s.upsert_page(&a, vec![("ml".into(), "x".into(), w("a", "x", "1"))]);
        assert_eq!(s.len(), 2, "the first page shows before the listing ends");
        assert!(*rx.borrow() > n, "a page is a change");
        let seen: std::collections::HashSet<(String, String)> =
            [("ml".into(), "x".into()), ("ml".into(), "y".into())].into();
        s.finish_list(&a, vec![("ml".into(), "y".into(), w("a", "y", "1"))], &seen);
        let names: Vec<String> = s.list().into_iter().map(|w| w.id.name).collect();
        assert_eq!(names, ["x", "y"], "`old` was not listed again");
    }
}
