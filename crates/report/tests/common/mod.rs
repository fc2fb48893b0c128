//! A report's input read from the sandbox's demo world (simulated
//! backends, virtual clock, fixed seed) through a real Console, and a
//! synthetic wide variant of it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::console::DEFAULT_DRIFT_WINDOW;
use modeldeck_core::domain::Timestamp;
use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_report::{Marker, MarkerKind, ReportInput, ReportRequest, gather};
use modeldeck_sandbox::{ClockMode, Sandbox};

/// The demo world's instant (as the TUI tests use it).
pub const NOW: Timestamp = Timestamp(1_795_869_880_000);

pub async fn console() -> (Sandbox, Console) {
    let sb = Sandbox::demo_with(42, ClockMode::Virtual { start: NOW }).unwrap();
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            profile: "demo".into(),
            sandbox: true,
            clock: sb.clock(),
            ..Default::default()
        },
    );
    console.refresh_all().await;
    (sb, console)
}

/// demand-forecaster v5 over 24 h: lag_7d shifted 20 h ago.
pub async fn demand_forecaster(max_charts: Option<usize>) -> ReportInput {
    let (_sb, console) = console().await;
    let mut input = gather(
        &console,
        &ReportRequest {
            model: "demand-forecaster".into(),
            version: "5".into(),
            window_ms: DEFAULT_DRIFT_WINDOW,
            max_charts,
            health: true,
            source: "the demo sandbox (simulated)".into(),
        },
    )
    .await
    .unwrap();
    // Deploy markers from the workloads' rollout history, as the CLI's
    // (the TUI's) marker gathering reads them.
    for t in modeldeck_report::serving(&console, "demand-forecaster") {
        for r in console.revisions(&t).await.unwrap() {
            input.markers.push(Marker {
                at: r.at.0,
                kind: MarkerKind::Deploy,
                label: format!("deploy {} rev {}", t.name, r.revision),
            });
        }
    }
    input
}

/// A synthetic view of `n` features: demand-forecaster's rows repeated
/// under new names (`f000`...), each with its score-over-time history, so
/// a report's size and time can be measured at the width of a large model.
pub fn synthetic(base: &ReportInput, n: usize) -> ReportInput {
    let mut input = base.clone();
    let rows = base.drift.report.features.clone();
    input.drift.report.features = (0..n)
        .map(|i| {
            let mut r = rows[i % rows.len()].clone();
            r.feature = format!("f{i:03}_{}", r.feature);
            r
        })
        .collect();
    // The share as evaluate() would compute it for these rows.
    let r = &mut input.drift.report;
    let scored = r.features.iter().filter(|f| f.score.is_some()).count();
    r.drifted_share = (scored > 0).then(|| r.drifted().count() as f64 / scored as f64);
    r.dataset_drift = r.drifted_share.is_some_and(|s| s >= r.dataset_threshold);
    input.histories = input
        .drift
        .report
        .features
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut h = base.histories[i % base.histories.len()].clone();
            h.feature = r.feature.clone();
            h
        })
        .collect();
    input
}
