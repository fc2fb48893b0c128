//! The promotion detail says what the promotion changes in production
//! (issue 13): per target, the spec fields serving the candidate changes,
//! before → after, above the gates, whose metric lines carry the policy's
//! tolerance next to the delta. Snapshots at 80x24 (scrolled to the
//! section) and 200x50, over the sandbox demo world and a real promotion
//! service.

// Test helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod promo_world;

use common::Harness;
use crossterm::event::KeyCode;
use promo_world::*;

fn snap(t: &mut Harness, name: &str, w: u16, h: u16) {
    let screen = t.draw();
    assert!(!screen.contains('\u{1b}'));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.terminal.backend());
}

#[tokio::test]
async fn detail_shows_what_changes_in_production_before_approval() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(STRICT).await;
        world.as_user("dana.kowalski");
        let mut t = world.harness(w, h).await;
        t.type_str("p");
        world.run_jobs(&mut t).await;
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        let rv = detail(&t).review().expect("the review arrived");
        let changes = rv.status.serving_changes.clone();
        assert_eq!(changes.len(), rv.status.promotion.targets.len());
        assert!(
            changes.iter().all(|s| !s.changes.is_empty()),
            "{changes:#?}"
        );
        let version = rv.status.promotion.version.clone();
        // The metric gate: the policy's tolerance next to the delta, in
        // the detail line the screen shows.
        let auc = rv
            .status
            .promotion
            .gates
            .iter()
            .find(|g| g.name == "metric:auc")
            .unwrap();
        assert!(
            auc.detail.contains("tolerance 0.2%, delta +0.0055"),
            "{}",
            auc.detail
        );
        let mut screen = t.draw();
        // Scroll until the section's heading and first URI change show
        // (one column: after the gates; two: under the targets).
        for _ in 0..60 {
            if screen.contains("What changes in production")
                && screen.contains("→ models:/fraud-detector/8")
            {
                break;
            }
            t.type_str("j");
            screen = t.draw();
        }
        assert!(
            screen.contains(&format!("What changes in production (serving v{version})")),
            "{screen}"
        );
        assert!(screen.contains("3 fields change each"), "{screen}");
        assert!(screen.contains("[modeldeck.io/model-version]"), "{screen}");
        snap(&mut t, "promotion_detail_serving_changes", w, h);
    }
}
