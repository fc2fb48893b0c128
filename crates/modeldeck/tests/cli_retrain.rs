//! `modeldeck retrain` as a user runs it: on the in-process sandbox (the
//! demo world's `demand-forecaster-retrain` CronJob, simulated runs) with
//! the JSON document, the audit entry and `audit verify`, `--follow`, a
//! hostile reason raw in JSON and neutralized in the table, and no
//! pipeline; and against the simulated API server (crates/apiserver, our
//! own stand-in for Kubernetes) through a kubeconfig: a viewer refused with
//! the "refused" exit code and nothing created, an admin's Job followed to
//! success.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{BIN, Run, TempDir, run_in};
use modeldeck_apiserver::resources::ids;
use modeldeck_apiserver::{ApiServer, ServerConfig};
use serde_json::{Value, json};
use std::process::Command;

const HOSTILE: &str = "lag_7d shifted \u{202e}txt.exe\u{1b}[31m\ttoday";

fn parse(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

#[test]
fn retrain_on_the_sandbox_prints_the_run_and_audits_the_drift_numbers() {
    let dir = TempDir::new("retrain");
    let r = run_in(
        &dir,
        &[
            "--sandbox",
            "retrain",
            "demand-forecaster",
            "--reason",
            HOSTILE,
            "-o",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = parse(&r);
    assert_eq!(d["model"], "demand-forecaster");
    assert_eq!(d["reason"], HOSTILE, "JSON carries the raw reason");
    assert_eq!(d["requested_by"], "sandbox-admin");
    assert_eq!(d["dry_run"], false);
    assert_eq!(d["audited"], true);
    assert_eq!(d["source"]["name"], "demand-forecaster-retrain");
    assert_eq!(d["source"]["kind"], "cron_job");
    assert_eq!(
        (
            d["source"]["cluster"].as_str(),
            d["source"]["namespace"].as_str()
        ),
        (Some("prod-eu"), Some("commerce"))
    );
    let name = d["run"]["name"].as_str().unwrap();
    assert!(
        name.starts_with("demand-forecaster-retrain-manual-"),
        "{name}"
    );
    assert_eq!(d["run"]["kind"], "job");
    assert_eq!(d["run"]["phase"], "pending");
    let f = &d["drift"]["features"][0];
    assert_eq!(f["feature"], "lag_7d");
    assert_eq!(f["drifted"], true);
    assert!(
        f["score"].as_f64().unwrap() > f["threshold"].as_f64().unwrap(),
        "{f}"
    );

    let a = parse(&run_in(&dir, &["--sandbox", "audit", "-o", "json"]));
    let entries = a["entries"].as_array().unwrap();
    let e = entries
        .iter()
        .find(|e| e["action"] == "retrain")
        .expect("a retrain entry");
    assert_eq!(e["outcome"], "ok");
    assert_eq!(e["after"]["run"]["name"], name);
    assert_eq!(e["after"]["reason"], HOSTILE);
    assert_eq!(
        e["after"]["drift"], d["drift"],
        "the audit holds the same numbers"
    );
    let v = run_in(&dir, &["--sandbox", "audit", "verify"]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);

    // The table shows the reason neutralized: no bidi override, no escape.
    let t = run_in(
        &dir,
        &[
            "--sandbox",
            "retrain",
            "demand-forecaster",
            "--reason",
            HOSTILE,
            "--dry-run",
        ],
    );
    assert_eq!(t.code, 0, "{}", t.stderr);
    assert!(
        !t.stdout.contains('\u{202e}') && !t.stdout.contains('\u{1b}'),
        "{:?}",
        t.stdout
    );
    assert!(
        t.stdout
            .contains("lag_7d shifted \u{fffd}txt.exe\u{fffd}[31m today"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout
            .contains("would create job/demand-forecaster-retrain-manual-"),
        "{}",
        t.stdout
    );
}

#[test]
fn follow_on_the_sandbox_sees_the_run_succeed_with_its_log() {
    let dir = TempDir::new("retrain-follow");
    let r = run_in(
        &dir,
        &[
            "--sandbox",
            "retrain",
            "demand-forecaster",
            "--reason",
            "drift",
            "--follow",
            "--log-lines",
            "3",
            "-o",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = parse(&r);
    assert_eq!(d["followed"], true);
    assert_eq!(d["run"]["phase"], "succeeded");
    assert_eq!(d["run"]["succeeded"], 1);
    assert!(d["run"]["completed_at"].is_string());
    let log = d["run"]["log_tail"].as_array().unwrap();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log[2]
            .as_str()
            .unwrap()
            .contains("registered a new version of demand-forecaster")
    );
}

#[test]
fn no_labelled_pipeline_is_not_found_naming_the_label() {
    let dir = TempDir::new("retrain-none");
    let r = run_in(
        &dir,
        &[
            "--sandbox",
            "retrain",
            "fraud-detector",
            "--reason",
            "x",
            "-o",
            "json",
        ],
    );
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(parse(&r)["error"]["code"], "not_found");
    assert!(
        r.stderr.contains("modeldeck.io/retrain-for=fraud-detector"),
        "{}",
        r.stderr
    );
    let empty = run_in(
        &dir,
        &["--sandbox", "retrain", "demand-forecaster", "--reason", " "],
    );
    assert_eq!(empty.code, 2, "an empty reason: {}", empty.stderr);
    assert!(
        empty.stderr.contains("the reason is empty"),
        "{}",
        empty.stderr
    );
}

fn cron() -> Value {
    json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "churn-retrain", "namespace": "ml", "labels": {"modeldeck.io/retrain-for": "churn"}},
        "spec": {"schedule": "0 3 * * *", "suspend": true, "jobTemplate": {"spec": {"template": {
            "metadata": {"labels": {"app": "churn-train"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "train", "image": "train:1",
                     "env": [{"name": "MODEL_NAME", "value": "churn"}]}]}}}}}})
}

/// `modeldeck <args>` with only a kubeconfig (no registry, no metrics).
fn run_kube(dir: &TempDir, kubeconfig: &std::path::Path, args: &[&str]) -> Run {
    Command::new(BIN)
        .args(args)
        .env("MODELDECK_LOG_DIR", &dir.0)
        .env("MODELDECK_DATA_DIR", dir.0.join("data"))
        .env("MODELDECK_CONFIG", dir.0.join("no-such-config.toml"))
        .env("HOME", &dir.0)
        .env("KUBECONFIG", kubeconfig)
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("PROMETHEUS_URL")
        .env_remove("MODELDECK_PROFILE")
        .env_remove("MODELDECK_REGISTRY_URL")
        .env_remove("MODELDECK_METRICS_URL")
        .output()
        .unwrap()
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_api_server_a_viewer_is_refused_and_an_admin_follows_the_job() {
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}});
    let s = ApiServer::start(ServerConfig::named("lab").with_objects([ns, cron()]))
        .await
        .unwrap();
    let dir = TempDir::new("retrain-kube");
    let viewer = dir.0.join("viewer.yaml");
    let admin = dir.0.join("admin.yaml");
    s.write_kubeconfig(&viewer, "viewer").unwrap();
    s.write_kubeconfig(&admin, "admin").unwrap();

    let (d2, v2) = (TempDir::new("retrain-kube-v"), viewer.clone());
    let r = tokio::task::spawn_blocking(move || {
        let r = run_kube(
            &d2,
            &v2,
            &["retrain", "churn", "--reason", "drift", "-o", "json"],
        );
        (r, d2)
    })
    .await
    .unwrap()
    .0;
    assert_eq!(r.code, 5, "refused: {}{}", r.stdout, r.stderr);
    for word in [
        "refused",
        "viewer may not create jobs (group batch) in namespace ml on lab",
        "nothing was created",
    ] {
        assert!(
            r.stderr.contains(word),
            "{word:?} missing from: {}",
            r.stderr
        );
    }
    assert!(s.store().all(ids::JOBS).is_empty(), "nothing created");

    let (d3, a3) = (TempDir::new("retrain-kube-a"), admin.clone());
    let r = tokio::task::spawn_blocking(move || {
        run_kube(
            &d3,
            &a3,
            &[
                "retrain",
                "churn",
                "--reason",
                "drift",
                "--follow",
                "--log-lines",
                "2",
                "-o",
                "json",
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = parse(&r);
    assert_eq!(d["run"]["phase"], "succeeded", "{d}");
    assert_eq!(d["requested_by"], "admin");
    assert!(
        d["drift"].is_null() && d["drift_note"].is_string(),
        "no registry, no drift numbers: {d}"
    );
    assert!(
        d["run"]["log_tail"][1]
            .as_str()
            .unwrap()
            .contains("registered a new version of churn"),
        "{d}"
    );
    let jobs = s.store().all(ids::JOBS);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0]["metadata"]["name"], d["run"]["name"]);
    assert_eq!(
        jobs[0]["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    assert_eq!(jobs[0]["status"]["succeeded"], 1);
}
