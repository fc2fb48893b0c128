//! The bordered panel a screen lives in, and the five states it can be in.
//! Loading, empty and failed replace the content with a message; stale
//! keeps the content and puts a one-line notice above it.

use crate::theme;
use modeldeck_core::console::PanelState;
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

/// What a panel says in each non-ready state.
#[derive(Debug, Clone, Copy)]
pub struct Messages<'a> {
    /// While nothing has been read (`Loading workloads…`).
    pub loading: &'a str,
    /// When the read found nothing.
    pub empty: &'a str,
    /// Before the failure reason (`Cannot list workloads`).
    pub failed: &'a str,
}

/// A panel frame titled with `title`; the title is already sanitized.
pub fn block(title: Vec<Span<'_>>) -> Block<'_> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Plain)
        .border_style(theme::border())
        .title(Line::from(title))
}

/// Splits a panel's inner area into an optional one-line notice (stale
/// data) and the content below it. Used by render and by click handling,
/// so both agree on where rows are.
pub fn split_notice(inner: Rect, state: &PanelState) -> (Option<Rect>, Rect) {
    split_line(inner, matches!(state, PanelState::Stale { .. }))
}

/// Splits off a one-line notice at the top of `inner` when `notice`.
pub fn split_line(inner: Rect, notice: bool) -> (Option<Rect>, Rect) {
    if notice && inner.height > 1 {
        let [notice, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        (Some(notice), rest)
    } else {
        (None, inner)
    }
}

/// The stale notice: since when, and why.
pub fn stale_line(state: &PanelState) -> Option<Line<'static>> {
    match state {
        PanelState::Stale { since, reason } => Some(Line::from(vec![
            Span::styled(format!("⚠ stale since {}", since.hms()), theme::warn()),
            Span::styled(": ", theme::dim()),
            Span::styled(clean(reason).into_owned(), theme::dim()),
        ])),
        _ => None,
    }
}

/// Draws a loading/empty/failed message centred in `area`. Returns false
/// (drawing nothing) for ready and stale panels, which show their content.
pub fn render_state(frame: &mut Frame, area: Rect, state: &PanelState, msg: Messages) -> bool {
    let lines = match state {
        PanelState::Ready | PanelState::Stale { .. } => return false,
        PanelState::Loading => vec![Line::styled(format!("⟳ {}", msg.loading), theme::loading())],
        PanelState::Empty => vec![Line::styled(msg.empty.to_string(), theme::dim())],
        PanelState::Failed(reason) => vec![
            Line::styled(format!("✗ {}", msg.failed), theme::error()),
            Line::raw(""),
            Line::styled(clean(reason).into_owned(), theme::text()),
        ],
    };
    render_centered(frame, area, lines);
    true
}

/// Draws `lines` centred horizontally and vertically, wrapped to `area`.
pub fn render_centered(frame: &mut Frame, area: Rect, lines: Vec<Line<'_>>) {
    let width = area.width.saturating_sub(4).max(1);
    let needed: u16 = lines
        .iter()
        .map(|l| (l.width() as u16).div_ceil(width).max(1))
        .sum();
    let top = area.height.saturating_sub(needed) / 2;
    let target = Rect {
        x: area.x + 2.min(area.width),
        y: area.y + top,
        width,
        height: area.height.saturating_sub(top),
    }
    .intersection(area);
    let p = Paragraph::new(lines)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true });
    frame.render_widget(p, target);
}
