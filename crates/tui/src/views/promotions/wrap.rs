//! Word wrapping for the promotion detail: lines of styled spans cut at
//! word boundaries to a column's width, continuations indented under the
//! line's own text, so scrolling counts the rows actually drawn.

use ratatui::text::{Line, Span};

/// Wraps `lines` to `width` cells at word boundaries; a continuation is
/// indented by the line's own leading spaces plus four, so wrapped gate
/// details and messages stay readable.
pub(crate) fn wrap(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    wrap_with(lines, width, 4)
}

/// [`wrap`] with continuations indented by the line's leading spaces plus
/// `extra` (0: prose, aligned under its first line).
pub(crate) fn wrap_with(lines: Vec<Line<'static>>, width: u16, extra: usize) -> Vec<Line<'static>> {
    let width = usize::from(width).max(8);
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.width() <= width {
            out.push(line);
            continue;
        }
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let lead = text.chars().take_while(|c| *c == ' ').count();
        let indent = (lead + extra).min(width / 2);
        let mut cur: Vec<Span<'static>> = Vec::new();
        let mut used = 0usize;
        for span in line.spans {
            let style = span.style;
            let mut word = String::new();
            let mut pieces: Vec<String> = Vec::new();
            for ch in span.content.chars() {
                word.push(ch);
                if ch == ' ' {
                    pieces.push(std::mem::take(&mut word));
                }
            }
            if !word.is_empty() {
                pieces.push(word);
            }
            for mut piece in pieces {
                let mut w = Span::raw(piece.as_str()).width();
                if used + w > width && used > indent {
                    out.push(Line::from(std::mem::take(&mut cur)));
                    cur.push(Span::raw(" ".repeat(indent)));
                    used = indent;
                    if piece.trim().is_empty() {
                        continue;
                    }
                }
                // A word longer than the room left is cut where it must be.
                while used + w > width {
                    let room = width.saturating_sub(used).max(1);
                    let head: String = piece.chars().take(room).collect();
                    let tail: String = piece.chars().skip(room).collect();
                    cur.push(Span::styled(head, style));
                    out.push(Line::from(std::mem::take(&mut cur)));
                    cur.push(Span::raw(" ".repeat(indent)));
                    used = indent;
                    piece = tail;
                    w = Span::raw(piece.as_str()).width();
                }
                used += w;
                cur.push(Span::styled(piece, style));
            }
        }
        if !cur.is_empty() {
            out.push(Line::from(cur));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn wraps_at_words_with_a_hanging_indent() {
        let line = Line::from(vec![
            Span::raw("  ✓ pass "),
            Span::raw("drift  max PSI 0.0726 on prod-us/risk/deploy/fraud-detector > 0.05"),
        ]);
        let out = wrap(vec![line], 44);
        let texts: Vec<String> = out.iter().map(text).collect();
        assert!(texts.len() >= 2, "{texts:?}");
        for t in &texts {
            assert!(Span::raw(t.as_str()).width() <= 44, "{t:?}");
        }
        for t in &texts[1..] {
            assert!(t.starts_with("      "), "{t:?}");
        }
        let joined: String = texts
            .concat()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            joined.contains("prod-us/risk/deploy/fraud-detector"),
            "{joined}"
        );
    }

    #[test]
    fn short_lines_are_untouched() {
        let out = wrap(vec![Line::raw("short")], 30);
        assert_eq!(out.len(), 1);
        assert_eq!(text(&out[0]), "short");
    }
}
