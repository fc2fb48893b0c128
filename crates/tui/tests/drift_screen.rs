//! The Drift screen over a real Console on the sandbox's demo world
//! (simulated backends, virtual clock, fixed seed): from the Fleet's
//! drifting row to the feature that drifted, its score over time against
//! the threshold, and its reference vs live histogram, by keyboard.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::demo::{run_jobs, world};
use common::fixture::NOW;
use crossterm::event::KeyCode;
use modeldeck_core::Console;
use modeldeck_core::chart::MarkerKind;
use modeldeck_core::domain::Signal;
use modeldeck_tui::app::Screen;
use modeldeck_tui::keymap::ScreenKind;
use modeldeck_tui::views::drift::DriftScreen;

const HOUR: i64 = 3_600_000;

async fn harness(console: &Console, w: u16, h: u16) -> Harness {
    let mut t = Harness::new((*console.snapshot()).clone(), w, h);
    t.app.settle();
    run_jobs(&mut t, console).await;
    t
}

fn drift(t: &Harness) -> &DriftScreen {
    match t.app.stack().last() {
        Some(Screen::Drift(d)) => d,
        other => panic!("not on the Drift screen: {other:?}"),
    }
}

/// The Fleet filtered to `name`, `D` on its first row.
async fn open_from_fleet(t: &mut Harness, console: &Console, name: &str) {
    t.type_str("/");
    t.type_str(name);
    t.key(KeyCode::Enter);
    t.draw();
    t.type_str("D");
    run_jobs(t, console).await;
    assert_eq!(t.app.screen(), ScreenKind::Drift);
}

#[tokio::test]
async fn d_on_the_drifting_row_shows_the_features_that_drifted_worst_first() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 200, 50).await;
    open_from_fleet(&mut t, &console, "demand-forecaster").await;
    let d = drift(&t);
    assert_eq!(d.model(), "demand-forecaster");
    assert_eq!(d.version(), Some("5"));
    assert_eq!(d.window_ms(), 24 * HOUR);
    let view = d.data().expect("the drift arrived");
    let drifted: Vec<&str> = view
        .report
        .features
        .iter()
        .filter(|f| f.score.is_some_and(|s| s.drifted))
        .map(|f| f.feature.as_str())
        .collect();
    assert!(drifted.contains(&"lag_7d"), "{drifted:?}");
    assert!(drifted.contains(&"temperature"), "{drifted:?}");
    // Worst first: the cursor starts on the sudden shift.
    assert_eq!(d.selected_row().unwrap().feature, "lag_7d");
    // The score over time of the selected feature was read.
    let history = d.history().expect("the history arrived");
    assert!(history.len() > 10, "{}", history.len());
    // Over the 7 days the chart covers, lag_7d is fine until the shift 20 h
    // before the start and drifts from shortly after it on.
    let first = history.iter().find(|p| p.score.drifted).expect("it drifts");
    assert!(!history[0].score.drifted);
    assert!(history.last().unwrap().score.drifted);
    let shift = NOW.0 - 20 * HOUR;
    assert!(
        first.at.0 > shift && first.at.0 < shift + 6 * HOUR,
        "first drifted point at {} h from the start",
        (first.at.0 - NOW.0) as f64 / HOUR as f64
    );
    // The deploy that caused it is on the timeline, at the shift.
    let deploy = d
        .markers()
        .iter()
        .find(|m| m.kind == MarkerKind::Deploy && m.at == shift)
        .expect("a deploy marker at the shift");
    assert!(
        deploy.label.contains("transformer 2.4.0"),
        "{}",
        deploy.label
    );
    let screen = t.draw();
    assert!(screen.contains("Drift(demand-forecaster v5)"), "{screen}");
    assert!(screen.contains("lag_7d"), "{screen}");
    assert!(screen.contains("drift"), "{screen}");
    // j moves to the next feature and reads its history.
    t.type_str("j");
    run_jobs(&mut t, &console).await;
    let d = drift(&t);
    assert_eq!(d.selected_row().unwrap().feature, "temperature");
}

