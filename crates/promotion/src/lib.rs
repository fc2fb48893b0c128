//! Modeldeck's promotion workflow: a request to point a model alias at a new
//! version and roll the workloads that serve it, collected approvals under a
//! four-eyes rule, policy gates with numbers, execution with compensation,
//! rollback to the last known-good version, and an audit trail kept both in
//! a local hash-chained journal and in registry tags.

pub mod error;
pub mod gates;
pub mod journal;
pub use modeldeck_core::policy;
pub mod service;
pub mod tags;

pub use error::{PromotionError, Result};
pub use journal::{Journal, JournalOptions};
pub use policy::{Policy, PolicySet};
pub use service::actions::{ActionCheck, ActionKind, ApprovalView, Review};
pub use service::{
    ExecuteOptions, ExecutionReport, NewPromotion, PromotionOptions, PromotionStatus, Promotions,
    evidence_digest,
};
