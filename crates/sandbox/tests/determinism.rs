//! Same seed and clock, same world; another seed, another world.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::*;
use modeldeck_core::domain::MetricsTarget;
use modeldeck_sandbox::{GenSpec, Sandbox};
use serde_json::{Value, json};
use std::time::Duration;

/// Everything the three ports say about a world, as JSON.
async fn dump(sb: &Sandbox) -> Value {
    let b = sb.backends();
    let models = b.registry.list_models().await.unwrap();
    let mut versions = Vec::new();
    for m in &models {
        for v in b.registry.list_versions(&m.name).await.unwrap() {
            let run = b
                .registry
                .get_run(v.run_id.as_deref().unwrap())
                .await
                .unwrap();
            versions.push(json!({ "version": v, "run": run }));
        }
    }
    let workloads = b.cluster.list_workloads().await.unwrap();
    let targets: Vec<MetricsTarget> = workloads.iter().map(MetricsTarget::from).collect();
    let health: Vec<Value> = b
        .metrics
        .fleet_health(&targets)
        .await
        .unwrap()
        .into_iter()
        .map(|(k, v)| json!([k, v]))
        .collect();
    let mut drift = Vec::new();
    for t in &targets {
        drift.push(serde_json::to_value(b.metrics.feature_drift(t).await.unwrap()).unwrap());
    }
    json!({ "models": models, "versions": versions, "workloads": workloads, "health": health, "drift": drift })
}

#[tokio::test]
async fn the_same_seed_gives_the_same_demo_world() {
    let (a, b) = (demo(42), demo(42));
    a.advance(Duration::from_secs(4321));
    b.advance(Duration::from_secs(4321));
    assert_eq!(dump(&a).await, dump(&b).await);
}

#[tokio::test]
async fn another_seed_gives_another_demo_world_of_the_same_shape() {
    let (a, b) = (dump(&demo(42)).await, dump(&demo(7)).await);
    assert_ne!(a["versions"], b["versions"]);
    assert_ne!(a["health"], b["health"]);
    // The scenario fixes the shape: names, counts, aliases.
    let names = |d: &Value| -> Vec<String> {
        d["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].to_string())
            .collect()
    };
    assert_eq!(names(&a), names(&b));
    assert_eq!(
        a["models"].as_array().unwrap().len(),
        b["models"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn the_same_writes_give_the_same_world() {
    let (a, b) = (demo(3), demo(3));
    for sb in [&a, &b] {
        sb.backends()
            .cluster
            .set_served_version(&fraud_eu(), "8", None)
            .await
            .unwrap();
        sb.advance(Duration::from_secs(10));
        sb.backends()
            .registry
            .set_alias("fraud-detector", "champion", "8")
            .await
            .unwrap();
        sb.advance(Duration::from_secs(50));
    }
    let (da, db) = (dump(&a).await, dump(&b).await);
    assert_eq!(da, db);
    assert_eq!(
        a.backends().cluster.events(&fraud_eu()).await.unwrap(),
        b.backends().cluster.events(&fraud_eu()).await.unwrap()
    );
}

#[tokio::test]
async fn generated_worlds_are_deterministic_too() {
    let spec = GenSpec {
        seed: 9,
        clusters: 2,
        namespaces: 3,
        models: 20,
        workloads: 60,
        versions_per_model: 4,
    };
    let (a, b) = (Sandbox::generate(&spec), Sandbox::generate(&spec));
    assert_eq!(dump(&a).await, dump(&b).await);
    let c = Sandbox::generate(&GenSpec { seed: 10, ..spec });
    assert_ne!(dump(&a).await["versions"], dump(&c).await["versions"]);
}

mod any_seed {
    use super::dump;
    use modeldeck_sandbox::{GenSpec, Sandbox};
    use proptest::prelude::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn any_seed_rebuilds_identically_and_differs_from_its_neighbour(seed in any::<u64>()) {
            let spec = GenSpec { seed, clusters: 2, namespaces: 2, models: 4, workloads: 12, versions_per_model: 3 };
            let (a, b) = block_on(async {
                (dump(&Sandbox::generate(&spec)).await, dump(&Sandbox::generate(&spec)).await)
            });
            prop_assert_eq!(&a, &b);
            let c = block_on(dump(&Sandbox::generate(&GenSpec { seed: seed.wrapping_add(1), ..spec })));
            prop_assert_ne!(&a["versions"], &c["versions"]);
        }
    }
}
