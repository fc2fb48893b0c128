//! A time-series chart for a panel: one or more series over a window in
//! braille dots (two columns and four rows of dots per cell), downsampled
//! with the core's min/max rule so spikes stay visible; an optional
//! threshold drawn as a rule with the part of a series past it in the alarm
//! colour and its first crossing in the legend; markers (deploys,
//! approvals, promotions, rollbacks, retrains) as vertical rules with their
//! glyph on top and a one-line legend; y ticks with the unit, x ticks in
//! UTC; and the loading, failed and "no data in this window" states.

use crate::theme;
use crate::widgets::panel;
use modeldeck_core::chart::{self as core, Crossing, Marker, Threshold};
use modeldeck_core::drift::evaluate::compact;
use modeldeck_core::text::clean;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Series colours in the order screens hand them out (stable, canary, ..).
/// None of them is the alarm red, the threshold yellow or the healthy green.
pub const PALETTE: [Color; 4] = [
    Color::Cyan,
    Color::LightMagenta,
    Color::LightBlue,
    Color::Gray,
];

/// The series colour for the `i`-th series.
pub fn series_color(i: usize) -> Color {
    PALETTE[i % PALETTE.len()]
}

/// What a chart has to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartState<'a> {
    /// The query is in flight.
    Loading,
    /// The query failed; the reason is drawn (sanitized) under a headline.
    Error(&'a str),
    /// The series are here (possibly empty: then "no data in this window").
    Ready,
}

/// One line on the chart.
#[derive(Debug, Clone, Copy)]
pub struct ChartSeries<'a> {
    /// Legend label (untrusted: sanitized before drawing).
    pub label: &'a str,
    /// `(Unix ms, value)`, in time order; NaN and infinities are skipped.
    pub points: &'a [(i64, f64)],
    /// Line colour (see [`series_color`]).
    pub color: Color,
}

/// A time-series chart; build it with [`TimeChart::new`] and the setters,
/// draw it with `frame.render_widget(&chart, area)`.
#[derive(Debug, Clone)]
pub struct TimeChart<'a> {
    title: &'a str,
    series: Vec<ChartSeries<'a>>,
    from: i64,
    to: i64,
    unit: &'a str,
    threshold: Option<Threshold>,
    markers: &'a [Marker],
    state: ChartState<'a>,
    bordered: bool,
}

impl<'a> TimeChart<'a> {
    /// A chart over `[from, to]` (Unix ms), titled `title`, ready, with a
    /// border, no series yet.
    pub fn new(title: &'a str, from: i64, to: i64) -> Self {
        TimeChart {
            title,
            series: Vec::new(),
            from,
            to,
            unit: "",
            threshold: None,
            markers: &[],
            state: ChartState::Ready,
            bordered: true,
        }
    }

    /// Adds a series (drawn in order, later ones on top).
    pub fn series(mut self, s: ChartSeries<'a>) -> Self {
        self.series.push(s);
        self
    }

    /// The y unit (`ms`, `req/s`, `p-value`, `PSI`), shown above the y axis.
    pub fn unit(mut self, unit: &'a str) -> Self {
        self.unit = unit;
        self
    }

    /// A threshold drawn as a horizontal rule; values past it turn red.
    pub fn threshold(mut self, t: Threshold) -> Self {
        self.threshold = Some(t);
        self
    }

    /// Events drawn as vertical rules (those outside the window are left out).
    pub fn markers(mut self, m: &'a [Marker]) -> Self {
        self.markers = m;
        self
    }

    /// Loading, failed or ready.
    pub fn state(mut self, s: ChartState<'a>) -> Self {
        self.state = s;
        self
    }

    /// Leaves out the border and title (the caller draws its own panel).
    pub fn borderless(mut self) -> Self {
        self.bordered = false;
        self
    }

    /// The earliest first crossing of the threshold over all series, with
    /// the series' label.
    pub fn crossing(&self) -> Option<(Crossing, &'a str)> {
        let th = self.threshold?;
        self.series
            .iter()
            .filter_map(|s| {
                core::first_crossing(s.points, &th, self.from, self.to).map(|c| (c, s.label))
            })
            .min_by_key(|c| c.0.at)
    }

    fn has_data(&self) -> bool {
        self.series.iter().any(|s| {
            s.points
                .iter()
                .any(|p| p.1.is_finite() && p.0 >= self.from && p.0 <= self.to)
        })
    }

