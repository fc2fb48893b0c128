//! Policy gates as a checklist with numbers: candidate vs champion metrics,
//! fairness, drift on the targets, live SLOs on a canary (or, after deploy,
//! on the targets). Pure judging functions take what the ports answered so
//! they are testable without a backend; [`evaluate`] asks the ports.
//!
//! Rules of thumb: a backend that fails to answer makes its gate **Fail**
//! (no data is not good news during a promotion); an answer without the
//! needed values makes it **Inconclusive** (a human decides); a gate with
//! nothing to look at yet is **Pending**.

mod card;
pub mod drift_eval;
pub mod fairness;
mod live;
mod metrics;
pub mod quality;

pub use card::{CARD_GATE, card_gate};
pub use drift_eval::{drift_and_quality, drift_gate_evaluated};
pub use fairness::{FAIRNESS_GATE, fairness_gate};
pub use live::{drift_gate, slo_gates};
pub use metrics::metric_gates;
pub use quality::quality_gate;

use crate::policy::Policy;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{
    GateResult, GateStatus, MetricsTarget, ModelVersion, RunData, WorkloadRef,
};
use modeldeck_core::error::PortResult;
use sha2::{Digest, Sha256};

/// What SLO gates look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SloScope {
    /// Before execution: targets whose canary serves the candidate.
    Canary,
    /// After deploy: every target.
    PostDeploy,
}

pub(crate) fn gate(
    name: impl Into<String>,
    status: GateStatus,
    detail: impl Into<String>,
) -> GateResult {
    GateResult {
        name: name.into(),
        status,
        detail: detail.into(),
    }
}

/// A target of a promotion as the gates see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The workload.
    pub workload: WorkloadRef,
    /// The version its canary serves, if it runs one.
    pub canary: Option<String>,
    /// The version it serves now (its stable traffic), when known.
    pub served: Option<String>,
}

impl Target {
    /// A target known by its ref only.
    pub fn new(workload: WorkloadRef) -> Target {
        Target {
            workload,
            canary: None,
            served: None,
        }
    }
}

/// The candidate and the champion as read from the registry.
#[derive(Debug, Clone)]
pub struct Contenders {
    /// Candidate version and its run (`Ok(None)`: it has no run).
    pub candidate: (ModelVersion, PortResult<Option<RunData>>),
    /// Champion version and its run; `None` when the alias points nowhere
    /// or at the candidate itself.
    pub champion: Option<(ModelVersion, PortResult<Option<RunData>>)>,
}

/// Reads the run behind `v` (`Ok(None)` when it has none).
pub async fn run_of(b: &Backends, v: &ModelVersion) -> PortResult<Option<RunData>> {
    match &v.run_id {
        Some(id) => b.registry.get_run(id).await.map(Some),
        None => Ok(None),
    }
}

/// Every policy gate for `contenders` on `targets` (pre-execution uses
/// [`SloScope::Canary`]: metrics, fairness, drift, data quality, canary
/// SLOs; post-deploy
/// [`SloScope::PostDeploy`]: the SLOs on every target). The metrics port is
/// told each target serves the promoted model (the candidate's).
pub async fn evaluate(
    b: &Backends,
    policy: &Policy,
    contenders: &Contenders,
    targets: &[Target],
    scope: SloScope,
) -> Vec<GateResult> {
    let mut out = Vec::new();
    let model = &contenders.candidate.0.model;
    if scope == SloScope::Canary {
        out.extend(metric_gates(policy, contenders));
        if let Some(g) = fairness_gate(b, policy, contenders, targets).await {
            out.push(g);
        }
        if !policy.card_required.is_empty() {
            let registered = b.registry.get_model(model).await;
            out.extend(card_gate(policy, &registered, &contenders.candidate));
        }
    }
    if scope == SloScope::Canary {
        let champion = contenders
            .champion
            .as_ref()
            .map(|(v, _)| v.version.as_str());
        out.extend(
            drift_and_quality(
                b,
                policy,
                model,
                &contenders.candidate.0.version,
                champion,
                targets,
            )
            .await,
        );
    }
    let scoped: Vec<WorkloadRef> = targets
        .iter()
        .filter(|t| {
            scope == SloScope::PostDeploy
                || t.canary.as_deref() == Some(&contenders.candidate.0.version)
        })
        .map(|t| t.workload.clone())
        .collect();
    let health = if scoped.is_empty() {
        Ok(Default::default())
    } else {
        let asked: Vec<MetricsTarget> = scoped
            .iter()
            .map(|t| MetricsTarget::new(t.clone(), model.as_str()))
            .collect();
        b.metrics.fleet_health(&asked).await
    };
    out.extend(slo_gates(
        policy,
        &scoped,
        &health,
        scope,
        &contenders.candidate.0.version,
    ));
    out
}

/// SHA-256 over gate names, statuses and details, in order: what an
/// approval binds to.
pub fn digest(gates: &[GateResult]) -> String {
    let mut h = Sha256::new();
    for g in gates {
        h.update(g.name.as_bytes());
        h.update([0]);
        h.update(format!("{:?}", g.status).as_bytes());
        h.update([0]);
        h.update(g.detail.as_bytes());
        h.update([0xff]);
    }
    hex::encode(h.finalize())
}

/// The failing `card` gate, if any: it blocks approval too (a policy's
/// `card_required` holds before anyone approves).
pub fn card_failure(gates: &[GateResult]) -> Option<GateResult> {
    gates
        .iter()
        .find(|g| g.name == CARD_GATE && g.status == GateStatus::Fail)
        .cloned()
}

/// The gates that are not Pass or Pending, i.e. that block execution.
pub fn blocking(gates: &[GateResult]) -> (Vec<GateResult>, Vec<GateResult>) {
    let failed = gates
        .iter()
        .filter(|g| g.status == GateStatus::Fail)
        .cloned()
        .collect();
    let inconclusive = gates
        .iter()
        .filter(|g| g.status == GateStatus::Inconclusive)
        .cloned()
        .collect();
    (failed, inconclusive)
}

/// Formats a number for gate details: up to 4 significant decimals.
pub(crate) fn num(v: f64) -> String {
    if v == 0.0 || (v.abs() >= 0.001 && v.abs() < 1e6) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        format!("{v:.3e}")
    }
}

#[cfg(test)]
mod drift_tests;
#[cfg(test)]
mod tests;
