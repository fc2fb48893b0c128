//! A small in-memory Kubernetes API server for tests and the demo. It
//! speaks the REST conventions standard clients rely on (discovery, list
//! with `limit`/`continue`, watch with bookmarks and 410 Gone, get, merge /
//! JSON / strategic merge patches, resourceVersion preconditions, `dryRun`,
//! SelfSubjectReview and SelfSubjectAccessReview, Events, pod logs) and runs
//! a deployment controller, so `kubectl` and `kube` work against it unchanged.
//!
//! ```no_run
//! # async fn demo() -> Result<(), modeldeck_apiserver::ServerError> {
//! use modeldeck_apiserver::{ApiServer, ServerConfig, fixtures};
//! let server = ApiServer::start(ServerConfig::named("dev").with_seed(fixtures::demo_seed("dev"))).await?;
//! server.write_kubeconfig(std::path::Path::new("/tmp/kubeconfig"), "admin")?;
//! println!("{}", server.url());
//! # Ok(()) }
//! ```

pub mod admission;
pub mod auth;
pub mod config;
pub mod control;
pub mod controller;
pub mod defaults;
pub mod fixtures;
mod http;
pub mod ids;
pub mod kubeconfig;
pub mod patch;
pub mod proto;
pub mod resources;
pub mod seed;
pub mod selector;
pub mod serve;
pub mod server;
pub mod status;
pub mod store;
pub mod team;
pub mod time;
pub mod tls;
pub mod write;

pub use config::{ControllerConfig, Rule, ServerConfig, User};
pub use kubeconfig::{KubeconfigEntry, team_context, write_kubeconfig, write_team_kubeconfig};
pub use seed::{Seed, SeedPatch};
pub use serve::{
    SeedSource, ServeError, ServeOptions, Served, Team, serve, serve_team, serve_team_with,
    start_all, start_team, user_kubeconfig_path,
};
pub use server::{ApiServer, ApiServerHandle, ServerError};
pub use team::{Role, TeamError};
