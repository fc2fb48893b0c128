//! Gate judging on fixed inputs: numbers, directions, outages, missing data.

use super::*;
use crate::policy::{MetricRule, Policy};
use modeldeck_core::compare::Direction;
use modeldeck_core::domain::{
    DriftStatus, FeatureDrift, Health, Timestamp, VersionStatus, WorkloadKind,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use std::collections::BTreeMap;

fn version(v: &str) -> ModelVersion {
    ModelVersion {
        model: "fraud".into(),
        version: v.into(),
        run_id: Some(format!("run{v}")),
        source: String::new(),
        status: VersionStatus::Ready,
        aliases: vec![],
        tags: BTreeMap::new(),
        description: None,
        user: None,
        created_at: Timestamp(0),
    }
}

fn run(metrics: &[(&str, f64)]) -> PortResult<Option<RunData>> {
    Ok(Some(RunData {
        metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        ..RunData::default()
    }))
}

fn down(b: Backend) -> BackendError {
    BackendError::new(b, ErrorCode::Unreachable, "connection refused")
}

fn policy() -> Policy {
    Policy {
        metrics: vec![
            MetricRule {
                name: "auc".into(),
                direction: None,
                tolerance: 0.005,
            },
            MetricRule {
                name: "val_loss".into(),
                direction: None,
                tolerance: 0.0,
            },
            MetricRule {
                name: "score".into(),
                direction: Some(Direction::LowerIsBetter),
                tolerance: 0.0,
            },
        ],
        ..Policy::default()
    }
}

fn wl(name: &str) -> WorkloadRef {
    WorkloadRef {
        cluster: "prod".into(),
        namespace: "ml".into(),
        kind: WorkloadKind::Deployment,
        name: name.into(),
    }
}

#[test]
fn metric_gates_are_direction_aware_with_numbers() {
    let c = Contenders {
        candidate: (
            version("7"),
            run(&[("auc", 0.903), ("val_loss", 0.30), ("score", 2.0)]),
        ),
        champion: Some((
            version("6"),
            run(&[("auc", 0.905), ("val_loss", 0.25), ("score", 3.0)]),
        )),
    };
    let g = metric_gates(&policy(), &c);
    assert_eq!(g[0].name, "metric:auc");
    assert_eq!(g[0].status, GateStatus::Pass, "{}", g[0].detail);
    assert!(
        g[0].detail.contains("0.903")
            && g[0].detail.contains("0.905")
            && g[0].detail.contains("within tolerance"),
        "{}",
        g[0].detail
    );
    assert_eq!(g[1].status, GateStatus::Fail, "val_loss went up: worse");
    assert!(
        g[1].detail.contains("lower is better") && g[1].detail.contains("+0.05"),
        "{}",
        g[1].detail
    );
    assert_eq!(
        g[2].status,
        GateStatus::Pass,
        "score override: lower is better"
    );
}

#[test]
fn metric_gates_without_data_are_inconclusive_and_outages_fail() {
    let p = policy();
    let c = Contenders {
        candidate: (version("7"), run(&[("auc", 0.9)])),
        champion: Some((version("6"), run(&[("auc", 0.8)]))),
    };
    let g = metric_gates(&p, &c);
    assert_eq!(g[1].status, GateStatus::Inconclusive, "{}", g[1].detail);
    let c = Contenders {
        candidate: (version("7"), Err(down(Backend::Registry))),
        champion: None,
    };
    assert!(
        metric_gates(&p, &c)
            .iter()
            .all(|g| g.status == GateStatus::Fail)
    );
    let c = Contenders {
        candidate: (version("7"), run(&[("auc", 0.9)])),
        champion: None,
    };
    let g = metric_gates(&p, &c);
    assert_eq!(g[0].status, GateStatus::Pass);
    assert!(g[0].detail.contains("no champion"));
    let c = Contenders {
        candidate: (version("7"), run(&[("auc", f64::NAN)])),
        champion: Some((version("6"), run(&[("auc", 0.8)]))),
    };
    assert_eq!(metric_gates(&p, &c)[0].status, GateStatus::Inconclusive);
}

#[test]
fn drift_gate_takes_the_worst_feature() {
    let p = Policy::default();
    let f = |n: &str, psi: f64| FeatureDrift {
        feature: n.into(),
        psi,
        status: DriftStatus::Ok,
    };
    let g = drift_gate(
        &p,
        &[
            (wl("a"), Ok(vec![f("amount", 0.05), f("country", 0.31)])),
            (wl("b"), Ok(vec![f("x", 0.1)])),
        ],
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.detail.contains("0.31") && g.detail.contains("country") && g.detail.contains("0.25"),
        "{}",
        g.detail
    );
    let g = drift_gate(
        &p,
        &[
            (wl("a"), Ok(vec![f("amount", 0.05)])),
            (wl("b"), Ok(vec![])),
        ],
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive);
    let g = drift_gate(&p, &[(wl("a"), Err(down(Backend::Metrics)))]).unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(g.detail.contains("unavailable"));
    let g = drift_gate(&p, &[(wl("a"), Ok(vec![f("amount", 0.05)]))]).unwrap();
    assert_eq!(g.status, GateStatus::Pass);
}

#[test]
fn slo_gates_judge_each_scoped_workload() {
    let p = Policy::default();
    let h = |p99: Option<f64>, err: Option<f64>, rate: Option<f64>| Health {
        latency_p99: p99,
        error_ratio: err,
        request_rate: rate,
        ..Health::default()
    };
    let ok = Ok(BTreeMap::from([(
        wl("a"),
        h(Some(0.2), Some(0.001), Some(10.0)),
    )]));
    let g = slo_gates(&p, &[wl("a")], &ok, SloScope::Canary, "7");
    assert!(g.iter().all(|g| g.status == GateStatus::Pass), "{g:?}");
    assert!(
        g[0].detail.contains("0.2s") && g[0].detail.contains("0.5s"),
        "{}",
        g[0].detail
    );
    let bad = Ok(BTreeMap::from([(
        wl("a"),
        h(Some(0.9), Some(0.2), Some(10.0)),
    )]));
    assert!(
        slo_gates(&p, &[wl("a")], &bad, SloScope::PostDeploy, "7")
            .iter()
            .all(|g| g.status == GateStatus::Fail)
    );
    let idle = Ok(BTreeMap::from([(
        wl("a"),
        h(Some(0.1), Some(0.0), Some(0.0)),
    )]));
    assert!(
        slo_gates(&p, &[wl("a")], &idle, SloScope::Canary, "7")
            .iter()
            .all(|g| g.status == GateStatus::Inconclusive)
    );
    let absent = Ok(BTreeMap::new());
    assert!(
        slo_gates(&p, &[wl("a")], &absent, SloScope::Canary, "7")
            .iter()
            .all(|g| g.status == GateStatus::Inconclusive)
    );
    let outage = Err(down(Backend::Metrics));
    assert!(
        slo_gates(&p, &[wl("a")], &outage, SloScope::PostDeploy, "7")
            .iter()
            .all(|g| g.status == GateStatus::Fail)
    );
    let none = slo_gates(&p, &[], &Ok(BTreeMap::new()), SloScope::Canary, "7");
    assert!(
        none.iter()
            .all(|g| g.status == GateStatus::Pending && g.detail.contains("no live canary of v7"))
    );
}

#[test]
fn digest_changes_with_any_gate_value() {
    let a = vec![super::gate("x", GateStatus::Pass, "auc 0.9")];
    let mut b = a.clone();
    assert_eq!(digest(&a), digest(&b));
    b[0].detail = "auc 0.8".into();
    assert_ne!(digest(&a), digest(&b));
    assert_eq!(num(0.25), "0.25");
    assert_eq!(num(0.0), "0");
    assert_eq!(num(12.0), "12");
}
