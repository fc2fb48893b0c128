//! `modeldeck sandbox seed-registry` against the real MLflow that
//! scripts/test.sh starts (`MODELDECK_TEST_MLFLOW_URI`; a missing one
//! fails): the simulated demo world's models, versions, runs, aliases and
//! reference profiles land in MLflow and read back through the MLflow
//! adapter as the sandbox has them; a second run (the CLI itself) creates
//! nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_app::seed_registry::{SEED_VERSION_TAG, mlflow_at, seed_registry};
use modeldeck_core::drift::PROFILE_TAG;
use modeldeck_core::ports::Registry;
use modeldeck_sandbox::{ClockMode, DEMO_SEED, GENERATED_START, Sandbox};
use std::collections::BTreeMap;
use std::process::Command;

fn mlflow_uri() -> String {
    match std::env::var("MODELDECK_TEST_MLFLOW_URI") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => panic!(
            "MODELDECK_TEST_MLFLOW_URI is not set: this test needs a real MLflow. Run \
             scripts/test.sh, or eval \"$(scripts/services/mlflow.sh start dev)\""
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_registry_lands_in_a_real_mlflow_once() {
    let uri = mlflow_uri();
    // A fixed start: the same world (timestamps included) on every run,
    // so a rerun against the same MLflow compares equal.
    let start = ClockMode::Virtual {
        start: GENERATED_START,
    };
    let sb = Sandbox::demo_with(DEMO_SEED, start).unwrap();
    let source = sb.backends().registry;
    let target = mlflow_at(&uri, &BTreeMap::new()).unwrap();
    let first = seed_registry(source.as_ref(), &target).await.unwrap();
    let mut total = 0;
    let models = source.list_models().await.unwrap();
    for m in &models {
        total += source.list_versions(&m.name).await.unwrap().len();
    }
    assert_eq!(first.models, models.len());
    // A test MLflow seeded before (an earlier run) holds them already.
    assert_eq!(first.versions_created + first.versions_present, total);
    assert!(first.renumbered.is_empty(), "{:?}", first.renumbered);

    // Every model: same aliases; every version: same number, run params
    // and metrics, tags, and the reference profile where the sandbox has one.
    let mut profiles = 0;
    for m in &models {
        let theirs = target.get_model(&m.name).await.unwrap();
        assert_eq!(theirs.aliases, m.aliases, "{}", m.name);
        assert_eq!(theirs.description, m.description, "{}", m.name);
        for v in source.list_versions(&m.name).await.unwrap() {
            let got = target.get_version(&m.name, &v.version).await.unwrap();
            assert_eq!(got.tags.get(SEED_VERSION_TAG), Some(&v.version));
            for (k, val) in &v.tags {
                assert_eq!(
                    got.tags.get(k),
                    Some(val),
                    "{} v{} tag {k}",
                    m.name,
                    v.version
                );
            }
            let run = target
                .get_run(got.run_id.as_deref().unwrap())
                .await
                .unwrap();
            let own = source.get_run(v.run_id.as_deref().unwrap()).await.unwrap();
            assert_eq!(run.params, own.params, "{} v{}", m.name, v.version);
            for (k, x) in own.metrics.iter().filter(|(_, x)| x.is_finite()) {
                let y = run.metrics[k];
                assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{k}: {x} vs {y}");
            }
            if v.tags.contains_key(PROFILE_TAG) {
                let ours = source.reference_profile(&m.name, &v.version).await.unwrap();
                let read = target.reference_profile(&m.name, &v.version).await.unwrap();
                assert!(read.is_some());
                assert_eq!(read, ours, "{} v{}", m.name, v.version);
                profiles += 1;
            }
        }
    }
    assert!(profiles >= 12, "{profiles}");

    // Twice: the CLI finds every version and creates none.
    let home = std::env::temp_dir().join(format!("modeldeck-seed-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(["sandbox", "seed-registry", &uri])
        .env("HOME", &home)
        .env("MODELDECK_LOG_DIR", home.join("logs"))
        .env("MODELDECK_CONFIG", home.join("none.toml"))
        .env_remove("MLFLOW_TRACKING_URI")
        .env_remove("MLFLOW_TRACKING_TOKEN")
        .env_remove("MLFLOW_TRACKING_USERNAME")
        .env_remove("MLFLOW_TRACKING_PASSWORD")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "0 versions created, {total} already present, 0 reference profiles"
        )),
        "{stdout}"
    );
    for m in &models {
        let n = target.list_versions(&m.name).await.unwrap().len();
        let own = source.list_versions(&m.name).await.unwrap().len();
        assert_eq!(n, own, "{}", m.name);
    }
}

/// A URL MLflow cannot be reached at is named, exit 1, no panic.
#[test]
fn an_unreachable_mlflow_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = std::env::temp_dir().join(format!("modeldeck-seed-bad-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let out = Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(["sandbox", "seed-registry", &url])
        .env("HOME", &home)
        .env("MODELDECK_LOG_DIR", home.join("logs"))
        .env("MODELDECK_CONFIG", home.join("none.toml"))
        .env("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let bad = Command::new(env!("CARGO_BIN_EXE_modeldeck"))
        .args(["sandbox", "seed-registry", "ftp://x"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ftp"), "{stderr}");
}
