//! Desktop notifications: one when a promotion newly waits for the user.
//! Best effort (no notification server under Xvfb): a failure is logged.

use crate::views::InboxItem;
use modeldeck_core::text::clean;
use std::collections::BTreeSet;
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
