//! Modeldeck's `Cluster` port on Kubernetes (`kube` 5, `k8s-openapi` 0.29).
//!
//! One [`KubeCluster`] covers several kubeconfig contexts at once, each
//! connecting and watching on its own (a dead or slow context never blocks
//! the others, and reports its own errors through
//! [`KubeCluster::context_status`]). Deployments, CronJobs and KServe
//! InferenceServices labelled with the binding label are watched (never
//! polled) and kept only as domain [`Workload`](modeldeck_core::domain::Workload)s.
//!
//! ```no_run
//! # async fn demo() -> modeldeck_core::error::PortResult<()> {
//! use modeldeck_core::ports::Cluster;
//! use modeldeck_kube::{Contexts, KubeCluster, KubeOptions};
//! let cluster = KubeCluster::connect(KubeOptions { contexts: Contexts::All, ..KubeOptions::default() })?;
//! for w in cluster.list_workloads().await? {
//!     println!("{} serves {:?}", w.id, w.served_version);
//! }
//! # Ok(()) }
//! ```

pub mod access;
pub mod argo;
pub mod batch;
pub mod binding;
pub mod cap;
mod cluster;
pub mod config;
pub mod context;
pub mod convert;
pub mod error;
pub mod events;
pub mod install;
pub mod kubeflow;
pub mod ledger;
pub mod logs;
mod pipelines;
pub mod preview;
pub mod record;
pub mod retrain;
pub mod revisions;
pub mod rollout;
pub mod store;
mod watch;
pub mod write;

pub use cluster::KubeCluster;
pub use config::{BindingConfig, Contexts, KubeOptions};
pub use context::{ContextPhase, ContextStatus};
pub use logs::{LogLine, LogOptions};
