//! The Versions screen's metric chart (MLflow #4806): one metric of every
//! version's training run, x = version order, y = the value, each alias
//! written at its version's point, and the versions without a value named
//! under it with why. The series comes from core's `version_metrics` by a
//! job; `m`/`M` chart the next/previous metric the runs logged. From
//! [`BELOW_FROM`] rows the chart sits under the table and `tab` hides it;
//! below that it replaces the table while `tab` shows it.

use crate::action::Action;
use crate::format;
use crate::jobs::{Job, JobOutcome, JobResult};
use crate::theme;
use crate::views::{Ctx, Fetched, Transition};
use crate::widgets::chart::series_color;
use crate::widgets::panel;
use modeldeck_core::text::clean;
use modeldeck_core::version_metrics::MetricHistory;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as Segment};
use ratatui::widgets::{Paragraph, Wrap};

/// Body height from which the chart sits under the table.
pub(crate) const BELOW_FROM: u16 = 30;

/// Rows the chart takes under the table, at least.
const CHART_ROWS: u16 = 16;

/// Rows the chart takes at most (a tall table gets the rest).
const CHART_MAX: u16 = 22;

/// The metric chart's state.
#[derive(Debug, Default)]
pub(crate) struct MetricChart {
    history: Fetched<MetricHistory>,
    /// The metric asked for (`None`: core's first one, until it answers).
    metric: Option<String>,
    /// `tab` pressed an odd number of times: hides the chart when it fits
    /// under the table, shows it instead of the table when not.
    toggled: bool,
}

impl MetricChart {
    /// The series shown, once it arrived.
    pub(crate) fn history(&self) -> Option<&MetricHistory> {
        self.history.data.as_ref()
    }

    /// Asks for the chosen metric across the versions of `model`.
    pub(crate) fn request(&mut self, model: &str, ctx: &mut Ctx) {
        let t = ctx.request(Job::MetricHistory {
            model: model.to_string(),
            metric: self.metric.clone(),
        });
        self.history.expect(t);
    }

    /// Takes the answer this chart waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, model: &str, ctx: &Ctx) -> bool {
        match (&r.job, &r.outcome) {
            (Job::MetricHistory { model: m, .. }, JobOutcome::MetricHistory(res))
                if m == model && self.history.awaits(r.ticket) =>
            {
                self.history.resolve(res.clone().map(|h| *h), ctx.now);
                if self.metric.is_none() {
                    self.metric = self.history().and_then(|h| h.metric.clone());
                }
                true
            }
            _ => false,
        }
    }

    /// `m`/`M` (next/previous metric) and `tab`; `None` for other actions.
    /// `area` is where table and chart share (to show a hidden chart).
    pub(crate) fn handle(
        &mut self,
        action: &Action,
        model: &str,
        (area, rows): (Rect, usize),
        ctx: &mut Ctx,
    ) -> Option<Transition> {
        match action {
            Action::TogglePanel => self.toggled = !self.toggled,
            Action::CurveMetric(step) => {
                let metrics = self.history().map(|h| h.metrics.clone());
                let Some(metrics) = metrics.filter(|m| !m.is_empty()) else {
                    return Some(Transition::Flash(
                        "No metric to chart: no version's run logged one (yet)".into(),
                    ));
                };
                let at = self
                    .metric
                    .as_ref()
                    .and_then(|m| metrics.iter().position(|k| k == m))
                    .unwrap_or(0) as i64;
                let n = metrics.len() as i64;
                let next = (at + i64::from(*step)).rem_euclid(n) as usize;
                self.metric = Some(metrics[next].clone());
                self.request(model, ctx);
                if self.split(area, rows).1.is_none() {
                    self.toggled = !self.toggled;
                }
            }
            _ => return None,
        }
        Some(Transition::Stay)
    }

    /// Table and chart areas in `area`: both when there is room (the table
    /// as tall as its `rows` need), else one; the table alone while there is
    /// no version to chart.
    pub(crate) fn split(&self, area: Rect, rows: usize) -> (Option<Rect>, Option<Rect>) {
        if rows == 0 {
            return (Some(area), None);
        }
        match (area.height >= BELOW_FROM, self.toggled) {
            (true, false) => {
                // Borders, header and a notice line around the rows.
                let want = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(4);
                let rest = area.height.saturating_sub(CHART_MAX);
                let table = want.max(rest).clamp(8, area.height - CHART_ROWS);
                let [t, c] =
                    Layout::vertical([Constraint::Length(table), Constraint::Min(1)]).areas(area);
                (Some(t), Some(c))
            }
            (true, true) | (false, false) => (Some(area), None),
            (false, true) => (None, Some(area)),
        }
    }

    /// Draws the chart panel in `area`.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect) {
        let h = self.history();
        let name = self
            .metric
            .as_deref()
            .or(h.and_then(|h| h.metric.as_deref()));
        let mut title = vec![Span::styled(" Metric across versions ", theme::title())];
        if let Some(n) = name {
            title.push(Span::styled(clean(n).into_owned(), theme::key()));
        }
        if let Some((h, name)) = h.zip(name) {
            let at = h
                .metrics
                .iter()
                .position(|k| k == name)
                .map_or(0, |i| i + 1);
            title.push(Span::styled(
                format!(" ({at} of {} · m/M next/previous) ", h.metrics.len()),
                theme::dim(),
            ));
        }
        if self.history.pending.is_some() && h.is_some() {
            title.push(Span::styled("⟳ reading ", theme::loading()));
        }
        let block = panel::block(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let say = |frame: &mut Frame, text: String, style: Style| {
            let line = Line::styled(clean(&text).into_owned(), style);
            frame.render_widget(Paragraph::new(line), inner);
        };
        let Some(h) = h else {
            return match &self.history.error {
                Some((m, _)) => say(frame, format!("not read: {m}"), theme::warn()),
                None => say(frame, "reading every version's run…".into(), theme::dim()),
            };
        };
        if let Some((m, _)) = &self.history.error {
            return say(frame, format!("not read: {m}"), theme::warn());
        }
        if h.metrics.is_empty() {
            return say(
                frame,
                "no version's run logged a metric".into(),
                theme::dim(),
            );
        }
        draw(frame, inner, h);
    }
}

