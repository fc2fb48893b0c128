//! The footer line: the open prompt (with its error or completion hints),
//! else the latest message, else the main keys of the current screen.

use crate::app::App;
use crate::command;
use crate::keymap;
use crate::prompt::PromptKind;
use crate::sanitize::clean;
use crate::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Draws the footer in `area` (one line).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let line = if let Some(p) = app.prompt() {
        let mut spans = vec![
            Span::styled(format!("{}{}", p.sigil(), clean(&p.input)), theme::prompt()),
            Span::styled("▏", theme::key()),
        ];
        if let Some(e) = &p.error {
            spans.push(Span::styled(format!("  ✗ {}", clean(e)), theme::error()));
        } else if p.kind == PromptKind::Command {
            let hints = command::hints(&p.input, app.snapshot());
            if !hints.is_empty() {
                spans.push(Span::styled("  tab: ", theme::dim()));
                spans.push(Span::styled(
                    clean(&hints.join("  ")).into_owned(),
                    theme::dim(),
                ));
            }
        } else {
            spans.push(Span::styled(
                "  text, regex, key=value, !negates · enter keeps · esc cancels",
                theme::dim(),
            ));
        }
        Line::from(spans)
    } else if let Some(f) = app.flash() {
        let style = if f.error {
            theme::error()
        } else {
            theme::warn()
        };
        Line::styled(clean(&f.text).into_owned(), style)
    } else {
        hints(app)
    };
    frame.render_widget(line, area);
}

fn hints(app: &App) -> Line<'static> {
    let screen = app.screen();
    let mut spans = Vec::new();
    let own = keymap::screen_bindings(screen)
        .iter()
        .take(4)
        .map(|b| (b.label, short(b.help)));
    let filter = screen.filterable().then_some(("/", "filter"));
    let common = [(":", "command"), ("?", "help"), ("q", "back")];
    for (k, h) in own.chain(filter).chain(common) {
        spans.push(Span::styled(format!("<{k}>"), theme::key()));
        spans.push(Span::styled(format!(" {h}  "), theme::dim()));
    }
    Line::from(spans)
}

// The first words of a help text, for the one-line hints.
fn short(help: &'static str) -> &'static str {
    help.split([':', ',', '('])
        .next()
        .unwrap_or(help)
        .trim_end()
}
