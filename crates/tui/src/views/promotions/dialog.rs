//! The confirmation dialog of a promotion action: what will happen, the
//! text fields it needs (a comment, a reason, the alias of a request), and
//! the error of the last Enter. Keys go here while it is open: typing edits
//! the active field, Tab moves to the next one, Enter confirms, Esc
//! cancels. Drawn as a box over the screen.

use crate::action::PromptKey;
use crate::jobs::Act;
use crate::prompt::MAX_INPUT;
use crate::theme;
use modeldeck_core::domain::WorkloadRef;
use modeldeck_core::text::clean;
use modeldeck_promotion::{ActionKind, NewPromotion};
use ratatui::Frame;
use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

/// A text field of the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Label.
    pub label: &'static str,
    /// What was typed.
    pub value: String,
    /// Why it must not be empty (`None`: optional).
    pub required: Option<&'static str>,
}

/// What confirming does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogAct {
    /// Request a promotion of `model` v`version` on `targets`.
    Request {
        /// Model.
        model: String,
        /// Candidate version.
        version: String,
        /// Workloads to roll.
        targets: Vec<WorkloadRef>,
    },
    /// An action on promotion `id`.
    On {
        /// Promotion id.
        id: String,
        /// Which action.
        action: ActionKind,
        /// Execute despite inconclusive gates (the dialog showed them).
        confirm_inconclusive: bool,
        /// Execute: `None` when run-now is not offered (a target is not a
        /// CronJob); else whether `r` switched it on.
        run_now: Option<bool>,
    },
}

/// The dialog line saying what `r` does, by its state.
fn run_now_line(on: bool) -> String {
    if on {
        "[x] r: run now: after the patch, start one Job from each CronJob and follow it; a failed run rolls back".into()
    } else {
        "[ ] r: run now (otherwise the next scheduled run verifies the new version)".into()
    }
}

/// An open dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    /// What confirming does.
    pub act: DialogAct,
    /// Title.
    pub title: String,
    /// What will happen, one line each.
    pub lines: Vec<String>,
    /// Fields.
    pub fields: Vec<Field>,
    /// Index of the field being typed in.
    pub active: usize,
    /// Why the last Enter was refused.
    pub error: Option<String>,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogStep {
    /// Still open.
    Open,
    /// Closed without doing anything.
    Cancelled,
    /// Confirmed: run this.
    Confirmed(Act),
}

impl Dialog {
    /// A dialog for `action` on promotion `id`; `what` describes the
    /// promotion, `note` is something to know first (inconclusive gates).
    pub fn action(id: &str, action: ActionKind, what: &str, note: Option<&str>) -> Dialog {
        let (title, effect, field) = match action {
            ActionKind::Approve => (
                "Approve",
                "Your approval is bound to the version, its run, the champion and each target's resourceVersion as they are now.",
                Some(("comment", None)),
            ),
            ActionKind::Reject => (
                "Reject",
                "A rejection closes the promotion for everyone.",
                Some(("comment", Some("a rejection needs a comment saying why"))),
            ),
            ActionKind::Execute => (
                "Execute",
                "Re-checks gates and the approved state, moves the alias, patches each target and follows the rollout; any failure puts everything back.",
                None,
            ),
            ActionKind::Rollback => (
                "Roll back",
                "Restores the alias and every target exactly as they were before this promotion.",
                Some(("reason", Some("say why (it goes into the audit trail)"))),
            ),
            ActionKind::Cancel => (
                "Cancel",
                "Withdraws the request; nothing was changed yet.",
                Some(("reason", Some("say why (it goes into the audit trail)"))),
            ),
        };
        let mut lines = vec![what.to_string(), effect.to_string()];
        if let Some(n) = note {
            lines.push(format!("⚠ {n}"));
        }
        Dialog {
            act: DialogAct::On {
                id: id.to_string(),
                action,
                confirm_inconclusive: note.is_some() && action == ActionKind::Execute,
                run_now: None,
            },
            title: format!("{title} promotion {id}?"),
            lines,
            fields: field
                .map(|(label, required)| Field {
                    label,
                    value: String::new(),
                    required,
                })
                .into_iter()
                .collect(),
            active: 0,
            error: None,
        }
    }

