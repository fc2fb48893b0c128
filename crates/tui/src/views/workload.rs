//! The workload detail screen (`d` on a Fleet row): what the workload is,
//! what it serves, its replicas, rollout and live health from the snapshot,
//! its serving-health charts over a window and its recent cluster events,
//! read by jobs (both at once on tall terminals, `tab` switches
//! otherwise). Enter opens its model's versions, `D` its drift. A CronJob
//! shows its schedule, a seven-day strip of runs, the last run against the
//! typical duration and the last failed run's log instead of serving
//! health ([`batch`]).

#[path = "workload_batch.rs"]
mod batch;

use crate::action::Action;
use crate::app::Screen;
use crate::format;
use crate::jobs::{Job, JobOutcome, JobResult};
use crate::theme;
use crate::views::cursor::Cursor;
use crate::views::health::HealthPanel;
use crate::views::text_table::{CellText, TextColumn, TextTable, column};
use crate::views::versions::VersionsView;
use crate::views::{Ctx, Fetched, RenderCtx, Transition};
use crate::widgets::panel::{self, Messages};
use modeldeck_core::Snapshot;
use modeldeck_core::domain::{ClusterEvent, Workload, WorkloadRef};
use modeldeck_core::fleet::fleet_row;
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

const COLUMNS: [TextColumn; 5] = [
    column("LAST SEEN", true, 0, 9, 90),
    column("TYPE", false, 0, 7, 80),
    column("REASON", false, 12, 26, 85),
    column("OBJECT", false, 14, 36, 50),
    column("MESSAGE", false, 20, 200, 70),
];

const MESSAGES: Messages<'static> = Messages {
    loading: "Loading events…",
    empty: "No recent events.",
    failed: "Cannot read events",
};

/// How many lines the detail part takes.
const DETAIL_LINES: u16 = 7;

/// From this body height on, the health charts and the events show
/// together; below it `tab` switches between them.
const BOTH_FROM: u16 = 40;

/// Health chart rows when both show.
const HEALTH_ROWS: u16 = 18;

/// Workload detail state.
#[derive(Debug)]
pub struct WorkloadView {
    target: WorkloadRef,
    events: Fetched<Vec<ClusterEvent>>,
    table: TextTable,
    cursor: Cursor,
    seen_rv: Option<String>,
    dirty: bool,
    health: HealthPanel,
    /// On short terminals: the health charts instead of the events.
    show_health: bool,
    /// A CronJob's last failed run's log tail.
    log: Fetched<Vec<String>>,
}

impl WorkloadView {
    /// Opens the detail of `target` and asks for its events.
    pub(crate) fn open(target: WorkloadRef, ctx: &mut Ctx) -> WorkloadView {
        let model = find(ctx.snap, &target).and_then(|w| w.model.clone());
        let health = HealthPanel::open(target.clone(), model, ctx);
        let mut v = WorkloadView {
            target,
            events: Fetched::default(),
            table: TextTable::default(),
            cursor: Cursor::default(),
            seen_rv: None,
            dirty: true,
            health,
            show_health: false,
            log: Fetched::default(),
        };
        v.refresh(ctx);
        v
    }

    /// The workload shown.
    pub fn target(&self) -> &WorkloadRef {
        &self.target
    }

    /// Its health charts.
    pub fn health(&self) -> &HealthPanel {
        &self.health
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        let t = ctx.request(Job::Events {
            target: self.target.clone(),
        });
        self.events.expect(t);
        if self.is_batch() {
            let t = ctx.request(Job::Activity {
                targets: vec![self.target.clone()],
            });
            self.log.expect(t);
        }
        self.seen_rv = find(ctx.snap, &self.target).map(|w| w.resource_version.clone());
    }

    fn is_batch(&self) -> bool {
        self.target.kind.is_batch()
    }

    /// A CronJob's failed-run log tail, as last read.
    pub fn batch_log(&self) -> Option<&[String]> {
        self.log.data.as_deref()
    }

    /// A new snapshot: re-reads events when the workload changed.
    pub(crate) fn on_snapshot(&mut self, ctx: &mut Ctx) {
        let rv = find(ctx.snap, &self.target).map(|w| w.resource_version.clone());
        if rv.is_some() && rv != self.seen_rv {
            self.refresh(ctx);
        }
    }

