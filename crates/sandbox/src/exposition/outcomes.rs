//! `modeldeck_outcome_total{model,version,attribute,group,outcome}`: the
//! fairness counters of a model with a protected attribute (the demo's
//! credit-scorer by age band), as the sandbox's own `outcome_counts`
//! computes them: the version's rows x the group's share x its positive
//! rate (`<outcome>`) or the complement (`not_<outcome>`).

use super::{esc, header, sample};
use crate::drift::{self, catalog::Shape};
use crate::world::World;
use std::collections::BTreeMap;

/// (attribute, group, outcome) -> rows.
pub(super) type Outcomes = BTreeMap<(String, String, String), f64>;

/// Adds `rows` of model `mi` (every group and outcome, at zero when `rows`
/// is 0); nothing for a model without a protected attribute.
pub(super) fn add(
    w: &World,
    mi: u32,
    rows: f64,
    all: &mut BTreeMap<(u32, u32), Outcomes>,
    version: u32,
) {
    let Some(p) = w
        .models
        .get(mi as usize)
        .and_then(|m| m.drift.protected.as_ref())
    else {
        return;
    };
    let Some(sim) = drift::sim(w, mi) else {
        return;
    };
    let Some(Shape::Categorical { names, probs }) = sim.get(&p.feature).map(|f| &f.shape) else {
        return;
    };
    let counts = all.entry((mi, version)).or_default();
    for (group, share) in names.iter().zip(probs) {
        let rate = p.rates.get(group).copied().unwrap_or(0.0).clamp(0.0, 1.0);
        let n = rows * share;
        for (outcome, c) in [
            (p.outcome.clone(), n * rate),
            (format!("not_{}", p.outcome), n * (1.0 - rate)),
        ] {
            *counts
                .entry((p.feature.clone(), group.clone(), outcome))
                .or_insert(0.0) += c;
        }
    }
}

/// The family, one series per version, attribute, group and outcome.
pub(super) fn write(w: &World, all: &BTreeMap<(u32, u32), Outcomes>, out: &mut String) {
    let name = "modeldeck_outcome_total";
    header(
        out,
        name,
        "counter",
        "Rows by protected group and outcome (simulated).",
    );
    for ((mi, v), counts) in all {
        let model = w.models.get(*mi as usize).map_or("", |m| m.name.as_str());
        for ((attribute, group, outcome), c) in counts {
            let labels = format!(
                "model=\"{}\",version=\"{v}\",attribute=\"{}\",group=\"{}\",outcome=\"{}\"",
                esc(model),
                esc(attribute),
                esc(group),
                esc(outcome)
            );
            sample(out, name, &labels, *c);
        }
    }
}
