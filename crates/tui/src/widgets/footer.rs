//! The footer line: the open prompt (with its error or completion hints),
//! else the latest message, else the main keys of the current screen.

use crate::app::App;
use crate::command;
use crate::keymap::ScreenKind;
use crate::prompt::PromptKind;
use crate::theme;
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// Draws the footer in `area` (one line).
pub fn render(frame: &mut Frame, area: Rect, app: &App) {
    let line = if app.dialog().is_some() {
        Line::styled(
            "dialog: type the text · enter confirms · esc cancels · tab next field",
            theme::dim(),
        )
    } else if let Some(p) = app.prompt() {
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

/// The few keys worth a reminder on each screen; `?` lists them all.
fn screen_hints(screen: ScreenKind) -> &'static [(&'static str, &'static str)] {
    match screen {
        ScreenKind::Fleet => &[
            ("enter", "versions"),
            ("d", "describe"),
            ("D", "drift"),
            ("p", "promotions"),
            ("s/S", "sort"),
            ("/", "filter"),
        ],
        ScreenKind::Models => &[("enter", "versions"), ("d", "card"), ("/", "filter")],
        ScreenKind::Versions => &[
            ("space", "mark"),
            ("c", "compare"),
            ("d", "card"),
            ("P", "request promotion"),
            ("/", "filter"),
        ],
        ScreenKind::Compare => &[("d", "differences only")],
        ScreenKind::Workload => &[
            ("enter", "versions"),
            ("D", "drift"),
            ("tab", "health"),
            ("w", "window"),
        ],
        ScreenKind::Drift => &[
            ("j/k", "feature"),
            ("w", "window"),
            ("s", "sort"),
            ("tab", "chart"),
            ("R", "retrain"),
        ],
        ScreenKind::Promotions => &[("enter", "detail"), ("ctrl-r", "refresh")],
        ScreenKind::Promotion => &[
            ("a", "approve"),
            ("r", "reject"),
            ("x", "execute"),
            ("u", "roll back"),
            ("j/k", "scroll"),
        ],
        ScreenKind::Help => &[("j/k", "scroll")],
    }
}

fn hints(app: &App) -> Line<'static> {
    let back = if app.stack().len() > 1 {
        "back"
    } else {
        "quit"
    };
    let common = [(":", "command"), ("?", "help"), ("q", back)];
    let mut spans = Vec::new();
    for (k, h) in screen_hints(app.screen()).iter().copied().chain(common) {
        spans.push(Span::styled(format!("<{k}>"), theme::key()));
        spans.push(Span::styled(format!(" {h}  "), theme::dim()));
    }
    Line::from(spans)
}
