//! The Job `modeldeck retrain` makes from a CronJob equals the one
//! `kubectl create job --from=cronjob/<name>` makes (kubectl's client-side
//! dry run against the simulated API server, crates/apiserver, reading the
//! same CronJob), apart from the name (ours comes from `generateName`) and
//! our own `modeldeck.io/*` annotations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use k8s_openapi::api::batch::v1::CronJob;
use kube::Api;
use modeldeck_apiserver::Seed;
use modeldeck_core::domain::{RETRAIN_LABEL, RetrainRequest};
use modeldeck_kube::retrain::job_from_cronjob;
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

fn kubectl(kubeconfig: &std::path::Path, cache: &std::path::Path, args: &[&str]) -> Value {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `kubectl` ({e}): this test needs the kubectl binary on PATH")
        });
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Go writes unset struct fields as `null` (`creationTimestamp: null`);
/// absent and null mean the same to a server.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_job_is_the_one_kubectl_create_job_from_cronjob_makes() {
    let cron = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "churn-retrain", "namespace": "ml", "labels": {RETRAIN_LABEL: "churn"}},
        "spec": {"schedule": "0 3 * * *", "suspend": true, "jobTemplate": {
            "metadata": {"labels": {"app": "churn-train", "team": "risk"},
                         "annotations": {"owner": "risk-ml", "cronjob.kubernetes.io/instantiate": "scheduled?"}},
            "spec": {"backoffLimit": 2, "activeDeadlineSeconds": 3600, "template": {
                "metadata": {"labels": {"app": "churn-train"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "train", "image": "train:1",
                         "args": ["--epochs", "3"], "env": [{"name": "MODEL_NAME", "value": "churn"}]}]}}}}}});
    let seed = Seed {
        objects: vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
            cron,
        ],
        ..Seed::default()
    };
    let s = server("lab", seed, true).await;
    let dir = scratch();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]);
    let (kc2, cache) = (kc.clone(), dir.0.join("cache"));
    let mut theirs = tokio::task::spawn_blocking(move || {
        kubectl(
            &kc2,
            &cache,
            &[
                "-n",
                "ml",
                "create",
                "job",
                "x",
                "--from=cronjob/churn-retrain",
                "--dry-run=client",
                "-o",
                "json",
            ],
        )
    })
    .await
    .unwrap();

    strip_nulls(&mut theirs);
    assert_eq!(theirs["metadata"]["name"], "x");
    let c = adapter(kc, Duration::from_secs(10));
    let client = c.client("lab").await.unwrap();
    let cj = Api::<CronJob>::namespaced(client, "ml")
        .get("churn-retrain")
        .await
        .unwrap();
    let req = RetrainRequest {
        model: "churn".into(),
        reason: "drift".into(),
        requested_by: "admin".into(),
        evidence: None,
        dry_run: false,
    };
    let ours = serde_json::to_value(job_from_cronjob(&cj, &req)).unwrap();

    assert_eq!(
        ours["spec"], theirs["spec"],
        "the jobTemplate's spec, unchanged"
    );
    assert_eq!(ours["metadata"]["labels"], theirs["metadata"]["labels"]);
    assert_eq!(
        ours["metadata"]["ownerReferences"],
        theirs["metadata"]["ownerReferences"]
    );
    let mut ann = ours["metadata"]["annotations"].as_object().unwrap().clone();
    ann.retain(|k, _| !k.starts_with("modeldeck.io/"));
    assert_eq!(
        Value::Object(ann),
        theirs["metadata"]["annotations"],
        "the template's annotations over instantiate=manual"
    );
    assert_eq!(ours["metadata"]["generateName"], "churn-retrain-manual-");
    assert_eq!(
        ours["metadata"]["annotations"]["modeldeck.io/reason"],
        "drift"
    );
}

fn kubectl_text(kubeconfig: &std::path::Path, cache: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// kubectl's own Job from `create job --from=cronjob` on the simulated
/// server: the simulated Job controller runs it to completion and `kubectl get job`
/// prints the columns the real server prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_sees_a_job_it_created_from_the_cronjob_complete() {
    let seed = Seed {
        objects: vec![
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": {"name": "nightly", "namespace": "ml"},
                "spec": {"schedule": "0 3 * * *", "suspend": true, "jobTemplate": {"spec": {"template": {
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": "train:1"}]}}}}}}),
        ],
        ..Seed::default()
    };
    let s = server("lab", seed, true).await;
    let dir = scratch();
    let kc = kubeconfig(&dir, "kc", &[s.kubeconfig_entry("admin").unwrap()]);
    let cache = dir.0.join("cache");
    let (kc2, c2) = (kc.clone(), cache.clone());
    let table = tokio::task::spawn_blocking(move || {
        // `kubectl create job` posts protobuf, which the simulated server
        // does not read: post kubectl's own Job as JSON instead.
        let job = kubectl_text(
            &kc2,
            &c2,
            &[
                "-n",
                "ml",
                "create",
                "job",
                "by-hand",
                "--from=cronjob/nightly",
                "--dry-run=client",
                "-o",
                "json",
            ],
        );
        let file = c2.with_file_name("job.json");
        std::fs::write(&file, job).unwrap();
        kubectl_text(&kc2, &c2, &["create", "-f", file.to_str().unwrap()]);
        let mut last = String::new();
        for _ in 0..150 {
            last = kubectl_text(&kc2, &c2, &["-n", "ml", "get", "job", "by-hand"]);
            if last.contains("Complete") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        last
    })
    .await
    .unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
        "{table}"
    );
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(&row[..3], ["by-hand", "Complete", "1/1"], "{table}");
}
