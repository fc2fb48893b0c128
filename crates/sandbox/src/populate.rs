//! Builds a world from a parsed scenario: models with their version
//! histories and aliases, workloads on their versions, and the pending
//! promotion request tags.

use crate::drift::{DriftPlan, Outage, Protected, Ramp, Season, Step};
use crate::rng::{Rng, hash_str, mix};
use crate::scenario::{DriftSpec, Scenario, TaskSpec};
use crate::training::{ModelPlan, build_model};
use crate::world::{CanarySplit, Extra, Task, WorkloadState, World};
use modeldeck_core::domain::*;
use std::collections::BTreeSet;

const DAY_MS: i64 = 86_400_000;
/// Version tag holding a pending promotion request (JSON of a `Promotion`).
pub const PROMOTION_REQUEST_TAG: &str = "modeldeck.promotion.request";

/// A world for `scenario` (its seed replaced by `seed` when given) starting at `start`.
pub(crate) fn from_scenario(scenario: &Scenario, seed: Option<u64>, start: Timestamp) -> World {
    let seed = seed.unwrap_or(scenario.seed);
    let mut world = World::new(seed, start);
    let clusters: BTreeSet<&str> = scenario
        .clusters
        .iter()
        .map(|c| c.get_ref().name.as_str())
        .collect();
    world.clusters = clusters.into_iter().map(str::to_string).collect();
    let namespaces: BTreeSet<&str> = scenario
        .clusters
        .iter()
        .flat_map(|c| c.get_ref().namespaces.iter().map(String::as_str))
        .collect();
    world.namespaces = namespaces.into_iter().map(str::to_string).collect();

    let mut specs: Vec<_> = scenario.models.iter().map(|m| m.get_ref()).collect();
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    for spec in &specs {
        let champion = spec.champion();
        let promote = spec
            .promotion
            .as_ref()
            .and_then(|p| p.version.or(spec.challenger));
        let mut better: Vec<u32> = spec.challenger.into_iter().chain(promote).collect();
        better.dedup();
        let features = if spec.features.is_empty() {
            default_features(spec.task)
        } else {
            spec.features.clone()
        };
        let drift = drift_plan(spec.drift.as_ref(), spec.drifting, &features, start);
        let plan = ModelPlan {
            name: spec.name.clone(),
            team: spec.team.clone(),
            task: match spec.task {
                TaskSpec::Classifier => Task::Classifier,
                TaskSpec::Regressor => Task::Regressor,
                TaskSpec::Ranker => Task::Ranker,
            },
            description: spec.description.clone(),
            versions: spec.versions,
            features,
            drifting: spec.drifting,
            latency_ms: spec.latency_ms,
            error_ratio: spec.error_ratio,
            broken: spec.broken.clone(),
            champion,
            better,
            history_days: scenario.history_days,
            drift,
        };
        let mut model = build_model(seed, &plan, start);
        model.tags.extend(spec.tags.clone());
        model
            .aliases
            .insert("champion".into(), champion.to_string());
        if let Some(c) = spec.challenger {
            model.aliases.insert("challenger".into(), c.to_string());
        }
        world.models.push(model);
    }

    for w in &scenario.workloads {
        let spec = w.get_ref();
        let Some(model_spec) = scenario.model(&spec.model) else {
            continue;
        };
        let (Ok(cluster), Ok(namespace), Some(model)) = (
            world.clusters.binary_search(&spec.cluster),
            world.namespaces.binary_search(&spec.namespace),
            world.model_index(&spec.model),
        ) else {
            continue;
        };
        let served = model_spec.resolve(&spec.version).unwrap_or(1);
        let key = mix(
            seed,
            hash_str(&format!(
                "{}/{}/{}/{}",
                spec.cluster, spec.namespace, spec.kind, spec.name
            )),
        );
        let mut rng = Rng::new(key);
        let rv = world.next_rv();
        let desired = if spec.kind.is_batch() {
            0
        } else {
            spec.replicas
        };
        let base_rps = spec.rps.unwrap_or_else(|| default_rps(&mut rng, spec.kind));
        let deploys = crate::revisions::deploys(&spec.deploys, start);
        let stream = spec
            .stream
            .as_ref()
            .map(|s| crate::stream::plan(s, deploys.last().map(|d| d.at)));
        world.workloads.push(WorkloadState {
            cluster: cluster as u16,
            namespace: namespace as u16,
            kind: spec.kind,
            name: spec.name.clone(),
            model: model as u32,
            served,
            canary: spec.canary.as_ref().and_then(|c| {
                Some(CanarySplit {
                    version: model_spec.resolve(&c.version)?,
                    percent: c.percent,
                })
            }),
            desired,
            rollout: None,
            suspended: spec.suspended,
            rv,
            created_at: crate::revisions::created_before(
                start.plus_millis(-(rng.range_u64(20, 90) as i64) * DAY_MS),
                &deploys,
            ),
            key,
            base_rps,
            extra: (!spec.labels.is_empty()
                || !deploys.is_empty()
                || spec.batch.is_some()
                || stream.is_some())
            .then(|| {
                Box::new(Extra {
                    labels: spec.labels.clone(),
                    deploys,
                    batch: spec.batch.as_ref().map(|b| crate::batch::plan(b, start)),
                    stream,
                    ..Extra::default()
                })
            }),
        });
    }
    world.finish_build();

    for spec in &specs {
        let Some(p) = &spec.promotion else { continue };
        let Some(version) = p.version.or(spec.challenger) else {
            continue;
        };
        let Some(mi) = world.model_index(&spec.name) else {
            continue;
        };
        let champion = spec.champion();
        let targets: Vec<WorkloadRef> = world
            .workloads
            .iter()
            .filter(|w| w.model as usize == mi && w.served == champion)
            .map(|w| world.workload_ref(w))
            .collect();
        let requested_at = start.plus_millis(-i64::from(p.hours_ago) * 3_600_000);
        let promotion = Promotion {
            id: format!(
                "promo-{}",
                &crate::rng::Rng::derive(seed, &format!("promo/{}", spec.name)).hex(12)
            ),
            model: spec.name.clone(),
            version: version.to_string(),
            previous_version: Some(champion.to_string()),
            alias: "champion".into(),
            targets,
            requested_by: p.requested_by.clone(),
            reason: p.reason.clone(),
            requested_at,
            state: PromotionState::Requested,
            approvals: Vec::new(),
            gates: Vec::new(),
        };
        seed_ledger(&mut world, &promotion);
        let Ok(json) = serde_json::to_string(&promotion) else {
            continue;
        };
        if let Some(v) = world
            .models
            .get_mut(mi)
            .and_then(|m| m.version_mut(version))
        {
            v.tags.insert(PROMOTION_REQUEST_TAG.into(), json);
        }
    }
    world
}