    fn window_line(&self) -> Line<'static> {
        Line::styled(
            format!(
                "{} – {} UTC",
                core::day_time_label(self.from),
                core::day_time_label(self.to)
            ),
            theme::dim(),
        )
    }
}

impl Widget for TimeChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        (&self).render(area, buf);
    }
}

impl Widget for &TimeChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = if self.bordered {
            frame(self.title, area, buf)
        } else {
            area
        };
        if inner.is_empty() {
            return;
        }
        match self.state {
            ChartState::Loading => centered(
                buf,
                inner,
                vec![
                    Line::styled("⟳ Loading…", theme::loading()),
                    self.window_line(),
                ],
            ),
            ChartState::Error(reason) => centered(
                buf,
                inner,
                vec![
                    Line::styled("✗ Cannot read this chart's data", theme::error()),
                    Line::raw(""),
                    Line::styled(clean(reason).into_owned(), theme::text()),
                ],
            ),
            ChartState::Ready if !self.has_data() => centered(
                buf,
                inner,
                vec![
                    Line::styled("No data in this window", theme::dim()),
                    self.window_line(),
                ],
            ),
            ChartState::Ready => render_ready(self, inner, buf),
        }
    }
}

/// Draws the panel border and title; returns the inside.
pub(crate) fn frame(title: &str, area: Rect, buf: &mut Buffer) -> Rect {
    let block = panel::block(vec![Span::styled(
        format!(" {} ", clean(title).trim()),
        theme::title(),
    )]);
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// Draws `lines` centred in `area`, wrapped.
pub(crate) fn centered(buf: &mut Buffer, area: Rect, lines: Vec<Line<'_>>) {
    let width = area.width.max(1);
    let needed: u16 = lines
        .iter()
        .map(|l| (l.width() as u16).div_ceil(width).max(1))
        .sum();
    let top = area.height.saturating_sub(needed) / 2;
    let target = Rect {
        y: area.y + top,
        height: area.height - top,
        ..area
    };
    Paragraph::new(lines)
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true })
        .render(target, buf);
}

/// The rows a ready chart uses, top to bottom.
struct Rows {
    legend: Option<u16>,
    top: Option<u16>,
    plot: Rect,
    axis: Option<u16>,
    markers: Option<u16>,
}

fn split_rows(inner: Rect, with_markers: bool) -> Rows {
    let h = inner.height;
    let legend = h >= 3;
    let axis = h >= 4;
    let top = h >= 6;
    let markers = with_markers && h >= 8;
    let mut y = inner.y;
    let mut take = |on: bool| {
        on.then(|| {
            y += 1;
            y - 1
        })
    };
    let legend = take(legend);
    let top = take(top);
    let below = u16::from(axis) + u16::from(markers);
    let plot_h = inner
        .bottom()
        .saturating_sub(y)
        .saturating_sub(below)
        .max(1);
    let plot = Rect {
        x: inner.x,
        y,
        width: inner.width,
        height: plot_h,
    };
    let axis = axis.then_some(plot.bottom());
    let markers = markers.then_some(plot.bottom() + u16::from(axis.is_some()));
    Rows {
        legend,
        top,
        plot,
        axis,
        markers,
    }
}

/// The vertical scale: values `lo..=hi` over `dots` rows of dots.
struct Scale {
    lo: f64,
    hi: f64,
    dots: usize,
}

impl Scale {
    fn dot(&self, v: f64) -> usize {
        let f = (self.hi - v) / (self.hi - self.lo) * (self.dots - 1) as f64;
        f.round().clamp(0.0, (self.dots - 1) as f64) as usize
    }

    fn value(&self, dy: usize) -> f64 {
        self.hi - dy as f64 / (self.dots - 1) as f64 * (self.hi - self.lo)
    }
}

