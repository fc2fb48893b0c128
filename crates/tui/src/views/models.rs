//! The Models screen: registered models with their latest version, the
//! champion and challenger aliases, how many workloads serve them, a
//! description and when they changed. Enter opens the model's versions;
//! `d` shows the model card of the selected model (its champion's, else
//! its latest version's) beside, below or instead of the table.

use crate::action::Action;
use crate::app::Screen;
use crate::jobs::{CardFor, JobResult};
use crate::theme;
use crate::views::card::{self, CardPanel};
use crate::views::cursor::Cursor;
use crate::views::table;
use crate::views::text_table::{CellText, TextColumn, TextTable, column};
use crate::views::versions::VersionsView;
use crate::views::{Ctx, RenderCtx, Transition};
use crate::widgets::panel::{self, Messages};
use modeldeck_core::Snapshot;
use modeldeck_core::domain::{RegisteredModel, Workload};
use modeldeck_core::filter::{Filter, FilterError};
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::collections::HashMap;
use std::sync::Arc;

const COLUMNS: [TextColumn; 8] = [
    column("NAME", false, 14, 32, 100),
    column("LATEST", true, 0, 7, 90),
    column("CHAMPION", true, 0, 9, 85),
    column("CHALLENGER", true, 0, 11, 80),
    column("OTHER ALIASES", false, 10, 24, 40),
    column("SERVING", true, 0, 8, 70),
    column("UPDATED", true, 0, 7, 60),
    column("DESCRIPTION", false, 12, 60, 50),
];

const MESSAGES: Messages<'static> = Messages {
    loading: "Loading registered models…",
    empty: "The registry has no registered model.",
    failed: "Cannot list registered models",
};

/// The snapshot data the rows were built from, compared by pointer.
type ModelsSource = (Arc<Vec<RegisteredModel>>, Arc<Vec<Workload>>);

/// Models state: the models passing the filter, as table rows.
#[derive(Debug)]
pub struct ModelsView {
    names: Vec<String>,
    table: TextTable,
    filter: Filter,
    cursor: Cursor,
    source: Option<ModelsSource>,
    dirty: bool,
    card: CardPanel,
}

impl Default for ModelsView {
    fn default() -> Self {
        ModelsView {
            names: Vec::new(),
            table: TextTable::default(),
            filter: Filter::all(),
            cursor: Cursor::default(),
            source: None,
            dirty: true,
            card: CardPanel::default(),
        }
    }
}

impl ModelsView {
    /// Rebuilds the rows if the models, the workloads or the filter changed.
    pub fn settle(&mut self, snap: &Snapshot, height: usize) {
        let same = self
            .source
            .as_ref()
            .is_some_and(|(m, w)| Arc::ptr_eq(m, &snap.models) && Arc::ptr_eq(w, &snap.workloads));
        if same && !self.dirty {
            return;
        }
        let keep = self.selected().map(str::to_string);
        let mut serving: HashMap<&str, usize> = HashMap::new();
        for w in snap.workloads.iter() {
            if let Some(m) = &w.model {
                *serving.entry(m.as_str()).or_default() += 1;
            }
        }
        let kept: Vec<&RegisteredModel> = snap
            .models
            .iter()
            .filter(|m| {
                self.filter
                    .matches_with(&model_text(m), |k, v| has_field(m, k, v))
            })
            .collect();
        self.names = kept.iter().map(|m| m.name.clone()).collect();
        let rows = kept
            .iter()
            .map(|m| row(m, serving.get(m.name.as_str()).copied().unwrap_or(0)))
            .collect();
        self.table = TextTable::new(&COLUMNS, rows);
        self.source = Some((snap.models.clone(), snap.workloads.clone()));
        self.dirty = false;
        if let Some(pos) = keep.and_then(|k| self.names.iter().position(|n| *n == k)) {
            self.cursor.selected = pos;
        }
        self.cursor.clamp(self.names.len(), height);
    }

    /// Name of the selected model.
    pub fn selected(&self) -> Option<&str> {
        self.names.get(self.cursor.selected).map(String::as_str)
    }

    /// Models passing the filter.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no model passes the filter.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Parses and applies a filter; an invalid one leaves the current filter.
    pub fn set_filter(&mut self, input: &str) -> Result<(), FilterError> {
        self.filter = Filter::parse(input)?;
        self.dirty = true;
        Ok(())
    }

    fn table_area(body: Rect, snap: &Snapshot) -> Rect {
        let state = snap.registry.panel_state(snap.models.is_empty());
        panel::split_notice(body.inner(Margin::new(1, 1)), &state).1
    }

    /// The card panel (`d`).
    pub fn card(&self) -> &CardPanel {
        &self.card
    }