/// A version on the x axis: its number, value (if any) and aliases.
struct Tick<'a> {
    number: u64,
    version: &'a str,
    value: Option<f64>,
    aliases: &'a [String],
}

/// The plot, its axes and the line naming the missing versions.
fn draw(frame: &mut Frame, inner: Rect, h: &MetricHistory) {
    let mut ticks: Vec<Tick> = h
        .points
        .iter()
        .map(|p| Tick {
            number: p.number,
            version: &p.version,
            value: Some(p.value),
            aliases: &p.aliases,
        })
        .chain(h.missing.iter().map(|m| Tick {
            number: m.number,
            version: &m.version,
            value: None,
            aliases: &m.aliases,
        }))
        .collect();
    ticks.sort_by(|a, b| a.number.cmp(&b.number).then(a.version.cmp(b.version)));
    let name = h.metric.as_deref().unwrap_or("-");
    let missing = missing_line(h, name);
    if h.points.is_empty() {
        // Nothing to plot: why, for every version, wrapped.
        let text = format!("no version has a value of {name}");
        let lines = vec![
            Line::styled(clean(&text).into_owned(), theme::dim()),
            missing,
        ];
        let p = Paragraph::new(lines).wrap(Wrap { trim: true });
        frame.render_widget(p, inner);
        return;
    }
    // The missing versions wrap over up to a third of the panel.
    let width = usize::from(inner.width.max(1));
    let need = missing.width().div_ceil(width) as u16;
    let missing_rows = need.min((inner.height / 3).max(1));
    let [plot_rows, x_row, miss_row] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(missing_rows),
    ])
    .areas(inner);
    let p = Paragraph::new(missing).wrap(Wrap { trim: true });
    frame.render_widget(p, miss_row);
    let values = h.points.iter().map(|p| p.value);
    let lo = values.clone().fold(f64::INFINITY, f64::min);
    let hi = values.fold(f64::NEG_INFINITY, f64::max);
    if plot_rows.height < 2 {
        return;
    }
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let (ylo, yhi) = (format::metric(Some(lo)), format::metric(Some(hi)));
    let yw = ylo.chars().count().max(yhi.chars().count()) as u16 + 1;
    let [yaxis, plot] =
        Layout::horizontal([Constraint::Length(yw), Constraint::Min(1)]).areas(plot_rows);
    let (top, bottom) = (plot.y, plot.bottom() - 1);
    // Cells: x spreads the versions evenly, y maps the value's range.
    let (w, hgt) = (f64::from(plot.width.max(2) - 1), f64::from(plot.height - 1));
    let n = ticks.len().max(2) as f64 - 1.0;
    let col = |i: usize| {
        if ticks.len() == 1 {
            w / 2.0
        } else {
            w * i as f64 / n
        }
    };
    let row = |v: f64| ((hi - v) / (hi - lo) * hgt).round();
    let pts: Vec<(f64, f64)> = ticks
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.value.map(|v| (col(i).round(), row(v))))
        .collect();
    let color = series_color(0);
    let canvas = Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([0.0, w])
        .y_bounds([0.0, hgt])
        .paint(|c| {
            for pair in pts.windows(2) {
                let (p, q) = (pair[0], pair[1]);
                c.draw(&Segment::new(p.0, hgt - p.1, q.0, hgt - q.1, color));
            }
        });
    frame.render_widget(canvas, plot);
    let buf = frame.buffer_mut();
    for (y, text) in [(top, &yhi), (bottom, &ylo)] {
        let text = format!("{text:>w$}", w = usize::from(yw - 1));
        buf.set_string(yaxis.x, y, text, theme::dim());
    }
    let alias_style = Style::new().fg(Color::Yellow);
    let mut taken = 0u16;
    // Cells (row, from, to) holding a dot or a label: labels avoid them.
    let mut used: Vec<(u16, u16, u16)> = Vec::new();
    let mut labels = Vec::new();
    for (i, t) in ticks.iter().enumerate() {
        let x = plot.x + col(i).round() as u16;
        // The version under its column, if it does not run into the last.
        let label = format!("v{}", clean(t.version));
        let lw = label.chars().count() as u16;
        let lx = x
            .saturating_sub(lw / 2)
            .max(plot.x)
            .min(plot.right().saturating_sub(lw));
        if lx >= taken {
            let style = match (t.value, t.aliases.is_empty()) {
                (_, false) => alias_style,
                (Some(_), true) => theme::dim(),
                (None, true) => theme::warn(),
            };
            buf.set_stringn(lx, x_row.y, &label, usize::from(lw), style);
            taken = lx + lw + 1;
        }
        let Some(v) = t.value else { continue };
        let y = plot.y + row(v) as u16;
        let alias = !t.aliases.is_empty();
        let dot = if alias { Color::Yellow } else { color };
        buf.set_string(x, y, "●", Style::new().fg(dot));
        used.push((y, x, x));
        if alias {
            let text: Vec<String> = t.aliases.iter().map(|a| format!("@{}", clean(a))).collect();
            labels.push((x, y, text.join(" ")));
        }
    }
    // The newest first: they sit at the right edge, with fewer places.
    for (x, y, text) in labels.into_iter().rev() {
        let tw = (text.chars().count() as u16).min(plot.width);
        let fit = |x0: u16| x0.max(plot.x).min(plot.right() - tw);
        let free = |r: u16, x0: u16, used: &[(u16, u16, u16)]| {
            !used
                .iter()
                .any(|&(ur, a, b)| ur == r && x0 <= b + 2 && a <= x0 + tw + 1)
        };
        // Nearest rows first, above before below.
        let rows = (1..plot.height).flat_map(|d| [y.checked_sub(d), Some(y + d)]);
        let rows = rows.flatten().filter(|r| *r >= plot.y && *r <= bottom);
        let xs = [
            fit(x.saturating_sub(tw / 2)),
            fit(x + 2),
            fit(x.saturating_sub(tw + 1)),
        ];
        let spot = rows
            .flat_map(|r| xs.map(|x0| (r, x0)))
            .find(|&(r, x0)| free(r, x0, &used));
        if let Some((r, x0)) = spot {
            buf.set_stringn(x0, r, &text, usize::from(tw), alias_style);
            used.push((r, x0, x0 + tw - 1));
        }
    }
}

/// `no auc: v3 (no training run) · v9 @champion (its run did not log auc)`.
fn missing_line<'a>(h: &'a MetricHistory, name: &str) -> Line<'a> {
    if h.missing.is_empty() {
        return Line::default();
    }
    let mut spans = vec![Span::styled(format!("no {}: ", clean(name)), theme::warn())];
    for (i, m) in h.missing.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme::dim()));
        }
        spans.push(Span::styled(
            format!("v{}", clean(&m.version)),
            theme::text(),
        ));
        for a in &m.aliases {
            spans.push(Span::styled(
                format!(" @{}", clean(a)),
                Style::new().fg(Color::Yellow),
            ));
        }
        spans.push(Span::styled(
            format!(" ({})", clean(&m.reason)),
            theme::dim(),
        ));
    }
    Line::from(spans)
}
