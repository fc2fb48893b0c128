//! The model card in the TUI over the sandbox demo world (simulated
//! backends, virtual clock) and a real promotion service whose policy
//! requires intended use, limitations and owner: the Models panel (`d`) on
//! fraud-detector's complete card, the Versions panel on ltv-estimator's
//! card that lacks limitations and owner, the candidate's card in a
//! promotion's detail next to its failing `card` gate, the detail's health
//! charts of each target (`t`, `w`, `tab`), and a hostile card (escape
//! sequences, OSC 52, a bidi override, very long lines) drawn without a
//! control character and wrapped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod promo_world;

use common::Harness;
use common::fixture;
use crossterm::event::KeyCode;
use modeldeck_core::card::CardField;
use modeldeck_core::domain::{GateStatus, RegisteredModel};
use modeldeck_promotion::NewPromotion;
use modeldeck_tui::Action;
use modeldeck_tui::app::Screen;
use modeldeck_tui::jobs::{CardData, CardFor, Job, JobOutcome};
use modeldeck_tui::keymap::ScreenKind;
use promo_world::*;
use std::sync::Arc;

/// The demo's policy (`modeldeck_app::promotions::SANDBOX_POLICY`) with the
/// card required of fraud models too.
const CARD_POLICY: &str = r#"
[default]
min_approvals = 1
card_required = ["intended_use", "limitations", "owner"]

[[rules]]
models = "fraud-*"
[rules.policy]
min_approvals = 1
card_required = ["intended_use", "limitations", "owner"]
metrics = [{ name = "auc", tolerance = 0.002 }, { name = "log_loss" }]
"#;

fn snap(t: &mut Harness, name: &str, w: u16, h: u16) -> String {
    let screen = t.draw();
    assert_clean(&screen);
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.terminal.backend());
    screen
}

/// No control character (but line ends) and no bidi control on screen.
fn assert_clean(screen: &str) {
    let bad: Vec<char> = screen
        .chars()
        .filter(|c| {
            (c.is_control() && *c != '\n')
                || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?} reached the screen:\n{screen}");
}

/// Filters the Models screen to `name`.
fn models_filtered(t: &mut Harness, name: &str) {
    t.command("models");
    t.type_str("/");
    t.type_str(name);
    t.key(KeyCode::Enter);
    t.draw();
}

#[tokio::test]
async fn models_shows_fraud_detectors_complete_card() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(CARD_POLICY).await;
        let mut t = world.harness(w, h).await;
        models_filtered(&mut t, "fraud-detector");
        t.type_str("d");
        let asked = t.requests.iter().any(|r| {
            matches!(&r.job, Job::Card { model, version: Some(v), screen: CardFor::Models }
                if model == "fraud-detector" && v == "7")
        });
        assert!(asked, "the champion's card is read: {:?}", t.requests);
        world.run_jobs(&mut t).await;
        assert!(t.app.models().card().shown());
        let screen = snap(&mut t, "models_card_fraud_detector", w, h);
        assert!(
            screen.contains("Model card(fraud-detector v7 champion)"),
            "{screen}"
        );
        assert!(screen.contains("7 of 8 fields filled"), "{screen}");
        assert!(screen.contains("✓ has every field"), "{screen}");
        assert!(screen.contains("Scores card-not-present"), "{screen}");
        if w == 200 {
            // Beside the table, which keeps its rows.
            assert!(screen.contains("CHAMPION"), "{screen}");
            assert!(
                screen.contains("[model tag modeldeck.card.owner]"),
                "{screen}"
            );
            assert!(screen.contains("dana.kowalski (risk-ml)"), "{screen}");
            assert!(screen.contains("Run metrics"), "{screen}");
        } else {
            // Instead of the table: the rest is a scroll away.
            assert!(!screen.contains("CHAMPION"), "{screen}");
            t.type_str("G");
            let end = t.draw();
            assert_clean(&end);
            assert!(end.contains("Run metrics"), "{end}");
            assert!(end.contains("auc 0.9005"), "{end}");
            t.type_str("d");
            assert!(t.draw().contains("CHAMPION"));
            t.type_str("d");
        }
        // A new filter selects another model: the next tick reads its card.
        t.type_str("/");
        t.ctrl('u');
        t.type_str("credit");
        t.key(KeyCode::Enter);
        t.draw();
        t.act(Action::Tick(t.app.now().plus_millis(250)));
        world.run_jobs(&mut t).await;
        let screen = t.draw();
        assert!(
            screen.contains("Model card(credit-scorer v4 champion)"),
            "{screen}"
        );
        assert!(screen.contains("✓ has every field"), "{screen}");
    }
}

