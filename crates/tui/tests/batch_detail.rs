//! The workload detail of a batch CronJob over a real Console on the
//! sandbox's demo world (virtual clock, fixed seed): the nightly scoring
//! job that failed last night shows its schedule, a seven-day strip of
//! runs, the last run against the typical duration and the failed pod's
//! log tail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::demo::{run_jobs, world};
use crossterm::event::KeyCode;
use modeldeck_tui::app::Screen;
use modeldeck_tui::keymap::ScreenKind;

#[tokio::test]
async fn the_nightly_job_that_failed_last_night() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let (_sb, console) = world().await;
        let mut t = Harness::new((*console.snapshot()).clone(), w, h);
        t.app.settle();
        run_jobs(&mut t, &console).await;
        t.type_str("/prod-eu commerce churn-batch-scoring");
        t.key(KeyCode::Enter);
        t.type_str("d");
        run_jobs(&mut t, &console).await;
        assert_eq!(t.app.screen(), ScreenKind::Workload);
        let Some(Screen::Workload(v)) = t.app.stack().last() else {
            panic!("the workload detail on top");
        };
        assert_eq!(v.target().name, "churn-batch-scoring");
        let log = v.batch_log().expect("the log arrived").to_vec();
        assert!(
            log.last()
                .is_some_and(|l| l.contains("ERROR scoring failed")),
            "{log:?}"
        );
        let screen = t.draw();
        assert!(!screen.contains('\u{1b}'));
        // The strip: a week of nightly runs, two failed, each with its date.
        assert!(screen.contains("Last 7d"), "{screen}");
        assert_eq!(screen.matches('✗').count(), 2, "{screen}");
        assert!(screen.contains("Schedule  0 2 * * * UTC"), "{screen}");
        assert!(screen.contains("tenure_months"), "{screen}");
        insta::assert_snapshot!(format!("batch_detail_failed_{w}x{h}"), t.terminal.backend());
    }
}
