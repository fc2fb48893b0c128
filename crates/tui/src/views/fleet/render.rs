//! Drawing the Fleet: the panel title (scope, counts, filter), the state
//! message or the table window. Reads state only.

use super::{Col, FleetView, columns, identity};
use crate::theme;
use crate::views::RenderCtx;
use crate::views::promotions::FLEET_MARK;
use crate::views::{table, table_body};
use crate::widgets::panel::{self, Messages};
use modeldeck_core::domain::{DriftStatus, StreamVerdict};
use modeldeck_core::fleet::FleetRow;
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Row, Table};

const MESSAGES: Messages<'static> = Messages {
    loading: "Loading workloads…",
    empty: "No workload is bound to a model yet. Label a Deployment or InferenceService with modeldeck.io/model=<name>.",
    failed: "Cannot list workloads",
};

impl FleetView {
    /// Draws the Fleet in `area`.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        frame.render_widget(panel::block(self.title(rc)), area);
        let state = rc.snap.cluster.panel_state(self.rows.is_empty());
        let l = self.layout(area, rc.snap);
        if panel::render_state(frame, l.table, &state, MESSAGES) {
            return;
        }
        if let (Some(area), Some(line)) = (l.notice, self.notice(rc.snap)) {
            frame.render_widget(line, area);
        }
        self.render_table(frame, l.table, rc);
        if self.visible.is_empty() {
            let msg = if self.filter.is_all() {
                "No workload in this scope. :ctx all / :ns all widen it.".to_string()
            } else {
                format!(
                    "Nothing matches /{}  (Esc clears the filter)",
                    clean(self.filter.source())
                )
            };
            let below = Rect {
                y: l.table.y + 1,
                height: l.table.height.saturating_sub(1),
                ..l.table
            };
            panel::render_centered(frame, below, vec![Line::styled(msg, theme::dim())]);
        }
    }

    fn title(&self, rc: &RenderCtx) -> Vec<Span<'static>> {
        let scope = format!(
            "({}/{})",
            clean(rc.scope.cluster.as_deref().unwrap_or("all")),
            clean(rc.scope.namespace.as_deref().unwrap_or("all"))
        );
        let count = if self.visible.len() == self.rows.len() {
            format!("[{}]", self.rows.len())
        } else {
            format!("[{}/{}]", self.visible.len(), self.rows.len())
        };
        let mut spans = vec![
            Span::styled(" Fleet", theme::title()),
            Span::styled(scope, theme::key()),
            Span::styled(count, theme::title()),
            Span::raw(" "),
        ];
        if !self.filter.is_all() {
            spans.push(Span::styled(
                format!("</{}> ", clean(self.filter.source())),
                theme::warn(),
            ));
        }
        if !rc.marks.is_empty() {
            spans.push(Span::styled(
                format!("{} {} in open promotions (p) ", FLEET_MARK, rc.marks.len()),
                theme::key(),
            ));
        }
        spans
    }

    fn render_table(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let cols = self.columns(area.width, rc.snap, rc.scope);
        let specs: Vec<table::ColumnSpec> = cols.iter().map(|(_, s)| s.clone()).collect();
        let constraints = table::constraints(&specs);
        // The header through ratatui's Table; the rows cell by cell into the
        // buffer (table_body: the same cells, without ratatui's per-grapheme
        // work), at the columns the Table splits.
        let header = Table::new(Vec::<Row>::new(), constraints.clone())
            .header(table::header(&specs))
            .column_spacing(table::SPACING);
        frame.render_widget(header, area);
        let rects = table_body::column_rects(area.width, &constraints, table::SPACING);
        let height = usize::from(area.height.saturating_sub(1));
        let window = self.cursor.window(self.visible.len(), height);
        let selected = self.cursor.selected;
        let buf = frame.buffer_mut();
        for (n, i) in window.enumerate() {
            let Some(row) = self.visible.get(i).and_then(|&r| self.rows.get(r as usize)) else {
                continue;
            };
            let line = Rect {
                y: area.y + 1 + n as u16,
                height: 1,
                ..area
            };
            if line.y >= area.bottom() {
                break;
            }
            let marked = !rc.marks.is_empty() && rc.marks.contains(&row.workload_ref());
            draw_row(
                buf,
                line,
                &rects,
                row,
                &cols,
                &self.widths,
                i == selected,
                marked,
                rc,
            );
        }
    }
}

/// One Fleet row into `buf` at `line`: the row style (selection), the
/// marker cell, then each column's text and style.
#[allow(clippy::too_many_arguments)]
fn draw_row(
    buf: &mut Buffer,
    line: Rect,
    rects: &[Rect],
    r: &FleetRow,
    cols: &[(Col, table::ColumnSpec)],
    widths: &columns::Widths,
    selected: bool,
    marked: bool,
    rc: &RenderCtx,
) {
    if selected {
        table_body::row_style(buf, line, theme::selected());
    }
    let mut rects = rects.iter().map(|c| table_body::cell_area(line, *c));
    // The promotion mark takes the marker cell; the selection stays visible
    // through the row style.
    if let Some(area) = rects.next() {
        if marked {
            table_body::row_style(buf, area, theme::key());
            table_body::put(buf, area, FLEET_MARK, Style::new(), false);
        } else {
            table_body::put(buf, area, table::marker_text(selected), Style::new(), false);
        }
    }
    for ((c, spec), area) in cols.iter().zip(rects) {
        let mut text = columns::text(*c, r, rc.now);
        if let Some(short) = widths.short(*c).filter(|s| s.needed) {
            text = identity::shorten(&text, spec.width, short.keep);
        }
        // A rollout detail cut short misleads (`Failed 10` for `Failed 10h
        // ago`): without room for all of it, the state alone.
        if *c == Col::Rollout && text.chars().count() > usize::from(spec.width) {
            text = r.rollout.clone();
        }
        let style = if selected {
            Style::new()
        } else {
            cell_style(*c, r)
        };
        table_body::put(buf, area, &clean(&text), style, spec.right);
    }
}

fn cell_style(c: Col, r: &FleetRow) -> Style {
    match c {
        Col::Ready if r.ready < r.desired => theme::error(),
        Col::Ready => theme::ok(),
        Col::Rollout => match r.rollout.as_str() {
            "Available" => theme::ok(),
            "Progressing" => theme::loading(),
            "Degraded" => theme::error(),
            "Paused" | "Suspended" => theme::warn(),
            _ => theme::dim(),
        },
        Col::Drift => match r.drift {
            DriftStatus::Ok => theme::ok(),
            DriftStatus::Warning => theme::warn(),
            DriftStatus::Drifting => theme::error(),
            DriftStatus::Unknown => theme::dim(),
        },
        Col::Errors if r.error_pct.is_some_and(|e| e >= 1.0) => theme::error(),
        Col::P99OrLag if r.stream.is_some() => cell_style(Col::Lag, r),
        Col::Lag => match r.stream.as_ref().map(|s| s.verdict) {
            Some(StreamVerdict::Behind) => theme::error(),
            Some(StreamVerdict::Growing | StreamVerdict::High) => theme::warn(),
            Some(StreamVerdict::Ok) => theme::ok(),
            None => theme::dim(),
        },
        Col::Aliases => theme::key(),
        Col::Age | Col::Kind => theme::dim(),
        _ => theme::text(),
    }
}