    /// Takes a job answer if it is the one this view waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        match (&r.job, &r.outcome) {
            (Job::Events { target }, JobOutcome::Events(res))
                if *target == self.target && self.events.awaits(r.ticket) =>
            {
                self.events.resolve(res.clone(), ctx.now);
                self.dirty = true;
                true
            }
            (Job::Activity { targets }, JobOutcome::Activity(a))
                if targets.first() == Some(&self.target) && self.log.awaits(r.ticket) =>
            {
                let logs = a
                    .iter()
                    .find(|x| x.target == self.target)
                    .map_or_else(|| Ok(Vec::new()), |x| x.logs.clone());
                self.log.resolve(logs, ctx.now);
                true
            }
            _ => self.health.on_result(r, ctx),
        }
    }

    /// Rebuilds the events table when new events arrived (newest first).
    pub fn settle(&mut self, height: usize) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let rows = self
            .events
            .data
            .iter()
            .flatten()
            .rev()
            .map(|e| {
                vec![
                    CellText::Age(e.at),
                    CellText::text(&e.kind),
                    CellText::text(&e.reason),
                    CellText::text(&e.object),
                    CellText::text(&e.message),
                ]
            })
            .collect();
        self.table = TextTable::new(&COLUMNS, rows);
        self.cursor.clamp(self.table.len(), height);
    }

    /// The detail, the health charts (if shown) and the events (if shown).
    fn areas(&self, body: Rect) -> (Rect, Option<Rect>, Option<Rect>) {
        let inner = body.inner(Margin::new(1, 1));
        let [detail, lower] =
            Layout::vertical([Constraint::Length(DETAIL_LINES), Constraint::Min(0)]).areas(inner);
        if self.is_batch() {
            // The failed run's log where the health charts would be.
            let rows = if body.height >= BOTH_FROM {
                HEALTH_ROWS
            } else {
                lower.height / 2
            };
            let [log, events] =
                Layout::vertical([Constraint::Length(rows), Constraint::Min(0)]).areas(lower);
            return (detail, Some(log), Some(events));
        }
        if body.height >= BOTH_FROM {
            let [health, events] =
                Layout::vertical([Constraint::Length(HEALTH_ROWS), Constraint::Min(0)])
                    .areas(lower);
            (detail, Some(health), Some(events))
        } else if self.show_health {
            (detail, Some(lower), None)
        } else {
            (detail, None, Some(lower))
        }
    }

    /// Reacts to an action while the detail is on top.
    pub(crate) fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let (_, _, events) = self.areas(ctx.body);
        // The events area has its own top border and a header line.
        let page = usize::from(events.map_or(0, |e| e.height).saturating_sub(2));
        let len = self.table.len();
        match action {
            Action::Nav(n) => self.cursor.navigate(*n, len, page),
            Action::Refresh => {
                self.refresh(ctx);
                self.health.refresh(ctx);
            }
            Action::DriftWindow(step) => {
                return Transition::Flash(self.health.step_window(*step, ctx));
            }
            Action::TogglePanel => {
                if self.is_batch() {
                    return Transition::Flash("a batch job's run log and events both show".into());
                }
                if ctx.body.height >= BOTH_FROM {
                    return Transition::Flash("health and events both show at this height".into());
                }
                self.show_health = !self.show_health;
            }
            Action::Select => {
                let model = find(ctx.snap, &self.target).and_then(|w| w.model.clone());
                let version = find(ctx.snap, &self.target).and_then(|w| w.served_version.clone());
                return match model {
                    Some(m) => {
                        let view = VersionsView::open(&m, version, ctx);
                        Transition::Push(Screen::Versions(Box::new(view)))
                    }
                    None => Transition::Flash("This workload is not bound to a model".into()),
                };
            }
            _ => {}
        }
        Transition::Stay
    }

    /// Draws the detail and its events.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let t = &self.target;
        let title = vec![
            Span::styled(" Workload", theme::title()),
            Span::styled(
                format!(
                    "({}/{}/{}/{}) ",
                    clean(&t.cluster),
                    clean(&t.namespace),
                    t.kind,
                    clean(&t.name)
                ),
                theme::key(),
            ),
        ];
        frame.render_widget(panel::block(title), area);
        let (detail, health, events) = self.areas(area);
        frame.render_widget(Paragraph::new(detail_lines(rc, t)), detail);
        let batch_view = find(rc.snap, t)
            .filter(|_| self.is_batch())
            .and_then(|w| fleet_row(rc.snap, w).batch);
        match (health, &batch_view) {
            (Some(h), Some(b)) => batch::render_log(frame, h, b, &self.log),
            (Some(h), None) if !self.is_batch() => self.health.render(frame, h, rc.now.0),
            _ => {}
        }
        let Some(events) = events else {
            return;
        };
        let block = Block::new()
            .borders(Borders::TOP)
            .border_style(theme::border())
            .title(Span::styled(" Events ", theme::title()));
        let inner = block.inner(events);
        frame.render_widget(block, events);
        let state = self.events.panel_state(&rc.snap.cluster, |e| e.is_empty());
        let (notice, table_area) = panel::split_notice(inner, &state);
        if panel::render_state(frame, table_area, &state, MESSAGES) {
            return;
        }
        if let (Some(n), Some(line)) = (notice, panel::stale_line(&state)) {
            frame.render_widget(line, n);
        }
        let table = &self.table;
        table.render(frame, table_area, &COLUMNS, &self.cursor, rc.now, |r, c| {
            let warning = matches!(table.rows.get(r).and_then(|row| row.get(1)), Some(CellText::Text(k)) if k == "Warning");
            match c {
                1 | 2 if warning => theme::warn(),
                0 => theme::dim(),
                _ => theme::text(),
            }
        });
    }
}

