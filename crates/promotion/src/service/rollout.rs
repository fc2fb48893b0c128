//! Following a rollout until every target serves the wanted version and is
//! Available, polling `list_workloads` with the injected [`Pause`] between
//! polls and a deadline on the injected clock (plus a poll budget, so a
//! clock that never moves cannot loop forever).
//!
//! [`Pause`]: super::Pause

use super::Promotions;
use crate::policy::Policy;
use modeldeck_core::domain::{RolloutState, Workload, WorkloadRef};

/// One target to watch.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    pub target: WorkloadRef,
    pub uid: String,
    pub want: Option<String>,
}

/// Where one target stands against its [`Watch`].
enum Progress {
    Done,
    Waiting(String),
    Failed(String),
}

fn progress(w: Option<&Workload>, watch: &Watch) -> Progress {
    let t = &watch.target;
    let Some(w) = w else {
        return Progress::Failed(format!("{t} disappeared during the rollout"));
    };
    if w.uid != watch.uid {
        return Progress::Failed(format!(
            "{t} was recreated during the rollout (uid {} -> {})",
            watch.uid, w.uid
        ));
    }
    if w.served_version != watch.want {
        let v = |x: &Option<String>| x.as_deref().map_or("none".to_string(), |v| format!("v{v}"));
        return Progress::Failed(format!(
            "{t} serves {} but {} was expected (changed by someone else?)",
            v(&w.served_version),
            v(&watch.want)
        ));
    }
    match &w.rollout {
        RolloutState::Available | RolloutState::Idle | RolloutState::Suspended => Progress::Done,
        RolloutState::Progressing { updated, desired } => {
            Progress::Waiting(format!("{t} Progressing ({updated}/{desired} updated)"))
        }
        RolloutState::Paused => Progress::Failed(format!("{t} rollout is paused by an operator")),
        RolloutState::Degraded { reason } => {
            Progress::Failed(format!("{t} rollout is degraded: {reason}"))
        }
    }
}

impl Promotions {
    /// Waits until every watched target is Available on its wanted
    /// version; `Err` says which target failed or is still waiting and why.
    pub(crate) async fn follow_rollout(
        &self,
        watches: &[Watch],
        policy: &Policy,
    ) -> Result<(), String> {
        let timeout = policy.rollout_timeout;
        let poll = policy.rollout_poll;
        let deadline = self.now().plus_millis(timeout.as_millis_i64());
        let budget = timeout.0.as_millis() / poll.0.as_millis().max(1) + 2;
        let mut polls = 0u128;
        loop {
            let all = self
                .backends
                .cluster
                .list_workloads()
                .await
                .map_err(|e| format!("cannot follow the rollout: {e}"))?;
            let mut waiting = Vec::new();
            for watch in watches {
                match progress(all.iter().find(|w| w.id == watch.target), watch) {
                    Progress::Done => {}
                    Progress::Waiting(why) => waiting.push(why),
                    Progress::Failed(why) => return Err(why),
                }
            }
            if waiting.is_empty() {
                return Ok(());
            }
            polls += 1;
            if self.now() >= deadline || polls >= budget {
                return Err(format!(
                    "rollout not Available after {timeout}: {}",
                    waiting.join("; ")
                ));
            }
            self.pause.pause(poll.0).await;
        }
    }
}
