//! The help screen's fixed tables: mouse, marks, dialog and prompt keys
//! (the key bindings themselves are in `keymap.rs`).

/// Mouse help, for the help screen.
pub const MOUSE_HELP: &[(&str, &str)] = &[
    ("wheel", "move the selection"),
    ("click", "select a row; click it again to open"),
    ("click header", "sort the Fleet by that column"),
];

/// Marks drawn in tables, for the help screen.
pub const MARKS_HELP: &[(&str, &str)] = &[
    (
        "⇡ (Fleet)",
        "a promotion is open on this workload (requested, approved or executing)",
    ),
    ("✉ (Promotions)", "waits for your decision (your inbox)"),
    (
        "⚠ (Promotions)",
        "approvals are not identity-bound on a target cluster (no ledger there)",
    ),
    (
        "✗ (actions)",
        "not available to you now; the reason follows",
    ),
];

/// Dialog keys, for the help screen.
pub const DIALOG_HELP: &[(&str, &str)] = &[
    ("enter", "confirm (runs in the background)"),
    ("esc", "cancel: nothing is done"),
    ("tab", "next field"),
];

/// Prompt keys, for the help screen.
pub const PROMPT_HELP: &[(&str, &str)] = &[
    ("enter", "apply (filter) / run (command)"),
    ("esc", "cancel (the filter goes back to what it was)"),
    ("tab", "complete from the hints"),
    ("ctrl-w / ctrl-u", "delete a word / the line"),
];
