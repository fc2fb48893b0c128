//! Live gates from the metrics backend: input drift on the targets and the
//! latency / error-rate SLOs on a canary or, after deploy, on every target.

use super::{SloScope, gate, num};
use crate::policy::Policy;
use modeldeck_core::domain::{FeatureDrift, GateResult, GateStatus, Health, WorkloadRef};
use modeldeck_core::error::PortResult;
use std::collections::BTreeMap;

/// The `drift` gate over each target's per-feature drift (`None` when the
/// policy has no drift threshold).
pub fn drift_gate(
    policy: &Policy,
    per_target: &[(WorkloadRef, PortResult<Vec<FeatureDrift>>)],
) -> Option<GateResult> {
    let max = policy.drift_max_psi?;
    let mut worst: Option<(f64, String, &WorkloadRef)> = None;
    let mut missing = Vec::new();
    for (t, res) in per_target {
        let features = match res {
            Err(e) => {
                return Some(gate(
                    "drift",
                    GateStatus::Fail,
                    format!("metrics unavailable for {t}: {e}"),
                ));
            }
            Ok(f) => f,
        };
        let finite: Vec<&FeatureDrift> = features.iter().filter(|f| f.psi.is_finite()).collect();
        if finite.is_empty() {
            missing.push(t.to_string());
            continue;
        }
        for f in finite {
            if worst.as_ref().is_none_or(|(p, _, _)| f.psi > *p) {
                worst = Some((f.psi, f.feature.clone(), t));
            }
        }
    }
    let limit = num(max);
    Some(match (worst, missing.is_empty()) {
        (Some((p, f, t)), _) if p > max => gate(
            "drift",
            GateStatus::Fail,
            format!("max PSI {} (feature {f} on {t}) > {limit}", num(p)),
        ),
        (_, false) => gate(
            "drift",
            GateStatus::Inconclusive,
            format!("no drift data for {}", missing.join(", ")),
        ),
        (Some((p, f, t)), true) => gate(
            "drift",
            GateStatus::Pass,
            format!("max PSI {} (feature {f} on {t}) <= {limit}", num(p)),
        ),
        (None, true) => gate(
            "drift",
            GateStatus::Pending,
            "no targets to measure drift on",
        ),
    })
}

/// The `slo:latency_p99` and `slo:error_ratio` gates over `scoped`.
pub fn slo_gates(
    policy: &Policy,
    scoped: &[WorkloadRef],
    health: &PortResult<BTreeMap<WorkloadRef, Health>>,
    scope: SloScope,
    candidate: &str,
) -> Vec<GateResult> {
    let checks = [
        (
            "slo:latency_p99",
            policy.slo.latency_p99_max_secs,
            "p99",
            "s",
        ),
        (
            "slo:error_ratio",
            policy.slo.error_ratio_max,
            "error ratio",
            "",
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(name, max, label, unit)| max.map(|m| (name, m, label, unit)))
        .map(|(name, max, label, unit)| {
            if scoped.is_empty() {
                let why = match scope {
                    SloScope::Canary => {
                        format!("no live canary of v{candidate}; checked after deploy")
                    }
                    SloScope::PostDeploy => {
                        "after deploy: no target left to judge (each batch target was verified by its run)".into()
                    }
                };
                return gate(name, GateStatus::Pending, why);
            }
            let health = match health {
                Err(e) => return gate(name, GateStatus::Fail, format!("metrics unavailable: {e}")),
                Ok(h) => h,
            };
            let mut parts = Vec::new();
            let mut status = GateStatus::Pass;
            for t in scoped {
                let h = health.get(t);
                let value = h.and_then(|h| {
                    if name == "slo:latency_p99" {
                        h.latency_p99
                    } else {
                        h.error_ratio
                    }
                });
                let traffic = h.and_then(|h| h.request_rate);
                match (value, traffic) {
                    (_, Some(r)) if r <= 0.0 => {
                        status = worse(status, GateStatus::Inconclusive);
                        parts.push(format!("{t}: no traffic"));
                    }
                    (Some(v), _) if v.is_finite() && v > max => {
                        status = GateStatus::Fail;
                        parts.push(format!(
                            "{label} {}{unit} on {t} > {}{unit}",
                            num(v),
                            num(max)
                        ));
                    }
                    (Some(v), _) if v.is_finite() => parts.push(format!(
                        "{label} {}{unit} on {t} <= {}{unit}",
                        num(v),
                        num(max)
                    )),
                    _ => {
                        status = worse(status, GateStatus::Inconclusive);
                        parts.push(format!("{t}: no {label} data"));
                    }
                }
            }
            let prefix = match scope {
                SloScope::Canary => "canary: ",
                SloScope::PostDeploy => "after deploy: ",
            };
            gate(name, status, format!("{prefix}{}", parts.join("; ")))
        })
        .collect()
}

pub(crate) fn worse(a: GateStatus, b: GateStatus) -> GateStatus {
    let rank = |s| match s {
        GateStatus::Fail => 3,
        GateStatus::Inconclusive => 2,
        GateStatus::Pending => 1,
        GateStatus::Pass => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}
