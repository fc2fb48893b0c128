//! The drift gate on the numbers the Drift screen and `modeldeck drift`
//! show: each version the targets serve, its live data over the policy's
//! `drift_window` against its reference profile, judged by
//! [`modeldeck_core::drift::evaluate`] (each feature's own method and
//! threshold, automatic or from the profile's policy). Versions without a
//! profile, or a metrics backend without live distributions, fall back to
//! the PSI gauges and `drift_max_psi`, and the line says so.
//!
//! Which version: the one each target serves now (its stable traffic,
//! normally the champion's); when a target runs a canary of the candidate,
//! the candidate's canary traffic against the candidate's own profile as
//! well. Live samples are per model version, so a version served by several
//! targets is read once and the line names every target serving it.

use super::live::{drift_gate, worse};
use super::{Target, gate};
use crate::policy::{DriftFailOn, Policy};
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{GateResult, GateStatus, MetricsTarget, WorkloadRef};
use modeldeck_core::drift::{self, DriftReport, Score, text};
use modeldeck_core::error::ErrorCode;

/// What reading one version's live data against its profile gave.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The verdicts.
    Report(Box<DriftReport>),
    /// No profile to judge against, or no live distributions: why (the
    /// drift gate falls back to the PSI gauges).
    NoProfile(String),
    /// A backend failed: what and how.
    Failed(String),
}

/// One version's live traffic on some of the targets.
#[derive(Debug, Clone)]
pub struct VersionDrift {
    /// The version (`None`: the targets' served version is unknown).
    pub version: Option<String>,
    /// The targets serving it.
    pub targets: Vec<WorkloadRef>,
    /// The candidate's canary traffic rather than the stable traffic.
    pub canary: bool,
    /// Window, milliseconds.
    pub window_ms: i64,
    /// What was read.
    pub outcome: Outcome,
}

impl VersionDrift {
    /// `on a, b (v5, 24h)` or `(v7 canary, 24h)`.
    pub fn place(&self) -> String {
        let targets: Vec<String> = self.targets.iter().map(ToString::to_string).collect();
        let version = self
            .version
            .as_deref()
            .map_or("version unknown".to_string(), |v| format!("v{v}"));
        let canary = if self.canary { " canary" } else { "" };
        format!(
            "on {} ({version}{canary}, {})",
            targets.join(", "),
            text::window(self.window_ms)
        )
    }
}

/// Groups `targets` by the version whose traffic they carry: the served
/// version (else `champion`, the version the alias points to), and the
/// candidate's canary.
pub fn versions_of(
    targets: &[Target],
    candidate: &str,
    champion: Option<&str>,
) -> Vec<(Option<String>, bool, Vec<WorkloadRef>)> {
    let mut groups: Vec<(Option<String>, bool, Vec<WorkloadRef>)> = Vec::new();
    let mut add = |version: Option<String>, canary: bool, t: &WorkloadRef| match groups
        .iter_mut()
        .find(|(v, c, _)| *v == version && *c == canary)
    {
        Some((_, _, ts)) => ts.push(t.clone()),
        None => groups.push((version, canary, vec![t.clone()])),
    };
    for t in targets {
        let served = t.served.clone().or_else(|| champion.map(str::to_string));
        add(served.clone(), false, &t.workload);
        if t.canary.as_deref() == Some(candidate) && served.as_deref() != Some(candidate) {
            add(Some(candidate.to_string()), true, &t.workload);
        }
    }
    groups
}

/// Reads each version's profile and live sample over the policy's window
/// and evaluates them.
pub async fn gather(
    b: &Backends,
    policy: &Policy,
    model: &str,
    candidate: &str,
    champion: Option<&str>,
    targets: &[Target],
) -> Vec<VersionDrift> {
    let window_ms = policy.drift_window.as_millis_i64();
    let mut out = Vec::new();
    for (version, canary, targets) in versions_of(targets, candidate, champion) {
        let outcome = match &version {
            None => Outcome::NoProfile("served version unknown".into()),
            Some(v) => read(b, model, v, window_ms, &targets).await,
        };
        out.push(VersionDrift {
            version,
            targets,
            canary,
            window_ms,
            outcome,
        });
    }
    out
}

async fn read(
    b: &Backends,
    model: &str,
    version: &str,
    window_ms: i64,
    targets: &[WorkloadRef],
) -> Outcome {
    let profile = match b.registry.reference_profile(model, version).await {
        Ok(Some(p)) => p,
        Ok(None) => return Outcome::NoProfile("no reference profile".into()),
        Err(e) if e.code == ErrorCode::Unsupported => {
            return Outcome::NoProfile("registry cannot read reference profiles".into());
        }
        Err(e) => {
            return Outcome::Failed(format!(
                "cannot read the reference profile of v{version}: {e}"
            ));
        }
    };
    match b
        .metrics
        .feature_sample(model, version, &profile, window_ms, None)
        .await
    {
        Ok(sample) => Outcome::Report(Box::new(drift::evaluate(&profile, &sample))),
        Err(e) if e.code == ErrorCode::Unsupported => {
            Outcome::NoProfile("metrics backend has no live distributions".into())
        }
        Err(e) => {
            let names: Vec<String> = targets.iter().map(ToString::to_string).collect();
            Outcome::Failed(format!("metrics unavailable for {}: {e}", names.join(", ")))
        }
    }
}

