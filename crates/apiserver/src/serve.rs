//! `modeldeck sandbox serve`: one API server per cluster of a world (the
//! built-in demo, explicit objects, or any `Cluster` port's snapshot), one
//! kubeconfig with a context per cluster (per cluster and user when a
//! [`Team`] shares the servers, plus a kubeconfig per user on request),
//! printed, then serve until ctrl-c.

use crate::config::{ControllerConfig, ServerConfig};
use crate::fixtures;
use crate::kubeconfig::{KubeconfigEntry, team_context, write_kubeconfig, write_team_kubeconfig};
use crate::seed::{self, Seed};
use crate::server::{ApiServer, ApiServerHandle, ServerError};
use modeldeck_core::error::BackendError;
use modeldeck_core::ports::Cluster;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the servers hold.
#[derive(Clone)]
pub enum SeedSource {
    /// The built-in demo cluster ([`fixtures::demo_seed`]) under this name.
    Demo(String),
    /// `n` Deployments ([`fixtures::scale_seed`]) under this name.
    Scale(String, usize),
    /// The current workloads of a `Cluster` port, one server per cluster.
    Cluster(Arc<dyn Cluster>),
    /// Explicit seeds by cluster name.
    Seeds(BTreeMap<String, Seed>),
}

impl std::fmt::Debug for SeedSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedSource::Demo(n) => write!(f, "Demo({n})"),
            SeedSource::Scale(n, c) => write!(f, "Scale({n}, {c})"),
            SeedSource::Cluster(c) => write!(f, "Cluster({:?})", c.clusters()),
            SeedSource::Seeds(s) => write!(f, "Seeds({:?})", s.keys().collect::<Vec<_>>()),
        }
    }
}

/// Options of [`serve`] and [`start_all`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// What to serve.
    pub source: SeedSource,
    /// Where to write the kubeconfig; a temp path when `None`.
    pub kubeconfig: Option<PathBuf>,
    /// Which user the kubeconfig authenticates as (`admin` or `viewer` on
    /// the default server config); with a [`Team`], the user of the
    /// current context.
    pub user: String,
    /// Template for every server's config (bind port is ignored per server
    /// after the first unless 0).
    pub server: ServerConfig,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            source: SeedSource::Demo("sandbox".into()),
            kubeconfig: None,
            user: "admin".into(),
            server: ServerConfig {
                tls: true,
                ..ServerConfig::default()
            },
        }
    }
}

/// Who the kubeconfigs are written for when several people share the
/// servers. The default (no users) is the single-user layout: one
/// kubeconfig for [`ServeOptions::user`], contexts named after the clusters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Team {
    /// Users given a context on every cluster in the kubeconfig, named
    /// `<user>@<cluster>` ([`team_context`]); every one must be a user of
    /// the server config. The current context is
    /// [`ServeOptions::user`]'s on the first cluster when it is one of
    /// them, else the first user's.
    pub users: Vec<String>,
    /// Also write one kubeconfig per user (of `users`, or
    /// [`ServeOptions::user`] alone) at [`user_kubeconfig_path`], contexts
    /// named after the clusters as in the single-user layout. Modeldeck
    /// names a cluster after its context, so people who share promotions
    /// use these: their targets then name the same clusters.
    pub kubeconfig_dir: Option<PathBuf>,
}

/// Where [`Team::kubeconfig_dir`] puts `user`'s kubeconfig: `<dir>/<user>.kubeconfig`.
pub fn user_kubeconfig_path(dir: &Path, user: &str) -> PathBuf {
    dir.join(format!("{user}.kubeconfig"))
}

