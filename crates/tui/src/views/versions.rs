//! The Versions screen of one model: version, aliases, status, how many
//! workloads serve it, age, key metrics of its training run and its tags.
//! Versions arrive by a job; runs for the newest versions by a second one.
//! Space marks versions, `c` (or Enter) compares two marked versions, or
//! the selected one against the champion; `d` shows the selected version's
//! model card (drawn from the list at once, then from the version and run
//! read by a job, with the promotion policy's required fields). A chart of
//! one metric across the versions sits under the table (`versions_chart`).

use crate::action::Action;
use crate::app::Screen;
use crate::jobs::{CardFor, Job, JobOutcome, JobResult, RUNS_PER_MODEL};
use crate::theme;
use crate::views::card::{self, CardPanel};
use crate::views::compare::CompareView;
use crate::views::cursor::Cursor;
use crate::views::table;
use crate::views::text_table::{CellText, TextColumn, TextTable, column};
#[path = "versions_chart.rs"]
mod chart;
#[path = "versions_rows.rs"]
mod rows;
use crate::views::{Ctx, Fetched, RenderCtx, Transition};
use crate::widgets::panel::{self, Messages};
use chart::MetricChart;
use modeldeck_core::Snapshot;
use modeldeck_core::domain::{ModelVersion, RegisteredModel, RunData, VersionStatus};
use modeldeck_core::filter::{Filter, FilterError};
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use rows::row;
use std::collections::BTreeMap;

const COLUMNS: [TextColumn; 7] = [
    column("VERSION", false, 0, 10, 100),
    column("ALIASES", false, 10, 24, 90),
    column("STATUS", false, 0, 7, 76),
    column("SERVING", true, 0, 7, 75),
    column("CREATED", true, 0, 7, 72),
    column("RUN METRICS", false, 16, 44, 74),
    column("TAGS", false, 12, 60, 50),
];

const MESSAGES: Messages<'static> = Messages {
    loading: "Loading versions…",
    empty: "This model has no version yet.",
    failed: "Cannot list versions",
};

/// Versions state for one model.
#[derive(Debug)]
pub struct VersionsView {
    model: String,
    highlight: Option<String>,
    versions: Fetched<Vec<ModelVersion>>,
    runs: BTreeMap<String, RunData>,
    runs_ticket: Option<u64>,
    seen: Option<RegisteredModel>,
    names: Vec<String>,
    table: TextTable,
    filter: Filter,
    cursor: Cursor,
    marks: Vec<String>,
    dirty: bool,
    card: CardPanel,
    chart: MetricChart,
}

impl VersionsView {
    /// Opens the versions of `model` and asks for them; `highlight` is
    /// selected once they arrive (the version a workload serves).
    pub(crate) fn open(model: &str, highlight: Option<String>, ctx: &mut Ctx) -> VersionsView {
        let mut v = VersionsView {
            model: model.to_string(),
            highlight,
            versions: Fetched::default(),
            runs: BTreeMap::new(),
            runs_ticket: None,
            seen: None,
            names: Vec::new(),
            table: TextTable::default(),
            filter: Filter::all(),
            cursor: Cursor::default(),
            marks: Vec::new(),
            dirty: true,
            card: CardPanel::default(),
            chart: MetricChart::default(),
        };
        v.refresh(ctx);
        v
    }

    /// The model shown.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Version under the cursor.
    pub fn selected(&self) -> Option<&str> {
        self.names.get(self.cursor.selected).map(String::as_str)
    }

    /// Marked versions, in marking order.
    pub fn marks(&self) -> &[String] {
        &self.marks
    }

    /// Versions passing the filter.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no version passes the filter.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The filter in force.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Ticket of the versions request in flight.
    pub fn pending(&self) -> Option<u64> {
        self.versions.pending
    }

    /// Parses and applies a filter; an invalid one leaves the current filter.
    pub fn set_filter(&mut self, input: &str) -> Result<(), FilterError> {
        self.filter = Filter::parse(input)?;
        self.dirty = true;
        Ok(())
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        // The chart first: the versions' answer is the last request filed.
        self.chart.request(&self.model, ctx);
        let ticket = ctx.request(Job::Versions {
            model: self.model.clone(),
        });
        self.versions.expect(ticket);
        self.seen = ctx.snap.model(&self.model).cloned();
    }

