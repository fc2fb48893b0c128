//! The in-memory object store: objects keyed by (resource, namespace, name),
//! one global resourceVersion counter (like etcd's revision), a bounded change
//! log for watches to resume from, and a broadcast of every change.

use crate::resources::ResourceId;
use crate::status::{ApiError, ApiResult};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// Store key: resource, namespace (`""` when cluster-scoped), name.
pub type Key = (ResourceId, String, String);

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    /// Created.
    Added,
    /// Updated.
    Modified,
    /// Deleted.
    Deleted,
}

impl ChangeType {
    /// The watch event `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

/// One committed change.
#[derive(Debug)]
pub struct Change {
    /// resourceVersion of the change.
    pub rv: u64,
    /// Resource type.
    pub res: ResourceId,
    /// Namespace of the object.
    pub namespace: String,
    /// What happened.
    pub kind: ChangeType,
    /// The object after the change (for a delete: the last state).
    pub object: Arc<Value>,
    /// The object before the change, for selector transitions.
    pub prev: Option<Arc<Value>>,
}

/// What the broadcast carries.
#[derive(Debug, Clone)]
pub enum Signal {
    /// A committed change.
    Change(Arc<Change>),
    /// History was expired: every open watch must end with 410.
    Expire,
}

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchFrom {
    /// Synthetic ADDED for every current object, then live changes.
    Now,
    /// Changes after this resourceVersion (410 if no longer retained).
    Exact(u64),
}

/// A page of a list.
#[derive(Debug)]
pub struct ListPage {
    /// Matching objects of this page.
    pub items: Vec<Arc<Value>>,
    /// Store resourceVersion at read time.
    pub rv: u64,
    /// Key after which the next page starts.
    pub next: Option<(String, String)>,
    /// Matching objects after this page.
    pub remaining: usize,
}

struct Inner {
    rv: u64,
    objects: BTreeMap<Key, Arc<Value>>,
    log: VecDeque<Arc<Change>>,
    compacted: u64,
    history_limit: usize,
}

/// The object store. Cheap operations under one mutex; watchers get
/// changes through a broadcast subscribed under the same lock, so no change
/// falls between a backlog and the live stream.
pub struct Store {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Signal>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let g = self.lock();
        f.debug_struct("Store")
            .field("rv", &g.rv)
            .field("objects", &g.objects.len())
            .finish()
    }
}

/// The resourceVersion string of an object, parsed.
pub fn object_rv(obj: &Value) -> Option<u64> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
}

