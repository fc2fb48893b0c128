//! The promotion service: [`Promotions`] holds the ports, the policy set,
//! the journal, a clock and a pause function (who acts is what the cluster
//! says: SelfSubjectReview), and
//! answers request / approve / reject / cancel / execute / rollback /
//! status / list / inbox / history. State lives only in registry tags and
//! the cluster, so two consoles (or a console and CI) see the same thing and
//! a restarted process picks up where a crashed one stopped.

pub mod actions;
mod approvals;
mod audit;
mod canary;
mod compensate;
mod execute;
mod forward;
mod ledger;
mod load;
mod query;
mod request;
mod review;
mod rollback;
mod rollout;
mod run_now;
mod verify;

pub use approvals::{Problem, Tally};
pub use execute::{ExecuteOptions, ExecutionReport};
pub use ledger::{Site, SiteKey, entry_hash, evidence_digest, first_broken};
pub use load::Observed;
pub use query::{HistoryEvent, HistoryKind, PromotionStatus, ServedPeriod, served_at};
pub use request::NewPromotion;
pub use rollback::RollbackReport;
pub use run_now::{RUN_NOW_TIMEOUT, RunRecord, run_key};
pub use verify::{
    LAG_WINDOW, Verification, VerificationState, batch_entry, first_run_after, lag_thresholds_for,
    stream_entry,
};

