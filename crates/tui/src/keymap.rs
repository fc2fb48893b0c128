//! Keys and mouse to [`Action`]s. The bindings are data: the same tables
//! drive key handling and the help screen, so help cannot drift from what
//! the keys do. Screen bindings are looked up before the global ones (`d`
//! describes on the Fleet and toggles diff-only on Compare).

use crate::action::{Action, Nav, PromptKey};
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use modeldeck_core::fleet::FleetColumn;
use modeldeck_promotion::ActionKind;

/// The kinds of screen, for choosing bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenKind {
    /// Fleet.
    Fleet,
    /// Registered models.
    Models,
    /// Versions of one model.
    Versions,
    /// Two versions compared.
    Compare,
    /// One workload's detail and events.
    Workload,
    /// One model version's drift.
    Drift,
    /// Promotions: inbox and list.
    Promotions,
    /// One promotion's detail.
    Promotion,
    /// Key bindings.
    Help,
}

impl ScreenKind {
    /// Name shown in help and hints.
    pub fn name(self) -> &'static str {
        match self {
            ScreenKind::Fleet => "Fleet",
            ScreenKind::Models => "Models",
            ScreenKind::Versions => "Versions",
            ScreenKind::Compare => "Compare",
            ScreenKind::Workload => "Workload",
            ScreenKind::Drift => "Drift",
            ScreenKind::Promotions => "Promotions",
            ScreenKind::Promotion => "Promotion",
            ScreenKind::Help => "Help",
        }
    }

    /// True when `/` filters this screen.
    pub fn filterable(self) -> bool {
        matches!(
            self,
            ScreenKind::Fleet | ScreenKind::Models | ScreenKind::Versions
        )
    }
}

/// A key: code plus ctrl/alt (shift is part of the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    code: KeyCode,
    mods: KeyModifiers,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

impl Key {
    /// The key event this key is (a press).
    pub fn event(&self) -> KeyEvent {
        KeyEvent::new(self.code, self.mods)
    }
}

/// One binding: the keys, how help writes them, what they do.
#[derive(Debug)]
pub struct Binding {
    /// Keys that trigger it.
    pub keys: &'static [Key],
    /// How help shows the keys.
    pub label: &'static str,
    /// What it does.
    pub help: &'static str,
    /// The action.
    pub action: Action,
}

const fn bind(
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
    action: Action,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        action,
    }
}

/// Bindings that work on every screen.
pub const GLOBAL: &[Binding] = &[
    bind(&[ctrl('c')], "ctrl-c", "quit from anywhere", Action::Quit),
    bind(
        &[ch('q')],
        "q",
        "back; quits on the first screen",
        Action::Back,
    ),
    bind(
        &[code(KeyCode::Esc)],
        "esc",
        "clear the filter, else back",
        Action::Escape,
    ),
    bind(&[ch('?')], "?", "this help", Action::Help),
    bind(
        &[ch(':')],
        ":",
        "command line (:fleet :models :drift :promotions :compare :ns :ctx :q)",
        Action::OpenCommand,
    ),
    bind(
        &[ch('/')],
        "/",
        "filter: text, regex, key=value, !negates",
        Action::OpenFilter,
    ),
    bind(
        &[ch('j'), code(KeyCode::Down)],
        "j ↓",
        "down",
        Action::Nav(Nav::Down),
    ),
    bind(
        &[ch('k'), code(KeyCode::Up)],
        "k ↑",
        "up",
        Action::Nav(Nav::Up),
    ),
    bind(
        &[ch('g'), code(KeyCode::Home)],
        "g home",
        "first row",
        Action::Nav(Nav::Top),
    ),
    bind(
        &[ch('G'), code(KeyCode::End)],
        "G end",
        "last row",
        Action::Nav(Nav::Bottom),
    ),
    bind(
        &[ctrl('d')],
        "ctrl-d",
        "half a page down",
        Action::Nav(Nav::HalfPageDown),
    ),
    bind(
        &[ctrl('u')],
        "ctrl-u",
        "half a page up",
        Action::Nav(Nav::HalfPageUp),
    ),
    bind(
        &[code(KeyCode::PageDown), ctrl('f')],
        "pgdn ctrl-f",
        "page down",
        Action::Nav(Nav::PageDown),
    ),
    bind(
        &[code(KeyCode::PageUp), ctrl('b')],
        "pgup ctrl-b",
        "page up",
        Action::Nav(Nav::PageUp),
    ),
    bind(
        &[ctrl('r')],
        "ctrl-r",
        "re-read this screen's data",
        Action::Refresh,
    ),
];

