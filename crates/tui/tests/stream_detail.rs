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
