//! Deep links `modeldeck://promotion/<id>?profile=<p>` (read by
//! `modeldeck_app::parse_link`, the one reader): the link the app was
//! started with, and links arriving while it runs, become an `open` event
//! for the window. A link only ever opens a promotion; deciding takes a
//! click in the app.

use crate::pump::OPEN_EVENT;
use crate::state::Desk;
use crate::views::OpenEvent;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

/// The `open` event a link asks for.
///
/// Errors: why the link is not one of ours (another scheme, no id...).
pub fn open_event(link: &str) -> Result<OpenEvent, String> {
    let l = modeldeck_app::parse_link(link)?;
    Ok(OpenEvent {
        promotion_id: l.id,
        profile: Some(l.profile),
    })
}

fn opened<R: Runtime>(app: &AppHandle<R>, urls: &[tauri::Url]) {
    for url in urls {
        match open_event(url.as_str()) {
            Ok(ev) => {
                // Kept for the window to take when it starts (it may not
                // listen yet), and sent to a window that does.
                app.state::<Desk>().set_pending_open(ev.clone());
                if let Err(e) = app.emit(OPEN_EVENT, ev) {
                    tracing::debug!(error = %e, "open event not sent");
                }
            }
            Err(why) => tracing::warn!(%why, "deep link ignored"),
        }
    }
}

/// Reads the link the app was started with and follows new ones.
pub fn follow<R: Runtime>(app: &AppHandle<R>) {
    match app.deep_link().get_current() {
        Ok(Some(urls)) => opened(app, &urls),
        Ok(None) => {}
        Err(e) => tracing::debug!(error = %e, "no start link"),
    }
    let handle = app.clone();
    app.deep_link()
        .on_open_url(move |ev| opened(&handle, &ev.urls()));
}