fn find<'a>(snap: &'a Snapshot, target: &WorkloadRef) -> Option<&'a Workload> {
    snap.workloads
        .binary_search_by(|w| w.id.cmp(target))
        .ok()
        .and_then(|i| snap.workloads.get(i))
}

fn detail_lines(rc: &RenderCtx, target: &WorkloadRef) -> Vec<Line<'static>> {
    let Some(w) = find(rc.snap, target) else {
        return vec![Line::styled(
            "This workload is no longer in the cluster's list (deleted, or out of scope).",
            theme::warn(),
        )];
    };
    let r = fleet_row(rc.snap, w);
    let field = |k: &str, v: String| {
        vec![
            Span::styled(format!("{k:<10}"), theme::dim()),
            Span::styled(clean(&v).into_owned(), theme::text()),
            Span::raw("   "),
        ]
    };
    let aliases = if r.aliases.is_empty() {
        String::new()
    } else {
        format!(" ({})", r.aliases.join(","))
    };
    let canary = w.canary.as_ref().map_or_else(
        || "none".to_string(),
        |c| format!("v{} at {}%", c.version, c.traffic_percent),
    );
    let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let rollout = field(
        "Rollout",
        match &r.rollout_detail {
            Some(d) => format!("{} ({d})", r.rollout),
            None => r.rollout.clone(),
        },
    );
    let labels = field(
        "Labels",
        if labels.is_empty() {
            "-".into()
        } else {
            labels.join(" ")
        },
    );
    let created = field(
        "Created",
        format!(
            "{} ({} ago)",
            r.created_at.rfc3339(),
            format::age(rc.now, r.created_at)
        ),
    );
    if let Some(b) = &r.batch {
        let mut lines = vec![
            Line::from(
                [
                    field(
                        "Model",
                        format!("{}{aliases}", r.model.as_deref().unwrap_or("- (not bound)")),
                    ),
                    field("Version", format::version(r.version.as_deref())),
                ]
                .concat(),
            ),
            Line::from(
                [
                    field(
                        "Active",
                        match w.batch.as_ref().map_or(r.ready, |b| b.active) {
                            0 => "no run".to_string(),
                            n => format!("{n} running"),
                        },
                    ),
                    rollout,
                ]
                .concat(),
            ),
        ];
        lines.extend(batch::lines(b, rc.now));
        if lines.len() + 2 > usize::from(DETAIL_LINES) {
            // The rows line took one: labels and creation share the last.
            lines.push(Line::from([labels, created].concat()));
        } else {
            lines.push(Line::from(labels));
            lines.push(Line::from(created));
        }
        lines.truncate(usize::from(DETAIL_LINES));
        return lines;
    }
    let mut lines = vec![
        [
            field(
                "Model",
                format!("{}{aliases}", r.model.as_deref().unwrap_or("- (not bound)")),
            ),
            field("Version", format::version(r.version.as_deref())),
        ]
        .concat(),
        [
            field("Replicas", format!("{}/{} ready", r.ready, r.desired)),
            rollout,
        ]
        .concat(),
        field("Canary", canary),
        [
            field("Traffic", format!("{} rps", format::float(r.rps, 1))),
            field("p99", format!("{} ms", format::float(r.p99_ms, 0))),
            field("Errors", format!("{} %", format::float(r.error_pct, 2))),
        ]
        .concat(),
        field("Drift", format::drift(r.drift, r.drift_psi)),
        labels,
        created,
    ];
    lines.truncate(usize::from(DETAIL_LINES));
    lines.into_iter().map(Line::from).collect()
}
