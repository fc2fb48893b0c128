//! Starting and holding a server: bind, seed (objects, settle, patches),
//! spawn the controller and the HTTP loop; the handle gives the URL,
//! kubeconfigs and test hooks (expire history, count requests, edit users).

use crate::config::{ServerConfig, User};
use crate::controller::Controller;
use crate::http::{self, App};
use crate::kubeconfig::{KubeconfigEntry, write_kubeconfig};
use crate::patch::PatchType;
use crate::resources::{self, ResourceId, ids};
use crate::seed::SeedPatch;
use crate::status::ApiError;
use crate::store::{Store, key_of};
use crate::tls::TlsListener;
use crate::write;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use tokio::task::JoinHandle;

/// Why a server could not start or a handle call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The listen address could not be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A seed object was refused.
    #[error("seed object {what} refused: {source}")]
    Seed {
        /// `kind ns/name`.
        what: String,
        /// Cause.
        #[source]
        source: ApiError,
    },
    /// A seed object has an apiVersion/kind this server does not serve.
    #[error("seed object {what}: kind not served by this server")]
    UnknownKind {
        /// `apiVersion kind ns/name`.
        what: String,
    },
    /// No user of that name.
    #[error("no user named `{0}` on this server")]
    UnknownUser(String),
    /// TLS material could not be made.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Starts servers.
#[derive(Debug)]
pub struct ApiServer;

/// A running server. Dropping it stops the server and its controller.
pub struct ApiServerHandle {
    app: Arc<App>,
    addr: SocketAddr,
    ca_pem: Option<String>,
    cluster: String,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for ApiServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiServerHandle")
            .field("url", &self.url())
            .field("cluster", &self.cluster)
            .finish()
    }
}

impl Drop for ApiServerHandle {
    /// Stops the controller, ends every watch and log stream, and lets the
    /// HTTP server close its connections (graceful shutdown).
    fn drop(&mut self) {
        self.app.stopping.send_replace(true);
        for t in self.tasks.iter().skip(1) {
            t.abort();
        }
    }
}

fn describe(o: &Value) -> String {
    let (ns, n) = key_of(o);
    format!(
        "{} {} {ns}/{n}",
        o["apiVersion"].as_str().unwrap_or("?"),
        o["kind"].as_str().unwrap_or("?")
    )
}

fn resource_of(o: &Value) -> Result<ResourceId, ServerError> {
    resources::by_kind(
        o["apiVersion"].as_str().unwrap_or(""),
        o["kind"].as_str().unwrap_or(""),
    )
    .ok_or_else(|| ServerError::UnknownKind { what: describe(o) })
}

fn seed_objects(store: &Store, objects: &[Value]) -> Result<(), ServerError> {
    let mut sorted: Vec<&Value> = objects.iter().collect();
    sorted.sort_by_key(|o| o["kind"] != "Namespace");
    for o in sorted {
        let res = resource_of(o)?;
        let (ns, _) = key_of(o);
        if res.ty().namespaced && store.get(ids::NAMESPACES, "", &ns).is_none() {
            let nso = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            write::seed(store, ids::NAMESPACES, nso).map_err(|source| ServerError::Seed {
                what: format!("namespace {ns}"),
                source,
            })?;
        }
        write::seed(store, res, o.clone()).map_err(|source| ServerError::Seed {
            what: describe(o),
            source,
        })?;
    }
    Ok(())
}

fn apply_patch(store: &Store, p: &SeedPatch) -> Result<(), ServerError> {
    let what = format!("{} {}/{}", p.kind, p.namespace, p.name);
    let res = resources::by_kind(&p.api_version, &p.kind)
        .ok_or_else(|| ServerError::UnknownKind { what: what.clone() })?;
    let body = p.patch.to_string();
    write::patch(
        store,
        res,
        &p.namespace,
        &p.name,
        PatchType::Merge,
        body.as_bytes(),
        None,
        false,
    )
    .map(|_| ())
    .map_err(|source| ServerError::Seed { what, source })
}

async fn entry(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    http::handle(app, method, uri, headers, body).await
}

impl ApiServer {
    /// Binds, seeds and starts serving. Seed objects settle at once (their
    /// ReplicaSets and pods come up ready); `patches` with `settle` apply
    /// next and settle too; the others roll live once serving.
    pub async fn start(config: ServerConfig) -> Result<ApiServerHandle, ServerError> {
        let patches = &config.patches;
        let store = Arc::new(Store::new(config.history_limit));
        seed_objects(&store, &config.objects)?;
        let mut ctl = Controller::new(store.clone(), config.controller.clone());
        ctl.settle_all();
        for p in patches.iter().filter(|p| p.settle) {
            apply_patch(&store, p)?;
        }
        ctl.settle_all();
        for p in patches.iter().filter(|p| !p.settle) {
            apply_patch(&store, p)?;
        }
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| ServerError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: config.bind,
            source,
        })?;
        let app = Arc::new(App {
            store,
            users: RwLock::new(config.users.clone()),
            anonymous: config.anonymous.clone(),
            bookmark_interval: config.bookmark_interval,
            log_interval: config.controller.log_interval,
            counters: Mutex::new(BTreeMap::new()),
            open_watches: Mutex::new(BTreeMap::new()),
            stopping: tokio::sync::watch::channel(false).0,
        });
        let router = Router::new().fallback(entry).with_state(app.clone());
        let app2 = app.clone();
        let stop = async move { app2.stopped().await };
        let (server, ca_pem) = if config.tls {
            let tls = crate::tls::generate()?;
            let l = TlsListener::new(listener, &tls)
                .map_err(|source| ServerError::Bind { addr, source })?;
            let task = tokio::spawn(async move {
                if let Err(e) = axum::serve(l, router).with_graceful_shutdown(stop).await {
                    tracing::error!(error = %e, "apiserver stopped");
                }
            });
            (task, Some(tls.ca_pem))
        } else {
            let task = tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router)
                    .with_graceful_shutdown(stop)
                    .await
                {
                    tracing::error!(error = %e, "apiserver stopped");
                }
            });
            (task, None)
        };
        let controller = tokio::spawn(ctl.run());
        tracing::info!(%addr, cluster = %config.cluster_name, "apiserver listening");
        Ok(ApiServerHandle {
            app,
            addr,
            ca_pem,
            cluster: config.cluster_name,
            tasks: vec![server, controller],
        })
    }
}

