//! Reference vs live share per bin, side by side, for one feature: vertical
//! bar pairs when every bin's label fits under its pair, otherwise one row
//! per bin with two horizontal bars and their percentages. The bin with the
//! largest difference is marked (`▼` over its pair, `◀` after its row) and
//! named with both shares; loading, failed, bad input and "no live data"
//! are drawn as messages.

use super::chart::{ChartState, centered, frame};
use crate::theme;
use modeldeck_core::drift::FeatureDriftRow;
use modeldeck_core::text::clean;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use std::borrow::Cow;

/// The reference's bars.
pub const REFERENCE_COLOR: Color = Color::Gray;
/// The live bars.
pub const LIVE_COLOR: Color = Color::Cyan;

/// The overlay; build with [`HistogramOverlay::new`] or
/// [`HistogramOverlay::from_row`], draw with `frame.render_widget(&h, area)`.
#[derive(Debug, Clone)]
pub struct HistogramOverlay<'a> {
    title: &'a str,
    bins: &'a [String],
    reference: &'a [f64],
    live: &'a [f64],
    reference_label: &'a str,
    live_label: &'a str,
    state: ChartState<'a>,
    bordered: bool,
}

impl<'a> HistogramOverlay<'a> {
    /// Bins labelled `bins` (untrusted: sanitized), with the reference's and
    /// the live share per bin in the same order (proportions, 0..=1).
    pub fn new(title: &'a str, bins: &'a [String], reference: &'a [f64], live: &'a [f64]) -> Self {
        HistogramOverlay {
            title,
            bins,
            reference,
            live,
            reference_label: "reference",
            live_label: "live",
            state: ChartState::Ready,
            bordered: true,
        }
    }

    /// The overlay of a drift report row: its reference and live shares,
    /// with `bins` its labels (`row.bins.to_vec()`, formatted by the caller
    /// that keeps them).
    pub fn from_row(title: &'a str, row: &'a FeatureDriftRow, bins: &'a [String]) -> Self {
        Self::new(title, bins, &row.reference_share, &row.live_share)
    }

    /// Legend names of the two sides (`training`, `live 24h`).
    pub fn labels(mut self, reference: &'a str, live: &'a str) -> Self {
        self.reference_label = reference;
        self.live_label = live;
        self
    }

    /// Loading, failed or ready.
    pub fn state(mut self, s: ChartState<'a>) -> Self {
        self.state = s;
        self
    }

    /// Leaves out the border and title.
    pub fn borderless(mut self) -> Self {
        self.bordered = false;
        self
    }

    /// The bin whose live share differs most from the reference's (the
    /// first of equals); `None` without bins.
    pub fn largest_difference(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, (r, l)) in self.reference.iter().zip(self.live).enumerate() {
            let d = (l - r).abs();
            if best.is_none_or(|(_, b)| d > b) {
                best = Some((i, d));
            }
        }
        best.map(|b| b.0)
    }

    /// Why the input cannot be drawn, if it cannot.
    fn invalid(&self) -> Option<String> {
        let (b, r, l) = (self.bins.len(), self.reference.len(), self.live.len());
        if b != r || b != l {
            return Some(format!(
                "The bins and shares disagree: {b} bin labels, {r} reference shares, {l} live shares."
            ));
        }
        for (side, shares) in [("reference", self.reference), ("live", self.live)] {
            if let Some(i) = shares.iter().position(|s| !s.is_finite() || *s < 0.0) {
                return Some(format!(
                    "The {side} share of bin {} ({}) is {}, not a proportion.",
                    i + 1,
                    clean(&self.bins[i]),
                    shares[i]
                ));
            }
        }
        None
    }

    fn label(&self, i: usize) -> Cow<'a, str> {
        clean(self.bins[i].as_str())
    }

    fn names(&self) -> Vec<Span<'static>> {
        vec![
            Span::styled("█ ", Style::new().fg(REFERENCE_COLOR)),
            Span::styled(clean(self.reference_label).into_owned(), theme::text()),
            Span::raw("  "),
            Span::styled("█ ", Style::new().fg(LIVE_COLOR)),
            Span::styled(clean(self.live_label).into_owned(), theme::text()),
        ]
    }

    /// `most changed: 12.5–17.25 12.2% → 20.3%` (reference → live).
    fn difference_text(&self, i: usize) -> String {
        format!(
            "most changed: {} {} → {}",
            self.label(i),
            pct(self.reference[i]),
            pct(self.live[i])
        )
    }
}

impl Widget for HistogramOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        (&self).render(area, buf);
    }
}

