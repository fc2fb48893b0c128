//! Reading a report's data through the Console, so every front end that
//! writes a report (the CLI today) reads the same things the same way: the
//! drift (`Console::drift`), each charted feature's score over time
//! (`Console::drift_history`), and the p99 latency and error ratio of each
//! workload serving the model (`Console::health`). Markers are the
//! caller's (see [`ReportInput::markers`]).

use crate::{FeatureHistory, HISTORY_POINTS, HealthChart, ReportInput};
use futures::StreamExt;
use modeldeck_core::Console;
use modeldeck_core::console::drift_chart_range;
use modeldeck_core::domain::{Signal, WorkloadRef};
use modeldeck_core::error::PortResult;

/// What to read.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// Registered model.
    pub model: String,
    /// The version (already resolved by the caller).
    pub version: String,
    /// The live window, milliseconds.
    pub window_ms: i64,
    /// Most features to chart (most drifted first); `None`: every one.
    pub max_charts: Option<usize>,
    /// Read serving health.
    pub health: bool,
    /// Where the data comes from, for the footer.
    pub source: String,
}

/// Score histories read at once.
const HISTORY_CONCURRENCY: usize = 6;

/// Columns of a health chart: `Console::health` asks for at most twice as
/// many points.
const HEALTH_COLUMNS: u32 = 240;

/// The health signals a report draws: what, the unit, and the factor from
/// the metrics port's unit (seconds, a 0..1 ratio).
const HEALTH: [(Signal, &str, &str, f64); 2] = [
    (Signal::LatencyP99, "p99 latency", "ms", 1000.0),
    (Signal::ErrorRatio, "error ratio", "%", 100.0),
];

/// Reads everything `req` asks for. The drift itself must be readable
/// (its error is returned); a feature's history or a health series that
/// cannot be read is shown as such in the report.
pub async fn gather(console: &Console, req: &ReportRequest) -> PortResult<ReportInput> {
    let view = console
        .drift(&req.model, &req.version, req.window_ms)
        .await?;
    let mut input = ReportInput {
        drift: view,
        histories: Vec::new(),
        history_range: None,
        health: Vec::new(),
        health_note: None,
        markers: Vec::new(),
        generated_at: console.options().clock.now(),
        source: req.source.clone(),
        max_charts: req.max_charts,
    };
    let names: Vec<String> = crate::charted(&input, req.max_charts.unwrap_or(usize::MAX))
        .iter()
        .map(|r| r.feature.clone())
        .collect();
    let profile = input.drift.profile.clone();
    // A few at a time: each is one or two range queries, and a report of
    // 100 features should not wait for 200 of them in a row.
    let read = |feature: String| {
        let profile = profile.clone();
        async move {
            let h = console
                .drift_history(
                    &req.model,
                    &req.version,
                    &profile,
                    &feature,
                    req.window_ms,
                    HISTORY_POINTS,
                )
                .await;
            match h {
                Ok(points) => FeatureHistory {
                    feature,
                    points,
                    error: None,
                },
                Err(e) => FeatureHistory {
                    feature,
                    points: Vec::new(),
                    error: Some(e.message),
                },
            }
        }
    };
    input.histories = futures::stream::iter(names)
        .map(read)
        .buffered(HISTORY_CONCURRENCY)
        .collect()
        .await;
    let end = input.generated_at;
    input.history_range = Some((end.plus_millis(-drift_chart_range(req.window_ms)), end));
    if req.health {
        read_health(console, req, &mut input).await;
    } else {
        input.health_note = Some("not asked for (--no-health)".into());
    }
    Ok(input)
}

/// The workloads serving `model` in the console's snapshot.
pub fn serving(console: &Console, model: &str) -> Vec<WorkloadRef> {
    console
        .snapshot()
        .workloads_of(model)
        .map(|w| w.id.clone())
        .collect()
}

/// p99 latency and error ratio of each workload serving the model.
async fn read_health(console: &Console, req: &ReportRequest, input: &mut ReportInput) {
    let targets = serving(console, &req.model);
    if targets.is_empty() {
        let snap = console.snapshot();
        input.health_note = Some(match &snap.cluster.error {
            Some(e) => format!("the cluster could not be read ({})", e.message),
            None => format!("no workload serves {}", req.model),
        });
        return;
    }
    for id in &targets {
        let name = format!("{}/{}/{}", id.cluster, id.namespace, id.name);
        match console.health(id, req.window_ms, HEALTH_COLUMNS).await {
            Ok(view) => {
                let versions: Vec<String> = view
                    .served
                    .iter()
                    .map(|s| format!("v{} {}", s.version, s.role))
                    .collect();
                let serving = if versions.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", versions.join(", "))
                };
                for (signal, what, unit, scale) in HEALTH {
                    let title = format!("{what}: {name}{serving}");
                    let s = view.get(signal);
                    input.health.push(HealthChart {
                        title,
                        unit: unit.into(),
                        points: s.map_or(Vec::new(), |s| {
                            s.series
                                .points
                                .iter()
                                .map(|&(t, v)| (t, v * scale))
                                .collect()
                        }),
                        error: s.and_then(|s| s.error.as_ref().map(|e| e.message.clone())),
                    });
                }
            }
            Err(e) => {
                for (_, what, unit, _) in HEALTH {
                    input.health.push(HealthChart {
                        title: format!("{what}: {name}"),
                        unit: unit.into(),
                        points: Vec::new(),
                        error: Some(e.message.clone()),
                    });
                }
            }
        }
    }
}