/// Fleet bindings.
pub const FLEET: &[Binding] = &[
    bind(
        &[code(KeyCode::Enter)],
        "enter",
        "versions of the workload's model",
        Action::Select,
    ),
    bind(
        &[ch('d')],
        "d",
        "describe: workload detail and events",
        Action::Describe,
    ),
    bind(
        &[ch('p')],
        "p",
        "promotions: your inbox, then all",
        Action::OpenPromotions,
    ),
    bind(&[ch('s')], "s", "sort by the next column", Action::SortNext),
    bind(&[ch('S')], "S", "reverse the sort", Action::SortReverse),
    bind(
        &[ch('N')],
        "N",
        "sort by name (again: reverse)",
        Action::SortBy(FleetColumn::Name),
    ),
    bind(
        &[ch('C')],
        "C",
        "sort by context",
        Action::SortBy(FleetColumn::Cluster),
    ),
    bind(
        &[ch('M')],
        "M",
        "sort by model",
        Action::SortBy(FleetColumn::Model),
    ),
    bind(
        &[ch('V')],
        "V",
        "sort by version",
        Action::SortBy(FleetColumn::Version),
    ),
    bind(
        &[ch('R')],
        "R",
        "sort by rollout state",
        Action::SortBy(FleetColumn::Rollout),
    ),
    bind(
        &[ch('T')],
        "T",
        "sort by traffic (rps)",
        Action::SortBy(FleetColumn::Rps),
    ),
    bind(
        &[ch('P')],
        "P",
        "sort by p99 latency",
        Action::SortBy(FleetColumn::P99),
    ),
    bind(
        &[ch('E')],
        "E",
        "sort by error rate",
        Action::SortBy(FleetColumn::Errors),
    ),
    bind(
        &[ch('D')],
        "D",
        "drift of the row's model: features, charts, retrain",
        Action::OpenDrift,
    ),
    bind(
        &[ch('F')],
        "F",
        "sort by drift (feature drift)",
        Action::SortBy(FleetColumn::Drift),
    ),
    bind(
        &[ch('A')],
        "A",
        "sort by age",
        Action::SortBy(FleetColumn::Age),
    ),
];

/// Models bindings.
pub const MODELS: &[Binding] = &[
    bind(
        &[code(KeyCode::Enter)],
        "enter",
        "versions of the model",
        Action::Select,
    ),
    bind(&[ch('d')], "d", "model card: show / hide", Action::Describe),
];

/// Versions bindings.
pub const VERSIONS: &[Binding] = &[
    bind(
        &[ch(' ')],
        "space",
        "mark / unmark a version (two at most)",
        Action::ToggleMark,
    ),
    bind(
        &[ch('c')],
        "c",
        "compare the two marked, or selected vs champion",
        Action::Compare,
    ),
    bind(
        &[code(KeyCode::Enter)],
        "enter",
        "same as c",
        Action::Select,
    ),
    bind(
        &[ch('P')],
        "P",
        "request a promotion of the selected version",
        Action::RequestPromotion,
    ),
    bind(&[ch('d')], "d", "model card: show / hide", Action::Describe),
    bind(&[ch('m')], "m", "next metric chart", Action::CurveMetric(1)),
    bind(&[ch('M')], "M", "previous metric", Action::CurveMetric(-1)),
    bind(
        &[code(KeyCode::Tab)],
        "tab",
        "metric chart across versions: show / hide (shown instead of the table if small)",
        Action::TogglePanel,
    ),
];

/// Promotions list bindings.
pub const PROMOTIONS: &[Binding] = &[bind(
    &[code(KeyCode::Enter)],
    "enter",
    "detail: gates, approvals, evidence, rollout, actions",
    Action::Select,
)];

/// Promotion detail bindings.
pub const PROMOTION: &[Binding] = &[
    bind(
        &[ch('a')],
        "a",
        "approve (with a comment)",
        Action::Act(ActionKind::Approve),
    ),
    bind(
        &[ch('r')],
        "r",
        "reject (a comment is required)",
        Action::Act(ActionKind::Reject),
    ),
    bind(
        &[ch('x')],
        "x",
        "execute: move the alias, roll the targets",
        Action::Act(ActionKind::Execute),
    ),
    bind(
        &[ch('u')],
        "u",
        "roll back to the version before (with a reason)",
        Action::Act(ActionKind::Rollback),
    ),
    bind(
        &[ch('c')],
        "c",
        "cancel your own request (with a reason)",
        Action::Act(ActionKind::Cancel),
    ),
    bind(&[ch('t')], "t", "next target's health", Action::NextTarget),
    bind(
        &[ch('w')],
        "w",
        "next health window",
        Action::DriftWindow(1),
    ),
    bind(&[ch('W')], "W", "previous window", Action::DriftWindow(-1)),
    bind(
        &[code(KeyCode::Tab)],
        "tab",
        "health charts / text (when only one fits)",
        Action::TogglePanel,
    ),
];

/// Compare bindings.
pub const COMPARE: &[Binding] = &[
    bind(
        &[ch('d')],
        "d",
        "show differences only / everything",
        Action::ToggleDiffOnly,
    ),
    bind(
        &[ch('c')],
        "c",
        "training curve of the next metric both runs logged",
        Action::CurveMetric(1),
    ),
    bind(
        &[ch('C')],
        "C",
        "training curve of the previous metric",
        Action::CurveMetric(-1),
    ),
];

