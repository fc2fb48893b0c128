//! Version histories of registered models: each version with a seeded
//! training run (task-appropriate metrics, params that evolve a little from
//! version to version, MLflow-style tags) and its serving characteristics.

use crate::rng::{Rng, hash_str};
use crate::world::{Feature, Model, Task, Traits, Version};
use modeldeck_core::domain::{RunData, Timestamp, VersionStatus};
use std::collections::BTreeMap;

#[path = "training_evidence.rs"]
pub(crate) mod evidence;

const DAY_MS: i64 = 86_400_000;
const USERS: [&str; 6] = [
    "alice.nguyen",
    "bharat.rao",
    "chen.wei",
    "dana.kowalski",
    "emeka.obi",
    "farah.haddad",
];
const RUN_WORDS: [&str; 12] = [
    "amber", "brisk", "calm", "dapper", "eager", "fuzzy", "gentle", "hazy", "ivory", "jolly",
    "keen", "lucid",
];
const RUN_NOUNS: [&str; 10] = [
    "otter", "heron", "lynx", "finch", "badger", "koala", "marmot", "wren", "ibis", "gecko",
];

/// What to build for one model.
#[derive(Debug, Clone)]
pub(crate) struct ModelPlan {
    pub name: String,
    pub team: String,
    pub task: Task,
    pub description: Option<String>,
    pub versions: u32,
    pub features: Vec<String>,
    pub drifting: bool,
    /// Median serving latency of a typical version, milliseconds.
    pub latency_ms: f64,
    /// Error ratio of a typical version.
    pub error_ratio: f64,
    /// Versions whose pods never get ready.
    pub broken: Vec<u32>,
    /// The champion; a version in `better` beats it offline.
    pub champion: u32,
    pub better: Vec<u32>,
    /// Days of history before `start`.
    pub history_days: u32,
    /// How the input data moves (`drifting` adds `fresh_after`).
    pub drift: crate::drift::DriftPlan,
}

/// How long before the start a version retrained on recent data (a
/// drifting model's versions after the champion) was registered.
pub(crate) const FRESH_HOURS_AGO: i64 = 3;

