//! Offline gates from the registry: each configured metric of the candidate
//! against the champion (direction-aware, with tolerance, through
//! `modeldeck_core::compare`). The fairness gate is in [`super::fairness`].

use super::{Contenders, gate, num};
use crate::policy::Policy;
use modeldeck_core::compare::{self, Direction, Side, Winner};
use modeldeck_core::domain::{GateResult, GateStatus, ModelVersion, RunData};
use std::collections::BTreeMap;

fn dir_words(d: Direction) -> &'static str {
    match d {
        Direction::HigherIsBetter => "higher is better",
        Direction::LowerIsBetter => "lower is better",
    }
}

/// One `metric:<name>` gate per configured metric.
pub fn metric_gates(policy: &Policy, c: &Contenders) -> Vec<GateResult> {
    let (cand_v, cand_run) = &c.candidate;
    policy
        .metrics
        .iter()
        .map(|rule| {
            let name = format!("metric:{}", rule.name);
            let cand = match cand_run {
                Err(e) => {
                    return gate(
                        name,
                        GateStatus::Fail,
                        format!("cannot read candidate v{} run: {e}", cand_v.version),
                    );
                }
                Ok(None) => {
                    return gate(
                        name,
                        GateStatus::Inconclusive,
                        format!("candidate v{} has no training run", cand_v.version),
                    );
                }
                Ok(Some(r)) => r,
            };
            let Some((champ_v, champ_run)) = &c.champion else {
                return match cand.metrics.get(&rule.name) {
                    Some(v) => gate(
                        name,
                        GateStatus::Pass,
                        format!(
                            "no champion to compare against; candidate {} {}",
                            rule.name,
                            num(*v)
                        ),
                    ),
                    None => gate(
                        name,
                        GateStatus::Inconclusive,
                        format!("candidate v{} has no {} metric", cand_v.version, rule.name),
                    ),
                };
            };
            let champ = match champ_run {
                Err(e) => {
                    return gate(
                        name,
                        GateStatus::Fail,
                        format!("cannot read champion v{} run: {e}", champ_v.version),
                    );
                }
                Ok(None) => {
                    return gate(
                        name,
                        GateStatus::Inconclusive,
                        format!("champion v{} has no training run", champ_v.version),
                    );
                }
                Ok(Some(r)) => r,
            };
            judge_metric(rule, champ_v, champ, cand_v, cand, name)
        })
        .collect()
}

fn judge_metric(
    rule: &crate::policy::MetricRule,
    champ_v: &ModelVersion,
    champ: &RunData,
    cand_v: &ModelVersion,
    cand: &RunData,
    name: String,
) -> GateResult {
    let overrides: BTreeMap<String, Direction> = rule
        .direction
        .map(|d| BTreeMap::from([(rule.name.clone(), d)]))
        .unwrap_or_default();
    let only = |r: &RunData| RunData {
        metrics: r
            .metrics
            .get(&rule.name)
            .map(|v| BTreeMap::from([(rule.name.clone(), *v)]))
            .unwrap_or_default(),
        ..RunData::default()
    };
    let cmp = compare::compare(
        Side {
            version: champ_v.clone(),
            run: Some(only(champ)),
        },
        Side {
            version: cand_v.clone(),
            run: Some(only(cand)),
        },
        &overrides,
        rule.tolerance,
    );
    let direction = compare::direction_of(&rule.name, &overrides);
    let Some(d) = cmp.metrics.into_iter().find(|m| m.key == rule.name) else {
        return gate(
            name,
            GateStatus::Inconclusive,
            format!(
                "neither v{} nor v{} has {}",
                champ_v.version, cand_v.version, rule.name
            ),
        );
    };
    let show = |v: Option<f64>| v.map_or("missing".to_string(), num);
    let words = format!(
        "{} {} (v{}) vs champion {} (v{}), {}, tolerance {}%",
        rule.name,
        show(d.b),
        cand_v.version,
        show(d.a),
        champ_v.version,
        dir_words(direction),
        num(rule.tolerance * 100.0)
    );
    let delta = d
        .delta
        .map(|x| format!(", delta {}{}", if x >= 0.0 { "+" } else { "" }, num(x)))
        .unwrap_or_default();
    match d.winner {
        Winner::B => gate(name, GateStatus::Pass, format!("{words}{delta}: better")),
        Winner::Tie => gate(
            name,
            GateStatus::Pass,
            format!("{words}{delta}: within tolerance"),
        ),
        Winner::A => gate(name, GateStatus::Fail, format!("{words}{delta}: worse")),
        Winner::Unknown => gate(
            name,
            GateStatus::Inconclusive,
            format!("{words}: cannot compare (missing or not a number)"),
        ),
    }
}
