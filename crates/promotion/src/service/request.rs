//! Asking for a promotion: input checks, target resolution, RBAC
//! (`create modelpromotions`), the candidate and alias, one open promotion
//! per alias, registry size limits, then the request tag and its audit.
//! Retrying with the same operation id returns the same promotion.

use super::approvals::{self, seen};
use super::audit::Event;
use super::load::{Loaded, observed_from};
use super::review::{canaries, describe};
use super::{Promotions, promotion_resource};
use crate::error::{PromotionError, Result};
use crate::gates::{self, Contenders, SloScope};
use crate::tags::{
    self, ApprovalRecord, ExecRecord, GateStamp, OutcomeRecord, Phase, Plan, RequestRecord,
    TagKind, TargetOutcome, TargetPlan,
};
use modeldeck_core::domain::{
    Approval, Decision, Promotion, PromotionState, VersionStatus, Workload, WorkloadRef,
};
use serde_json::json;
use std::collections::BTreeMap;

/// What a requester asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewPromotion {
    /// Registered model.
    pub model: String,
    /// Candidate version.
    pub version: String,
    /// Alias to move (`None`: the service default, `champion`).
    pub alias: Option<String>,
    /// Workloads to roll (empty: every workload bound to the model).
    pub targets: Vec<WorkloadRef>,
    /// Why.
    pub reason: String,
    /// Operation id for idempotent retries (`None`: a new one).
    pub id: Option<String>,
}

pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> PromotionError {
    PromotionError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn check_alias(alias: &str) -> Result<()> {
    let ok = !alias.is_empty()
        && alias.len() <= 255
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "alias",
            format!(
                "{:?}: use 1 to 255 of A-Z, a-z, 0-9, '_' and '-'",
                tags::shorten(alias, 80)
            ),
        ))
    }
}

impl Promotions {
    /// Requests a promotion. Refused (and audited) when the input is bad,
    /// RBAC denies `create modelpromotions`, the version is not ready or
    /// already holds the alias, or another open promotion moves the alias.
    /// Retrying with the same `id` and content returns the same promotion.
    pub async fn request(&self, input: NewPromotion) -> Result<Promotion> {
        let alias = input
            .alias
            .clone()
            .unwrap_or_else(|| self.opts.default_alias.clone());
        let subject = format!(
            "model {} v{} -> {alias}",
            tags::shorten(&input.model, 200),
            tags::shorten(&input.version, 40)
        );
        let actor = match self.identity(&input.targets).await {
            Ok(a) => a.username,
            Err(e) => {
                return Err(self
                    .refuse(Event::new("unknown", "promotion.request", subject), e)
                    .await);
            }
        };
        let ev = Event::new(&actor, "promotion.request", subject);
        match self.request_checked(&actor, &alias, input).await {
            Ok(p) => Ok(p),
            Err(e) => Err(self.refuse(ev, e).await),
        }
    }

