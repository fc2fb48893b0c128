//! Table pieces the list screens share: header cells with the sort arrow,
//! aligned cells, choosing which columns fit, and mapping a click to a row.
//! Screens build rows only for the visible window, so a frame costs the
//! same for ten rows or a hundred thousand.

use crate::theme;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row};

/// Space between columns.
pub const SPACING: u16 = 1;

/// A column as drawn: title, width, alignment.
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    /// Header text.
    pub title: &'static str,
    /// Width in cells.
    pub width: u16,
    /// Numbers are right-aligned.
    pub right: bool,
    /// Sort arrow to show (`↑`/`↓`), if this is the sort column.
    pub arrow: Option<char>,
}

/// The header row.
pub fn header(cols: &[ColumnSpec]) -> Row<'static> {
    Row::new(cols.iter().map(|c| {
        let (text, style) = match c.arrow {
            Some(a) => (format!("{}{a}", c.title), theme::header_sorted()),
            None => (c.title.to_string(), theme::header()),
        };
        aligned(text, style, c.right)
    }))
}

/// A cell, right-aligned when `right`.
pub fn aligned<'a>(
    text: impl Into<std::borrow::Cow<'a, str>>,
    style: Style,
    right: bool,
) -> Cell<'a> {
    let line = Line::styled(text.into(), style);
    Cell::from(if right {
        line.alignment(Alignment::Right)
    } else {
        line
    })
}

/// Which columns to keep in `available` cells: highest priority first,
/// display order preserved. `cols` is `(width, priority)` per column.
pub fn fit(cols: &[(u16, u8)], available: u16) -> Vec<bool> {
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cols[i].1));
    let mut keep = vec![false; cols.len()];
    let mut used: u32 = 0;
    for i in order {
        let need = u32::from(cols[i].0) + if used == 0 { 0 } else { u32::from(SPACING) };
        if used + need <= u32::from(available) {
            used += need;
            keep[i] = true;
        }
    }
    keep
}

/// The row index under a click at terminal row `y`, for a table drawn in
/// `area` (one header line) showing rows from `window_start`.
pub fn row_at(area: Rect, y: u16, window_start: usize, len: usize) -> Option<usize> {
    let first = area.y + 1;
    if y < first || y >= area.y + area.height {
        return None;
    }
    let i = window_start + usize::from(y - first);
    (i < len).then_some(i)
}

/// The column under a click at terminal column `x` on the header of a
/// table drawn in `area` with `widths`.
pub fn column_at(area: Rect, x: u16, widths: &[u16]) -> Option<usize> {
    let mut left = area.x;
    for (i, w) in widths.iter().enumerate() {
        if x >= left && x < left + w {
            return Some(i);
        }
        left += w + SPACING;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_drops_lowest_priority_first_and_keeps_order() {
        let cols = [(10, 5), (20, 9), (10, 1), (10, 7)];
        assert_eq!(fit(&cols, 100), vec![true, true, true, true]);
        assert_eq!(fit(&cols, 42), vec![true, true, false, true]);
        assert_eq!(fit(&cols, 31), vec![false, true, false, true]);
        assert_eq!(fit(&cols, 5), vec![false, false, false, false]);
    }

    #[test]
    fn clicks_map_to_rows_and_columns() {
        let area = Rect::new(1, 3, 50, 10);
        assert_eq!(row_at(area, 3, 0, 100), None, "header");
        assert_eq!(row_at(area, 4, 0, 100), Some(0));
        assert_eq!(row_at(area, 6, 20, 100), Some(22));
        assert_eq!(row_at(area, 6, 0, 2), None, "past the end");
        assert_eq!(column_at(area, 1, &[5, 5]), Some(0));
        assert_eq!(column_at(area, 6, &[5, 5]), None, "spacing");
        assert_eq!(column_at(area, 7, &[5, 5]), Some(1));
    }
}
