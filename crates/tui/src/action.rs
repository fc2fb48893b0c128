//! What can happen to the UI, as data. Keys, mouse, snapshot changes, async
//! results and the tick all become an [`Action`]; [`crate::App::update`] is
//! the only place that turns one into a state change.

use crate::jobs::JobResult;
use modeldeck_core::Snapshot;
use modeldeck_core::domain::Timestamp;
use modeldeck_core::fleet::FleetColumn;
use std::sync::Arc;

/// Cursor movement in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// One row up.
    Up,
    /// One row down.
    Down,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// One screen up.
    PageUp,
    /// One screen down.
    PageDown,
    /// Half a screen up.
    HalfPageUp,
    /// Half a screen down.
    HalfPageDown,
}

/// An edit of the `/` or `:` prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKey {
    /// Type a character.
    Insert(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Delete the word before the cursor (ctrl-w).
    DeleteWord,
    /// Clear the line (ctrl-u).
    Clear,
    /// Complete from the hint (Tab).
    Complete,
    /// Accept (Enter).
    Submit,
    /// Abandon (Esc).
    Cancel,
}

/// Everything the update function reacts to.
#[derive(Debug, Clone)]
pub enum Action {
    /// Move the cursor.
    Nav(Nav),
    /// Open what is under the cursor (Enter).
    Select,
    /// Go back one screen; quits on the root screen (`q`).
    Back,
    /// Clear the filter, else go back; never quits (Esc).
    Escape,
    /// Quit from anywhere (ctrl-c, `:q`).
    Quit,
    /// Show the key bindings.
    Help,
    /// Open the `/` filter prompt.
    OpenFilter,
    /// Open the `:` command line.
    OpenCommand,
    /// Sort by the next column.
    SortNext,
    /// Reverse the sort direction.
    SortReverse,
    /// Sort by a column (again: reverse).
    SortBy(FleetColumn),
    /// Mark or unmark the selected version.
    ToggleMark,
    /// Compare marked versions (or selected vs champion).
    Compare,
    /// Compare: show only what differs.
    ToggleDiffOnly,
    /// Describe the selected workload (detail and events).
    Describe,
    /// Re-read what the current screen shows.
    Refresh,
    /// Open the Promotions screen (inbox and list).
    OpenPromotions,
    /// Request a promotion of the selected version (Versions).
    RequestPromotion,
    /// Open the Drift screen of the selected row's model (Fleet, workload).
    OpenDrift,
    /// Drift and health charts: the next (+1) or previous (-1) window.
    DriftWindow(i8),
    /// Drift: the other version served (a canary's).
    NextVersion,
    /// Promotion detail: the health charts of the next target.
    NextTarget,
    /// Compare: the training curve of the next (+1) or previous (-1)
    /// metric both runs logged; Versions: the next or previous metric
    /// charted across the versions.
    CurveMetric(i8),
    /// Switch the lower panel when only one fits (Drift: score over time
    /// / histogram; workload: health charts / events; Versions: the
    /// metric chart / the table).
    TogglePanel,
    /// Drift: start a retraining run of the model.
    Retrain,
    /// A promotion action on the promotion shown (opens its dialog).
    Act(modeldeck_promotion::ActionKind),
    /// Run a command line as if typed after `:` (`fleet`, `ns risk`).
    Command(String),
    /// An edit of the open prompt.
    Prompt(PromptKey),
    /// Left click at a terminal cell.
    Click {
        /// Column.
        column: u16,
        /// Row.
        row: u16,
    },
    /// The terminal was resized.
    Resize {
        /// New width.
        width: u16,
        /// New height.
        height: u16,
    },
    /// Time passed (the console clock's "now").
    Tick(Timestamp),
    /// The console published a new snapshot.
    Snapshot(Arc<Snapshot>),
    /// An async request finished.
    JobDone(Box<JobResult>),
}
