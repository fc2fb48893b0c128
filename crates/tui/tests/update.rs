//! Key -> action -> state transitions of `App::update`: navigation, sort,
//! filter, back/quit, the command line, mouse, snapshot changes, redraw
//! decisions. Versions, marks, compare and job answers: `update_compare.rs`.

// Test helpers outside #[test] functions unwrap too (clippy.toml only
// exempts the test functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::fixture::{self, NOW};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use modeldeck_core::fleet::FleetColumn;
use modeldeck_tui::Action;
use modeldeck_tui::jobs::Job;
use modeldeck_tui::keymap::{self, ScreenKind};
use modeldeck_tui::prompt::PromptKind;
use std::sync::Arc;

fn app() -> Harness {
    common::ready_app()
}

fn selected_name(t: &Harness) -> String {
    t.app
        .fleet()
        .selected_row()
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

fn names(t: &mut Harness) -> Vec<String> {
    // The visible order, read by walking the cursor over every row.
    t.type_str("g");
    let mut out = vec![selected_name(t)];
    for _ in 1..t.app.fleet().len() {
        t.type_str("j");
        out.push(selected_name(t));
    }
    t.type_str("g");
    out
}

#[test]
fn vim_keys_and_arrows_move_the_cursor() {
    let mut t = app();
    assert_eq!(selected_name(&t), "churn-scorer");
    t.type_str("jj");
    assert_eq!(t.app.fleet().cursor().selected, 2);
    t.key(KeyCode::Up);
    assert_eq!(t.app.fleet().cursor().selected, 1);
    t.type_str("G");
    assert_eq!(t.app.fleet().cursor().selected, 10);
    t.key(KeyCode::Down);
    assert_eq!(t.app.fleet().cursor().selected, 10, "stays on the last row");
    t.key(KeyCode::Home);
    assert_eq!(t.app.fleet().cursor().selected, 0);
    t.key(KeyCode::End);
    assert_eq!(t.app.fleet().cursor().selected, 10);
    t.type_str("g");
    t.ctrl('d');
    assert!(t.app.fleet().cursor().selected > 0);
    t.ctrl('u');
    assert_eq!(t.app.fleet().cursor().selected, 0);
    t.key(KeyCode::PageDown);
    assert_eq!(
        t.app.fleet().cursor().selected,
        10,
        "one page is more than 11 rows here"
    );
}

#[test]
fn paging_moves_by_the_visible_height() {
    let mut t = Harness::new(fixture::ready(), 120, 12);
    t.app.settle();
    // 12 lines: 2 status, 1 footer, 2 borders, 1 header -> 6 rows per page.
    t.key(KeyCode::PageDown);
    assert_eq!(t.app.fleet().cursor().selected, 6);
    t.key(KeyCode::PageUp);
    assert_eq!(t.app.fleet().cursor().selected, 0);
}

#[test]
fn sorting_by_column_keys_and_cycling() {
    let mut t = app();
    assert_eq!(t.app.fleet().sort(), None);
    t.type_str("P");
    assert_eq!(
        t.app.fleet().sort(),
        Some((FleetColumn::P99, true)),
        "latency sorts worst first"
    );
    let order = names(&mut t);
    assert_eq!(order[0], "pwn\u{1b}[31mred\u{1b}]0;title\u{7}\u{202E}gnp");
    assert_eq!(
        order.last().map(String::as_str),
        Some("ranker-retrain"),
        "no data sorts last"
    );
    t.type_str("P");
    assert_eq!(
        t.app.fleet().sort(),
        Some((FleetColumn::P99, false)),
        "again reverses"
    );
    t.type_str("N");
    assert_eq!(t.app.fleet().sort(), Some((FleetColumn::Name, false)));
    let order = names(&mut t);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    t.type_str("S");
    assert_eq!(t.app.fleet().sort(), Some((FleetColumn::Name, true)));
    t.type_str("s");
    assert_eq!(
        t.app.fleet().sort(),
        Some((FleetColumn::Kind, false)),
        "s moves to the next column"
    );
}

#[test]
fn the_cursor_stays_on_its_workload_when_the_order_or_data_changes() {
    let mut t = app();
    t.type_str("jjj"); // fraud-isvc
    assert_eq!(selected_name(&t), "fraud-isvc");
    t.type_str("A");
    t.app.settle();
    assert_eq!(selected_name(&t), "fraud-isvc");
    let mut next = fixture::ready();
    let mut ws = (*next.workloads).clone();
    ws.retain(|w| w.id.name != "churn-scorer");
    next.workloads = Arc::new(ws);
    next.generation += 1;
    t.act(Action::Snapshot(Arc::new(next)));
    t.app.settle();
    assert_eq!(selected_name(&t), "fraud-isvc");
    assert_eq!(t.app.fleet().total(), 10);
}

#[test]
fn filter_applies_live_cancel_restores_enter_keeps() {
    let mut t = app();
    t.type_str("/fraud");
    assert_eq!(t.app.prompt().map(|p| p.kind), Some(PromptKind::Filter));
    t.app.settle();
    assert_eq!(t.app.fleet().len(), 4);
    t.key(KeyCode::Esc);
    t.app.settle();
    assert!(t.app.prompt().is_none());
    assert_eq!(
        t.app.fleet().len(),
        11,
        "esc restores the filter from before"
    );
    t.type_str("/ranker");
    t.key(KeyCode::Enter);
    t.app.settle();
    assert!(t.app.prompt().is_none());
    assert_eq!(t.app.fleet().len(), 3);
    assert_eq!(t.app.fleet().filter().source(), "ranker");
    // Esc on the screen clears the filter (and does not quit on the root).
    t.key(KeyCode::Esc);
    t.app.settle();
    assert_eq!(t.app.fleet().len(), 11);
    t.key(KeyCode::Esc);
    assert!(!t.app.should_quit());
}

#[test]
fn filter_kinds_regex_label_and_negation() {
    let mut t = app();
    for (input, expected) in [
        ("ranker-(api|shadow)", 2),
        ("team=risk", 4),
        ("!team=risk", 7),
        ("model=recsys-ranker", 3),
        ("!fraud", 7),
        ("alias=challenger", 3),
    ] {
        t.type_str("/");
        t.ctrl('u');
        t.type_str(input);
        t.key(KeyCode::Enter);
        t.app.settle();
        assert_eq!(t.app.fleet().len(), expected, "filter {input}");
    }
}

#[test]
fn an_invalid_regex_shows_the_error_and_keeps_the_last_good_filter() {
    let mut t = app();
    t.type_str("/fr");
    t.type_str("(aud");
    let p = t.app.prompt().expect("prompt open");
    assert!(
        p.error.as_deref().is_some_and(|e| e.contains("unclosed")),
        "{p:?}"
    );
    t.app.settle();
    assert_eq!(t.app.fleet().filter().source(), "fr");
    t.key(KeyCode::Enter);
    assert!(
        t.app.prompt().is_some(),
        "enter does not accept an invalid filter"
    );
    t.key(KeyCode::Backspace);
    t.key(KeyCode::Backspace);
    t.key(KeyCode::Backspace);
    t.key(KeyCode::Backspace);
    assert!(t.app.prompt().and_then(|p| p.error.as_ref()).is_none());
    t.key(KeyCode::Enter);
    assert!(t.app.prompt().is_none());
}

#[test]
fn q_goes_back_and_quits_on_the_root_ctrl_c_quits_anywhere() {
    let mut t = app();
    t.key(KeyCode::Enter);
    assert_eq!(t.app.screen(), ScreenKind::Versions);
    t.type_str("q");
    assert_eq!(t.app.screen(), ScreenKind::Fleet);
    assert!(!t.app.should_quit());
    t.type_str("q");
    assert!(t.app.should_quit());

    let mut t = app();
    t.type_str("/abc");
    t.ctrl('c');
    assert!(
        t.app.should_quit(),
        "ctrl-c quits even with the prompt open"
    );

    let mut t = app();
    t.type_str("?");
    assert_eq!(t.app.screen(), ScreenKind::Help);
    t.key(KeyCode::Esc);
    assert_eq!(t.app.screen(), ScreenKind::Fleet);
}

#[test]
fn command_line_switches_screens_scopes_and_reports_errors() {
    let mut t = app();
    t.command("models");
    assert_eq!(t.app.screen(), ScreenKind::Models);
    assert_eq!(t.app.stack().len(), 1, "a root screen replaces the stack");
    t.command("ns risk");
    assert_eq!(t.app.screen(), ScreenKind::Fleet);
    assert_eq!(t.app.scope().namespace.as_deref(), Some("risk"));
    t.app.settle();
    assert_eq!(t.app.fleet().len(), 4);
    t.command("ctx prod-us");
    t.app.settle();
    assert_eq!(t.app.fleet().len(), 1);
    t.command("ns all");
    t.command("ctx all");
    t.app.settle();
    assert_eq!(t.app.fleet().len(), 11);
    t.command("ctx nowhere");
    assert!(
        t.app
            .flash()
            .is_some_and(|f| f.error && f.text.contains("known: prod-eu, prod-us"))
    );
    assert_eq!(
        t.app.scope().cluster,
        None,
        "an unknown context changes nothing"
    );
    t.command("deploy");
    assert!(
        t.app
            .flash()
            .is_some_and(|f| f.error && f.text.contains("unknown command :deploy"))
    );
    t.command("compare nope 1 2");
    assert!(
        t.app
            .flash()
            .is_some_and(|f| f.text.contains("no registered model named \"nope\""))
    );
    assert!(t.requests.is_empty());
    t.command("q");
    assert!(t.app.should_quit());
}

#[test]
fn tab_completes_commands_and_arguments() {
    let mut t = app();
    t.type_str(":mo");
    t.key(KeyCode::Tab);
    assert_eq!(t.app.prompt().map(|p| p.input.as_str()), Some("models "));
    t.ctrl('u');
    t.type_str("ns ri");
    t.key(KeyCode::Tab);
    assert_eq!(t.app.prompt().map(|p| p.input.as_str()), Some("ns risk "));
    t.ctrl('u');
    t.type_str("compare fr");
    t.key(KeyCode::Tab);
    t.type_str("cham");
    t.key(KeyCode::Tab);
    assert_eq!(
        t.app.prompt().map(|p| p.input.as_str()),
        Some("compare fraud-detector champion ")
    );
}

#[test]
fn mouse_click_selects_then_opens_wheel_scrolls_header_sorts() {
    let mut t = app();
    // Rows start below 2 status lines, the top border and the header.
    t.act(Action::Click { column: 10, row: 6 });
    assert_eq!(t.app.fleet().cursor().selected, 2);
    assert_eq!(t.app.screen(), ScreenKind::Fleet);
    t.act(Action::Click { column: 10, row: 6 });
    assert_eq!(t.app.screen(), ScreenKind::Versions, "a second click opens");
    t.type_str("q");
    t.act(Action::Nav(modeldeck_tui::action::Nav::Down));
    assert_eq!(t.app.fleet().cursor().selected, 3);
    let wheel = crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::ScrollUp,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    };
    assert!(matches!(
        keymap::handle_mouse(wheel),
        Some(Action::Nav(modeldeck_tui::action::Nav::Up))
    ));
    // Header: the marker (2 cells) then CONTEXT (8) at x = 1 + 2.
    t.act(Action::Click { column: 4, row: 3 });
    assert_eq!(t.app.fleet().sort(), Some((FleetColumn::Cluster, false)));
}

