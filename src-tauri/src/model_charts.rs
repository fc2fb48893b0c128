//! The Model screen's chart: one metric across the model's versions
//! (MLflow #4806), read and laid out by the core
//! ([`modeldeck_core::version_metrics`]); this only passes it through.

use crate::error::{DeskResult, DesktopError};
use crate::state::Desk;
use modeldeck_core::version_metrics::{self, MetricHistory};
use tauri::State;

/// `metric` (`null` or blank: the first by name) across the versions of
/// `model`: one point per version whose run logged it, the others named
/// with why, and every metric name any run logged (for the picker).
#[tauri::command]
pub async fn metric_history(
    desk: State<'_, Desk>,
    model: String,
    metric: Option<String>,
) -> DeskResult<MetricHistory> {
    if model.trim().is_empty() {
        return Err(DesktopError::invalid(
            "metric_history: the model name is empty".to_string(),
        ));
    }
    let s = desk.session();
    Ok(version_metrics::read(&s.console, &model, metric.as_deref()).await?)
}
