//! Desktop notifications (none yet: the inbox event carries the change).

use crate::views::InboxItem;
use tauri::{AppHandle, Runtime};

/// Called when the inbox's content changed.
pub fn inbox_changed<R: Runtime>(_app: &AppHandle<R>, _items: &[InboxItem]) {}
