//! Retraining from the Drift screen on the simulated demo world with a
//! promotion service (its journal records the run): `R` opens the command
//! line prefilled with `retrain <model> `, the reason typed, Enter starts a
//! Job from the model's retraining CronJob, the screen follows the run and
//! puts a retrain marker on the timeline, and the journal holds the entry
//! with the drift numbers that prompted it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod promo_world;

use common::fixture::NOW;
use crossterm::event::KeyCode;
use modeldeck_core::chart::MarkerKind;
use modeldeck_core::domain::{RetrainPhase, Timestamp};
use modeldeck_tui::Action;
use modeldeck_tui::app::Screen;
use modeldeck_tui::views::drift::DriftScreen;
use promo_world::{POLICY, world};
use std::time::Duration;

fn drift(t: &common::Harness) -> &DriftScreen {
    match t.app.stack().last() {
        Some(Screen::Drift(d)) => d,
        other => panic!("not on the Drift screen: {other:?}"),
    }
}

#[tokio::test]
async fn r_starts_an_audited_run_and_the_screen_follows_it() {
    let w = world(POLICY).await;
    w.as_user("dana.kowalski");
    let mut t = w.harness(200, 50).await;
    t.command("drift demand-forecaster");
    w.run_jobs(&mut t).await;
    t.type_str("R");
    let prompt = t.app.prompt().expect("the command line opened");
    assert_eq!(prompt.input, "retrain demand-forecaster ");
    t.type_str("lag_7d drifted after transformer 2.4.0");
    t.key(KeyCode::Enter);
    w.run_jobs(&mut t).await;
    let flash = t.app.flash().expect("a message").text.clone();
    assert!(
        flash.contains("◆ retraining demand-forecaster: job"),
        "{flash}"
    );
    assert!(flash.contains("(audited)"), "{flash}");
    let run = drift(&t).retrain().expect("the run is followed").clone();
    assert_eq!(run.model, "demand-forecaster");
    assert!(
        drift(&t)
            .markers()
            .iter()
            .any(|m| m.kind == MarkerKind::Retrain),
        "{:?}",
        drift(&t).markers()
    );
    let screen = t.draw();
    assert!(
        screen.contains(&format!("◆ retrain {}/{}", run.namespace, run.name)),
        "{screen}"
    );
    // The journal holds the entry, with the reason and the drift numbers.
    let lines = w.svc.journal().read().unwrap();
    let entry = &lines
        .iter()
        .find(|l| l.record.entry.action == "retrain")
        .expect("a retrain entry")
        .record
        .entry;
    let text = format!("{} {} {}", entry.subject, entry.before, entry.after);
    assert!(
        text.contains("lag_7d drifted after transformer 2.4.0"),
        "{text}"
    );
    assert!(
        text.contains("lag_7d") && text.contains("wasserstein"),
        "{text}"
    );
    // Time passes on the simulated clock: the screen re-reads the run
    // until it finishes.
    let mut phase = run.phase;
    for i in 1..=40 {
        w.sb.advance(Duration::from_secs(5));
        t.act(Action::Tick(Timestamp(NOW.0 + i * 5_000)));
        w.run_jobs(&mut t).await;
        phase = drift(&t).retrain().unwrap().phase;
        if phase.is_done() {
            break;
        }
    }
    assert_eq!(phase, RetrainPhase::Succeeded);
    let screen = t.draw();
    assert!(screen.contains("succeeded"), "{screen}");
}

#[tokio::test]
async fn retrain_without_a_reason_or_a_pipeline_says_why() {
    let w = world(POLICY).await;
    let mut t = w.harness(120, 30).await;
    t.command("retrain demand-forecaster");
    let screen = t.draw();
    assert!(
        screen.contains("usage: :retrain <model> <reason>"),
        "{screen}"
    );
    // A model without a labelled CronJob: nothing is created, the label is named.
    t.command("retrain spam-filter it drifts");
    w.run_jobs(&mut t).await;
    let flash = t.app.flash().expect("a message");
    assert!(flash.error, "{}", flash.text);
    assert!(
        flash.text.contains("modeldeck.io/retrain-for"),
        "{}",
        flash.text
    );
}
