//! Key -> action -> state transitions of `App::update` around versions and
//! compare: opening a model's versions (and dropping stale or misdirected
//! job answers), marking versions, comparing them, differences only.

// Test helpers outside #[test] functions unwrap too (clippy.toml only
// exempts the test functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::fixture;
use crossterm::event::KeyCode;
use modeldeck_tui::jobs::{Job, JobOutcome};
use modeldeck_tui::keymap::ScreenKind;

fn app() -> Harness {
    common::ready_app()
}

#[test]
fn enter_asks_for_the_versions_and_drops_stale_answers() {
    let mut t = app();
    t.type_str("jj"); // fraud-api (prod-eu) serves fraud-detector v6
    t.key(KeyCode::Enter);
    let first = t.take_request();
    assert_eq!(
        first.job,
        Job::Versions {
            model: "fraud-detector".into()
        }
    );
    // A refresh supersedes the first request.
    t.ctrl('r');
    let second = t.take_request();
    assert!(second.ticket > first.ticket);
    t.answer(&first, JobOutcome::Versions(Ok(vec![])));
    t.app.settle();
    let Some(modeldeck_tui::app::Screen::Versions(v)) = t.app.stack().last() else {
        panic!("versions on top");
    };
    assert_eq!(
        v.pending(),
        Some(second.ticket),
        "the stale answer was dropped"
    );
    assert!(v.is_empty());
    t.answer(&second, JobOutcome::Versions(Ok(fixture::fraud_versions())));
    t.app.settle();
    let Some(modeldeck_tui::app::Screen::Versions(v)) = t.app.stack().last() else {
        panic!("versions on top");
    };
    assert_eq!(v.pending(), None);
    assert_eq!(v.len(), 7);
    assert_eq!(v.selected(), Some("6"), "the served version is selected");
    // The answer asked for the runs of the versions that have one.
    let runs = t.take_request();
    assert!(matches!(&runs.job, Job::Runs { versions, .. } if versions.len() == 6));
}

#[test]
fn an_answer_for_another_target_is_ignored() {
    let mut t = app();
    t.key(KeyCode::Enter); // churn-predictor
    let req = t.take_request();
    let wrong = modeldeck_tui::jobs::JobRequest {
        ticket: req.ticket,
        job: Job::Versions {
            model: "fraud-detector".into(),
        },
    };
    t.answer(&wrong, JobOutcome::Versions(Ok(fixture::fraud_versions())));
    let Some(modeldeck_tui::app::Screen::Versions(v)) = t.app.stack().last() else {
        panic!("versions on top");
    };
    assert_eq!(v.pending(), Some(req.ticket));
}

fn fraud_versions_screen() -> Harness {
    let mut t = app();
    t.command("models");
    t.type_str("j");
    t.key(KeyCode::Enter);
    let req = t.take_request();
    t.answer(&req, JobOutcome::Versions(Ok(fixture::fraud_versions())));
    t.requests.clear();
    t.app.settle();
    t
}

#[test]
fn space_marks_two_and_c_compares_them_champion_first() {
    let mut t = fraud_versions_screen();
    t.type_str("j"); // v6 champion
    t.type_str(" "); // mark v6, cursor to v5
    t.type_str("j"); // v4
    t.type_str(" "); // mark v4
    t.type_str("c");
    assert_eq!(t.app.screen(), ScreenKind::Compare);
    let req = t.take_request();
    assert_eq!(
        req.job,
        Job::Compare {
            model: "fraud-detector".into(),
            a: "6".into(),
            b: "4".into()
        }
    );
}

#[test]
fn c_without_marks_compares_the_selection_with_the_champion() {
    let mut t = fraud_versions_screen();
    t.type_str("c"); // v7 selected
    let req = t.take_request();
    assert_eq!(
        req.job,
        Job::Compare {
            model: "fraud-detector".into(),
            a: "6".into(),
            b: "7".into()
        }
    );
    t.type_str("q");
    t.type_str("jc"); // v6 is the champion itself
    assert_eq!(t.app.screen(), ScreenKind::Versions);
    assert!(t.app.flash().is_some_and(|f| f.text.contains("champion")));
    assert!(t.requests.is_empty());
}

#[test]
fn a_third_mark_drops_the_oldest() {
    let mut t = fraud_versions_screen();
    t.type_str("   ");
    let Some(modeldeck_tui::app::Screen::Versions(v)) = t.app.stack().last() else {
        panic!("versions on top");
    };
    assert_eq!(v.marks(), ["6", "5"]);
}

#[test]
fn d_toggles_differences_only_on_compare() {
    let mut t = app();
    t.command("compare fraud-detector champion v7");
    let req = t.take_request();
    assert_eq!(
        req.job,
        Job::Compare {
            model: "fraud-detector".into(),
            a: "6".into(),
            b: "7".into()
        }
    );
    t.answer(
        &req,
        JobOutcome::Compare(Ok(Box::new(fixture::fraud_comparison()))),
    );
    let diff_only = |t: &Harness| match t.app.stack().last() {
        Some(modeldeck_tui::app::Screen::Compare(c)) => c.diff_only(),
        _ => panic!("compare on top"),
    };
    assert!(!diff_only(&t));
    t.type_str("d");
    assert!(diff_only(&t));
    t.type_str("d");
    assert!(!diff_only(&t));
}
