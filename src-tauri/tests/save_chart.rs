//! `save_chart` on the mock runtime over the simulated world: the image is
//! drawn from the session's own data and written as a new file in the
//! (here injected) download directory; bad names and existing files are
//! refused with their codes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::TestApp;
use modeldeck_desktop::save_chart::{ExportDir, SIZE};
use serde_json::{Value, json};
use std::path::PathBuf;
use tauri::Manager;

fn scratch(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "modeldeck-save-chart-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A served workload and the range `health` reads for it over 6 h.
fn served(app: &TestApp) -> (Value, i64, i64) {
    app.wait_loaded();
    let rows = app.ok("fleet", json!({}));
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"].is_string())
        .cloned()
        .expect("a workload bound to a model");
    let w = &row;
    let h = app.ok(
        "health",
        json!({ "cluster": w["cluster"], "namespace": w["namespace"], "name": w["name"],
                "windowMs": 6 * 3_600_000, "columns": 320 }),
    );
    let start = h["health"]["range"]["start"].as_i64().unwrap();
    let end = h["health"]["range"]["end"].as_i64().unwrap();
    (row.clone(), start, end)
}

fn args(w: &Value, from: i64, to: i64, chart: &str, format: &str, file: &str) -> Value {
    json!({ "cluster": w["cluster"], "namespace": w["namespace"], "name": w["name"],
            "windowMs": 6 * 3_600_000, "chart": chart, "fromMs": from, "toMs": to,
            "format": format, "fileName": file })
}

#[test]
fn saves_a_png_and_an_svg_into_the_download_dir() {
    let app = TestApp::demo();
    let dir = scratch("ok");
    app.app.manage(ExportDir(dir.clone()));
    let (w, start, end) = served(&app);
    // The last hour, as a zoom would ask.
    let from = end - 3_600_000;
    let path = app.ok(
        "save_chart",
        args(&w, from, end, "latency", "png", "latency"),
    );
    let path = PathBuf::from(path.as_str().unwrap());
    assert_eq!(path, dir.join("latency.png"));
    let png = std::fs::read(&path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), SIZE);
    if let Some(keep) = std::env::var_os("MODELDECK_KEEP_CHART") {
        std::fs::copy(&path, keep).unwrap();
    }
    // The SVG names the workload and the series, and its time axis spans
    // the zoom, not the whole 6 h.
    let path = app.ok(
        "save_chart",
        args(&w, start, end, "traffic", "svg", "traffic.svg"),
    );
    let svg = std::fs::read_to_string(path.as_str().unwrap()).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("requests/s"), "{svg}");
    assert!(svg.contains(w["name"].as_str().unwrap()), "{svg}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["latency.png", "traffic.svg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn refuses_paths_existing_files_and_bad_arguments() {
    let app = TestApp::demo();
    let dir = scratch("refuse");
    app.app.manage(ExportDir(dir.clone()));
    let (w, start, end) = served(&app);
    let (code, msg) = app.err(
        "save_chart",
        args(&w, start, end, "latency", "png", "../x.png"),
    );
    assert_eq!(code, "invalid_request", "{msg}");
    assert!(msg.contains("separator"), "{msg}");
    assert!(!dir.parent().unwrap().join("x.png").exists());
    for (chart, format, from, to, want) in [
        ("latency", "gif", start, end, "format"),
        ("cpu", "png", start, end, "chart"),
        ("latency", "png", end, start, "window"),
    ] {
        let (code, msg) = app.err("save_chart", args(&w, from, to, chart, format, "a"));
        assert_eq!(code, "invalid_request", "{msg}");
        assert!(msg.contains(want), "{want}: {msg}");
    }
    // An existing file is never overwritten.
    std::fs::write(dir.join("taken.png"), b"mine").unwrap();
    let (code, msg) = app.err(
        "save_chart",
        args(&w, start, end, "errors", "png", "taken.png"),
    );
    assert_eq!(code, "conflict", "{msg}");
    assert_eq!(std::fs::read(dir.join("taken.png")).unwrap(), b"mine");
    // An unknown workload is not found.
    let mut other = w.clone();
    other["name"] = json!("no-such-workload");
    let (code, _) = app.err(
        "save_chart",
        args(&other, start, end, "latency", "png", "n"),
    );
    assert_eq!(code, "not_found");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(names.len(), 1);
    names.clear();
    std::fs::remove_dir_all(&dir).unwrap();
}
