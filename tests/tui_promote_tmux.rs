//! The demo's pending promotion taken from review to rollout in the real
//! binary under tmux, one key per step, as a reviewer would: `p` opens the
//! inbox, Enter the detail with its gate checklist, `a` approves with a
//! comment (the requester is someone else: four eyes), `x` executes, the
//! targets roll out on the wall clock and the promotion ends Promoted; `u`
//! rolls it back. The Fleet then shows the version each target serves.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod tmux;

use common::{BIN, TempDir};
use std::time::Duration;
use tmux::Tmux;

/// A rollout of three targets on the wall clock plus the policy's bake.
const ROLLOUT: Duration = Duration::from_secs(120);

#[test]
fn a_reviewer_approves_executes_and_rolls_back_the_demo_promotion() {
    let logs = TempDir::new("tmux-promote");
    let t = Tmux::start(160, 45);
    t.shell(&format!(
        "MODELDECK_LOG_DIR='{}' MODELDECK_CONFIG=/nonexistent '{BIN}' demo",
        logs.0.display()
    ));
    t.wait_for("the Fleet", |s| {
        s.contains("Fleet(") && s.contains("fraud-detector")
    });

    // The inbox: the seeded request by someone else waits for us.
    t.keys(&["p"]);
    let inbox = t.wait_for("the inbox", |s| s.contains("Promotions[inbox 1"));
    assert!(inbox.contains("dana.kowalski"), "{inbox}");
    t.keys(&["Enter"]);
    let detail = t.wait_for("the detail with gates and actions", |s| {
        s.contains("Promotion(") && s.contains("metric:auc") && s.contains("a approve")
    });
    assert!(detail.contains("Requested"), "{detail}");
    assert!(
        detail.contains("x execute   ✗"),
        "execute disabled before approval:\n{detail}"
    );

    // Approve with a comment.
    t.keys(&["a"]);
    t.wait_for("the confirmation dialog", |s| {
        s.contains("Approve promotion")
    });
    t.type_text("numbers hold");
    t.keys(&["Enter"]);
    let approved = t.wait_for("the approval", |s| s.contains("state      Approved"));
    assert!(approved.contains("x execute   ✓"), "{approved}");

    // Execute and watch it roll out.
    t.keys(&["x"]);
    t.wait_for("the execute confirmation", |s| {
        s.contains("Execute promotion")
    });
    t.keys(&["Enter"]);
    t.wait_for("the rollout under way", |s| s.contains("Executing"));
    let done = t.wait_within(ROLLOUT, "the promotion to finish", |s| {
        s.contains("state      Promoted")
    });
    assert!(done.contains("serves v8"), "targets serve v8:\n{done}");
    assert!(!done.contains("serves v7"), "no target left on v7:\n{done}");

    // Roll back: every target serves v7 again.
    t.keys(&["u"]);
    t.wait_for("the rollback confirmation", |s| s.contains("Roll back"));
    t.type_text("p99 regression");
    t.keys(&["Enter"]);
    let back = t.wait_within(ROLLOUT, "the rollback to finish", |s| {
        s.contains("state      RolledBack") || s.contains("state      Rolled back")
    });
    assert!(
        back.contains("serves v7") && !back.contains("serves v8"),
        "{back}"
    );
    t.keys(&["q", "q", "q"]);
}
