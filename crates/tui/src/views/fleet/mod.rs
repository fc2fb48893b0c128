//! The Fleet screen: every workload with its model, version, aliases,
//! replicas, rollout, latency, errors, drift and age. Rows are computed when
//! the snapshot, the scope, the filter or the sort changes (in
//! [`FleetView::settle`]), never while drawing; a frame builds cells only for
//! the rows on screen.

mod columns;
mod identity;
mod render;

pub use columns::{Col, Widths};

use crate::action::Action;
use crate::app::Screen;
use crate::views::cursor::Cursor;
use crate::views::table;
use crate::views::{Ctx, Scope, Transition};
use identity::Short;
use modeldeck_core::Snapshot;
use modeldeck_core::domain::{Health, RegisteredModel, Workload, WorkloadRef};
use modeldeck_core::filter::{Filter, FilterError, row_text};
use modeldeck_core::fleet::{
    FleetColumn, FleetRow, Refreshed, compare_rows, fleet_rows, refresh_rows,
};
use ratatui::layout::Rect;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The snapshot data the rows were built from; compared by pointer so a
/// status-only snapshot change (a backend failing) does not rebuild rows.
#[derive(Debug, Clone)]
struct Source {
    workloads: Arc<Vec<Workload>>,
    models: Arc<Vec<RegisteredModel>>,
    health: Arc<BTreeMap<WorkloadRef, Health>>,
    thresholds: (f64, f64),
}

impl Source {
    fn of(s: &Snapshot) -> Source {
        Source {
            workloads: s.workloads.clone(),
            models: s.models.clone(),
            health: s.health.clone(),
            thresholds: (s.drift_warn, s.drift_alert),
        }
    }

    fn same(&self, s: &Snapshot) -> bool {
        Arc::ptr_eq(&self.workloads, &s.workloads)
            && Arc::ptr_eq(&self.models, &s.models)
            && Arc::ptr_eq(&self.health, &s.health)
            && self.thresholds == (s.drift_warn, s.drift_alert)
    }
}

/// Fleet state: all rows in snapshot order, their sorted order (indices,
/// so a re-sort moves 4 bytes per row, not the rows), the indices that pass
/// scope and filter, their measured column widths, and the cursor.
#[derive(Debug)]
pub struct FleetView {
    rows: Vec<FleetRow>,
    order: Vec<u32>,
    visible: Vec<u32>,
    /// Searchable text of each row, built on the first text filter after a
    /// rebuild and reused while the user types.
    texts: Option<Vec<String>>,
    widths: Widths,
    filter: Filter,
    sort: Option<(FleetColumn, bool)>,
    cursor: Cursor,
    source: Option<Source>,
    /// The visible rows (sorted indices) the identity claims were made
    /// for, and the claims; dropped when the rows' identities change.
    identity: Option<(Vec<u32>, (Short, Short))>,
    /// The fixed columns' widths over the same visible rows, dropped when
    /// a row's workload or the models change
    /// ([`modeldeck_core::fleet::Refreshed::same_workloads`]).
    fixed: Option<Widths>,
    scope: Scope,
    order_dirty: bool,
    view_dirty: bool,
}

impl Default for FleetView {
    fn default() -> Self {
        FleetView {
            rows: Vec::new(),
            order: Vec::new(),
            visible: Vec::new(),
            texts: None,
            widths: Widths::default(),
            filter: Filter::all(),
            sort: None,
            cursor: Cursor::default(),
            source: None,
            identity: None,
            fixed: None,
            scope: Scope::default(),
            order_dirty: false,
            view_dirty: true,
        }
    }
}

/// Where the Fleet's parts are inside its panel.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FleetLayout {
    pub notice: Option<Rect>,
    pub table: Rect,
}

