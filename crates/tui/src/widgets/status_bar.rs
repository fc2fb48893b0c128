//! The two status lines: the SANDBOX banner, profile and scope, and where
//! the user is (line one); the state of each backend (line two), as the
//! core decides it ([`BackendState`], the same words as `modeldeck status`):
//! ready, empty, loading, partial naming the failing contexts, stale since a
//! time, not configured, or failed with its error code.

use crate::app::{App, Screen};
use crate::theme;
use modeldeck_core::console::{BackendState, Severity};
use modeldeck_core::error::Backend;
use modeldeck_core::text::{clean, clean_owned};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
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

    let backends = Backend::ALL.map(|b| (b, snap.backend_state(b)));
    let mut line = health_line(&backends, false);
    if line.width() > usize::from(bottom.width) {
        line = health_line(&backends, true);
    }
    frame.render_widget(line, bottom);
}

fn health_line(backends: &[(Backend, BackendState)], compact: bool) -> Line<'static> {
    let mut spans = Vec::new();
    for (backend, state) in backends {
        if !spans.is_empty() {
            spans.push(Span::styled("  ", theme::dim()));
        }
        spans.push(Span::styled(format!("{backend} "), theme::dim()));
        spans.push(backend_span(state, compact));
    }
    Line::from(spans)
}

/// One backend's state as a styled glyph and its word; `compact` drops
/// filler words for narrow terminals.
pub fn backend_span(state: &BackendState, compact: bool) -> Span<'static> {
    let word = state.label();
    let text = match state {
        BackendState::Ready | BackendState::Empty => format!("✓ {word}"),
        BackendState::Loading => format!("⟳ {word}"),
        BackendState::Partial { failures } if compact => format!("⚠ {word} {}", failures.len()),
        BackendState::Partial { failures } => {
            // Some contexts answer, others not: name them.
            let names: Vec<String> = failures.iter().map(|f| clean_owned(&f.context)).collect();
            format!("⚠ {word}: {} failing", names.join(","))
        }
        BackendState::Stale { since, .. } if compact => format!("⚠ {word} {}", since.hms()),
        BackendState::Stale { since, .. } => format!("⚠ {word} since {}", since.hms()),
        BackendState::NotConfigured { .. } if compact => "–".to_string(),
        BackendState::NotConfigured { .. } => format!("– {word}"),
        BackendState::Failed { error } if compact => format!("✗ {}", error.code),
        BackendState::Failed { error } => format!("✗ {word} ({})", error.code),
    };
    Span::styled(text, style_of(state))
}

/// The color of a state follows its severity, as in the CLI's tables.
fn style_of(state: &BackendState) -> Style {
    match state.severity() {
        Severity::Good => theme::ok(),
        Severity::Neutral if matches!(state, BackendState::Loading) => theme::loading(),
        Severity::Neutral => theme::dim(),
        Severity::Warning => theme::warn(),
        Severity::Bad => theme::error(),
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
