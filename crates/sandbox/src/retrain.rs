//! Retraining in the simulated world. A model whose data drifts (a sudden
//! or gradual shift in its drift plan: demand-forecaster in the demo) has
//! a suspended nightly CronJob `<model>-retrain` labelled
//! `modeldeck.io/retrain-for=<model>` in the cluster and namespace of its
//! first workload; its pod template runs a training image. A run started
//! by hand is a Job whose progress is a pure function of its creation time
//! (pending for [`PENDING_MS`], running for [`RUNNING_MS`], then
//! succeeded), measured on the sandbox clock or on real time since it was
//! started, whichever moved further: a one-shot `--sandbox` world is frozen
//! for reproducible output, yet `retrain --follow` sees its run finish. The
//! world keeps no record of a run (its uid carries the real start time);
//! `retrain_status` answers from the run it is given. The API
//! server (`modeldeck sandbox serve`) seeds the same CronJob and runs its
//! Jobs with its own simulated Job controller.

use crate::world::World;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};

/// How long a sandbox run waits before its pod starts.
pub const PENDING_MS: i64 = 2_000;
/// How long a sandbox run's pod trains.
pub const RUNNING_MS: i64 = 4_000;

/// The training pipelines of `model` in `world` (none for a model without
/// drift, or not served anywhere).
pub(crate) fn sources(world: &World, model: &str) -> Vec<RetrainSource> {
    let Some(mi) = world.model_index(model) else {
        return Vec::new();
    };
    let Some(m) = world.models.get(mi) else {
        return Vec::new();
    };
    if m.drift.sudden.is_none() && m.drift.gradual.is_none() {
        return Vec::new();
    }
    let Some(w) = world.workloads.iter().find(|w| w.model as usize == mi) else {
        return Vec::new();
    };
    let cluster = world
        .clusters
        .get(w.cluster as usize)
        .cloned()
        .unwrap_or_default();
    let namespace = world
        .namespaces
        .get(w.namespace as usize)
        .cloned()
        .unwrap_or_default();
    vec![RetrainSource {
        cluster,
        namespace,
        name: format!("{model}-retrain"),
        kind: RetrainSourceKind::CronJob,
        model: model.to_string(),
        schedule: Some("0 2 * * *".into()),
        suspended: true,
        containers: vec![RetrainContainer {
            name: "train".into(),
            image: format!("registry.example.com/ml/{model}-train:2026.11"),
            command: vec![
                "python".into(),
                "-m".into(),
                "train".into(),
                "--register".into(),
            ],
            env: vec![
                ("MODEL_NAME".into(), model.to_string()),
                (
                    "TRAINING_DATA".into(),
                    format!("s3://{}-data/{model}/latest/", m.team),
                ),
                (
                    "MLFLOW_TRACKING_URI".into(),
                    "http://mlflow.mlops:5000".into(),
                ),
            ],
        }],
    }]
}

/// Starts a run of `source` (which must be one of the model's sources).
pub(crate) fn start(
    world: &World,
    source: &RetrainSource,
    request: &RetrainRequest,
) -> PortResult<RetrainRun> {
    if !sources(world, &request.model).iter().any(|s| s == source)
        && crate::run_now::cronjob(world, source).is_none()
    {
        return Err(BackendError::not_found(
            Backend::Cluster,
            format!(
                "{source} not found (labelled {RETRAIN_LABEL}={})",
                request.model
            ),
        ));
    }
    let now = world.now;
    let wall = Timestamp::now().0;
    let suffix: String = format!("{:x}", (wall as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .chars()
        .take(5)
        .collect();
    let name = format!("{}-manual-{suffix}", source.name);
    let run = RetrainRun {
        cluster: source.cluster.clone(),
        namespace: source.namespace.clone(),
        uid: if request.dry_run {
            String::new()
        } else {
            format!("sandbox-job-{suffix}-{wall}")
        },
        name,
        kind: RetrainRunKind::Job,
        source: source.name.clone(),
        model: source.model.clone(),
        dry_run: request.dry_run,
        phase: RetrainPhase::Pending,
        active: 0,
        succeeded: 0,
        failed: 0,
        created_at: Some(now),
        started_at: None,
        completed_at: None,
        message: None,
        pod: None,
        log_tail: Vec::new(),
    };
    Ok(run)
}

/// `run` at the world's now, with its log tail.
pub(crate) fn status(world: &World, run: &RetrainRun, lines: usize) -> PortResult<RetrainRun> {
    let created = run.created_at.ok_or_else(|| {
        BackendError::new(
            Backend::Cluster,
            ErrorCode::InvalidRequest,
            format!("{run} has no creation time"),
        )
    })?;
    if run.dry_run {
        return Err(BackendError::not_found(
            Backend::Cluster,
            format!("{run} was a dry run and never existed"),
        ));
    }
    // Elapsed: on the world's clock, or in real time since the start.
    let wall_start = run
        .uid
        .rsplit('-')
        .next()
        .and_then(|t| t.parse::<i64>().ok());
    let real = wall_start.map_or(0, |t| Timestamp::now().0 - t);
    let now = created.plus_millis((world.now.0 - created.0).max(real));
    if let Some(out) = crate::run_now::status(world, run, created, now, lines) {
        return Ok(out);
    }
    let start = created.plus_millis(PENDING_MS);
    let end = start.plus_millis(RUNNING_MS);
    let mut out = run.clone();
    let suffix: String = run
        .name
        .rsplit('-')
        .next()
        .unwrap_or("")
        .chars()
        .rev()
        .collect();
    out.pod = Some(format!("{}-{suffix}", run.name));
    if now < start {
        out.phase = RetrainPhase::Pending;
        out.active = 1;
        return Ok(out);
    }
    out.started_at = Some(start);
    let done = now >= end;
    out.phase = if done {
        RetrainPhase::Succeeded
    } else {
        RetrainPhase::Running
    };
    out.active = u32::from(!done);
    out.succeeded = u32::from(done);
    out.completed_at = done.then_some(end);
    let src = sources(world, &run.model);
    let (image, data) = src
        .first()
        .and_then(|s| s.containers.first())
        .map(|c| {
            let data = c
                .env
                .iter()
                .find(|(k, _)| k == "TRAINING_DATA")
                .map(|(_, v)| v.clone());
            (c.image.clone(), data.unwrap_or_default())
        })
        .unwrap_or_default();
    let log = training_log(
        &run.model,
        &image,
        &data,
        start.0,
        now.0.min(end.0),
        done.then_some(0),
    );
    out.log_tail = log[log.len().saturating_sub(lines)..].to_vec();
    Ok(out)
}

/// The simulated log of a training pod that started at `started_ms`: two
/// start-up lines, an epoch a second up to `until_ms`, and a last line
/// when it ended with `exit_code`. Shared with the API server's Job pods.
pub fn training_log(
    model: &str,
    image: &str,
    data: &str,
    started_ms: i64,
    until_ms: i64,
    exit_code: Option<i64>,
) -> Vec<String> {
    let secs = ((until_ms - started_ms) / 1000).clamp(0, 600);
    let mut lines = vec![
        format!("INFO training {model} with image {image}"),
        format!("INFO reading training data {data}"),
    ];
    for s in 1..=secs {
        lines.push(format!(
            "INFO epoch {s}: loss {:.4}",
            1.0 / (1.0 + s as f64)
        ));
    }
    match exit_code {
        Some(0) => lines.push(format!("INFO registered a new version of {model}; done")),
        Some(code) => lines.push(format!("ERROR training failed (exit code {code})")),
        None => {}
    }
    lines
}
