//! The Promotions screens over the sandbox demo world and a real
//! promotion service (journal in a temp dir, the world's virtual clock, a
//! pause that advances the world): snapshots of the list, the detail with
//! a failing gate and disabled actions, the confirm dialog and the
//! not-configured state; keys driving the whole review (inbox, detail,
//! approve as a second user, execute, rollout progress, final state); the
//! requester's self-approval and a read-only user shown disabled with
//! their reasons; and the real event loop doing the same with one key each.

// Test helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod promo_world;

use common::Harness;
use crossterm::event::KeyCode;
use modeldeck_promotion::ActionKind;
use modeldeck_tui::Action;
use modeldeck_tui::jobs::{self, Job, JobOutcome};
use modeldeck_tui::keymap::ScreenKind;

use promo_world::*;

fn snap(t: &mut Harness, name: &str, w: u16, h: u16) {
    let screen = t.draw();
    assert!(!screen.contains('\u{1b}'));
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.terminal.backend());
}

#[tokio::test]
async fn not_configured_says_so() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(POLICY).await;
        let mut t = Harness::new((*world.console.snapshot()).clone(), w, h);
        t.command("promotions");
        assert_eq!(t.app.screen(), ScreenKind::Promotions);
        assert!(t.requests.is_empty(), "nothing to ask without a service");
        let screen = t.draw();
        assert!(screen.contains("not configured"), "{screen}");
        snap(&mut t, "promotions_not_configured", w, h);
        // The request key says so too.
        t.command("models");
        t.type_str("/fraud");
        t.key(KeyCode::Enter);
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        t.type_str("P");
        assert!(t.app.dialog().is_none());
        let flash = t.app.flash().unwrap();
        assert!(flash.error && flash.text.contains("not configured"));
    }
}

#[tokio::test]
async fn list_shows_the_inbox_first() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(POLICY).await;
        world.as_user("alice");
        let mut t = world.harness(w, h).await;
        t.type_str("p");
        world.run_jobs(&mut t).await;
        let promo = t.app.promotions();
        assert_eq!(promo.inbox_len(), 1);
        let screen = t.draw();
        assert!(screen.contains("✉"), "{screen}");
        assert!(screen.contains("fraud-detector"), "{screen}");
        snap(&mut t, "promotions_list", w, h);
    }
}

#[tokio::test]
async fn fleet_marks_workloads_with_an_open_promotion() {
    let world = world(POLICY).await;
    let mut t = world.harness(200, 50).await;
    assert_eq!(t.app.promotions().marks.len(), 3);
    let screen = t.draw();
    let marked: Vec<&str> = screen.lines().filter(|l| l.contains("│⇡")).collect();
    assert_eq!(marked.len(), 3, "{screen}");
    assert!(
        marked.iter().all(|l| l.contains("fraud-detector")),
        "{screen}"
    );
    assert!(screen.contains("3 in open promotions"), "{screen}");
}

#[tokio::test]
async fn detail_shows_a_failing_gate_and_the_requesters_disabled_actions() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(STRICT).await;
        world.as_user("dana.kowalski");
        let mut t = world.harness(w, h).await;
        // The requester's inbox is empty; the list still shows it.
        t.type_str("p");
        world.run_jobs(&mut t).await;
        assert_eq!(t.app.promotions().inbox_len(), 0);
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        let rv = detail(&t).review().expect("the review arrived");
        let drift = rv
            .status
            .promotion
            .gates
            .iter()
            .find(|g| g.name == "data_quality")
            .unwrap()
            .clone();
        assert_eq!(drift.status, modeldeck_core::domain::GateStatus::Fail);
        assert!(
            drift
                .detail
                .starts_with("device_risk_score missing 6.08% (reference 0.58%) > 2%"),
            "{}",
            drift.detail
        );
        snap(&mut t, "promotion_detail_failing_gate", w, h);
        if w == 200 {
            let screen = t.draw();
            assert!(screen.contains("FAIL"), "{screen}");
            assert!(screen.contains(&drift.detail[..20]), "{screen}");
            assert!(screen.contains("four-eyes rule"), "{screen}");
            assert!(screen.contains("0 of 1 required approvals"), "{screen}");
        } else {
            // The gates are further down: scroll to them.
            for _ in 0..12 {
                t.type_str("j");
            }
            snap(&mut t, "promotion_detail_failing_gate_scrolled", w, h);
        }
        // Self-approval is refused before any dialog opens.
        t.type_str("a");
        assert!(t.app.dialog().is_none());
        let flash = t.app.flash().unwrap();
        assert!(flash.error, "{flash:?}");
        assert!(flash.text.contains("approve is not available"), "{flash:?}");
        assert!(flash.text.contains("four-eyes"), "{flash:?}");
    }
}

