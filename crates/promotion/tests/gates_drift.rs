//! The drift and data-quality gates on the simulated demo world (the
//! sandbox's registry with reference profiles and its metrics port with
//! live feature distributions): the same numbers `modeldeck drift` shows.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use async_trait::async_trait;
use modeldeck_core::console::Backends;
use modeldeck_core::domain::{GateResult, GateStatus, ModelVersion, RegisteredModel, RunData};
use modeldeck_core::error::{Backend, PortResult};
use modeldeck_core::ports::Registry;
use modeldeck_promotion::gates::{self, Contenders, SloScope, Target};
use modeldeck_promotion::{Journal, JournalOptions, NewPromotion, Policy, PolicySet, Promotions};
use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};
use std::sync::Arc;

struct World(Sandbox);

impl World {
    fn demo(seed: u64) -> World {
        World(
            Sandbox::demo_with(
                seed,
                ClockMode::Virtual {
                    start: GENERATED_START,
                },
            )
            .unwrap(),
        )
    }
    fn backends(&self) -> Backends {
        self.0.backends()
    }
    async fn alias(&self, model: &str, alias: &str) -> Option<String> {
        let m = self.backends().registry.get_model(model).await.unwrap();
        m.aliases.get(alias).cloned()
    }
    async fn workloads_of(&self, model: &str) -> Vec<modeldeck_core::domain::Workload> {
        let all = self.backends().cluster.list_workloads().await.unwrap();
        all.into_iter()
            .filter(|w| w.model.as_deref() == Some(model))
            .collect()
    }
}

fn policy(toml_text: &str) -> Policy {
    let set: PolicySet = toml::from_str(&format!("[default]\n{toml_text}")).unwrap();
    set.validate().unwrap();
    set.default
}

/// Every gate for promoting `model` v`candidate` onto all its workloads as
/// they are now.
async fn gates_for(w: &World, p: &Policy, model: &str, candidate: &str) -> Vec<GateResult> {
    gates_with(&w.backends(), w, p, model, candidate).await
}

async fn gates_with(
    b: &Backends,
    w: &World,
    p: &Policy,
    model: &str,
    candidate: &str,
) -> Vec<GateResult> {
    let b = b.clone();
    let v = b.registry.get_version(model, candidate).await.unwrap();
    let champion = w.alias(model, "champion").await;
    let champion = match champion {
        Some(c) if c != candidate => {
            let cv = b.registry.get_version(model, &c).await.unwrap();
            Some((cv.clone(), gates::run_of(&b, &cv).await))
        }
        _ => None,
    };
    let c = Contenders {
        candidate: (v.clone(), gates::run_of(&b, &v).await),
        champion,
    };
    let mut targets = Vec::new();
    for x in w.workloads_of(model).await {
        targets.push(Target {
            workload: x.id,
            canary: x.canary.map(|c| c.version),
            served: x.served_version,
        });
    }
    gates::evaluate(&b, p, &c, &targets, SloScope::Canary).await
}

fn named<'a>(g: &'a [GateResult], name: &str) -> &'a GateResult {
    g.iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("no {name} gate in {g:#?}"))
}

/// The sandbox's registry with no reference profile for any version.
struct NoProfiles(Arc<dyn Registry>);

