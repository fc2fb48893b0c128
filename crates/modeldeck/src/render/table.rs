//! Aligned text tables for people: columns padded to their widest cell, two
//! spaces apart, numbers right-aligned, optional ANSI color that never
//! disturbs the alignment (widths are measured on the plain text). Every
//! cell goes through the one sanitizer ([`modeldeck_core::text::clean`]),
//! as every TUI cell does.

use modeldeck_core::console::Severity;
/// The one sanitizer, re-exported for text printed outside a table.
pub use modeldeck_core::text::clean;

/// How a cell is painted when color is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Plain.
    None,
    /// Good news (ready, winner).
    Green,
    /// Needs attention (warning, progressing).
    Yellow,
    /// Bad news (degraded, drifting, failed).
    Red,
    /// Missing or unimportant.
    Dim,
}

impl Paint {
    fn code(self) -> Option<&'static str> {
        match self {
            Paint::None => None,
            Paint::Green => Some("32"),
            Paint::Yellow => Some("33"),
            Paint::Red => Some("31"),
            Paint::Dim => Some("2"),
        }
    }
}

/// One cell: its text and paint.
#[derive(Debug, Clone)]
pub struct Cell {
    text: String,
    paint: Paint,
}

impl From<Severity> for Paint {
    /// The color of a backend state's severity, as the TUI colors it.
    fn from(s: Severity) -> Paint {
        match s {
            Severity::Good => Paint::Green,
            Severity::Neutral => Paint::Dim,
            Severity::Warning => Paint::Yellow,
            Severity::Bad => Paint::Red,
        }
    }
}

impl Cell {
    /// A plain cell.
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: clean(&text.into()).into_owned(),
            paint: Paint::None,
        }
    }

    /// A painted cell.
    pub fn painted(text: impl Into<String>, paint: Paint) -> Cell {
        Cell {
            text: clean(&text.into()).into_owned(),
            paint,
        }
    }

    /// A plain cell cut to `max` characters (an ellipsis marks the cut);
    /// for free text that would otherwise stretch a table.
    pub fn clipped(text: &str, max: usize) -> Cell {
        if text.chars().count() <= max {
            return Cell::new(text);
        }
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        Cell::new(cut)
    }

    /// `-` (dim): a missing value.
    pub fn missing() -> Cell {
        Cell::painted("-", Paint::Dim)
    }

    /// [`Cell::missing`] for `None`, else the formatted value.
    pub fn opt<T>(value: Option<T>, format: impl FnOnce(T) -> String) -> Cell {
        value.map_or_else(Cell::missing, |v| Cell::new(format(v)))
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::new(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::new(s)
    }
}

/// A table being built.
#[derive(Debug, Clone)]
pub struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these headers; a header starting with `>` is a
    /// right-aligned (numeric) column, the `>` is not shown.
    pub fn new<S: AsRef<str>>(headers: &[S]) -> Table {
        let headers: Vec<&str> = headers.iter().map(AsRef::as_ref).collect();
        Table {
            headers: headers
                .iter()
                .map(|h| h.strip_prefix('>').unwrap_or(h).to_string())
                .collect(),
            right: headers.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing trailing cells are blank, extra cells are dropped.
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// The table as text, one line per row, each ending in a newline.
    pub fn render(&self, color: bool) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, c) in row.iter().take(n).enumerate() {
                widths[i] = widths[i].max(width(&c.text));
            }
        }
        let mut out = String::new();
        let header: Vec<Cell> = self.headers.iter().map(|h| Cell::new(h.as_str())).collect();
        self.line(&mut out, &header, &widths, color, true);
        for row in &self.rows {
            self.line(&mut out, row, &widths, color, false);
        }
        out
    }

    fn line(&self, out: &mut String, cells: &[Cell], widths: &[usize], color: bool, bold: bool) {
        let start = out.len();
        let blank = Cell::new("");
        for (i, w) in widths.iter().enumerate() {
            let cell = cells.get(i).unwrap_or(&blank);
            let pad = w.saturating_sub(width(&cell.text));
            if i > 0 {
                out.push_str("  ");
            }
            if self.right[i] {
                out.extend(std::iter::repeat_n(' ', pad));
            }
            match (color, if bold { Some("1") } else { cell.paint.code() }) {
                (true, Some(code)) => {
                    out.push_str("\x1b[");
                    out.push_str(code);
                    out.push('m');
                    out.push_str(&cell.text);
                    out.push_str("\x1b[0m");
                }
                _ => out.push_str(&cell.text),
            }
            if !self.right[i] {
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_shown_not_obeyed() {
        let c = Cell::new("evil\u{1b}[2Jtag\nnext\u{202E}txt.exe");
        assert_eq!(c.text, "evil\u{FFFD}[2Jtag next\u{FFFD}txt.exe");
        let p = Cell::painted("\u{2067}x", Paint::Red);
        assert_eq!(p.text, "\u{FFFD}x");
        assert_eq!(Cell::new("plain ünïcode").text, "plain ünïcode");
    }

    #[test]
    fn aligns_columns_and_keeps_alignment_with_color() {
        let mut t = Table::new(&["NAME", ">RPS", "STATE"]);
        t.row(vec![
            "a".into(),
            "1.5".into(),
            Cell::painted("ok", Paint::Green),
        ]);
        t.row(vec![
            "long-name".into(),
            "120.0".into(),
            Cell::opt(None::<f64>, |v| v.to_string()),
        ]);
        let plain = t.render(false);
        assert_eq!(
            plain,
            "NAME         RPS  STATE\na            1.5  ok\nlong-name  120.0  -\n"
        );
        let colored = t.render(true);
        assert!(colored.contains("\x1b[32mok\x1b[0m"));
        let stripped = colored
            .replace("\x1b[1m", "")
            .replace("\x1b[32m", "")
            .replace("\x1b[2m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, plain);
    }

    #[test]
    fn clips_long_text() {
        assert_eq!(Cell::clipped("abcdef", 4).text, "abc…");
        assert_eq!(Cell::clipped("abcd", 4).text, "abcd");
    }
}
