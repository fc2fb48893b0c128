//! "Save as PNG/SVG" for a health chart. The webview names the workload,
//! the window it asked `health` for, the zoom it shows, the chart, the
//! format and a file name; never the data or a path. The data is read
//! again through the session (as `health` reads it), drawn by
//! `modeldeck-report` (the same chart code as `modeldeck report`), and
//! written by [`export::write_new`] as a new file in the user's download
//! directory (the app data directory when there is none).

use crate::commands::{find_workload, health_of};
use crate::error::{DeskResult, DesktopError};
use crate::export::{self, ImageFormat};
use crate::state::Desk;
use crate::views::HealthChart;
use modeldeck_report::{Format, HealthChartRequest, HealthLimit, HealthPanel, health_chart};
use std::path::PathBuf;
use tauri::{AppHandle, Manager, Runtime, State};

/// The saved image's size, pixels.
pub const SIZE: (u32, u32) = (1200, 400);
/// Chart columns the data is read for (the core reads at most two points
/// per column: about one point per pixel).
const COLUMNS: u32 = 600;

/// Where saved charts go instead of the download directory, when managed
/// (tests, or a build that wants a fixed place).
#[derive(Debug, Clone)]
pub struct ExportDir(pub PathBuf);

fn dir<R: Runtime>(app: &AppHandle<R>) -> DeskResult<PathBuf> {
    if let Some(d) = app.try_state::<ExportDir>() {
        return Ok(d.0.clone());
    }
    if let Ok(d) = app.path().download_dir() {
        return Ok(d);
    }
    let d = app.path().app_data_dir().map_err(|e| {
        DesktopError::new(
            "internal",
            format!("save chart: no download or data directory: {e}"),
        )
    })?;
    std::fs::create_dir_all(&d).map_err(|e| {
        DesktopError::new(
            "internal",
            format!("save chart: cannot create {}: {e}", d.display()),
        )
    })?;
    Ok(d)
}

/// Draws the `chart` (`latency`, `traffic` or `errors`) of a workload's
/// health over `window_ms` (as `health` reads it), showing
/// `from_ms..to_ms` (the zoom), as `format` (`png` or `svg`), into a new
/// file `file_name` in the download directory; returns its path.
///
/// Errors: `invalid_request` for an unknown chart or format, an empty or
/// reversed zoom, or a file name that is not a plain new name;
/// `not_found` for an unknown workload; `conflict` when the file exists;
/// the backend's code when the health cannot be read.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // the IPC arguments, each named by the UI
pub async fn save_chart<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
    cluster: String,
    namespace: String,
    name: String,
    window_ms: i64,
    chart: String,
    from_ms: i64,
    to_ms: i64,
    format: String,
    file_name: String,
) -> DeskResult<String> {
    let panel = HealthPanel::parse(&chart).ok_or_else(|| {
        DesktopError::invalid(format!(
            "save chart: no chart {:?}; use latency, traffic or errors",
            modeldeck_core::text::clean(&chart)
        ))
    })?;
    let (format, image) = match format.as_str() {
        "png" => (Format::Png, ImageFormat::Png),
        "svg" => (Format::Svg, ImageFormat::Svg),
        other => {
            return Err(DesktopError::invalid(format!(
                "save chart: no format {:?}; use png or svg",
                modeldeck_core::text::clean(other)
            )));
        }
    };
    if from_ms >= to_ms {
        return Err(DesktopError::invalid(format!(
            "save chart: the window {from_ms}..{to_ms} (Unix ms) is empty"
        )));
    }
    // The name is checked before anything is read.
    export::file_name(&file_name, image)?;
    let dir = dir(&app)?;
    let s = desk.session();
    let target = find_workload(&s, &cluster, &namespace, &name)?;
    let HealthChart {
        health: view,
        markers,
        thresholds,
    } = health_of(&s, &target, window_ms, COLUMNS).await?;
    let limits: Vec<HealthLimit> = thresholds
        .into_iter()
        .map(|t| HealthLimit {
            signal: t.signal,
            value: t.value,
            label: t.label,
        })
        .collect();
    let path = tauri::async_runtime::spawn_blocking(move || {
        let bytes = health_chart(&HealthChartRequest {
            view: &view,
            panel,
            limits: &limits,
            markers: &markers,
            window: (from_ms, to_ms),
            format,
            size: SIZE,
        })
        .map_err(|e| match e {
            modeldeck_report::ReportError::Invalid(m) => {
                DesktopError::invalid(format!("save chart: {m}"))
            }
            other => DesktopError::new("internal", format!("save chart: {other}")),
        })?;
        export::write_new(&dir, &file_name, image, &bytes)
    })
    .await
    .map_err(|e| DesktopError::new("internal", format!("save chart: {e}")))??;
    Ok(path.display().to_string())
}