fn render_ready(c: &TimeChart<'_>, inner: Rect, buf: &mut Buffer) {
    let in_window: Vec<&Marker> = {
        let mut m: Vec<&Marker> = c
            .markers
            .iter()
            .filter(|m| m.at >= c.from && m.at <= c.to)
            .collect();
        m.sort_by_key(|m| m.at);
        m
    };
    let rows = split_rows(inner, !in_window.is_empty());

    // The y range: every finite value in the window, and the threshold.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &c.series {
        for &(t, v) in s.points {
            if v.is_finite() && t >= c.from && t <= c.to {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
    }
    if let Some(th) = c.threshold.filter(|t| t.value.is_finite()) {
        lo = lo.min(th.value);
        hi = hi.max(th.value);
    }
    let n_ticks = usize::from(rows.plot.height / 2).clamp(2, 6);
    let ticks = core::nice_ticks(lo, hi, n_ticks);
    let (Some(&ylo), Some(&yhi)) = (ticks.first(), ticks.last()) else {
        return;
    };
    let tick_step = ticks.get(1).map_or(1.0, |t| t - ylo);
    let labels: Vec<String> = ticks
        .iter()
        .map(|&v| core::tick_label(v, tick_step))
        .collect();
    let th_label = c.threshold.map(|t| compact(t.value, 3));
    let unit = clean(c.unit);
    let label_w = labels
        .iter()
        .chain(th_label.iter())
        .map(|l| Line::raw(l.as_str()).width())
        .chain(std::iter::once(Line::raw(unit.as_ref()).width()))
        .max()
        .unwrap_or(0)
        .min(usize::from(inner.width / 3)) as u16;
    let axis_w = if inner.width >= label_w + 8 {
        label_w + 1
    } else {
        0
    };
    let plot = Rect {
        x: rows.plot.x + axis_w,
        width: rows.plot.width - axis_w,
        ..rows.plot
    };
    let scale = Scale {
        lo: ylo,
        hi: yhi,
        dots: usize::from(plot.height) * 4,
    };

    let mut grid = Grid::new(plot.width, plot.height);
    for s in &c.series {
        grid.plot(s, c, &scale);
    }

    // Background first: marker rules, the threshold rule; dots on top.
    let marker_cols: Vec<(u16, &Marker)> = in_window
        .iter()
        .filter_map(|m| {
            core::column_of(m.at, c.from, c.to, usize::from(plot.width)).map(|x| (x as u16, *m))
        })
        .collect();
    for &(x, _) in &marker_cols {
        for y in 0..plot.height {
            put(buf, plot.x + x, plot.y + y, "┊", theme::dim());
        }
    }
    let th_row = c
        .threshold
        .filter(|t| t.value.is_finite())
        .map(|t| (scale.dot(t.value) / 4) as u16);
    if let Some(r) = th_row {
        for x in 0..plot.width {
            put(buf, plot.x + x, plot.y + r, "╌", theme::warn());
        }
    }
    grid.render(plot, buf);
    label_gaps(&grid, plot, buf);

    // The y axis: ticks, the threshold's value, the unit on top.
    if axis_w > 0 {
        let ax = plot.x - 1;
        for y in 0..plot.height {
            put(buf, ax, plot.y + y, "│", theme::dim());
        }
        let mut used: Vec<u16> = th_row.into_iter().collect();
        for (v, l) in ticks.iter().zip(&labels) {
            let r = (scale.dot(*v) / 4) as u16;
            if used.contains(&r) {
                continue;
            }
            used.push(r);
            right_aligned(buf, rows.plot.x, plot.y + r, label_w, l, theme::dim());
            put(buf, ax, plot.y + r, "┤", theme::dim());
        }
        if let (Some(r), Some(l)) = (th_row, &th_label) {
            right_aligned(buf, rows.plot.x, plot.y + r, label_w, l, theme::warn());
            put(buf, ax, plot.y + r, "┤", theme::warn());
        }
        if let Some(top) = rows.top {
            buf.set_stringn(
                rows.plot.x,
                top,
                unit.as_ref(),
                usize::from(label_w),
                theme::dim(),
            );
        }
    }
    if let Some(top) = rows.top {
        for &(x, m) in &marker_cols {
            put(
                buf,
                plot.x + x,
                top,
                &m.kind.glyph().to_string(),
                theme::prompt(),
            );
        }
    }
    if let Some(y) = rows.axis {
        time_axis(c, plot, y, buf);
    }
    if let Some(y) = rows.legend {
        let line = legend(c, &unit);
        buf.set_line(inner.x, y, &line, inner.width);
    }
    if let Some(y) = rows.markers {
        let line = marker_legend(&in_window, c.to, inner.width);
        buf.set_line(inner.x, y, &line, inner.width);
    }
}

fn put(buf: &mut Buffer, x: u16, y: u16, symbol: &str, style: Style) {
    if let Some(cell) = buf.cell_mut((x, y)) {
        cell.set_symbol(symbol).set_style(style);
    }
}

fn right_aligned(buf: &mut Buffer, x: u16, y: u16, width: u16, text: &str, style: Style) {
    let w = (Line::raw(text).width() as u16).min(width);
    buf.set_stringn(x + width - w, y, text, usize::from(width), style);
}

mod grid;
mod labels;
use grid::Grid;
use labels::{label_gaps, legend, marker_legend, time_axis};
