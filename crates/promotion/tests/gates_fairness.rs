//! The fairness gate on the simulated world (the sandbox's registry and
//! its metrics port with `modeldeck_outcome_total`-like outcome counts):
//! the numbers `modeldeck fairness` shows. The demo's credit-scorer
//! approves its 18-25 age band far less often and fails; a model approving
//! its groups alike passes; too few rows, a metrics outage and a model
//! without fairness data are told apart.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use async_trait::async_trait;
use modeldeck_core::console::{Backends, FairnessSource};
use modeldeck_core::domain::{GateResult, GateStatus, ModelVersion, RegisteredModel, RunData};
use modeldeck_core::error::{Backend, PortResult};
use modeldeck_core::ports::Registry;
use modeldeck_promotion::gates::{self, Contenders, SloScope, Target};
use modeldeck_promotion::{Journal, JournalOptions, NewPromotion, Policy, PolicySet, Promotions};
use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};
use std::collections::BTreeMap;
use std::sync::Arc;

const FAIRNESS: &str = "fairness = { spd_max = 0.1, dir_min = 0.8 }";
const CREDIT_LINE: &str =
    "age_band 18-25 SPD -0.27 < -0.1, DIR 0.603 < 0.8 vs 36-50 (live counters, v4, 24h)";

fn virtual_clock() -> ClockMode {
    ClockMode::Virtual {
        start: GENERATED_START,
    }
}

fn demo() -> Sandbox {
    Sandbox::demo_with(42, virtual_clock()).unwrap()
}

/// A lender whose `region` groups are approved at `rates`; v2 is the
/// champion, served by one InferenceService that runs a 20 % canary of v3.
fn lender(rates: &str) -> Sandbox {
    let text = format!(
        r#"
seed = 3

[[clusters]]
name = "c1"
namespaces = ["ns"]

[[models]]
name = "lender"
task = "classifier"
team = "t"
versions = 3
champion = 2
features = ["income", "region"]
[models.drift]
protected = {{ feature = "region", outcome = "approved", rates = {{ {rates} }} }}

[[workloads]]
cluster = "c1"
namespace = "ns"
kind = "inference_service"
name = "lender"
model = "lender"
rps = 40
canary = {{ version = 3, percent = 20 }}
"#
    );
    Sandbox::from_scenario(&text, virtual_clock()).unwrap()
}

fn policy(toml_text: &str) -> Policy {
    let set: PolicySet = toml::from_str(&format!("[default]\n{toml_text}")).unwrap();
    set.validate().unwrap();
    set.default
}

/// Every pre-execution gate for promoting `model` v`candidate` onto all its
/// workloads as they are now.
async fn gates_with(b: &Backends, p: &Policy, model: &str, candidate: &str) -> Vec<GateResult> {
    let v = b.registry.get_version(model, candidate).await.unwrap();
    let m = b.registry.get_model(model).await.unwrap();
    let champion = match m.aliases.get("champion") {
        Some(c) if c != candidate => {
            let cv = b.registry.get_version(model, c).await.unwrap();
            Some((cv.clone(), gates::run_of(b, &cv).await))
        }
        _ => None,
    };
    let c = Contenders {
        candidate: (v.clone(), gates::run_of(b, &v).await),
        champion,
    };
    let targets: Vec<Target> = b
        .cluster
        .list_workloads()
        .await
        .unwrap()
        .into_iter()
        .filter(|w| w.model.as_deref() == Some(model))
        .map(|x| Target {
            workload: x.id,
            canary: x.canary.map(|c| c.version),
            served: x.served_version,
        })
        .collect();
    gates::evaluate(b, p, &c, &targets, SloScope::Canary).await
}

fn fairness(g: &[GateResult]) -> &GateResult {
    g.iter()
        .find(|g| g.name == "fairness")
        .unwrap_or_else(|| panic!("no fairness gate in {g:#?}"))
}

