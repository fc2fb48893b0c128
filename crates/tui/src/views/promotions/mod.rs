//! The Promotions screen (`:promotions`, `:inbox`, `p` on the Fleet): the
//! inbox of what waits for the current user across every cluster (marked
//! ✉, listed first), then every promotion, newest first. The list is read
//! by a job and refreshed periodically; it also feeds the Fleet's marks
//! (workloads with an open promotion), so the Fleet never computes them
//! per frame. A promotion whose target cluster does not bind approvals to
//! identities is marked ⚠ and the notice names the cluster (`identity.rs`).
//! Enter opens the detail (`detail.rs`); actions confirm in a dialog
//! (`dialog.rs`) and run as background jobs.

pub mod detail;
pub mod dialog;
pub mod identity;
mod lines;
mod serving;
mod verification;
pub(crate) mod wrap;

use crate::action::Action;
use crate::app::Screen;
use crate::jobs::{Job, PromoLists, PromoRow};
use crate::theme;
use crate::views::cursor::Cursor;
use crate::views::table;
use crate::views::text_table::{CellText, TextColumn, TextTable, column};
use crate::views::{Ctx, Fetched, RenderCtx, Transition};
use crate::widgets::panel::{self, Messages};
use detail::PromotionView;
use identity::{UNBOUND_MARK, Unbound};
use modeldeck_core::console::{BackendStatus, PanelState};
use modeldeck_core::domain::{PromotionState, Timestamp, WorkloadRef};
use modeldeck_core::report::ErrorReport;
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::collections::HashSet;

/// How often the list (and the Fleet marks) is re-read, ms.
pub const LIST_EVERY_MS: i64 = 15_000;
/// How often the list is re-read while an action runs, ms.
pub const LIST_ACTING_MS: i64 = 5_000;

/// The Fleet's mark for a workload with an open promotion.
pub const FLEET_MARK: &str = "⇡";
/// The Promotions list's mark for a promotion in the user's inbox.
pub const INBOX_MARK: &str = "✉";

/// The ⚠ column (index 1) is dropped (priority 0) while no promotion
/// needs it: `columns`.
const COLUMNS: [TextColumn; 10] = [
    column("", false, 1, 1, 100),
    column("", false, 1, 1, 0),
    column("MODEL", false, 10, 28, 99),
    column("VER", false, 0, 8, 98),
    column("ALIAS", false, 6, 14, 70),
    column("STATE", false, 0, 12, 97),
    column("REQUESTER", false, 8, 20, 80),
    column("APPROVALS", true, 0, 9, 90),
    column("AGE", true, 0, 4, 75),
    column("TARGETS", false, 10, 80, 60),
];

const MESSAGES: Messages<'static> = Messages {
    loading: "Loading promotions…",
    empty: "No promotion yet. Request one from a model's Versions (P on a version).",
    failed: "Cannot list promotions",
};

/// The message of the not-configured state.
pub const NOT_CONFIGURED_TEXT: &str = "Promotions are not configured for this profile: the TUI was started without a promotion service (policies and an audit journal). `modeldeck tui` on a profile with promotions, or the sandbox demo, has them.";

/// An action running in the background.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    /// Ticket of the job.
    pub ticket: u64,
    /// Promotion it concerns (`None`: a request not answered yet).
    pub id: Option<String>,
    /// What runs (`execute`, `request`).
    pub label: String,
    /// When it started.
    pub started: Timestamp,
}

/// Everything promotion-related the app keeps across screens.
#[derive(Debug, Default)]
pub struct PromoState {
    /// A promotion service is configured.
    pub configured: bool,
    /// The list and inbox.
    pub lists: Fetched<PromoLists>,
    /// When the list was last asked for.
    pub asked_at: Option<Timestamp>,
    /// Workloads targeted by an open promotion (Fleet marks).
    pub marks: HashSet<WorkloadRef>,
    /// The action running, if any (one at a time).
    pub acting: Option<Acting>,
    /// The last action's outcome: promotion id, what, result.
    pub last: Option<(Option<String>, String, Result<String, ErrorReport>)>,
    table: TextTable,
    ids: Vec<String>,
    unbound: Vec<Option<Unbound>>,
    columns: Option<[TextColumn; 10]>,
    cursor: Cursor,
    dirty: bool,
}

impl PromoState {
    /// Asks for the list now.
    pub(crate) fn refresh(&mut self, ctx: &mut Ctx) {
        if !self.configured {
            return;
        }
        let t = ctx.request(Job::Promotions);
        self.lists.expect(t);
        self.asked_at = Some(ctx.now);
    }