    /// Takes a job answer if it is the card panel's.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        self.card.on_result(r, ctx)
    }

    /// Reacts to an action while Models is on top.
    pub(crate) fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let t = self.handle_table(action, ctx);
        self.want_card(ctx);
        t
    }

    /// While the card shows: asks for the selected model's card data if
    /// it changed (a key, a filter, an alias moved).
    pub(crate) fn want_card(&mut self, ctx: &mut Ctx) {
        if self.card.shown()
            && let Some(m) = self.selected().and_then(|n| ctx.snap.model(n)).cloned()
        {
            self.card
                .want(ctx, CardFor::Models, &m.name, card_version(&m).0);
        }
    }

    fn handle_table(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let (table_body, _) = self.card.split(ctx.body);
        let Some(table_body) = table_body else {
            // The card shows instead of the table: keys scroll it.
            match action {
                Action::Nav(n) => self
                    .card
                    .scroll(*n, usize::from(ctx.body.height.saturating_sub(2))),
                Action::Describe => self.card.toggle(),
                Action::Refresh => self.card.reask(),
                Action::Select => return self.open(ctx),
                _ => {}
            }
            return Transition::Stay;
        };
        let area = Self::table_area(table_body, ctx.snap);
        let (len, page) = (self.len(), usize::from(area.height.saturating_sub(1)));
        match action {
            Action::Describe => self.card.toggle(),
            Action::Refresh => self.card.reask(),
            Action::Nav(n) => self.cursor.navigate(*n, len, page),
            Action::Click { row, .. } => {
                let start = self.cursor.window(len, page).start;
                match table::row_at(area, *row, start, len) {
                    Some(i) if i == self.cursor.selected => return self.open(ctx),
                    Some(i) => self.cursor.select(i, len, page),
                    None => {}
                }
            }
            Action::Select => return self.open(ctx),
            _ => {}
        }
        Transition::Stay
    }

    fn open(&self, ctx: &mut Ctx) -> Transition {
        match self.selected() {
            Some(name) => {
                let view = VersionsView::open(name, None, ctx);
                Transition::Push(Screen::Versions(Box::new(view)))
            }
            None => Transition::Stay,
        }
    }

    /// Draws the Models panel and, when shown, the card.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let (table, card) = self.card.split(area);
        if let Some(t) = table {
            self.render_table(frame, t, rc);
        }
        if let Some(c) = card {
            self.render_card(frame, c, rc, table.is_none());
        }
    }

    fn render_card(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx, alone: bool) {
        if self.selected().is_none() {
            let msg = "No model selected: nothing passes the filter (Esc clears it).";
            self.card
                .render(frame, area, card::title("-", None, ""), |_| {
                    vec![Line::styled(msg, theme::dim())]
                });
            return;
        }
        let model = self.selected().and_then(|n| rc.snap.model(n));
        let (version, how) = model.map_or((None, ""), card_version);
        let d = card::CardDraw {
            name: self.selected().unwrap_or("-"),
            model,
            version: version.as_deref(),
            how,
            local: (None, None),
            alone,
        };
        self.card.draw(frame, area, d);
    }

    fn render_table(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let mut title = vec![
            Span::styled(" Models", theme::title()),
            Span::styled(format!("[{}]", self.len()), theme::title()),
            Span::raw(" "),
        ];
        if !self.filter.is_all() {
            title.push(Span::styled(
                format!("</{}> ", clean(self.filter.source())),
                theme::warn(),
            ));
        }
        frame.render_widget(panel::block(title), area);
        let state = rc.snap.registry.panel_state(rc.snap.models.is_empty());
        let inner = area.inner(Margin::new(1, 1));
        let (notice, table_area) = panel::split_notice(inner, &state);
        if panel::render_state(frame, table_area, &state, MESSAGES) {
            return;
        }
        if let (Some(n), Some(line)) = (notice, panel::stale_line(&state)) {
            frame.render_widget(line, n);
        }
        self.table.render(
            frame,
            table_area,
            &COLUMNS,
            &self.cursor,
            rc.now,
            cell_style,
        );
        if self.is_empty() {
            let msg = format!(
                "Nothing matches /{}  (Esc clears the filter)",
                clean(self.filter.source())
            );
            let below = Rect {
                y: table_area.y + 1,
                height: table_area.height.saturating_sub(1),
                ..table_area
            };
            panel::render_centered(frame, below, vec![Line::styled(msg, theme::dim())]);
        }
    }
}

/// The version whose card Models shows: the champion, else the latest.
fn card_version(m: &RegisteredModel) -> (Option<String>, &'static str) {
    match m.aliases.get("champion") {
        Some(v) => (Some(v.clone()), "champion"),
        None => (m.latest_version.clone(), "latest"),
    }
}

fn cell_style(_row: usize, col: usize) -> Style {
    match col {
        2..=4 => theme::key(),
        6 => theme::dim(),
        _ => theme::text(),
    }
}

/// `key=value` on a model: an alias (`champion=6` or `champion=v6`) or a tag.
fn has_field(m: &RegisteredModel, key: &str, value: &str) -> bool {
    let version = value.strip_prefix('v').unwrap_or(value);
    m.aliases.get(key).is_some_and(|v| v == version) || m.tags.get(key).is_some_and(|v| v == value)
}

fn model_text(m: &RegisteredModel) -> String {
    let aliases: Vec<String> = m.aliases.iter().map(|(a, v)| format!("{a}=v{v}")).collect();
    format!(
        "{} {} {}",
        m.name,
        aliases.join(" "),
        m.description.as_deref().unwrap_or("")
    )
}

fn row(m: &RegisteredModel, serving: usize) -> Vec<CellText> {
    let alias = |a: &str| {
        m.aliases
            .get(a)
            .map_or_else(|| "-".to_string(), |v| format!("v{v}"))
    };
    let others: Vec<String> = m
        .aliases
        .iter()
        .filter(|(a, _)| !matches!(a.as_str(), "champion" | "challenger"))
        .map(|(a, v)| format!("{a}=v{v}"))
        .collect();
    vec![
        CellText::text(&m.name),
        CellText::text(&crate::format::version(m.latest_version.as_deref())),
        CellText::text(&alias("champion")),
        CellText::text(&alias("challenger")),
        CellText::text(&if others.is_empty() {
            "-".to_string()
        } else {
            others.join(",")
        }),
        CellText::Text(serving.to_string()),
        CellText::Age(m.updated_at),
        CellText::text(m.description.as_deref().unwrap_or("-")),
    ]
}
