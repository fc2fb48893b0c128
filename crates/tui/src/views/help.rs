//! The help screen: every key of every screen, drawn from the same binding
//! tables the key handler uses; the screen help was opened from comes
//! first. Scrolls with the usual keys.

use crate::action::{Action, Nav};
use crate::command::COMMANDS;
use crate::keymap::{self, Binding, ScreenKind};
use crate::theme;
use crate::views::Transition;
use crate::widgets::panel;
use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Help state: where it was opened from and how far it is scrolled.
#[derive(Debug, Clone)]
pub struct HelpView {
    from: ScreenKind,
    offset: usize,
}

const ORDER: [ScreenKind; 5] = [
    ScreenKind::Fleet,
    ScreenKind::Models,
    ScreenKind::Versions,
    ScreenKind::Compare,
    ScreenKind::Workload,
];

impl HelpView {
    /// Help opened from `from`.
    pub fn new(from: ScreenKind) -> HelpView {
        HelpView { from, offset: 0 }
    }

    /// The screen help was opened from.
    pub fn from(&self) -> ScreenKind {
        self.from
    }

    fn lines(&self) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        let screens =
            std::iter::once(self.from).chain(ORDER.into_iter().filter(|s| *s != self.from));
        for s in screens.filter(|s| *s != ScreenKind::Help) {
            section(&mut out, s.name(), keymap::screen_bindings(s));
        }
        section(&mut out, "Everywhere", keymap::GLOBAL);
        pairs(&mut out, "Prompt (/ and :)", keymap::PROMPT_HELP);
        pairs(&mut out, "Mouse", keymap::MOUSE_HELP);
        let commands: Vec<(&str, &str)> = COMMANDS
            .iter()
            .map(|(_, syn, what)| (*syn, *what))
            .collect();
        pairs(&mut out, "Commands", &commands);
        out
    }

    /// Scrolls.
    pub(crate) fn handle(&mut self, action: &Action, body: Rect) -> Transition {
        let height = usize::from(body.height.saturating_sub(2)).max(1);
        let max = self.lines().len().saturating_sub(height);
        self.offset = match action {
            Action::Nav(Nav::Up) | Action::ScrollUp => self.offset.saturating_sub(1),
            Action::Nav(Nav::Down) | Action::ScrollDown => self.offset + 1,
            Action::Nav(Nav::Top) => 0,
            Action::Nav(Nav::Bottom) => max,
            Action::Nav(Nav::PageUp | Nav::HalfPageUp) => self.offset.saturating_sub(height / 2),
            Action::Nav(Nav::PageDown | Nav::HalfPageDown) => self.offset + height / 2,
            _ => self.offset,
        }
        .min(max);
        Transition::Stay
    }

    /// Draws the help.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect) {
        let title = vec![
            Span::styled(" Help", theme::title()),
            Span::styled(format!("({}) ", self.from.name()), theme::key()),
        ];
        frame.render_widget(panel::block(title), area);
        let inner = area.inner(Margin::new(1, 1));
        let lines = self.lines();
        let height = usize::from(inner.height);
        let start = self.offset.min(lines.len().saturating_sub(height.max(1)));
        let shown: Vec<Line> = lines.into_iter().skip(start).take(height).collect();
        frame.render_widget(Paragraph::new(shown), inner);
    }
}

fn section(out: &mut Vec<Line<'static>>, title: &str, bindings: &[Binding]) {
    let rows: Vec<(&str, &str)> = bindings.iter().map(|b| (b.label, b.help)).collect();
    pairs(out, title, &rows);
}

fn pairs(out: &mut Vec<Line<'static>>, title: &str, rows: &[(&str, &str)]) {
    if rows.is_empty() {
        return;
    }
    out.push(Line::styled(title.to_string(), theme::title()));
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .max(12)
        + 2;
    for (k, h) in rows {
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{k:<width$}"), theme::key()),
            Span::styled(h.to_string(), theme::text()),
        ]));
    }
    out.push(Line::raw(""));
}
