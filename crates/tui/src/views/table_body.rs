//! A table's rows written straight into the frame's buffer, cell by cell,
//! with the same result as ratatui's `Table` of `Cell::from(Line::styled(..))`
//! cells (the tests below compare the two, styles included).
//!
//! Why: a Fleet frame is ~46 rows of ~12 cells, and ratatui's path walks
//! each cell's text three times (width, grapheme segmentation, symbol
//! width) and builds a `Row`, `Cell`, `Text`, `Line` and `Span` per cell.
//! Nearly every cell is printable ASCII, whose width is its length and whose
//! characters are one cell each: those are written directly. Any other text
//! (`›`, `⇡`, a non-ASCII model name) goes through ratatui's `Line`.
//!
//! The header stays a ratatui `Table` (one row, drawn once per frame); the
//! body uses [`column_rects`], the same split the `Table` makes, so the two
//! line up.

use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Widget;
use std::rc::Rc;

/// The x offset (from the table's left edge) and width of each column, as
/// ratatui's `Table` splits them: `Flex::Start`, `spacing` between columns,
/// no highlight-symbol column. The layout cache makes repeat calls cheap.
pub fn column_rects(width: u16, constraints: &[Constraint], spacing: u16) -> Rc<[Rect]> {
    Layout::horizontal(constraints.iter().copied())
        .flex(Flex::Start)
        .spacing(spacing)
        .split(Rect::new(0, 0, width, 1))
}

/// The area of column `col` in the row at `row` (one line high).
pub fn cell_area(row: Rect, col: Rect) -> Rect {
    Rect::new(row.x + col.x, row.y, col.width, 1)
}

/// Writes `text` into the one-line cell `area` as
/// `Cell::from(Line::styled(text, style))` (right-aligned when `right`)
/// renders there: an empty text leaves the cell untouched; otherwise `style`
/// is patched over the whole cell and the text placed by its alignment,
/// truncated on the right (left-aligned) or on the left (right-aligned)
/// when it does not fit.
pub fn put(buf: &mut Buffer, area: Rect, text: &str, style: Style, right: bool) {
    if !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let line = Line::styled(text, style);
        let line = if right {
            line.alignment(Alignment::Right)
        } else {
            line
        };
        line.render(area, buf);
        return;
    }
    let area = area.intersection(buf.area);
    if text.is_empty() || area.is_empty() {
        return;
    }
    let width = usize::from(area.width);
    let (skip, indent) = match (right, text.len() <= width) {
        (false, _) => (0, 0),
        (true, true) => (0, width - text.len()),
        (true, false) => (text.len() - width, 0),
    };
    let start = buf.index_of(area.x, area.y);
    let cells = &mut buf.content[start..start + width];
    if style != Style::default() {
        for c in cells.iter_mut() {
            c.set_style(style);
        }
    }
    for (c, b) in cells[indent..].iter_mut().zip(text.bytes().skip(skip)) {
        c.set_char(char::from(b));
    }
}

/// Patches `style` over the one-line `area` (a row's style, under its cells).
pub fn row_style(buf: &mut Buffer, area: Rect, style: Style) {
    if style != Style::default() {
        buf.set_style(area, style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ratatui::style::{Color, Modifier};
    use ratatui::widgets::{Cell, Row, Table};

    /// ratatui's own rendering of the same cell, through a one-cell `Table`
    /// at the cell's place: the oracle `put` must match.
    fn oracle(buf: &mut Buffer, area: Rect, text: &str, style: Style, right: bool) {
        let line = Line::styled(text.to_string(), style);
        let line = if right {
            line.alignment(Alignment::Right)
        } else {
            line
        };
        let t = Table::new(
            [Row::new([Cell::from(line)])],
            [Constraint::Length(area.width)],
        );
        Widget::render(t, Rect { height: 1, ..area }, buf);
    }

    /// A buffer with something in it already (the previous frame's
    /// leftovers a cell must overwrite or keep, as ratatui would).
    fn filled(area: Rect) -> Buffer {
        let mut buf = Buffer::empty(area);
        for (i, c) in buf.content.iter_mut().enumerate() {
            c.set_char(char::from(b'a' + (i % 26) as u8));
            if i % 3 == 0 {
                c.set_style(Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD));
            }
        }
        buf
    }

    fn styles() -> impl Strategy<Value = Style> {
        prop_oneof![
            Just(Style::default()),
            Just(Style::new().fg(Color::Red)),
            Just(
                Style::new()
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::REVERSED)
            ),
            Just(Style::new().remove_modifier(Modifier::BOLD)),
        ]
    }

    fn texts() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,30}",
            "[a-z0-9 ./-]{0,12}[éß›⇡✓中]{0,3}[a-z ]{0,6}",
            Just(String::new()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Any text, width, place, alignment and style: the same cells as
        /// ratatui's `Table` draws, symbols and styles.
        #[test]
        fn put_draws_what_a_ratatui_table_cell_draws(
            text in texts(),
            x in 0u16..12,
            width in 0u16..24,
            right: bool,
            style in styles(),
        ) {
            let whole = Rect::new(0, 0, 30, 2);
            let area = Rect::new(x, 1, width, 1);
            let (mut ours, mut theirs) = (filled(whole), filled(whole));
            put(&mut ours, area, &text, style, right);
            oracle(&mut theirs, area, &text, style, right);
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn columns_are_where_a_ratatui_table_puts_them() {
        // Widths that fit, and widths that overflow the row (the last
        // columns squeezed): each column's text lands where the Table puts it.
        for width in [10u16, 40, 79, 200] {
            let constraints = [4u16, 12, 1, 9, 30, 6].map(Constraint::Length);
            let area = Rect::new(2, 0, width, 1);
            let texts = [
                "abcd",
                "model-name",
                "x",
                "123456789",
                "long text here",
                "99.9%",
            ];
            let mut ours = filled(Rect::new(0, 0, 210, 1));
            let mut theirs = ours.clone();
            let cols = column_rects(area.width, &constraints, 1);
            for (i, (c, t)) in cols.iter().zip(texts).enumerate() {
                put(
                    &mut ours,
                    cell_area(area, *c),
                    t,
                    Style::default(),
                    i % 2 == 1,
                );
            }
            let cells = texts.iter().enumerate().map(|(i, t)| {
                let l = Line::raw(*t);
                Cell::from(if i % 2 == 1 {
                    l.alignment(Alignment::Right)
                } else {
                    l
                })
            });
            let t = Table::new([Row::new(cells)], constraints).column_spacing(1);
            Widget::render(t, area, &mut theirs);
            assert_eq!(ours, theirs, "table width {width}");
        }
    }
}