#[tokio::test]
async fn confirm_dialog_takes_a_comment_and_esc_cancels() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(POLICY).await;
        world.as_user("alice");
        let mut t = world.harness(w, h).await;
        world.open_detail(&mut t).await;
        t.type_str("r");
        assert!(t.app.dialog().is_some());
        // A rejection needs a comment: Enter on an empty one is refused.
        t.key(KeyCode::Enter);
        let d = t.app.dialog().expect("still open");
        assert!(d.error.as_deref().unwrap().contains("comment"));
        t.type_str("AUC gain is within noise");
        snap(&mut t, "promotion_confirm_dialog", w, h);
        t.key(KeyCode::Esc);
        assert!(t.app.dialog().is_none());
        assert!(t.requests.is_empty(), "Esc does nothing");
        assert!(t.app.flash().unwrap().text.contains("nothing was done"));
    }
}

/// The review from a second user's keys to Promoted, watching the rollout.
#[tokio::test]
async fn reviewer_approves_executes_and_watches_the_rollout() {
    let world = world(POLICY).await;
    world.as_user("alice");
    let mut t = world.harness(200, 50).await;
    world.open_detail(&mut t).await;
    let rv = detail(&t).review().unwrap();
    assert!(rv.check(ActionKind::Approve).unwrap().allowed());

    // Approve with a comment.
    t.type_str("a");
    t.type_str("offline numbers and shadow traffic checked");
    t.key(KeyCode::Enter);
    assert!(t.app.dialog().is_none());
    assert!(t.app.promotions().acting.is_some());
    world.run_jobs(&mut t).await;
    assert!(t.app.promotions().acting.is_none());
    let flash = t.app.flash().unwrap().text.clone();
    assert!(flash.contains("approved fraud-detector v8"), "{flash}");
    let rv = detail(&t).review().unwrap();
    assert_eq!(
        rv.status.promotion.state,
        modeldeck_core::domain::PromotionState::Approved
    );
    assert_eq!(rv.approvals.len(), 1);
    assert_eq!(
        rv.approvals[0].approval.comment,
        "offline numbers and shadow traffic checked"
    );
    let screen = t.draw();
    assert!(screen.contains("alice approved"), "{screen}");

    // Execute; the job runs in the background while the UI keeps going.
    t.type_str("x");
    t.key(KeyCode::Enter);
    let act = t
        .requests
        .iter()
        .position(|r| matches!(r.job, Job::Act(_)))
        .expect("the execute job");
    let req = t.requests.remove(act);
    let (console, svc) = (world.console.clone(), world.svc.clone());
    let task = tokio::spawn(async move { jobs::execute_with(&console, Some(&svc), req).await });
    let clock = world.sb.clock();
    let (mut saw_running, mut saw_progress) = (false, false);
    while !task.is_finished() {
        tokio::task::yield_now().await;
        world.console.refresh_all().await;
        t.act(Action::Snapshot(world.console.snapshot()));
        t.act(Action::Tick(clock.now()));
        world.run_jobs(&mut t).await;
        let screen = t.draw();
        saw_running |= screen.contains("⟳ execute running");
        saw_progress |= screen.contains("Progressing") || screen.contains("Executing");
    }
    assert!(saw_running, "the detail said the execute was running");
    assert!(saw_progress, "the rollout progress was visible");
    // Keys during the run were refused, not queued.
    let done = task.await.unwrap();
    assert!(matches!(&done.outcome, JobOutcome::Acted(a) if a.result.is_ok()));
    t.act(Action::JobDone(Box::new(done)));
    world.console.refresh_all().await;
    t.act(Action::Snapshot(world.console.snapshot()));
    world.run_jobs(&mut t).await;
    let flash = t.app.flash().unwrap().text.clone();
    assert!(flash.starts_with("✓ execute: Promoted"), "{flash}");
    let rv = detail(&t).review().unwrap();
    assert_eq!(
        rv.status.promotion.state,
        modeldeck_core::domain::PromotionState::Promoted
    );
    assert!(rv.check(ActionKind::Rollback).unwrap().allowed());
    let screen = t.draw();
    assert!(screen.contains("Promoted"), "{screen}");
    assert!(screen.contains("serves v8"), "{screen}");
    // The Fleet mark is gone once the list is re-read.
    assert!(t.app.promotions().marks.is_empty());
}