impl FleetView {
    /// Recomputes rows, order and the visible set if anything they depend
    /// on changed; keeps the cursor on the same workload when it can.
    /// `height` is the number of table rows on screen.
    pub fn settle(&mut self, snap: &Snapshot, scope: &Scope, height: usize) {
        let source_changed = !self.source.as_ref().is_some_and(|s| s.same(snap));
        if !(source_changed || self.order_dirty || self.view_dirty || self.scope != *scope) {
            return;
        }
        let keep = self.selected_row().map(FleetRow::workload_ref);
        if source_changed {
            // Keep the rows' strings where only the health moved: the
            // usual refresh, which at 100,000 workloads this makes cheap.
            let kept = match &self.source {
                Some(old) => refresh_rows(&mut self.rows, &old.workloads, &old.models, snap),
                None => {
                    self.rows = fleet_rows(snap);
                    Refreshed {
                        same_ids: false,
                        same_workloads: false,
                    }
                }
            };
            if !kept.same_ids {
                self.identity = None;
            }
            if !kept.same_workloads {
                self.fixed = None;
            }
            self.texts = None;
            self.source = Some(Source::of(snap));
            self.order_dirty = true;
        }
        if self.order_dirty {
            let rows = &self.rows;
            self.order = (0..rows.len() as u32).collect();
            if let Some((col, desc)) = self.sort {
                // Stable, so equal keys keep snapshot order between recomputes.
                self.order.sort_by(|&a, &b| {
                    compare_rows(&rows[a as usize], &rows[b as usize], col, desc)
                });
            }
            self.order_dirty = false;
        }
        self.scope = scope.clone();
        self.refilter(scope);
        // With nothing visible, measure everything so the header keeps its shape.
        self.widths = if self.visible.is_empty() {
            Widths::measure(self.rows.iter())
        } else {
            self.measure_visible()
        };
        self.view_dirty = false;
        let found = keep.and_then(|k| self.visible_rows().position(|r| same_workload(r, &k)));
        if let Some(pos) = found {
            self.cursor.selected = pos;
        }
        self.cursor.clamp(self.visible.len(), height);
    }

    fn refilter(&mut self, scope: &Scope) {
        let filter = &self.filter;
        let by_text = !filter.is_all() && !is_field_filter(filter);
        if by_text && self.texts.is_none() {
            self.texts = Some(self.rows.iter().map(row_text).collect());
        }
        let (rows, texts) = (&self.rows, self.texts.as_deref());
        let keep = |i: u32| {
            let Some(r) = rows.get(i as usize) else {
                return false;
            };
            scope.contains(&r.cluster, &r.namespace)
                && match texts.and_then(|t| t.get(i as usize)) {
                    Some(text) if by_text => filter.matches_text(text),
                    _ => filter.matches_row(r),
                }
        };
        self.visible = self.order.iter().copied().filter(|&i| keep(i)).collect();
    }

    /// Column widths over the visible rows. The identity claims (which
    /// need every visible row's context, namespace and name) are kept while
    /// the same workloads are visible, whatever their order: a refresh
    /// that only moved the metrics does not redo them.
    /// So are the fixed columns' widths while no workload changed: a
    /// metrics refresh measures only the rollout column and the lag.
    fn measure_visible(&mut self) -> Widths {
        let mut set = self.visible.clone();
        set.sort_unstable();
        let (claims, fixed) = match self.identity.take() {
            Some((seen, claims)) if seen == set => (claims, self.fixed.take()),
            _ => (
                identity::claims(&self.visible_rows().collect::<Vec<_>>()),
                None,
            ),
        };
        let fixed = fixed.unwrap_or_else(|| Widths::measure_fixed(self.visible_rows()));
        let mut w = fixed.with_moving(self.visible_rows());
        (w.cluster, w.namespace) = claims;
        self.identity = Some((set, claims));
        self.fixed = Some(fixed);
        w
    }

