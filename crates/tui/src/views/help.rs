//! The help screen: every key of every screen, drawn from the same binding
//! tables the key handler uses; the screen help was opened from comes
//! first. Scrolls with the usual keys.

use crate::action::{Action, Nav};
use crate::command::COMMANDS;
use crate::keymap::{self, Binding, ScreenKind};
use crate::theme;
use crate::views::Transition;
use crate::widgets::panel;
use modeldeck_core::fleet::FleetColumn;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Help state: where it was opened from and how far it is scrolled.
#[derive(Debug, Clone)]
pub struct HelpView {
    from: ScreenKind,
    offset: usize,
}

/// Inner width from which help is drawn in two columns.
const TWO_COLUMNS: u16 = 120;

const ORDER: [ScreenKind; 8] = [
    ScreenKind::Fleet,
    ScreenKind::Models,
    ScreenKind::Versions,
    ScreenKind::Compare,
    ScreenKind::Workload,
    ScreenKind::Drift,
    ScreenKind::Promotions,
    ScreenKind::Promotion,
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

    /// Screen sections (the current screen first), then the general ones.
    fn sections(&self) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
        let mut screens = Vec::new();
        let order = std::iter::once(self.from).chain(ORDER.into_iter().filter(|s| *s != self.from));
        for s in order.filter(|s| *s != ScreenKind::Help) {
            section(&mut screens, s.name(), keymap::screen_bindings(s));
        }
        let mut general = Vec::new();
        section(&mut general, "Everywhere", keymap::GLOBAL);
        pairs(&mut general, "Prompt (/ and :)", keymap::PROMPT_HELP);
        pairs(&mut general, "Dialog (a r x u c P)", keymap::DIALOG_HELP);
        pairs(&mut general, "Marks", keymap::MARKS_HELP);
        pairs(&mut general, "Mouse", keymap::MOUSE_HELP);
        let commands: Vec<(String, String)> = COMMANDS
            .iter()
            .map(|(_, syn, what)| (syn.to_string(), what.to_string()))
            .collect();
        pairs(&mut general, "Commands", &commands);
        (screens, general)
    }

    /// Side by side when `width` allows, else one below the other.
    fn columns(&self, width: u16) -> Vec<Vec<Line<'static>>> {
        let (screens, general) = self.sections();
        if width >= TWO_COLUMNS {
            vec![screens, general]
        } else {
            vec![screens.into_iter().chain(general).collect()]
        }
    }

    /// Scrolls.
    pub(crate) fn handle(&mut self, action: &Action, body: Rect) -> Transition {
        let height = usize::from(body.height.saturating_sub(2)).max(1);
        let longest = self
            .columns(body.width.saturating_sub(2))
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        let max = longest.saturating_sub(height);
        self.offset = match action {
            Action::Nav(Nav::Up) => self.offset.saturating_sub(1),
            Action::Nav(Nav::Down) => self.offset + 1,
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
        let columns = self.columns(inner.width);
        let height = usize::from(inner.height);
        let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
        let start = self.offset.min(longest.saturating_sub(height.max(1)));
        let areas = Layout::horizontal(vec![Constraint::Fill(1); columns.len()]).split(inner);
        for (lines, area) in columns.into_iter().zip(areas.iter()) {
            let shown: Vec<Line> = lines.into_iter().skip(start).take(height).collect();
            frame.render_widget(Paragraph::new(shown), *area);
        }
    }
}

/// A screen's bindings; the sort-by-column keys share one line.
fn section(out: &mut Vec<Line<'static>>, title: &str, bindings: &[Binding]) {
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut sort_keys = Vec::new();
    let mut sort_words = Vec::new();
    for b in bindings {
        if let Action::SortBy(c) = b.action {
            sort_keys.push(b.label);
            sort_words.push(column_word(c));
        } else {
            rows.push((b.label.to_string(), b.help.to_string()));
        }
    }
    if !sort_keys.is_empty() {
        rows.push((
            "shift+letter".to_string(),
            "sort by a column (again: reverse):".to_string(),
        ));
        let pairs: Vec<String> = sort_keys
            .iter()
            .zip(&sort_words)
            .map(|(k, w)| format!("{k} {w}"))
            .collect();
        for chunk in pairs.chunks(5) {
            rows.push((String::new(), format!("  {}", chunk.join("  "))));
        }
    }
    pairs(out, title, &rows);
}

fn column_word(c: FleetColumn) -> &'static str {
    match c {
        FleetColumn::Cluster => "context",
        FleetColumn::Namespace => "namespace",
        FleetColumn::Name => "name",
        FleetColumn::Kind => "kind",
        FleetColumn::Model => "model",
        FleetColumn::Version => "version",
        FleetColumn::Ready => "ready",
        FleetColumn::Rollout => "rollout",
        FleetColumn::Rps => "traffic",
        FleetColumn::P99 => "p99",
        FleetColumn::Errors => "errors",
        FleetColumn::Drift => "drift",
        FleetColumn::Lag => "lag",
        FleetColumn::Age => "age",
    }
}

fn pairs<K: AsRef<str>, H: AsRef<str>>(out: &mut Vec<Line<'static>>, title: &str, rows: &[(K, H)]) {
    if rows.is_empty() {
        return;
    }
    out.push(Line::styled(title.to_string(), theme::title()));
    let width = rows
        .iter()
        .map(|(k, _)| k.as_ref().chars().count())
        .max()
        .unwrap_or(0)
        .max(12)
        + 2;
    for (k, h) in rows {
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(format!("{:<width$}", k.as_ref()), theme::key()),
            Span::styled(h.as_ref().to_string(), theme::text()),
        ]));
    }
    out.push(Line::raw(""));
}