impl Widget for &HistogramOverlay<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let inner = if self.bordered {
            frame(self.title, area, buf)
        } else {
            area
        };
        if inner.is_empty() {
            return;
        }
        let message = |headline: &str, style: Style, detail: String| {
            vec![
                Line::styled(headline.to_string(), style),
                Line::raw(""),
                Line::styled(detail, theme::text()),
            ]
        };
        match self.state {
            ChartState::Loading => {
                centered(
                    buf,
                    inner,
                    vec![Line::styled("⟳ Loading…", theme::loading())],
                );
            }
            ChartState::Error(reason) => centered(
                buf,
                inner,
                message(
                    "✗ Cannot read the distributions",
                    theme::error(),
                    clean(reason).into_owned(),
                ),
            ),
            ChartState::Ready => {
                if let Some(why) = self.invalid() {
                    centered(
                        buf,
                        inner,
                        message("✗ Cannot draw this histogram", theme::error(), why),
                    );
                } else if self.bins.is_empty() {
                    centered(
                        buf,
                        inner,
                        vec![Line::styled(
                            "No bins in the reference profile",
                            theme::dim(),
                        )],
                    );
                } else if self.live.iter().sum::<f64>() <= 0.0 {
                    centered(
                        buf,
                        inner,
                        vec![
                            Line::styled("No live values in this window", theme::dim()),
                            Line::styled(
                                format!("({} bins in the reference)", self.bins.len()),
                                theme::dim(),
                            ),
                        ],
                    );
                } else if fits_vertical(self, inner) {
                    vertical(self, inner, buf);
                } else {
                    horizontal(self, inner, buf);
                }
            }
        }
    }
}

/// `12.3%`, `<0.1%` for a sliver, `0%` for none.
fn pct(share: f64) -> String {
    let p = share * 100.0;
    if p <= 0.0 {
        "0%".to_string()
    } else if p < 0.05 {
        "<0.1%".to_string()
    } else {
        format!("{p:.1}%")
    }
}

fn width(s: &str) -> u16 {
    Line::raw(s).width() as u16
}

/// `s` cut to `w` columns, with `…` when cut.
fn fit(s: &str, w: u16) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    for ch in s.chars() {
        let next = format!("{out}{ch}");
        if width(&next) + 1 > w {
            break;
        }
        out = next;
    }
    out.push('…');
    out
}

const MAX_LABEL: u16 = 12;

fn fits_vertical(h: &HistogramOverlay<'_>, inner: Rect) -> bool {
    let n = h.bins.len() as u16;
    let label_w = (0..h.bins.len())
        .map(|i| width(&h.label(i)))
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL);
    inner.height >= 8 && u32::from(inner.width) >= u32::from(n) * u32::from(label_w.max(4) + 1)
}

/// Bar pairs: legend, the `▼` row, the bars, the labels, and (when tall
/// enough) `reference→live` percentages under each label.
fn vertical(h: &HistogramOverlay<'_>, inner: Rect, buf: &mut Buffer) {
    let n = h.bins.len();
    let big = h.largest_difference();
    let mut legend = h.names();
    if let Some(i) = big {
        legend.push(Span::raw("  "));
        legend.push(Span::styled(
            format!("▼ {}", h.difference_text(i)),
            theme::warn(),
        ));
    }
    buf.set_line(inner.x, inner.y, &Line::from(legend), inner.width);
    let gw = inner.width / n as u16;
    let bw = ((gw.saturating_sub(1)) / 3).clamp(1, 6);
    let with_pct = inner.height >= 10;
    let bars_h = inner.height - 3 - u16::from(with_pct);
    let top = inner.y + 2;
    let label_y = top + bars_h;
    let max = h
        .reference
        .iter()
        .chain(h.live)
        .fold(0.0f64, |m, v| m.max(*v))
        .max(f64::MIN_POSITIVE);
    for i in 0..n {
        let gx = inner.x + i as u16 * gw;
        let left = gx + (gw - 2 * bw) / 2;
        for (k, (share, color)) in [(h.reference[i], REFERENCE_COLOR), (h.live[i], LIVE_COLOR)]
            .into_iter()
            .enumerate()
        {
            let eighths = bar_eighths(share / max, bars_h);
            for dx in 0..bw {
                column(buf, left + k as u16 * bw + dx, top, bars_h, eighths, color);
            }
        }
        let style = if Some(i) == big {
            theme::warn()
        } else {
            theme::dim()
        };
        let avail = gw.saturating_sub(1).max(1);
        let label = fit(&h.label(i), avail);
        let lx = gx + (gw.saturating_sub(width(&label))) / 2;
        buf.set_stringn(lx, label_y, &label, usize::from(avail), style);
        if with_pct {
            // Reference → live, in percent.
            let (r, l) = (h.reference[i] * 100.0, h.live[i] * 100.0);
            let text = [format!("{r:.1}→{l:.1}"), format!("{r:.0}→{l:.0}")]
                .into_iter()
                .find(|t| width(t) <= avail);
            if let Some(text) = text {
                let px = gx + (gw.saturating_sub(width(&text))) / 2;
                buf.set_string(px, label_y + 1, &text, style);
            }
        }
        if Some(i) == big {
            buf.set_string(left + bw - 1, inner.y + 1, "▼", theme::warn());
        }
    }
}