#[tokio::test]
async fn windows_cycle_and_the_seasonal_model_alarms_only_on_a_short_window() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 200, 50).await;
    t.command("drift eta-predictor");
    run_jobs(&mut t, &console).await;
    let drifted = |t: &Harness| {
        drift(t)
            .data()
            .unwrap()
            .report
            .features
            .iter()
            .filter(|f| f.score.is_some_and(|s| s.drifted))
            .count()
    };
    assert_eq!(drift(&t).window_ms(), 24 * HOUR);
    assert_eq!(drifted(&t), 0, "a whole day matches the seasonal reference");
    // w: 24h -> 7d -> 1h.
    t.type_str("w");
    run_jobs(&mut t, &console).await;
    assert_eq!(drift(&t).window_ms(), 7 * 24 * HOUR);
    t.type_str("w");
    run_jobs(&mut t, &console).await;
    assert_eq!(drift(&t).window_ms(), HOUR);
    assert!(drifted(&t) > 0, "one hour of a daily cycle is not the day");
    // W goes back.
    t.type_str("W");
    run_jobs(&mut t, &console).await;
    assert_eq!(drift(&t).window_ms(), 7 * 24 * HOUR);
}

#[tokio::test]
async fn the_missing_value_incident_shows_in_the_missing_column() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 200, 50).await;
    t.command("drift fraud-detector");
    run_jobs(&mut t, &console).await;
    // 6 h covers the 3 h outage that started 5 h before the start.
    t.type_str("W");
    run_jobs(&mut t, &console).await;
    assert_eq!(drift(&t).window_ms(), 6 * HOUR);
    let view = drift(&t).data().unwrap();
    let row = view
        .report
        .features
        .iter()
        .find(|f| f.feature == "device_risk_score")
        .unwrap();
    let missing = row.quality.missing_rate.unwrap();
    assert!(missing > 0.1, "{missing}");
    let screen = t.draw();
    let line = screen
        .lines()
        .find(|l| l.contains("device_risk_score"))
        .unwrap();
    assert!(line.contains("(ref "), "{line}");
}

#[tokio::test]
async fn bad_requests_say_what_is_wrong() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 120, 30).await;
    t.command("drift no-such-model");
    let screen = t.draw();
    assert!(
        screen.contains("no registered model named \"no-such-model\""),
        "{screen}"
    );
    assert_eq!(t.app.screen(), ScreenKind::Fleet);
    t.command("drift");
    let screen = t.draw();
    assert!(screen.contains("usage: :drift <model>"), "{screen}");
    // A version with no reference profile names the tag and the fix.
    t.command("drift fraud-detector 999");
    run_jobs(&mut t, &console).await;
    let screen = t.draw();
    assert!(screen.contains("Cannot compute drift"), "{screen}");
    // One version served: v says so.
    t.type_str("v");
    let screen = t.draw();
    assert!(screen.contains("only one version"), "{screen}");
    // q goes back to the Fleet.
    t.type_str("q");
    assert_eq!(t.app.screen(), ScreenKind::Fleet);
}

/// Snapshots of the Drift screen at both sizes: `build` drives the app
/// from the Fleet of a fresh world.
async fn snap_drift(name: &str, keys: &[&str]) {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let (_sb, console) = world().await;
        let mut t = harness(&console, w, h).await;
        for k in keys {
            match *k {
                "<tab>" => t.key(KeyCode::Tab),
                "<jobs>" => run_jobs(&mut t, &console).await,
                k if k.starts_with(':') => t.command(&k[1..]),
                k => t.type_str(k),
            }
        }
        let screen = t.draw();
        assert!(!screen.contains('\u{1b}'));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.terminal.backend());
    }
}

#[tokio::test]
async fn snapshots_of_the_drift_screen() {
    // Loading: the jobs have not answered yet.
    snap_drift("drift_loading", &[":drift demand-forecaster"]).await;
    // The drifting feature, its score over time with the deploy marker and
    // the threshold crossing (side by side with the histogram at 200x50).
    snap_drift("drift_lag_7d", &[":drift demand-forecaster", "<jobs>"]).await;
    // The histogram panel at 80 columns (tab), on the categorical feature
    // sorted last by severity.
    snap_drift(
        "drift_histogram",
        &[":drift demand-forecaster", "<jobs>", "<tab>"],
    )
    .await;
    // A feature without drift, 1 h window of the seasonal model.
    snap_drift(
        "drift_seasonal_1h",
        &[":drift eta-predictor", "<jobs>", "W", "<jobs>"],
    )
    .await;
    // No reference profile for that version.
    snap_drift("drift_failed", &[":drift fraud-detector 999", "<jobs>"]).await;
}

