//! The palette: every style the screens use, named by what it means rather
//! than by its colour, so a screen never picks colours itself.

use ratatui::style::{Color, Modifier, Style};

/// Table header cells.
pub fn header() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// The header cell of the sort column.
pub fn header_sorted() -> Style {
    header().fg(Color::Yellow)
}

/// The selected row.
pub fn selected() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

/// A marked (space) row.
pub fn marked() -> Style {
    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
}

/// Panel borders.
pub fn border() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Panel titles.
pub fn title() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// Plain body text.
pub fn text() -> Style {
    Style::new()
}

/// Secondary text (hints, units).
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Healthy.
pub fn ok() -> Style {
    Style::new().fg(Color::Green)
}

/// Attention.
pub fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

/// Broken.
pub fn error() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// In progress.
pub fn loading() -> Style {
    Style::new().fg(Color::Blue)
}

/// The SANDBOX banner: impossible to miss.
pub fn sandbox() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

/// Key names in hints and help.
pub fn key() -> Style {
    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
}

/// The prompt text.
pub fn prompt() -> Style {
    Style::new().fg(Color::White).add_modifier(Modifier::BOLD)
}
