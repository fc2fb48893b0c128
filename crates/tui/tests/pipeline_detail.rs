//! An Argo pipeline (a CronWorkflow, `WorkloadKind::Pipeline`) in the Fleet
//! and its workload detail, over a real Console on the sandbox's demo world
//! (virtual clock, fixed seed): the weekly `ltv-retrain-pipeline` whose
//! run last week failed shows as a batch workload, like a CronJob: its
//! verdict in the Fleet row, schedule, the runs strip and the failed step's
//! log tail in the detail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::demo::{run_jobs, world};
use crossterm::event::KeyCode;
use modeldeck_core::domain::WorkloadKind;
use modeldeck_tui::app::Screen;
use modeldeck_tui::keymap::ScreenKind;

#[tokio::test]
async fn the_weekly_pipeline_that_failed_last_week() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let (_sb, console) = world().await;
        let mut t = Harness::new((*console.snapshot()).clone(), w, h);
        t.app.settle();
        run_jobs(&mut t, &console).await;
        t.type_str("/ltv-retrain");
        t.key(KeyCode::Enter);
        run_jobs(&mut t, &console).await;
        let fleet = t.draw();
        assert!(fleet.contains("ltv-retrain-pipel"), "{fleet}");
        assert!(fleet.contains("Failed"), "{fleet}");
        insta::assert_snapshot!(format!("pipeline_fleet_row_{w}x{h}"), t.terminal.backend());
        t.type_str("d");
        run_jobs(&mut t, &console).await;
        assert_eq!(t.app.screen(), ScreenKind::Workload);
        let Some(Screen::Workload(v)) = t.app.stack().last() else {
            panic!("the workload detail on top");
        };
        assert_eq!(v.target().name, "ltv-retrain-pipeline");
        assert_eq!(v.target().kind, WorkloadKind::Pipeline);
        let log = v.batch_log().expect("the log arrived").to_vec();
        assert!(
            log.last()
                .is_some_and(|l| l.contains("ERROR scoring failed")),
            "{log:?}"
        );
        let screen = t.draw();
        assert!(!screen.contains('\u{1b}'));
        assert!(screen.contains("Schedule  0 3 * * 0 UTC"), "{screen}");
        assert!(screen.contains('✗'), "{screen}");
        insta::assert_snapshot!(format!("pipeline_detail_{w}x{h}"), t.terminal.backend());
    }
}
