//! A small-table helper for the Models, Versions and Events lists: cell
//! texts are built and sanitized once (when the data changes), widths are
//! measured then, and a frame only slices the visible window. Ages are kept
//! as timestamps and formatted at draw time so they keep counting.

use crate::format;
use crate::theme;
use crate::views::cursor::Cursor;
use crate::views::table::{self, ColumnSpec};
use modeldeck_core::domain::Timestamp;
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Row, Table};

/// A column of a [`TextTable`].
#[derive(Debug, Clone, Copy)]
pub struct TextColumn {
    /// Header.
    pub title: &'static str,
    /// Right-aligned.
    pub right: bool,
    /// Narrowest width worth showing (long text shrinks to it).
    pub min: u16,
    /// Widest content shown.
    pub cap: u16,
    /// Higher stays longer on narrow terminals.
    pub priority: u8,
}

/// A column: header, alignment, narrowest and widest width, priority.
pub const fn column(
    title: &'static str,
    right: bool,
    min: u16,
    cap: u16,
    priority: u8,
) -> TextColumn {
    TextColumn {
        title,
        right,
        min,
        cap,
        priority,
    }
}

/// One cell's content.
#[derive(Debug, Clone, PartialEq)]
pub enum CellText {
    /// Text, already sanitized.
    Text(String),
    /// An age, formatted against "now" when drawn.
    Age(Timestamp),
}

impl CellText {
    /// A text cell; sanitizes `s`.
    pub fn text(s: &str) -> CellText {
        CellText::Text(clean(s).into_owned())
    }

    fn render(&self, now: Timestamp) -> String {
        match self {
            CellText::Text(s) => s.clone(),
            CellText::Age(t) => format::age(now, *t),
        }
    }

    fn width(&self) -> u16 {
        match self {
            CellText::Text(s) => Span::raw(s.as_str()).width().min(999) as u16,
            CellText::Age(_) => 4,
        }
    }
}

/// Rows of cells with measured column widths.
#[derive(Debug, Clone, Default)]
pub struct TextTable {
    /// Cells per row, one per column.
    pub rows: Vec<Vec<CellText>>,
    widths: Vec<u16>,
}

impl TextTable {
    /// Builds a table and measures it.
    pub fn new(cols: &[TextColumn], rows: Vec<Vec<CellText>>) -> TextTable {
        let mut widths: Vec<u16> = cols.iter().map(|c| c.title.len() as u16).collect();
        for r in &rows {
            for ((w, cell), col) in widths.iter_mut().zip(r).zip(cols) {
                *w = (*w).max(cell.width().min(col.cap));
            }
        }
        TextTable { rows, widths }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The columns that fit in a table `width` cells wide (marker
    /// included), as `(column index, spec)`.
    pub fn layout(&self, cols: &[TextColumn], width: u16) -> Vec<(usize, ColumnSpec)> {
        let claims: Vec<table::Claim> = cols
            .iter()
            .zip(&self.widths)
            .map(|(c, w)| table::Claim {
                min: c.min.max(c.title.len() as u16).min(*w),
                desired: *w,
                priority: c.priority,
            })
            .collect();
        let widths = table::fit(&claims, width.saturating_sub(table::GUTTER));
        cols.iter()
            .zip(widths)
            .enumerate()
            .filter_map(|(i, (c, w))| {
                let spec = ColumnSpec {
                    title: c.title,
                    width: w?,
                    right: c.right,
                    arrow: None,
                };
                Some((i, spec))
            })
            .collect()
    }

    /// Draws the visible window with the selection highlighted; `style`
    /// gives each non-selected cell its style from `(row, column)`.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        cols: &[TextColumn],
        cursor: &Cursor,
        now: Timestamp,
        style: impl Fn(usize, usize) -> Style,
    ) {
        let layout = self.layout(cols, area.width);
        let specs: Vec<ColumnSpec> = layout.iter().map(|(_, s)| s.clone()).collect();
        let height = usize::from(area.height.saturating_sub(1));
        let window = cursor.window(self.rows.len(), height);
        let rows = window.filter_map(|i| {
            let cells = self.rows.get(i)?;
            let selected = i == cursor.selected;
            let cells = layout.iter().map(|(c, spec)| {
                let text = cells.get(*c).map(|t| t.render(now)).unwrap_or_default();
                let st = if selected { Style::new() } else { style(i, *c) };
                table::aligned(text, st, spec.right)
            });
            let row = Row::new(std::iter::once(table::marker(selected)).chain(cells));
            Some(if selected {
                row.style(theme::selected())
            } else {
                row
            })
        });
        let t = Table::new(rows, table::constraints(&specs))
            .header(table::header(&specs))
            .column_spacing(table::SPACING);
        frame.render_widget(t, area);
    }
}