    /// Asks for the list when it is due (on the tick).
    pub(crate) fn refresh_if_due(&mut self, ctx: &mut Ctx) {
        let every = if self.acting.is_some() {
            LIST_ACTING_MS
        } else {
            LIST_EVERY_MS
        };
        let due = self
            .asked_at
            .is_none_or(|at| ctx.now.millis_since(at) >= every);
        if self.configured && due && self.lists.pending.is_none() {
            self.refresh(ctx);
        }
    }

    /// Stores the list; recomputes the Fleet marks.
    pub(crate) fn resolve(&mut self, result: Result<PromoLists, ErrorReport>, now: Timestamp) {
        if let Ok(l) = &result {
            self.marks = l
                .rows
                .iter()
                .filter(|r| is_open(r.status.promotion.state))
                .flat_map(|r| r.status.promotion.targets.iter().cloned())
                .collect();
        }
        self.lists.resolve(result, now);
        self.dirty = true;
    }

    /// Promotions waiting for the current user.
    pub fn inbox_len(&self) -> usize {
        self.rows().filter(|r| r.inbox).count()
    }

    /// Rows in display order.
    pub fn rows(&self) -> impl Iterator<Item = &PromoRow> {
        self.lists.data.iter().flat_map(|l| l.rows.iter())
    }

    /// Id of the promotion under the cursor.
    pub fn selected(&self) -> Option<&str> {
        self.ids.get(self.cursor.selected).map(String::as_str)
    }

    /// Rebuilds the table when the list changed.
    pub fn settle(&mut self, height: usize) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let keep = self.selected().map(str::to_string);
        self.ids = self.rows().map(|r| r.status.promotion.id.clone()).collect();
        self.unbound = self
            .rows()
            .map(|r| Unbound::of(&r.status.promotion))
            .collect();
        let rows = self.rows().map(row).collect();
        let mut cols = COLUMNS;
        if self.unbound.iter().any(Option::is_some) {
            cols[1].priority = 100;
        }
        self.table = TextTable::new(&cols, rows);
        self.columns = Some(cols);
        if let Some(pos) = keep.and_then(|k| self.ids.iter().position(|i| *i == k)) {
            self.cursor.selected = pos;
        }
        self.cursor.clamp(self.ids.len(), height);
    }

    fn table_area(body: Rect) -> Rect {
        panel::split_line(body.inner(Margin::new(1, 1)), true).1
    }

    /// Reacts to an action while the list is on top.
    pub(crate) fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        if !self.configured {
            return Transition::Stay;
        }
        let area = Self::table_area(ctx.body);
        let (len, page) = (self.ids.len(), usize::from(area.height.saturating_sub(1)));
        match action {
            Action::Nav(n) => self.cursor.navigate(*n, len, page),
            Action::Refresh => self.refresh(ctx),
            Action::Click { row, .. } => {
                let start = self.cursor.window(len, page).start;
                match table::row_at(area, *row, start, len) {
                    Some(i) if i == self.cursor.selected => return self.open(ctx),
                    Some(i) => self.cursor.select(i, len, page),
                    None => {}
                }
            }
            Action::Select => return self.open(ctx),
            Action::Act(_) => {
                return Transition::Flash(
                    "Enter opens the promotion; its actions are there".into(),
                );
            }
            _ => {}
        }
        Transition::Stay
    }

    fn open(&mut self, ctx: &mut Ctx) -> Transition {
        let Some(id) = self.selected().map(str::to_string) else {
            return Transition::Stay;
        };
        let targets = self
            .rows()
            .find(|r| r.status.promotion.id == id)
            .map(|r| r.status.promotion.targets.clone())
            .unwrap_or_default();
        let view = PromotionView::open(&id, targets, ctx);
        Transition::Push(Screen::Promotion(Box::new(view)))
    }

    fn state(&self, registry: &BackendStatus) -> PanelState {
        self.lists.panel_state(registry, |l| l.rows.is_empty())
    }

    /// Draws the list.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let mut title = vec![Span::styled(" Promotions", theme::title())];
        if self.configured {
            title.push(Span::styled(
                format!("[inbox {} · all {}]", self.inbox_len(), self.ids.len()),
                theme::title(),
            ));
        }
        title.push(Span::raw(" "));
        if self.lists.pending.is_some() && self.lists.data.is_some() {
            title.push(Span::styled("⟳ refreshing ", theme::loading()));
        }
        frame.render_widget(panel::block(title), area);
        let inner = area.inner(Margin::new(1, 1));
        if !self.configured {
            panel::render_centered(
                frame,
                inner,
                vec![Line::styled(NOT_CONFIGURED_TEXT, theme::warn())],
            );
            return;
        }
        let state = self.state(&rc.snap.registry);
        let (notice, table_area) = panel::split_line(inner, true);
        if let Some(n) = notice {
            frame.render_widget(self.notice(&state, rc), n);
        }
        if panel::render_state(frame, table_area, &state, MESSAGES) {
            return;
        }
        self.table.render(
            frame,
            table_area,
            self.columns.as_ref().unwrap_or(&COLUMNS),
            &self.cursor,
            rc.now,
            |r, c| match c {
                0 => theme::key(),
                1 => self
                    .unbound
                    .get(r)
                    .and_then(Option::as_ref)
                    .map_or(theme::text(), Unbound::style),
                5 => state_style(self.table.rows.get(r).and_then(|row| row.get(5))),
                8 => theme::dim(),
                _ => theme::text(),
            },
        );
    }

    fn notice(&self, state: &PanelState, rc: &RenderCtx) -> Line<'static> {
        if let Some(line) = panel::stale_line(state) {
            return line;
        }
        let mut spans = Vec::new();
        // The exact words first, and the hint shortened, so they fit in
        // 80 columns; the rows carry the same mark.
        let unbound = Unbound::merge(self.unbound.iter().flatten());
        if let Some(u) = &unbound {
            spans.push(Span::styled(
                format!("{UNBOUND_MARK} {}", u.words()),
                u.style(),
            ));
            spans.push(Span::styled("  ·  ", theme::dim()));
        }
        if let Some(e) = self
            .lists
            .data
            .as_ref()
            .and_then(|l| l.inbox_error.as_ref())
        {
            spans.push(Span::styled(
                format!("⚠ inbox unavailable: {}", clean(e)),
                theme::warn(),
            ));
            return Line::from(spans);
        }
        let hint = if unbound.is_some() {
            ""
        } else {
            "  ·  enter: detail, gates and actions"
        };
        spans.push(Span::styled(
            format!("{INBOX_MARK} waits for you ({}){hint}", self.inbox_len()),
            theme::dim(),
        ));
        if let Some(a) = &self.acting {
            spans.push(Span::styled(
                format!(
                    "  ·  ⟳ {} running {}",
                    a.label,
                    crate::format::age(rc.now, a.started)
                ),
                theme::loading(),
            ));
        }
        Line::from(spans)
    }
}

