//! The real `modeldeck report` binary on the sandbox (simulated backends):
//! the drifting model's report written as HTML, SVG and PNG, each checked
//! by parsing it (XML for HTML and SVG, the PNG header), the summary's
//! JSON fields, and clear errors with the documented exit codes.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TempDir, run};
use serde_json::Value;

fn report(dir: &TempDir, file: &str, extra: &[&str]) -> (common::Run, std::path::PathBuf) {
    let path = dir.0.join(file);
    let p = path.to_str().unwrap().to_string();
    let mut args = vec!["--sandbox", "report", "demand-forecaster", "--out", &p];
    args.extend_from_slice(extra);
    (run(&args), path)
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn html_report_of_the_drifting_model_is_one_parseable_file_under_1_mb() {
    let dir = TempDir::new("report");
    let (r, path) = report(&dir, "r.html", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("wrote "), "{}", r.stdout);
    assert!(
        r.stdout.contains("2 drifted (lag_7d, temperature)"),
        "{}",
        r.stdout
    );
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.len() < 1_000_000, "{}", html.len());
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!doc.descendants().any(|n| n.tag_name().name() == "script"));
    let first_row = doc
        .descendants()
        .find(|n| n.tag_name().name() == "tr" && n.attribute("class") == Some("drift"))
        .unwrap();
    let cells = texts(&doc).len();
    assert!(cells > 50);
    let row: Vec<String> = first_row
        .descendants()
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect();
    assert_eq!(row[0], "lag_7d", "{row:?}");
    assert!(row.contains(&"drift".to_string()), "{row:?}");
    // Charts inline: two per feature and the health charts; markers listed.
    assert!(
        doc.descendants()
            .filter(|n| n.tag_name().name() == "svg")
            .count()
            >= 16
    );
    assert!(html.contains("p99 latency"), "no health section");
    // No temporary file left beside it.
    let left: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["r.html".to_string()], "{left:?}");
}

#[test]
fn svg_and_png_reports_parse_and_format_can_override_the_extension() {
    let dir = TempDir::new("report");
    let (r, path) = report(&dir, "r.svg", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let svg = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let t = texts(&doc);
    assert!(
        t.iter().any(|s| s == "Drift report: demand-forecaster v5"),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s == "lag_7d") && t.iter().any(|s| s == "drift"));

    let (r, path) = report(&dir, "r.png", &["--charts", "2", "--no-health"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let png = std::fs::read(&path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(width, 1200);
    // Header, 8 table rows, 2 charts of 220 px, no health rows.
    assert!((500..1000).contains(&height), "{height}");

    let (r, path) = report(&dir, "report.out", &["--format", "svg"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::read_to_string(path).unwrap().starts_with("<svg"));
}

#[test]
fn json_summary_has_the_documented_fields() {
    let dir = TempDir::new("report");
    let (r, path) = report(&dir, "r.html", &["--window", "6h", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "bytes",
            "charted",
            "drifted",
            "features",
            "format",
            "health_note",
            "health_series",
            "markers",
            "model",
            "path",
            "version",
            "window"
        ]
    );
    assert_eq!(v["format"], "html");
    assert_eq!(v["window"], "6h");
    assert_eq!(v["version"], "5");
    assert_eq!(v["drifted"][0], "lag_7d");
    assert_eq!(
        v["bytes"].as_u64().unwrap(),
        std::fs::metadata(path).unwrap().len()
    );
}

#[test]
fn bad_input_is_refused_with_what_and_where() {
    let dir = TempDir::new("report");
    let (r, path) = report(&dir, "r.pdf", &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("r.pdf") && r.stderr.contains(".html, .svg or .png"),
        "{}",
        r.stderr
    );
    assert!(!path.exists());

    let p = dir.0.join("x.html");
    let r = run(&[
        "--sandbox",
        "report",
        "no-such-model",
        "--out",
        p.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("no-such-model"), "{}", r.stderr);

    let (r, _) = report(&dir, "r.html", &["--window", "5y"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("5y"), "{}", r.stderr);

    let (r, _) = report(&dir, "r.html", &["--version", "99"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("99"), "{}", r.stderr);

    let missing = dir.0.join("no-dir").join("r.html");
    let r = run(&[
        "--sandbox",
        "report",
        "demand-forecaster",
        "--out",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no-dir"), "{}", r.stderr);
}