    /// A new snapshot: re-reads the versions when the model changed in the
    /// registry (an alias moved, a version was added); workloads serving
    /// each version are recounted.
    pub(crate) fn on_snapshot(&mut self, ctx: &mut Ctx) {
        let now = ctx.snap.model(&self.model);
        if now.is_some() && now != self.seen.as_ref() {
            self.refresh(ctx);
        }
        self.dirty = true;
    }

    /// The card panel (`d`).
    pub fn card(&self) -> &CardPanel {
        &self.card
    }

    /// Versions listed (0 until they arrive: no chart yet).
    fn any(&self) -> usize {
        self.versions.data.as_ref().map_or(0, Vec::len)
    }

    /// The metric charted across the versions, once it arrived.
    pub fn metric_history(&self) -> Option<&modeldeck_core::version_metrics::MetricHistory> {
        self.chart.history()
    }

    /// Takes a job answer if it is the one this view waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        if self.card.on_result(r, ctx) || self.chart.on_result(r, &self.model, ctx) {
            return true;
        }
        match (&r.job, &r.outcome) {
            (Job::Versions { model }, JobOutcome::Versions(res))
                if *model == self.model && self.versions.awaits(r.ticket) =>
            {
                self.versions.resolve(res.clone(), ctx.now);
                if let Ok(vs) = res {
                    let wanted: Vec<String> = vs
                        .iter()
                        .filter(|v| v.run_id.is_some())
                        .take(RUNS_PER_MODEL)
                        .map(|v| v.version.clone())
                        .collect();
                    if !wanted.is_empty() {
                        self.runs_ticket = Some(ctx.request(Job::Runs {
                            model: self.model.clone(),
                            versions: wanted,
                        }));
                    }
                }
                self.dirty = true;
                true
            }
            (Job::Runs { model, .. }, JobOutcome::Runs(runs))
                if *model == self.model && self.runs_ticket == Some(r.ticket) =>
            {
                self.runs = runs.clone();
                self.runs_ticket = None;
                self.dirty = true;
                true
            }
            _ => false,
        }
    }

    /// Rebuilds the rows if data, marks or filter changed.
    pub fn settle(&mut self, snap: &Snapshot, height: usize) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let keep = self.selected().map(str::to_string);
        let Some(all) = &self.versions.data else {
            return;
        };
        let mut serving: BTreeMap<&str, usize> = BTreeMap::new();
        for w in snap.workloads_of(&self.model) {
            if let Some(v) = &w.served_version {
                *serving.entry(v.as_str()).or_default() += 1;
            }
        }
        let kept: Vec<&ModelVersion> = all
            .iter()
            .filter(|v| {
                self.filter
                    .matches_with(&version_text(v), |k, val| has_field(v, k, val))
            })
            .collect();
        self.names = kept.iter().map(|v| v.version.clone()).collect();
        let rows = kept
            .iter()
            .map(|v| {
                let marked = self.marks.contains(&v.version);
                let n = serving.get(v.version.as_str()).copied().unwrap_or(0);
                row(v, marked, n, self.runs.get(&v.version))
            })
            .collect();
        self.table = TextTable::new(&COLUMNS, rows);
        let target = keep.or_else(|| self.highlight.take());
        if let Some(pos) = target.and_then(|k| self.names.iter().position(|n| *n == k)) {
            self.cursor.selected = pos;
        }
        self.cursor.clamp(self.names.len(), height);
    }

    fn table_area(&self, body: Rect, snap: &Snapshot) -> Rect {
        let state = self.state(snap);
        panel::split_notice(body.inner(Margin::new(1, 1)), &state).1
    }

    fn state(&self, snap: &Snapshot) -> modeldeck_core::console::PanelState {
        self.versions.panel_state(&snap.registry, |v| v.is_empty())
    }

    /// Reacts to an action while Versions is on top.
    pub(crate) fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let t = self.handle_table(action, ctx);
        self.want_card(ctx);
        t
    }

    /// While the card shows: asks for the selected version's card data if
    /// the selection changed (a key, a filter).
    pub(crate) fn want_card(&mut self, ctx: &mut Ctx) {
        if self.card.shown()
            && let Some(v) = self.selected().map(str::to_string)
        {
            self.card.want(ctx, CardFor::Versions, &self.model, Some(v));
        }
    }

    fn handle_table(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let (table_body, _) = self.card.split(ctx.body);
        let any = self.any();
        let shared = (table_body.unwrap_or(ctx.body), any);
        if let Some(t) = self.chart.handle(action, &self.model, shared, ctx) {
            return t;
        }
        let table_body = match table_body.map(|b| self.chart.split(b, any).0) {
            Some(None) if matches!(action, Action::Refresh) => {
                self.refresh(ctx);
                return Transition::Stay;
            }
            Some(None) => return Transition::Flash("tab: back to the table".into()),
            Some(Some(t)) => Some(t),
            None => None,
        };
        let Some(table_body) = table_body else {
            // The card shows instead of the table: keys scroll it.
            match action {
                Action::Nav(n) => self
                    .card
                    .scroll(*n, usize::from(ctx.body.height.saturating_sub(2))),
                Action::Describe => self.card.toggle(),
                Action::Refresh => {
                    self.card.reask();
                    self.refresh(ctx);
                }
                Action::ToggleMark | Action::Compare | Action::Select => {
                    return Transition::Flash("d: back to the list first".into());
                }
                _ => {}
            }
            return Transition::Stay;
        };
        let area = self.table_area(table_body, ctx.snap);
        let (len, page) = (self.len(), usize::from(area.height.saturating_sub(1)));
        match action {
            Action::Describe => self.card.toggle(),
            Action::Nav(n) => self.cursor.navigate(*n, len, page),
            Action::Click { row, .. } => {
                let start = self.cursor.window(len, page).start;
                match table::row_at(area, *row, start, len) {
                    Some(i) if i == self.cursor.selected => return self.compare(ctx),
                    Some(i) => self.cursor.select(i, len, page),
                    None => {}
                }
            }
            Action::ToggleMark => self.toggle_mark(page),
            Action::Compare | Action::Select => return self.compare(ctx),
            Action::Refresh => {
                self.card.reask();
                self.refresh(ctx);
            }
            _ => {}
        }
        Transition::Stay
    }

    fn toggle_mark(&mut self, page: usize) {
        let Some(v) = self.selected().map(str::to_string) else {
            return;
        };
        if let Some(i) = self.marks.iter().position(|m| *m == v) {
            self.marks.remove(i);
        } else {
            self.marks.push(v);
            if self.marks.len() > 2 {
                self.marks.remove(0);
            }
        }
        self.dirty = true;
        // Like k9s, marking moves on so several rows are marked quickly.
        self.cursor
            .navigate(crate::action::Nav::Down, self.names.len(), page);
    }

    fn champion(&self) -> Option<String> {
        let from_model = self
            .seen
            .as_ref()
            .and_then(|m| m.aliases.get("champion").cloned());
        from_model.or_else(|| {
            self.versions.data.as_ref().and_then(|vs| {
                vs.iter()
                    .find(|v| v.aliases.iter().any(|a| a == "champion"))
                    .map(|v| v.version.clone())
            })
        })
    }

    fn compare(&mut self, ctx: &mut Ctx) -> Transition {
        let champion = self.champion();
        let (a, b) = match (self.marks.as_slice(), champion, self.selected()) {
            ([x, y], champ, _) => order_pair(x, y, champ.as_deref()),
            (_, Some(c), Some(s)) if c != s => (c, s.to_string()),
            (_, Some(_), Some(_)) => {
                return Transition::Flash(
                    "This is the champion: select another version, or mark two with Space".into(),
                );
            }
            (_, None, Some(_)) => {
                return Transition::Flash(
                    "No champion alias: mark two versions with Space, then press c".into(),
                );
            }
            (_, _, None) => return Transition::Stay,
        };
        let view = CompareView::open(&self.model, &a, &b, ctx);
        Transition::Push(Screen::Compare(Box::new(view)))
    }

    /// Draws the Versions panel and, when shown, the card.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let (table, card) = self.card.split(area);
        if let Some((t, c)) = table.map(|t| self.chart.split(t, self.any())) {
            if let Some(t) = t {
                self.render_table(frame, t, rc, c.is_none() && self.any() > 0);
            }
            if let Some(c) = c {
                self.chart.render(frame, c);
            }
        }
        if let Some(c) = card {
            self.render_card(frame, c, rc, table.is_none());
        }
    }

    fn render_card(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx, alone: bool) {
        let selected = self.selected();
        // Until the job answers: the version and run the list holds.
        let local = selected.and_then(|s| {
            self.versions
                .data
                .as_ref()
                .and_then(|vs| vs.iter().find(|v| v.version == s))
        });
        let run = selected.and_then(|s| self.runs.get(s));
        let d = card::CardDraw {
            name: &self.model,
            model: rc.snap.model(&self.model),
            version: selected,
            how: "",
            local: (local, run),
            alone,
        };
        self.card.draw(frame, area, d);
    }

    /// `hint`: the metric chart is hidden (`tab` shows it).
    fn render_table(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx, hint: bool) {
        let mut title = vec![
            Span::styled(" Versions", theme::title()),
            Span::styled(format!("({})", clean(&self.model)), theme::key()),
            Span::styled(format!("[{}]", self.len()), theme::title()),
            Span::raw(" "),
        ];
        if !self.marks.is_empty() {
            title.push(Span::styled(
                format!(
                    "marked {} ",
                    self.marks
                        .iter()
                        .map(|m| format!("v{}", clean(m)))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                theme::marked(),
            ));
        }
        if self.versions.pending.is_some() && self.versions.data.is_some() {
            title.push(Span::styled("⟳ refreshing ", theme::loading()));
        }
        if !self.filter.is_all() {
            title.push(Span::styled(
                format!("</{}> ", clean(self.filter.source())),
                theme::warn(),
            ));
        }
        if hint {
            title.push(Span::styled("tab: chart ", theme::dim()));
        }
        frame.render_widget(panel::block(title), area);
        let state = self.state(rc.snap);
        let (notice, table_area) = panel::split_notice(area.inner(Margin::new(1, 1)), &state);
        if panel::render_state(frame, table_area, &state, MESSAGES) {
            return;
        }
        if let (Some(n), Some(line)) = (notice, panel::stale_line(&state)) {
            frame.render_widget(line, n);
        }
        let marked = |i: usize| self.names.get(i).is_some_and(|n| self.marks.contains(n));
        self.table.render(
            frame,
            table_area,
            &COLUMNS,
            &self.cursor,
            rc.now,
            |r, c| match c {
                _ if marked(r) => theme::marked(),
                1 => theme::key(),
                2 => status_style(self.table.rows.get(r).and_then(|row| row.get(2))),
                4 => theme::dim(),
                _ => theme::text(),
            },
        );
        if self.is_empty() && !self.filter.is_all() {
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

fn status_style(cell: Option<&CellText>) -> Style {
    match cell {
        Some(CellText::Text(s)) if s == "READY" => theme::ok(),
        Some(CellText::Text(s)) if s.starts_with("FAILED") => theme::error(),
        _ => theme::warn(),
    }
}

/// Orders a marked pair: the champion first if it is one of them, else the
/// older version first.
fn order_pair(x: &str, y: &str, champion: Option<&str>) -> (String, String) {
    let num = |v: &str| v.parse::<u64>().unwrap_or(0);
    if champion == Some(y) || (champion != Some(x) && num(y) < num(x)) {
        (y.to_string(), x.to_string())
    } else {
        (x.to_string(), y.to_string())
    }
}

/// `key=value` on a version: a tag, `alias=<name>` or `status=<status>`.
fn has_field(v: &ModelVersion, key: &str, value: &str) -> bool {
    match key {
        "alias" => v.aliases.iter().any(|a| a.eq_ignore_ascii_case(value)),
        "status" => status_label(v.status).eq_ignore_ascii_case(value),
        _ => v.tags.get(key).is_some_and(|t| t == value),
    }
}

fn version_text(v: &ModelVersion) -> String {
    let tags: Vec<String> = v.tags.iter().map(|(k, val)| format!("{k}={val}")).collect();
    format!(
        "v{} {} {} {}",
        v.version,
        v.aliases.join(" "),
        status_label(v.status),
        tags.join(" ")
    )
}

fn status_label(s: VersionStatus) -> &'static str {
    match s {
        VersionStatus::Ready => "READY",
        VersionStatus::PendingRegistration => "PENDING",
        VersionStatus::FailedRegistration => "FAILED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_pairs_put_the_champion_or_the_older_first() {
        assert_eq!(order_pair("7", "6", Some("6")), ("6".into(), "7".into()));
        assert_eq!(order_pair("6", "7", Some("7")), ("7".into(), "6".into()));
        assert_eq!(order_pair("9", "10", None), ("9".into(), "10".into()));
        assert_eq!(order_pair("10", "9", None), ("9".into(), "10".into()));
    }
}