#[tokio::test]
async fn the_workload_detail_charts_its_health_with_the_deploy_marker() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 200, 50).await;
    t.type_str("/");
    t.type_str("demand-forecaster");
    t.key(KeyCode::Enter);
    t.draw();
    t.type_str("d");
    run_jobs(&mut t, &console).await;
    let Some(Screen::Workload(v)) = t.app.stack().last() else {
        panic!("not on the workload detail");
    };
    let h = v.health().data().expect("the health arrived");
    assert_eq!(h.signals.len(), 5);
    // At most two points per column of a 200-column panel, never 11,000.
    for s in &h.signals {
        assert!(s.error.is_none(), "{:?}", s.error);
        let n = s.series.points.len();
        assert!(n > 50 && n <= 400, "{:?}: {n} points", s.signal);
    }
    assert!(
        v.health()
            .markers()
            .iter()
            .any(|m| m.kind == MarkerKind::Deploy && m.at == NOW.0 - 20 * HOUR),
        "{:?}",
        v.health().markers()
    );
    let screen = t.draw();
    for title in [
        "latency over 24h",
        "traffic over 24h",
        "errors over 24h",
        "Events",
    ] {
        assert!(screen.contains(title), "{title}:\n{screen}");
    }
    insta::assert_snapshot!("workload_health_200x50", t.terminal.backend());
    // w: the 7 d window re-reads.
    t.type_str("w");
    run_jobs(&mut t, &console).await;
    let screen = t.draw();
    assert!(screen.contains("latency over 7d"), "{screen}");
}

#[tokio::test]
async fn on_a_short_terminal_tab_switches_events_and_health() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 80, 24).await;
    t.type_str("d");
    run_jobs(&mut t, &console).await;
    let screen = t.draw();
    assert!(screen.contains("Events"), "{screen}");
    assert!(!screen.contains("latency over"), "{screen}");
    t.key(KeyCode::Tab);
    let screen = t.draw();
    assert!(screen.contains("latency over 24h"), "{screen}");
    insta::assert_snapshot!("workload_health_80x24", t.terminal.backend());
}

#[tokio::test]
async fn fairness_shows_under_the_summary_when_the_model_has_data() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 200, 50).await;
    t.command("drift credit-scorer");
    run_jobs(&mut t, &console).await;
    let f = drift(&t)
        .fairness()
        .expect("credit-scorer has fairness data");
    let age = f
        .attributes
        .iter()
        .find(|a| a.fairness.attribute == "age_band")
        .unwrap();
    assert_eq!(age.fairness.worst_group.as_deref(), Some("18-25"));
    let screen = t.draw();
    let line = screen
        .lines()
        .find(|l| l.contains("fairness: "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(line.contains("age_band unfair"), "{line}");
    assert!(line.contains("worst 18-25"), "{line}");
    insta::assert_snapshot!("drift_fairness_200x50", t.terminal.backend());
    // A model without fairness data shows no fairness line.
    t.command("drift demand-forecaster");
    run_jobs(&mut t, &console).await;
    assert!(drift(&t).fairness().is_none());
    assert!(!t.draw().contains("fairness: "));
}

#[tokio::test]
async fn a_canary_workload_charts_each_version_side_by_side() {
    let (_sb, console) = world().await;
    let mut t = harness(&console, 200, 50).await;
    t.type_str("/");
    t.type_str("search-ranker");
    t.key(KeyCode::Enter);
    t.draw();
    // The prod-us InferenceService runs 10 % on the challenger.
    for _ in 0..4 {
        let at = t.app.fleet().selected_row().map(|r| r.cluster.clone());
        if at.as_deref() == Some("prod-us") {
            break;
        }
        t.type_str("j");
        t.draw();
    }
    let row = t.app.fleet().selected_row().expect("a row");
    assert_eq!(
        (row.cluster.as_str(), row.name.as_str()),
        ("prod-us", "search-ranker")
    );
    t.type_str("d");
    run_jobs(&mut t, &console).await;
    let Some(Screen::Workload(v)) = t.app.stack().last() else {
        panic!("not on the workload detail");
    };
    let h = v.health().data().expect("the health arrived");
    assert!(h.per_version, "{h:?}");
    let p99 = h.get(Signal::LatencyP99).expect("p99");
    let who: Vec<(&str, Option<&str>)> = p99
        .by_version
        .iter()
        .map(|p| (p.version.as_str(), p.role))
        .collect();
    assert_eq!(who, [("5", Some("stable")), ("6", Some("canary"))]);
    let screen = t.draw();
    for text in [
        "p99 latency by version over 24h",
        "traffic by version over 24h",
        "v5 stable",
        "v6 canary",
    ] {
        assert!(screen.contains(text), "{text}:\n{screen}");
    }
    assert!(!screen.contains("mixed"), "{screen}");
    insta::assert_snapshot!("workload_health_canary_200x50", t.terminal.backend());
}