    async fn request_checked(
        &self,
        actor: &str,
        alias: &str,
        input: NewPromotion,
    ) -> Result<Promotion> {
        if input.model.trim().is_empty() {
            return Err(invalid("model", "empty"));
        }
        if input.version.trim().is_empty() || input.version.len() > 40 {
            return Err(invalid("version", "must be 1 to 40 characters"));
        }
        if input.reason.trim().is_empty() {
            return Err(invalid("reason", "say why (it goes into the audit trail)"));
        }
        tags::check_text("reason", &input.reason)?;
        check_alias(alias)?;
        let id = match &input.id {
            Some(id) => {
                tags::validate_id(id).map_err(|r| invalid("id", r))?;
                id.clone()
            }
            None => tags::new_id(&[&input.model, &input.version, alias, actor], self.now()),
        };
        let all = self.backends.cluster.list_workloads().await?;
        let targets = resolve_targets(&input, &all)?;
        self.require(actor, "create", promotion_resource, &targets)
            .await?;
        let v = self
            .backends
            .registry
            .get_version(&input.model, &input.version)
            .await?;
        if v.status != VersionStatus::Ready {
            return Err(invalid(
                "version",
                format!(
                    "{} v{} is {:?}, not READY",
                    input.model, input.version, v.status
                ),
            ));
        }
        let model = self.backends.registry.get_model(&input.model).await?;
        let previous = model.aliases.get(alias).cloned();
        if previous.as_deref() == Some(input.version.as_str()) {
            return Err(invalid(
                "version",
                format!("{alias} already points at v{}", input.version),
            ));
        }
        let record = RequestRecord {
            v: tags::SCHEMA,
            id: id.clone(),
            model: input.model.clone(),
            version: input.version.clone(),
            alias: alias.to_string(),
            targets: targets.clone(),
            requested_by: actor.to_string(),
            reason: input.reason.clone(),
            requested_at: self.now(),
            previous_version: previous.clone(),
            source_run: v.run_id.clone(),
        };
        let key = tags::key(&id, &TagKind::Request);
        if let Some(existing) = v.tags.get(&key) {
            let old: RequestRecord = tags::decode(&key, existing)?;
            let same = old.alias == record.alias
                && old.targets == record.targets
                && old.reason == record.reason
                && old.requested_by == record.requested_by;
            if !same {
                return Err(invalid(
                    "id",
                    format!(
                        "{id} already names another request on {} v{}",
                        v.model, v.version
                    ),
                ));
            }
            // A retry, or a promotion stored before the cluster ledger
            // (tags only): its requester asking again records it on the
            // cluster now, with their own credentials, so it can be
            // approved there. Decisions recorded before stay unbound.
            self.record_request(&old).await?;
            return self.status(&id).await.map(|s| s.promotion);
        }
        self.refuse_if_open(&record).await?;
        probe_sizes(&record, &all)?;
        let value = tags::encode(&key, &record)?;
        let obs = observed_from(&record, &v, previous.clone(), all);
        let contenders = self.contenders(&record, &v, previous.as_deref()).await;
        let policy = self.policies.for_model(&record.model);
        let gates = gates::evaluate(
            &self.backends,
            policy,
            &contenders,
            &canaries(&record, &obs),
            SloScope::Canary,
        )
        .await;
        // The cluster first: the ModelPromotion, created with our own
        // credentials, is what binds the requester's name.
        let sites = self.record_request(&record).await?;
        self.backends
            .registry
            .set_version_tag(&record.model, &record.version, &key, &value)
            .await?;
        self.set_state_tag(&record, PromotionState::Requested).await;
        self.remember_id(&record);
        let ev = Event::new(actor, "promotion.requested", describe(&record))
            .on(&id, &record.model, &record.version)
            .targets(&record.targets)
            .change(
                json!({ "alias": alias, "version": previous }),
                json!({ "request": record }),
            )
            .gates(&gates);
        self.audit(ev).await?;
        let l = Loaded {
            id: id.clone(),
            version: v,
            tags: Default::default(),
            request: record,
        };
        let mut obs = obs;
        obs.ledger = sites;
        let mut all_gates = approvals::checklist(&Default::default(), actor, &obs, policy);
        all_gates.extend(gates);
        Ok(super::load::to_promotion(
            &l,
            PromotionState::Requested,
            all_gates,
        ))
    }

    fn remember_id(&self, r: &RequestRecord) {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        index.insert(r.id.clone(), (r.model.clone(), r.version.clone()));
    }

