//! Large generated worlds for benchmarks and scale tests: any number of
//! clusters, namespaces, models and workloads, built in one pass with
//! compact records so 100,000 workloads stay cheap.

use crate::GenSpec;
use crate::populate::default_rps;
use crate::rng::{Rng, mix};
use crate::training::{ModelPlan, build_model};
use crate::world::{CanarySplit, Task, WorkloadState, World};
use modeldeck_core::domain::{Timestamp, WorkloadKind};

const DAY_MS: i64 = 86_400_000;
const CLUSTERS: [&str; 6] = [
    "prod-eu",
    "prod-us",
    "prod-ap",
    "staging-eu",
    "staging-us",
    "dev",
];
const NAMESPACES: [&str; 8] = [
    "fraud",
    "growth",
    "search",
    "risk",
    "pricing",
    "ads",
    "support",
    "logistics",
];
const MODELS: [(&str, Task, &str); 16] = [
    ("fraud-detector", Task::Classifier, "risk"),
    ("churn-model", Task::Classifier, "growth"),
    ("search-ranker", Task::Ranker, "search"),
    ("demand-forecaster", Task::Regressor, "supply"),
    ("credit-scorer", Task::Classifier, "risk"),
    ("eta-predictor", Task::Regressor, "logistics"),
    ("ad-ctr", Task::Classifier, "ads"),
    ("price-optimizer", Task::Regressor, "pricing"),
    ("recsys-ranker", Task::Ranker, "discovery"),
    ("spam-filter", Task::Classifier, "trust"),
    ("ltv-estimator", Task::Regressor, "growth"),
    ("ticket-router", Task::Classifier, "support"),
    ("query-intent", Task::Classifier, "search"),
    ("inventory-forecaster", Task::Regressor, "supply"),
    ("abuse-detector", Task::Classifier, "trust"),
    ("feed-ranker", Task::Ranker, "discovery"),
];
const FEATURES: [&str; 8] = [
    "f_amount",
    "f_age_days",
    "f_count_7d",
    "f_ratio_30d",
    "f_region",
    "f_device",
    "f_hour",
    "f_segment",
];

/// The start of every generated world: 2026-11-28T09:00:00Z.
pub const GENERATED_START: Timestamp = Timestamp(1_795_856_400_000);

fn nth(pool: &[&str], i: usize, prefix: &str) -> String {
    match pool.get(i) {
        Some(n) => (*n).to_string(),
        None => format!("{prefix}-{i:04}"),
    }
}

