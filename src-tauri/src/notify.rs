//! Desktop notifications: one when a promotion newly waits for the user,
//! and one when a promotion the user approved is executed or rolled back.
//! Best effort (no notification server under Xvfb): a failure is logged.

use crate::views::InboxItem;
use modeldeck_core::domain::{Decision, PromotionState};
use modeldeck_core::text::clean;
use modeldeck_promotion::PromotionStatus;
use modeldeck_promotion::tags::approver_key;
use std::collections::{BTreeMap, BTreeSet};
use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::NotificationExt;

/// The promotions seen in the inbox so far (`None` before the first read:
/// the inbox the app opens on is not news).
#[derive(Debug, Default)]
pub struct Seen(Option<BTreeSet<String>>);

impl Seen {
    /// The items of `items` not seen before (none on the first read), and
    /// remembers `items`.
    pub fn arrivals<'a>(&mut self, items: &'a [InboxItem]) -> Vec<&'a InboxItem> {
        let now: BTreeSet<String> = items
            .iter()
            .map(|i| i.status.promotion.id.clone())
            .collect();
        let new = match &self.0 {
            Some(before) => items
                .iter()
                .filter(|i| !before.contains(&i.status.promotion.id))
                .collect(),
            None => Vec::new(),
        };
        self.0 = Some(now);
        new
    }
}

/// Notification text: registry strings made safe for a notification
/// server, which may read the body as markup (freedesktop spec).
pub fn plain(s: &str) -> String {
    clean(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The body of the notification for `item`.
pub fn body(item: &InboxItem) -> String {
    let p = &item.status.promotion;
    format!(
        "{} v{} → {}, requested by {}",
        plain(&p.model),
        plain(&p.version),
        plain(&p.alias),
        plain(&p.requested_by)
    )
}

/// Notifies each new item of the inbox.
pub fn inbox_changed<R: Runtime>(app: &AppHandle<R>, seen: &mut Seen, items: &[InboxItem]) {
    for item in seen.arrivals(items) {
        let shown = app
            .notification()
            .builder()
            .title("A promotion waits for your review")
            .body(body(item))
            .show();
        if let Err(e) = shown {
            tracing::info!(error = %e, "notification not shown");
        }
    }
}

/// What became of a promotion the user approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Executed: the alias moved and the targets serve the version.
    Executed,
    /// Rolled back to the previous version.
    RolledBack,
}

impl Outcome {
    fn of(state: PromotionState) -> Option<Outcome> {
        match state {
            PromotionState::Promoted => Some(Outcome::Executed),
            PromotionState::RolledBack => Some(Outcome::RolledBack),
            _ => None,
        }
    }

    /// The notification's title.
    pub fn title(self) -> &'static str {
        match self {
            Outcome::Executed => "A promotion you approved was executed",
            Outcome::RolledBack => "A promotion you approved was rolled back",
        }
    }
}

/// The state of each promotion the user approved, as last read (`None`
/// before the first read: what the app opens on is not news).
#[derive(Debug, Default)]
pub struct Outcomes(Option<BTreeMap<String, PromotionState>>);

impl Outcomes {
    /// The promotions of `list` that `me` approved and that became
    /// Promoted or RolledBack since the last read (none on the first
    /// read), and remembers their states.
    pub fn changes<'a>(
        &mut self,
        me: &str,
        list: &'a [PromotionStatus],
    ) -> Vec<(&'a PromotionStatus, Outcome)> {
        let key = approver_key(me);
        let mine: Vec<&PromotionStatus> =
            list.iter()
                .filter(|s| {
                    s.promotion.approvals.iter().any(|a| {
                        a.decision == Decision::Approve && approver_key(&a.approver) == key
                    })
                })
                .collect();
        let mut out = Vec::new();
        if let Some(before) = &self.0 {
            for s in &mine {
                let p = &s.promotion;
                if before.get(&p.id) == Some(&p.state) {
                    continue;
                }
                if let Some(o) = Outcome::of(p.state) {
                    out.push((*s, o));
                }
            }
        }
        self.0 = Some(
            mine.iter()
                .map(|s| (s.promotion.id.clone(), s.promotion.state))
                .collect(),
        );
        out
    }
}

/// The body of the notification that `status` reached `outcome`.
pub fn outcome_body(status: &PromotionStatus, outcome: Outcome) -> String {
    let p = &status.promotion;
    let what = format!(
        "{} v{} → {}",
        plain(&p.model),
        plain(&p.version),
        plain(&p.alias)
    );
    match (outcome, &p.previous_version) {
        (Outcome::RolledBack, Some(prev)) => format!("{what}, back to v{}", plain(prev)),
        _ => what,
    }
}

/// Notifies each promotion `me` approved that was executed or rolled back
/// since the last read.
pub fn outcomes_changed<R: Runtime>(
    app: &AppHandle<R>,
    outcomes: &mut Outcomes,
    me: &str,
    list: &[PromotionStatus],
) {
    for (status, outcome) in outcomes.changes(me, list) {
        let shown = app
            .notification()
            .builder()
            .title(outcome.title())
            .body(outcome_body(status, outcome))
            .show();
        if let Err(e) = shown {
            tracing::info!(error = %e, "notification not shown");
        }
    }
}