/// Builds a model with its versions and runs, as of `start`.
pub(crate) fn build_model(seed: u64, plan: &ModelPlan, start: Timestamp) -> Model {
    let mut rng = Rng::derive(seed, &plan.name);
    let n = plan.versions.max(1);
    let span = i64::from(plan.history_days.max(1)) * DAY_MS;
    let created_at = start.plus_millis(-span);
    let base = match plan.task {
        Task::Classifier => rng.range_f64(0.84, 0.91),
        Task::Regressor => rng.range_f64(6.0, 40.0),
        Task::Ranker => rng.range_f64(0.40, 0.52),
    };
    let mut quality = Vec::with_capacity(n as usize);
    let mut q = 0.0;
    for _ in 0..n {
        quality.push(q);
        q += rng.range_f64(-0.004, 0.011);
    }
    let champion_q = quality
        .get(plan.champion.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(0.0);
    for b in &plan.better {
        if let Some(slot) = quality.get_mut(b.saturating_sub(1) as usize) {
            *slot = slot.max(champion_q + rng.range_f64(0.005, 0.009));
        }
    }
    let mut params = first_params(&mut rng, plan.task);
    let mut versions = Vec::with_capacity(n as usize);
    let slot = span / i64::from(n + 1);
    for (i, q) in (1..=n).zip(quality) {
        if i > 1 {
            evolve_params(&mut rng, &mut params);
        }
        let jitter = (rng.range_f64(-0.3, 0.3) * slot as f64) as i64;
        let fresh = plan.drifting && i > plan.champion;
        // A drifting model's newer versions were retrained on the last
        // hours of data (after the sudden shift), registered just now.
        let at = if fresh {
            start.plus_millis(
                -FRESH_HOURS_AGO * 3_600_000 + i64::from(i - plan.champion - 1) * 600_000,
            )
        } else {
            created_at.plus_millis(slot * i64::from(i) + jitter)
        };
        let user = rng.pick(&USERS).copied().unwrap_or("alice.nguyen");
        let run = run(&mut rng, plan, i, q, base, &params, at, user);
        let traits = Traits {
            latency_s: plan.latency_ms / 1000.0 * rng.range_f64(0.85, 1.2),
            error_ratio: plan.error_ratio * rng.range_f64(0.7, 1.4),
            broken: plan.broken.contains(&i),
        };
        // The draw of the drift factor versions once had: kept so every
        // later draw (and so every run, param and tag) stays as it was.
        let _ = rng.f64();
        let mut tags = BTreeMap::new();
        tags.insert("validation_status".to_string(), "passed".to_string());
        tags.insert(
            "git_commit".to_string(),
            run.tags
                .get("mlflow.source.git.commit")
                .map(|c| c.chars().take(7).collect())
                .unwrap_or_default(),
        );
        // Every version but the first of a model with more than two has a
        // reference profile (the team adopted `modeldeck profile build` after v1).
        if i > 1 || n <= 2 {
            tags.insert(
                modeldeck_core::drift::PROFILE_TAG.to_string(),
                modeldeck_core::drift::PROFILE_ARTIFACT.to_string(),
            );
        }
        let description = if fresh {
            format!(
                "Retrained on recent data up to {}",
                at.plus_millis(-crate::drift::FRESH_DATA_LAG_MS).rfc3339()
            )
        } else {
            format!(
                "Retrained on data up to {}",
                at.plus_millis(-DAY_MS).rfc3339().get(..10).unwrap_or("")
            )
        };
        versions.push(Version {
            number: i,
            status: VersionStatus::Ready,
            tags,
            description: Some(description),
            user: Some(user.to_string()),
            created_at: at,
            traits,
            run,
        });
    }
    let updated_at = versions.last().map_or(created_at, |v| v.created_at);
    let features = features(plan);
    let mut drift = plan.drift.clone();
    if plan.drifting && n > plan.champion {
        drift.fresh_after = Some(plan.champion);
    }
    let mut tags = BTreeMap::new();
    tags.insert("team".to_string(), plan.team.clone());
    tags.insert("task".to_string(), task_name(plan.task).to_string());
    Model {
        name: plan.name.clone(),
        description: plan.description.clone(),
        tags,
        aliases: BTreeMap::new(),
        created_at,
        updated_at,
        team: plan.team.clone(),
        features,
        drift,
        versions,
    }
}

/// The task's name as written in scenarios and tags.
pub(crate) fn task_name(t: Task) -> &'static str {
    match t {
        Task::Classifier => "classifier",
        Task::Regressor => "regressor",
        Task::Ranker => "ranker",
    }
}