    /// A dialog requesting `model` v`version` on `targets`, moving `alias`.
    pub fn request(model: &str, version: &str, alias: &str, targets: Vec<WorkloadRef>) -> Dialog {
        let mut lines = vec![format!(
            "Ask to point {model}'s alias at v{version} and roll {} workload{}:",
            targets.len(),
            if targets.len() == 1 { "" } else { "s" }
        )];
        lines.extend(targets.iter().take(6).map(|t| format!("  {t}")));
        if targets.len() > 6 {
            lines.push(format!("  … and {} more", targets.len() - 6));
        }
        if targets.is_empty() {
            lines.push("  (no workload serves this model: only the alias moves)".into());
        }
        lines.push("Someone else approves it; then it can be executed.".into());
        Dialog {
            act: DialogAct::Request {
                model: model.to_string(),
                version: version.to_string(),
                targets,
            },
            title: format!("Request promotion of {model} v{version}?"),
            lines,
            fields: vec![
                Field {
                    label: "alias",
                    value: alias.to_string(),
                    required: Some("name the alias to move (champion)"),
                },
                Field {
                    label: "reason",
                    value: String::new(),
                    required: Some("say why (it goes into the audit trail)"),
                },
            ],
            active: 1,
            error: None,
        }
    }

    /// Offers run-now (`r` toggles it) on an execute dialog: for a
    /// promotion whose targets are all CronJobs.
    pub fn with_run_now(mut self) -> Dialog {
        if let DialogAct::On {
            action: ActionKind::Execute,
            run_now,
            ..
        } = &mut self.act
        {
            *run_now = Some(false);
            self.lines.push(run_now_line(false));
        }
        self
    }

    /// Applies a key.
    pub fn key(&mut self, k: PromptKey) -> DialogStep {
        if let (PromptKey::Insert('r'), true) = (&k, self.fields.is_empty())
            && let DialogAct::On {
                run_now: Some(on), ..
            } = &mut self.act
        {
            *on = !*on;
            let line = run_now_line(*on);
            if let Some(l) = self.lines.iter_mut().find(|l| l.contains("r: run now")) {
                *l = line;
            }
            return DialogStep::Open;
        }
        let field = self.fields.get_mut(self.active);
        match k {
            PromptKey::Insert(c) => {
                self.error = None;
                if let Some(f) = field
                    && !c.is_control()
                    && f.value.chars().count() < MAX_INPUT
                {
                    f.value.push(c);
                }
            }
            PromptKey::Backspace => {
                if let Some(f) = field {
                    f.value.pop();
                }
            }
            PromptKey::DeleteWord => {
                if let Some(f) = field {
                    let trimmed = f.value.trim_end_matches(' ');
                    let cut = trimmed.rfind(' ').map_or(0, |i| i + 1);
                    f.value.truncate(cut);
                }
            }
            PromptKey::Clear => {
                if let Some(f) = field {
                    f.value.clear();
                }
            }
            PromptKey::Complete => {
                if !self.fields.is_empty() {
                    self.active = (self.active + 1) % self.fields.len();
                }
            }
            PromptKey::Cancel => return DialogStep::Cancelled,
            PromptKey::Submit => return self.submit(),
        }
        DialogStep::Open
    }

