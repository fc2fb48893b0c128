//! The Compare screen: two versions of a model side by side. Metrics show
//! both values, the delta (B - A) and which side wins given the metric's
//! direction; params and tags show both values and mark differences. `d`
//! hides everything that is equal.

use crate::action::{Action, Nav};
use crate::format;
use crate::jobs::{Job, JobOutcome, JobResult};
use crate::theme;
use crate::views::{Ctx, Fetched, RenderCtx, Transition};
use crate::widgets::panel::{self, Messages};
use modeldeck_core::compare::{Comparison, Direction, MetricDelta, ValueDiff, Winner};
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

const MESSAGES: Messages<'static> = Messages {
    loading: "Comparing versions…",
    empty: "Nothing to compare.",
    failed: "Cannot compare these versions",
};

/// Compare state: the pair, the answer, the diff-only toggle and scroll.
#[derive(Debug)]
pub struct CompareView {
    model: String,
    a: String,
    b: String,
    result: Fetched<Comparison>,
    diff_only: bool,
    offset: usize,
}

/// One line of the comparison.
enum CompareLine<'a> {
    Section(&'static str),
    Metric(&'a MetricDelta),
    Value(&'a ValueDiff),
    Note(String),
    Blank,
}

impl CompareView {
    /// Opens a comparison of `a` and `b` of `model` and asks for it.
    pub(crate) fn open(model: &str, a: &str, b: &str, ctx: &mut Ctx) -> CompareView {
        let mut v = CompareView {
            model: model.to_string(),
            a: a.to_string(),
            b: b.to_string(),
            result: Fetched::default(),
            diff_only: false,
            offset: 0,
        };
        v.refresh(ctx);
        v
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        let t = ctx.request(Job::Compare {
            model: self.model.clone(),
            a: self.a.clone(),
            b: self.b.clone(),
        });
        self.result.expect(t);
    }

    /// The pair compared: model, A, B.
    pub fn pair(&self) -> (&str, &str, &str) {
        (&self.model, &self.a, &self.b)
    }

    /// True when only differences are shown.
    pub fn diff_only(&self) -> bool {
        self.diff_only
    }

    /// The comparison, once it arrived.
    pub fn comparison(&self) -> Option<&Comparison> {
        self.result.data.as_ref()
    }

    /// Takes a job answer if it is the one this view waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        match (&r.job, &r.outcome) {
            (Job::Compare { model, a, b }, JobOutcome::Compare(res))
                if (model, a, b) == (&self.model, &self.a, &self.b)
                    && self.result.awaits(r.ticket) =>
            {
                self.result.resolve(res.clone().map(|c| *c), ctx.now);
                true
            }
            _ => false,
        }
    }

    fn lines(&self) -> Vec<CompareLine<'_>> {
        let Some(c) = &self.result.data else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (side, s) in [("A", &c.a), ("B", &c.b)] {
            if s.run.is_none() {
                out.push(CompareLine::Note(format!(
                    "{side} (v{}) has no training run: no metrics or params",
                    s.version.version
                )));
            }
        }
        out.push(CompareLine::Section("METRICS"));
        let metrics: Vec<&MetricDelta> = c
            .metrics
            .iter()
            .filter(|m| !self.diff_only || m.winner != Winner::Tie)
            .collect();
        push_all(&mut out, metrics, CompareLine::Metric, self.diff_only);
        for (title, rows) in [("PARAMS", &c.params), ("TAGS", &c.tags)] {
            out.push(CompareLine::Blank);
            out.push(CompareLine::Section(title));
            let kept: Vec<&ValueDiff> = rows
                .iter()
                .filter(|v| !self.diff_only || v.differs)
                .collect();
            push_all(&mut out, kept, CompareLine::Value, self.diff_only);
        }
        out
    }

    fn content_area(body: Rect) -> Rect {
        let inner = body.inner(Margin::new(1, 1));
        let [_, content] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(inner);
        content
    }

    /// Reacts to an action while Compare is on top.
    pub(crate) fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let height = usize::from(Self::content_area(ctx.body).height.saturating_sub(1));
        let len = self.lines().len();
        let max = len.saturating_sub(height.max(1));
        let page = height.max(1);
        self.offset = match action {
            Action::Nav(Nav::Up) => self.offset.saturating_sub(1),
            Action::Nav(Nav::Down) => self.offset + 1,
            Action::Nav(Nav::Top) => 0,
            Action::Nav(Nav::Bottom) => max,
            Action::Nav(Nav::PageUp) => self.offset.saturating_sub(page),
            Action::Nav(Nav::PageDown) => self.offset + page,
            Action::Nav(Nav::HalfPageUp) => self.offset.saturating_sub(page / 2),
            Action::Nav(Nav::HalfPageDown) => self.offset + page / 2,
            Action::ToggleDiffOnly => {
                self.diff_only = !self.diff_only;
                0
            }
            Action::Refresh => {
                self.refresh(ctx);
                self.offset
            }
            _ => self.offset,
        }
        .min(max);
        Transition::Stay
    }

    /// Draws the Compare panel.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let mut title = vec![
            Span::styled(" Compare", theme::title()),
            Span::styled(format!("({})", clean(&self.model)), theme::key()),
            Span::styled(
                format!(" A=v{} B=v{} ", clean(&self.a), clean(&self.b)),
                theme::title(),
            ),
        ];
        if self.diff_only {
            title.push(Span::styled("[differences only] ", theme::warn()));
        }
        frame.render_widget(panel::block(title), area);
        let state = self.result.panel_state(&rc.snap.registry, |_| false);
        let inner = area.inner(Margin::new(1, 1));
        if panel::render_state(frame, inner, &state, MESSAGES) {
            return;
        }
        let Some(c) = &self.result.data else {
            return;
        };
        let [head, content] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(inner);
        frame.render_widget(summary(c, &state), head);
        self.render_lines(frame, content, c);
    }

    fn render_lines(&self, frame: &mut Frame, area: Rect, c: &Comparison) {
        let lines = self.lines();
        let height = usize::from(area.height.saturating_sub(1));
        let start = self.offset.min(lines.len().saturating_sub(height.max(1)));
        let side = |s: &modeldeck_core::compare::Side| {
            let aliases = if s.version.aliases.is_empty() {
                String::new()
            } else {
                format!(" ({})", s.version.aliases.join(","))
            };
            clean(&format!("v{}{aliases}", s.version.version)).into_owned()
        };
        let (ha, hb) = (format!("A: {}", side(&c.a)), format!("B: {}", side(&c.b)));
        let (key_w, val_w) = widths(&lines, &ha, &hb, area.width);
        let header = Row::new(vec![
            Cell::from("KEY"),
            Cell::from(ha),
            Cell::from(hb),
            Cell::from(Line::from("DELTA B-A").right_aligned()),
            Cell::from("WINNER"),
        ])
        .style(theme::header());
        let rows = lines
            .iter()
            .skip(start)
            .take(height)
            .map(|l| line_row(l, &c.a.version.version, &c.b.version.version));
        let widths = [
            Constraint::Length(key_w),
            Constraint::Length(val_w),
            Constraint::Length(val_w),
            Constraint::Length(10),
            Constraint::Length(8),
        ];
        frame.render_widget(Table::new(rows, widths).header(header), area);
    }
}

