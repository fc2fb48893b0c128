//! Reference profiles as run artifacts against a real MLflow server
//! (`MODELDECK_TEST_MLFLOW_URI`): logged through the artifact proxy and
//! read back equal, no tag is no profile, hostile tags are refused, broken
//! documents are clear errors.

mod common;

use common::*;
use modeldeck_core::ErrorCode;
use modeldeck_core::drift::{
    Distribution, DriftPolicy, FeatureProfile, Method, NumericStats, PROFILE_ARTIFACT,
    PROFILE_SCHEMA, PROFILE_TAG, ReferenceProfile,
};
use modeldeck_core::ports::Registry;
use modeldeck_mlflow::MlflowRegistry;
use serde_json::json;
use std::collections::BTreeMap;

fn profile() -> ReferenceProfile {
    ReferenceProfile {
        schema: PROFILE_SCHEMA,
        created_at: "2026-12-05T10:00:00Z".into(),
        rows: 1000,
        source_digest: Some("sha256:0123abcd".into()),
        features: vec![
            FeatureProfile {
                name: "amount".into(),
                dist: Distribution::Numeric {
                    edges: vec![0.1, 2.5, 1e6 / 3.0],
                    counts: vec![10, 400, 500, 80],
                },
                missing: 10,
                stats: Some(NumericStats {
                    min: -3.25,
                    max: 1.5e7,
                    mean: 0.1 + 0.2,
                    std: 12.0,
                    quantiles: [("0.5".to_string(), 3.2)].into(),
                }),
            },
            FeatureProfile {
                name: "país \"quoted\"".into(),
                dist: Distribution::Categorical {
                    counts: [("ES".to_string(), 600), ("__other__".to_string(), 400)].into(),
                },
                missing: 0,
                stats: None,
            },
        ],
        prediction: Some(FeatureProfile {
            name: "score".into(),
            dist: Distribution::Numeric {
                edges: vec![0.5],
                counts: vec![700, 300],
            },
            missing: 0,
            stats: None,
        }),
        label: None,
        policy: DriftPolicy {
            methods: [("amount".to_string(), Method::Psi)].into(),
            thresholds: BTreeMap::new(),
            dataset_share: Some(0.3),
            ..Default::default()
        },
    }
}

/// A model with one version from a fresh run; returns (model, run id).
async fn model_with_run() -> (String, String) {
    let seed = Seeder::new(&uri());
    let model = unique("prof");
    let run = seed.model_with_versions(&model, 1).await;
    (model, run)
}

#[tokio::test]
async fn a_logged_profile_reads_back_equal() {
    let (model, run) = model_with_run().await;
    let reg = MlflowRegistry::new(client());
    let path = reg
        .log_reference_profile(&model, "1", &profile())
        .await
        .unwrap();
    assert_eq!(path, PROFILE_ARTIFACT);
    let v = reg.get_version(&model, "1").await.unwrap();
    assert_eq!(
        v.tags.get(PROFILE_TAG).map(String::as_str),
        Some(PROFILE_ARTIFACT)
    );
    let got = reg.reference_profile(&model, "1").await.unwrap();
    assert_eq!(got, Some(profile()));

    // The document is a plain run artifact: MLflow's own UI route serves it
    // too (at the server root; 3.17.2 has no ajax-api/2.0/mlflow/get-artifact).
    let seed = Seeder::new(&uri());
    let body = reqwest::get(seed.url(&format!(
        "get-artifact?path={PROFILE_ARTIFACT}&run_uuid={run}"
    )))
    .await
    .unwrap();
    assert!(body.status().is_success(), "{}", body.status());
    let doc: ReferenceProfile = serde_json::from_slice(&body.bytes().await.unwrap()).unwrap();
    assert_eq!(doc, profile());

    // Logging again replaces the document.
    let mut second = profile();
    second.rows = 2000;
    reg.log_reference_profile(&model, "1", &second)
        .await
        .unwrap();
    let got = reg.reference_profile(&model, "1").await.unwrap().unwrap();
    assert_eq!(got.rows, 2000);
}

