//! What an operator watches during a promotion besides the rollout state:
//! Events recorded about a workload by a client (the promotion audit
//! mirror), deterministic model-server log lines of the newest pod (they
//! follow the version that pod serves), and the KServe canary split.

use crate::rng::{hash_str, mix};
use crate::rollout::push_event;
use crate::world::{CanarySplit, Change, WorkloadState, World, template_hash};
use modeldeck_core::domain::{ClusterEvent, Timestamp, WorkloadKind};

/// Interval between two request lines of a pod, milliseconds.
const LINE_MS: i64 = 2_000;
/// Most lines a tail returns, whatever is asked.
pub(crate) const MAX_TAIL: usize = 1_000;

/// `Deployment/x`, `InferenceService/x`, as `kubectl describe` names them.
pub(crate) fn object_of(w: &WorkloadState) -> String {
    let kind = match w.kind {
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer => "Deployment",
        WorkloadKind::InferenceService => "InferenceService",
        WorkloadKind::CronJob => "CronJob",
        WorkloadKind::Pipeline => "CronWorkflow",
    };
    format!("{kind}/{}", w.name)
}

/// Records a client's Event about `w` at `now`.
pub(crate) fn record(w: &mut WorkloadState, now: Timestamp, kind: &str, reason: &str, msg: &str) {
    let object = object_of(w);
    push_event(
        w,
        ClusterEvent {
            at: now,
            kind: kind.to_string(),
            reason: reason.to_string(),
            message: msg.to_string(),
            object,
        },
    );
}

/// The newest pod of `w` at `now`: (name, version it serves, start time).
fn newest_pod(w: &WorkloadState, now: Timestamp) -> (String, u32, Timestamp) {
    let (version, started) = match (w.kind, w.canary) {
        (WorkloadKind::InferenceService, Some(c)) => (
            c.version,
            w.changes().last().map_or(w.created_at, |ch| ch.at),
        ),
        _ => (
            w.served,
            w.changes()
                .iter()
                .rev()
                .find(|c| c.to == w.served)
                .map_or(w.created_at, |c| c.at),
        ),
    };
    let pod = match w.kind {
        WorkloadKind::InferenceService => format!("{}-predictor-{version:05}-deployment", w.name),
        _ => format!("{}-{}", w.name, template_hash(&w.name, version)),
    };
    (pod, version, started.min(now))
}

/// The last `lines` lines (at most [`MAX_TAIL`]) the newest pod of `w` wrote
/// by `now`: start-up, model load, then one request line every two seconds.
pub(crate) fn log_tail(world: &World, w: &WorkloadState, lines: usize) -> Vec<String> {
    let now = world.now;
    let model = world
        .models
        .get(w.model as usize)
        .map_or_else(String::new, |m| m.name.clone());
    let (pod, version, start) = newest_pod(w, now);
    let log = crate::podlog::PodLog {
        uri: format!("models:/{model}/{version}"),
        key: mix(world.seed, hash_str(&pod)),
        pod,
        model,
        version: version.to_string(),
        start,
        interval_ms: LINE_MS,
    };
    let written = log.count(now);
    let want = lines.min(MAX_TAIL) as u64;
    (written.saturating_sub(want)..written)
        .map(|k| format!("{} {}", log.line_time(k).rfc3339(), log.text(k)))
        .collect()
}

/// Puts `percent` of `w`'s traffic on `version` (the stable version keeps
/// the rest), as patching `canaryTrafficPercent` does. False when nothing
/// changes.
pub(crate) fn set_canary(
    world: &mut World,
    idx: usize,
    version: u32,
    percent: u8,
    now: Timestamp,
) -> bool {
    let rv = world.next_rv();
    let Some(w) = world.workloads.get_mut(idx) else {
        return false;
    };
    let split = CanarySplit { version, percent };
    if w.canary == Some(split) {
        world.rv_counter -= 1;
        return false;
    }
    let before = w.canary;
    w.rv = rv;
    let served = w.served;
    w.extra_mut().changes.push(Change {
        at: now,
        from: served,
        to: served,
        duration_ms: 0,
        max_weight: 1.0,
        canary_before: before,
    });
    w.canary = Some(split);
    let name = w.name.clone();
    let object = object_of(w);
    if before.is_none_or(|b| b.version != version) {
        push_event(
            w,
            ClusterEvent {
                at: now,
                kind: "Normal".into(),
                reason: "RevisionCreated".into(),
                message: format!("Created revision {name}-predictor-{version:05}"),
                object: object.clone(),
            },
        );
    }
    push_event(
        w,
        ClusterEvent {
            at: now,
            kind: "Normal".into(),
            reason: "InferenceServiceReady".into(),
            message: format!(
                "InferenceService [{name}] is Ready; {percent}% of traffic on revision {name}-predictor-{version:05}, {}% on {name}-predictor-{served:05}",
                100 - u32::from(percent)
            ),
            object,
        },
    );
    true
}