fn features(plan: &ModelPlan) -> Vec<Feature> {
    plan.features
        .iter()
        .map(|name| Feature {
            name: name.clone(),
            key: hash_str(name),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn run(
    rng: &mut Rng,
    plan: &ModelPlan,
    version: u32,
    q: f64,
    base: f64,
    params: &BTreeMap<String, String>,
    at: Timestamp,
    user: &str,
) -> RunData {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: f64| {
        m.insert(k.to_string(), (v * 10_000.0).round() / 10_000.0);
    };
    match plan.task {
        Task::Classifier => {
            let auc = (base + q).min(0.995);
            let precision = (auc - 0.09 + rng.range_f64(-0.002, 0.002)).min(0.99);
            let recall = (auc - 0.14 + rng.range_f64(-0.002, 0.002)).min(0.99);
            put("auc", auc);
            put("precision", precision);
            put("recall", recall);
            put("f1", 2.0 * precision * recall / (precision + recall));
            put(
                "accuracy",
                (auc + 0.03 + rng.range_f64(-0.002, 0.002)).min(0.999),
            );
            put(
                "log_loss",
                (0.62 - 0.55 * auc + rng.range_f64(-0.001, 0.001)).max(0.01),
            );
        }
        Task::Regressor => {
            let rmse = base * (1.0 - 2.0 * q);
            put("rmse", rmse);
            put("mae", rmse * (0.76 + rng.range_f64(-0.003, 0.003)));
            put(
                "mape",
                0.12 * (1.0 - 2.0 * q) + rng.range_f64(-0.0004, 0.0004),
            );
            put("r2", (0.78 + q + rng.range_f64(-0.001, 0.001)).min(0.99));
        }
        Task::Ranker => {
            let ndcg = (base + q).min(0.95);
            put("ndcg_at_10", ndcg);
            put("map_at_10", ndcg - 0.07 + rng.range_f64(-0.001, 0.001));
            put("mrr", ndcg + 0.06 + rng.range_f64(-0.001, 0.001));
        }
    }
    let commit = rng.hex(40);
    let run_id = rng.hex(32);
    let mut tags = BTreeMap::new();
    tags.insert("mlflow.user".to_string(), user.to_string());
    tags.insert(
        "mlflow.runName".to_string(),
        format!(
            "{}-{}",
            rng.pick(&RUN_WORDS).copied().unwrap_or("calm"),
            rng.pick(&RUN_NOUNS).copied().unwrap_or("otter")
        ),
    );
    tags.insert("mlflow.source.type".to_string(), "JOB".to_string());
    tags.insert("mlflow.source.git.commit".to_string(), commit);
    tags.insert("team".to_string(), plan.team.clone());
    tags.insert(
        "dataset".to_string(),
        format!(
            "{}-features@{}",
            plan.name,
            at.plus_millis(-DAY_MS).rfc3339().get(..10).unwrap_or("")
        ),
    );
    tags.insert("model_version".to_string(), version.to_string());
    RunData {
        run_id,
        metrics: m,
        params: params.clone(),
        tags,
        started_at: Some(at.plus_millis(-(rng.range_u64(1, 6) as i64) * 3_600_000)),
    }
}

fn first_params(rng: &mut Rng, task: Task) -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    let framework = *rng.pick(&["xgboost", "lightgbm"]).unwrap_or(&"xgboost");
    let objective = match (task, framework) {
        (Task::Classifier, "xgboost") => "binary:logistic",
        (Task::Classifier, _) => "binary",
        (Task::Regressor, "xgboost") => "reg:squarederror",
        (Task::Regressor, _) => "regression",
        (Task::Ranker, "xgboost") => "rank:ndcg",
        (Task::Ranker, _) => "lambdarank",
    };
    p.insert("framework".to_string(), framework.to_string());
    p.insert("objective".to_string(), objective.to_string());
    for key in [
        "learning_rate",
        "max_depth",
        "n_estimators",
        "subsample",
        "min_child_weight",
    ] {
        p.insert(key.to_string(), param_value(rng, key));
    }
    p.insert(
        "train_rows".to_string(),
        (rng.range_u64(200, 900) * 10_000).to_string(),
    );
    p
}

fn param_value(rng: &mut Rng, key: &str) -> String {
    match key {
        "learning_rate" => rng
            .pick(&["0.01", "0.02", "0.03", "0.05", "0.08", "0.1"])
            .copied()
            .unwrap_or("0.05")
            .to_string(),
        "max_depth" => rng.range_u64(4, 12).to_string(),
        "n_estimators" => (rng.range_u64(2, 24) * 50).to_string(),
        "subsample" => format!("{:.2}", rng.range_f64(0.6, 1.0)),
        "min_child_weight" => rng.range_u64(1, 10).to_string(),
        _ => (rng.range_u64(200, 900) * 10_000).to_string(),
    }
}

/// Changes one or two params, as a data scientist tuning between versions would.
fn evolve_params(rng: &mut Rng, params: &mut BTreeMap<String, String>) {
    const TUNABLE: [&str; 6] = [
        "learning_rate",
        "max_depth",
        "n_estimators",
        "subsample",
        "min_child_weight",
        "train_rows",
    ];
    for _ in 0..rng.range_u64(1, 2) {
        if let Some(key) = rng.pick(&TUNABLE) {
            let v = param_value(rng, key);
            params.insert((*key).to_string(), v);
        }
    }
}
