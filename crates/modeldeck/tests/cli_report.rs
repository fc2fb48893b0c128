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

/// The real servers' half: a real Prometheus of this test's own,
/// backfilled (promtool) with the Prometheus crate's fixture (the sudden
/// shift 36 h before its end, with the unseen category and the missing
/// incident), and the real MLflow that `scripts/test.sh` starts holding
/// the reference profile as a run artifact; no cluster configured. The
/// report names the same drifted features as `modeldeck drift`, and its
/// score charts have data.
mod real {
    use super::common::{BIN, Run, TempDir};
    use serde_json::{Value, json};
    use std::process::Command;

    fn script(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scripts/services")
            .join(name)
    }

    fn curl(url: &str, body: &Value) -> Value {
        let out = Command::new("curl")
            .args(["-sS", "-X", "POST", "-H", "content-type: application/json"])
            .args(["--data-binary", &body.to_string(), url])
            .output()
            .expect("curl");
        assert!(out.status.success(), "curl {url}: {out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v.get("error_code").is_none(), "{url}: {v}");
        v
    }

    /// Stops the test's Prometheus when dropped.
    struct Prom(String);

    impl Drop for Prom {
        fn drop(&mut self) {
            let _ = Command::new(script("prometheus.sh"))
                .args(["stop", &self.0])
                .output();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn report_on_a_real_prometheus_and_mlflow_agrees_with_drift() {
        use modeldeck_prometheus::fixture::{Fixture, reference_profile};
        let mlflow = std::env::var("MODELDECK_TEST_MLFLOW_URI")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .expect(
                "MODELDECK_TEST_MLFLOW_URI is not set: this test needs the real MLflow that \
                 scripts/test.sh starts (or `eval \"$(scripts/services/mlflow.sh start dev)\"`)",
            );
        let dir = TempDir::new("report-real");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let model = format!(
            "clireport{}-{}",
            std::process::id(),
            now.as_nanos() % 1_000_000_000
        );
        // The fixture anchored an hour ahead, so "now" has data.
        let end = now.as_secs() as i64 + 3600;
        let om = Fixture::new(end)
            .unwrap()
            .render()
            .replace("model=\"fx-sudden\"", &format!("model=\"{model}\""));
        let om_path = dir.0.join("fixture.om");
        std::fs::write(&om_path, om).unwrap();
        let name = format!("clireport-{}", std::process::id());
        let out = Command::new(script("prometheus.sh"))
            .args(["start", &name])
            .arg(&om_path)
            .output()
            .unwrap();
        let _prom = Prom(name);
        assert!(
            out.status.success(),
            "prometheus.sh start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let prom_url = String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("export MODELDECK_TEST_PROM_URL="))
            .expect("prometheus URL")
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string();

        // The registry: one model, two versions, v2's profile logged.
        let api = |p: &str| format!("{}/api/2.0/mlflow/{p}", mlflow.trim_end_matches('/'));
        let exp = curl(
            &api("experiments/create"),
            &json!({"name": format!("{model}-exp")}),
        );
        let run = curl(
            &api("runs/create"),
            &json!({"experiment_id": exp["experiment_id"]}),
        );
        let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
        curl(&api("registered-models/create"), &json!({"name": model}));
        for _ in 0..2 {
            curl(
                &api("model-versions/create"),
                &json!({"name": model, "source": format!("runs:/{run_id}/model"), "run_id": run_id}),
            );
        }
        let client = modeldeck_mlflow::MlflowClient::new(
            modeldeck_mlflow::MlflowConfig::new(&mlflow, modeldeck_mlflow::Auth::None).unwrap(),
        )
        .unwrap();
        modeldeck_mlflow::MlflowRegistry::new(client)
            .log_reference_profile(&model, "2", &reference_profile("fx-sudden").unwrap())
            .await
            .unwrap();

        let config = dir.0.join("config.toml");
        std::fs::write(
            &config,
            format!(
                "default_profile = \"real\"\n\n[profiles.real.registry]\nurl = \"{mlflow}\"\n\n\
                 [profiles.real.metrics]\nurl = \"{prom_url}\"\n"
            ),
        )
        .unwrap();
        let modeldeck = |args: &[&str]| -> Run {
            let mut c = Command::new(BIN);
            c.args(args)
                .env("MODELDECK_CONFIG", &config)
                .env("MODELDECK_LOG_DIR", dir.0.join("logs"))
                .env("MODELDECK_DATA_DIR", dir.0.join("data"));
            for v in [
                "MODELDECK_PROFILE",
                "KUBECONFIG",
                "MLFLOW_TRACKING_URI",
                "MLFLOW_TRACKING_TOKEN",
                "PROMETHEUS_URL",
                "MODELDECK_METRICS_URL",
                "MODELDECK_REGISTRY_URL",
            ] {
                c.env_remove(v);
            }
            c.output().unwrap().into()
        };
        let parse = |r: &Run| -> Value {
            assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
            serde_json::from_str(&r.stdout).unwrap()
        };

        let html = dir.0.join("r.html");
        let rep = parse(&modeldeck(&[
            "report",
            &model,
            "--version",
            "2",
            "--out",
            html.to_str().unwrap(),
            "-o",
            "json",
        ]));
        let drift = parse(&modeldeck(&[
            "drift",
            &model,
            "--version",
            "2",
            "-o",
            "json",
        ]));
        let drifted_by_drift: Vec<&str> = drift["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["drifted"] == true)
            .map(|f| f["feature"].as_str().unwrap())
            .collect();
        let drifted_by_report: Vec<&str> = rep["drifted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(drifted_by_report.contains(&"amount"), "{rep}");
        let mut a = drifted_by_drift.clone();
        let mut b = drifted_by_report.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "report {rep}\ndrift {drift}");
        // No cluster: no health, and the report says why.
        assert_eq!(rep["health_series"], 0);
        assert!(rep["health_note"].is_string(), "{rep}");

        // Every charted feature's score over time came from Prometheus.
        let text = std::fs::read_to_string(&html).unwrap();
        let doc = roxmltree::Document::parse_with_options(
            &text,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap();
        let t = super::texts(&doc);
        assert!(
            t.iter()
                .any(|s| s.starts_with("amount: ") && s.contains(" over time (")),
            "{t:?}"
        );
        assert!(
            !t.iter()
                .any(|s| s == "no data in the range" || s == "not read"),
            "{t:?}"
        );
        // The table's score for amount is drift's, in drift's wording.
        let amount = drift["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"] == "amount")
            .unwrap();
        let score = amount["score"].as_f64().unwrap();
        let shown = modeldeck_core::drift::text::number(score);
        assert!(
            t.iter().any(|s| s.ends_with(&shown)),
            "{shown} not in {t:?}"
        );

        let png = dir.0.join("r.png");
        let r = modeldeck(&[
            "report",
            &model,
            "--version",
            "2",
            "--out",
            png.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(&std::fs::read(&png).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
    }
}