/// Key column and value column widths: as wide as the content, values
/// shrinking first when the terminal is narrow.
fn widths(lines: &[CompareLine], ha: &str, hb: &str, width: u16) -> (u16, u16) {
    let w = |s: &str| Span::raw(s).width() as u16;
    let mut key = 3u16;
    let mut val = w(ha).max(w(hb));
    for l in lines {
        match l {
            CompareLine::Metric(m) => {
                key = key.max(w(&m.key) + 2);
                val = val
                    .max(w(&format::metric(m.a)))
                    .max(w(&format::metric(m.b)));
            }
            CompareLine::Value(v) => {
                key = key.max(w(&v.key));
                for s in [&v.a, &v.b].into_iter().flatten() {
                    val = val.max(w(s));
                }
            }
            _ => {}
        }
    }
    // Long keys (modeldeck.promotion.request) truncate before values do.
    let key = key.min(32).min((width / 4).max(8));
    // DELTA (10) and WINNER (8) plus four column gaps.
    let room = width.saturating_sub(key + 10 + 8 + 4) / 2;
    (key, val.min(48).min(room.max(8)))
}

fn push_all<'a, T>(
    out: &mut Vec<CompareLine<'a>>,
    items: Vec<&'a T>,
    wrap: fn(&'a T) -> CompareLine<'a>,
    diff_only: bool,
) {
    if items.is_empty() {
        let what = if diff_only {
            "(no differences)"
        } else {
            "(none)"
        };
        out.push(CompareLine::Note(what.into()));
    }
    out.extend(items.into_iter().map(wrap));
}

