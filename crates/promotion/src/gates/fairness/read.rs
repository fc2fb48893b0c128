//! Reading the fairness gate's sources: the candidate's run metrics, the
//! outcome counters of the versions the targets serve and of the
//! candidate's canary, TrustyAI's gauges; each judged by the policy (the
//! promotion policy's keys over the version's reference profile's).

use super::{Evidence, Place, Reading, name};
use crate::gates::drift_eval::versions_of;
use crate::gates::{Contenders, Target};
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{ModelVersion, RunData};
use modeldeck_core::drift::fairness::{self, FairnessPolicy, OutcomeSample};
use modeldeck_core::drift::text;
use modeldeck_core::error::{ErrorCode, PortResult};

/// The policy's keys over the reference profile's (thresholds and
/// favourable outcomes: the policy's when set; reference groups: the
/// profile's, then the policy's per attribute).
pub fn merged(rule: &FairnessPolicy, profile: Option<&FairnessPolicy>) -> FairnessPolicy {
    let Some(p) = profile else {
        return rule.clone();
    };
    let mut reference = p.reference.clone();
    reference.extend(rule.reference.clone());
    FairnessPolicy {
        spd_max: rule.spd_max.or(p.spd_max),
        dir_min: rule.dir_min.or(p.dir_min),
        min_rows: rule.min_rows.or(p.min_rows),
        reference,
        favorable: if rule.favorable.is_empty() {
            p.favorable.clone()
        } else {
            rule.favorable.clone()
        },
    }
}

/// The candidate's run metrics, judged.
pub fn read_run(
    candidate: &(ModelVersion, PortResult<Option<RunData>>),
    p: &FairnessPolicy,
) -> Reading {
    let (v, run) = candidate;
    match run {
        Err(e) => Reading::Failed(format!("cannot read candidate v{} run: {e}", v.version)),
        Ok(None) => Reading::Absent(format!("candidate v{} has no training run", v.version)),
        Ok(Some(r)) => {
            let rows = fairness::from_run_metrics(&r.metrics, p);
            if rows.is_empty() {
                Reading::Absent(format!(
                    "candidate v{}'s run has no fairness.spd.<attribute> or fairness.dir.<attribute> metrics",
                    v.version
                ))
            } else {
                Reading::Judged {
                    rows,
                    unjudged: Vec::new(),
                }
            }
        }
    }
}

/// One version's outcome counters, judged per attribute (as
/// `Console::fairness` does: an attribute none of whose outcomes is
/// favourable cannot be judged).
pub fn read_sample(sample: &OutcomeSample, version: &str, p: &FairnessPolicy) -> Reading {
    if sample.counts.is_empty() {
        return Reading::Absent(format!(
            "no outcome counters of v{version} over {}",
            text::window(sample.window_ms)
        ));
    }
    let mut rows = Vec::new();
    let mut unjudged = Vec::new();
    for (attr, groups) in sample.group_counts(p) {
        let outcomes = sample.outcomes(&attr);
        if !outcomes.iter().any(|o| p.is_favorable(o)) {
            let shown: Vec<String> = outcomes.iter().take(6).map(|o| name(o)).collect();
            unjudged.push(format!(
                "{}: none of its outcomes {shown:?} is favourable; name the positive one in fairness.favorable",
                name(&attr)
            ));
            continue;
        }
        rows.push(fairness::evaluate_attribute(&attr, &groups, p));
    }
    Reading::Judged { rows, unjudged }
}

/// The fairness policy of `version`'s reference profile (`None` without
/// one), or why it cannot be read.
async fn profile_policy(
    b: &Backends,
    model: &str,
    version: &str,
) -> Result<Option<FairnessPolicy>, String> {
    match b.registry.reference_profile(model, version).await {
        Ok(p) => Ok(p.map(|p| p.policy.fairness)),
        Err(e) if matches!(e.code, ErrorCode::Unsupported | ErrorCode::NotFound) => Ok(None),
        Err(e) => Err(format!(
            "cannot read the reference profile of v{version}: {e}"
        )),
    }
}

/// The policy a version is judged by, or why there is none.
async fn policy_for(
    b: &Backends,
    model: &str,
    version: &str,
    rule: &FairnessPolicy,
) -> Result<FairnessPolicy, String> {
    let profile = profile_policy(b, model, version).await?;
    let p = merged(rule, profile.as_ref());
    p.validate()
        .map_err(|e| format!("v{version}'s fairness policy (with its reference profile's): {e}"))?;
    Ok(p)
}

/// The versions whose counters are read: each served version once, the
/// candidate's canary unless a target already serves the candidate.
fn live_versions(c: &Contenders, targets: &[Target]) -> Vec<(String, bool)> {
    let candidate = &c.candidate.0.version;
    let champion = c.champion.as_ref().map(|(v, _)| v.version.as_str());
    let mut out: Vec<(String, bool)> = Vec::new();
    for (version, canary, _) in versions_of(targets, candidate, champion) {
        let Some(v) = version else { continue };
        match out.iter_mut().find(|(x, _)| *x == v) {
            Some((_, c)) => *c = *c && canary,
            None => out.push((v, canary)),
        }
    }
    out
}

/// Reads every source (see the module documentation).
pub async fn gather(
    b: &Backends,
    rule: &FairnessPolicy,
    window_ms: i64,
    c: &Contenders,
    targets: &[Target],
) -> Vec<Evidence> {
    let model = c.candidate.0.model.as_str();
    let candidate = c.candidate.0.version.as_str();
    let mut out = Vec::new();
    let cand_policy = policy_for(b, model, candidate, rule).await;
    out.push(Evidence {
        place: Place::Run {
            version: candidate.to_string(),
        },
        reading: match &cand_policy {
            Ok(p) => read_run(&c.candidate, p),
            Err(e) => Reading::Failed(e.clone()),
        },
    });
    let mut versions = live_versions(c, targets);
    if targets.is_empty() {
        // No workload to look at: the candidate's own counters, if it
        // serves anywhere.
        versions.push((candidate.to_string(), false));
    }
    for (version, canary) in versions {
        let reading = match policy_for(b, model, &version, rule).await {
            Err(e) => Reading::Failed(e),
            Ok(p) => match b
                .metrics
                .outcome_counts(model, &version, window_ms, None)
                .await
            {
                Ok(s) => read_sample(&s, &version, &p),
                Err(e) if e.code == ErrorCode::Unsupported => {
                    Reading::Absent("the metrics backend has no outcome counters".into())
                }
                Err(e) => Reading::Failed(format!(
                    "cannot read the outcome counters of v{version}: {e}"
                )),
            },
        };
        out.push(Evidence {
            place: Place::Live {
                version,
                canary,
                window_ms,
            },
            reading,
        });
    }
    let gauges = match b.metrics.fairness_gauges(model).await {
        Ok(g) if g.is_empty() => Reading::Absent("no TrustyAI gauges".into()),
        Ok(g) => {
            let p = cand_policy.unwrap_or_else(|_| rule.clone());
            Reading::Judged {
                rows: fairness::from_gauges(&g, &p),
                unjudged: Vec::new(),
            }
        }
        Err(e) if e.code == ErrorCode::Unsupported => {
            Reading::Absent("the metrics backend has no TrustyAI gauges".into())
        }
        Err(e) => Reading::Failed(format!("cannot read TrustyAI's gauges: {e}")),
    };
    out.push(Evidence {
        place: Place::Trustyai,
        reading: gauges,
    });
    out
}
