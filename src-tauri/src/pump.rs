//! The background task that pushes changes to the window: `snapshot`
//! whenever the console's snapshot changes (at most once a second), and
//! `inbox` whenever the inbox's content changes (read every 5 s), with a
//! notification when a promotion newly waits for the user or one the user
//! approved is executed or rolled back. It follows the session across
//! profile switches.

use crate::commands::inbox_of;
use crate::state::Desk;
use crate::views::{BackendView, SnapshotEvent};
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// Event name of [`SnapshotEvent`].
pub const SNAPSHOT_EVENT: &str = "snapshot";
/// Event name of the inbox (`InboxItem[]`).
pub const INBOX_EVENT: &str = "inbox";
/// Event name of [`crate::views::OpenEvent`].
pub const OPEN_EVENT: &str = "open";

/// Least time between two `snapshot` events.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(1);
/// How often the inbox is read.
const INBOX_EVERY: Duration = Duration::from_secs(5);

/// Runs until the app exits.
pub async fn run<R: Runtime>(app: AppHandle<R>) {
    let mut last_inbox: Option<serde_json::Value> = None;
    let mut seen = crate::notify::Seen::default();
    loop {
        let desk = app.state::<Desk>();
        let epoch = desk.epoch();
        let session = desk.session();
        let mut outcomes = crate::notify::Outcomes::default();
        let mut me: Option<String> = None;
        let mut rx = session.console.subscribe();
        let mut tick = tokio::time::interval(INBOX_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                changed = rx.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let snap = rx.borrow_and_update().clone();
                    let ev = SnapshotEvent {
                        generation: snap.generation,
                        backends: BackendView::all(&snap),
                    };
                    if let Err(e) = app.emit(SNAPSHOT_EVENT, ev) {
                        tracing::debug!(error = %e, "snapshot event not sent");
                    }
                    tokio::time::sleep(SNAPSHOT_EVERY).await;
                }
                _ = tick.tick() => {
                    match inbox_of(&session).await {
                        Ok(items) => {
                            let value = serde_json::to_value(&items).ok();
                            if value != last_inbox {
                                last_inbox = value;
                                crate::notify::inbox_changed(&app, &mut seen, &items);
                                if let Err(e) = app.emit(INBOX_EVENT, items) {
                                    tracing::debug!(error = %e, "inbox event not sent");
                                }
                            }
                        }
                        Err(e) => tracing::debug!(error = %e, "inbox not read"),
                    }
                    if me.is_none() {
                        me = whoami(&session).await;
                    }
                    if let (Some(me), Ok(p)) = (&me, session.promotions()) {
                        match p.list(None).await {
                            Ok(list) => crate::notify::outcomes_changed(&app, &mut outcomes, me, &list),
                            Err(e) => tracing::debug!(error = %e, "promotions not read"),
                        }
                    }
                }
            }
            if desk.epoch() != epoch {
                break;
            }
        }
        if desk.epoch() == epoch {
            // The console is gone without a switch: nothing more to follow.
            tokio::time::sleep(INBOX_EVERY).await;
        }
    }
}

/// Who the first cluster says the user is (`None`: not known yet).
async fn whoami(s: &modeldeck_app::Session) -> Option<String> {
    let snap = s.console.snapshot();
    let cluster = snap.clusters.first()?;
    match tokio::time::timeout(Duration::from_secs(3), s.identity(cluster)).await {
        Ok(Ok(i)) => Some(i.username),
        _ => None,
    }
}
