//! "What changes in production": per target of a waiting promotion, the
//! spec fields serving the candidate changes (`path  before → after`), as
//! the promotion service read them through the cluster adapter's preview
//! of its own write. Every string goes through `clean`.

use crate::theme;
use modeldeck_core::serving_diff::ServingChanges;
use modeldeck_core::text::clean;
use ratatui::text::{Line, Span};

fn c(s: &str) -> String {
    clean(s).into_owned()
}

fn side(v: Option<&str>) -> String {
    v.map_or_else(|| "(none)".to_string(), c)
}

/// The section's lines for a column `width` cells wide; none when there is
/// nothing to show (the promotion executed or ended, or it has no target).
/// A change whose path and values do not fit on one line puts the values
/// on the next, so `before → after` is never cut at the arrow.
pub(super) fn lines(changes: &[ServingChanges], width: u16) -> Vec<Line<'static>> {
    let Some(first) = changes.first() else {
        return Vec::new();
    };
    let mut out = vec![Line::styled(
        format!(
            "What changes in production (serving v{})",
            c(&first.candidate)
        ),
        theme::title(),
    )];
    // Targets whose changes are the same field for field (replicas of one
    // model server in several clusters) share one list.
    let mut groups: Vec<(Vec<&ServingChanges>, &ServingChanges)> = Vec::new();
    for s in changes {
        match groups.iter_mut().find(|(_, g)| {
            g.changes == s.changes
                && g.already_on_candidate == s.already_on_candidate
                && g.unavailable == s.unavailable
        }) {
            Some((members, _)) => members.push(s),
            None => groups.push((vec![s], s)),
        }
    }
    for (members, s) in groups {
        let style = if s.unavailable.is_some() {
            theme::warn()
        } else if s.already_on_candidate {
            theme::dim()
        } else {
            theme::text()
        };
        let last = members.len() - 1;
        for (i, m) in members.iter().enumerate() {
            let mut spans = vec![Span::styled(
                format!("  {}", c(&m.target.to_string())),
                theme::key(),
            )];
            if i == last {
                let each = if last > 0 { " each" } else { "" };
                spans.push(Span::styled(format!("  {}{each}", c(&s.summary())), style));
            }
            out.push(Line::from(spans));
        }
        for ch in &s.changes {
            let path = format!("    {} ", c(&ch.path));
            let values = vec![
                Span::styled(side(ch.before.as_deref()), theme::text()),
                Span::styled(" → ", theme::dim()),
                Span::styled(side(ch.after.as_deref()), theme::ok()),
            ];
            let values_width: usize = values.iter().map(|v| v.width()).sum();
            if path.chars().count() + values_width <= usize::from(width) {
                let mut spans = vec![Span::styled(path, theme::dim())];
                spans.extend(values);
                out.push(Line::from(spans));
            } else {
                out.push(Line::styled(path, theme::dim()));
                let mut spans = vec![Span::raw("        ")];
                spans.extend(values);
                out.push(Line::from(spans));
            }
        }
    }
    out.push(Line::raw(""));
    out
}
