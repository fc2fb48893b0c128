//! The drift and data-quality gates judged on fixed reports: wording with
//! direction, feature vs dataset failure, fallbacks, outages, limits.

use super::drift_eval::{Outcome, VersionDrift, drift_gate_evaluated, versions_of, versus};
use super::quality::{pct, quality_gate};
use super::*;
use crate::policy::{DataQualityRule, DriftFailOn, Policy};
use modeldeck_core::domain::{DriftStatus, FeatureDrift, Timestamp, WorkloadKind};
use modeldeck_core::drift::{
    DataQuality, DriftReport, FeatureDriftRow, FeatureKind, Method, Score,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};

fn wl(name: &str) -> WorkloadRef {
    WorkloadRef {
        cluster: "prod-eu".into(),
        namespace: "commerce".into(),
        kind: WorkloadKind::Deployment,
        name: name.into(),
    }
}

fn score(method: Method, value: f64, threshold: f64) -> Score {
    let drifted = if method.is_p_value() {
        value < threshold
    } else {
        value >= threshold
    };
    Score {
        method,
        value,
        statistic: None,
        threshold,
        drifted,
    }
}

fn row(name: &str, s: Option<Score>, missing: Option<f64>, oor: Option<f64>) -> FeatureDriftRow {
    FeatureDriftRow {
        feature: name.into(),
        kind: FeatureKind::Numeric,
        score: s,
        quality: DataQuality {
            missing_rate: missing,
            reference_missing_rate: Some(0.005),
            out_of_range_rate: oor,
            unseen_categories: vec![],
        },
        reference_n: 1000.0,
        live_n: 1000.0,
        live_share: vec![0.5, 0.5],
        reference_share: vec![0.01, 0.98, 0.01],
        bins: Vec::<String>::new().into(),
    }
}

fn report(features: Vec<FeatureDriftRow>) -> DriftReport {
    let scored = features.iter().filter(|r| r.score.is_some()).count();
    let drifted = features
        .iter()
        .filter(|r| r.score.is_some_and(|s| s.drifted))
        .count();
    let share = (scored > 0).then(|| drifted as f64 / scored as f64);
    DriftReport {
        at: Timestamp(0),
        window_ms: 86_400_000,
        features,
        prediction: None,
        drifted_share: share,
        dataset_threshold: 0.5,
        dataset_drift: share.is_some_and(|s| s >= 0.5),
    }
}

fn item(version: &str, canary: bool, outcome: Outcome) -> VersionDrift {
    VersionDrift {
        version: Some(version.into()),
        targets: vec![wl("demand-forecaster")],
        canary,
        window_ms: 86_400_000,
        outcome,
    }
}

#[test]
fn scores_are_written_against_their_threshold_in_the_drift_direction() {
    assert_eq!(versus(&score(Method::Wasserstein, 1.48, 0.1)), "1.48 ≥ 0.1");
    assert_eq!(versus(&score(Method::Psi, 0.02, 0.1)), "0.02 < 0.1");
    assert_eq!(versus(&score(Method::Ks, 0.003, 0.05)), "p=0.003 < 0.05");
    assert_eq!(versus(&score(Method::ChiSquare, 0.4, 0.05)), "p=0.4 ≥ 0.05");
    assert_eq!(pct(0.0489), "4.89%");
    assert_eq!(pct(0.0), "0%");
}