/// Why serving failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A server could not start or the kubeconfig could not be written.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The `Cluster` port to seed from failed.
    #[error("cannot read the workloads to serve: {0}")]
    Source(#[from] BackendError),
    /// Waiting for ctrl-c failed.
    #[error("cannot wait for ctrl-c: {0}")]
    Signal(#[source] std::io::Error),
}

/// Running servers and the kubeconfig that reaches them.
#[derive(Debug)]
pub struct Served {
    /// One handle per cluster.
    pub servers: Vec<ApiServerHandle>,
    /// The kubeconfig written.
    pub kubeconfig: PathBuf,
    /// The current context of that kubeconfig.
    pub current_context: String,
    /// Per-user kubeconfigs written ([`Team::kubeconfig_dir`]), by user.
    pub user_kubeconfigs: Vec<(String, PathBuf)>,
}

/// Starts one server per cluster and writes one kubeconfig for them all
/// (the single-user layout, for [`ServeOptions::user`]).
pub async fn start_all(opts: &ServeOptions) -> Result<Served, ServeError> {
    start_team(opts, &Team::default()).await
}

/// Starts one server per cluster and writes the kubeconfigs `team` asks
/// for (see [`Team`]).
pub async fn start_team(opts: &ServeOptions, team: &Team) -> Result<Served, ServeError> {
    let seeds: BTreeMap<String, Seed> = match &opts.source {
        SeedSource::Demo(n) => [(n.clone(), fixtures::demo_seed(n))].into(),
        SeedSource::Scale(n, c) => [(n.clone(), fixtures::scale_seed(n, *c))].into(),
        SeedSource::Cluster(c) => seed::from_cluster(c.as_ref()).await?,
        SeedSource::Seeds(s) => s.clone(),
    };
    let mut servers = Vec::new();
    for (i, (name, seed)) in seeds.into_iter().enumerate() {
        let mut cfg = opts.server.clone();
        cfg.cluster_name = name;
        if i > 0 && cfg.bind.port() != 0 {
            cfg.bind.set_port(cfg.bind.port().saturating_add(i as u16));
        }
        servers.push(ApiServer::start(cfg.with_seed(seed)).await?);
    }
    let users: Vec<String> = if team.users.is_empty() {
        vec![opts.user.clone()]
    } else {
        team.users.clone()
    };
    // entries[u][c]: user u on cluster c.
    let mut entries: Vec<Vec<KubeconfigEntry>> = Vec::with_capacity(users.len());
    for u in &users {
        let row = servers
            .iter()
            .map(|s| s.kubeconfig_entry(u))
            .collect::<Result<Vec<_>, _>>()?;
        entries.push(row);
    }
    let first_cluster = servers
        .first()
        .map(|s| s.cluster_name().to_string())
        .unwrap_or_default();
    let path = opts.kubeconfig.clone().unwrap_or_else(|| {
        std::env::temp_dir()
            .join(format!("modeldeck-sandbox-{}", std::process::id()))
            .join("kubeconfig")
    });
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ServerError::Io { path, source }
    };
    let current = if team.users.is_empty() {
        write_kubeconfig(&path, &entries.concat(), &first_cluster).map_err(io(&path))?;
        first_cluster.clone()
    } else {
        let me = users
            .iter()
            .find(|u| **u == opts.user)
            .or(users.first())
            .cloned()
            .unwrap_or_default();
        let current = team_context(&me, &first_cluster);
        // Cluster by cluster, so each cluster's users sit together.
        let by_cluster: Vec<KubeconfigEntry> = (0..servers.len())
            .flat_map(|c| entries.iter().map(move |row| row[c].clone()))
            .collect();
        write_team_kubeconfig(&path, &by_cluster, &current).map_err(io(&path))?;
        current
    };
    let mut user_kubeconfigs = Vec::new();
    if let Some(dir) = &team.kubeconfig_dir {
        for (u, row) in users.iter().zip(&entries) {
            let p = user_kubeconfig_path(dir, u);
            write_kubeconfig(&p, row, &first_cluster).map_err(io(&p))?;
            user_kubeconfigs.push((u.clone(), p));
        }
    }
    Ok(Served {
        servers,
        kubeconfig: path,
        current_context: current,
        user_kubeconfigs,
    })
}

/// Serves until ctrl-c, after printing each cluster's URL and the
/// kubeconfig path (never a token).
pub async fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    serve_team(opts, Team::default()).await
}

/// [`serve`] for a [`Team`]: also prints the contexts and the per-user
/// kubeconfigs.
pub async fn serve_team(opts: ServeOptions, team: Team) -> Result<(), ServeError> {
    serve_team_with(opts, team, false).await
}

