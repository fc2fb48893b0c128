//! Runs, metric history and artifacts against a real MLflow server
//! (`MODELDECK_TEST_MLFLOW_URI`).

mod common;

use common::*;
use modeldeck_core::ErrorCode;
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::{Auth, MlflowClient, MlflowConfig, MlflowRegistry};
use serde_json::{Value, json};

#[tokio::test]
async fn runs_get_keeps_nan_and_infinities() {
    let seed = Seeder::new(&uri());
    let exp = seed.experiment(&unique("runs"), None).await;
    let (run, _) = seed.run(&exp).await;
    seed.metrics(
        &run,
        &[
            ("auc", json!(0.5), 0),
            ("auc", json!(0.91), 1),
            ("loss", json!("NaN"), 0),
            ("up", json!("Infinity"), 0),
            ("down", json!("-Infinity"), 0),
        ],
    )
    .await;
    seed.post(
        "runs/log-batch",
        json!({"run_id": run, "params": [{"key": "lr", "value": "0.1"}],
               "tags": [{"key": "team", "value": "risk"}]}),
    )
    .await;

    let r = client().get_run(&run).await.unwrap();
    assert_eq!(r.info.run_id, run);
    assert_eq!(r.info.experiment_id, exp);
    assert!(
        r.info
            .artifact_uri
            .as_deref()
            .unwrap()
            .starts_with("mlflow-artifacts:/")
    );

    let d = MlflowRegistry::new(client()).get_run(&run).await.unwrap();
    assert_eq!(d.metrics["auc"], 0.91, "runs/get holds the latest value");
    assert!(d.metrics["loss"].is_nan());
    assert_eq!(d.metrics["up"], f64::INFINITY);
    assert_eq!(d.metrics["down"], f64::NEG_INFINITY);
    assert_eq!(d.params["lr"], "0.1");
    assert_eq!(d.tags["team"], "risk");
    assert!(d.tags.contains_key("mlflow.runName"));
    assert_eq!(d.started_at.map(|t| t.0), Some(1_700_000_000_000));
}

#[tokio::test]
async fn metric_history_pages_and_keeps_nan() {
    let seed = Seeder::new(&uri());
    let exp = seed.experiment(&unique("hist"), None).await;
    let (run, _) = seed.run(&exp).await;
    let points: Vec<(&str, Value, i64)> = (0..53)
        .map(|i| {
            let v = if i == 10 {
                json!("NaN")
            } else {
                json!(i as f64 / 100.0)
            };
            ("loss", v, i)
        })
        .collect();
    seed.metrics(&run, &points).await;

    let mut cfg = MlflowConfig::new(&uri(), Auth::None).unwrap();
    cfg.history_page_size = 7; // 8 pages
    let c = MlflowClient::new(cfg).unwrap();
    let page = c.metric_history_page(&run, "loss", None, 7).await.unwrap();
    assert_eq!(page.items.len(), 7);
    assert!(page.next_page_token.is_some());

    let all = c.metric_history(&run, "loss").await.unwrap();
    assert_eq!(all.len(), 53);
    let reg = MlflowRegistry::new(c.clone());
    let pts = reg.metric_history(&run, "loss").await.unwrap();
    assert_eq!(
        pts.iter().map(|p| p.step).collect::<Vec<_>>(),
        (0..53).collect::<Vec<_>>()
    );
    assert!(pts[10].value.is_nan());
    assert_eq!(pts[52].value, 0.52);
    assert_eq!(pts[3].at.0, 1_700_000_000_003);

    assert!(
        c.metric_history(&run, "never-logged")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn server_version_probe() {
    let v = client().server_version().await.unwrap();
    assert!(v.supports_aliases(), "{v}");
    assert!(v.major >= 3, "the test server runs 3.17.2, got {v}");
}

#[tokio::test]
async fn downloads_json_artifacts_through_the_proxy_and_the_server() {
    let seed = Seeder::new(&uri());
    let c = client();
    // Proxied store (the server's default here): upload with PUT, read back.
    let exp = seed.experiment(&unique("art"), None).await;
    let (run, root) = seed.run(&exp).await;
    let rel = root
        .trim_start_matches("mlflow-artifacts:/")
        .trim_start_matches('/');
    let profile = json!({"feature": "amount", "bins": [0.0, 10.5, 99.0], "nan": "NaN"});
    seed.put_artifact(
        &format!("{rel}/reference/profile.json"),
        serde_json::to_vec(&profile).unwrap(),
    )
    .await;
    let got: Value = c
        .download_run_json(&run, "reference/profile.json")
        .await
        .unwrap();
    assert_eq!(got, profile);

    // A version whose source is runs:/<run>/reference resolves through the run.
    let model = unique("art-model");
    seed.model(&model).await;
    let v = seed
        .version(&model, &run, &format!("runs:/{run}/reference"))
        .await;
    let got: Value = c
        .download_version_json(&model, &v, "profile.json")
        .await
        .unwrap();
    assert_eq!(got, profile);
    // A version whose source is the mlflow-artifacts URI itself.
    let v2 = seed
        .version(&model, &run, &format!("{root}/reference"))
        .await;
    let got: Value = c
        .download_version_json(&model, &v2, "profile.json")
        .await
        .unwrap();
    assert_eq!(got, profile);

    let e = c
        .download_run_artifact(&run, "reference/missing.json")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    let e = c
        .download_run_artifact(&run, "../../etc/passwd")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "{e}");

    // A server-local file:// store: files written on disk, served by the server.
    let dir = std::env::temp_dir().join(unique("mdk-art"));
    std::fs::create_dir_all(&dir).unwrap();
    let exp2 = seed
        .experiment(
            &unique("art-file"),
            Some(&format!("file://{}", dir.display())),
        )
        .await;
    let (run2, root2) = seed.run(&exp2).await;
    assert!(root2.starts_with("file://"), "{root2}");
    let local = std::path::PathBuf::from(root2.trim_start_matches("file://")).join("ref");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::write(local.join("p.json"), br#"{"file": true}"#).unwrap();
    let got: Value = c.download_run_json(&run2, "ref/p.json").await.unwrap();
    assert_eq!(got, json!({"file": true}));
    let v3 = seed.version(&model, &run2, &format!("{root2}/ref")).await;
    let got: Value = c
        .download_version_json(&model, &v3, "p.json")
        .await
        .unwrap();
    assert_eq!(got, json!({"file": true}));
    let e = c
        .download_run_json::<Value>(&run2, "ref/none.json")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    std::fs::remove_dir_all(&dir).unwrap();

    // Object storage is not reachable through the server.
    let v4 = seed.version(&model, &run, "s3://bucket/key").await;
    let e = c
        .download_version_artifact(&model, &v4, "x.json")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{e}");
}

#[tokio::test]
async fn artifact_over_the_body_cap_is_too_large() {
    let seed = Seeder::new(&uri());
    let exp = seed.experiment(&unique("big"), None).await;
    let (run, root) = seed.run(&exp).await;
    let rel = root
        .trim_start_matches("mlflow-artifacts:/")
        .trim_start_matches('/');
    seed.put_artifact(&format!("{rel}/big.json"), vec![b' '; 300_000])
        .await;
    let mut cfg = MlflowConfig::new(&uri(), Auth::None).unwrap();
    cfg.max_body_bytes = 100_000;
    let e = MlflowClient::new(cfg)
        .unwrap()
        .download_run_artifact(&run, "big.json")
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::TooLarge, "{e}");
}
