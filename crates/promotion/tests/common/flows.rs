//! Steps many tests share: request and approve as named users, read the
//! world's before/after state, and check a promotion left it consistent.

use super::world::World;
use modeldeck_core::domain::{PromotionState, RolloutState, WorkloadRef};
use modeldeck_promotion::{NewPromotion, Promotions};
use std::collections::BTreeMap;

/// `requester` asks to promote `model` v`version` (all its workloads).
pub async fn request(
    w: &World,
    svc: &Promotions,
    requester: &str,
    model: &str,
    version: &str,
) -> String {
    w.act_as(requester);
    let p = svc
        .request(NewPromotion {
            model: model.into(),
            version: version.into(),
            reason: format!("test promotion of {model} v{version}"),
            ..NewPromotion::default()
        })
        .await
        .unwrap_or_else(|e| panic!("request {model} v{version}: {e}"));
    assert_eq!(p.state, PromotionState::Requested);
    p.id
}

/// `approvers` approve `id` one after the other.
pub async fn approve(w: &World, svc: &Promotions, id: &str, approvers: &[&str]) {
    for a in approvers {
        w.act_as(a);
        svc.approve(id, &format!("looks good to {a}"))
            .await
            .unwrap_or_else(|e| panic!("{a} approving {id}: {e}"));
    }
}

/// Alias and each target's served version and uid.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub alias: Option<String>,
    pub targets: BTreeMap<WorkloadRef, (Option<String>, String)>,
}

pub async fn served(w: &World, model: &str, alias: &str) -> Served {
    let mut targets = BTreeMap::new();
    for t in w.targets_of(model).await {
        let x = w.workload(&t).await;
        targets.insert(t, (x.served_version, x.uid));
    }
    Served {
        alias: w.alias(model, alias).await,
        targets,
    }
}

/// Lets rollouts settle and checks every target is Available.
pub async fn settle(w: &World, model: &str) {
    for _ in 0..60 {
        let mut all = true;
        for t in w.targets_of(model).await {
            all &= matches!(
                w.workload(&t).await.rollout,
                RolloutState::Available | RolloutState::Idle | RolloutState::Suspended
            );
        }
        if all {
            return;
        }
        w.control.advance(std::time::Duration::from_secs(5));
    }
    panic!("{model} rollouts did not settle");
}

/// Every target of `model` serves `version` and the alias points at it.
pub fn all_on(s: &Served, version: &str) -> bool {
    s.alias.as_deref() == Some(version)
        && s.targets
            .values()
            .all(|(v, _)| v.as_deref() == Some(version))
}
