//! `modeldeck fairness` as a script sees it.
//!
//! On the simulated world (`--sandbox`): credit-scorer's 18-25 band is
//! approved at 0.41 against 0.68 for 36-50, so it fails the default
//! thresholds (SPD -0.27, DIR 0.60) and `--check` exits 5; a model without
//! a protected attribute has no verdict; errors carry the documented exit
//! codes. On real servers (`fairness_on_a_real_prometheus_and_mlflow`): a
//! Prometheus of the test's own backfilled with `modeldeck_outcome_total`
//! (a group name carrying a bidi override and a terminal escape) and the
//! real MLflow that `scripts/test.sh` starts, whose run carries
//! `fairness.spd.<attribute>` / `fairness.dir.<attribute>` metrics: the
//! hostile name is raw in JSON and neutralized in the table.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BIN, Run, TempDir, json, keys, run, sorted};
use serde_json::{Value, json};
use std::process::Command;

const DOC_FIELDS: &[&str] = &[
    "model",
    "version",
    "version_source",
    "version_reason",
    "window",
    "window_ms",
    "at",
    "at_ms",
    "thresholds",
    "policy",
    "policy_from_profile",
    "verdict",
    "attributes",
    "notes",
];

const ROW_FIELDS: &[&str] = &[
    "source",
    "attribute",
    "reference",
    "reference_choice",
    "groups",
    "worst_group",
    "spd",
    "dir",
    "thresholds",
    "verdict",
];

