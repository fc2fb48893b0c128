//! The simulated cluster behind the [`Cluster`] port: lists workloads,
//! answers events, patches the served version (starting a rollout, with
//! resourceVersion preconditions), answers whoami / can-i from the
//! identity and rules a test set, and keeps the promotion ledger
//! (`crate::ledger`).

use crate::rollout;
use crate::shared::Shared;
use crate::world::{WorkloadState, World};
use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::Cluster;
use std::sync::Arc;

/// Events older than this are gone, as Kubernetes' event TTL.
const EVENT_TTL_MS: i64 = 3_600_000;

/// The cluster port of one sandbox.
#[derive(Debug, Clone)]
pub(crate) struct SandboxCluster {
    pub shared: Arc<Shared>,
}

fn workload_not_found(target: &WorkloadRef) -> BackendError {
    BackendError::not_found(Backend::Cluster, format!("workload {target} not found"))
        .at(target.to_string())
}

fn find(world: &World, target: &WorkloadRef) -> PortResult<usize> {
    world
        .workload_index(target)
        .ok_or_else(|| workload_not_found(target))
}

pub(crate) fn known_cluster(world: &World, cluster: &str) -> PortResult<()> {
    if world
        .clusters
        .binary_search_by(|c| c.as_str().cmp(cluster))
        .is_ok()
    {
        Ok(())
    } else {
        Err(BackendError::not_found(
            Backend::Cluster,
            format!(
                "cluster {cluster:?} not found (known: {})",
                world.clusters.join(", ")
            ),
        ))
    }
}

#[async_trait]
impl Cluster for SandboxCluster {
    fn clusters(&self) -> Vec<String> {
        self.shared.lock().clusters.clone()
    }

    async fn list_workloads(&self) -> PortResult<Vec<Workload>> {
        self.shared.call(Backend::Cluster, |w| {
            Ok(w.workloads.iter().map(|s| w.workload_domain(s)).collect())
        })
    }

