//! Finding a promotion by id and reading it back: its tags from the
//! registry and its targets from the cluster. Nothing is cached but the
//! id -> (model, version) index; every action re-reads the truth.

use super::Promotions;
use super::approvals::Tally;
use crate::error::{PromotionError, Result};
use crate::tags::{self, PromotionTags, RequestRecord, TagKind};
use modeldeck_core::domain::{ModelVersion, Promotion, PromotionState, Workload, WorkloadRef};
use std::collections::BTreeMap;

/// A promotion's tags as read now.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub id: String,
    pub version: ModelVersion,
    pub tags: PromotionTags,
    pub request: RequestRecord,
}

/// What the registry and cluster say now about a promotion's subject.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// Where the alias points now.
    pub champion: Option<String>,
    /// The candidate's run now.
    pub run: Option<String>,
    /// The targets that exist now.
    pub workloads: BTreeMap<WorkloadRef, Workload>,
    /// The cluster ledger of each target namespace.
    pub ledger: BTreeMap<super::ledger::SiteKey, super::ledger::Site>,
}

impl Promotions {
    /// Where promotion `id` lives: `(model, version)`.
    pub(crate) async fn locate(&self, id: &str) -> Result<(String, String)> {
        tags::validate_id(id).map_err(|reason| PromotionError::Invalid {
            field: "id".into(),
            reason,
        })?;
        if let Some(hit) = self.index.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(hit.clone());
        }
        for m in self.backends.registry.list_models().await? {
            for v in self.backends.registry.list_versions(&m.name).await? {
                self.remember(&v);
            }
        }
        if let Some(hit) = self.index.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(hit.clone());
        }
        Err(PromotionError::NotFound {
            what: format!("promotion {id}"),
        })
    }

    /// Notes every promotion id tagged on `v`.
    pub(crate) fn remember(&self, v: &ModelVersion) {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        for (id, t) in tags::collect(&v.tags) {
            if t.request.is_some() {
                index.insert(id, (v.model.clone(), v.version.clone()));
            }
        }
    }

    /// Reads promotion `id` fresh from the registry.
    pub(crate) async fn load(&self, id: &str) -> Result<Loaded> {
        let (model, version) = self.locate(id).await?;
        let v = self.backends.registry.get_version(&model, &version).await?;
        self.loaded_from(id, v)
    }

    pub(crate) fn loaded_from(&self, id: &str, v: ModelVersion) -> Result<Loaded> {
        let mut all = tags::collect(&v.tags);
        let Some(t) = all.remove(id) else {
            return Err(PromotionError::NotFound {
                what: format!("promotion {id} on {} v{}", v.model, v.version),
            });
        };
        let Some(request) = t.request.clone() else {
            let why = t
                .problems
                .first()
                .cloned()
                .unwrap_or_else(|| "no request tag".into());
            return Err(PromotionError::Corrupt {
                key: tags::key(id, &TagKind::Request),
                reason: why,
            });
        };
        if request.id != id || request.model != v.model || request.version != v.version {
            return Err(PromotionError::Corrupt {
                key: tags::key(id, &TagKind::Request),
                reason: format!(
                    "records promotion {} of {} v{} but sits on {} v{}",
                    request.id, request.model, request.version, v.model, v.version
                ),
            });
        }
        Ok(Loaded {
            id: id.to_string(),
            version: v,
            tags: t,
            request,
        })
    }

    /// Reads the alias and the targets as they are now.
    pub(crate) async fn observe(&self, l: &Loaded) -> Result<Observed> {
        let model = self.backends.registry.get_model(&l.request.model).await?;
        let all = self.backends.cluster.list_workloads().await?;
        let mut obs = observed_from(
            &l.request,
            &l.version,
            model.aliases.get(&l.request.alias).cloned(),
            all,
        );
        obs.ledger = self.read_sites(&l.request).await;
        Ok(obs)
    }
}

pub(crate) fn observed_from(
    req: &RequestRecord,
    v: &ModelVersion,
    champion: Option<String>,
    all: Vec<Workload>,
) -> Observed {
    let workloads = all
        .into_iter()
        .filter(|w| req.targets.contains(&w.id))
        .map(|w| (w.id.clone(), w))
        .collect();
    Observed {
        champion,
        run: v.run_id.clone(),
        workloads,
        ledger: BTreeMap::new(),
    }
}

/// The state the tags (and, for approvals, the tally) imply.
pub(crate) fn derive_state(t: &PromotionTags, tally: &Tally, min_approvals: u32) -> PromotionState {
    if unfinished(t) {
        return PromotionState::Executing;
    }
    if let Some(o) = &t.outcome {
        return o.state;
    }
    if t.cancel.is_some() {
        return PromotionState::Cancelled;
    }
    if !tally.rejections.is_empty() {
        return PromotionState::Rejected;
    }
    if tally.valid.len() >= min_approvals as usize {
        PromotionState::Approved
    } else {
        PromotionState::Requested
    }
}

/// True while an execution or a rollback is under way (or was interrupted):
/// an `exec` tag without an outcome, or a Promoted outcome being undone.
pub(crate) fn unfinished(t: &PromotionTags) -> bool {
    match (&t.exec, &t.outcome) {
        (Some(_), None) => true,
        (Some(e), Some(o)) => {
            o.state == PromotionState::Promoted && e.phase == crate::tags::Phase::Compensating
        }
        _ => false,
    }
}

/// The core [`Promotion`] view of a loaded promotion.
pub(crate) fn to_promotion(
    l: &Loaded,
    state: PromotionState,
    gates: Vec<modeldeck_core::domain::GateResult>,
) -> Promotion {
    let r = &l.request;
    Promotion {
        id: r.id.clone(),
        model: r.model.clone(),
        version: r.version.clone(),
        previous_version: r.previous_version.clone(),
        alias: r.alias.clone(),
        targets: r.targets.clone(),
        requested_by: r.requested_by.clone(),
        reason: r.reason.clone(),
        requested_at: r.requested_at,
        state,
        approvals: l
            .tags
            .approvals
            .values()
            .map(|a| a.approval.clone())
            .collect(),
        gates,
    }
}