const GROUP_FIELDS: &[&str] = &[
    "group", "positive", "total", "rate", "spd", "dir", "verdict",
];

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn credit_scorer_fails_on_its_youngest_band() {
    let doc = json(&["fairness", "credit-scorer"]);
    assert_eq!(keys(&doc), sorted(DOC_FIELDS), "{doc}");
    assert_eq!(doc["verdict"], "unfair");
    assert_eq!(doc["window"], "24h");
    assert_eq!(doc["window_ms"], 86_400_000);
    assert_eq!(
        doc["thresholds"],
        json!({"spd_max": 0.1, "dir_min": 0.8, "min_rows": 30.0})
    );
    let rows = doc["attributes"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{doc}");
    let a = &rows[0];
    assert_eq!(keys(a), sorted(ROW_FIELDS), "{a}");
    assert_eq!(a["source"], "live");
    assert_eq!(a["attribute"], "age_band");
    assert_eq!(a["reference"], "36-50");
    assert_eq!(a["reference_choice"], "highest_rate");
    assert_eq!(a["worst_group"], "18-25");
    assert!((num(&a["spd"]) + 0.27).abs() < 1e-9, "{a}");
    assert!((num(&a["dir"]) - 0.41 / 0.68).abs() < 1e-9, "{a}");
    let groups = a["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 5);
    for g in groups {
        assert_eq!(keys(g), sorted(GROUP_FIELDS), "{g}");
        let (p, t, r) = (num(&g["positive"]), num(&g["total"]), num(&g["rate"]));
        assert!((p / t - r).abs() < 1e-9, "{g}");
    }
    let young = groups.iter().find(|g| g["group"] == "18-25").unwrap();
    assert_eq!(young["verdict"], "unfair");
    let reference = groups.iter().find(|g| g["group"] == "36-50").unwrap();
    assert_eq!(reference["verdict"], "reference");
    assert_eq!(num(&reference["dir"]), 1.0);

    // --check makes it a gate: exit 5, the report still printed.
    let r = run(&[
        "--sandbox",
        "fairness",
        "credit-scorer",
        "--check",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["verdict"], "unfair");
}

#[test]
fn the_table_names_the_source_reference_and_worst_group() {
    let r = run(&[
        "--sandbox",
        "fairness",
        "credit-scorer",
        "--version",
        "champion",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for part in [
        "age_band (live counters): UNFAIR",
        "reference 36-50 (highest rate)",
        "worst 18-25: SPD -0.270, DIR 0.603",
        "GROUP",
        "SPD",
        "DIR",
        "verdict: UNFAIR",
        "|SPD| <= 0.1",
    ] {
        assert!(r.stdout.contains(part), "{part}:\n{}", r.stdout);
    }
    assert!(
        r.stdout.contains("41.0%") && r.stdout.contains("68.0%"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_model_without_a_protected_attribute_has_no_verdict() {
    let r = run(&["--sandbox", "fairness", "fraud-detector", "--check"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("no fairness data for fraud-detector"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("modeldeck_outcome_total"), "{}", r.stdout);
    let doc = json(&["fairness", "fraud-detector", "--window", "6h"]);
    assert_eq!(doc["verdict"], Value::Null);
    assert_eq!(doc["attributes"], json!([]));
    assert_eq!(doc["window_ms"], 21_600_000);
}

#[test]
fn errors_carry_the_documented_exit_codes() {
    let r = run(&["--sandbox", "fairness", "credit-scorer", "--window", "3x"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--window"), "{}", r.stderr);
    let r = run(&["--sandbox", "fairness", "credit-scorr"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("credit-scorer"),
        "did you mean: {}",
        r.stderr
    );
    let r = run(&["--sandbox", "fairness", "credit-scorer", "--version", "99"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // Metrics down: the run metrics still answer (a note names the
    // metrics backend); both down: exit 4.
    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "metrics",
        "fairness",
        "credit-scorer",
        "--version",
        "4",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["notes"][0]["source"], "live", "{doc}");
    assert_eq!(doc["verdict"], Value::Null);
    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "metrics,registry",
        "fairness",
        "credit-scorer",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
}

/// A group name that would reorder the line (RLO) and clear the screen.
const HOSTILE: &str = "65+\u{202E}lave\u{1b}[2J";

fn need_env(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => panic!(
            "{var} is not set: this test needs the real MLflow that scripts/test.sh starts \
             (or `eval \"$(scripts/services/mlflow.sh start dev)\"`)"
        ),
    }
}

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
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}"));
    assert!(v.get("error_code").is_none(), "{url}: {v}");
    v
}

/// Outcome counters of `model` v1 every ten minutes over two days ending
/// at `end`: 18-25 approved at 0.4, 36-50 at 0.7, the hostile group at 0.65.
fn openmetrics(model: &str, end: i64) -> String {
    let group = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = String::from("# TYPE modeldeck_outcome counter\n");
    for (g, rate) in [("18-25", 0.4), ("36-50", 0.7), (group.as_str(), 0.65)] {
        for (outcome, share) in [("approved", rate), ("declined", 1.0 - rate)] {
            for k in 0..289i64 {
                let t = end - (288 - k) * 600;
                out.push_str(&format!(
                    "modeldeck_outcome_total{{model=\"{model}\",version=\"1\",attribute=\"age_band\",group=\"{g}\",outcome=\"{outcome}\"}} {} {t}\n",
                    100_000.0 + 100.0 * share * k as f64
                ));
            }
        }
    }
    out.push_str("# EOF\n");
    out
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

#[test]
fn fairness_on_a_real_prometheus_and_mlflow() {
    let mlflow = need_env("MODELDECK_TEST_MLFLOW_URI");
    let dir = TempDir::new("fairness-real");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let model = format!(
        "clifair{}-{}",
        std::process::id(),
        nanos.as_nanos() % 1_000_000_000
    );
    let end = nanos.as_secs() as i64 + 3600;
    let om = dir.0.join("fairness.om");
    std::fs::write(&om, openmetrics(&model, end)).unwrap();
    let name = format!("clifair-{}", std::process::id());
    let out = Command::new(script("prometheus.sh"))
        .args(["start", &name])
        .arg(&om)
        .output()
        .unwrap();
    let _prom = Prom(name);
    assert!(
        out.status.success(),
        "prometheus.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prom_url = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("export MODELDECK_TEST_PROM_URL="))
        .expect("prometheus URL")
        .trim_matches(|c| c == '"' || c == '\'')
        .to_string();

    // The registry: one version whose run logged evaluation-time fairness.
    let api = |p: &str| format!("{}/api/2.0/mlflow/{p}", mlflow.trim_end_matches('/'));
    let exp = curl(
        &api("experiments/create"),
        &json!({"name": format!("{model}-exp")}),
    );
    let run_id = curl(
        &api("runs/create"),
        &json!({"experiment_id": exp["experiment_id"]}),
    )["run"]["info"]["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    for (key, value) in [("fairness.spd.sex", -0.04), ("fairness.dir.sex", 0.93)] {
        curl(
            &api("runs/log-metric"),
            &json!({"run_id": run_id, "key": key, "value": value, "timestamp": 0, "step": 0}),
        );
    }
    curl(&api("registered-models/create"), &json!({"name": model}));
    curl(
        &api("model-versions/create"),
        &json!({"name": model, "source": format!("runs:/{run_id}/model"), "run_id": run_id}),
    );

    let config = dir.0.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "default_profile = \"real\"\n\n[profiles.real.registry]\nurl = \"{mlflow}\"\n\n\
             [profiles.real.metrics]\nurl = \"{prom_url}\"\n"
        ),
    )
    .unwrap();
    let fairness = |args: &[&str]| -> Run {
        let mut c = Command::new(BIN);
        c.arg("fairness")
            .args(args)
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

    let r = fairness(&[&model, "-o", "json"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["version"], "1");
    assert_eq!(doc["version_source"], "latest");
    assert_eq!(doc["verdict"], "unfair", "{doc}");
    let rows = doc["attributes"].as_array().unwrap();
    let live = rows
        .iter()
        .find(|r| r["source"] == "live")
        .expect("live row");
    assert_eq!(live["reference"], "36-50");
    assert_eq!(live["worst_group"], "18-25");
    assert!((num(&live["spd"]) + 0.3).abs() < 1e-9, "{live}");
    assert!((num(&live["dir"]) - 0.4 / 0.7).abs() < 1e-9, "{live}");
    // The hostile group, raw in JSON.
    assert!(
        live["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["group"] == HOSTILE),
        "{live}"
    );
    let run_row = rows
        .iter()
        .find(|r| r["source"] == "mlflow_run")
        .expect("run row");
    assert_eq!(run_row["attribute"], "sex");
    assert_eq!(run_row["verdict"], "fair");
    assert_eq!((num(&run_row["spd"]), num(&run_row["dir"])), (-0.04, 0.93));

    // The table: the hostile name neutralized, the sources named.
    let r = fairness(&[&model]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stdout.contains('\u{202E}') && !r.stdout.contains('\u{1b}'),
        "{:?}",
        r.stdout
    );
    assert!(r.stdout.contains("65+"), "{}", r.stdout);
    assert!(
        r.stdout.contains("age_band (live counters): UNFAIR"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("sex (MLflow run metrics): FAIR"),
        "{}",
        r.stdout
    );
}