    fn visible_rows(&self) -> impl Iterator<Item = &FleetRow> + '_ {
        self.visible
            .iter()
            .filter_map(|&i| self.rows.get(i as usize))
    }

    /// The row under the cursor.
    pub fn selected_row(&self) -> Option<&FleetRow> {
        self.visible
            .get(self.cursor.selected)
            .and_then(|&i| self.rows.get(i as usize))
    }

    /// Rows passing scope and filter.
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// True when no row passes scope and filter.
    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }

    /// Every row in the snapshot.
    pub fn total(&self) -> usize {
        self.rows.len()
    }

    /// The cursor.
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// Sort column and direction (`true` = descending); `None` is snapshot order.
    pub fn sort(&self) -> Option<(FleetColumn, bool)> {
        self.sort
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Parses and applies a filter; an invalid one leaves the current filter.
    pub fn set_filter(&mut self, input: &str) -> Result<(), FilterError> {
        self.filter = Filter::parse(input)?;
        self.view_dirty = true;
        Ok(())
    }

    /// Sorts by `col`; the same column again reverses. Latency, errors,
    /// drift and traffic sort worst-first by default.
    pub fn sort_by(&mut self, col: FleetColumn) {
        self.sort = Some(match self.sort {
            Some((c, desc)) if c == col => (c, !desc),
            _ => (col, default_descending(col)),
        });
        self.order_dirty = true;
    }

    fn sort_next(&mut self) {
        let all = FleetColumn::ALL;
        let next = match self.sort {
            Some((c, _)) => all
                .iter()
                .position(|&x| x == c)
                .and_then(|i| all.get((i + 1) % all.len()).copied()),
            None => None,
        };
        let col = next.unwrap_or(FleetColumn::Cluster);
        self.sort = Some((col, default_descending(col)));
        self.order_dirty = true;
    }

    fn sort_reverse(&mut self) {
        self.sort = Some(match self.sort {
            Some((c, desc)) => (c, !desc),
            None => (FleetColumn::Cluster, true),
        });
        self.order_dirty = true;
    }

    pub(crate) fn layout(&self, body: Rect, snap: &Snapshot) -> FleetLayout {
        let inner = body.inner(ratatui::layout::Margin::new(1, 1));
        let has_notice = self.notice(snap).is_some();
        let (notice, table) = crate::widgets::panel::split_line(inner, has_notice);
        FleetLayout { notice, table }
    }

    /// The line above the table: the workloads are stale, or (workloads
    /// fine) the health columns are stale or missing because metrics fail.
    pub(crate) fn notice(&self, snap: &Snapshot) -> Option<ratatui::text::Line<'static>> {
        use crate::theme;
        use modeldeck_core::console::PanelState;
        use modeldeck_core::text::clean;
        use ratatui::text::{Line, Span};
        let state = snap.cluster.panel_state(self.rows.is_empty());
        if !matches!(state, PanelState::Ready) {
            return crate::widgets::panel::stale_line(&state);
        }
        let (head, reason, style) = match snap.metrics.panel_state(false) {
            PanelState::Stale { since, reason } => (
                format!(
                    "⚠ metrics stale since {}: p99, errors and drift are from then",
                    since.hms()
                ),
                reason,
                theme::warn(),
            ),
            PanelState::Failed(reason) => (
                "✗ no metrics: p99, errors and drift unknown".to_string(),
                reason,
                theme::error(),
            ),
            _ => return None,
        };
        Some(Line::from(vec![
            Span::styled(head, style),
            Span::styled(format!(" ({})", clean(&reason)), theme::dim()),
        ]))
    }

    fn page(&self, ctx: &Ctx) -> usize {
        usize::from(
            self.layout(ctx.body, ctx.snap)
                .table
                .height
                .saturating_sub(1),
        )
    }

    /// Reacts to an action while the Fleet is on top.
    pub(crate) fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let (len, page) = (self.visible.len(), self.page(ctx));
        match action {
            Action::Nav(n) => self.cursor.navigate(*n, len, page),
            Action::Click { column, row } => return self.click(*column, *row, ctx),
            Action::Select => return self.open(ctx),
            Action::Describe => return self.describe(ctx),
            Action::SortNext => self.sort_next(),
            Action::SortReverse => self.sort_reverse(),
            Action::SortBy(c) => self.sort_by(*c),
            _ => {}
        }
        Transition::Stay
    }

    fn click(&mut self, x: u16, y: u16, ctx: &mut Ctx) -> Transition {
        let l = self.layout(ctx.body, ctx.snap);
        let (len, page) = (self.visible.len(), self.page(ctx));
        if y == l.table.y {
            let cols = self.columns(l.table.width, ctx.snap, ctx.scope);
            let widths: Vec<u16> = cols.iter().map(|(_, s)| s.width).collect();
            if let Some(key) = table::column_at(l.table, x, &widths)
                .and_then(|i| cols.get(i))
                .and_then(|(c, _)| c.sort_key())
            {
                self.sort_by(key);
            }
            return Transition::Stay;
        }
        let start = self.cursor.window(len, page).start;
        match table::row_at(l.table, y, start, len) {
            Some(i) if i == self.cursor.selected => self.open(ctx),
            Some(i) => {
                self.cursor.select(i, len, page);
                Transition::Stay
            }
            None => Transition::Stay,
        }
    }

    fn open(&mut self, ctx: &mut Ctx) -> Transition {
        let Some(row) = self.selected_row() else {
            return Transition::Stay;
        };
        match &row.model {
            Some(model) => {
                let view =
                    crate::views::versions::VersionsView::open(model, row.version.clone(), ctx);
                Transition::Push(Screen::Versions(Box::new(view)))
            }
            None => self.describe(ctx),
        }
    }

    fn describe(&mut self, ctx: &mut Ctx) -> Transition {
        match self.selected_row() {
            Some(row) => {
                let view = crate::views::workload::WorkloadView::open(row.workload_ref(), ctx);
                Transition::Push(Screen::Workload(Box::new(view)))
            }
            None => Transition::Stay,
        }
    }

    /// Columns shown at `width` for this snapshot and scope.
    pub(crate) fn columns(
        &self,
        width: u16,
        snap: &Snapshot,
        scope: &Scope,
    ) -> Vec<(Col, table::ColumnSpec)> {
        let mut hidden = Vec::new();
        if scope.cluster.is_some() || snap.clusters.len() <= 1 {
            hidden.push(Col::Cluster);
        }
        if scope.namespace.is_some() {
            hidden.push(Col::Namespace);
        }
        self.widths
            .layout(width.saturating_sub(table::GUTTER), &hidden, self.sort)
    }
}