#[test]
fn redraws_only_when_something_changed() {
    let mut t = app();
    t.draw();
    assert!(!t.app.needs_draw());
    t.act(Action::Tick(NOW.plus_millis(200)));
    assert!(!t.app.needs_draw(), "same second: nothing to redraw");
    t.act(Action::Tick(NOW.plus_millis(1_000)));
    assert!(t.app.needs_draw(), "ages moved");
    t.draw();
    t.key_event(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE));
    assert!(!t.app.needs_draw(), "an unbound key changes nothing");
    t.type_str("j");
    assert!(t.app.needs_draw());
}

#[test]
fn flash_messages_expire_with_the_clock() {
    let mut t = app();
    t.command("nope");
    assert!(t.app.flash().is_some());
    t.act(Action::Tick(NOW.plus_millis(4_000)));
    assert!(t.app.flash().is_some());
    t.act(Action::Tick(NOW.plus_millis(6_000)));
    assert!(t.app.flash().is_none());
}

#[test]
fn key_releases_are_ignored_and_ctrl_letters_match_either_case() {
    let release = KeyEvent::new_with_kind(
        KeyCode::Char('j'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
    );
    assert!(keymap::handle_key(ScreenKind::Fleet, false, release).is_none());
    let upper = KeyEvent::new(KeyCode::Char('D'), KeyModifiers::CONTROL);
    assert!(matches!(
        keymap::handle_key(ScreenKind::Fleet, false, upper),
        Some(Action::Nav(modeldeck_tui::action::Nav::HalfPageDown))
    ));
    let d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::NONE);
    assert!(matches!(
        keymap::handle_key(ScreenKind::Fleet, false, d),
        Some(Action::Describe)
    ));
    assert!(matches!(
        keymap::handle_key(ScreenKind::Compare, false, d),
        Some(Action::ToggleDiffOnly)
    ));
}

