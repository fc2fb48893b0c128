//! The two status lines: the SANDBOX banner, profile and scope, and where
//! the user is (line one); the health of each backend (line two): ok,
//! loading, failed with its error code, or stale since a time.

use crate::app::{App, Screen};
use crate::theme;
use modeldeck_core::console::{BackendStatus, PanelState};
use modeldeck_core::error::BackendError;
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

/// Draws the status bar in `area` (two lines).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let [top, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let snap = app.snapshot();
    let mut left = Vec::new();
    if snap.sandbox {
        let text = if area.width >= 100 {
            " SANDBOX: simulated clusters, registry and metrics "
        } else {
            " SANDBOX "
        };
        left.push(Span::styled(text, theme::sandbox()));
        left.push(Span::raw(" "));
    }
    // The product name goes first when space is short; the scope stays.
    if area.width >= 100 {
        left.push(Span::styled("modeldeck  ", theme::title()));
    }
    left.push(Span::styled("profile ", theme::dim()));
    left.push(Span::styled(
        clean(&snap.profile).into_owned(),
        theme::text(),
    ));
    let scope = app.scope();
    left.push(Span::styled("  ctx ", theme::dim()));
    left.push(Span::styled(
        clean(scope.cluster.as_deref().unwrap_or("all")).into_owned(),
        theme::text(),
    ));
    left.push(Span::styled("  ns ", theme::dim()));
    left.push(Span::styled(
        clean(scope.namespace.as_deref().unwrap_or("all")).into_owned(),
        theme::text(),
    ));
    let left = Line::from(left);
    let room = usize::from(top.width).saturating_sub(left.width() + 2);
    let crumbs = Line::styled(breadcrumbs(app, room), theme::dim()).right_aligned();
    // Where the user is matters less than the SANDBOX banner and the scope.
    let crumbs_w = if crumbs.width() <= room {
        crumbs.width() as u16
    } else {
        0
    };
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(crumbs_w)]).areas(top);
    frame.render_widget(left, l);
    frame.render_widget(crumbs, r);

    let backends = [
        ("cluster", &snap.cluster),
        ("registry", &snap.registry),
        ("metrics", &snap.metrics),
    ];
    let mut line = health_line(&backends, false);
    if line.width() > usize::from(bottom.width) {
        line = health_line(&backends, true);
    }
    frame.render_widget(line, bottom);
}

fn health_line(backends: &[(&str, &BackendStatus)], compact: bool) -> Line<'static> {
    let mut spans = Vec::new();
    for (name, st) in backends {
        if !spans.is_empty() {
            spans.push(Span::styled("  ", theme::dim()));
        }
        spans.push(Span::styled(format!("{name} "), theme::dim()));
        spans.push(backend_span(st, compact));
    }
    Line::from(spans)
}

/// One backend's health as a styled word; `compact` drops filler words
/// for narrow terminals.
pub fn backend_span(st: &BackendStatus, compact: bool) -> Span<'static> {
    match st.panel_state(false) {
        PanelState::Ready | PanelState::Empty if !st.partial.is_empty() => {
            // Some contexts answer, others not: name them (the first ones).
            let names: Vec<String> = st
                .partial
                .iter()
                .map(|e| {
                    let part = e.location.as_deref().unwrap_or("?");
                    modeldeck_core::text::clean(part.strip_prefix("context ").unwrap_or(part))
                        .into_owned()
                })
                .collect();
            let text = if compact {
                format!("⚠ partial {}", names.len())
            } else {
                format!("⚠ partial: {} failing", names.join(","))
            };
            Span::styled(text, theme::warn())
        }
        PanelState::Ready | PanelState::Empty => Span::styled("✓ ok", theme::ok()),
        PanelState::Loading => Span::styled("⟳ loading", theme::loading()),
        PanelState::Failed(_)
            if st
                .error
                .as_ref()
                .is_some_and(BackendError::is_not_configured) =>
        {
            Span::styled(if compact { "–" } else { "– not configured" }, theme::dim())
        }
        PanelState::Failed(_) => {
            let code = st.error.as_ref().map_or("error", |e| e.code.as_str());
            let text = if compact {
                format!("✗ {code}")
            } else {
                format!("✗ failed ({code})")
            };
            Span::styled(text, theme::error())
        }
        PanelState::Stale { since, .. } => {
            let text = if compact {
                format!("⚠ stale {}", since.hms())
            } else {
                format!("⚠ stale since {}", since.hms())
            };
            Span::styled(text, theme::warn())
        }
    }
}

/// Where the user is (`fleet › versions(fraud) › compare(...)`), eliding
/// the oldest screens to stay within `max` cells.
fn breadcrumbs(app: &App, max: usize) -> String {
    let mut names: Vec<String> = app
        .stack()
        .iter()
        .map(|s| match s {
            Screen::Versions(v) => format!("versions({})", clean(v.model())),
            Screen::Compare(v) => {
                let (m, a, b) = v.pair();
                format!("compare({} v{} v{})", clean(m), clean(a), clean(b))
            }
            Screen::Workload(v) => format!("workload({})", clean(&v.target().name)),
            other => other.kind().name().to_lowercase(),
        })
        .collect();
    let mut elided = false;
    loop {
        let text = format!("{}{} ", if elided { "… › " } else { "" }, names.join(" › "));
        if names.len() <= 1 || Span::raw(text.as_str()).width() <= max {
            return text;
        }
        names.remove(0);
        elided = true;
    }
}