#[async_trait]
impl Registry for NoProfiles {
    fn describe(&self) -> String {
        self.0.describe()
    }
    async fn list_models(&self) -> PortResult<Vec<RegisteredModel>> {
        self.0.list_models().await
    }
    async fn get_model(&self, model: &str) -> PortResult<RegisteredModel> {
        self.0.get_model(model).await
    }
    async fn list_versions(&self, model: &str) -> PortResult<Vec<ModelVersion>> {
        self.0.list_versions(model).await
    }
    async fn get_version(&self, model: &str, version: &str) -> PortResult<ModelVersion> {
        self.0.get_version(model, version).await
    }
    async fn get_run(&self, run_id: &str) -> PortResult<RunData> {
        self.0.get_run(run_id).await
    }
    async fn set_alias(&self, model: &str, alias: &str, version: &str) -> PortResult<()> {
        self.0.set_alias(model, alias, version).await
    }
    async fn delete_alias(&self, model: &str, alias: &str) -> PortResult<()> {
        self.0.delete_alias(model, alias).await
    }
    async fn set_version_tag(
        &self,
        model: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> PortResult<()> {
        self.0.set_version_tag(model, version, key, value).await
    }
    async fn delete_version_tag(&self, model: &str, version: &str, key: &str) -> PortResult<()> {
        self.0.delete_version_tag(model, version, key).await
    }
    async fn reference_profile(
        &self,
        _model: &str,
        _version: &str,
    ) -> PortResult<Option<modeldeck_core::drift::ReferenceProfile>> {
        Ok(None)
    }
}

#[tokio::test]
async fn demand_forecaster_fails_the_drift_gate_on_lag_7d_by_wasserstein() {
    let w = World::demo(42);
    let g = gates_for(&w, &Policy::default(), "demand-forecaster", "6").await;
    let d = named(&g, "drift");
    assert_eq!(d.status, GateStatus::Fail, "{}", d.detail);
    // The same numbers `modeldeck drift demand-forecaster` shows for v5,
    // the version both targets serve (the candidate v6 has no traffic yet).
    assert!(
        d.detail.starts_with(
            "lag_7d wasserstein 1.48 ≥ 0.1 on prod-eu/commerce/deploy/demand-forecaster, \
             prod-us/commerce/deploy/demand-forecaster (v5, 24h), 2 of 7 features drift"
        ),
        "{}",
        d.detail
    );
    let console = modeldeck_core::Console::new(
        w.backends(),
        modeldeck_core::ConsoleOptions {
            clock: w.0.clock(),
            ..Default::default()
        },
    );
    let view = console
        .drift("demand-forecaster", "5", 86_400_000)
        .await
        .unwrap();
    let worst = view.report.worst().unwrap();
    assert_eq!(worst.feature, "lag_7d");
    let s = worst.score.unwrap();
    assert!(
        d.detail
            .contains(&modeldeck_core::drift::text::number(s.value))
    );
    assert_eq!(s.method.label(), "wasserstein");

    // Judged as a dataset (Evidently's share of drifted columns): 2 of 7
    // is under the profile's 0.5, so the gate passes and says why.
    let p = policy("drift_fail_on = \"dataset\"");
    let g = gates_for(&w, &p, "demand-forecaster", "6").await;
    let d = named(&g, "drift");
    assert_eq!(d.status, GateStatus::Pass, "{}", d.detail);
    assert!(
        d.detail.contains("lag_7d wasserstein 1.48 ≥ 0.1")
            && d.detail.contains("share 0.286 < dataset threshold 0.5"),
        "{}",
        d.detail
    );
}

#[tokio::test]
async fn a_seasonal_model_passes_and_a_canary_is_judged_on_its_own_profile() {
    let w = World::demo(42);
    let g = gates_for(&w, &Policy::default(), "eta-predictor", "5").await;
    let d = named(&g, "drift");
    assert_eq!(d.status, GateStatus::Pass, "{}", d.detail);
    assert!(d.detail.contains("0 of 6 features drift"), "{}", d.detail);
    // search-ranker's prod-us target runs a canary of v6: its traffic is
    // judged against v6's profile, next to the stable v5 traffic.
    let g = gates_for(&w, &Policy::default(), "search-ranker", "6").await;
    let d = named(&g, "drift");
    assert_eq!(d.status, GateStatus::Pass, "{}", d.detail);
    assert!(
        d.detail.contains("(v5, 24h)")
            && d.detail
                .contains("on prod-us/search/isvc/search-ranker (v6 canary, 24h)"),
        "{}",
        d.detail
    );
}

#[tokio::test]
async fn fraud_detectors_missing_value_incident_fails_data_quality_in_its_window() {
    let w = World::demo(42);
    // The incident: device_risk_score missing in 35 % of rows from 5 h to
    // 2 h ago. Over 24 h that is about 4.9 %.
    let p = policy("data_quality = { missing_rate_max = 0.02, missing_increase_max = 0.03 }");
    let g = gates_for(&w, &p, "fraud-detector", "8").await;
    let q = named(&g, "data_quality");
    assert_eq!(q.status, GateStatus::Fail, "{}", q.detail);
    assert!(
        q.detail.starts_with(
            "device_risk_score missing 4.89% (reference 0.58%) > 2%, \
             device_risk_score missing rise 4.89% (reference 0.58%) = +4.31% > 3%"
        ),
        "{}",
        q.detail
    );
    assert!(q.detail.ends_with("(v7, 24h)"), "{}", q.detail);
    // Its drift gate passes: the values that arrive are distributed as in
    // training.
    assert_eq!(named(&g, "drift").status, GateStatus::Pass);
    // The last hour does not cover the incident.
    let p = policy("drift_window = \"1h\"\ndata_quality = { missing_rate_max = 0.02 }");
    let g = gates_for(&w, &p, "fraud-detector", "8").await;
    let q = named(&g, "data_quality");
    assert_eq!(q.status, GateStatus::Pass, "{}", q.detail);
    assert!(q.detail.ends_with("(v7, 1h)"), "{}", q.detail);
    // 6 h does, and the rate is higher.
    let p = policy("drift_window = \"6h\"\ndata_quality = { missing_rate_max = 0.02 }");
    let q = gates_for(&w, &p, "fraud-detector", "8").await;
    let q = named(&q, "data_quality");
    assert_eq!(q.status, GateStatus::Fail, "{}", q.detail);
    assert!(
        q.detail.starts_with("device_risk_score missing 1"),
        "{}",
        q.detail
    );
    // Without limits there is no data_quality gate.
    let g = gates_for(&w, &Policy::default(), "fraud-detector", "8").await;
    assert!(g.iter().all(|g| g.name != "data_quality"));
}

#[tokio::test]
async fn without_a_profile_the_drift_gate_falls_back_to_psi_gauges_and_says_so() {
    let w = World::demo(42);
    let mut b = w.backends();
    b.registry = Arc::new(NoProfiles(b.registry.clone()));
    let p = policy("drift_max_psi = 0.5\ndata_quality = { missing_rate_max = 0.02 }");
    let g = gates_with(&b, &w, &p, "demand-forecaster", "6").await;
    let d = named(&g, "drift");
    // The sandbox's PSI gauges: temperature is the worst by PSI.
    assert_eq!(d.status, GateStatus::Fail, "{}", d.detail);
    assert!(
        d.detail
            .starts_with("max PSI 1.2104 (feature temperature on ")
            && d.detail
                .ends_with(" > 0.5 (no reference profile of v5: PSI gauges)"),
        "{}",
        d.detail
    );
    let q = named(&g, "data_quality");
    assert_eq!(q.status, GateStatus::Inconclusive, "{}", q.detail);
    assert!(
        q.detail.starts_with("no reference profile on "),
        "{}",
        q.detail
    );
}

#[tokio::test]
async fn a_metrics_outage_fails_the_drift_and_data_quality_gates() {
    let w = World::demo(42);
    w.0.set_outage(Backend::Metrics, true);
    let p = policy("data_quality = { out_of_range_max = 0.05 }");
    let g = gates_for(&w, &p, "demand-forecaster", "6").await;
    for name in ["drift", "data_quality"] {
        let x = named(&g, name);
        assert_eq!(x.status, GateStatus::Fail, "{}", x.detail);
        assert!(
            x.detail
                .starts_with("metrics unavailable for prod-eu/commerce/deploy/demand-forecaster"),
            "{}",
            x.detail
        );
    }
}

#[tokio::test]
async fn a_promotion_request_carries_the_gate_lines() {
    let w = World::demo(42);
    let dir = std::env::temp_dir().join(format!("modeldeck-gates-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = Journal::open(
        dir.join("journal.jsonl"),
        JournalOptions {
            head_key: None,
            fsync: false,
        },
    )
    .unwrap();
    let set: PolicySet = toml::from_str(
        "[default]\ndata_quality = { missing_rate_max = 0.02 }\ndrift_window = \"24h\"",
    )
    .unwrap();
    let svc = Promotions::new(w.backends(), set, Arc::new(journal)).with_clock(w.0.clock());
    w.0.set_identity("alice", &["system:authenticated"]);
    let p = svc
        .request(NewPromotion {
            model: "demand-forecaster".into(),
            version: "6".into(),
            reason: "retrained on recent data".into(),
            ..NewPromotion::default()
        })
        .await
        .unwrap();
    let d = named(&p.gates, "drift");
    assert_eq!(d.status, GateStatus::Fail);
    assert!(
        d.detail.starts_with("lag_7d wasserstein 1.48 ≥ 0.1 on "),
        "{}",
        d.detail
    );
    assert_eq!(named(&p.gates, "data_quality").status, GateStatus::Pass);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_policy_fields_are_named() {
    let err = |text: &str| {
        let r: Result<PolicySet, _> = toml::from_str(&format!("[default]\n{text}"));
        match r {
            Err(e) => e.to_string(),
            Ok(set) => set.validate().unwrap_err(),
        }
    };
    let e = err("drift_window = \"10s\"");
    assert!(
        e.contains("drift_window must be between 1m and 90d, got 10s"),
        "{e}"
    );
    let e = err("drift_window = \"1y\"");
    assert!(e.contains("unknown unit `y`"), "{e}");
    let e = err("drift_fail_on = \"column\"");
    assert!(
        e.contains("unknown variant `column`") && e.contains("feature"),
        "{e}"
    );
    let e = err("data_quality = { missing_rate_max = 1.5 }");
    assert!(
        e.contains(
            "default: data_quality.missing_rate_max must be a rate between 0 and 1, got 1.5"
        ),
        "{e}"
    );
    let e = err("data_quality = { missing_max = 0.1 }");
    assert!(e.contains("unknown field `missing_max`"), "{e}");
    let e = err("data_quality = { out_of_range_max = -0.1 }");
    assert!(e.contains("data_quality.out_of_range_max"), "{e}");
}
