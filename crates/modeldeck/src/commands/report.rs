//! `modeldeck report <model> [--version V] [--window 24h] --out FILE`: the
//! drift table, each feature's score over time and reference vs live
//! histogram, and the serving health of the workloads serving the model,
//! drawn by `modeldeck-report` as one HTML file, an SVG or a PNG. The data
//! is read through the Console (`modeldeck_report::gather`), so the numbers
//! are the ones `modeldeck drift` and the Drift screen show; the markers on
//! the time charts (deploys, approvals, promotions, rollbacks) are the
//! Drift screen's too.
//! Prints a summary of what was written.

use super::resolve::require_model;
use crate::cli::{ReportArgs, ReportFormat};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::clean;
use modeldeck_app::Session;
use modeldeck_core::drift::text::{number, window};
use modeldeck_report::{Format, ReportRequest};
use serde::Serialize;
use std::path::Path;

/// What `report` prints after writing the file.
#[derive(Debug, Serialize)]
pub struct ReportDoc {
    /// The file written.
    pub path: String,
    /// `html`, `svg` or `png`.
    pub format: &'static str,
    /// Its size.
    pub bytes: usize,
    /// Registered model.
    pub model: String,
    /// The version reported on.
    pub version: String,
    /// The live window (`24h`).
    pub window: String,
    /// Rows of the drift table (input features and the prediction).
    pub features: usize,
    /// Input features that drifted, worst first.
    pub drifted: Vec<String>,
    /// Features charted.
    pub charted: usize,
    /// Health series drawn.
    pub health_series: usize,
    /// Why health is missing or partial, when it is.
    pub health_note: Option<String>,
    /// Markers on the time charts.
    pub markers: usize,
}

/// Runs `report`.
pub async fn run(s: &Session, a: &ReportArgs) -> Result<Exit, Failure> {
    let format = choose_format(&a.file, a.format)?;
    let console = &s.console;
    let model = require_model(console, &a.model).await?;
    let version = super::drift::choose_version(console, &model, a.version.as_deref())
        .await?
        .version;
    let max_charts = a.charts.or(match format {
        Format::Html => None,
        Format::Svg | Format::Png => Some(modeldeck_report::DEFAULT_IMAGE_CHARTS),
    });
    let source = if console.options().sandbox {
        format!("profile {} (simulated)", console.options().profile)
    } else {
        format!("profile {}", console.options().profile)
    };
    let req = ReportRequest {
        model: model.name.clone(),
        version: version.clone(),
        window_ms: a.window,
        max_charts,
        health: !a.no_health,
        source,
    };
    let mut input = modeldeck_report::gather(console, &req).await?;
    // The Drift screen's timeline markers (deploys, approvals, promotions,
    // rollbacks), over the longest time chart.
    let promotions = s.promotions().ok();
    let targets = modeldeck_report::serving(console, &model.name);
    let from = input
        .history_range
        .map_or(input.generated_at.plus_millis(-a.window), |r| r.0);
    input.markers =
        modeldeck_tui::markers::gather(console, promotions.as_deref(), &model.name, &targets, from)
            .await;

    let bytes = modeldeck_report::render(&input, format)
        .map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
    write_file(&a.file, &bytes)?;

    let r = &input.drift.report;
    let mut drifted: Vec<_> = r.drifted().collect();
    drifted.sort_by(|x, y| {
        let sev =
            |f: &&modeldeck_core::drift::FeatureDriftRow| f.score.map_or(0.0, |s| s.severity());
        sev(y).total_cmp(&sev(x))
    });
    let charted = max_charts.map_or(
        r.features.len() + usize::from(r.prediction.is_some()),
        |m| m.min(r.features.len() + usize::from(r.prediction.is_some())),
    );
    let doc = ReportDoc {
        path: a.file.display().to_string(),
        format: format.name(),
        bytes: bytes.len(),
        model: model.name.clone(),
        version,
        window: window(a.window),
        features: r.features.len() + usize::from(r.prediction.is_some()),
        drifted: drifted.iter().map(|f| f.feature.clone()).collect(),
        charted,
        health_series: input.health.len(),
        health_note: input.health_note.clone(),
        markers: input.markers.len(),
    };
    Printer::new(a.out).print(&doc, |_| {
        let mut out = format!(
            "wrote {} ({}, {} KB): {} v{}, window {}, {} features, {} drifted{}, {} charted, {} health series, {} markers\n",
            clean(&doc.path),
            doc.format,
            number(doc.bytes as f64 / 1024.0),
            clean(&doc.model),
            clean(&doc.version),
            doc.window,
            doc.features,
            doc.drifted.len(),
            if doc.drifted.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    doc.drifted.iter().map(|d| clean(d).into_owned()).collect::<Vec<_>>().join(", ")
                )
            },
            doc.charted,
            doc.health_series,
            doc.markers,
        );
        if let Some(n) = &doc.health_note {
            out.push_str(&format!("health: {}\n", clean(n)));
        }
        out
    })?;
    Ok(Exit::Ok)
}

/// The format `--format` names, else the one the file's extension names.
fn choose_format(file: &Path, given: Option<ReportFormat>) -> Result<Format, Failure> {
    if let Some(f) = given {
        return Ok(match f {
            ReportFormat::Html => Format::Html,
            ReportFormat::Svg => Format::Svg,
            ReportFormat::Png => Format::Png,
        });
    }
    Format::from_path(file).ok_or_else(|| {
        Failure::Usage(format!(
            "--out {}: cannot tell the report format from the file name; end it in .html, .svg or .png, or pass --format html|svg|png",
            clean(&file.display().to_string())
        ))
    })
}

/// Writes `bytes` to `path` through a temporary file beside it, so a
/// reader never sees half a report.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let shown = clean(&path.display().to_string()).into_owned();
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Failure::Other(anyhow::anyhow!("writing the report to {shown}: {e}"))
        })
}
