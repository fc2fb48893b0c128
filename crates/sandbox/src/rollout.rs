//! Rollouts as a Deployment controller would run them: a patch of the
//! served version starts a rolling update that moves `surge` replicas per
//! step, bumps the resourceVersion and records ScalingReplicaSet events,
//! then turns Available. A version marked broken never gets ready and the
//! rollout ends Degraded (ProgressDeadlineExceeded).

use crate::world::{Change, Rollout, WorkloadState, World, template_hash};
use modeldeck_core::domain::{ClusterEvent, RolloutState, Timestamp, WorkloadKind};

/// Time for one step of new pods to become ready, milliseconds.
pub(crate) const STEP_MS: i64 = 8_000;
/// Time for a KServe revision to become ready, milliseconds.
pub(crate) const REVISION_MS: i64 = 15_000;
/// Progress deadline of a stalled rollout, milliseconds (kept short so the
/// demo shows it; Kubernetes defaults to 600 s).
pub(crate) const DEADLINE_MS: i64 = 120_000;
/// Events kept per workload.
const MAX_EVENTS: usize = 200;

/// Rollout state and ready replicas of `w` at the world's time `now`.
pub(crate) fn status(w: &WorkloadState, now: Timestamp) -> (RolloutState, u32) {
    if w.kind.is_batch() {
        let state = if w.suspended {
            RolloutState::Suspended
        } else {
            RolloutState::Idle
        };
        return (state, 0);
    }
    if w.desired == 0 {
        return (RolloutState::Idle, 0);
    }
    match &w.rollout {
        None => (RolloutState::Available, w.desired),
        Some(r) if r.failed => (
            RolloutState::Degraded {
                reason: "ProgressDeadlineExceeded".into(),
            },
            w.desired,
        ),
        Some(r) => {
            let _ = now;
            let updated = (r.surge * (r.steps_applied + 1)).min(w.desired);
            (
                RolloutState::Progressing {
                    updated,
                    desired: w.desired,
                },
                w.desired,
            )
        }
    }
}

/// Starts serving `to` on workload `idx` at `now`: the patch a promotion
/// makes. Returns false when nothing changes (the template already says
/// `to` and no canary is live), as a no-op merge patch would.
pub(crate) fn start(world: &mut World, idx: usize, to: u32, now: Timestamp) -> bool {
    let broken = world
        .workloads
        .get(idx)
        .and_then(|w| world.models.get(w.model as usize))
        .and_then(|m| m.version(to))
        .is_some_and(|v| v.traits.broken);
    let rv = world.next_rv();
    let Some(w) = world.workloads.get_mut(idx) else {
        return false;
    };
    if w.served == to && w.canary.is_none() {
        world.rv_counter -= 1;
        return false;
    }
    let from = w.served;
    let canary_before = w.canary.take();
    w.served = to;
    w.rv = rv;
    let name = w.name.clone();
    let kind = w.kind;
    let desired = w.desired;
    let (step_ms, surge) = match kind {
        WorkloadKind::InferenceService => (REVISION_MS, desired.max(1)),
        _ => (STEP_MS, desired.div_ceil(4).max(1)),
    };
    let rolls = !kind.is_batch() && desired > 0;
    let duration_ms = if rolls {
        step_ms * i64::from(desired.div_ceil(surge).max(1))
    } else {
        0
    };
    w.extra_mut().changes.push(Change {
        at: now,
        from,
        to,
        duration_ms,
        max_weight: if broken { 0.0 } else { 1.0 },
        canary_before,
    });
    if !rolls {
        return true;
    }
    let was_active = w.rollout.as_ref().is_some_and(|r| !r.failed);
    w.rollout = Some(Rollout {
        started_at: now,
        from,
        step_ms,
        surge,
        steps_applied: 0,
        broken,
        failed: false,
    });
    let first = match kind {
        WorkloadKind::InferenceService => event(
            now,
            "Normal",
            "RevisionCreated",
            format!("Created revision {}", revision(&name, to)),
            format!("InferenceService/{name}"),
        ),
        _ => event(
            now,
            "Normal",
            "ScalingReplicaSet",
            format!(
                "Scaled up replica set {name}-{} from 0 to {}",
                template_hash(&name, to),
                surge.min(desired)
            ),
            format!("Deployment/{name}"),
        ),
    };
    push_event(w, first);
    if !was_active {
        world.active.push(idx as u32);
    }
    true
}