/// The `ModelPromotion` of a seeded request on each of its target
/// namespaces, as if the requester had asked through the cluster (the
/// sandbox clusters have the ledger installed, so a seeded request can be
/// approved and executed like a new one). Its shared history starts empty:
/// it was requested before this world began keeping one.
fn seed_ledger(world: &mut World, p: &Promotion) {
    let mut sites: Vec<(String, String)> = p
        .targets
        .iter()
        .map(|t| (t.cluster.clone(), t.namespace.clone()))
        .collect();
    sites.sort();
    sites.dedup();
    for (cluster, ns) in sites {
        let rv = world.next_rv().to_string();
        let object = PromotionObject {
            name: p.id.clone(),
            namespace: ns.clone(),
            resource_version: rv,
            spec: PromotionSpec {
                model: p.model.clone(),
                version: p.version.clone(),
                alias: p.alias.clone(),
                targets: p.targets.clone(),
                reason: p.reason.clone(),
                requested_by: p.requested_by.clone(),
            },
            status: PromotionObjectStatus {
                phase: Some("Requested".into()),
                ..PromotionObjectStatus::default()
            },
        };
        world
            .ledgers
            .entry(cluster)
            .or_default()
            .promotions
            .entry(ns)
            .or_default()
            .insert(p.id.clone(), object);
    }
}

/// The drift plan of a model: its `[models.drift]` table, the default
/// sudden and gradual drifts of `drifting = true` where the table names
/// none, times counted back from `start`.
fn drift_plan(
    spec: Option<&DriftSpec>,
    drifting: bool,
    features: &[String],
    start: Timestamp,
) -> DriftPlan {
    let hours = |h: f64| start.plus_millis(-(h * 3_600_000.0).round() as i64);
    let empty = DriftSpec::default();
    let spec = spec.unwrap_or(&empty);
    let (sudden, gradual) = if drifting {
        crate::drift::drifting_defaults(features, start)
    } else {
        (None, None)
    };
    DriftPlan {
        sudden: spec
            .sudden
            .as_ref()
            .map(|s| Step {
                feature: s.feature.clone(),
                at: hours(s.hours_ago),
                shift: s.shift,
            })
            .or(sudden),
        gradual: spec
            .gradual
            .as_ref()
            .map(|g| Ramp {
                feature: g.feature.clone(),
                from: hours(24.0 * g.days),
                per_day: g.shift / g.days,
            })
            .or(gradual),
        seasonal: spec
            .seasonal
            .iter()
            .map(|s| Season {
                feature: s.feature.clone(),
                amplitude: s.amplitude,
            })
            .collect(),
        missing: spec.missing.as_ref().map(|m| Outage {
            feature: m.feature.clone(),
            from: hours(m.hours_ago),
            until: hours(m.hours_ago - m.hours),
            rate: m.rate,
        }),
        protected: spec.protected.as_ref().map(|p| Protected {
            feature: p.feature.clone(),
            outcome: p.outcome.clone(),
            rates: p.rates.clone(),
        }),
        fresh_after: None,
    }
}

/// Default feature names of a task.
pub(crate) fn default_features(task: TaskSpec) -> Vec<String> {
    let names: &[&str] = match task {
        TaskSpec::Classifier => &[
            "tenure_days",
            "sessions_7d",
            "spend_30d",
            "support_tickets_90d",
            "plan_tier",
            "region",
        ],
        TaskSpec::Regressor => &[
            "day_of_week",
            "promo_active",
            "price",
            "lag_7d",
            "lag_28d",
            "temperature",
        ],
        TaskSpec::Ranker => &[
            "bm25_score",
            "ctr_30d",
            "doc_age_days",
            "query_length",
            "embedding_sim",
            "freshness",
        ],
    };
    names.iter().map(|s| s.to_string()).collect()
}

/// Typical traffic of a workload kind.
pub(crate) fn default_rps(rng: &mut Rng, kind: WorkloadKind) -> f64 {
    match kind {
        WorkloadKind::Deployment | WorkloadKind::InferenceService => {
            rng.range_f64(20.0, 600.0).round()
        }
        WorkloadKind::StreamConsumer => rng.range_f64(200.0, 3000.0).round(),
        WorkloadKind::CronJob | WorkloadKind::Pipeline => 0.0,
    }
}