#[tokio::test]
async fn versions_marks_what_ltv_estimators_card_lacks() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(CARD_POLICY).await;
        let mut t = world.harness(w, h).await;
        models_filtered(&mut t, "ltv-estimator");
        t.key(KeyCode::Enter);
        world.run_jobs(&mut t).await;
        assert_eq!(t.app.screen(), ScreenKind::Versions);
        t.type_str("d");
        world.run_jobs(&mut t).await;
        let screen = snap(&mut t, "versions_card_ltv_estimator", w, h);
        assert!(screen.contains("Model card(ltv-estimator v4)"), "{screen}");
        assert!(screen.contains("✗ lacks limitations, owner"), "{screen}");
        assert!(
            screen.contains("Limitations  ✗ missing, required by the promotion policy"),
            "{screen}"
        );
        assert!(
            screen.contains("12-month customer lifetime value"),
            "{screen}"
        );
        // The card follows the selection (where the table shows).
        if w == 200 {
            t.type_str("j");
            world.run_jobs(&mut t).await;
            let next = t.draw();
            assert!(next.contains("Model card(ltv-estimator v3)"), "{next}");
        }
    }
}

/// alice asks for ltv-estimator v3; bob opens its detail.
async fn ltv_detail(world: &World, w: u16, h: u16) -> Harness {
    world.as_user("alice");
    world
        .svc
        .request(NewPromotion {
            model: "ltv-estimator".into(),
            version: "3".into(),
            reason: "retrained on 2025 cohorts".into(),
            // A fixed id: the snapshots show it.
            id: Some("promo-ltv-card".into()),
            ..NewPromotion::default()
        })
        .await
        .unwrap();
    world.as_user("bob");
    let mut t = world.harness(w, h).await;
    t.type_str("p");
    world.run_jobs(&mut t).await;
    let at = t
        .app
        .promotions()
        .rows()
        .position(|r| r.status.promotion.model == "ltv-estimator")
        .unwrap();
    for _ in 0..at {
        t.type_str("j");
    }
    t.draw();
    t.key(KeyCode::Enter);
    world.run_jobs(&mut t).await;
    assert_eq!(t.app.screen(), ScreenKind::Promotion);
    t
}

#[tokio::test]
async fn promotion_detail_shows_the_candidates_card_next_to_its_gate() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(CARD_POLICY).await;
        let mut t = ltv_detail(&world, w, h).await;
        let rv = detail(&t).review().unwrap();
        let gate = rv
            .status
            .promotion
            .gates
            .iter()
            .find(|g| g.name == "card")
            .unwrap();
        assert_eq!(gate.status, GateStatus::Fail, "{gate:?}");
        let data = detail(&t)
            .card()
            .data_for("ltv-estimator", Some("3"))
            .expect("the candidate's card data arrived");
        assert_eq!(
            data.required,
            vec![
                CardField::IntendedUse,
                CardField::Limitations,
                CardField::Owner
            ]
        );
        // Scroll until the whole card (after the gates, or at the end of
        // the left column) shows.
        for _ in 0..60 {
            let screen = t.draw();
            if screen.contains("Model card (ltv-estimator v3)") && screen.contains("Run metrics") {
                break;
            }
            t.type_str("j");
        }
        let screen = snap(&mut t, "promotion_card_ltv_estimator", w, h);
        assert!(screen.contains("Model card (ltv-estimator v3)"), "{screen}");
        assert!(screen.contains("✗ lacks limitations, owner"), "{screen}");
        assert!(screen.contains("Owner  ✗ missing"), "{screen}");
        if h >= 36 {
            assert!(screen.contains("Health of prod-us/commerce"), "{screen}");
        }
    }
}