/// Applies every rollout step due up to `now`, in time order per workload.
pub(crate) fn advance(world: &mut World, now: Timestamp) {
    if now > world.now {
        world.now = now;
    }
    if world.active.is_empty() {
        return;
    }
    let active = std::mem::take(&mut world.active);
    let mut still = Vec::with_capacity(active.len());
    for idx in active {
        if step_until(world, idx as usize, now) {
            still.push(idx);
        }
    }
    world.active = still;
}

/// Steps one workload's rollout to `now`; true while it is still under way.
fn step_until(world: &mut World, idx: usize, now: Timestamp) -> bool {
    loop {
        let Some(w) = world.workloads.get(idx) else {
            return false;
        };
        let Some(r) = w.rollout else {
            return false;
        };
        if r.failed {
            return false;
        }
        let total = r.total_steps(w.desired);
        if r.broken {
            let due = r.started_at.plus_millis(DEADLINE_MS);
            if due > now {
                return true;
            }
            let rv = world.next_rv();
            if let Some(w) = world.workloads.get_mut(idx) {
                w.rv = rv;
                let name = w.name.clone();
                let pod = format!("{name}-{}-x7k2q", template_hash(&name, w.served));
                push_event(
                    w,
                    event(
                        r.started_at.plus_millis(30_000),
                        "Warning",
                        "BackOff",
                        "Back-off restarting failed container model-server".into(),
                        format!("Pod/{pod}"),
                    ),
                );
                push_event(
                    w,
                    event(
                        due,
                        "Warning",
                        "ProgressDeadlineExceeded",
                        format!(
                            "ReplicaSet \"{name}-{}\" has timed out progressing.",
                            template_hash(&name, w.served)
                        ),
                        format!("Deployment/{name}"),
                    ),
                );
                if let Some(r) = w.rollout.as_mut() {
                    r.failed = true;
                }
            }
            return false;
        }
        let step = r.steps_applied + 1;
        let due = r.started_at.plus_millis(r.step_ms * i64::from(step));
        if due > now {
            return true;
        }
        let rv = world.next_rv();
        let Some(w) = world.workloads.get_mut(idx) else {
            return false;
        };
        w.rv = rv;
        let name = w.name.clone();
        let n = w.desired;
        let done = step >= total;
        let mut evs = Vec::new();
        match w.kind {
            WorkloadKind::InferenceService => {
                let rev = revision(&name, w.served);
                evs.push(event(
                    due,
                    "Normal",
                    "InferenceServiceReady",
                    format!(
                        "InferenceService [{name}] is Ready; 100% of traffic on revision {rev}"
                    ),
                    format!("InferenceService/{name}"),
                ));
            }
            _ => {
                let old = format!("{name}-{}", template_hash(&name, r.from));
                let new = format!("{name}-{}", template_hash(&name, w.served));
                let moved = (r.surge * step).min(n);
                let obj = format!("Deployment/{name}");
                evs.push(event(
                    due,
                    "Normal",
                    "ScalingReplicaSet",
                    format!(
                        "Scaled down replica set {old} from {} to {}",
                        n - (r.surge * (step - 1)).min(n),
                        n - moved
                    ),
                    obj.clone(),
                ));
                if !done {
                    let up = (r.surge * (step + 1)).min(n);
                    evs.push(event(
                        due,
                        "Normal",
                        "ScalingReplicaSet",
                        format!("Scaled up replica set {new} from {moved} to {up}"),
                        obj,
                    ));
                }
            }
        }
        for e in evs {
            push_event(w, e);
        }
        if done {
            w.rollout = None;
            return false;
        }
        if let Some(r) = w.rollout.as_mut() {
            r.steps_applied = step;
        }
    }
}

/// KServe-like revision name of `name` serving `version`.
fn revision(name: &str, version: u32) -> String {
    format!("{name}-predictor-{version:05}")
}

fn event(at: Timestamp, kind: &str, reason: &str, message: String, object: String) -> ClusterEvent {
    ClusterEvent {
        at,
        kind: kind.into(),
        reason: reason.into(),
        message,
        object,
    }
}

/// Records an event on a workload, keeping the newest [`MAX_EVENTS`].
pub(crate) fn push_event(w: &mut WorkloadState, e: ClusterEvent) {
    let events = &mut w.extra_mut().events;
    events.push(e);
    if events.len() > MAX_EVENTS {
        let cut = events.len() - MAX_EVENTS;
        events.drain(..cut);
    }
}