/// True for `key=value` filters, which need the row's fields rather than
/// its text. `matches_with` consults `has` only for those.
fn is_field_filter(f: &Filter) -> bool {
    let asked = std::cell::Cell::new(false);
    f.matches_with("", |_, _| {
        asked.set(true);
        false
    });
    asked.get()
}

fn default_descending(col: FleetColumn) -> bool {
    matches!(
        col,
        FleetColumn::Rps
            | FleetColumn::P99
            | FleetColumn::Errors
            | FleetColumn::Drift
            | FleetColumn::Lag
    )
}

fn same_workload(r: &FleetRow, k: &WorkloadRef) -> bool {
    r.name == k.name && r.namespace == k.namespace && r.cluster == k.cluster && r.kind == k.kind
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Nav;

    #[test]
    fn field_filters_are_told_apart_from_text_filters() {
        assert!(is_field_filter(&Filter::parse("team=risk").unwrap()));
        assert!(is_field_filter(&Filter::parse("!model=x").unwrap()));
        assert!(!is_field_filter(&Filter::parse("fraud").unwrap()));
        assert!(!is_field_filter(&Filter::parse("fr.*d").unwrap()));
        assert!(!is_field_filter(&Filter::all()));
    }

    #[test]
    fn unused_nav_is_harmless() {
        let mut v = FleetView::default();
        v.cursor.navigate(Nav::Bottom, 0, 10);
        assert_eq!(v.cursor().selected, 0);
        assert!(v.selected_row().is_none());
    }
}
