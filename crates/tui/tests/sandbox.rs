//! The screens over a real Console on the sandbox's demo world (virtual
//! clock, fixed seed): jobs are executed by `jobs::execute` against the
//! console, so versions, runs, comparisons and events are the world's.
//! Also the whole event loop (`run_on`) on a TestBackend fed by a channel.

// Test helpers outside #[test] functions unwrap too (clippy.toml only
// exempts the test functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::demo::{run_jobs, world};
use common::fixture::NOW;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use modeldeck_core::error::Backend;
use modeldeck_core::{Console, ConsoleOptions};
use modeldeck_sandbox::{ClockMode, Sandbox};
use modeldeck_tui::keymap::ScreenKind;
use modeldeck_tui::{Action, TuiOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

/// Runs every job the app asked for against the console, feeding the
/// answers back, until it asks for nothing more.
async fn harness(console: &Console, w: u16, h: u16) -> Harness {
    let mut t = Harness::new((*console.snapshot()).clone(), w, h);
    t.app.settle();
    run_jobs(&mut t, console).await;
    t
}

/// Snapshots a scene built by an async closure at both sizes.
macro_rules! snap_world {
    ($name:expr, |$t:ident, $console:ident, $sb:ident| $body:block) => {{
        for (w, h) in [(80u16, 24u16), (200, 50)] {
            let ($sb, $console) = world().await;
            let _ = &$sb;
            let mut $t = harness(&$console, w, h).await;
            $body
            let screen = $t.draw();
            assert!(!screen.contains('\u{1b}'));
            insta::assert_snapshot!(format!("{}_{}x{}", $name, w, h), $t.terminal.backend());
        }
    }};
}

#[tokio::test]
async fn demo_fleet() {
    snap_world!("demo_fleet", |t, console, sb| {});
}

#[tokio::test]
async fn demo_fleet_sorted_by_drift() {
    snap_world!("demo_fleet_drift", |t, console, sb| {
        t.type_str("F");
    });
}

#[tokio::test]
async fn demo_models() {
    snap_world!("demo_models", |t, console, sb| {
        t.command("models");
    });
}

#[tokio::test]
async fn demo_versions_of_fraud_detector() {
    snap_world!("demo_versions", |t, console, sb| {
        t.command("models");
        t.type_str("/fraud");
        t.key(KeyCode::Enter);
        t.key(KeyCode::Enter);
        run_jobs(&mut t, &console).await;
        assert_eq!(t.app.screen(), ScreenKind::Versions);
    });
}

#[tokio::test]
async fn demo_compare_champion_and_challenger() {
    snap_world!("demo_compare", |t, console, sb| {
        t.command("compare fraud-detector champion challenger");
        run_jobs(&mut t, &console).await;
        let Some(modeldeck_tui::app::Screen::Compare(c)) = t.app.stack().last() else {
            panic!("compare on top");
        };
        let cmp = c.comparison().expect("the comparison arrived");
        assert_eq!(
            (
                cmp.a.version.version.as_str(),
                cmp.b.version.version.as_str()
            ),
            ("7", "8")
        );
    });
}

#[tokio::test]
async fn demo_compare_differences_only() {
    snap_world!("demo_compare_diff_only", |t, console, sb| {
        t.command("compare fraud-detector champion challenger");
        run_jobs(&mut t, &console).await;
        t.type_str("d");
    });
}

#[tokio::test]
async fn demo_workload_detail_after_a_rollout() {
    snap_world!("demo_workload", |t, console, sb| {
        // Roll fraud-detector in prod-eu to the challenger and let it progress.
        let snap = console.snapshot();
        let w = snap
            .workloads
            .iter()
            .find(|w| w.id.name == "fraud-detector" && w.id.cluster == "prod-eu")
            .expect("demo workload");
        console
            .backends()
            .cluster
            .set_served_version(&w.id, "8", Some(&w.resource_version))
            .await
            .unwrap();
        sb.advance(Duration::from_secs(20));
        console.refresh_cluster().await;
        t.act(Action::Snapshot(console.snapshot()));
        t.act(Action::Tick(console.options().clock.now()));
        t.type_str("/prod-eu risk fraud-detector");
        t.key(KeyCode::Enter);
        t.type_str("d");
        run_jobs(&mut t, &console).await;
        assert_eq!(t.app.screen(), ScreenKind::Workload);
    });
}

#[tokio::test]
async fn demo_registry_outage_makes_models_stale() {
    snap_world!("demo_models_registry_down", |t, console, sb| {
        sb.advance(Duration::from_secs(60));
        sb.set_outage(Backend::Registry, true);
        assert!(!console.refresh_registry().await);
        t.act(Action::Snapshot(console.snapshot()));
        t.command("models");
    });
}

#[tokio::test]
async fn demo_compare_fails_when_the_registry_is_down() {
    snap_world!("demo_compare_registry_down", |t, console, sb| {
        sb.set_outage(Backend::Registry, true);
        t.command("compare fraud-detector 7 8");
        run_jobs(&mut t, &console).await;
    });
}

fn key(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn code(c: KeyCode) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

/// The real loop: starts the console's refresh, turns keys into actions,
/// runs jobs in tasks, draws; here it ends when the event stream does.
#[tokio::test(start_paused = true)]
async fn event_loop_loads_navigates_runs_jobs_and_draws() {
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
    let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let opts = TuiOptions {
        start_screen: Some(":models".into()),
        ..Default::default()
    };
    let driver = async move {
        // Paused time: each sleep returns only once every task is idle, so
        // the refresh, the jobs and the draws have happened by then.
        tokio::time::sleep(Duration::from_secs(1)).await;
        for e in [
            key('/'),
            key('f'),
            key('r'),
            key('a'),
            code(KeyCode::Enter),
            code(KeyCode::Enter),
        ] {
            tx.unbounded_send(e).unwrap();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(tx);
    };
    let (result, ()) = tokio::join!(
        modeldeck_tui::run_on(&mut terminal, console, opts, rx),
        driver
    );
    result.unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Versions(fraud-detector)"), "{screen}");
    assert!(screen.contains("champion"), "{screen}");
    assert!(screen.contains("SANDBOX"), "{screen}");
    assert!(screen.contains("registry ✓ ready"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn event_loop_quits_on_q_at_the_root() {
    let sb = Sandbox::demo_with(42, ClockMode::Virtual { start: NOW }).unwrap();
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            clock: sb.clock(),
            ..Default::default()
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    tx.unbounded_send(key('?')).unwrap();
    tx.unbounded_send(key('q')).unwrap();
    tx.unbounded_send(key('q')).unwrap();
    // The sender stays open: only `q` can end the loop.
    let result = tokio::time::timeout(
        Duration::from_secs(3600),
        modeldeck_tui::run_on(&mut terminal, console, TuiOptions::default(), rx),
    )
    .await;
    assert!(matches!(result, Ok(Ok(()))), "{result:?}");
    drop(tx);
}

#[tokio::test(start_paused = true)]
async fn event_loop_applies_keys_that_arrive_with_the_end_of_input() {
    let sb = Sandbox::demo_with(42, ClockMode::Virtual { start: NOW }).unwrap();
    let console = Console::new(
        sb.backends(),
        ConsoleOptions {
            clock: sb.clock(),
            ..Default::default()
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    for e in [
        key(':'),
        key('m'),
        key('o'),
        key('d'),
        key('e'),
        key('l'),
        key('s'),
    ] {
        tx.unbounded_send(e).unwrap();
    }
    tx.unbounded_send(code(KeyCode::Enter)).unwrap();
    drop(tx);
    modeldeck_tui::run_on(&mut terminal, console, TuiOptions::default(), rx)
        .await
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Models["), "{screen}");
}