#[tokio::test]
async fn promotion_detail_charts_each_targets_health() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let world = world(POLICY).await;
        world.as_user("alice");
        let mut t = world.harness(w, h).await;
        world.open_detail(&mut t).await;
        let d = detail(&t);
        let targets = d.review().unwrap().status.promotion.targets.clone();
        assert_eq!(targets.len(), 3, "{targets:?}");
        assert_eq!(d.target(), Some(&targets[0]));
        let health = d.health().expect("a health panel");
        let view = health.data().expect("the health arrived");
        assert_eq!(view.target, targets[0]);
        assert_eq!(health.window_ms(), 24 * 3_600_000);
        if h < 36 {
            assert!(!t.draw().contains("Health of"));
            t.key(KeyCode::Tab);
        }
        let screen = snap(&mut t, "promotion_health", w, h);
        assert!(screen.contains("Health of prod-eu/risk"), "{screen}");
        assert!(
            screen.contains("(target 1 of 3) · t: next target"),
            "{screen}"
        );
        assert!(screen.contains("latency over 24h"), "{screen}");
        assert!(screen.contains("p99"), "{screen}");
        // The next target, and a longer window.
        t.type_str("t");
        world.run_jobs(&mut t).await;
        let d = detail(&t);
        assert_eq!(d.target(), Some(&targets[1]));
        assert_eq!(d.health().unwrap().data().unwrap().target, targets[1]);
        t.type_str("w");
        world.run_jobs(&mut t).await;
        assert_eq!(t.app.flash().unwrap().text, "health window: 7d");
        let screen = t.draw();
        assert!(screen.contains("(target 2 of 3)"), "{screen}");
        assert!(screen.contains("latency over 7d"), "{screen}");
        if h < 36 {
            t.key(KeyCode::Tab);
            assert!(t.draw().contains("Gates"));
        }
    }
}

const HOSTILE: &str = "\u{1b}[2J\u{1b}]52;c;aGVsbG8=\u{7}owner\u{202e}live\u{9b}31m\r\nsecond line";

/// A model whose card writes escape sequences, the clipboard (OSC 52) and
/// reversed text, and runs very long lines.
fn hostile_harness(w: u16, h: u16) -> Harness {
    let mut snap = fixture::ready();
    let mut models: Vec<RegisteredModel> = (*snap.models).clone();
    let m = models
        .iter_mut()
        .find(|m| m.name == "fraud-detector")
        .unwrap();
    let long: String = (0..160).map(|i| format!("w{i} ")).collect();
    m.description = Some(format!("summary {HOSTILE}\n## Limitations\n{HOSTILE}\n"));
    m.tags = [
        ("modeldeck.card.owner".to_string(), HOSTILE.to_string()),
        (
            "modeldeck.card.intended_use".to_string(),
            format!("{long}ENDMARK"),
        ),
        ("modeldeck.card.training_data".to_string(), "A".repeat(300)),
    ]
    .into();
    snap.models = Arc::new(models);
    let mut t = Harness::new(snap, w, h);
    t.app.settle();
    models_filtered(&mut t, "fraud");
    t.type_str("d");
    let req = t
        .requests
        .iter()
        .rev()
        .find(|r| matches!(r.job, Job::Card { .. }))
        .cloned()
        .unwrap();
    let mut version = fixture::version("fraud-detector", 6, &["champion"], &[], 0);
    version.tags.insert(
        "modeldeck.card.contact".into(),
        format!("#oncall{}", fixture::HOSTILE),
    );
    version.description = Some(format!("## Evaluation\n{HOSTILE}"));
    let mut run = fixture::run(6);
    run.metrics
        .insert(format!("fairness.spd.age{HOSTILE}"), 0.3);
    t.answer(
        &req,
        JobOutcome::Card(Ok(Box::new(CardData {
            version: Some(version),
            run: Some(run),
            required: vec![CardField::IntendedUse, CardField::License],
        }))),
    );
    t
}

#[test]
fn a_hostile_card_holds_no_control_character_and_wraps() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let mut t = hostile_harness(w, h);
        assert!(matches!(t.app.stack().last(), Some(Screen::Models)));
        let mut seen = String::new();
        // Every line of the card, scrolled through where it does not fit.
        for _ in 0..40 {
            let screen = t.draw();
            assert_clean(&screen);
            seen.push_str(&screen);
            t.type_str("j");
        }
        // Neutralized, not dropped: the replacement character shows where
        // the escape, the bell and the override were.
        assert!(
            seen.contains("\u{fffd}[2J\u{fffd}]52;c;aGVsbG8=\u{fffd}owner\u{fffd}live"),
            "{seen}"
        );
        assert!(seen.contains("second line"), "{seen}");
        // The long value wraps: its last word is drawn, every row fits.
        assert!(seen.contains("ENDMARK"), "{seen}");
        assert!(seen.contains("AAAAAAAAAA"), "{seen}");
        assert!(seen.contains("✗ lacks license"), "{seen}");
        t.type_str("g");
        snap(&mut t, "hostile_card", w, h);
    }
}
