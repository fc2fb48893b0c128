//! Selection and scroll position of a list. The offset is kept so the
//! cursor stays visible; rendering recomputes the same window with
//! [`Cursor::window`] without writing anything.

use crate::action::Nav;
use std::ops::Range;

/// Selected index and first visible index of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Selected row.
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
}

impl Cursor {
    /// Applies a movement for a list of `len` rows shown `height` at a time.
    pub fn navigate(&mut self, nav: Nav, len: usize, height: usize) {
        let page = height.max(1);
        let half = (page / 2).max(1);
        let last = len.saturating_sub(1);
        self.selected = match nav {
            Nav::Up => self.selected.saturating_sub(1),
            Nav::Down => (self.selected + 1).min(last),
            Nav::Top => 0,
            Nav::Bottom => last,
            Nav::PageUp => self.selected.saturating_sub(page),
            Nav::PageDown => (self.selected + page).min(last),
            Nav::HalfPageUp => self.selected.saturating_sub(half),
            Nav::HalfPageDown => (self.selected + half).min(last),
        };
        // Paging moves the view with the cursor, as vim and k9s do.
        match nav {
            Nav::PageUp => self.offset = self.offset.saturating_sub(page),
            Nav::PageDown => self.offset += page,
            Nav::HalfPageUp => self.offset = self.offset.saturating_sub(half),
            Nav::HalfPageDown => self.offset += half,
            _ => {}
        }
        self.clamp(len, height);
    }

    /// Selects `index` (clamped) and scrolls to it.
    pub fn select(&mut self, index: usize, len: usize, height: usize) {
        self.selected = index;
        self.clamp(len, height);
    }

    /// Keeps the selection inside `0..len` and visible in `height` rows.
    pub fn clamp(&mut self, len: usize, height: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = self.window(len, height).start;
    }

    /// The rows to draw: starts at the offset, moved just enough to show
    /// the selection and never past the end.
    pub fn window(&self, len: usize, height: usize) -> Range<usize> {
        let h = height.max(1);
        let selected = self.selected.min(len.saturating_sub(1));
        let mut start = self.offset.min(len.saturating_sub(h));
        if selected < start {
            start = selected;
        } else if selected >= start + h {
            start = selected + 1 - h;
        }
        start..(start + h).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_and_keeps_selection_visible() {
        let mut c = Cursor::default();
        c.navigate(Nav::Down, 100, 10);
        assert_eq!((c.selected, c.offset), (1, 0));
        c.navigate(Nav::Bottom, 100, 10);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.navigate(Nav::PageUp, 100, 10);
        assert_eq!((c.selected, c.offset), (89, 80));
        c.navigate(Nav::Top, 100, 10);
        assert_eq!((c.selected, c.offset), (0, 0));
        c.navigate(Nav::HalfPageDown, 100, 10);
        assert_eq!((c.selected, c.offset), (5, 5));
        assert_eq!(c.window(100, 10), 5..15);
    }

    #[test]
    fn empty_and_shrinking_lists_are_safe() {
        let mut c = Cursor {
            selected: 50,
            offset: 45,
        };
        c.clamp(0, 10);
        assert_eq!((c.selected, c.offset), (0, 0));
        assert_eq!(c.window(0, 10), 0..0);
        c.navigate(Nav::Down, 0, 10);
        assert_eq!(c.selected, 0);
        let mut c = Cursor {
            selected: 50,
            offset: 45,
        };
        c.clamp(20, 10);
        assert_eq!((c.selected, c.offset), (19, 10));
    }
}
