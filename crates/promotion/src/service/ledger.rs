//! The cluster ledger: what makes an approval count. Each target namespace
//! (a *site*: cluster + namespace) holds a `ModelPromotion` created by the
//! requester and one `ModelApproval` per decision, each created with the
//! person's own credentials. Where the shipped admission policy is
//! installed the API server binds `spec.requestedBy` and `spec.approver` to
//! the authenticated user, so a tag or journal line naming "bob approved"
//! counts only when bob's own `ModelApproval`, carrying the digest of that
//! very record, is on every bound site. MLflow tags stay a mirror.
//!
//! Also here: the execution claim (a status update with `resourceVersion`,
//! so of two executors exactly one wins) and the shared history appended
//! to each promotion object.

use super::Promotions;
use super::approvals::Problem;
use super::load::Observed;
use crate::error::{PromotionError, Result};
use crate::tags::{ApprovalRecord, RequestRecord};
use modeldeck_core::domain::{
    ApprovalObject, Decision, GateResult, GateStatus, LedgerEntry, LedgerState, PromotionObject,
    PromotionSpec, Timestamp, decision_object_name,
};
use modeldeck_core::error::ErrorCode;
use modeldeck_core::policy::Policy;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// `(cluster, namespace)`.
pub type SiteKey = (String, String);

/// What one target namespace's ledger says about a promotion.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Bound or not (and why not).
    pub state: LedgerState,
    /// The promotion object, when there is one.
    pub promotion: Option<PromotionObject>,
    /// Its approval objects.
    pub approvals: Vec<ApprovalObject>,
}

