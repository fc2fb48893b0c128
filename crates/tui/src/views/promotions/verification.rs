//! "Verification" in a promotion's detail (issue 14): per CronJob or
//! stream consumer target, whether the new version is verified (the run
//! after the execution, or the run-now Job, succeeded with it; the
//! consumer lag is back under its threshold), still waiting, or failed,
//! with a failed run's last log lines. Every string goes through `clean`.

use crate::theme;
use modeldeck_core::text::clean;
use modeldeck_promotion::service::{Verification, VerificationState};
use ratatui::text::{Line, Span};

fn c(s: &str) -> String {
    clean(s).into_owned()
}

/// Log lines shown under a failed run.
const LOG_LINES: usize = 3;

/// The section's lines; none before execution or without batch and
/// streaming targets.
pub(super) fn lines(entries: &[Verification]) -> Vec<Line<'static>> {
    if entries.is_empty() {
        return Vec::new();
    }
    let mut out = vec![Line::styled("Verification", theme::title())];
    for e in entries {
        let (mark, style) = match e.state {
            VerificationState::Verified => ("✓", theme::ok()),
            VerificationState::Failed => ("✗", theme::error()),
            VerificationState::Running => ("…", theme::text()),
            VerificationState::Waiting => ("…", theme::dim()),
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {mark} {:<8} ", e.state.label()), style),
            Span::styled(c(&e.target.to_string()), theme::key()),
        ]));
        out.push(Line::styled(format!("      {}", c(&e.detail)), style));
        let skip = e.log_tail.len().saturating_sub(LOG_LINES);
        for l in &e.log_tail[skip..] {
            out.push(Line::styled(format!("      | {}", c(l)), theme::dim()));
        }
    }
    out.push(Line::raw(""));
    out
}