fn summary(
    c: &Comparison,
    state: &modeldeck_core::console::PanelState,
) -> ratatui::widgets::Paragraph<'static> {
    let (wa, wb) = c.score();
    let ties = c.metrics.iter().filter(|m| m.winner == Winner::Tie).count();
    let verdict = match wa.cmp(&wb) {
        std::cmp::Ordering::Greater => format!("A (v{}) leads", c.a.version.version),
        std::cmp::Ordering::Less => format!("B (v{}) leads", c.b.version.version),
        std::cmp::Ordering::Equal => "even".to_string(),
    };
    let score = Line::from(vec![
        Span::styled(clean(&verdict).into_owned(), theme::title()),
        Span::styled(
            format!(
                ": A wins {wa}, B wins {wb}, {ties} tied of {} metrics",
                c.metrics.len()
            ),
            theme::text(),
        ),
    ]);
    let second = panel::stale_line(state).unwrap_or_else(|| {
        let diffs = c.params.iter().filter(|p| p.differs).count();
        let tags = c.tags.iter().filter(|p| p.differs).count();
        Line::styled(
            format!("differ: {diffs} params, {tags} tags · ↑ higher is better, ↓ lower is better"),
            theme::dim(),
        )
    });
    ratatui::widgets::Paragraph::new(vec![score, second])
}

fn line_row<'a>(l: &CompareLine<'a>, va: &str, vb: &str) -> Row<'static> {
    match l {
        CompareLine::Section(s) => Row::new(vec![Cell::from(*s)]).style(theme::title()),
        CompareLine::Blank => Row::new(vec![Cell::from("")]),
        CompareLine::Note(n) => Row::new(vec![Cell::from(Line::styled(
            clean(n).into_owned(),
            theme::dim(),
        ))]),
        CompareLine::Metric(m) => {
            let arrow = match m.direction {
                Direction::HigherIsBetter => '↑',
                Direction::LowerIsBetter => '↓',
            };
            let win = |w: Winner| {
                if m.winner == w {
                    theme::ok()
                } else {
                    theme::text()
                }
            };
            let (winner, wstyle) = match m.winner {
                Winner::A => (format!("◀ A v{va}"), theme::ok()),
                Winner::B => (format!("B v{vb} ▶"), theme::ok()),
                Winner::Tie => ("= tie".to_string(), theme::dim()),
                Winner::Unknown => ("?".to_string(), theme::warn()),
            };
            let delta_style = match m.winner {
                Winner::B => theme::ok(),
                Winner::A => theme::error(),
                _ => theme::dim(),
            };
            Row::new(vec![
                Cell::from(clean(&format!("{} {arrow}", m.key)).into_owned()),
                Cell::from(Span::styled(format::metric(m.a), win(Winner::A))),
                Cell::from(Span::styled(format::metric(m.b), win(Winner::B))),
                Cell::from(Line::styled(format::delta(m.delta), delta_style).right_aligned()),
                Cell::from(Span::styled(clean(&winner).into_owned(), wstyle)),
            ])
        }
        CompareLine::Value(v) => {
            let show = |s: &Option<String>| {
                s.as_deref()
                    .map_or_else(|| format::MISSING.to_string(), |x| clean(x).into_owned())
            };
            let style = if v.differs {
                theme::warn()
            } else {
                Style::new()
            };
            Row::new(vec![
                Cell::from(clean(&v.key).into_owned()),
                Cell::from(Span::styled(show(&v.a), style)),
                Cell::from(Span::styled(show(&v.b), style)),
                Cell::from(""),
                Cell::from(if v.differs { "≠" } else { "=" }),
            ])
        }
    }
}
