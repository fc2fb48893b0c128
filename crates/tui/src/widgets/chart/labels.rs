//! The words around a [`TimeChart`](super::TimeChart)'s plot: the legend
//! (series, last values, threshold, first crossing), the marker legend, the
//! time axis, and `no data` written into gaps.

use super::{Grid, TimeChart};
use crate::theme;
use modeldeck_core::chart::{self as core, Marker};
use modeldeck_core::drift::evaluate::compact;
use modeldeck_core::text::clean;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Time labels under the plot, centred on their tick, never overlapping.
pub(super) fn time_axis(c: &TimeChart<'_>, plot: Rect, y: u16, buf: &mut Buffer) {
    let max_labels = usize::from(plot.width / 10).max(2);
    let mut next_free = plot.x;
    for (t, label) in core::time_ticks(c.from, c.to, max_labels) {
        let Some(col) = core::column_of(t, c.from, c.to, usize::from(plot.width)) else {
            continue;
        };
        let w = label.chars().count() as u16;
        let x = (plot.x + col as u16)
            .saturating_sub(w / 2)
            .clamp(plot.x, plot.right().saturating_sub(w).max(plot.x));
        if x < next_free {
            continue;
        }
        buf.set_stringn(x, y, &label, usize::from(plot.right() - x), theme::dim());
        next_free = x + w + 1;
    }
}

/// `━ stable 182 ms  ━ canary 240 ms  ✗ crossed Mon 03 14:20  ╌ alarm ≥ 250`.
pub(super) fn legend(c: &TimeChart<'_>, unit: &str) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let sep = |spans: &mut Vec<Span<'static>>| {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
    };
    for s in &c.series {
        sep(&mut spans);
        let pts: Vec<&(i64, f64)> = s
            .points
            .iter()
            .filter(|p| p.1.is_finite() && p.0 >= c.from && p.0 <= c.to)
            .collect();
        spans.push(Span::styled("━ ", Style::new().fg(s.color)));
        spans.push(Span::styled(clean(s.label).into_owned(), theme::text()));
        match pts.as_slice() {
            [] => spans.push(Span::styled(" no data", theme::dim())),
            [only] => spans.push(Span::styled(
                format!(
                    " {}{} (1 point, {})",
                    compact(only.1, 3),
                    unit_suffix(unit),
                    core::moment_label(only.0, c.to)
                ),
                theme::dim(),
            )),
            [.., last] => spans.push(Span::styled(
                format!(" {}{}", compact(last.1, 3), unit_suffix(unit)),
                theme::dim(),
            )),
        }
    }
    if let Some(th) = c.threshold {
        if let Some((x, label)) = c.crossing() {
            sep(&mut spans);
            // Name the series when there are several.
            let who = if c.series.len() > 1 {
                format!("{} ", clean(label))
            } else {
                String::new()
            };
            let text = if x.from_start {
                format!("✗ {who}past the threshold from the window's start")
            } else {
                format!("✗ {who}crossed {} UTC", core::moment_label(x.at, c.to))
            };
            spans.push(Span::styled(text, theme::error()));
        }
        sep(&mut spans);
        let op = if th.low_is_bad { "<" } else { "≥" };
        spans.push(Span::styled(
            format!("╌ alarm {op} {}", compact(th.value, 3)),
            theme::warn(),
        ));
    }
    Line::from(spans)
}

fn unit_suffix(unit: &str) -> String {
    match unit {
        "" => String::new(),
        u if u.chars().all(char::is_alphabetic) && u.len() <= 3 => format!(" {u}"),
        _ => String::new(),
    }
}

/// `↩ rollback v8 -> v7 12:30  ✓ approval #41 09:00  +1 more`: newest
/// first (the one an on-call engineer looks for), as many as fit.
pub(super) fn marker_legend(markers: &[&Marker], now: i64, width: u16) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for (i, m) in markers.iter().rev().enumerate() {
        let label = clean(&m.label);
        let text = if label.is_empty() {
            format!("{} {}", m.kind.word(), core::moment_label(m.at, now))
        } else {
            format!(
                "{} {label} {}",
                m.kind.word(),
                core::moment_label(m.at, now)
            )
        };
        let need = Line::raw(text.as_str()).width() + 2 + usize::from(i > 0) * 2;
        let rest = markers.len() - i;
        let reserve = if rest > 1 { 9 } else { 0 };
        if used + need + reserve > usize::from(width) {
            spans.push(Span::styled(format!("  +{rest} more"), theme::dim()));
            break;
        }
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(
            format!("{} ", m.kind.glyph()),
            theme::prompt(),
        ));
        spans.push(Span::styled(text, theme::dim()));
        used += need;
    }
    Line::from(spans)
}

/// Writes `no data` in the middle of every stretch of at least 9 empty
/// cells between the first and the last drawn cell.
pub(super) fn label_gaps(grid: &Grid, plot: Rect, buf: &mut Buffer) {
    let filled: Vec<bool> = (0..grid.w)
        .map(|x| (0..grid.h).any(|y| grid.dots[y * grid.w + x] != 0))
        .collect();
    let (Some(first), Some(last)) = (
        filled.iter().position(|f| *f),
        filled.iter().rposition(|f| *f),
    ) else {
        return;
    };
    let mut x = first;
    while x < last {
        if filled[x] {
            x += 1;
            continue;
        }
        let start = x;
        while x < last && !filled[x] {
            x += 1;
        }
        let len = x - start;
        if len >= 9 {
            let at = plot.x + (start + (len - 7) / 2) as u16;
            buf.set_string(at, plot.y + plot.height / 2, "no data", theme::dim());
        }
    }
}
