//! One kubeconfig context: its client (built in the background, so a dead
//! or slow context never blocks the others), its watchers, and its health
//! as the views should report it.

use crate::error::{cluster_error, from_kube};
use crate::store::Scope;
use crate::store::WorkloadStore;
use kube::Client;
use modeldeck_core::domain::Timestamp;
use modeldeck_core::error::{BackendError, ErrorCode, PortResult};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Where a context stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextPhase {
    /// Not yet listed, no error yet.
    Connecting,
    /// Every watcher listed; watching.
    Ready,
    /// Never listed successfully; see the error.
    Failed,
    /// Listed before, failing now; its workloads are stale.
    Degraded,
}

/// Health of one context, for status bars and `modeldeck status`.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextStatus {
    /// Context name.
    pub context: String,
    /// API server URL from the kubeconfig (no credentials).
    pub server: Option<String>,
    /// Phase.
    pub phase: ContextPhase,
    /// The latest error, when failing.
    pub error: Option<BackendError>,
    /// When the current phase began.
    pub since: Timestamp,
    /// Watchers that listed at least once / watchers started.
    pub synced: (usize, usize),
}

/// The client of a context as it is being built.
#[derive(Clone)]
enum Slot {
    Pending,
    Ready(Client),
    Failed(BackendError),
}

#[derive(Debug)]
struct State {
    server: Option<String>,
    started: BTreeSet<Scope>,
    synced: BTreeSet<Scope>,
    errors: BTreeMap<Option<Scope>, BackendError>,
    phase: ContextPhase,
    since: Timestamp,
}

/// Shared state of one context.
pub struct Ctx {
    /// Context name.
    pub name: String,
    client: watch::Sender<Slot>,
    state: Mutex<State>,
    notify: Arc<WorkloadStore>,
    /// When the context was made: the origin of `progress`.
    born: Instant,
    /// Milliseconds after `born` of the latest sign of life of a listing
    /// (a page's objects, a finished list, an error answer).
    progress: AtomicU64,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// A context not yet connected; `notify`'s counter is bumped on every phase change.
    pub fn new(name: String, notify: Arc<WorkloadStore>) -> Ctx {
        Ctx {
            name,
            client: watch::channel(Slot::Pending).0,
            state: Mutex::new(State {
                server: None,
                started: BTreeSet::new(),
                synced: BTreeSet::new(),
                errors: BTreeMap::new(),
                phase: ContextPhase::Connecting,
                since: Timestamp::now(),
            }),
            notify,
            born: Instant::now(),
            progress: AtomicU64::new(0),
        }
    }

    /// Records a sign of life (a page of a listing arrived): waits bounded
    /// by "no progress for so long" start again from now.
    pub fn progressed(&self) {
        let ms = self.born.elapsed().as_millis() as u64;
        self.progress.fetch_max(ms, Ordering::Relaxed);
    }

    /// When this context last showed progress ([`Ctx::progressed`]), or
    /// when it was made.
    pub fn last_progress(&self) -> Instant {
        self.born + Duration::from_millis(self.progress.load(Ordering::Relaxed))
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut g);
        let phase = if !g.errors.is_empty() {
            if !g.started.is_empty() && g.synced.len() == g.started.len() {
                ContextPhase::Degraded
            } else {
                ContextPhase::Failed
            }
        } else if !g.started.is_empty() && g.synced.len() == g.started.len() {
            ContextPhase::Ready
        } else {
            ContextPhase::Connecting
        };
        if phase != g.phase {
            g.phase = phase;
            g.since = Timestamp::now();
            tracing::info!(context = %self.name, ?phase, error = ?g.errors.values().next().map(|e| e.to_string()), "context phase");
            self.notify.bump();
        }
        out
    }

    /// The client, if built.
    pub fn client(&self) -> PortResult<Client> {
        match &*self.client.borrow() {
            Slot::Ready(c) => Ok(c.clone()),
            Slot::Failed(e) => Err(e.clone()),
            Slot::Pending => Err(cluster_error(
                ErrorCode::Unreachable,
                &self.name,
                "still connecting",
            )),
        }
    }

    /// The client, waiting up to `budget` for it to be built.
    pub async fn client_within(&self, budget: Duration) -> PortResult<Client> {
        let mut rx = self.client.subscribe();
        let _ = tokio::time::timeout(budget, rx.wait_for(|s| !matches!(s, Slot::Pending))).await;
        self.client()
    }

    /// Records the client and server URL.
    pub fn set_client(&self, client: Client, server: String) {
        self.client.send_replace(Slot::Ready(client));
        self.with(|s| s.server = Some(server));
    }

    /// Records that no client can be built (bad kubeconfig entry).
    pub fn set_client_failed(&self, e: BackendError) {
        self.client.send_replace(Slot::Failed(e.clone()));
        self.failed(None, e);
    }

    /// A watcher started.
    pub fn started(&self, scope: &Scope) {
        self.with(|s| {
            s.started.insert(scope.clone());
        });
    }

    /// A watcher that turned out not to apply (its API is not served).
    pub fn not_watched(&self, scope: &Scope) {
        self.with(|s| {
            s.started.remove(scope);
            s.synced.remove(scope);
            s.errors.remove(&Some(scope.clone()));
        });
    }

    /// A watcher finished a (re)list: clears its error and the connection error.
    pub fn synced(&self, scope: &Scope) {
        self.with(|s| {
            s.synced.insert(scope.clone());
            s.errors.remove(&Some(scope.clone()));
            s.errors.remove(&None);
        });
    }

    /// A watcher (`Some`) or the connection (`None`) failed.
    pub fn failed(&self, scope: Option<&Scope>, e: BackendError) {
        self.with(|s| {
            s.errors.insert(scope.cloned(), e);
        });
    }

    /// A kube error on a watcher or the connection.
    pub fn failed_kube(&self, scope: Option<&Scope>, e: kube::Error, what: &str) {
        self.failed(scope, from_kube(e, &self.name, what));
    }

    /// The current status.
    pub fn status(&self) -> ContextStatus {
        self.with(|s| ContextStatus {
            context: self.name.clone(),
            server: s.server.clone(),
            phase: s.phase,
            error: s.errors.values().next().cloned(),
            since: s.since,
            synced: (s.synced.len(), s.started.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Source;

    #[test]
    fn phases_follow_watchers_and_errors() {
        let store = Arc::new(WorkloadStore::default());
        let rx = store.subscribe();
        let c = Ctx::new("prod".into(), store);
        let a = Scope {
            context: "prod".into(),
            source: Source::Deployments,
            namespace: None,
        };
        let b = Scope {
            context: "prod".into(),
            source: Source::CronJobs,
            namespace: None,
        };
        assert_eq!(c.status().phase, ContextPhase::Connecting);
        assert_eq!(
            c.client().err().map(|e| e.code),
            Some(ErrorCode::Unreachable)
        );
        c.started(&a);
        c.started(&b);
        c.failed(
            None,
            cluster_error(ErrorCode::Unreachable, "prod", "connection refused"),
        );
        assert_eq!(c.status().phase, ContextPhase::Failed);
        c.synced(&a);
        assert_eq!(c.status().phase, ContextPhase::Connecting);
        c.synced(&b);
        assert_eq!(c.status().phase, ContextPhase::Ready);
        c.failed(
            Some(&a),
            cluster_error(ErrorCode::Unreachable, "prod", "gone"),
        );
        assert_eq!(c.status().phase, ContextPhase::Degraded);
        assert!(*rx.borrow() >= 4);
    }
}
