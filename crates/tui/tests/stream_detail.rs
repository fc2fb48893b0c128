//! The Fleet row and the workload detail of a stream consumer falling
//! behind (issue 14), over a real Console on the sandbox's demo world
//! (virtual clock, fixed seed): the LAG cell with its trend, and the lag
//! over the last 30 minutes as a chart with the group, the lag, the
//! seconds behind and the verdict.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::demo::{run_jobs, world};
use crossterm::event::KeyCode;
use modeldeck_tui::app::Screen;
use modeldeck_tui::keymap::ScreenKind;

#[tokio::test]
async fn the_fraud_consumer_falling_behind() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let (_sb, console) = world().await;
        let mut t = Harness::new((*console.snapshot()).clone(), w, h);
        t.app.settle();
        run_jobs(&mut t, &console).await;
        t.type_str("/fraud-stream");
        t.key(KeyCode::Enter);
        let fleet = t.draw();
        let row = fleet
            .lines()
            .find(|l| l.contains("fraud-stream") && l.contains("fraud-det"))
            .unwrap_or_else(|| panic!("{fleet}"));
        assert!(row.contains("M ↑"), "lag and trend on the row: {row}");
        insta::assert_snapshot!(format!("stream_row_{w}x{h}"), t.terminal.backend());
        t.type_str("d");
        run_jobs(&mut t, &console).await;
        assert_eq!(t.app.screen(), ScreenKind::Workload);
        let Some(Screen::Workload(v)) = t.app.stack().last() else {
            panic!("the workload detail on top");
        };
        assert_eq!(v.target().name, "fraud-stream-scorer");
        // The health charts.
        t.key(KeyCode::Tab);
        run_jobs(&mut t, &console).await;
        let screen = t.draw();
        assert!(
            screen.contains("lag 1.8M ↑ (40m) Falling behind"),
            "{screen}"
        );
        assert!(screen.contains("group fraud-scoring"), "{screen}");
        insta::assert_snapshot!(format!("stream_detail_{w}x{h}"), t.terminal.backend());
    }
}

/// The lag chart follows the detail's window (w/W) as the latency, traffic
/// and error charts do: its span and step are the panel's, not the last 30
/// minutes of the fleet read. Over 24 hours and 7 days the chart reaches
/// back before last deploy (the lag was steady and low), up to now (1.8M).
#[tokio::test]
async fn the_lag_chart_follows_the_detail_window() {
    let (_sb, console) = world().await;
    let mut t = Harness::new((*console.snapshot()).clone(), 120, 32);
    t.app.settle();
    run_jobs(&mut t, &console).await;
    t.type_str("/fraud-stream");
    t.key(KeyCode::Enter);
    t.type_str("d");
    run_jobs(&mut t, &console).await;
    t.key(KeyCode::Tab);
    run_jobs(&mut t, &console).await;
    let snap = console.snapshot();
    let now = snap.at.0;
    let created = snap
        .workloads
        .iter()
        .find(|w| w.id.name == "fraud-stream-scorer")
        .expect("the consumer")
        .created_at
        .0;
    let mut spans = Vec::new();
    for key in [None, Some('W'), Some('W'), Some('w'), Some('w'), Some('w')] {
        if let Some(k) = key {
            t.type_str(&k.to_string());
            run_jobs(&mut t, &console).await;
        }
        let Some(Screen::Workload(v)) = t.app.stack().last() else {
            panic!("the workload detail on top");
        };
        let panel = v.health();
        let window = panel.window_ms();
        let step = panel.data().expect("the health view read").range.step_ms;
        let (points, from, to) = panel.lag_points(now).expect("a consumer's lag");
        assert_eq!(to - from, window, "the chart spans the panel's window");
        assert_eq!(to, now);
        let first = points.first().expect("lag points").0;
        let last = points.last().expect("lag points").0;
        let start = from.max(created);
        assert!(
            first - start < step,
            "from the window's start: {first} vs {start}"
        );
        assert!(to - last < step, "up to now: {last} vs {to}");
        for pair in points.windows(2) {
            assert_eq!(pair[1].0 - pair[0].0, step, "at the panel's step");
        }
        // Behind by 1.8M messages now, growing at about 250/s since the
        // deploy about two hours ago: under 100k before it (the windows of
        // 6 h and more reach back past it), growing over the last hour.
        let now_lag = points.last().unwrap().1;
        assert!(now_lag > 1_000_000.0, "{points:?}");
        if window >= 21_600_000 {
            assert!(points[0].1 < 100_000.0, "{window}: {:?}", &points[..3]);
        } else {
            assert!(points[0].1 < now_lag * 0.75, "{window}: {:?}", &points[..3]);
        }
        spans.push(window);
    }
    assert_eq!(
        spans,
        [
            86_400_000,
            21_600_000,
            3_600_000,
            21_600_000,
            86_400_000,
            604_800_000
        ]
    );
}
