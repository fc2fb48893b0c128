//! A CronJob's part of the workload detail: its schedule and next run (UTC
//! and relative), the last seven days of runs as a strip of dated symbols
//! (`✓` succeeded, `✗` failed, `…` running: colour and symbol, so it reads
//! without colour), the last run's duration against the typical one and
//! the model version it used, and the log tail of the last failed run's
//! pod (the cluster's `log_tail` of a CronJob).

use crate::theme;
use crate::views::Fetched;
use modeldeck_core::domain::{
    BatchRun, BatchView, RunOutcome, Timestamp, format_age, format_duration, format_messages,
};
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

fn style_of(o: RunOutcome) -> Style {
    match o {
        RunOutcome::Succeeded => theme::ok(),
        RunOutcome::Failed => theme::error(),
        RunOutcome::Running => theme::loading(),
    }
}

fn word(o: RunOutcome) -> &'static str {
    match o {
        RunOutcome::Succeeded => "Succeeded",
        RunOutcome::Failed => "Failed",
        RunOutcome::Running => "Running",
    }
}

/// `MM-DD HH:MM` in UTC.
fn short(t: Timestamp) -> String {
    let s = t.rfc3339();
    format!(
        "{} {}",
        s.get(5..10).unwrap_or(""),
        s.get(11..16).unwrap_or("")
    )
}

fn label(k: &str) -> Span<'static> {
    Span::styled(format!("{k:<10}"), theme::dim())
}

/// The batch lines of the detail: schedule and next run, the strip, the
/// last run.
pub(super) fn lines(b: &BatchView, now: Timestamp) -> Vec<Line<'static>> {
    let mut sched = vec![
        label("Schedule"),
        Span::styled(format!("{} UTC", clean(&b.schedule)), theme::text()),
    ];
    match (b.next_run, &b.note) {
        (Some(n), _) => sched.push(Span::styled(
            format!("   next {} UTC (in {})", short(n), format_age(n, now)),
            theme::text(),
        )),
        (None, Some(note)) => {
            sched.push(Span::styled(format!("   {}", clean(note)), theme::warn()))
        }
        (None, None) => sched.push(Span::styled("   no next run (suspended)", theme::warn())),
    }
    let mut strip = vec![label("Last 7d")];
    if b.runs.is_empty() {
        strip.push(Span::styled("no runs kept", theme::dim()));
    }
    for r in &b.runs {
        strip.push(Span::styled(
            format!("{} ", short(r.start).get(..5).unwrap_or("")),
            theme::dim(),
        ));
        strip.push(Span::styled(
            r.outcome.symbol().to_string(),
            style_of(r.outcome),
        ));
        strip.push(Span::raw("  "));
    }
    let mut out = vec![Line::from(sched), Line::from(strip)];
    // Rows scored, under each run of the strip, when the rows counter has
    // data for any run (`-`: none for that run, e.g. its pod died first).
    if b.runs.iter().any(|r| r.rows.is_some()) {
        let mut rows = vec![label("Rows")];
        for r in &b.runs {
            let cell = r.rows.map_or_else(|| "-".to_string(), format_messages);
            rows.push(Span::styled(
                format!("{cell:<9}"),
                if r.rows.is_some() {
                    theme::text()
                } else {
                    theme::dim()
                },
            ));
        }
        out.push(Line::from(rows));
    }
    out.push(last_run(b, now));
    out
}

fn last_run(b: &BatchView, now: Timestamp) -> Line<'static> {
    let Some(r) = b.runs.last() else {
        return Line::from(vec![label("Last run"), Span::styled("-", theme::dim())]);
    };
    let ran = r
        .duration_seconds()
        .unwrap_or_else(|| u64::try_from(now.0.saturating_sub(r.start.0) / 1000).unwrap_or(0));
    let typical = b.typical_duration_seconds.map_or_else(
        || "typical unknown".to_string(),
        |t| format!("typical {}", format_duration(t)),
    );
    let verb = if r.outcome == RunOutcome::Running {
        "for"
    } else {
        "ran"
    };
    let slow = b.verdict == modeldeck_core::domain::BatchVerdict::Overran;
    let mut spans = vec![
        label("Last run"),
        Span::styled(word(r.outcome), style_of(r.outcome)),
        Span::styled(format!(" {} UTC, {verb} ", short(r.start)), theme::text()),
        Span::styled(
            format_duration(ran),
            if slow { theme::warn() } else { theme::text() },
        ),
        Span::styled(format!(" ({typical})"), theme::dim()),
    ];
    if let Some(v) = &r.version {
        spans.push(Span::styled(format!(", v{}", clean(v)), theme::text()));
    }
    Line::from(spans)
}

/// The newest failed run of `b`, if any.
pub(super) fn last_failed(b: &BatchView) -> Option<&BatchRun> {
    b.runs
        .iter()
        .rev()
        .find(|r| r.outcome == RunOutcome::Failed)
}

/// Draws the failed run's log tail in `area`, newest line at the bottom,
/// long lines wrapped (the error is the line that matters).
pub(super) fn render_log(frame: &mut Frame, area: Rect, b: &BatchView, log: &Fetched<Vec<String>>) {
    let title = match last_failed(b) {
        Some(r) => format!(
            " Log of the failed run of {} UTC ({}) ",
            short(r.start),
            clean(&r.job)
        ),
        None => " Log of the last failed run ".to_string(),
    };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_style(theme::border())
        .title(Span::styled(title, theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let note = |s: String, st: Style| Paragraph::new(Line::styled(s, st));
    let lines = match (&log.data, &log.error) {
        (_, Some((e, _))) => {
            let msg = format!("Cannot read the log: {}", clean(e));
            frame.render_widget(note(msg, theme::error()).wrap(Wrap { trim: false }), inner);
            return;
        }
        (None, None) => {
            frame.render_widget(note("Loading the log…".into(), theme::loading()), inner);
            return;
        }
        (Some(l), None) if l.is_empty() => {
            let msg = if last_failed(b).is_some() {
                "The failed run's pod has no log (deleted with its Job?)."
            } else {
                "No kept run failed."
            };
            frame.render_widget(note(msg.into(), theme::dim()), inner);
            return;
        }
        (Some(l), None) => l,
    };
    // The newest lines that fit once wrapped.
    let width = usize::from(inner.width.max(1));
    let mut rows = 0usize;
    let mut shown: Vec<Line<'static>> = Vec::new();
    for l in lines.iter().rev() {
        let text = clean(l).into_owned();
        // Drop the date: the run's date is in the title and the strip.
        let text = match (text.get(..20), text.get(11..19), text.get(21..)) {
            (Some(p), Some(time), Some(rest)) if p.ends_with('Z') => format!("{time} {rest}"),
            _ => text,
        };
        let need = text.chars().count().div_ceil(width).max(1);
        if rows + need > usize::from(inner.height) && !shown.is_empty() {
            break;
        }
        rows += need;
        let st = if text.contains("ERROR") {
            theme::error()
        } else if text.contains("WARN") {
            theme::warn()
        } else {
            theme::text()
        };
        shown.push(Line::styled(text, st));
    }
    shown.reverse();
    frame.render_widget(Paragraph::new(shown).wrap(Wrap { trim: false }), inner);
}
