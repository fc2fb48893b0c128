//! The Promotions screens through the real event loop (`run_with` on a
//! TestBackend, keys fed as terminal events): one key each from inbox to
//! Promoted, hostile reasons drawn harmless, quitting during an action,
//! a workload changed after approval, a cluster without logs (and with
//! its ledger, so nothing else differs).

// Test helpers outside #[test] functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod promo_world;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use modeldeck_tui::TuiOptions;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

use promo_world::cluster::Altered;
use promo_world::*;

fn key(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn enter() -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )))
}

/// The real loop: `p`, Enter, `a` + comment + Enter, `x` + Enter.
#[tokio::test(start_paused = true)]
async fn event_loop_takes_a_promotion_to_promoted_with_one_key_each() {
    let world = world(POLICY).await;
    world.as_user("alice");
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let opts = TuiOptions {
        promotions: Some(world.svc.clone()),
        ..Default::default()
    };
    let driver = async move {
        let step = |events: Vec<std::io::Result<Event>>| {
            for e in events {
                tx.unbounded_send(e).unwrap();
            }
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        step(vec![key('p')]);
        tokio::time::sleep(Duration::from_secs(1)).await;
        step(vec![enter()]);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut keys = vec![key('a')];
        keys.extend("looks right".chars().map(key));
        keys.push(enter());
        step(keys);
        tokio::time::sleep(Duration::from_secs(2)).await;
        step(vec![key('x'), enter()]);
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(tx);
    };
    let (result, ()) = tokio::join!(
        modeldeck_tui::run_on(&mut terminal, world.console.clone(), opts, rx),
        driver
    );
    result.unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Promotion(promo-"), "{screen}");
    assert!(screen.contains("✓ execute: Promoted"), "{screen}");
    let all = world.svc.list(Some("fraud-detector")).await.unwrap();
    assert_eq!(
        all[0].promotion.state,
        modeldeck_core::domain::PromotionState::Promoted
    );
}

#[tokio::test]
async fn hostile_reasons_and_comments_are_drawn_harmless() {
    let world = world(POLICY).await;
    world.as_user("mallory");
    let p = world
        .svc
        .request(modeldeck_promotion::NewPromotion {
            model: "recsys-ranker".into(),
            version: "8".into(),
            reason: "fine\u{1b}]0;pwned\u{7} \u{202E}txet desrever\u{1b}[2J".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    world.as_user("eve\u{1b}[31m");
    world
        .svc
        .approve(&p.id, "ok\u{1b}[1;1H\u{9b}overwrite")
        .await
        .unwrap();
    world.as_user("alice");
    let mut t = world.harness(200, 50).await;
    t.type_str("p");
    world.run_jobs(&mut t).await;
    let row = t
        .app
        .promotions()
        .rows()
        .position(|r| r.status.promotion.id == p.id)
        .unwrap();
    for _ in 0..row {
        t.type_str("j");
    }
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    assert_eq!(detail(&t).id(), p.id);
    let screen = t.draw();
    for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202E}'] {
        assert!(!screen.contains(bad), "{bad:?} reached the screen");
    }
    assert!(screen.contains("txet desrever"), "{screen}");
    assert!(screen.contains('\u{FFFD}'), "{screen}");
}

#[tokio::test]
async fn quitting_while_an_action_runs_asks_first() {
    let world = world(POLICY).await;
    world.as_user("alice");
    let mut t = world.harness(80, 24).await;
    world.open_detail(&mut t).await;
    t.type_str("a");
    t.key(KeyCode::Enter);
    assert!(t.app.promotions().acting.is_some());
    t.ctrl('c');
    assert!(!t.app.should_quit());
    assert!(t.app.flash().unwrap().text.contains("quit again"));
    t.ctrl('c');
    assert!(t.app.should_quit());
}

#[tokio::test]
async fn a_workload_changed_after_approval_disables_execute_with_what_changed() {
    let world = world(POLICY).await;
    let id = {
        let all = world.svc.list(Some("fraud-detector")).await.unwrap();
        all[0].promotion.id.clone()
    };
    world.as_user("alice");
    world.svc.approve(&id, "ok").await.unwrap();
    let target = world.svc.list(Some("fraud-detector")).await.unwrap()[0]
        .promotion
        .targets[0]
        .clone();
    world
        .sb
        .backends()
        .cluster
        .set_served_version(&target, "6", None)
        .await
        .unwrap();
    world.console.refresh_all().await;
    world.as_user("carol");
    let mut t = world.harness(200, 50).await;
    t.type_str("p");
    world.run_jobs(&mut t).await;
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    let screen = t.draw();
    assert!(
        screen.contains("x execute   ✗ refused: the state changed since it was approved"),
        "{screen}"
    );
    assert!(screen.contains("approved (not counted)"), "{screen}");
    t.type_str("x");
    assert!(t.app.dialog().is_none());
    assert!(t.app.flash().unwrap().text.contains("changed since"));
}

#[tokio::test]
async fn a_cluster_without_logs_says_so_in_the_detail() {
    // Only the logs differ: the ledger calls are delegated, so the
    // clusters stay identity-bound and nothing else is refused.
    let world = world_with(POLICY, Altered::no_logs).await;
    let mut t = world.harness(200, 50).await;
    world.open_detail(&mut t).await;
    let mut screen = t.draw();
    assert!(
        screen.contains("approvals are identity-bound on every target cluster"),
        "{screen}"
    );
    assert!(!screen.contains("not identity-bound"), "{screen}");
    // The log tail is below the targets and what the promotion changes in
    // them: scroll to it.
    for _ in 0..40 {
        if screen.contains("logs unsupported here") {
            break;
        }
        t.type_str("j");
        screen = t.draw();
    }
    assert!(
        screen.contains("logs unsupported here: this cluster adapter cannot read pod logs"),
        "{screen}"
    );
    // Events still arrive.
    assert!(screen.contains("Recent events"), "{screen}");
}