fn set_rv(obj: &mut Value, rv: u64) {
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

/// Equality of two objects except `metadata.resourceVersion`, without copying.
fn same_ignoring_rv(a: &Value, b: &Value) -> bool {
    let (Some(x), Some(y)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    let meta_eq = |p: &Value, q: Option<&Value>| match (p.as_object(), q.and_then(Value::as_object))
    {
        (Some(m), Some(n)) => {
            let len = |o: &serde_json::Map<String, Value>| {
                o.len() - usize::from(o.contains_key("resourceVersion"))
            };
            len(m) == len(n)
                && m.iter()
                    .filter(|(k, _)| *k != "resourceVersion")
                    .all(|(k, v)| n.get(k) == Some(v))
        }
        _ => Some(p) == q,
    };
    x.len() == y.len()
        && x.iter().all(|(k, v)| {
            if k == "metadata" {
                meta_eq(v, y.get(k))
            } else {
                y.get(k) == Some(v)
            }
        })
}

impl Store {
    /// An empty store that keeps the last `history_limit` changes for watches.
    pub fn new(history_limit: usize) -> Store {
        let (tx, _) = broadcast::channel(1 << 16);
        Store {
            inner: Mutex::new(Inner {
                rv: 1,
                objects: BTreeMap::new(),
                log: VecDeque::new(),
                compacted: 1,
                history_limit: history_limit.max(1),
            }),
            tx,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current resourceVersion.
    pub fn rv(&self) -> u64 {
        self.lock().rv
    }

    /// Oldest resourceVersion a watch may still resume from.
    pub fn compacted(&self) -> u64 {
        self.lock().compacted
    }

    /// Number of stored objects.
    pub fn len(&self) -> usize {
        self.lock().objects.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A receiver of every future change.
    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        self.tx.subscribe()
    }

    /// One object.
    pub fn get(&self, res: ResourceId, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.lock()
            .objects
            .get(&(res, ns.to_string(), name.to_string()))
            .cloned()
    }

    /// Objects of `res` (in `ns`, or all namespaces) after `after`, filtered,
    /// at most `limit` of them.
    pub fn list(
        &self,
        res: ResourceId,
        ns: Option<&str>,
        after: Option<&(String, String)>,
        limit: Option<usize>,
        keep: &dyn Fn(&Value) -> bool,
    ) -> ListPage {
        let g = self.lock();
        let lo = match after {
            Some((n, m)) => std::ops::Bound::Excluded((res, n.clone(), m.clone())),
            None => std::ops::Bound::Included((res, ns.unwrap_or("").to_string(), String::new())),
        };
        let mut items = Vec::new();
        let mut next = None;
        let mut remaining = 0;
        for ((r, n, m), v) in g.objects.range((lo, std::ops::Bound::Unbounded)) {
            if *r != res || ns.is_some_and(|want| want != n) {
                break;
            }
            if !keep(v) {
                continue;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                remaining += 1;
                continue;
            }
            items.push(v.clone());
            next = Some((n.clone(), m.clone()));
        }
        ListPage {
            items,
            rv: g.rv,
            next: if remaining > 0 { next } else { None },
            remaining,
        }
    }

    fn commit(g: &mut Inner, tx: &broadcast::Sender<Signal>, change: Change) -> Arc<Change> {
        let c = Arc::new(change);
        g.log.push_back(c.clone());
        while g.log.len() > g.history_limit {
            if let Some(old) = g.log.pop_front() {
                g.compacted = old.rv;
            }
        }
        let _ = tx.send(Signal::Change(c.clone()));
        c
    }

    /// Stores a new object (its metadata prepared by the caller) under a
    /// fresh resourceVersion; 409 AlreadyExists if the name is taken.
    pub fn create(&self, res: ResourceId, mut obj: Value, dry_run: bool) -> ApiResult<Arc<Value>> {
        let (ns, name) = key_of(&obj);
        let key = (res, ns.clone(), name.clone());
        let mut g = self.lock();
        if g.objects.contains_key(&key) {
            return Err(ApiError::already_exists(res.ty(), &name));
        }
        if dry_run {
            return Ok(Arc::new(obj));
        }
        g.rv += 1;
        let rv = g.rv;
        set_rv(&mut obj, rv);
        let obj = Arc::new(obj);
        g.objects.insert(key, obj.clone());
        Self::commit(
            &mut g,
            &self.tx,
            Change {
                rv,
                res,
                namespace: ns,
                kind: ChangeType::Added,
                object: obj.clone(),
                prev: None,
            },
        );
        Ok(obj)
    }

    /// Atomic read-modify-write of one object. `f` sees the current object
    /// and returns the new one (or `None` for no change). A result equal to
    /// the current object is a no-op that keeps the resourceVersion.
    pub fn update(
        &self,
        res: ResourceId,
        ns: &str,
        name: &str,
        dry_run: bool,
        f: impl FnOnce(&Value) -> ApiResult<Option<Value>>,
    ) -> ApiResult<Arc<Value>> {
        let key = (res, ns.to_string(), name.to_string());
        let mut g = self.lock();
        let cur = g
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(res.ty(), name))?;
        let Some(mut new) = f(&cur)? else {
            return Ok(cur);
        };
        if same_ignoring_rv(&cur, &new) || dry_run {
            if dry_run {
                return Ok(Arc::new(new));
            }
            return Ok(cur);
        }
        g.rv += 1;
        let rv = g.rv;
        set_rv(&mut new, rv);
        let new = Arc::new(new);
        g.objects.insert(key, new.clone());
        Self::commit(
            &mut g,
            &self.tx,
            Change {
                rv,
                res,
                namespace: ns.to_string(),
                kind: ChangeType::Modified,
                object: new.clone(),
                prev: Some(cur),
            },
        );
        Ok(new)
    }

    /// Deletes one object; `precondition_rv` must match when given.
    pub fn delete(
        &self,
        res: ResourceId,
        ns: &str,
        name: &str,
        precondition_rv: Option<u64>,
        dry_run: bool,
    ) -> ApiResult<Arc<Value>> {
        let key = (res, ns.to_string(), name.to_string());
        let mut g = self.lock();
        let cur = g
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(res.ty(), name))?;
        if precondition_rv.is_some_and(|p| Some(p) != object_rv(&cur)) {
            return Err(ApiError::conflict(res.ty(), name));
        }
        if dry_run {
            return Ok(cur);
        }
        g.objects.remove(&key);
        g.rv += 1;
        let rv = g.rv;
        let mut last = (*cur).clone();
        set_rv(&mut last, rv);
        let last = Arc::new(last);
        Self::commit(
            &mut g,
            &self.tx,
            Change {
                rv,
                res,
                namespace: ns.to_string(),
                kind: ChangeType::Deleted,
                object: last.clone(),
                prev: Some(cur),
            },
        );
        Ok(last)
    }

    /// Starts a watch of `res` (in `ns` or everywhere): the initial items
    /// (synthetic ADDED, or the retained changes after an exact RV) and a
    /// receiver for what follows. 410 Expired when the RV is too old.
    pub fn watch(
        &self,
        res: ResourceId,
        ns: Option<&str>,
        from: WatchFrom,
    ) -> ApiResult<(Vec<Arc<Change>>, u64, broadcast::Receiver<Signal>)> {
        let g = self.lock();
        let rx = self.tx.subscribe();
        let in_scope = |r: ResourceId, n: &str| r == res && ns.is_none_or(|w| w == n);
        let initial = match from {
            WatchFrom::Now => g
                .objects
                .iter()
                .filter(|((r, n, _), _)| in_scope(*r, n))
                .map(|((_, n, _), v)| {
                    Arc::new(Change {
                        rv: object_rv(v).unwrap_or(g.rv),
                        res,
                        namespace: n.clone(),
                        kind: ChangeType::Added,
                        object: v.clone(),
                        prev: None,
                    })
                })
                .collect(),
            WatchFrom::Exact(rv) => {
                if rv < g.compacted {
                    return Err(ApiError::expired(format!(
                        "too old resource version: {rv} ({})",
                        g.compacted
                    )));
                }
                g.log
                    .iter()
                    .filter(|c| c.rv > rv && in_scope(c.res, &c.namespace))
                    .cloned()
                    .collect()
            }
        };
        Ok((initial, g.rv, rx))
    }

    /// Forgets all history: watches from any earlier resourceVersion (and
    /// open watches) get 410 Gone, as when etcd compacts or a watch cache
    /// overflows.
    pub fn expire_history(&self) {
        let mut g = self.lock();
        g.log.clear();
        g.compacted = g.rv;
        let _ = self.tx.send(Signal::Expire);
    }

    /// Every stored object of `res` (all namespaces).
    pub fn all(&self, res: ResourceId) -> Vec<Arc<Value>> {
        self.list(res, None, None, None, &|_| true).items
    }
}

/// `(namespace, name)` of an object (`""` for missing).
pub fn key_of(obj: &Value) -> (String, String) {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (s("/metadata/namespace"), s("/metadata/name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ids::{DEPLOYMENTS, PODS};
    use serde_json::json;

    fn d(ns: &str, name: &str) -> Value {
        json!({"metadata": {"namespace": ns, "name": name}, "spec": {"replicas": 1}})
    }

    #[test]
    fn create_update_delete_bump_rv_and_log() {
        let s = Store::new(100);
        let a = s.create(DEPLOYMENTS, d("ml", "a"), false).unwrap();
        assert_eq!(object_rv(&a), Some(2));
        assert!(s.create(DEPLOYMENTS, d("ml", "a"), false).is_err());
        let same = s
            .update(DEPLOYMENTS, "ml", "a", false, |c| Ok(Some(c.clone())))
            .unwrap();
        assert_eq!(object_rv(&same), Some(2), "no-op keeps the RV");
        let b = s
            .update(DEPLOYMENTS, "ml", "a", false, |c| {
                let mut n = c.clone();
                n["spec"]["replicas"] = json!(3);
                Ok(Some(n))
            })
            .unwrap();
        assert_eq!(object_rv(&b), Some(3));
        assert!(s.delete(DEPLOYMENTS, "ml", "a", Some(2), false).is_err());
        s.delete(DEPLOYMENTS, "ml", "a", Some(3), false).unwrap();
        let (backlog, _, _) = s
            .watch(DEPLOYMENTS, Some("ml"), WatchFrom::Exact(2))
            .unwrap();
        let kinds: Vec<_> = backlog.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![ChangeType::Modified, ChangeType::Deleted]);
    }

    #[test]
    fn list_pages_by_namespace_and_resource() {
        let s = Store::new(100);
        for (ns, n) in [("a", "1"), ("a", "2"), ("b", "3")] {
            s.create(DEPLOYMENTS, d(ns, n), false).unwrap();
        }
        s.create(PODS, d("a", "p"), false).unwrap();
        let p1 = s.list(DEPLOYMENTS, None, None, Some(2), &|_| true);
        assert_eq!(p1.items.len(), 2);
        assert_eq!(p1.remaining, 1);
        let p2 = s.list(DEPLOYMENTS, None, p1.next.as_ref(), Some(2), &|_| true);
        assert_eq!(p2.items.len(), 1);
        assert!(p2.next.is_none());
        assert_eq!(
            s.list(DEPLOYMENTS, Some("a"), None, None, &|_| true)
                .items
                .len(),
            2
        );
        assert_eq!(s.list(PODS, None, None, None, &|_| true).items.len(), 1);
    }

    #[test]
    fn old_rv_is_gone_after_compaction() {
        let s = Store::new(2);
        for n in ["1", "2", "3", "4"] {
            s.create(DEPLOYMENTS, d("a", n), false).unwrap();
        }
        assert!(s.watch(DEPLOYMENTS, None, WatchFrom::Exact(2)).is_err());
        assert!(s.watch(DEPLOYMENTS, None, WatchFrom::Exact(3)).is_ok());
        s.expire_history();
        let err = s.watch(DEPLOYMENTS, None, WatchFrom::Exact(4)).unwrap_err();
        assert_eq!(err.code, 410);
    }
}