impl ApiServerHandle {
    /// Base URL (`http://127.0.0.1:<port>`, `https://` with TLS).
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// PEM of the CA behind the server certificate, when serving TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cluster (and kubeconfig context) name.
    pub fn cluster_name(&self) -> &str {
        &self.cluster
    }

    /// The bearer token of `user`.
    pub fn token(&self, user: &str) -> Result<String, ServerError> {
        let users = self.app.users.read().unwrap_or_else(|e| e.into_inner());
        users
            .iter()
            .find(|u| u.name == user)
            .map(|u| u.token.clone())
            .ok_or_else(|| ServerError::UnknownUser(user.to_string()))
    }

    /// A kubeconfig entry for `user` on this server.
    pub fn kubeconfig_entry(&self, user: &str) -> Result<KubeconfigEntry, ServerError> {
        Ok(KubeconfigEntry {
            context: self.cluster.clone(),
            server: self.url(),
            user: user.to_string(),
            token: self.token(user)?,
            namespace: None,
            ca_pem: self.ca_pem.clone(),
        })
    }

    /// Writes a kubeconfig with one context (this cluster, as `user`).
    pub fn write_kubeconfig(&self, path: &Path, user: &str) -> Result<(), ServerError> {
        let e = self.kubeconfig_entry(user)?;
        write_kubeconfig(path, &[e], &self.cluster).map_err(|source| ServerError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The object store (read it, or write behind the API's back in tests).
    pub fn store(&self) -> &Arc<Store> {
        &self.app.store
    }

    /// Creates an object (namespace made if missing) as a client would.
    pub fn create(&self, obj: Value) -> Result<Arc<Value>, ServerError> {
        seed_objects(&self.app.store, std::slice::from_ref(&obj))?;
        let res = resource_of(&obj)?;
        let (ns, n) = key_of(&obj);
        self.app
            .store
            .get(res, &ns, &n)
            .ok_or_else(|| ServerError::UnknownKind {
                what: describe(&obj),
            })
    }

    /// Applies a merge patch to an object.
    pub fn merge_patch(
        &self,
        api_version: &str,
        kind: &str,
        ns: &str,
        name: &str,
        patch: Value,
    ) -> Result<(), ServerError> {
        apply_patch(
            &self.app.store,
            &SeedPatch {
                api_version: api_version.into(),
                kind: kind.into(),
                namespace: ns.into(),
                name: name.into(),
                patch,
                settle: false,
            },
        )
    }

    /// One object by apiVersion, kind, namespace and name.
    pub fn get(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let res = resources::by_kind(api_version, kind)?;
        self.app.store.get(res, ns, name).map(|v| (*v).clone())
    }

    /// Drops all watch history: open watches end with 410 and resuming from
    /// any earlier resourceVersion fails, forcing clients to re-list.
    pub fn expire_history(&self) {
        self.app.store.expire_history();
    }

    /// Requests served so far for `verb` (`list`, `watch`, `patch`...) on `resource` (plural).
    pub fn request_count(&self, verb: &str, resource: &str) -> u64 {
        let c = self.app.counters.lock().unwrap_or_else(|e| e.into_inner());
        c.get(&(verb.to_string(), resource.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Every request counter so far: `(verb, resource)` to requests served.
    pub fn request_counts(&self) -> BTreeMap<(String, String), u64> {
        self.app
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Watches open now on `resource` (plural).
    pub fn open_watches(&self, resource: &str) -> i64 {
        let w = self
            .app
            .open_watches
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        w.get(resource).copied().unwrap_or(0)
    }

    /// Replaces the users (tokens and rules) at runtime.
    pub fn set_users(&self, users: Vec<User>) {
        *self.app.users.write().unwrap_or_else(|e| e.into_inner()) = users;
    }

    /// Stops serving: streams end, connections close, the port is freed.
    pub async fn shutdown(mut self) {
        self.app.stopping.send_replace(true);
        let tasks = std::mem::take(&mut self.tasks);
        let mut it = tasks.into_iter();
        let server = it.next();
        for t in it {
            t.abort();
        }
        if let Some(s) = server {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s).await;
        }
    }
}