#[tokio::test]
async fn read_only_user_sees_every_action_disabled_with_its_reason() {
    let world = world(POLICY).await;
    world.as_user("reader");
    world.sb.set_access_rule("*", "*", false);
    let mut t = world.harness(200, 50).await;
    t.type_str("p");
    world.run_jobs(&mut t).await;
    assert_eq!(
        t.app.promotions().inbox_len(),
        0,
        "RBAC keeps it out of the inbox"
    );
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    let rv = detail(&t).review().unwrap();
    for c in &rv.actions {
        assert!(!c.allowed(), "{c:?}");
    }
    let screen = t.draw();
    assert!(screen.contains("Kubernetes RBAC"), "{screen}");
    assert!(!screen.contains("✓ available"), "{screen}");
    for k in ["a", "r", "x", "u", "c"] {
        t.type_str(k);
        assert!(t.app.dialog().is_none(), "{k} opened a dialog");
        let f = t.app.flash().unwrap();
        assert!(f.error && f.text.contains("is not available"), "{f:?}");
    }
    assert!(t.requests.is_empty());
}

#[tokio::test]
async fn request_from_versions_targets_the_models_workloads() {
    let world = world(POLICY).await;
    world.as_user("erin");
    let mut t = world.harness(200, 50).await;
    t.command("models");
    t.type_str("/recsys");
    t.key(KeyCode::Enter);
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    assert_eq!(t.app.screen(), ScreenKind::Versions);
    t.type_str("P");
    let d = t.app.dialog().expect("the request dialog");
    assert_eq!(d.fields[0].value, "champion");
    assert!(d.lines.iter().any(|l| l.contains("2 workloads")), "{d:?}");
    t.type_str("ranker retrained");
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    let flash = t.app.flash().unwrap();
    assert!(!flash.error, "{flash:?}");
    assert!(flash.text.contains("requested recsys-ranker"), "{flash:?}");
    let all = world.svc.list(Some("recsys-ranker")).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].promotion.requested_by, "erin");
    assert_eq!(all[0].promotion.reason, "ranker retrained");
    assert_eq!(all[0].promotion.targets.len(), 2);
}

#[tokio::test]
async fn a_refused_action_crosses_the_job_boundary_with_its_code() {
    let world = world(POLICY).await;
    world.as_user("dana.kowalski");
    let lists = modeldeck_tui::promo_jobs::lists(&world.svc).await.unwrap();
    let id = lists.rows[0].status.promotion.id.clone();
    let act = modeldeck_tui::promo_jobs::Act::On {
        id: id.clone(),
        action: ActionKind::Approve,
        text: String::new(),
        confirm_inconclusive: false,
        run_now: false,
    };
    let done = modeldeck_tui::promo_jobs::act(&world.svc, &act).await;
    let e = done.result.unwrap_err();
    assert_eq!(e.code, "refused_self_approval", "{e}");
    assert!(e.message.contains("four-eyes"), "{e}");
    // A missing promotion keeps its own code too.
    let review = modeldeck_tui::promo_jobs::review(&world.svc, "promo-nope").await;
    assert_eq!(review.unwrap_err().code, "not_found");
}
