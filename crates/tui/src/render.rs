//! The frame: status bar on top, the screen on top of the stack in the
//! body, the footer below. Reads the app only; [`areas`] is shared with
//! the update so clicks and page sizes agree with what is drawn.

use crate::app::{App, Screen};
use crate::views::RenderCtx;
use crate::widgets::{footer, status_bar};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

/// Where the parts of the frame go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Status bar (two lines).
    pub header: Rect,
    /// The screen.
    pub body: Rect,
    /// Prompt, message or key hints (one line).
    pub footer: Rect,
}

/// Splits the terminal area.
pub fn areas(area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        header,
        body,
        footer,
    }
}

/// Draws the whole frame from `app`.
pub fn render(frame: &mut Frame, app: &App) {
    let a = areas(frame.area());
    status_bar::render(frame, a.header, app);
    let rc = RenderCtx {
        snap: &app.snap,
        now: app.now,
        scope: &app.scope,
        marks: &app.promo.marks,
    };
    match app.stack.last() {
        Some(Screen::Fleet) | None => app.fleet.render(frame, a.body, &rc),
        Some(Screen::Models) => app.models.render(frame, a.body, &rc),
        Some(Screen::Versions(v)) => v.render(frame, a.body, &rc),
        Some(Screen::Compare(v)) => v.render(frame, a.body, &rc),
        Some(Screen::Workload(v)) => v.render(frame, a.body, &rc),
        Some(Screen::Drift(v)) => v.render(frame, a.body, &rc),
        Some(Screen::Promotions) => app.promo.render(frame, a.body, &rc),
        Some(Screen::Promotion(v)) => v.render(frame, a.body, &rc, &app.promo),
        Some(Screen::Help(v)) => v.render(frame, a.body),
    }
    if let Some(d) = &app.dialog {
        d.render(frame, a.body);
    }
    footer::render(frame, a.footer, app);
}