/// Builds the world of `spec`, starting at [`GENERATED_START`].
pub(crate) fn generate(spec: &GenSpec) -> World {
    let start = GENERATED_START;
    let seed = spec.seed;
    let mut world = World::new(seed, start);
    let nc = spec.clusters.clamp(1, usize::from(u16::MAX));
    let nn = spec.namespaces.clamp(1, usize::from(u16::MAX));
    world.clusters = (0..nc).map(|i| nth(&CLUSTERS, i, "cluster")).collect();
    world.clusters.sort();
    world.namespaces = (0..nn).map(|i| nth(&NAMESPACES, i, "ns")).collect();
    world.namespaces.sort();
    let versions = u32::try_from(spec.versions_per_model.max(1))
        .unwrap_or(u32::MAX)
        .min(500);

    let mut champions = Vec::with_capacity(spec.models);
    for i in 0..spec.models {
        let (base, task, team) = MODELS.get(i % MODELS.len()).copied().unwrap_or(MODELS[0]);
        let name = if i < MODELS.len() {
            base.to_string()
        } else {
            format!("{base}-{i:04}")
        };
        let challenger = (versions >= 2 && i % 3 == 0).then_some(versions);
        let champion = if challenger.is_some() {
            versions - 1
        } else {
            versions
        };
        let plan = ModelPlan {
            name,
            team: team.to_string(),
            task,
            description: Some(format!(
                "Generated {} model #{i}",
                crate::training::task_name(task)
            )),
            versions,
            features: FEATURES
                .iter()
                .take(4 + i % 5)
                .map(|f| f.to_string())
                .collect(),
            drifting: i % 10 == 7,
            drift: {
                let names: Vec<String> = FEATURES
                    .iter()
                    .take(4 + i % 5)
                    .map(|f| f.to_string())
                    .collect();
                let (sudden, gradual) = if i % 10 == 7 {
                    crate::drift::drifting_defaults(&names, start)
                } else {
                    (None, None)
                };
                crate::drift::DriftPlan {
                    sudden,
                    gradual,
                    ..Default::default()
                }
            },
            latency_ms: 10.0 + (i % 7) as f64 * 6.0,
            error_ratio: 0.001 + (i % 5) as f64 * 0.0008,
            broken: Vec::new(),
            champion,
            better: challenger.into_iter().collect(),
            history_days: 120,
        };
        let mut model = build_model(seed, &plan, start);
        model
            .aliases
            .insert("champion".into(), champion.to_string());
        if let Some(c) = challenger {
            model.aliases.insert("challenger".into(), c.to_string());
        }
        champions.push((champion, challenger));
        world.models.push(model);
    }
    // Models are generated in index order; sort by name and remap.
    let mut order: Vec<usize> = (0..world.models.len()).collect();
    order.sort_by(|a, b| world.models[*a].name.cmp(&world.models[*b].name));
    let mut position = vec![0u32; order.len()];
    for (pos, &orig) in order.iter().enumerate() {
        position[orig] = pos as u32;
    }
    let mut models = std::mem::take(&mut world.models);
    let mut sorted: Vec<Option<crate::world::Model>> = models.drain(..).map(Some).collect();
    world.models = order
        .iter()
        .filter_map(|&i| sorted.get_mut(i).and_then(Option::take))
        .collect();

    let mut rolling = Vec::new();
    if !world.models.is_empty() {
        let mut rng = Rng::derive(seed, "workloads");
        world.workloads.reserve_exact(spec.workloads);
        for i in 0..spec.workloads {
            let mi = i % spec.models;
            let (champion, challenger) = champions.get(mi).copied().unwrap_or((1, None));
            let roll = rng.f64();
            let kind = match roll {
                r if r < 0.70 => WorkloadKind::Deployment,
                r if r < 0.85 => WorkloadKind::InferenceService,
                r if r < 0.95 => WorkloadKind::StreamConsumer,
                _ => WorkloadKind::CronJob,
            };
            let model = position.get(mi).copied().unwrap_or(0);
            let model_name = world
                .models
                .get(model as usize)
                .map_or("model", |m| m.name.as_str());
            let name = format!("{model_name}-{}-{i}", kind.short());
            let key = mix(seed, i as u64 ^ 0xA5A5_0000_0000);
            let canary = match (kind, challenger) {
                (WorkloadKind::InferenceService, Some(c)) if rng.chance(0.3) => Some(CanarySplit {
                    version: c,
                    percent: *rng.pick(&[5u8, 10, 20, 25, 50]).unwrap_or(&10),
                }),
                _ => None,
            };
            let desired = if kind == WorkloadKind::CronJob {
                0
            } else {
                rng.range_u64(1, 12) as u32
            };
            let rv = world.next_rv();
            if kind != WorkloadKind::CronJob
                && champion >= 2
                && canary.is_none()
                && rng.chance(0.02)
            {
                rolling.push(world.workloads.len());
            }
            world.workloads.push(WorkloadState {
                cluster: (i % nc) as u16,
                namespace: ((i / nc) % nn) as u16,
                kind,
                name,
                model,
                served: champion,
                canary,
                desired,
                rollout: None,
                suspended: kind == WorkloadKind::CronJob && rng.chance(0.1),
                rv,
                created_at: start.plus_millis(-(rng.range_u64(5, 200) as i64) * DAY_MS),
                key,
                base_rps: default_rps(&mut rng, kind),
                extra: None,
            });
        }
    }
    // A few rollouts under way at the start (previous version -> champion).
    let mut rng = Rng::derive(seed, "rollouts");
    for idx in rolling {
        if let Some(w) = world.workloads.get_mut(idx) {
            let to = w.served;
            w.served = to - 1;
            let began = start.plus_millis(-(rng.range_u64(0, 20_000) as i64));
            crate::rollout::start(&mut world, idx, to, began);
        }
    }
    world.finish_build();
    crate::rollout::advance(&mut world, start);
    world
}
