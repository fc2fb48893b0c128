//! The one sanitizer for text that reaches a screen or a table. Model names,
//! tags, descriptions and event messages come from systems other people
//! write to, so an escape sequence or a bidi override in a tag must neither
//! drive the terminal nor reorder what the user reads ("Trojan Source").
//! The TUI and the CLI's tables both call [`clean`]; JSON and YAML output
//! carry the raw value (their encoders escape what needs escaping).

use std::borrow::Cow;

/// The character drawn in place of anything unsafe.
pub const REPLACEMENT: char = '\u{FFFD}';

/// `s` with control characters and bidi controls replaced: tabs and line
/// breaks become spaces (a row stays one row), everything else becomes
/// [`REPLACEMENT`] so the user sees that something was there. Each unsafe
/// character becomes exactly one character, so widths stay predictable.
/// Borrows when `s` is already clean (the usual case), so calling it on
/// every visible cell is cheap.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_safe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => ' ',
                c if is_safe(c) => c,
                _ => REPLACEMENT,
            })
            .collect(),
    )
}

/// [`clean`], owned.
pub fn clean_owned(s: &str) -> String {
    clean(s).into_owned()
}

/// True when `c` may be drawn as is.
pub fn is_safe(c: char) -> bool {
    !(c.is_control() || is_bidi_control(c))
}

/// Explicit embeddings, overrides and isolates (the "Trojan Source" set),
/// the implicit marks and the Arabic letter mark: each changes how the rest
/// of a line is ordered.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(
            clean("fraud-detector v7 ✓ 模型"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escapes_and_controls_are_replaced() {
        let s = clean("a\u{1b}[31mred\u{7}\u{9b}x");
        assert_eq!(s, "a\u{FFFD}[31mred\u{FFFD}\u{FFFD}x");
        assert!(!s.contains('\u{1b}'));
    }

    #[test]
    fn whitespace_controls_become_spaces_and_bidi_is_replaced() {
        assert_eq!(clean("a\tb\nc\r"), "a b c ");
        assert_eq!(clean("x\u{202E}y\u{2066}"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(
            clean("\u{200E}\u{200F}\u{061C}\u{202A}\u{2069}"),
            "\u{FFFD}".repeat(5)
        );
    }

    #[test]
    fn one_character_in_one_character_out() {
        let hostile = "tag\u{202E}\u{1b}[2J\u{7}\n\u{2067}end";
        assert_eq!(clean(hostile).chars().count(), hostile.chars().count());
        assert!(clean(hostile).chars().all(is_safe));
    }
}