#[test]
fn the_drift_gate_names_the_worst_feature_method_target_and_window() {
    let r = report(vec![
        row(
            "temperature",
            Some(score(Method::Wasserstein, 0.4, 0.1)),
            None,
            None,
        ),
        row(
            "lag_7d",
            Some(score(Method::Wasserstein, 1.48, 0.1)),
            None,
            None,
        ),
        row(
            "store",
            Some(score(Method::ChiSquare, 0.6, 0.05)),
            None,
            None,
        ),
        row("promo", Some(score(Method::Ks, 0.5, 0.05)), None, None),
        row("empty", None, None, None),
    ]);
    let p = Policy::default();
    let g = drift_gate_evaluated(
        &p,
        &[item("5", false, Outcome::Report(Box::new(r.clone())))],
        &[],
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(
        g.detail,
        "lag_7d wasserstein 1.48 ≥ 0.1 on prod-eu/commerce/deploy/demand-forecaster (v5, 24h), 2 of 4 features drift"
    );
    // Dataset: 2 of 4 is at the 0.5 share, so it fails too; 1 of 4 passes.
    let p = Policy {
        drift_fail_on: DriftFailOn::Dataset,
        ..Policy::default()
    };
    let g =
        drift_gate_evaluated(&p, &[item("5", false, Outcome::Report(Box::new(r)))], &[]).unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.detail.ends_with(": share 0.5 ≥ dataset threshold 0.5"),
        "{}",
        g.detail
    );
    let one = report(vec![
        row("a", Some(score(Method::Psi, 0.3, 0.1)), None, None),
        row("b", Some(score(Method::Psi, 0.01, 0.1)), None, None),
        row("c", Some(score(Method::Psi, 0.01, 0.1)), None, None),
    ]);
    let g =
        drift_gate_evaluated(&p, &[item("7", true, Outcome::Report(Box::new(one)))], &[]).unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{}", g.detail);
    assert!(
        g.detail.starts_with("a psi 0.3 ≥ 0.1 on prod-eu/commerce/deploy/demand-forecaster (v7 canary, 24h), 1 of 3 features drift: share 0.333 < dataset threshold 0.5"),
        "{}",
        g.detail
    );
    // Nothing to score: inconclusive; no drift_max_psi: no gate.
    let none = report(vec![row("a", None, None, None)]);
    let g = drift_gate_evaluated(
        &Policy::default(),
        &[item("5", false, Outcome::Report(Box::new(none)))],
        &[],
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(
        g.detail.starts_with("no live feature data on "),
        "{}",
        g.detail
    );
    let off = Policy {
        drift_max_psi: None,
        ..Policy::default()
    };
    assert!(drift_gate_evaluated(&off, &[], &[]).is_none());
}

#[test]
fn versions_without_a_profile_fall_back_to_psi_and_the_worst_part_leads() {
    let ok = report(vec![row(
        "a",
        Some(score(Method::Psi, 0.01, 0.1)),
        None,
        None,
    )]);
    let gauges = vec![(
        wl("demand-forecaster"),
        Ok(vec![FeatureDrift {
            feature: "temperature".into(),
            psi: 0.4,
            status: DriftStatus::Drifting,
        }]),
    )];
    let items = [
        item("7", true, Outcome::Report(Box::new(ok))),
        item(
            "5",
            false,
            Outcome::NoProfile("no reference profile".into()),
        ),
    ];
    let g = drift_gate_evaluated(&Policy::default(), &items, &gauges).unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.detail.starts_with(
            "max PSI 0.4 (feature temperature on prod-eu/commerce/deploy/demand-forecaster) > 0.25 (no reference profile of v5: PSI gauges); a psi 0.01 < 0.1"
        ),
        "{}",
        g.detail
    );
    // A failed read fails the gate with its message.
    let items = [item(
        "5",
        false,
        Outcome::Failed("metrics unavailable for x: down".into()),
    )];
    let g = drift_gate_evaluated(&Policy::default(), &items, &[]).unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(g.detail, "metrics unavailable for x: down");
    // A PSI outage on the fallback fails too.
    let items = [item(
        "5",
        false,
        Outcome::NoProfile("no reference profile".into()),
    )];
    let down = vec![(
        wl("demand-forecaster"),
        Err(BackendError::new(
            Backend::Metrics,
            ErrorCode::Unreachable,
            "refused",
        )),
    )];
    let g = drift_gate_evaluated(&Policy::default(), &items, &down).unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.detail.starts_with("metrics unavailable for "),
        "{}",
        g.detail
    );
}

#[test]
fn targets_group_by_served_version_and_the_candidates_canary() {
    let t = |name: &str, served: Option<&str>, canary: Option<&str>| Target {
        workload: wl(name),
        served: served.map(str::to_string),
        canary: canary.map(str::to_string),
    };
    let groups = versions_of(
        &[
            t("a", Some("5"), None),
            t("b", Some("5"), Some("6")),
            t("c", None, Some("4")),
            t("d", Some("6"), Some("6")),
        ],
        "6",
        Some("5"),
    );
    assert_eq!(
        groups,
        vec![
            (Some("5".into()), false, vec![wl("a"), wl("b"), wl("c")]),
            (Some("6".into()), true, vec![wl("b")]),
            (Some("6".into()), false, vec![wl("d")]),
        ]
    );
    let unknown = versions_of(&[t("a", None, None)], "6", None);
    assert_eq!(unknown, vec![(None, false, vec![wl("a")])]);
}

#[test]
fn data_quality_names_the_feature_and_both_rates() {
    let r = report(vec![
        row("amount", None, Some(0.006), Some(0.001)),
        row("device_risk_score", None, Some(0.049), Some(0.03)),
    ]);
    let p = Policy {
        data_quality: DataQualityRule {
            missing_rate_max: Some(0.02),
            missing_increase_max: None,
            out_of_range_max: Some(0.05),
        },
        ..Policy::default()
    };
    let g = quality_gate(&p, &[item("7", false, Outcome::Report(Box::new(r)))]).unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(
        g.detail,
        "device_risk_score missing 4.9% (reference 0.5%) > 2%, device_risk_score out of range 3% (reference 2%) ≤ 5% on prod-eu/commerce/deploy/demand-forecaster (v7, 24h)"
    );
    let rise = Policy {
        data_quality: DataQualityRule {
            missing_increase_max: Some(0.05),
            ..DataQualityRule::default()
        },
        ..Policy::default()
    };
    let r = report(vec![row("x", None, Some(0.03), None)]);
    let g = quality_gate(&rise, &[item("7", false, Outcome::Report(Box::new(r)))]).unwrap();
    assert_eq!(g.status, GateStatus::Pass);
    assert!(
        g.detail
            .starts_with("x missing rise 3% (reference 0.5%) = +2.5% ≤ 5%"),
        "{}",
        g.detail
    );
    // No live data, no profile, an outage; no limits: no gate.
    let r = report(vec![row("x", None, None, None)]);
    let g = quality_gate(&p, &[item("7", false, Outcome::Report(Box::new(r)))]).unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive);
    let g = quality_gate(
        &p,
        &[item(
            "7",
            false,
            Outcome::NoProfile("no reference profile".into()),
        )],
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(g.detail.contains("data quality not measured"));
    let g = quality_gate(
        &p,
        &[item(
            "7",
            false,
            Outcome::Failed("metrics unavailable".into()),
        )],
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(quality_gate(&Policy::default(), &[]).is_none());
    assert_eq!(quality_gate(&p, &[]).unwrap().status, GateStatus::Pending);
}
