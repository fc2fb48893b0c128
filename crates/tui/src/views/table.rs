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

/// Width of the selection marker column and its spacing: the selected row
/// is marked with a character, not only a colour (NO_COLOR terminals).
pub const GUTTER: u16 = 2;

/// The marker cell of a row.
pub fn marker(selected: bool) -> Cell<'static> {
    Cell::from(marker_text(selected))
}

/// The marker cell's text.
pub fn marker_text(selected: bool) -> &'static str {
    if selected { "›" } else { " " }
}

/// Column constraints: the marker, then each column.
pub fn constraints(cols: &[ColumnSpec]) -> Vec<ratatui::layout::Constraint> {
    std::iter::once(ratatui::layout::Constraint::Length(GUTTER - SPACING))
        .chain(
            cols.iter()
                .map(|c| ratatui::layout::Constraint::Length(c.width)),
        )
        .collect()
}

/// The header row (with an empty marker cell).
pub fn header(cols: &[ColumnSpec]) -> Row<'static> {
    Row::new(std::iter::once(Cell::from("")).chain(cols.iter().map(|c| {
        let (text, style) = match c.arrow {
            Some(a) => (format!("{}{a}", c.title), theme::header_sorted()),
            None => (c.title.to_string(), theme::header()),
        };
        aligned(text, style, c.right)
    })))
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

/// A column's claim on the width: at least `min`, ideally `desired`;
/// higher `priority` is kept longer when space runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// Narrowest useful width.
    pub min: u16,
    /// Width of the widest content (capped).
    pub desired: u16,
    /// Importance.
    pub priority: u8,
}

/// Priority from which a column is "core": core columns are admitted
/// (shrunk if need be) and widened before any other column is considered.
pub const CORE: u8 = 70;

/// Fits columns in `available` cells. Core columns are admitted at their
/// minimum width by priority, then widened toward their desired width;
/// the other columns then take what is left, by priority, at their desired
/// width if it fits, else at their minimum. Display order is preserved;
/// `None` means the column is not shown; priority 0 is never shown.
pub fn fit(cols: &[Claim], available: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cols[i].priority));
    let (core, rest): (Vec<usize>, Vec<usize>) =
        order.into_iter().partition(|&i| cols[i].priority >= CORE);
    let mut widths: Vec<Option<u16>> = vec![None; cols.len()];
    let mut left = u32::from(available);
    let mut admitted = 0usize;
    let mut admit = |i: usize, w: u16, left: &mut u32, widths: &mut Vec<Option<u16>>| {
        let need = u32::from(w) + if admitted == 0 { 0 } else { u32::from(SPACING) };
        if cols[i].priority > 0 && need <= *left {
            *left -= need;
            widths[i] = Some(w);
            admitted += 1;
            true
        } else {
            false
        }
    };
    for &i in &core {
        admit(i, cols[i].min.min(cols[i].desired), &mut left, &mut widths);
    }
    grow(cols, &core, &mut widths, &mut left);
    for &i in &rest {
        let c = cols[i];
        if !admit(i, c.desired, &mut left, &mut widths) {
            admit(i, c.min.min(c.desired), &mut left, &mut widths);
        }
    }
    grow(cols, &rest, &mut widths, &mut left);
    widths
}

/// Widens the admitted columns of `which` toward their desired width.
fn grow(cols: &[Claim], which: &[usize], widths: &mut [Option<u16>], left: &mut u32) {
    for &i in which {
        if let Some(w) = widths[i].as_mut() {
            let extra = u32::from(cols[i].desired.saturating_sub(*w)).min(*left);
            *w += extra as u16;
            *left -= extra;
        }
    }
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
/// table drawn in `area` with `widths` (after the marker column).
pub fn column_at(area: Rect, x: u16, widths: &[u16]) -> Option<usize> {
    let mut left = area.x + GUTTER;
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

    fn claim(min: u16, desired: u16, priority: u8) -> Claim {
        Claim {
            min,
            desired,
            priority,
        }
    }

    #[test]
    fn fit_drops_lowest_priority_first_and_keeps_order() {
        let cols = [
            claim(10, 10, 5),
            claim(20, 20, 9),
            claim(10, 10, 1),
            claim(10, 10, 7),
        ];
        assert_eq!(
            fit(&cols, 100),
            vec![Some(10), Some(20), Some(10), Some(10)]
        );
        assert_eq!(fit(&cols, 42), vec![Some(10), Some(20), None, Some(10)]);
        assert_eq!(fit(&cols, 31), vec![None, Some(20), None, Some(10)]);
        assert_eq!(fit(&cols, 5), vec![None, None, None, None]);
    }

    #[test]
    fn core_columns_shrink_to_minimum_then_widen_by_priority() {
        let cols = [
            claim(4, 30, 90),
            claim(6, 6, 80),
            claim(5, 20, 75),
            claim(3, 3, 0),
        ];
        // All three admitted at minimum (4+6+5 + 2 spacing = 17), 3 left for the first.
        assert_eq!(fit(&cols, 20), vec![Some(7), Some(6), Some(5), None]);
        // Plenty of room: everything at its desired width, priority 0 never shown.
        assert_eq!(fit(&cols, 200), vec![Some(30), Some(6), Some(20), None]);
    }

    #[test]
    fn other_columns_only_take_what_core_columns_leave() {
        let cols = [claim(5, 20, 90), claim(4, 10, 40), claim(4, 4, 30)];
        // The core column gets its 20 first; 10 left: the next one does not
        // fit at 10 (+1 spacing), so it takes its minimum, then the last fits.
        assert_eq!(fit(&cols, 30), vec![Some(20), Some(4), Some(4)]);
        // 8 left: the second at its minimum, widened by the 3 the last could not use.
        assert_eq!(fit(&cols, 28), vec![Some(20), Some(7), None]);
    }

    #[test]
    fn clicks_map_to_rows_and_columns() {
        let area = Rect::new(1, 3, 50, 10);
        assert_eq!(row_at(area, 3, 0, 100), None, "header");
        assert_eq!(row_at(area, 4, 0, 100), Some(0));
        assert_eq!(row_at(area, 6, 20, 100), Some(22));
        assert_eq!(row_at(area, 6, 0, 2), None, "past the end");
        assert_eq!(column_at(area, 1, &[5, 5]), None, "marker");
        assert_eq!(column_at(area, 3, &[5, 5]), Some(0));
        assert_eq!(column_at(area, 8, &[5, 5]), None, "spacing");
        assert_eq!(column_at(area, 9, &[5, 5]), Some(1));
    }
}