/// A bar of `share` (0..=1 of the tallest) over `cells` cells, in eighths;
/// any share above zero gets at least one eighth so a sliver shows.
fn bar_eighths(share: f64, cells: u16) -> u32 {
    let e = (share * f64::from(cells) * 8.0).round() as u32;
    if share > 0.0 { e.max(1) } else { 0 }
}

fn column(buf: &mut Buffer, x: u16, top: u16, cells: u16, eighths: u32, color: Color) {
    const PARTIAL: [char; 8] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇'];
    for c in 0..cells {
        let from_bottom = u32::from(cells - 1 - c);
        let fill = eighths.saturating_sub(from_bottom * 8).min(8);
        let ch = if fill == 8 {
            '█'
        } else {
            PARTIAL[fill as usize]
        };
        if fill > 0
            && let Some(cell) = buf.cell_mut((x, top + c))
        {
            cell.set_char(ch).set_style(Style::new().fg(color));
        }
    }
}

/// One row per bin: label, reference bar and share, live bar and share,
/// `◀` on the largest difference; a window around it when the bins do not
/// all fit; the names on top and the difference at the bottom.
fn horizontal(h: &HistogramOverlay<'_>, inner: Rect, buf: &mut Buffer) {
    let n = h.bins.len();
    let big = h.largest_difference();
    let label_w = (0..n)
        .map(|i| width(&h.label(i)))
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL)
        .min(inner.width / 4);
    const PCT: u16 = 6;
    let fixed = label_w + 1 + PCT + 1 + PCT + 2;
    let bw = inner.width.saturating_sub(fixed + 1) / 2;
    let with_header = inner.height >= 3;
    let with_footer = inner.height >= 4;
    let rows = usize::from(inner.height - u16::from(with_header) - u16::from(with_footer)).max(1);
    let first = match big {
        Some(b) if n > rows => b.saturating_sub(rows / 2).min(n - rows),
        _ => 0,
    };
    let shown = first..(first + rows).min(n);
    let max = h
        .reference
        .iter()
        .chain(h.live)
        .fold(0.0f64, |m, v| m.max(*v))
        .max(f64::MIN_POSITIVE);
    let ref_x = inner.x + label_w + 1;
    let live_x = ref_x + bw + PCT + 1;
    let mut y = inner.y;
    if with_header {
        let names = h.names();
        buf.set_line(ref_x, y, &Line::from(names[..2].to_vec()), bw + PCT);
        buf.set_line(
            live_x,
            y,
            &Line::from(names[3..].to_vec()),
            inner.right() - live_x,
        );
        y += 1;
    }
    for i in shown.clone() {
        let label = fit(&h.label(i), label_w);
        let marked = Some(i) == big;
        let lw = width(&label);
        let style = if marked { theme::warn() } else { theme::dim() };
        buf.set_stringn(
            inner.x + label_w - lw,
            y,
            &label,
            usize::from(label_w),
            style,
        );
        for (x, share, color) in [
            (ref_x, h.reference[i], REFERENCE_COLOR),
            (live_x, h.live[i], LIVE_COLOR),
        ] {
            hbar(buf, x, y, bw, share / max, color);
            let p = pct(share);
            buf.set_string(x + bw + PCT - width(&p), y, &p, theme::text());
        }
        if marked {
            buf.set_string(live_x + bw + PCT + 1, y, "◀", theme::warn());
        }
        y += 1;
    }
    if with_footer && let Some(b) = big {
        let mut spans = vec![Span::styled(
            format!("◀ {}", h.difference_text(b)),
            theme::warn(),
        )];
        if shown.len() < n {
            spans.push(Span::styled(
                format!("  (bins {}–{} of {})", shown.start + 1, shown.end, n),
                theme::dim(),
            ));
        }
        buf.set_line(inner.x, inner.bottom() - 1, &Line::from(spans), inner.width);
    }
}

fn hbar(buf: &mut Buffer, x: u16, y: u16, cells: u16, share: f64, color: Color) {
    const PARTIAL: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = bar_eighths(share, cells);
    for c in 0..cells {
        let fill = eighths.saturating_sub(u32::from(c) * 8).min(8);
        let ch = if fill == 8 {
            '█'
        } else {
            PARTIAL[fill as usize]
        };
        if fill > 0
            && let Some(cell) = buf.cell_mut((x + c, y))
        {
            cell.set_char(ch).set_style(Style::new().fg(color));
        }
    }
}
