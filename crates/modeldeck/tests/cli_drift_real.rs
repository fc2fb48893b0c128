//! `modeldeck drift` on real servers: a real Prometheus of this test's own,
//! backfilled (promtool) with the Prometheus crate's fixture (the sudden
//! shift 36 h before its end, the unseen category `crypto` and the
//! missing-value incident that come with it) plus a feature whose name
//! carries a bidi override and a terminal escape, and the real MLflow that
//! `scripts/test.sh` starts, holding the reference profiles as run
//! artifacts logged through its artifact proxy. The profile file points at
//! both, as a user's would; no cluster is configured.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BIN, Run, TempDir, keys, sorted};
use serde_json::{Value, json};
use std::process::Command;

const FEATURE_FIELDS: &[&str] = &[
    "feature",
    "kind",
    "method",
    "score",
    "score_kind",
    "statistic",
    "threshold",
    "drifted",
    "verdict",
    "severity",
    "missing_rate",
    "reference_missing_rate",
    "out_of_range_rate",
    "unseen_categories",
    "reference_n",
    "live_n",
];

const METHODS: &[&str] = &[
    "psi",
    "ks",
    "jensen_shannon",
    "wasserstein",
    "chi_square",
    "hellinger",
];

fn features(doc: &Value) -> &Vec<Value> {
    doc["features"].as_array().unwrap()
}

fn feature<'a>(doc: &'a Value, name: &str) -> &'a Value {
    features(doc)
        .iter()
        .find(|f| f["feature"] == name)
        .unwrap_or_else(|| panic!("no feature {name} in {doc}"))
}