/// [`serve_team`], and with `control_signals` (unix only) acting on
/// SIGUSR1 and SIGUSR2 while serving ([`crate::control`]).
pub async fn serve_team_with(
    opts: ServeOptions,
    team: Team,
    control_signals: bool,
) -> Result<(), ServeError> {
    let served = start_team(&opts, &team).await?;
    // Installed before "serving" is announced: a signal sent on that line
    // must find the handler, not the default action (ending the process).
    let signals = match control_signals {
        true => Some(install_signals()?),
        false => None,
    };
    for s in &served.servers {
        println!("cluster {}: {}", s.cluster_name(), s.url());
    }
    println!("kubeconfig: {}", served.kubeconfig.display());
    if !team.users.is_empty() {
        let contexts: Vec<String> = served
            .servers
            .iter()
            .flat_map(|s| team.users.iter().map(|u| team_context(u, s.cluster_name())))
            .collect();
        println!(
            "contexts: {} (current: {})",
            contexts.join(", "),
            served.current_context
        );
    }
    for (user, path) in &served.user_kubeconfigs {
        println!("kubeconfig of {user}: {}", path.display());
    }
    if team.users.is_empty() {
        println!(
            "try: kubectl --kubeconfig {} get deploy -A",
            served.kubeconfig.display()
        );
    } else {
        println!(
            "try: kubectl --kubeconfig {} --context {} auth whoami",
            served.kubeconfig.display(),
            served.current_context
        );
    }
    println!("serving until ctrl-c");
    match signals {
        Some(signals) => wait_with_signals(signals, &served.servers).await?,
        None => tokio::signal::ctrl_c().await.map_err(ServeError::Signal)?,
    }
    if opts.kubeconfig.is_none() {
        // A kubeconfig we chose the place of goes with the servers.
        let _ = std::fs::remove_file(&served.kubeconfig);
        if let Some(dir) = served.kubeconfig.parent() {
            let _ = std::fs::remove_dir(dir);
        }
    }
    drop(served);
    Ok(())
}

#[cfg(unix)]
fn install_signals() -> Result<crate::control::Signals, ServeError> {
    crate::control::Signals::install().map_err(ServeError::Signal)
}

#[cfg(unix)]
async fn wait_with_signals(
    signals: crate::control::Signals,
    servers: &[ApiServerHandle],
) -> Result<(), ServeError> {
    signals
        .serve_until_ctrl_c(servers)
        .await
        .map_err(ServeError::Signal)
}

#[cfg(not(unix))]
fn install_signals() -> Result<std::convert::Infallible, ServeError> {
    Err(ServeError::Signal(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "control signals (SIGUSR1, SIGUSR2) exist on unix only",
    )))
}

#[cfg(not(unix))]
async fn wait_with_signals(
    signals: std::convert::Infallible,
    _servers: &[ApiServerHandle],
) -> Result<(), ServeError> {
    match signals {}
}

/// Everyday controller timing for the demo (slower, so rollouts can be watched).
pub fn demo_controller() -> ControllerConfig {
    ControllerConfig {
        ready_after: std::time::Duration::from_secs(3),
        ..ControllerConfig::default()
    }
}

/// A plain-HTTP `GET /metrics` endpoint over a simulated world's
/// [`Exporter`](modeldeck_sandbox::exposition::Exporter) (`sandbox serve
/// --metrics-addr`): read-only simulated data, no authentication, meant
/// for a loopback address a local Prometheus scrapes. Stops when dropped.
#[derive(Debug)]
pub struct MetricsEndpoint {
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl MetricsEndpoint {
    /// Binds `addr` (port 0: any free port) and serves until dropped.
    pub async fn start(
        addr: std::net::SocketAddr,
        exporter: Arc<modeldeck_sandbox::exposition::Exporter>,
    ) -> Result<MetricsEndpoint, ServerError> {
        use axum::http::header::CONTENT_TYPE;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServerError::Bind { addr, source })?;
        let router = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let exporter = exporter.clone();
                async move {
                    let body = tokio::task::spawn_blocking(move || exporter.render())
                        .await
                        .unwrap_or_default();
                    (
                        [(CONTENT_TYPE, modeldeck_sandbox::exposition::CONTENT_TYPE)],
                        body,
                    )
                }
            }),
        );
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "metrics endpoint stopped");
            }
        });
        Ok(MetricsEndpoint { addr, task })
    }

    /// The address bound.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// `http://<addr>/metrics`.
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }
}

impl Drop for MetricsEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}