/// True for states in which a promotion is still open.
pub fn is_open(s: PromotionState) -> bool {
    matches!(
        s,
        PromotionState::Requested | PromotionState::Approved | PromotionState::Executing
    )
}

/// A state as shown in lists.
pub fn state_word(s: PromotionState) -> &'static str {
    match s {
        PromotionState::Requested => "Requested",
        PromotionState::Approved => "Approved",
        PromotionState::Rejected => "Rejected",
        PromotionState::Cancelled => "Cancelled",
        PromotionState::Executing => "Executing",
        PromotionState::Promoted => "Promoted",
        PromotionState::RolledBack => "RolledBack",
    }
}

fn state_style(cell: Option<&CellText>) -> Style {
    match cell {
        Some(CellText::Text(s)) => match s.as_str() {
            "Promoted" | "Approved" => theme::ok(),
            "Rejected" | "RolledBack" => theme::error(),
            "Executing" => theme::loading(),
            "Cancelled" => theme::dim(),
            _ => theme::warn(),
        },
        _ => theme::text(),
    }
}

fn row(r: &PromoRow) -> Vec<CellText> {
    let p = &r.status.promotion;
    let targets: Vec<String> = p
        .targets
        .iter()
        .map(|t| format!("{}/{}", t.cluster, t.name))
        .collect();
    vec![
        CellText::text(if r.inbox { INBOX_MARK } else { " " }),
        CellText::text(if Unbound::of(p).is_some() {
            UNBOUND_MARK
        } else {
            " "
        }),
        CellText::text(&p.model),
        CellText::text(&format!("v{}", p.version)),
        CellText::text(&p.alias),
        CellText::text(state_word(p.state)),
        CellText::text(&p.requested_by),
        CellText::text(&format!("{}/{}", r.valid, r.need)),
        CellText::Age(p.requested_at),
        CellText::text(&if targets.is_empty() {
            "-".to_string()
        } else {
            targets.join(", ")
        }),
    ]
}