    fn value(&self, label: &str) -> String {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.trim().to_string())
            .unwrap_or_default()
    }

    fn submit(&mut self) -> DialogStep {
        if let Some((i, f)) = self
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.required.is_some() && f.value.trim().is_empty())
        {
            self.error = Some(format!("{}: {}", f.label, f.required.unwrap_or("required")));
            self.active = i;
            return DialogStep::Open;
        }
        let act = match &self.act {
            DialogAct::Request {
                model,
                version,
                targets,
            } => Act::Request(NewPromotion {
                model: model.clone(),
                version: version.clone(),
                alias: Some(self.value("alias")),
                targets: targets.clone(),
                reason: self.value("reason"),
                id: None,
            }),
            DialogAct::On {
                id,
                action,
                confirm_inconclusive,
                run_now,
            } => Act::On {
                id: id.clone(),
                action: *action,
                text: self
                    .fields
                    .first()
                    .map(|f| f.value.trim().to_string())
                    .unwrap_or_default(),
                confirm_inconclusive: *confirm_inconclusive,
                run_now: run_now.unwrap_or(false),
            },
        };
        DialogStep::Confirmed(act)
    }

    /// Draws the dialog centered in `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect) {
        let width = area.width.saturating_sub(4).clamp(20, 84);
        let inner_w = usize::from(width.saturating_sub(4)).max(1);
        let mut lines: Vec<Line> = Vec::new();
        for l in &self.lines {
            lines.push(Line::styled(clean(l).into_owned(), theme::text()));
        }
        lines.push(Line::raw(""));
        for (i, f) in self.fields.iter().enumerate() {
            let active = i == self.active;
            let label = format!("{:>8}: ", f.label);
            let mut value = clean(&f.value).into_owned();
            let room = inner_w.saturating_sub(label.chars().count() + 1);
            let len = value.chars().count();
            if len > room {
                value = value.chars().skip(len - room).collect();
            }
            let mut spans = vec![
                Span::styled(label, if active { theme::key() } else { theme::dim() }),
                Span::styled(value, theme::prompt()),
            ];
            if active {
                spans.push(Span::styled("▏", theme::key()));
            }
            lines.push(Line::from(spans));
        }
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!("✗ {}", clean(e)), theme::error()));
        }
        lines.push(Line::raw(""));
        let tab = if self.fields.len() > 1 {
            " · tab next field"
        } else {
            ""
        };
        lines.push(Line::styled(
            format!("enter confirms · esc cancels{tab}"),
            theme::dim(),
        ));
        let needed: u16 = lines
            .iter()
            .map(|l| (l.width().max(1).div_ceil(inner_w)) as u16)
            .sum::<u16>()
            + 2;
        let height = needed.min(area.height);
        let rect = Rect {
            x: area.x + (area.width.saturating_sub(width)) / 2,
            y: area.y + (area.height.saturating_sub(height)) / 2,
            width: width.min(area.width),
            height,
        };
        frame.render_widget(Clear, rect);
        let block = Block::new()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(theme::key())
            .title(Span::styled(
                format!(" {} ", clean(&self.title)),
                theme::title(),
            ));
        frame.render_widget(block, rect);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }),
            rect.inner(Margin::new(2, 1)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(d: &mut Dialog, s: &str) {
        for c in s.chars() {
            assert_eq!(d.key(PromptKey::Insert(c)), DialogStep::Open);
        }
    }

    #[test]
    fn a_rejection_needs_a_comment() {
        let mut d = Dialog::action("p1", ActionKind::Reject, "m v2", None);
        assert_eq!(d.key(PromptKey::Submit), DialogStep::Open);
        assert!(d.error.as_deref().unwrap().contains("comment"));
        typed(&mut d, "no \u{1b}");
        assert!(d.error.is_none(), "typing clears the error");
        match d.key(PromptKey::Submit) {
            DialogStep::Confirmed(Act::On {
                id, action, text, ..
            }) => {
                assert_eq!(
                    (id.as_str(), action, text.as_str()),
                    ("p1", ActionKind::Reject, "no")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn approve_comment_is_optional_and_esc_cancels() {
        let mut d = Dialog::action("p1", ActionKind::Approve, "m v2", None);
        assert!(matches!(d.key(PromptKey::Submit), DialogStep::Confirmed(_)));
        assert_eq!(d.key(PromptKey::Cancel), DialogStep::Cancelled);
    }

    #[test]
    fn execute_with_a_note_confirms_inconclusive_gates() {
        let mut d = Dialog::action("p1", ActionKind::Execute, "m v2", Some("inconclusive: slo"));
        assert!(d.fields.is_empty());
        assert!(d.lines.iter().any(|l| l.contains("inconclusive")));
        assert!(matches!(
            d.key(PromptKey::Submit),
            DialogStep::Confirmed(Act::On {
                confirm_inconclusive: true,
                ..
            })
        ));
    }

    #[test]
    fn r_switches_run_now_on_an_execute_of_cronjobs_only() {
        let mut d = Dialog::action("p1", ActionKind::Execute, "m v2", None).with_run_now();
        assert!(d.lines.iter().any(|l| l.starts_with("[ ] r: run now")));
        assert_eq!(d.key(PromptKey::Insert('r')), DialogStep::Open);
        assert!(d.lines.iter().any(|l| l.starts_with("[x] r: run now")));
        assert!(matches!(
            d.key(PromptKey::Submit),
            DialogStep::Confirmed(Act::On { run_now: true, .. })
        ));
        // Not offered: `r` does nothing and nothing runs now.
        let mut d = Dialog::action("p1", ActionKind::Execute, "m v2", None);
        assert_eq!(d.key(PromptKey::Insert('r')), DialogStep::Open);
        assert!(!d.lines.iter().any(|l| l.contains("run now")));
        assert!(matches!(
            d.key(PromptKey::Submit),
            DialogStep::Confirmed(Act::On { run_now: false, .. })
        ));
        // An approval's comment takes `r` as a letter.
        let mut d = Dialog::action("p1", ActionKind::Approve, "m v2", None).with_run_now();
        typed(&mut d, "rr");
        assert_eq!(d.fields[0].value, "rr");
    }

    #[test]
    fn request_edits_alias_and_reason_with_tab() {
        let mut d = Dialog::request("m", "2", "champion", vec![]);
        assert_eq!(d.active, 1);
        typed(&mut d, "better");
        d.key(PromptKey::Complete);
        d.key(PromptKey::DeleteWord);
        typed(&mut d, "canary");
        match d.key(PromptKey::Submit) {
            DialogStep::Confirmed(Act::Request(n)) => {
                assert_eq!(n.alias.as_deref(), Some("canary"));
                assert_eq!(n.reason, "better");
                assert_eq!((n.model.as_str(), n.version.as_str()), ("m", "2"));
            }
            other => panic!("{other:?}"),
        }
    }
}