#[tokio::test]
async fn no_tag_is_no_profile_and_invalid_profiles_are_not_logged() {
    let (model, _) = model_with_run().await;
    let reg = MlflowRegistry::new(client());
    assert_eq!(reg.reference_profile(&model, "1").await.unwrap(), None);
    let e = reg.reference_profile(&model, "99").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");

    let mut bad = profile();
    bad.features[0].dist = Distribution::Numeric {
        edges: vec![2.0, 1.0],
        counts: vec![1, 2, 3],
    };
    let e = reg
        .log_reference_profile(&model, "1", &bad)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "{e}");
    assert!(e.message.contains("\"amount\": edges must increase"), "{e}");
    // nothing was written
    assert_eq!(reg.reference_profile(&model, "1").await.unwrap(), None);
}

#[tokio::test]
async fn hostile_tags_are_refused() {
    let (model, _) = model_with_run().await;
    let reg = MlflowRegistry::new(client());
    for hostile in [
        "../../../etc/passwd",
        "/etc/passwd",
        "modeldeck/../../x.json",
        "..\\..\\x.json",
        "",
    ] {
        reg.set_version_tag(&model, "1", PROFILE_TAG, hostile)
            .await
            .unwrap();
        let e = reg.reference_profile(&model, "1").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedResponse, "{hostile}: {e}");
        assert!(
            e.message.contains(&model)
                && e.message.contains("version 1")
                && e.message.contains("refused"),
            "{hostile}: {e}"
        );
    }
}

#[tokio::test]
async fn broken_documents_are_clear_errors() {
    let (model, run) = model_with_run().await;
    let seed = Seeder::new(&uri());
    let c = client();
    let root = c.get_run(&run).await.unwrap().info.artifact_uri.unwrap();
    let rel = root
        .trim_start_matches("mlflow-artifacts:/")
        .trim_start_matches('/')
        .to_string();
    let reg = MlflowRegistry::new(c);
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("modeldeck/garbage.json", b"{not json".to_vec(), "not a reference profile document"),
        (
            "modeldeck/short.json",
            serde_json::to_vec(&json!({"schema": 1, "created_at": "x", "rows": 1,
                "features": [{"name": "amount", "kind": "numeric", "edges": [1.0, 2.0], "counts": [1]}]}))
            .unwrap(),
            "\"amount\": 2 edges need 3 counts",
        ),
        (
            "modeldeck/future.json",
            serde_json::to_vec(&json!({"schema": 9, "created_at": "x", "rows": 1, "features": []}))
                .unwrap(),
            "schema 9 is not supported",
        ),
    ];
    for (path, bytes, problem) in cases {
        seed.put_artifact(&format!("{rel}/{path}"), bytes).await;
        reg.set_version_tag(&model, "1", PROFILE_TAG, path)
            .await
            .unwrap();
        let e = reg.reference_profile(&model, "1").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedResponse, "{path}: {e}");
        for part in [model.as_str(), "version 1", path, problem] {
            assert!(
                e.message.contains(part),
                "{path}: {part:?} missing from {e}"
            );
        }
    }

    // A tag pointing at nothing: not found, still naming the version.
    reg.set_version_tag(&model, "1", PROFILE_TAG, "modeldeck/missing.json")
        .await
        .unwrap();
    let e = reg.reference_profile(&model, "1").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    assert!(
        e.message.contains(&model) && e.message.contains("version 1"),
        "{e}"
    );
}

#[tokio::test]
async fn a_version_without_a_run_has_nowhere_to_keep_a_profile() {
    let seed = Seeder::new(&uri());
    let model = unique("prof-norun");
    seed.model(&model).await;
    seed.post(
        "model-versions/create",
        json!({"name": model, "source": "s3://bucket/model"}),
    )
    .await;
    let reg = MlflowRegistry::new(client());
    let e = reg
        .log_reference_profile(&model, "1", &profile())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest, "{e}");
    assert!(e.message.contains("no run"), "{e}");
    reg.set_version_tag(&model, "1", PROFILE_TAG, PROFILE_ARTIFACT)
        .await
        .unwrap();
    let e = reg.reference_profile(&model, "1").await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{e}");
    assert!(e.message.contains("no run"), "{e}");
}
