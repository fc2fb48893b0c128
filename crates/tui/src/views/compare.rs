//! The Compare screen: two versions of a model side by side. Metrics show
//! both values, the delta (B - A) and which side wins given the metric's
//! direction; params and tags show both values and mark differences. `d`
//! hides everything that is equal. Below the metrics: the schema diff and
//! the data lineage, and a chart of one training curve of both runs.

use crate::action::{Action, Nav};
use crate::format;
use crate::jobs::{Job, JobOutcome, JobResult};
use crate::theme;
use crate::views::{Ctx, Fetched, RenderCtx, Transition};
use crate::widgets::panel::{self, Messages};
use modeldeck_core::compare::{Comparison, Direction, MetricDelta, ValueDiff, Winner};
use modeldeck_core::compare_curves::CurvePair;
use modeldeck_core::compare_evidence::CompareEvidence;

#[path = "compare_evidence.rs"]
mod evidence;
use evidence::EvidenceLine;
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
    evidence: Fetched<CompareEvidence>,
    curve: Fetched<CurvePair>,
    /// Index of the curve's metric in the evidence's `curve_metrics`.
    curve_at: usize,
}

/// One line of the comparison.
enum CompareLine<'a> {
    Section(&'static str),
    Metric(&'a MetricDelta),
    Value(&'a ValueDiff),
    Note(String),
    Blank,
    Evidence(EvidenceLine<'a>),
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
            evidence: Fetched::default(),
            curve: Fetched::default(),
            curve_at: 0,
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
                if let Some(c) = &self.result.data {
                    let t = ctx.request(Job::CompareEvidence {
                        cmp: Box::new(c.clone()),
                    });
                    self.evidence.expect(t);
                }
                true
            }
            (Job::CompareEvidence { cmp }, JobOutcome::CompareEvidence(ev))
                if self.evidence.awaits(r.ticket) && self.is_ours(cmp) =>
            {
                self.evidence
                    .resolve(Ok::<_, String>(ev.as_ref().clone()), ctx.now);
                self.curve_at = self.curve_at.min(ev.curve_metrics.len().saturating_sub(1));
                self.request_curve(ctx);
                true
            }
            (Job::CompareCurve { cmp, .. }, JobOutcome::CompareCurve(res))
                if self.curve.awaits(r.ticket) && self.is_ours(cmp) =>
            {
                self.curve.resolve(res.clone().map(|c| *c), ctx.now);
                true
            }
            _ => false,
        }
    }

    /// True when `cmp` is the comparison shown (same versions and runs;
    /// not `==`, which a NaN metric would make false).
    fn is_ours(&self, cmp: &Comparison) -> bool {
        let key = |c: &Comparison| {
            (
                c.model.clone(),
                c.a.version.version.clone(),
                c.b.version.version.clone(),
                c.a.run.as_ref().map(|r| r.run_id.clone()),
                c.b.run.as_ref().map(|r| r.run_id.clone()),
            )
        };
        self.result.data.as_ref().map(key) == Some(key(cmp))
    }

    /// Asks for the curve of the chosen metric (none: nothing to ask).
    fn request_curve(&mut self, ctx: &mut Ctx) {
        let (Some(c), Some(ev)) = (&self.result.data, &self.evidence.data) else {
            return;
        };
        let Some(metric) = ev.curve_metrics.get(self.curve_at) else {
            return;
        };
        let t = ctx.request(Job::CompareCurve {
            cmp: Box::new(c.clone()),
            metric: metric.clone(),
        });
        self.curve.expect(t);
    }

    /// The schema diff and lineage, once they arrived.
    pub fn evidence(&self) -> Option<&CompareEvidence> {
        self.evidence.data.as_ref()
    }

    /// The training curve shown, once it arrived.
    pub fn curve(&self) -> Option<&CurvePair> {
        self.curve.data.as_ref()
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
        out.push(CompareLine::Blank);
        out.extend(
            evidence::lines(&self.evidence)
                .into_iter()
                .map(CompareLine::Evidence),
        );
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
        Self::split_chart(content).0
    }

    /// The table and, when there is room (14 rows or more), the curve
    /// chart under it (two fifths of the height, at least 7 rows).
    fn split_chart(content: Rect) -> (Rect, Option<Rect>) {
        if content.height < 14 {
            return (content, None);
        }
        let h = (content.height * 2 / 5).max(7);
        let [table, chart] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(h)]).areas(content);
        (table, Some(chart))
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
            Action::CurveMetric(step) => {
                let n = self
                    .evidence
                    .data
                    .as_ref()
                    .map_or(0, |e| e.curve_metrics.len());
                if n > 0 {
                    let at = self.curve_at as i64 + i64::from(*step);
                    self.curve_at = at.rem_euclid(n as i64) as usize;
                    self.request_curve(ctx);
                }
                self.offset
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
        let (table, chart) = Self::split_chart(content);
        self.render_lines(frame, table, c);
        if let Some(chart) = chart {
            let metrics: &[String] = self
                .evidence
                .data
                .as_ref()
                .map_or(&[], |e| e.curve_metrics.as_slice());
            if self.evidence.data.is_some() {
                let (la, lb) = (
                    format!("v{}", c.a.version.version),
                    format!("v{}", c.b.version.version),
                );
                let chosen = metrics.get(self.curve_at).map_or("", String::as_str);
                evidence::render_curve(frame, chart, metrics, chosen, &self.curve, (&la, &lb));
            }
        }
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
        let last = area.width.saturating_sub(key_w + 2 * val_w + 10 + 4).max(8);
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
            Constraint::Length(last),
        ];
        frame.render_widget(Table::new(rows, widths).header(header), area);
        // Evidence sentences span the row (a table cell would cut them).
        for (i, l) in lines.iter().skip(start).take(height).enumerate() {
            if let CompareLine::Evidence(e) = l
                && let Some(text) = evidence::sentence(e)
            {
                let y = area.y + 1 + i as u16;
                let row = Rect::new(area.x, y, area.width, 1);
                frame.render_widget(ratatui::widgets::Paragraph::new(text), row);
            }
        }
    }
}

/// A metric's key cell: its name, its direction, and the tolerance of the
/// policy's gate on it when there is one (the number the gate judges with).
fn metric_label(m: &MetricDelta, arrow: char) -> String {
    match m.gate_tolerance {
        Some(t) => format!("{} {arrow} gate ±{}%", m.key, (t * 1e5).round() / 1e3),
        None => format!("{} {arrow}", m.key),
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
                key = key.max(w(&metric_label(m, '↑')));
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
            CompareLine::Evidence(_) => {}
            _ => {}
        }
    }
    let evidence: Vec<&EvidenceLine> = lines
        .iter()
        .filter_map(|l| match l {
            CompareLine::Evidence(e) => Some(e),
            _ => None,
        })
        .collect();
    let (ek, ev) = evidence::widths_of(&evidence);
    key = key.max(ek + 2);
    val = val.max(ev);
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
        CompareLine::Evidence(e) => evidence::row(e),
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
                Cell::from(clean(&metric_label(m, arrow)).into_owned()),
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
