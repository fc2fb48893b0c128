//! The evidence beside a comparison (issue 13): the schema diff, the data
//! lineage and one metric's training curves of two versions, read by the
//! core ([`Console::compare_evidence`], [`Console::compare_curve`]) as the
//! TUI and `modeldeck compare -o json` read them; this only passes them on.
//!
//! [`Console::compare_evidence`]: modeldeck_core::console::Console::compare_evidence
//! [`Console::compare_curve`]: modeldeck_core::console::Console::compare_curve

use crate::error::{DeskResult, DesktopError};
use crate::state::Desk;
use modeldeck_core::compare::Comparison;
use modeldeck_core::compare_curves::CurvePair;
use modeldeck_core::compare_evidence::CompareEvidence;
use modeldeck_core::compare_lineage::Lineage;
use modeldeck_core::compare_schema::SchemaDiff;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

/// The schema diff and the data lineage of two versions, each read on its
/// own: a part that could not be read is `null` with its error beside it,
/// and the other part is still shown.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct EvidenceView {
    /// The signatures of A and B compared, when both could be read.
    pub schema: Option<SchemaDiff>,
    /// Why there is no schema diff.
    pub schema_error: Option<DesktopError>,
    /// The datasets of both runs paired by context, when read.
    pub lineage: Option<Lineage>,
    /// Why there is no lineage.
    pub lineage_error: Option<DesktopError>,
    /// Metrics both runs logged (candidates for `compare_curve`), losses first.
    pub curve_metrics: Vec<String>,
}

impl From<CompareEvidence> for EvidenceView {
    fn from(ev: CompareEvidence) -> Self {
        let (schema, schema_error) = split(ev.schema);
        let (lineage, lineage_error) = split(ev.lineage);
        EvidenceView {
            schema,
            schema_error,
            lineage,
            lineage_error,
            curve_metrics: ev.curve_metrics,
        }
    }
}

fn split<T, E: Into<DesktopError>>(r: Result<T, E>) -> (Option<T>, Option<DesktopError>) {
    match r {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e.into())),
    }
}

fn required(name: &str, what: &str, value: &str) -> DeskResult<()> {
    if value.trim().is_empty() {
        return Err(DesktopError::invalid(format!("{name}: {what} is empty")));
    }
    Ok(())
}

async fn comparison(
    desk: &Desk,
    name: &str,
    model: &str,
    a: &str,
    b: &str,
) -> DeskResult<Comparison> {
    required(name, "the model name", model)?;
    required(name, "version a", a)?;
    required(name, "version b", b)?;
    Ok(desk.session().console.compare(model, a, b).await?)
}

/// Schema diff, data lineage and the metrics with a curve in both runs of
/// versions `a` and `b` of `model` (`modeldeck compare -o json`'s
/// `schema`, `lineage`, `curves`).
#[tauri::command]
pub async fn compare_evidence(
    desk: State<'_, Desk>,
    model: String,
    a: String,
    b: String,
) -> DeskResult<EvidenceView> {
    let cmp = comparison(&desk, "compare_evidence", &model, &a, &b).await?;
    Ok(desk.session().console.compare_evidence(&cmp).await.into())
}

/// The history of `metric` in the runs of versions `a` and `b` of `model`,
/// oldest step first; `not_found` (naming the metrics both have) when
/// the two runs do not both log it.
#[tauri::command]
pub async fn compare_curve(
    desk: State<'_, Desk>,
    model: String,
    a: String,
    b: String,
    metric: String,
) -> DeskResult<CurvePair> {
    let cmp = comparison(&desk, "compare_curve", &model, &a, &b).await?;
    required("compare_curve", "the metric", &metric)?;
    Ok(desk.session().console.compare_curve(&cmp, &metric).await?)
}
