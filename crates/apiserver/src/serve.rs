//! `modeldeck sandbox serve`: one API server per cluster of a world (the
//! built-in demo, explicit objects, or any `Cluster` port's snapshot), one
//! kubeconfig with a context per cluster, printed, then serve until ctrl-c.

use crate::config::{ControllerConfig, ServerConfig};
use crate::fixtures;
use crate::kubeconfig::write_kubeconfig;
use crate::seed::{self, Seed};
use crate::server::{ApiServer, ApiServerHandle, ServerError};
use modeldeck_core::error::BackendError;
use modeldeck_core::ports::Cluster;
use std::collections::BTreeMap;
use std::path::PathBuf;
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
    /// Which user the kubeconfig authenticates as (`admin` or `viewer`).
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
}

/// Starts one server per cluster and writes one kubeconfig for them all.
pub async fn start_all(opts: &ServeOptions) -> Result<Served, ServeError> {
    let seeds: BTreeMap<String, Seed> = match &opts.source {
        SeedSource::Demo(n) => [(n.clone(), fixtures::demo_seed(n))].into(),
        SeedSource::Scale(n, c) => [(n.clone(), fixtures::scale_seed(n, *c))].into(),
        SeedSource::Cluster(c) => seed::from_cluster(c.as_ref()).await?,
        SeedSource::Seeds(s) => s.clone(),
    };
    let mut servers = Vec::new();
    let mut entries = Vec::new();
    for (i, (name, seed)) in seeds.into_iter().enumerate() {
        let mut cfg = opts.server.clone();
        cfg.cluster_name = name;
        if i > 0 && cfg.bind.port() != 0 {
            cfg.bind.set_port(cfg.bind.port().saturating_add(i as u16));
        }
        let h = ApiServer::start(cfg.with_seed(seed)).await?;
        entries.push(h.kubeconfig_entry(&opts.user)?);
        servers.push(h);
    }
    let path = opts.kubeconfig.clone().unwrap_or_else(|| {
        std::env::temp_dir()
            .join(format!("modeldeck-sandbox-{}", std::process::id()))
            .join("kubeconfig")
    });
    let current = entries
        .first()
        .map(|e| e.context.clone())
        .unwrap_or_default();
    write_kubeconfig(&path, &entries, &current).map_err(|source| ServerError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(Served {
        servers,
        kubeconfig: path,
    })
}

/// Serves until ctrl-c, after printing each cluster's URL and the
/// kubeconfig path (never a token).
pub async fn serve(opts: ServeOptions) -> Result<(), ServeError> {
    let served = start_all(&opts).await?;
    for s in &served.servers {
        println!("cluster {}: {}", s.cluster_name(), s.url());
    }
    println!("kubeconfig: {}", served.kubeconfig.display());
    println!(
        "try: kubectl --kubeconfig {} get deploy -A",
        served.kubeconfig.display()
    );
    println!("serving until ctrl-c");
    tokio::signal::ctrl_c().await.map_err(ServeError::Signal)?;
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

/// Everyday controller timing for the demo (slower, so rollouts can be watched).
pub fn demo_controller() -> ControllerConfig {
    ControllerConfig {
        ready_after: std::time::Duration::from_secs(3),
        ..ControllerConfig::default()
    }
}