/// `1.48 ≥ 0.1`, `0.02 < 0.1`, `p=0.003 < 0.05`, `p=0.4 ≥ 0.05`: the value
/// against its threshold in the direction that means drift.
pub fn versus(s: &Score) -> String {
    let (v, t) = (text::number(s.value), text::number(s.threshold));
    match (s.method.is_p_value(), s.drifted) {
        (true, true) => format!("p={v} < {t}"),
        (true, false) => format!("p={v} ≥ {t}"),
        (false, true) => format!("{v} ≥ {t}"),
        (false, false) => format!("{v} < {t}"),
    }
}

/// One evaluated version's part of the drift gate.
pub fn judge_report(policy: &Policy, item: &VersionDrift, r: &DriftReport) -> (GateStatus, String) {
    let Some(row) = r.worst() else {
        return (
            GateStatus::Inconclusive,
            format!("no live feature data {}", item.place()),
        );
    };
    let Some(s) = row.score else {
        return (GateStatus::Inconclusive, "no score".into());
    };
    let scored = r
        .features
        .iter()
        .filter(|f| f.score.is_some_and(|s| !s.value.is_nan()))
        .count();
    let drifted = r.drifted().count();
    let mut line = format!(
        "{} {} {} {}, {drifted} of {scored} features drift",
        row.feature,
        s.method.label(),
        versus(&s),
        item.place()
    );
    let failed = match policy.drift_fail_on {
        DriftFailOn::Feature => drifted > 0,
        DriftFailOn::Dataset => {
            let share = r.drifted_share.unwrap_or(0.0);
            let cmp = if r.dataset_drift { "≥" } else { "<" };
            line.push_str(&format!(
                ": share {} {cmp} dataset threshold {}",
                text::number(share),
                text::number(r.dataset_threshold)
            ));
            r.dataset_drift
        }
    };
    let status = if failed {
        GateStatus::Fail
    } else {
        GateStatus::Pass
    };
    (status, line)
}

/// The parts of a gate, worst first, as one gate.
pub fn combine(name: &str, mut parts: Vec<(GateStatus, String)>) -> Option<GateResult> {
    let rank = |s: GateStatus| match s {
        GateStatus::Fail => 0,
        GateStatus::Inconclusive => 1,
        GateStatus::Pending => 2,
        GateStatus::Pass => 3,
    };
    parts.sort_by_key(|(s, _)| rank(*s));
    let status = parts
        .iter()
        .fold(GateStatus::Pass, |acc, (s, _)| worse(acc, *s));
    parts.first()?;
    let detail: Vec<String> = parts.into_iter().map(|(_, d)| d).collect();
    Some(gate(name, status, detail.join("; ")))
}

/// The `drift` gate (`None` when the policy has no `drift_max_psi`, which
/// switches it off): evaluated versions judged by [`judge_report`], the
/// others by the PSI gauges of their targets (`psi`: what
/// `Metrics::feature_drift` answered for each, read by the caller for the
/// targets of [`Outcome::NoProfile`] items).
pub fn drift_gate_evaluated(
    policy: &Policy,
    items: &[VersionDrift],
    psi: &[(
        WorkloadRef,
        modeldeck_core::error::PortResult<Vec<modeldeck_core::domain::FeatureDrift>>,
    )],
) -> Option<GateResult> {
    policy.drift_max_psi?;
    let mut parts = Vec::new();
    for item in items {
        match &item.outcome {
            Outcome::Report(r) => parts.push(judge_report(policy, item, r)),
            Outcome::Failed(e) => parts.push((GateStatus::Fail, e.clone())),
            Outcome::NoProfile(why) => {
                let mine: Vec<_> = psi
                    .iter()
                    .filter(|(t, _)| item.targets.contains(t))
                    .cloned()
                    .collect();
                if let Some(g) = drift_gate(policy, &mine) {
                    let v = item
                        .version
                        .as_deref()
                        .map_or(String::new(), |v| format!(" of v{v}"));
                    parts.push((g.status, format!("{} ({why}{v}: PSI gauges)", g.detail)));
                }
            }
        }
    }
    if parts.is_empty() {
        return Some(gate(
            "drift",
            GateStatus::Pending,
            "no targets to measure drift on",
        ));
    }
    combine("drift", parts)
}

/// The drift (and data-quality) inputs for `targets`, then the gates: the
/// PSI gauges are read only for targets that fall back to them.
pub async fn drift_and_quality(
    b: &Backends,
    policy: &Policy,
    model: &str,
    candidate: &str,
    champion: Option<&str>,
    targets: &[Target],
) -> Vec<GateResult> {
    if policy.drift_max_psi.is_none() && !policy.data_quality.is_set() {
        return Vec::new();
    }
    let items = gather(b, policy, model, candidate, champion, targets).await;
    let mut out = Vec::new();
    if policy.drift_max_psi.is_some() {
        let mut psi = Vec::new();
        for item in &items {
            if !matches!(item.outcome, Outcome::NoProfile(_)) {
                continue;
            }
            for t in &item.targets {
                if psi.iter().any(|(w, _)| w == t) {
                    continue;
                }
                let asked = MetricsTarget::new(t.clone(), model);
                psi.push((t.clone(), b.metrics.feature_drift(&asked).await));
            }
        }
        out.extend(drift_gate_evaluated(policy, &items, &psi));
    }
    out.extend(super::quality::quality_gate(policy, &items));
    out
}