    async fn events(&self, target: &WorkloadRef) -> PortResult<Vec<ClusterEvent>> {
        self.shared.call(Backend::Cluster, |w| {
            let idx = find(w, target)?;
            let since = w.now.plus_millis(-EVENT_TTL_MS);
            let state = w
                .workloads
                .get(idx)
                .ok_or_else(|| workload_not_found(target))?;
            let mut out: Vec<ClusterEvent> = state
                .extra
                .as_deref()
                .map(|e| {
                    e.events
                        .iter()
                        .filter(|e| e.at >= since && e.at <= w.now)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            // Events of a CronJob's runs (a pipeline's Workflows report none here).
            let cron = state.kind == WorkloadKind::CronJob;
            if let Some(plan) = state.batch_plan().filter(|_| !state.suspended && cron) {
                out.extend(cron_events(state, &plan, since, w.now));
                out.sort_by_key(|e| e.at);
            }
            Ok(out)
        })
    }

    async fn revisions(&self, target: &WorkloadRef) -> PortResult<Vec<Revision>> {
        self.shared.call(Backend::Cluster, |w| {
            let idx = find(w, target)?;
            let state = w
                .workloads
                .get(idx)
                .ok_or_else(|| workload_not_found(target))?;
            Ok(crate::revisions::history(w, state))
        })
    }

    async fn set_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.shared.call(Backend::Cluster, |w| {
            let idx = find(w, target)?;
            let state = w
                .workloads
                .get(idx)
                .ok_or_else(|| workload_not_found(target))?;
            check_rv(state, target, expected_rv)?;
            refuse_unpatched(state, target)?;
            let number = version_number(w, state, target, version)?;
            let now = w.now;
            rollout::start(w, idx, number, now);
            let state = w
                .workloads
                .get(idx)
                .ok_or_else(|| workload_not_found(target))?;
            Ok(w.workload_domain(state))
        })
    }

    async fn preview_served_version(
        &self,
        target: &WorkloadRef,
        version: &str,
    ) -> PortResult<modeldeck_core::serving_diff::ServingChanges> {
        self.shared.call(Backend::Cluster, |w| {
            let idx = find(w, target)?;
            let state = w
                .workloads
                .get(idx)
                .ok_or_else(|| workload_not_found(target))?;
            refuse_unpatched(state, target)?;
            let number = version_number(w, state, target, version)?;
            Ok(crate::serving_spec::preview(w, state, target, number))
        })
    }

    async fn set_canary(
        &self,
        target: &WorkloadRef,
        version: &str,
        traffic_percent: u8,
        expected_rv: Option<&str>,
    ) -> PortResult<Workload> {
        self.shared.call(Backend::Cluster, |w| {
            let idx = find(w, target)?;
            let state = w.workloads.get(idx).ok_or_else(|| workload_not_found(target))?;
            if state.kind != WorkloadKind::InferenceService {
                return Err(BackendError::new(
                    Backend::Cluster,
                    ErrorCode::Unsupported,
                    format!("{target} is a {}: only InferenceServices split traffic", state.kind),
                )
                .at(target.to_string()));
            }
            if !(1..=99).contains(&traffic_percent) {
                return Err(BackendError::new(
                    Backend::Cluster,
                    ErrorCode::InvalidRequest,
                    format!("canary traffic must be 1..=99 percent, got {traffic_percent}; {target} was not changed"),
                )
                .at(target.to_string()));
            }
            check_rv(state, target, expected_rv)?;
            let number = version_number(w, state, target, version)?;
            let now = w.now;
            crate::observe::set_canary(w, idx, number, traffic_percent, now);
            let state = w.workloads.get(idx).ok_or_else(|| workload_not_found(target))?;
            Ok(w.workload_domain(state))
        })
    }

    async fn record_event(
        &self,
        target: &WorkloadRef,
        kind: &str,
        reason: &str,
        message: &str,
    ) -> PortResult<()> {
        if !matches!(kind, "Normal" | "Warning") {
            return Err(BackendError::new(
                Backend::Cluster,
                ErrorCode::InvalidRequest,
                format!("event type must be Normal or Warning, got {kind:?}"),
            ));
        }
        self.shared.call(Backend::Cluster, |w| {
            let idx = find(w, target)?;
            let now = w.now;
            let state = w
                .workloads
                .get_mut(idx)
                .ok_or_else(|| workload_not_found(target))?;
            crate::observe::record(state, now, kind, reason, message);
            Ok(())
        })
    }

    async fn log_tail(&self, target: &WorkloadRef, lines: usize) -> PortResult<Vec<String>> {
        self.shared.call(Backend::Cluster, |w| {
            let idx = find(w, target)?;
            let state = w
                .workloads
                .get(idx)
                .ok_or_else(|| workload_not_found(target))?;
            if state.kind.is_batch() {
                let model = w.models.get(state.model as usize).map(|m| m.name.as_str());
                let model = model.unwrap_or(state.name.as_str());
                return Ok(crate::batch::failed_log_tail(state, model, w.now, lines));
            }
            if state.desired == 0 {
                return Ok(Vec::new());
            }
            Ok(crate::observe::log_tail(w, state, lines))
        })
    }

    async fn ledger(&self, cluster: &str) -> PortResult<LedgerState> {
        crate::ledger::state(&self.shared, cluster)
    }

    async fn create_promotion(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        crate::ledger::create_promotion(&self.shared, cluster, object)
    }

    async fn get_promotion(
        &self,
        cluster: &str,
        namespace: &str,
        name: &str,
    ) -> PortResult<Option<PromotionObject>> {
        crate::ledger::get_promotion(&self.shared, cluster, namespace, name)
    }

    async fn list_promotions(&self, cluster: &str) -> PortResult<Vec<PromotionObject>> {
        crate::ledger::list_promotions(&self.shared, cluster)
    }

    async fn update_promotion_status(
        &self,
        cluster: &str,
        object: &PromotionObject,
    ) -> PortResult<PromotionObject> {
        crate::ledger::update_promotion_status(&self.shared, cluster, object)
    }

    async fn create_approval(&self, cluster: &str, object: &ApprovalObject) -> PortResult<()> {
        crate::ledger::create_approval(&self.shared, cluster, object)
    }

    async fn list_approvals(
        &self,
        cluster: &str,
        namespace: &str,
        promotion: &str,
    ) -> PortResult<Vec<ApprovalObject>> {
        crate::ledger::list_approvals(&self.shared, cluster, namespace, promotion)
    }

    async fn retrain_sources(&self, model: &str) -> PortResult<Vec<RetrainSource>> {
        self.shared
            .call(Backend::Cluster, |w| Ok(crate::retrain::sources(w, model)))
    }

    async fn start_retrain(
        &self,
        source: &RetrainSource,
        request: &RetrainRequest,
    ) -> PortResult<RetrainRun> {
        self.shared.call(Backend::Cluster, |w| {
            crate::retrain::start(w, source, request)
        })
    }

    async fn retrain_status(&self, run: &RetrainRun, log_lines: usize) -> PortResult<RetrainRun> {
        self.shared.call(Backend::Cluster, |w| {
            crate::retrain::status(w, run, log_lines)
        })
    }

    async fn whoami(&self, cluster: &str) -> PortResult<Identity> {
        self.shared.call(Backend::Cluster, |w| {
            known_cluster(w, cluster)?;
            Ok(w.identity.clone())
        })
    }

    async fn can_i(&self, cluster: &str, check: &AccessCheck) -> PortResult<bool> {
        self.shared.call(Backend::Cluster, |w| {
            known_cluster(w, cluster)?;
            Ok(w.access(&[(&check.verb, &check.resource)]).unwrap_or(true))
        })
    }
}

/// A stale `expected_rv` is a `Conflict`, as the API server's precondition.
fn check_rv(
    state: &WorkloadState,
    target: &WorkloadRef,
    expected_rv: Option<&str>,
) -> PortResult<()> {
    match expected_rv {
        Some(rv) if rv != state.rv.to_string() => Err(BackendError::new(
            Backend::Cluster,
            ErrorCode::Conflict,
            format!(
                "the object has been modified: resourceVersion {rv} is stale, {target} is at {}; read it again and retry",
                state.rv
            ),
        )
        .at(target.to_string())),
        _ => Ok(()),
    }
}

/// The version number `version` names, if the workload's model has it.
fn version_number(
    w: &World,
    state: &WorkloadState,
    target: &WorkloadRef,
    version: &str,
) -> PortResult<u32> {
    let model = w.models.get(state.model as usize);
    let model_name = model.map(|m| m.name.clone()).unwrap_or_default();
    version
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| model.is_some_and(|m| m.version(*n).is_some()))
        .ok_or_else(|| {
            BackendError::new(
                Backend::Cluster,
                ErrorCode::InvalidRequest,
                format!(
                    "model {model_name:?} has no version {version:?}; {target} was not changed"
                ),
            )
            .at(target.to_string())
        })
}