    /// Refuses a second open promotion of the same model and alias.
    async fn refuse_if_open(&self, r: &RequestRecord) -> Result<()> {
        for v in self.backends.registry.list_versions(&r.model).await? {
            self.remember(&v);
            for (id, t) in tags::collect(&v.tags) {
                let Some(req) = &t.request else { continue };
                if req.alias != r.alias || id == r.id || t.outcome.is_some() || t.cancel.is_some() {
                    continue;
                }
                let rejections: Vec<_> = t
                    .approvals
                    .values()
                    .filter(|a| {
                        a.approval.decision == Decision::Reject
                            && a.approval.approver != req.requested_by
                    })
                    .collect();
                // A rejection closes it only when the cluster ledger backs
                // it: a forged rejection tag must not open the alias.
                let mut rejected = false;
                if !rejections.is_empty() {
                    let obs = super::Observed {
                        champion: None,
                        run: None,
                        workloads: BTreeMap::new(),
                        ledger: self.read_sites(req).await,
                    };
                    rejected = rejections
                        .iter()
                        .any(|a| super::ledger::unbound_problem(a, req, &obs).is_none());
                }
                if !rejected {
                    return Err(PromotionError::Conflict {
                        details: format!(
                            "promotion {id} (v{} -> {}, requested by {}) is still open; finish, cancel or reject it first",
                            req.version, req.alias, req.requested_by
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    pub(crate) async fn contenders(
        &self,
        r: &RequestRecord,
        v: &modeldeck_core::domain::ModelVersion,
        champion: Option<&str>,
    ) -> Contenders {
        let candidate = (v.clone(), gates::run_of(&self.backends, v).await);
        let champion = match champion {
            Some(c) if c != r.version => {
                match self.backends.registry.get_version(&r.model, c).await {
                    Ok(cv) => {
                        let run = gates::run_of(&self.backends, &cv).await;
                        Some((cv, run))
                    }
                    Err(e) => {
                        let mut cv = v.clone();
                        cv.version = c.to_string();
                        Some((cv, Err(e)))
                    }
                }
            }
            _ => None,
        };
        Contenders {
            candidate,
            champion,
        }
    }

    pub(crate) async fn set_state_tag(&self, r: &RequestRecord, state: PromotionState) {
        let word = serde_json::to_value(state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let key = tags::key(&r.id, &TagKind::State);
        if let Err(e) = self
            .backends
            .registry
            .set_version_tag(&r.model, &r.version, &key, &word)
            .await
        {
            tracing::warn!(promotion = %r.id, error = %e, "state tag not written");
        }
    }
}

fn resolve_targets(input: &NewPromotion, all: &[Workload]) -> Result<Vec<WorkloadRef>> {
    if input.targets.is_empty() {
        let bound: Vec<&Workload> = all
            .iter()
            .filter(|w| w.model.as_deref() == Some(input.model.as_str()))
            .collect();
        // A pipeline picks its version in its workflow: the alias move
        // reaches it at its next run, it is not a patch target.
        let mut found: Vec<WorkloadRef> = bound
            .iter()
            .filter(|w| w.id.kind.version_not_patched().is_none())
            .map(|w| w.id.clone())
            .collect();
        found.sort();
        if found.is_empty() {
            let why = match bound.first() {
                Some(w) => format!(
                    "model {:?} is bound only to {} ({})",
                    tags::shorten(&input.model, 200),
                    w.id,
                    w.id.kind.version_not_patched().unwrap_or_default()
                ),
                None => format!(
                    "no workload is bound to model {:?} (label modeldeck.io/model)",
                    tags::shorten(&input.model, 200)
                ),
            };
            return Err(invalid("targets", why));
        }
        return Ok(found);
    }
    let mut out = Vec::new();
    for t in &input.targets {
        let Some(w) = all.iter().find(|w| &w.id == t) else {
            return Err(PromotionError::NotFound {
                what: format!("workload {t}"),
            });
        };
        if w.model.as_deref() != Some(input.model.as_str()) {
            return Err(invalid(
                "targets",
                format!(
                    "{t} serves {}, not {}",
                    w.model.as_deref().unwrap_or("no model"),
                    input.model
                ),
            ));
        }
        if let Some(why) = t.kind.version_not_patched() {
            return Err(invalid("targets", format!("{t} is not patched: {why}")));
        }
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// Refuses a request whose approval, plan or outcome records could not fit
/// in a registry tag, before anything is written.
fn probe_sizes(r: &RequestRecord, all: &[Workload]) -> Result<()> {
    let ws: Vec<&Workload> = all.iter().filter(|w| r.targets.contains(&w.id)).collect();
    let long = "x".repeat(tags::MAX_TEXT_BYTES);
    let probe = ApprovalRecord {
        v: tags::SCHEMA,
        promotion: r.id.clone(),
        model: r.model.clone(),
        version: r.version.clone(),
        champion: r.previous_version.clone(),
        approval: Approval {
            approver: "x".repeat(120),
            decision: Decision::Approve,
            comment: long,
            at: r.requested_at,
            bound_workloads: ws
                .iter()
                .map(|w| {
                    (
                        w.id.to_string(),
                        format!("{}@{}9999", w.uid, w.resource_version),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            bound_run: r.source_run.clone(),
        },
        gates: (0..12)
            .map(|i| GateStamp {
                name: format!("metric:{}", "m".repeat(30 + i)),
                status: modeldeck_core::domain::GateStatus::Inconclusive,
            })
            .collect(),
        gates_digest: "0".repeat(64),
        expires_at: r.requested_at,
        rbac_allowed: r
            .targets
            .iter()
            .map(|t| format!("{}/{}", t.cluster, t.namespace))
            .collect(),
        seen: ws.iter().map(|w| seen(w)).collect(),
    };
    let fits = |what: &str, res: Result<String>| {
        res.map(|_| ()).map_err(|e| match e {
            PromotionError::TooLarge { bytes, limit, .. } => invalid(
                "targets",
                format!("{} targets make the {what} record {bytes} bytes, over the registry's {limit}: split them into several promotions", r.targets.len()),
            ),
            other => other,
        })
    };
    fits("request", tags::encode("request", r))?;
    fits("approval", tags::encode("approval", &probe))?;
    // The execution and outcome records carry a reason of up to 1500 bytes.
    let reason = Some("x".repeat(1500));
    let version = || "x".repeat(40);
    let outcome = OutcomeRecord {
        v: tags::SCHEMA,
        state: PromotionState::RolledBack,
        alias: r.alias.clone(),
        previous_version: Some(version()),
        targets: ws
            .iter()
            .map(|w| TargetOutcome {
                target: w.id.clone(),
                uid: w.uid.clone(),
                before_version: Some(version()),
                after_version: version(),
            })
            .collect(),
        promoted_at: Some(r.requested_at),
        rolled_back_at: Some(r.requested_at),
        by: "x".repeat(120),
        reason: reason.clone(),
    };
    fits("outcome", tags::encode("outcome", &outcome))?;
    let exec = ExecRecord {
        v: tags::SCHEMA,
        executor: "x".repeat(120),
        token: "0".repeat(64),
        actor: "x".repeat(120),
        started_at: r.requested_at,
        updated_at: r.requested_at,
        phase: Phase::Compensating,
        plan: Plan {
            alias: r.alias.clone(),
            previous_alias_version: Some(version()),
            targets: ws
                .iter()
                .map(|w| TargetPlan {
                    target: w.id.clone(),
                    uid: w.uid.clone(),
                    resource_version: format!("{}9999", w.resource_version),
                    before_version: Some(version()),
                })
                .collect(),
        },
        note: reason,
    };
    fits("execution", tags::encode("exec", &exec))?;
    Ok(())
}
