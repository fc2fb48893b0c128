//! The braille dot grid a [`TimeChart`](super::TimeChart) draws its series
//! on: two columns and four rows of dots per cell. Each dot column shows
//! the min..max of the samples in it joined to its neighbours, so a spike
//! one sample wide still shows; dots past the threshold take the alarm
//! colour; a sample with no neighbour is drawn as a `●`.

use super::{ChartSeries, Scale, TimeChart};
use crate::theme;
use modeldeck_core::chart::{self as core, Column, Threshold};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

/// Braille bits by (dot row, dot column) within a cell.
const BITS: [[u8; 2]; 4] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]];

pub(super) struct Grid {
    /// Cells across.
    pub w: usize,
    /// Cells down.
    pub h: usize,
    /// Braille bits per cell, row-major.
    pub dots: Vec<u8>,
    color: Vec<Option<Color>>,
    alarm: Vec<bool>,
    /// Lone samples: (cell x, cell y, colour, past the threshold).
    lone: Vec<(usize, usize, Color, bool)>,
}

impl Grid {
    pub fn new(w: u16, h: u16) -> Self {
        let (w, h) = (usize::from(w), usize::from(h));
        Grid {
            w,
            h,
            dots: vec![0; w * h],
            color: vec![None; w * h],
            alarm: vec![false; w * h],
            lone: Vec::new(),
        }
    }

    fn set(&mut self, dx: usize, dy: usize, color: Color, alarm: bool) {
        let (cx, cy) = (dx / 2, dy / 4);
        if cx >= self.w || cy >= self.h {
            return;
        }
        let i = cy * self.w + cx;
        self.dots[i] |= BITS[dy % 4][dx % 2];
        self.color[i] = Some(color);
        self.alarm[i] |= alarm;
    }

    /// Dots from value `a` to value `b` in dot column `dx`.
    fn run(
        &mut self,
        dx: usize,
        a: f64,
        b: f64,
        scale: &Scale,
        th: Option<Threshold>,
        color: Color,
    ) {
        let (da, db) = (scale.dot(a), scale.dot(b));
        for dy in da.min(db)..=da.max(db) {
            let alarm = th.is_some_and(|t| {
                t.breached(scale.value(dy))
                    || (dy == da && t.breached(a))
                    || (dy == db && t.breached(b))
            });
            self.set(dx, dy, color, alarm);
        }
    }

    /// Plots one series: downsampled to the dot columns, joined across
    /// columns without samples unless the series has a gap there (more
    /// than two of its usual steps without a sample).
    pub fn plot(&mut self, s: &ChartSeries<'_>, c: &TimeChart<'_>, scale: &Scale) {
        let dw = self.w * 2;
        let th = c.threshold;
        let cols = core::downsample(s.points, c.from, c.to, dw);
        let mut brk = vec![false; dw];
        if let Some(step) = core::typical_step(s.points) {
            for (a, b) in core::gaps(s.points, step) {
                if let Some(cb) = core::column_of(b, c.from, c.to, dw)
                    && core::column_of(a, c.from, c.to, dw) != Some(cb)
                {
                    brk[cb] = true;
                }
            }
        }
        let present: Vec<(usize, Column, bool)> = cols
            .iter()
            .enumerate()
            .filter_map(|(dx, col)| col.map(|col| (dx, col)))
            .scan(false, |seen, (dx, col)| {
                let joined = *seen && !brk[dx];
                *seen = true;
                Some((dx, col, joined))
            })
            .collect();
        for (i, &(dx, col, joined)) in present.iter().enumerate() {
            match i.checked_sub(1).map(|p| present[p]) {
                Some((pdx, prev, _)) if joined => {
                    let span = (dx - pdx) as f64;
                    let at =
                        |x: usize| prev.last + (col.first - prev.last) * (x - pdx) as f64 / span;
                    for x in pdx + 1..dx {
                        self.run(x, at(x - 1), at(x), scale, th, s.color);
                    }
                    let from = at(dx - 1);
                    self.run(dx, from.min(col.min), from.max(col.max), scale, th, s.color);
                }
                _ => self.run(dx, col.min, col.max, scale, th, s.color),
            }
            let next_joined = present.get(i + 1).is_some_and(|n| n.2);
            let (top, bottom) = (scale.dot(col.max) / 4, scale.dot(col.min) / 4);
            if !joined && !next_joined && top == bottom {
                let alarm = th.is_some_and(|t| t.breached(col.min) || t.breached(col.max));
                self.lone.push((dx / 2, top, s.color, alarm));
            }
        }
    }

    /// Writes the dots into `plot` (cells without dots are left as they are).
    pub fn render(&self, plot: Rect, buf: &mut Buffer) {
        let style = |color: Option<Color>, alarm: bool| {
            if alarm {
                theme::error()
            } else {
                Style::new().fg(color.unwrap_or(Color::Reset))
            }
        };
        for y in 0..self.h {
            for x in 0..self.w {
                let i = y * self.w + x;
                let bits = self.dots[i];
                if bits == 0 {
                    continue;
                }
                let ch = char::from_u32(0x2800 + u32::from(bits)).unwrap_or('⣿');
                if let Some(cell) = buf.cell_mut((plot.x + x as u16, plot.y + y as u16)) {
                    cell.set_char(ch)
                        .set_style(style(self.color[i], self.alarm[i]));
                }
            }
        }
        for &(x, y, color, alarm) in &self.lone {
            if let Some(cell) = buf.cell_mut((plot.x + x as u16, plot.y + y as u16)) {
                cell.set_char('●').set_style(style(Some(color), alarm));
            }
        }
    }
}