use crate::error::{PromotionError, Result};
use crate::journal::Journal;
use crate::policy::PolicySet;
use async_trait::async_trait;
use modeldeck_core::console::{Backends, Console};
use modeldeck_core::domain::{
    AccessCheck, Identity, SharedClock, SystemClock, Timestamp, WorkloadRef,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// RBAC group of the promotion verbs.
pub const RBAC_GROUP: &str = "modeldeck.io";
/// RBAC resource of the promotion verbs.
pub const RBAC_RESOURCE: &str = "modelpromotions";

/// Waits between rollout polls. The real one sleeps; on the sandbox's
/// virtual clock a test advances the world instead.
#[async_trait]
pub trait Pause: Send + Sync {
    /// Lets `d` pass.
    async fn pause(&self, d: Duration);
}

/// [`Pause`] that sleeps on the tokio timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioPause;

#[async_trait]
impl Pause for TokioPause {
    async fn pause(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

/// Service-wide options.
#[derive(Debug, Clone)]
pub struct PromotionOptions {
    /// Alias moved when a request names none.
    pub default_alias: String,
    /// This executor's identity in claims; a restarted runner with the same
    /// id resumes its own executions without waiting for the claim to expire.
    pub executor: String,
    /// A claim older than this may be taken over (its executor is presumed dead).
    pub claim_ttl: Duration,
    /// The profile's consumer-lag thresholds (`[profiles.<n>.lag]`), under
    /// a workload's own labels, as the Fleet applies them.
    pub lag: modeldeck_core::domain::LagSettings,
}

impl Default for PromotionOptions {
    fn default() -> Self {
        PromotionOptions {
            default_alias: "champion".into(),
            executor: format!("modeldeck-{}", std::process::id()),
            claim_ttl: Duration::from_secs(15 * 60),
            lag: modeldeck_core::domain::LagSettings::default(),
        }
    }
}

/// The promotion service. Cheap to share behind an `Arc`; every method
/// takes `&self`.
pub struct Promotions {
    backends: Backends,
    policies: PolicySet,
    journal: Arc<Journal>,
    clock: SharedClock,
    pause: Arc<dyn Pause>,
    opts: PromotionOptions,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    index: Mutex<HashMap<String, (String, String)>>,
}

impl std::fmt::Debug for Promotions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Promotions")
            .field("backends", &self.backends)
            .field("journal", &self.journal)
            .field("executor", &self.opts.executor)
            .finish()
    }
}

impl Promotions {
    /// A service over `backends`, acting as whoever the cluster says we
    /// are, sleeping for real between rollout polls, on the wall clock.
    pub fn new(backends: Backends, policies: PolicySet, journal: Arc<Journal>) -> Promotions {
        Promotions {
            backends,
            policies,
            journal,
            clock: Arc::new(SystemClock),
            pause: Arc::new(TokioPause),
            opts: PromotionOptions::default(),
            locks: Mutex::new(HashMap::new()),
            index: Mutex::new(HashMap::new()),
        }
    }

    /// A service over a console's ports and clock.
    pub fn from_console(
        console: &Console,
        policies: PolicySet,
        journal: Arc<Journal>,
    ) -> Promotions {
        let opts = PromotionOptions {
            lag: console.options().lag,
            ..PromotionOptions::default()
        };
        Promotions::new(console.backends().clone(), policies, journal)
            .with_clock(console.options().clock.clone())
            .with_options(opts)
    }

    /// Uses `clock` for "now" (approval expiry, rollout deadlines).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `pause` between rollout polls.
    pub fn with_pause(mut self, pause: Arc<dyn Pause>) -> Self {
        self.pause = pause;
        self
    }

    /// Replaces the options.
    pub fn with_options(mut self, opts: PromotionOptions) -> Self {
        self.opts = opts;
        self
    }

    /// The journal this service writes.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// The policy set.
    pub fn policies(&self) -> &PolicySet {
        &self.policies
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The per-promotion lock that serializes actions on one id in-process.
    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(id.to_string()).or_default().clone()
    }

    async fn identity(&self, targets: &[WorkloadRef]) -> Result<Identity> {
        let cluster = targets
            .first()
            .map(|t| t.cluster.clone())
            .or_else(|| self.backends.cluster.clusters().into_iter().next())
            .unwrap_or_default();
        // The identity the cluster reports (SelfSubjectReview): the same
        // credentials that RBAC checks, so nobody can act under another name.
        Ok(self.backends.cluster.whoami(&cluster).await?)
    }

    /// Asks RBAC whether `actor` may `verb` on each distinct namespace of
    /// `targets`; the first "no" is a refusal naming where.
    async fn require(
        &self,
        actor: &str,
        verb: &str,
        resource: impl Fn(&WorkloadRef) -> (&'static str, &'static str),
        targets: &[WorkloadRef],
    ) -> Result<Vec<String>> {
        let mut seen = BTreeSet::new();
        for t in targets {
            let (group, res) = resource(t);
            if !seen.insert((t.cluster.clone(), t.namespace.clone(), res)) {
                continue;
            }
            let check = AccessCheck {
                verb: verb.into(),
                group: group.into(),
                resource: res.into(),
                namespace: Some(t.namespace.clone()),
            };
            if !self.backends.cluster.can_i(&t.cluster, &check).await? {
                let resource = format!("{res}.{group}");
                return Err(PromotionError::Rbac {
                    actor: actor.to_string(),
                    verb: verb.to_string(),
                    resource,
                    namespace: t.namespace.clone(),
                    cluster: t.cluster.clone(),
                });
            }
        }
        Ok(seen
            .into_iter()
            .map(|(c, n, _)| format!("{c}/{n}"))
            .collect())
    }
}

impl Promotions {
    /// RBAC for deciding: `create modelapprovals.modeldeck.io` in each
    /// target namespace whose cluster binds approvals (the API server
    /// enforces it again on the create), `approve modelpromotions` where
    /// it does not. Answers the `cluster/namespace` pairs checked.
    async fn require_approver(
        &self,
        actor: &str,
        r: &crate::tags::RequestRecord,
        obs: &Observed,
    ) -> Result<Vec<String>> {
        let bound = |t: &WorkloadRef| {
            obs.ledger
                .get(&(t.cluster.clone(), t.namespace.clone()))
                .is_some_and(|s| s.state.is_bound())
        };
        let (on_ledger, legacy): (Vec<WorkloadRef>, Vec<WorkloadRef>) =
            r.targets.iter().cloned().partition(|t| bound(t));
        let mut out = self
            .require(actor, "create", approval_resource, &on_ledger)
            .await?;
        out.extend(
            self.require(actor, "approve", promotion_resource, &legacy)
                .await?,
        );
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// `(group, resource)` whose `create` is approving on a bound cluster.
pub fn approval_resource(_: &WorkloadRef) -> (&'static str, &'static str) {
    (RBAC_GROUP, "modelapprovals")
}

/// `(group, resource)` of the promotion verbs (`approve`, `create`, ...).
pub fn promotion_resource(_: &WorkloadRef) -> (&'static str, &'static str) {
    (RBAC_GROUP, RBAC_RESOURCE)
}

/// `(group, resource)` a workload is patched through.
pub fn patch_resource(t: &WorkloadRef) -> (&'static str, &'static str) {
    patch_resource_of(t.kind)
}

/// `(group, resource)` a workload kind is patched through.
pub fn patch_resource_of(
    kind: modeldeck_core::domain::WorkloadKind,
) -> (&'static str, &'static str) {
    use modeldeck_core::domain::WorkloadKind as K;
    match kind {
        K::Deployment | K::StreamConsumer => ("apps", "deployments"),
        K::InferenceService => ("serving.kserve.io", "inferenceservices"),
        K::CronJob => ("batch", "cronjobs"),
        // Never patched (refused with the reason); named for access checks.
        K::Pipeline => ("argoproj.io", "cronworkflows"),
    }
}
