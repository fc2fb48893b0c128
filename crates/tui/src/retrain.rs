//! Retraining from the TUI (`R` on the Drift screen, `:retrain <model>
//! <reason>`): the core starts the run from the model's labelled
//! pipeline and hands the audit entry to the promotion service's journal,
//! the same entry `modeldeck retrain` writes.

use modeldeck_core::Console;
use modeldeck_core::console::{RetrainOrder, RetrainOutcome};
use modeldeck_core::domain::AuditEntry;
use modeldeck_promotion::Promotions;
use modeldeck_promotion::journal::AuditRecord;

/// Log lines read with a run's status.
pub const LOG_LINES: usize = 5;

/// Why retraining is off without a promotion service.
pub const NO_JOURNAL: &str = "retraining is audited in the promotion journal, and promotions are not configured for this profile";

/// Starts a run of `model`'s pipeline because `reason`, recording the
/// drift numbers over `window_ms`; errors are sentences.
pub async fn start(
    console: &Console,
    svc: &Promotions,
    model: &str,
    reason: &str,
    window_ms: i64,
) -> Result<Box<RetrainOutcome>, String> {
    let journal = svc.journal().clone();
    let audit = move |e: &AuditEntry| {
        journal
            .append(&AuditRecord::new(e.clone()))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let order = RetrainOrder {
        model: model.to_string(),
        reason: reason.to_string(),
        window_ms,
        ..RetrainOrder::default()
    };
    console
        .retrain(&order, &audit)
        .await
        .map(Box::new)
        .map_err(|e| e.to_string())
}
