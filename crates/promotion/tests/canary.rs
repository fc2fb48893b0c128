//! KServe canary steps on the sandbox: an InferenceService target takes
//! 10 %, then 50 %, then all of the traffic, with the canary SLO gates read
//! at each step; a metrics outage at a step is a failure that compensates
//! (alias and every target back, the canary gone), never a success.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::flows::*;
use common::world::{TEST_POLICY, World};
use modeldeck_core::domain::*;
use modeldeck_promotion::journal::read_path;
use modeldeck_promotion::{ExecuteOptions, PolicySet};

fn canary_policies() -> PolicySet {
    let text = TEST_POLICY.replace(
        "metrics = [{ name = \"ndcg_at_10\", tolerance = 0.01 }]",
        "metrics = [{ name = \"ndcg_at_10\", tolerance = 0.01 }]\ncanary_steps = [10, 50]",
    );
    let set: PolicySet = toml::from_str(&text).unwrap();
    set.validate().unwrap();
    assert_eq!(set.for_model("recsys-ranker").canary_steps, vec![10, 50]);
    set
}

fn isvc() -> WorkloadRef {
    WorkloadRef {
        cluster: "prod-us".into(),
        namespace: "search".into(),
        kind: WorkloadKind::InferenceService,
        name: "recsys-ranker".into(),
    }
}

#[tokio::test]
async fn an_inference_service_steps_ten_fifty_hundred_with_gates_at_each_step() {
    let w = World::demo(42);
    let svc = w.service_under("runner", None, canary_policies());
    let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
    approve(&w, &svc, &id, &["bob"]).await;
    w.act_as("carol");
    let calls = w.ports.calls();
    let r = svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    assert_eq!(r.state, PromotionState::Promoted);
    let cluster_writes: Vec<String> = w
        .ports
        .writes_since(calls)
        .into_iter()
        .filter(|x| x.starts_with("set_canary") || x.starts_with("set_served_version"))
        .collect();
    let t = isvc().to_string();
    let deploy = "prod-eu/search/deploy/recsys-ranker";
    assert_eq!(
        cluster_writes,
        vec![
            format!("set_served_version {deploy}"),
            format!("set_canary {t} 10%"),
            format!("set_canary {t} 50%"),
            format!("set_served_version {t}"),
        ]
    );
    let after = w.workload(&isvc()).await;
    assert_eq!(
        (after.served_version.as_deref(), after.canary),
        (Some("8"), None)
    );
    assert!(all_on(&served(&w, "recsys-ranker", "champion").await, "8"));
    let lines = read_path(svc.journal().path()).unwrap();
    let steps: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l.record.entry.action == "canary.stepped")
        .map(|l| &l.record.entry.after["canary_percent"])
        .collect();
    assert_eq!(steps, vec![10, 50]);
    let gates: Vec<_> = lines
        .iter()
        .filter(|l| l.record.entry.action == "canary.gates")
        .collect();
    assert_eq!(gates.len(), 2);
    for g in gates {
        assert!(
            g.record.entry.outcome.starts_with("ok"),
            "{:?}",
            g.record.entry
        );
        assert!(
            g.record
                .gates
                .iter()
                .any(|x| x.name == "slo:latency_p99" && x.status == GateStatus::Pass),
            "{:?}",
            g.record.gates
        );
    }
    let evs = w.backends().cluster.events(&isvc()).await.unwrap();
    assert!(evs.iter().any(|e| e.reason == "CanaryStepped"), "{evs:#?}");
    assert!(
        evs.iter().any(|e| e.message.contains("50% of traffic")),
        "{evs:#?}"
    );
}

#[tokio::test]
async fn a_metrics_outage_at_a_canary_step_compensates() {
    let w = World::demo(42);
    let svc = w.service_under("runner", None, canary_policies());
    let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
    approve(&w, &svc, &id, &["bob"]).await;
    let before = served(&w, "recsys-ranker", "champion").await;
    w.act_as("carol");
    w.ports.refuse_method(Some("fleet_health"));
    let e = svc
        .execute(&id, ExecuteOptions::default())
        .await
        .unwrap_err();
    w.ports.refuse_method(None);
    assert_eq!(e.code(), "rolled_back", "{e}");
    assert!(
        e.to_string().contains("canary gate failed at 10%")
            && e.to_string().contains("metrics unavailable"),
        "{e}"
    );
    settle(&w, "recsys-ranker").await;
    assert_eq!(served(&w, "recsys-ranker", "champion").await, before);
    assert_eq!(w.workload(&isvc()).await.canary, None, "the canary is gone");
    assert_eq!(
        svc.status(&id).await.unwrap().promotion.state,
        PromotionState::RolledBack
    );
    let lines = read_path(svc.journal().path()).unwrap();
    assert!(
        lines.iter().any(|l| l.record.entry.action == "canary.gates"
            && l.record.entry.outcome.starts_with("failed"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.record.entry.action == "workload.restored"
                && l.record.entry.subject == isvc().to_string())
    );
    svc.journal().verify().unwrap();
}

/// A crash (every call failing from then on, before or after the call took
/// effect) at each port call of a canary execution, then a restart: the
/// restarted execution continues from the step the canary reached or
/// compensates, and the world ends all-new or all-old, canary gone.
#[tokio::test]
async fn a_crash_at_any_call_of_a_canary_execution_resumes_or_compensates() {
    use common::faulty::{FaultMode, FaultPlan, FaultTiming};
    let n = {
        let w = World::demo(42);
        let svc = w.service_under("runner", None, canary_policies());
        let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
        approve(&w, &svc, &id, &["bob"]).await;
        w.act_as("carol");
        let start = w.ports.calls();
        svc.execute(&id, ExecuteOptions::default()).await.unwrap();
        w.ports.calls() - start
    };
    let mut outcomes = std::collections::BTreeMap::new();
    for timing in [FaultTiming::Before, FaultTiming::After] {
        for at in 0..n {
            let w = World::demo(42);
            let svc = w.service_under("runner", None, canary_policies());
            let id = request(&w, &svc, "alice", "recsys-ranker", "8").await;
            approve(&w, &svc, &id, &["bob"]).await;
            let before = served(&w, "recsys-ranker", "champion").await;
            w.act_as("carol");
            w.ports.arm(Some(FaultPlan {
                at: w.ports.calls() + at,
                mode: FaultMode::From,
                timing,
            }));
            let _ = svc.execute(&id, ExecuteOptions::default()).await;
            w.ports.arm(None);
            let svc = w.service_under("runner", None, canary_policies());
            let _ = svc
                .execute(
                    &id,
                    ExecuteOptions {
                        confirm_inconclusive: true,
                        ..ExecuteOptions::default()
                    },
                )
                .await;
            let state = svc.status(&id).await.unwrap().promotion.state;
            settle(&w, "recsys-ranker").await;
            let now = served(&w, "recsys-ranker", "champion").await;
            let isvc_now = w.workload(&isvc()).await;
            let ok = match state {
                PromotionState::Promoted => all_on(&now, "8"),
                PromotionState::RolledBack => now == before,
                other => panic!("{timing:?} crash at call {at} of {n}: still {other:?}"),
            };
            assert!(ok, "{timing:?} crash at call {at}: {state:?} but {now:?}");
            assert_eq!(
                isvc_now.canary, None,
                "{timing:?} crash at call {at}: canary left"
            );
            svc.journal().verify().unwrap();
            *outcomes.entry(format!("{state:?}")).or_insert(0usize) += 1;
        }
    }
    println!("canary execution, a crash at each of {n} calls x 2: {outcomes:?}");
}