/// `model` v`version` requested to `champion` through the service, with
/// `policy_toml` as the default policy: the request's gates.
async fn request(sb: &Sandbox, policy_toml: &str, model: &str, version: &str) -> Vec<GateResult> {
    let dir = std::env::temp_dir().join(format!(
        "modeldeck-gates-fairness-{}-{model}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let journal = Journal::open(
        dir.join("journal.jsonl"),
        JournalOptions {
            head_key: None,
            fsync: false,
        },
    )
    .unwrap();
    let set: PolicySet = toml::from_str(&format!("[default]\n{policy_toml}")).unwrap();
    set.validate().unwrap();
    let svc = Promotions::new(sb.backends(), set, Arc::new(journal)).with_clock(sb.clock());
    sb.set_identity("alice", &["system:authenticated"]);
    let p = svc
        .request(NewPromotion {
            model: model.into(),
            version: version.into(),
            reason: "fairness review".into(),
            ..NewPromotion::default()
        })
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    p.gates
}

#[tokio::test]
async fn credit_scorer_fails_the_fairness_gate_on_its_youngest_age_band() {
    let sb = demo();
    // A request to make v3 the champion: v4 serves credit-scorer now, and
    // its live outcome counters show the 18-25 band approved at 0.41
    // against 36-50's 0.68.
    let g = request(&sb, FAIRNESS, "credit-scorer", "3").await;
    let f = fairness(&g);
    assert_eq!(f.status, GateStatus::Fail, "{}", f.detail);
    assert_eq!(f.detail, CREDIT_LINE);

    // The same numbers `modeldeck fairness credit-scorer` reads.
    let console = modeldeck_core::Console::new(
        sb.backends(),
        modeldeck_core::ConsoleOptions {
            clock: sb.clock(),
            ..Default::default()
        },
    );
    let view = console
        .fairness("credit-scorer", "4", 86_400_000)
        .await
        .unwrap();
    let live = view
        .attributes
        .iter()
        .find(|r| r.source == FairnessSource::Live)
        .unwrap();
    let a = &live.fairness;
    assert_eq!(
        (
            a.attribute.as_str(),
            a.worst_group.as_deref(),
            a.reference.as_deref()
        ),
        ("age_band", Some("18-25"), Some("36-50"))
    );
    let t = modeldeck_core::drift::text::number;
    assert!(
        f.detail.contains(&format!("SPD {} ", t(a.spd.unwrap())))
            && f.detail.contains(&format!("DIR {} ", t(a.dir.unwrap()))),
        "{} vs {a:?}",
        f.detail
    );
}

#[tokio::test]
async fn a_model_approving_its_groups_alike_passes_on_served_and_canary_traffic() {
    let sb = lender(r#""north" = 0.5, "south" = 0.5, "east" = 0.47"#);
    let g = request(&sb, FAIRNESS, "lender", "3").await;
    let f = fairness(&g);
    assert_eq!(f.status, GateStatus::Pass, "{}", f.detail);
    // The candidate's canary decides (east is 0.03 below north); the served
    // v2 is shown.
    assert_eq!(
        f.detail,
        "region east SPD -0.03 ≥ -0.1, DIR 0.94 ≥ 0.8 vs north (live counters, v3 canary, 24h); \
         for information (not the candidate's): \
         region east SPD -0.03 ≥ -0.1, DIR 0.94 ≥ 0.8 vs north (live counters, v2, 24h)"
    );
    // The same model approving east far less fails on its canary.
    let sb = lender(r#""north" = 0.5, "south" = 0.5, "east" = 0.3"#);
    let g = gates_with(&sb.backends(), &policy(FAIRNESS), "lender", "3").await;
    let f = fairness(&g);
    assert_eq!(f.status, GateStatus::Fail, "{}", f.detail);
    assert!(
        f.detail.starts_with(
            "region east SPD -0.2 < -0.1, DIR 0.6 < 0.8 vs north (live counters, v3 canary, 24h); \
             for information (not the candidate's): region east SPD -0.2 < -0.1"
        ) && f.detail.ends_with("(live counters, v2, 24h)"),
        "{}",
        f.detail
    );
}

#[tokio::test]
async fn too_few_rows_a_metrics_outage_and_no_data_are_told_apart() {
    let sb = demo();
    let b = sb.backends();
    // Groups need more rows than a day holds.
    let p = policy("fairness = { min_rows = 100000000 }");
    let f = gates_with(&b, &p, "credit-scorer", "3").await;
    let f = fairness(&f);
    assert_eq!(f.status, GateStatus::Inconclusive, "{}", f.detail);
    assert!(
        f.detail
            .starts_with("age_band: too few rows to judge, groups need 100000000 (rows: 18-25 ")
            && f.detail.ends_with("(live counters, v4, 24h)"),
        "{}",
        f.detail
    );
    // The last hour holds fewer rows than the day, the same rates.
    let p = policy(&format!("drift_window = \"1h\"\n{FAIRNESS}"));
    let f = gates_with(&b, &p, "credit-scorer", "3").await;
    assert_eq!(
        fairness(&f).detail,
        CREDIT_LINE.replace("24h", "1h"),
        "{}",
        fairness(&f).detail
    );
    // fraud-detector has no protected attribute: nothing to judge.
    let f = gates_with(&b, &policy(FAIRNESS), "fraud-detector", "8").await;
    let f = fairness(&f);
    assert_eq!(f.status, GateStatus::Inconclusive, "{}", f.detail);
    assert_eq!(
        f.detail,
        "no fairness data: candidate v8's run has no fairness.spd.<attribute> or \
         fairness.dir.<attribute> metrics, no outcome counters of v7 over 24h, \
         the metrics backend has no TrustyAI gauges"
    );
    // The metrics backend down: the gate fails with its error.
    sb.set_outage(Backend::Metrics, true);
    let f = gates_with(&b, &policy(FAIRNESS), "credit-scorer", "3").await;
    let f = fairness(&f);
    assert_eq!(f.status, GateStatus::Fail, "{}", f.detail);
    // (The sandbox has no TrustyAI gauges to fail on: only the counters.)
    assert_eq!(
        f.detail,
        "cannot read the outcome counters of v4: metrics unreachable: simulated outage: \
         the sandbox metrics is down (at sandbox://metrics)"
    );
    sb.set_outage(Backend::Metrics, false);
    // Without a fairness rule there is no gate.
    let g = gates_with(&b, &Policy::default(), "credit-scorer", "3").await;
    assert!(g.iter().all(|g| g.name != "fairness"));
}

/// The sandbox's registry with extra metrics on one run.
struct WithRunMetrics(Arc<dyn Registry>, String, BTreeMap<String, f64>);

#[async_trait]
impl Registry for WithRunMetrics {
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
        let mut r = self.0.get_run(run_id).await?;
        if run_id == self.1 {
            r.metrics.extend(self.2.clone());
        }
        Ok(r)
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
        model: &str,
        version: &str,
    ) -> PortResult<Option<modeldeck_core::drift::ReferenceProfile>> {
        self.0.reference_profile(model, version).await
    }
}

#[tokio::test]
async fn fair_run_metrics_a_requester_logged_cannot_pass_against_unfair_production() {
    let sb = demo();
    let mut b = sb.backends();
    let v3 = b.registry.get_version("credit-scorer", "3").await.unwrap();
    let metrics = BTreeMap::from([
        ("fairness.spd.age_band".to_string(), -0.04),
        ("fairness.dir.age_band".to_string(), 0.93),
    ]);
    b.registry = Arc::new(WithRunMetrics(
        b.registry.clone(),
        v3.run_id.clone().unwrap(),
        metrics,
    ));
    let f = gates_with(&b, &policy(FAIRNESS), "credit-scorer", "3").await;
    let f = fairness(&f);
    // v3's own evaluation says fair, but anyone who may write its run can
    // log that: against production's unfair v4 the gate asks a human
    // (inconclusive: execution needs a confirmation), it does not pass.
    assert_eq!(f.status, GateStatus::Inconclusive, "{}", f.detail);
    assert_eq!(
        f.detail,
        format!(
            "{CREDIT_LINE}: the candidate's run metrics say otherwise, but anyone who may \
             write its run can log them; a canary's live numbers decide, or a human; \
             age_band SPD -0.04 ≥ -0.1, DIR 0.93 ≥ 0.8 (MLflow run metrics, v3)"
        )
    );
    // An unfair evaluation fails, naming it first.
    let mut b2 = sb.backends();
    b2.registry = Arc::new(WithRunMetrics(
        b2.registry.clone(),
        v3.run_id.clone().unwrap(),
        BTreeMap::from([("fairness.dir.age_band".to_string(), 0.7)]),
    ));
    let f = gates_with(&b2, &policy(FAIRNESS), "credit-scorer", "3").await;
    let f = fairness(&f);
    assert_eq!(f.status, GateStatus::Fail, "{}", f.detail);
    assert!(
        f.detail
            .starts_with("age_band DIR 0.7 < 0.8 (MLflow run metrics, v3); ")
            && !f.detail.contains("for information"),
        "{}",
        f.detail
    );
    // The older form next to the new one: both parts.
    let p = policy(
        "fairness = { metric = \"fairness.spd.age_band\", max_gap = 0.05, spd_max = 0.3, dir_min = 0.6 }",
    );
    let f = gates_with(&b, &p, "credit-scorer", "3").await;
    let f = fairness(&f);
    assert_eq!(f.status, GateStatus::Pass, "{}", f.detail);
    assert!(
        f.detail
            .starts_with("fairness.spd.age_band -0.04 <= max 0.05; ")
            && f.detail.contains(
                "age_band 18-25 SPD -0.27 ≥ -0.3, DIR 0.603 ≥ 0.6 vs 36-50 (live counters, v4, 24h)"
            ),
        "{}",
        f.detail
    );
}