/// Workload detail bindings.
pub const WORKLOAD: &[Binding] = &[
    bind(
        &[code(KeyCode::Enter)],
        "enter",
        "versions of the workload's model",
        Action::Select,
    ),
    bind(
        &[ch('D')],
        "D",
        "drift of the served version (and the canary's)",
        Action::OpenDrift,
    ),
    bind(
        &[code(KeyCode::Tab)],
        "tab",
        "health charts / events (when only one fits)",
        Action::TogglePanel,
    ),
    bind(
        &[ch('w')],
        "w",
        "next health window (1h 6h 24h 7d)",
        Action::DriftWindow(1),
    ),
    bind(
        &[ch('W')],
        "W",
        "previous health window",
        Action::DriftWindow(-1),
    ),
];

/// Drift screen bindings.
pub const DRIFT: &[Binding] = &[
    bind(
        &[ch('w')],
        "w",
        "next window (1h 6h 24h 7d)",
        Action::DriftWindow(1),
    ),
    bind(&[ch('W')], "W", "previous window", Action::DriftWindow(-1)),
    bind(
        &[ch('v')],
        "v",
        "the other version served (canary / stable)",
        Action::NextVersion,
    ),
    bind(
        &[code(KeyCode::Tab)],
        "tab",
        "score over time / histogram (when only one fits)",
        Action::TogglePanel,
    ),
    bind(
        &[ch('s')],
        "s",
        "sort: most drifted first / by name",
        Action::SortNext,
    ),
    bind(
        &[ch('R')],
        "R",
        "retrain: start a run from the model's retraining CronJob",
        Action::Retrain,
    ),
];

/// The bindings specific to `screen`.
pub fn screen_bindings(screen: ScreenKind) -> &'static [Binding] {
    match screen {
        ScreenKind::Fleet => FLEET,
        ScreenKind::Models => MODELS,
        ScreenKind::Versions => VERSIONS,
        ScreenKind::Compare => COMPARE,
        ScreenKind::Workload => WORKLOAD,
        ScreenKind::Drift => DRIFT,
        ScreenKind::Promotions => PROMOTIONS,
        ScreenKind::Promotion => PROMOTION,
        ScreenKind::Help => &[],
    }
}

fn normalize(ev: &KeyEvent) -> Key {
    let mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    let code = match ev.code {
        // Some terminals report ctrl-letters upper-cased.
        KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
            KeyCode::Char(c.to_ascii_lowercase())
        }
        other => other,
    };
    Key { code, mods }
}

/// The action of a key press on `screen`, with the prompt open or not.
pub fn handle_key(screen: ScreenKind, prompt_open: bool, ev: KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let key = normalize(&ev);
    if prompt_open {
        return handle_prompt_key(key);
    }
    screen_bindings(screen)
        .iter()
        .chain(GLOBAL)
        .find(|b| b.keys.contains(&key))
        .map(|b| b.action.clone())
}

fn handle_prompt_key(key: Key) -> Option<Action> {
    let edit = match (key.code, key.mods) {
        (KeyCode::Char('c'), KeyModifiers::CONTROL) => return Some(Action::Quit),
        (KeyCode::Char('w'), KeyModifiers::CONTROL) => PromptKey::DeleteWord,
        (KeyCode::Char('u'), KeyModifiers::CONTROL) => PromptKey::Clear,
        (KeyCode::Char(c), KeyModifiers::NONE) => PromptKey::Insert(c),
        (KeyCode::Backspace, _) => PromptKey::Backspace,
        (KeyCode::Tab, _) => PromptKey::Complete,
        (KeyCode::Enter, _) => PromptKey::Submit,
        (KeyCode::Esc, _) => PromptKey::Cancel,
        _ => return None,
    };
    Some(Action::Prompt(edit))
}

/// The action of a mouse event: the wheel moves the selection (as in
/// k9s), a left click selects.
pub fn handle_mouse(ev: MouseEvent) -> Option<Action> {
    match ev.kind {
        MouseEventKind::ScrollUp => Some(Action::Nav(Nav::Up)),
        MouseEventKind::ScrollDown => Some(Action::Nav(Nav::Down)),
        MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
            column: ev.column,
            row: ev.row,
        }),
        _ => None,
    }
}

/// The action of any terminal event.
pub fn handle_event(screen: ScreenKind, prompt_open: bool, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => handle_key(screen, prompt_open, k),
        Event::Mouse(m) => handle_mouse(m),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        // Bracketed paste is not enabled, so pastes arrive as keys.
        Event::Paste(_) | Event::FocusGained | Event::FocusLost => None,
    }
}

// The help screen's tables of mouse, marks, dialog and prompt keys.
#[path = "keymap_help.rs"]
mod help_tables;
pub use help_tables::{DIALOG_HELP, MARKS_HELP, MOUSE_HELP, PROMPT_HELP};
