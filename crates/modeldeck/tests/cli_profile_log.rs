//! `modeldeck profile build --log-to`: to a real MLflow
//! (`MODELDECK_TEST_MLFLOW_URI`, read back with `Registry::reference_profile`)
//! and to the simulated registry (`--sandbox`, read back by `drift`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BIN, Run, TempDir, run_in};
use modeldeck_core::drift::ReferenceProfile;
use modeldeck_core::ports::Registry;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// 1,000 rows: `x` = 0..999, `k` a category, `p` the prediction.
fn training_csv(dir: &TempDir) -> PathBuf {
    let mut s = String::from("x,k,p\n");
    for i in 0..1000 {
        let k = ["de", "fr", "es"][i % 3];
        writeln!(s, "{i},{k},{}", i as f64 / 1000.0).unwrap();
    }
    let p = dir.0.join("train.csv");
    std::fs::write(&p, s).unwrap();
    p
}

fn read_profile(path: &Path) -> ReferenceProfile {
    let p: ReferenceProfile = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    p.validate().unwrap();
    p
}

/// A plain command against the MLflow at `uri`: creates what `curl` posts.
fn mlflow_post(uri: &str, endpoint: &str, body: &str) -> Value {
    let out = Command::new("curl")
        .args([
            "-sS",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
        ])
        .arg(format!("{uri}/api/2.0/mlflow/{endpoint}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl {endpoint}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.get("error_code").is_none(), "{endpoint}: {v}");
    v
}

#[test]
fn log_to_stores_the_profile_in_a_real_mlflow() {
    let uri = std::env::var("MODELDECK_TEST_MLFLOW_URI").unwrap_or_else(|_| {
        panic!(
            "MODELDECK_TEST_MLFLOW_URI is not set: run `scripts/test.sh`, or start a server with \
             `eval \"$(scripts/services/mlflow.sh start dev)\"`"
        )
    });
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let model = format!("profiled-{tag}");
    let exp = mlflow_post(
        &uri,
        "experiments/create",
        &format!(r#"{{"name":"prof-{tag}"}}"#),
    );
    let exp = exp["experiment_id"].as_str().unwrap();
    let run = mlflow_post(
        &uri,
        "runs/create",
        &format!(r#"{{"experiment_id":"{exp}"}}"#),
    );
    let run = run["run"]["info"]["run_id"].as_str().unwrap().to_string();
    mlflow_post(
        &uri,
        "registered-models/create",
        &format!(r#"{{"name":"{model}"}}"#),
    );
    mlflow_post(
        &uri,
        "model-versions/create",
        &format!(r#"{{"name":"{model}","source":"runs:/{run}/model","run_id":"{run}"}}"#),
    );

    let dir = TempDir::new("prof-mlflow");
    let csv = training_csv(&dir);
    let out = dir.0.join("p.json");
    let home = TempDir::new("prof-mlflow-home");
    let r: Run = Command::new(BIN)
        .args(["profile", "build", "--from"])
        .arg(&csv)
        .args(["--prediction", "p", "--out"])
        .arg(&out)
        .args(["--log-to", &format!("{model}/1"), "-o", "json"])
        .env("MODELDECK_LOG_DIR", home.0.join("logs"))
        .env("MODELDECK_DATA_DIR", home.0.join("data"))
        .env("MODELDECK_CONFIG", home.0.join("no-such-config.toml"))
        .env("HOME", &home.0)
        .env("MLFLOW_TRACKING_URI", &uri)
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .env_remove("KUBECONFIG")
        .env_remove("PROMETHEUS_URL")
        .env_remove("MODELDECK_PROFILE")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["logged"]["artifact"],
        "modeldeck/reference_profile.json"
    );
    assert_eq!(doc["logged"]["version"], "1");

    let client = modeldeck_mlflow::MlflowClient::new(
        modeldeck_mlflow::MlflowConfig::new(&uri, modeldeck_mlflow::Auth::None).unwrap(),
    )
    .unwrap();
    let reg = modeldeck_mlflow::MlflowRegistry::new(client);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let stored = rt.block_on(reg.reference_profile(&model, "1")).unwrap();
    assert_eq!(stored, Some(read_profile(&out)));

    // An unknown version: the registry's not_found, exit 3, nothing logged.
    // It is asked before the file is read: no profile is written either.
    let never = dir.0.join("never.json");
    let r: Run = Command::new(BIN)
        .args(["profile", "build", "--from"])
        .arg(&csv)
        .arg("--out")
        .arg(&never)
        .args(["--log-to", &format!("{model}/9")])
        .env("MODELDECK_LOG_DIR", home.0.join("logs"))
        .env("MODELDECK_CONFIG", home.0.join("no-such-config.toml"))
        .env("HOME", &home.0)
        .env("MLFLOW_TRACKING_URI", &uri)
        .env_remove("KUBECONFIG")
        .env_remove("PROMETHEUS_URL")
        .env_remove("MODELDECK_PROFILE")
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 3, "{} {}", r.stdout, r.stderr);
    assert!(!never.exists());
}

#[test]
fn log_to_works_on_the_simulated_registry() {
    let dir = TempDir::new("prof-sandbox");
    let csv = training_csv(&dir);
    let r = run_in(
        &dir,
        &[
            "--sandbox",
            "profile",
            "build",
            "--from",
            csv.to_str().unwrap(),
            "--prediction",
            "p",
            "--log-to",
            "fraud-detector/8",
            "-o",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["logged"]["model"], "fraud-detector");
    assert!(doc["out"].is_null());
    // The next command in the same simulated world sees the tag.
    let r = run_in(
        &dir,
        &["--sandbox", "versions", "fraud-detector", "-o", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let v8 = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == "8")
        .unwrap();
    assert_eq!(
        v8["tags"]["modeldeck.reference_profile"],
        "modeldeck/reference_profile.json"
    );
    // ... and `drift` reads the logged profile back (its digest, its features).
    let r = run_in(
        &dir,
        &[
            "--sandbox",
            "drift",
            "fraud-detector",
            "--version",
            "8",
            "-o",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(d["reference"]["digest"], doc["source_digest"]);
    assert_eq!(d["reference"]["rows"], 1000);
    let names: Vec<&str> = d["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["feature"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x", "k"]);
    let r = run_in(
        &dir,
        &[
            "--sandbox",
            "profile",
            "build",
            "--from",
            csv.to_str().unwrap(),
            "--log-to",
            "nobody/1",
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
}