#[test]
fn every_documented_binding_triggers_its_action() {
    for screen in [
        ScreenKind::Fleet,
        ScreenKind::Models,
        ScreenKind::Versions,
        ScreenKind::Compare,
        ScreenKind::Workload,
    ] {
        for b in keymap::screen_bindings(screen).iter().chain(keymap::GLOBAL) {
            for key in b.keys {
                let got = keymap::handle_key(screen, false, key.event());
                // Screen bindings shadow global ones on purpose (d, enter).
                let shadowed = keymap::screen_bindings(screen)
                    .iter()
                    .any(|s| !std::ptr::eq(s, b) && s.keys.contains(key));
                if !shadowed {
                    assert_eq!(
                        format!("{got:?}"),
                        format!("{:?}", Some(&b.action)),
                        "{} on {}",
                        b.label,
                        screen.name()
                    );
                }
            }
        }
    }
}

#[test]
fn resize_changes_the_page_size() {
    let mut t = app();
    t.act(Action::Resize {
        width: 120,
        height: 12,
    });
    t.app.settle();
    t.key(KeyCode::PageDown);
    assert_eq!(t.app.fleet().cursor().selected, 6);
}

#[test]
fn describe_opens_the_workload_and_asks_for_its_events() {
    let mut t = app();
    t.type_str("d");
    assert_eq!(t.app.screen(), ScreenKind::Workload);
    let req = t.take_request();
    assert!(matches!(&req.job, Job::Events { target } if target.name == "churn-scorer"));
    // Enter there opens the model's versions.
    t.key(KeyCode::Enter);
    assert_eq!(t.app.screen(), ScreenKind::Versions);
}

#[test]
fn start_screen_command() {
    let mut t = app();
    t.act(Action::Command(":models".into()));
    assert_eq!(t.app.screen(), ScreenKind::Models);
    t.act(Action::Command("bogus".into()));
    assert_eq!(t.app.screen(), ScreenKind::Models);
    assert!(t.app.flash().is_some_and(|f| f.error));
}
