//! Generated worlds: sizes match the spec, invariants hold for any seed,
//! rollouts always terminate.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use modeldeck_core::domain::*;
use modeldeck_sandbox::{GenSpec, Sandbox};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::time::Duration;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[tokio::test]
async fn a_benchmark_world_has_the_asked_sizes() {
    let spec = GenSpec::default();
    assert_eq!((spec.workloads, spec.models), (10_000, 1_000));
    let sb = Sandbox::generate(&spec);
    let b = sb.backends();
    assert_eq!(b.cluster.clusters().len(), 3);
    let ws = b.cluster.list_workloads().await.unwrap();
    assert_eq!(ws.len(), 10_000);
    let ids: BTreeSet<&WorkloadRef> = ws.iter().map(|w| &w.id).collect();
    assert_eq!(ids.len(), 10_000, "workload refs are unique");
    let namespaces: BTreeSet<&str> = ws.iter().map(|w| w.id.namespace.as_str()).collect();
    assert_eq!(namespaces.len(), 8);
    let models = b.registry.list_models().await.unwrap();
    assert_eq!(models.len(), 1_000);
    let names: BTreeSet<&str> = models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names.len(), 1_000);
    assert_eq!(
        b.registry
            .list_versions(&models[17].name)
            .await
            .unwrap()
            .len(),
        5
    );
    let kinds: BTreeSet<WorkloadKind> = ws.iter().map(|w| w.id.kind).collect();
    assert_eq!(kinds.len(), 4, "every kind appears");
    assert!(
        ws.iter()
            .any(|w| matches!(w.rollout, RolloutState::Progressing { .. }))
    );
    assert!(ws.iter().any(|w| w.canary.is_some()));
    let targets: Vec<MetricsTarget> = ws.iter().map(MetricsTarget::from).collect();
    assert_eq!(
        b.metrics.fleet_health(&targets).await.unwrap().len(),
        10_000
    );
    let debug = format!("{sb:?}");
    assert!(
        debug.len() < 300 && debug.contains("10000"),
        "a summary, not a dump: {debug}"
    );
}

#[tokio::test]
async fn a_hundred_thousand_workloads_can_be_built_and_listed() {
    let sb = Sandbox::generate(&GenSpec {
        workloads: 100_000,
        ..GenSpec::default()
    });
    let ws = sb.backends().cluster.list_workloads().await.unwrap();
    assert_eq!(ws.len(), 100_000);
}

#[tokio::test]
async fn degenerate_specs_make_small_but_valid_worlds() {
    let sb = Sandbox::generate(&GenSpec {
        seed: 1,
        clusters: 0,
        namespaces: 0,
        models: 0,
        workloads: 50,
        versions_per_model: 0,
    });
    let b = sb.backends();
    assert_eq!(b.cluster.clusters().len(), 1);
    assert!(
        b.cluster.list_workloads().await.unwrap().is_empty(),
        "no models, nothing to serve"
    );
    assert!(b.registry.list_models().await.unwrap().is_empty());
    let sb = Sandbox::generate(&GenSpec {
        seed: 1,
        clusters: 1,
        namespaces: 1,
        models: 1,
        workloads: 3,
        versions_per_model: 0,
    });
    let ws = sb.backends().cluster.list_workloads().await.unwrap();
    assert_eq!(ws.len(), 3);
    assert!(ws.iter().all(|w| w.served_version.as_deref() == Some("1")));
}

fn small_spec() -> impl Strategy<Value = GenSpec> {
    (
        any::<u64>(),
        1usize..4,
        1usize..5,
        1usize..12,
        0usize..60,
        1usize..7,
    )
        .prop_map(
            |(seed, clusters, namespaces, models, workloads, versions_per_model)| GenSpec {
                seed,
                clusters,
                namespaces,
                models,
                workloads,
                versions_per_model,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_served_version_exists_in_the_registry(spec in small_spec()) {
        block_on(async {
            let b = Sandbox::generate(&spec).backends();
            let ws = b.cluster.list_workloads().await.unwrap();
            prop_assert_eq!(ws.len(), spec.workloads);
            for w in &ws {
                let model = w.model.as_deref().unwrap();
                prop_assert_eq!(w.labels.get("modeldeck.io/model").map(String::as_str), Some(model));
                let v = b.registry.get_version(model, w.served_version.as_deref().unwrap()).await;
                prop_assert!(v.is_ok(), "{}: {:?}", w.id, v);
                if let Some(c) = &w.canary {
                    prop_assert!(b.registry.get_version(model, &c.version).await.is_ok());
                }
            }
            for m in b.registry.list_models().await.unwrap() {
                for v in m.aliases.values() {
                    prop_assert!(b.registry.get_version(&m.name, v).await.is_ok());
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn rollouts_always_terminate(spec in small_spec(), picks in proptest::collection::vec((any::<usize>(), any::<u32>()), 1..6)) {
        block_on(async {
            let sb = Sandbox::generate(&spec);
            let b = sb.backends();
            let ws = b.cluster.list_workloads().await.unwrap();
            if ws.is_empty() {
                return Ok(());
            }
            for (i, v) in &picks {
                let w = &ws[i % ws.len()];
                let n = b.registry.list_versions(w.model.as_deref().unwrap()).await.unwrap().len() as u32;
                let version = (v % n + 1).to_string();
                let out = b.cluster.set_served_version(&w.id, &version, None).await.unwrap();
                prop_assert_eq!(out.served_version.as_deref(), Some(version.as_str()));
            }
            // At most 12 replicas, 3 per step of 8 s: a few minutes is plenty.
            sb.advance(Duration::from_secs(600));
            for w in b.cluster.list_workloads().await.unwrap() {
                prop_assert!(
                    matches!(w.rollout, RolloutState::Available | RolloutState::Idle | RolloutState::Suspended),
                    "{} still {:?}", w.id, w.rollout
                );
                prop_assert_eq!(w.ready_replicas, if w.id.kind == WorkloadKind::CronJob { 0 } else { w.desired_replicas });
            }
            Ok(())
        })?;
    }

    #[test]
    fn progress_never_goes_backwards(seed in any::<u64>(), steps in proptest::collection::vec(1u64..20, 1..30)) {
        block_on(async {
            let sb = common::demo(seed);
            let b = sb.backends();
            let target = common::fraud_eu();
            b.cluster.set_served_version(&target, "1", None).await.unwrap();
            let mut last = 0;
            for s in steps {
                sb.advance(Duration::from_secs(s));
                let w = b.cluster.list_workloads().await.unwrap().into_iter().find(|w| w.id == target).unwrap();
                let updated = match w.rollout {
                    RolloutState::Progressing { updated, desired } => {
                        prop_assert!(updated <= desired);
                        updated
                    }
                    RolloutState::Available => w.desired_replicas,
                    other => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
                };
                prop_assert!(updated >= last);
                last = updated;
            }
            Ok(())
        })?;
    }
}