/// sha256 of an approval record as its writer encoded it: the evidence
/// digest a `ModelApproval` carries.
pub fn evidence_digest(rec: &ApprovalRecord) -> String {
    let bytes = serde_json::to_vec(rec).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// The distinct sites of a request's targets, sorted.
pub fn sites_of(req: &RequestRecord) -> Vec<SiteKey> {
    let mut out: Vec<SiteKey> = req
        .targets
        .iter()
        .map(|t| (t.cluster.clone(), t.namespace.clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn spec_of(req: &RequestRecord) -> PromotionSpec {
    PromotionSpec {
        model: req.model.clone(),
        version: req.version.clone(),
        alias: req.alias.clone(),
        targets: req.targets.clone(),
        reason: req.reason.clone(),
        requested_by: req.requested_by.clone(),
    }
}

/// Why a recorded decision is not backed by the ledger of every bound site,
/// or `None` when it is (or no site is bound).
pub fn unbound_problem(
    rec: &ApprovalRecord,
    req: &RequestRecord,
    obs: &Observed,
) -> Option<Problem> {
    let who = &rec.approval.approver;
    let digest = evidence_digest(rec);
    for ((cluster, ns), site) in obs.ledger.iter().filter(|(_, s)| s.state.is_bound()) {
        let Some(p) = &site.promotion else {
            return Some(Problem::Unbound(format!(
                "{cluster}/{ns} has no ModelPromotion {}: the request was never recorded on the cluster, so no approval of it is identity-bound",
                req.id
            )));
        };
        if p.spec != spec_of(req) {
            return Some(Problem::Unbound(format!(
                "the registry's request record of {} differs from the ModelPromotion on {cluster}/{ns} (requested by {} there, {} in the registry): the registry tags were edited",
                req.id, p.spec.requested_by, req.requested_by
            )));
        }
        let wanted = if rec.approval.decision == Decision::Approve {
            Decision::Approve
        } else {
            Decision::Reject
        };
        let found = site.approvals.iter().any(|a| {
            a.promotion == req.id
                && a.approver == *who
                && a.requester == p.spec.requested_by
                && a.decision == wanted
                && a.evidence_digest == digest
        });
        if !found {
            return Some(Problem::Unbound(format!(
                "{who}'s decision has no matching ModelApproval on {cluster}/{ns}: a decision counts only when the cluster says who made it"
            )));
        }
    }
    None
}

/// The `identity` gate: are approvals identity-bound on every target
/// cluster? Fails when one is not and the policy requires it.
pub fn identity_gate(obs: &Observed, policy: &Policy) -> GateResult {
    if obs.ledger.is_empty() {
        return crate::gates::gate(
            "identity",
            GateStatus::Pending,
            "the cluster ledger was not read for this view",
        );
    }
    let unbound = unbound_clusters(obs);
    if unbound.is_empty() {
        return crate::gates::gate(
            "identity",
            GateStatus::Pass,
            "approvals are identity-bound on every target cluster (ModelApproval objects admitted by the shipped policy)",
        );
    }
    let words = unbound
        .iter()
        .map(|(c, why)| format!("approvals are not identity-bound on {c} ({why})"))
        .collect::<Vec<_>>()
        .join("; ");
    if policy.require_bound_approvals {
        crate::gates::gate(
            "identity",
            GateStatus::Fail,
            format!("{words}; the policy requires bound approvals (require_bound_approvals)"),
        )
    } else {
        crate::gates::gate(
            "identity",
            GateStatus::Pass,
            format!(
                "{words}; allowed by require_bound_approvals = false, so anyone who may write registry tags could forge an approval"
            ),
        )
    }
}

/// Clusters (once each) whose ledger is not bound, with why.
pub fn unbound_clusters(obs: &Observed) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for ((cluster, _), site) in &obs.ledger {
        if let LedgerState::Unbound { reason } = &site.state {
            out.entry(cluster.clone()).or_insert_with(|| reason.clone());
        }
    }
    out.into_iter().collect()
}

/// Refuses when the policy requires bound approvals and a target cluster
/// does not bind them.
pub fn require_bound(obs: &Observed, policy: &Policy) -> Result<()> {
    if !policy.require_bound_approvals {
        return Ok(());
    }
    match unbound_clusters(obs).into_iter().next() {
        None => Ok(()),
        Some((cluster, reason)) => Err(PromotionError::NotIdentityBound { cluster, reason }),
    }
}

/// `sha256(prev_hash + entry without its hash)`.
pub fn entry_hash(e: &LedgerEntry) -> String {
    let mut bare = e.clone();
    bare.hash = String::new();
    let bytes = serde_json::to_vec(&bare).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// The first entry of `history` whose chain does not hold (index, why).
pub fn first_broken(history: &[LedgerEntry]) -> Option<(usize, String)> {
    let mut prev = String::new();
    for (i, e) in history.iter().enumerate() {
        if e.prev_hash != prev {
            return Some((i, "its prevHash is not the previous entry's hash".into()));
        }
        if e.hash != entry_hash(e) {
            return Some((i, "its hash does not match its content".into()));
        }
        prev = e.hash.clone();
    }
    None
}

impl Promotions {
    /// Reads the ledger of every site of `req`. A site whose cluster cannot
    /// be read counts as unbound, saying why.
    pub(crate) async fn read_sites(&self, req: &RequestRecord) -> BTreeMap<SiteKey, Site> {
        let mut states: BTreeMap<String, LedgerState> = BTreeMap::new();
        let mut out = BTreeMap::new();
        for (cluster, ns) in sites_of(req) {
            let state = match states.get(&cluster) {
                Some(s) => s.clone(),
                None => {
                    let s = match self.backends.cluster.ledger(&cluster).await {
                        Ok(s) => s,
                        Err(e) => LedgerState::Unbound {
                            reason: format!("could not read its ledger: {}", e.message),
                        },
                    };
                    states.insert(cluster.clone(), s.clone());
                    s
                }
            };
            let mut site = Site {
                state,
                promotion: None,
                approvals: Vec::new(),
            };
            if site.state.is_bound() {
                let read = async {
                    let p = self
                        .backends
                        .cluster
                        .get_promotion(&cluster, &ns, &req.id)
                        .await?;
                    let a = self
                        .backends
                        .cluster
                        .list_approvals(&cluster, &ns, &req.id)
                        .await?;
                    Ok::<_, modeldeck_core::error::BackendError>((p, a))
                };
                match read.await {
                    Ok((p, a)) => {
                        site.promotion = p;
                        site.approvals = a;
                    }
                    Err(e) => {
                        site.state = LedgerState::Unbound {
                            reason: format!(
                                "could not read promotion {} in {ns}: {}",
                                req.id, e.message
                            ),
                        };
                    }
                }
            }
            out.insert((cluster, ns), site);
        }
        out
    }

    /// Creates the `ModelPromotion` on every bound site (an existing one
    /// with the same spec is a retry and fine). Answers the sites as they
    /// are now, the created objects in them.
    pub(crate) async fn record_request(
        &self,
        req: &RequestRecord,
    ) -> Result<BTreeMap<SiteKey, Site>> {
        let mut sites = self.read_sites(req).await;
        let spec = spec_of(req);
        for ((cluster, ns), site) in sites.iter_mut() {
            if !site.state.is_bound() {
                continue;
            }
            if let Some(p) = &site.promotion {
                if p.spec == spec {
                    continue;
                }
                return Err(PromotionError::Conflict {
                    details: format!(
                        "{cluster}/{ns} already holds a different ModelPromotion {} (requested by {})",
                        req.id, p.spec.requested_by
                    ),
                });
            }
            let obj = PromotionObject {
                name: req.id.clone(),
                namespace: ns.clone(),
                resource_version: String::new(),
                spec: spec.clone(),
                status: Default::default(),
            };
            let stored = self
                .backends
                .cluster
                .create_promotion(cluster, &obj)
                .await
                .map_err(|e| ledger_refusal(e, cluster, ns))?;
            site.promotion = Some(stored);
        }
        Ok(sites)
    }

    /// Creates the decision's `ModelApproval` on every bound site, with our
    /// own credentials; admission refuses a name that is not ours.
    pub(crate) async fn record_decision(
        &self,
        rec: &ApprovalRecord,
        obs: &mut Observed,
    ) -> Result<()> {
        let digest = evidence_digest(rec);
        let mut created = Vec::new();
        for ((cluster, ns), site) in obs.ledger.iter().filter(|(_, s)| s.state.is_bound()) {
            let Some(p) = &site.promotion else {
                return Err(PromotionError::UnboundApproval {
                    details: format!(
                        "{cluster}/{ns} has no ModelPromotion {}: it was not requested through the cluster, so it cannot be approved there",
                        rec.promotion
                    ),
                });
            };
            let obj = ApprovalObject {
                name: decision_object_name(&rec.promotion, &rec.approval.approver, &digest),
                namespace: ns.clone(),
                promotion: rec.promotion.clone(),
                approver: rec.approval.approver.clone(),
                requester: p.spec.requested_by.clone(),
                decision: rec.approval.decision,
                comment: rec.approval.comment.clone(),
                evidence_digest: digest.clone(),
                bound_run: rec.approval.bound_run.clone(),
                created_at: None,
            };
            self.backends
                .cluster
                .create_approval(cluster, &obj)
                .await
                .map_err(|e| ledger_refusal(e, cluster, ns))?;
            created.push(((cluster.clone(), ns.clone()), obj));
        }
        // What the cluster now holds, so the tally right after counts it.
        for (k, obj) in created {
            if let Some(site) = obs.ledger.get_mut(&k) {
                site.approvals.push(obj);
            }
        }
        Ok(())
    }

    /// Takes the execution claim on the first bound site by a status update
    /// with its resourceVersion: of two executors, one gets a conflict.
    /// `Ok(false)`: no bound site (the registry claim is all there is).
    pub(crate) async fn claim_on_ledger(&self, req: &RequestRecord, actor: &str) -> Result<bool> {
        let Some((cluster, ns)) = self.first_bound_site(req).await else {
            return Ok(false);
        };
        let now = self.now();
        let ttl = i64::try_from(self.opts.claim_ttl.as_millis()).unwrap_or(i64::MAX);
        let Some(mut p) = self
            .backends
            .cluster
            .get_promotion(&cluster, &ns, &req.id)
            .await?
        else {
            return Err(PromotionError::UnboundApproval {
                details: format!("{cluster}/{ns} has no ModelPromotion {}", req.id),
            });
        };
        if let (Some(holder), Some(at)) = (&p.status.executor, &p.status.claimed_at) {
            let age = Timestamp::parse_rfc3339(at).map(|t| now.millis_since(t));
            let live =
                p.status.phase.as_deref() == Some("Executing") && age.is_some_and(|a| a < ttl);
            if live && *holder != self.opts.executor {
                return Err(PromotionError::InProgress {
                    by: format!("{holder} (claim on {cluster}/{ns})"),
                    since: at.clone(),
                });
            }
        }
        p.status.executor = Some(self.opts.executor.clone());
        p.status.claimed_at = Some(now.rfc3339());
        p.status.phase = Some("Executing".into());
        match self
            .backends
            .cluster
            .update_promotion_status(&cluster, &p)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code == ErrorCode::Conflict => Err(PromotionError::InProgress {
                by: format!(
                    "another executor (it updated {cluster}/{ns} first; {actor} lost the claim)"
                ),
                since: now.rfc3339(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Drops our claim on the ledger (an execution stopped before its
    /// first write). Best effort, logged.
    pub(crate) async fn release_on_ledger(&self, req: &RequestRecord) {
        let Some((cluster, ns)) = self.first_bound_site(req).await else {
            return;
        };
        let result = async {
            let Some(mut p) = self
                .backends
                .cluster
                .get_promotion(&cluster, &ns, &req.id)
                .await?
            else {
                return Ok(());
            };
            if p.status.executor.as_deref() != Some(self.opts.executor.as_str()) {
                return Ok(());
            }
            p.status.executor = None;
            p.status.claimed_at = None;
            p.status.phase = Some("Requested".into());
            self.backends
                .cluster
                .update_promotion_status(&cluster, &p)
                .await
                .map(|_| ())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(promotion = %req.id, cluster = %cluster, error = %e, "ledger claim not released");
        }
    }

    async fn first_bound_site(&self, req: &RequestRecord) -> Option<SiteKey> {
        for (cluster, ns) in sites_of(req) {
            if let Ok(LedgerState::Bound) = self.backends.cluster.ledger(&cluster).await {
                return Some((cluster, ns));
            }
        }
        None
    }

    /// Appends an entry to the shared history of each of `sites` (bound
    /// ones: the caller checked), setting
    /// `phase` when given. Best effort: a site that refuses is logged and
    /// named in the returned list (the journal entry records it).
    pub(crate) async fn append_history(
        &self,
        req_id: &str,
        sites: &[SiteKey],
        mut entry: LedgerEntry,
        phase: Option<&str>,
    ) -> Vec<(SiteKey, String)> {
        let mut failed = Vec::new();
        for (cluster, ns) in sites {
            let mut last = String::new();
            for _ in 0..4 {
                let p = match self
                    .backends
                    .cluster
                    .get_promotion(cluster, ns, req_id)
                    .await
                {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        last = format!("no ModelPromotion {req_id}");
                        break;
                    }
                    Err(e) => {
                        last = e.message;
                        break;
                    }
                };
                let mut p = p;
                entry.prev_hash = p
                    .status
                    .history
                    .last()
                    .map(|e| e.hash.clone())
                    .unwrap_or_default();
                entry.hash = entry_hash(&entry);
                p.status.history.push(entry.clone());
                if let Some(ph) = phase {
                    p.status.phase = Some(ph.to_string());
                    if ph != "Executing" {
                        p.status.executor = None;
                        p.status.claimed_at = None;
                    }
                }
                match self
                    .backends
                    .cluster
                    .update_promotion_status(cluster, &p)
                    .await
                {
                    Ok(_) => {
                        last.clear();
                        break;
                    }
                    Err(e) if e.code == ErrorCode::Conflict => {
                        last = e.message;
                        continue;
                    }
                    Err(e) => {
                        last = e.message;
                        break;
                    }
                }
            }
            if !last.is_empty() {
                tracing::warn!(promotion = %req_id, cluster = %cluster, namespace = %ns, error = %last, "shared history not appended");
                failed.push(((cluster.clone(), ns.clone()), last));
            }
        }
        failed
    }
}

/// A ledger write the cluster refused, as a refusal naming where.
fn ledger_refusal(
    e: modeldeck_core::error::BackendError,
    cluster: &str,
    ns: &str,
) -> PromotionError {
    match e.code {
        ErrorCode::Forbidden | ErrorCode::Unauthenticated | ErrorCode::InvalidRequest => {
            PromotionError::LedgerRefused {
                cluster: cluster.to_string(),
                namespace: ns.to_string(),
                message: e.message,
            }
        }
        _ => e.into(),
    }
}
