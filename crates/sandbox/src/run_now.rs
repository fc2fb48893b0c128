//! A run started by hand from one of the world's CronJob workloads (a
//! promotion's `--run-now`, through the cluster port's `start_retrain`).
//! It is named and timed like a training run (`<cronjob>-manual-<suffix>`,
//! pending for [`crate::retrain::PENDING_MS`]) but runs for the CronJob's
//! own run length and logs as its scoring pods do. It fails when the
//! CronJob's scheduled runs are failing and the run uses the version they
//! failed with (the version served when they started failing: the one
//! whose signature the input no longer matches); any other version
//! succeeds. Nothing is stored: the outcome follows from the run and the
//! workload's recorded version changes.

use crate::batch::{scoring_log, version_at};
use crate::retrain::PENDING_MS;
use crate::world::{WorkloadState, World};
use modeldeck_core::domain::*;

/// The CronJob workload of the world `source` names.
pub(crate) fn cronjob<'a>(world: &'a World, source: &RetrainSource) -> Option<&'a WorkloadState> {
    if source.kind != RetrainSourceKind::CronJob {
        return None;
    }
    world.workloads.iter().find(|w| {
        w.kind == WorkloadKind::CronJob
            && w.name == source.name
            && world.clusters.get(w.cluster as usize) == Some(&source.cluster)
            && world.namespaces.get(w.namespace as usize) == Some(&source.namespace)
    })
}

/// `run` at `now` when it was made from one of the world's CronJob
/// workloads; `None` for other runs (training pipelines).
pub(crate) fn status(
    world: &World,
    run: &RetrainRun,
    created: Timestamp,
    now: Timestamp,
    lines: usize,
) -> Option<RetrainRun> {
    let source = RetrainSource {
        cluster: run.cluster.clone(),
        namespace: run.namespace.clone(),
        name: run.source.clone(),
        kind: RetrainSourceKind::CronJob,
        model: run.model.clone(),
        schedule: None,
        suspended: false,
        containers: Vec::new(),
    };
    let w = cronjob(world, &source)?;
    let plan = w.batch_plan()?;
    let version = version_at(w, created);
    let fails = plan
        .failing_since
        .is_some_and(|f| created >= f && version == version_at(w, f));
    let start = created.plus_millis(PENDING_MS);
    let end = start.plus_millis(plan.run_ms);
    let mut out = run.clone();
    out.pod = Some(format!("{}-pod", run.name));
    if now < start {
        out.phase = RetrainPhase::Pending;
        out.active = 1;
        return Some(out);
    }
    out.started_at = Some(start);
    let done = now >= end;
    out.phase = match (done, fails) {
        (false, _) => RetrainPhase::Running,
        (true, false) => RetrainPhase::Succeeded,
        (true, true) => RetrainPhase::Failed,
    };
    out.active = u32::from(!done);
    out.succeeded = u32::from(done && !fails);
    out.failed = u32::from(done && fails);
    out.completed_at = done.then_some(end);
    if done && fails {
        out.message = Some("Job has reached the specified backoff limit".into());
    }
    let model = world
        .models
        .get(w.model as usize)
        .map_or(run.model.as_str(), |m| m.name.as_str());
    let log = scoring_log(
        model,
        &version.to_string(),
        start,
        now.min(end),
        done,
        done && fails,
    );
    out.log_tail = log[log.len().saturating_sub(lines)..].to_vec();
    Some(out)
}