/// A kind whose version Modeldeck does not patch (a pipeline) is refused
/// with the reason, as the kube adapter refuses it.
fn refuse_unpatched(state: &crate::world::WorkloadState, target: &WorkloadRef) -> PortResult<()> {
    match state.kind.version_not_patched() {
        Some(why) => Err(BackendError::new(
            Backend::Cluster,
            ErrorCode::Unsupported,
            format!("{target} was not changed: {why}"),
        )
        .at(target.to_string())),
        None => Ok(()),
    }
}

/// The last run of a CronJob (if it started within the events' hour), as
/// the CronJob controller reports it: created, then completed or failed.
fn cron_events(
    state: &crate::world::WorkloadState,
    plan: &crate::batch::BatchPlan,
    since: Timestamp,
    now: Timestamp,
) -> Vec<ClusterEvent> {
    let status = plan.status(false, state.created_at, now);
    let Some(due) = status.last_schedule.filter(|&d| d >= since) else {
        return Vec::new();
    };
    let name = state.name.as_str();
    let job = format!("{name}-{}", due.0 / 60_000);
    let event = |at, kind: &str, reason: &str, message: String, object: String| ClusterEvent {
        at,
        kind: kind.into(),
        reason: reason.into(),
        message,
        object,
    };
    let mut out = vec![event(
        due,
        "Normal",
        "SuccessfulCreate",
        format!("Created job {job}"),
        format!("CronJob/{name}"),
    )];
    let done = due.plus_millis(plan.run_ms);
    match plan.outcome(due, now) {
        Some(true) => out.push(event(
            done,
            "Normal",
            "SawCompletedJob",
            format!("Saw completed job: {job}, status: Complete"),
            format!("CronJob/{name}"),
        )),
        Some(false) => {
            out.push(event(
                done,
                "Warning",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit".into(),
                format!("Job/{job}"),
            ));
            out.push(event(
                done,
                "Normal",
                "SawCompletedJob",
                format!("Saw completed job: {job}, status: Failed"),
                format!("CronJob/{name}"),
            ));
        }
        None => {}
    }
    out
}