fn drifted(doc: &Value) -> Vec<String> {
    features(doc)
        .iter()
        .filter(|f| f["drifted"] == true)
        .map(|f| f["feature"].as_str().unwrap().to_string())
        .collect()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Every field of a feature row is there and agrees with the others.
fn check_row(f: &Value) {
    assert_eq!(keys(f), sorted(FEATURE_FIELDS), "{f}");
    if f["verdict"] == "no_data" {
        return;
    }
    let method = f["method"].as_str().unwrap();
    assert!(METHODS.contains(&method), "{f}");
    let p_value = matches!(method, "ks" | "chi_square");
    assert_eq!(
        f["score_kind"],
        if p_value { "p_value" } else { "distance" },
        "{f}"
    );
    let (score, threshold) = (num(&f["score"]), num(&f["threshold"]));
    let past = if p_value {
        score < threshold
    } else {
        score >= threshold
    };
    assert_eq!(f["drifted"], past, "{f}");
    assert_eq!(f["verdict"], if past { "drift" } else { "ok" }, "{f}");
}

/// A feature name that would reorder the line (RLO) and clear the screen.
const HOSTILE: &str = "evil\u{202E}gnp.exe\u{1b}[2J";

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

fn curl(method: &str, url: &str, body: &Value) -> Value {
    let out = Command::new("curl")
        .args(["-sS", "-X", method, "-H", "content-type: application/json"])
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

/// A registered model with `n` versions from one fresh run.
fn seed_model(mlflow: &str, name: &str, n: u32) {
    let api = |p: &str| format!("{}/api/2.0/mlflow/{p}", mlflow.trim_end_matches('/'));
    let exp = curl(
        "POST",
        &api("experiments/create"),
        &json!({"name": format!("{name}-exp")}),
    );
    let run = curl(
        "POST",
        &api("runs/create"),
        &json!({"experiment_id": exp["experiment_id"]}),
    );
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
    curl(
        "POST",
        &api("registered-models/create"),
        &json!({"name": name}),
    );
    for _ in 0..n {
        curl(
            "POST",
            &api("model-versions/create"),
            &json!({"name": name, "source": format!("runs:/{run_id}/model"), "run_id": run_id}),
        );
    }
}

/// The hostile model's reference: one categorical feature, two categories.
fn hostile_profile() -> modeldeck_core::drift::ReferenceProfile {
    serde_json::from_value(json!({
        "schema": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "rows": 2000,
        "features": [
            {"name": HOSTILE, "kind": "categorical", "counts": {"a": 1000, "b": 1000}, "missing": 0}
        ]
    }))
    .unwrap()
}

/// The hostile feature's counter series, every ten minutes over the last
/// two days before `end`: only category `a` (and the unseen `z\u{1b}]0;x`),
/// so it drifts.
fn hostile_lines(model: &str, end: i64) -> String {
    let feature = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = String::new();
    for (category, per_step) in [("a", 10u64), ("z\u{1b}]0;x", 3)] {
        for k in 0..=288i64 {
            let t = end - (288 - k) * 600;
            out.push_str(&format!(
                "modeldeck_feature_category_total{{model=\"{model}\",version=\"1\",feature=\"{feature}\",category=\"{category}\"}} {} {t}\n",
                1000 + per_step * k as u64
            ));
        }
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_on_a_real_prometheus_and_mlflow() {
    use modeldeck_prometheus::fixture::{Fixture, reference_profile};
    let mlflow = need_env("MODELDECK_TEST_MLFLOW_URI");
    let dir = TempDir::new("drift-real");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("clidrift{}-{}", std::process::id(), nanos % 1_000_000_000);
    let (sudden, hostile) = (format!("{prefix}-sudden"), format!("{prefix}-hostile"));

    // Metrics: the Prometheus crate's fixture anchored an hour ahead (so
    // "now" has data), its fx-sudden renamed to this test's model, and the
    // hostile feature's counters spliced into the category family.
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    let om = Fixture::new(end)
        .unwrap()
        .render()
        .replace("model=\"fx-sudden\"", &format!("model=\"{sudden}\""));
    let header = "# TYPE modeldeck_feature_category counter\n";
    let at = om.find(header).expect("the fixture has a category family");
    let after = at
        + om[at..]
            .find("# HELP modeldeck_feature_missing")
            .or_else(|| om[at..].find("# TYPE modeldeck_feature_missing"))
            .expect("the missing family follows");
    let om = format!(
        "{}{}{}",
        &om[..after],
        hostile_lines(&hostile, end),
        &om[after..]
    );
    let om_path = dir.0.join("fixture.om");
    std::fs::write(&om_path, om).unwrap();
    let name = format!("clidrift-{}", std::process::id());
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

    // Registry: the real MLflow, profiles logged as run artifacts.
    seed_model(&mlflow, &sudden, 2);
    seed_model(&mlflow, &hostile, 1);
    let client = modeldeck_mlflow::MlflowClient::new(
        modeldeck_mlflow::MlflowConfig::new(&mlflow, modeldeck_mlflow::Auth::None).unwrap(),
    )
    .unwrap();
    let registry = modeldeck_mlflow::MlflowRegistry::new(client);
    registry
        .log_reference_profile(&sudden, "2", &reference_profile("fx-sudden").unwrap())
        .await
        .unwrap();
    registry
        .log_reference_profile(&hostile, "1", &hostile_profile())
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
    let drift = |args: &[&str]| -> Run {
        let mut c = Command::new(BIN);
        c.arg("drift")
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
    let parse = |r: &Run| -> Value {
        assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.stdout);
        serde_json::from_str(&r.stdout).unwrap()
    };

    // The sudden shift (36 h before the fixture's end) fills the last day.
    let doc = parse(&drift(&[&sudden, "--version", "2", "-o", "json"]));
    assert_eq!(doc["version"], "2");
    assert_eq!(doc["version_source"], "given");
    assert_eq!(doc["live_data"], true);
    for f in features(&doc) {
        check_row(f);
    }
    let d = drifted(&doc);
    assert!(
        d.contains(&"amount".to_string()) && d.contains(&"channel".to_string()),
        "{doc}"
    );
    let channel = feature(&doc, "channel");
    assert_eq!(channel["unseen_categories"], json!(["crypto"]), "{channel}");
    assert!(
        num(&channel["missing_rate"]) > 0.0,
        "the incident: {channel}"
    );
    assert_eq!(doc["dataset_drift"]["drifted"], true, "{doc}");

    // Without --version: no cluster serves it, no champion alias: the latest.
    let latest = parse(&drift(&[&sudden, "-o", "json"]));
    assert_eq!(latest["version_source"], "latest");
    assert_eq!(latest["version"], "2");

    // v1 has no profile: the error says how to make one.
    let r = drift(&[&sudden, "--version", "1"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("modeldeck.reference_profile") && r.stderr.contains("--log-to"),
        "{}",
        r.stderr
    );

    // The hostile name: raw in JSON, neutralized in the table.
    let doc = parse(&drift(&[&hostile, "--version", "1", "-o", "json"]));
    let f = &features(&doc)[0];
    assert_eq!(f["feature"], HOSTILE, "{f}");
    assert_eq!(f["unseen_categories"], json!(["z\u{1b}]0;x"]), "{f}");
    assert_eq!(f["drifted"], true, "{f}");
    let table = drift(&[&hostile, "--version", "1", "--color", "never"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    for bad in ['\u{202E}', '\u{1b}'] {
        assert!(
            !table.stdout.contains(bad),
            "{bad:?} reached the table: {:?}",
            table.stdout
        );
    }
    assert!(
        table.stdout.contains("evil\u{FFFD}gnp.exe\u{FFFD}[2J"),
        "{:?}",
        table.stdout
    );
}
