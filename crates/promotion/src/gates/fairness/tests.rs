//! The fairness gate's judging on fixed inputs (the policy's forms: policy_tests.rs).

use super::*;
use modeldeck_core::domain::{Timestamp, VersionStatus};
use modeldeck_core::drift::fairness::{
    self, FairnessGauge, FairnessPolicy, OutcomeCount, OutcomeSample,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use std::collections::BTreeMap;

const DAY: i64 = 86_400_000;

fn version(v: &str) -> ModelVersion {
    ModelVersion {
        model: "credit".into(),
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

/// Counters with `rows` per group and `rate` approved, as
/// `modeldeck_outcome_total` gives them over a day.
fn sample(attribute: &str, groups: &[(&str, f64, f64)]) -> OutcomeSample {
    let mut counts = Vec::new();
    for (g, rate, rows) in groups {
        for (outcome, n) in [
            ("approved", rows * rate),
            ("not_approved", rows * (1.0 - rate)),
        ] {
            counts.push(OutcomeCount {
                attribute: attribute.into(),
                group: (*g).into(),
                outcome: outcome.into(),
                count: n,
            });
        }
    }
    OutcomeSample {
        at: Timestamp(0),
        window_ms: DAY,
        counts,
    }
}

/// The demo's credit-scorer age bands.
const AGE_BANDS: &[(&str, f64, f64)] = &[
    ("18-25", 0.41, 1000.0),
    ("26-35", 0.62, 2000.0),
    ("36-50", 0.68, 3000.0),
    ("51-65", 0.66, 1500.0),
    ("65+", 0.55, 500.0),
];

fn live(version: &str, reading: Reading) -> Evidence {
    Evidence {
        place: Place::Live {
            version: version.into(),
            canary: false,
            window_ms: DAY,
        },
        reading,
    }
}

pub(super) fn thresholds() -> FairnessPolicy {
    FairnessPolicy {
        spd_max: Some(0.1),
        dir_min: Some(0.8),
        ..FairnessPolicy::default()
    }
}

#[test]
fn credit_scorers_youngest_band_fails_with_its_numbers_and_reference() {
    let r = read_sample(&sample("age_band", AGE_BANDS), "4", &thresholds());
    let g = judge_gate(&[live("4", r)], "9").unwrap();
    assert_eq!(g.name, "fairness");
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(
        g.detail,
        "age_band 18-25 SPD -0.27 < -0.1, DIR 0.603 < 0.8 vs 36-50 (live counters, v4, 24h)"
    );
    // A stricter reference named by the policy moves the comparison.
    let p = FairnessPolicy {
        reference: BTreeMap::from([("age_band".into(), "26-35".into())]),
        ..thresholds()
    };
    let g = judge_gate(
        &[live(
            "4",
            read_sample(&sample("age_band", AGE_BANDS), "4", &p),
        )],
        "9",
    )
    .unwrap();
    assert!(
        g.detail
            .starts_with("age_band 18-25 SPD -0.21 < -0.1, DIR 0.661 < 0.8 vs 26-35 ("),
        "{}",
        g.detail
    );
}

#[test]
fn a_fair_attribute_passes_naming_the_group_closest_to_a_threshold() {
    let s = sample(
        "region",
        &[
            ("north", 0.5, 400.0),
            ("south", 0.5, 400.0),
            ("east", 0.47, 400.0),
        ],
    );
    let g = judge_gate(&[live("2", read_sample(&s, "2", &thresholds()))], "9").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{}", g.detail);
    assert_eq!(
        g.detail,
        "region east SPD -0.03 ≥ -0.1, DIR 0.94 ≥ 0.8 vs north (live counters, v2, 24h)"
    );
}

#[test]
fn the_worst_groups_own_numbers_are_shown_not_the_attributes_worst_of_each() {
    // Against the configured reference r: b is furthest from parity (DIR
    // 0.5), c is above parity (DIR 1.4); b is named with its own numbers.
    let s = sample(
        "a",
        &[("r", 0.5, 100.0), ("b", 0.25, 100.0), ("c", 0.7, 100.0)],
    );
    let p = FairnessPolicy {
        reference: BTreeMap::from([("a".into(), "r".into())]),
        ..thresholds()
    };
    let g = judge_gate(&[live("1", read_sample(&s, "1", &p))], "9").unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.detail
            .starts_with("a b SPD -0.25 < -0.1, DIR 0.5 < 0.8 vs r"),
        "{}",
        g.detail
    );
    // c alone: above parity, past the upper DIR bound 1.25.
    let s = sample("a", &[("r", 0.5, 100.0), ("c", 0.7, 100.0)]);
    let g = judge_gate(&[live("1", read_sample(&s, "1", &p))], "9").unwrap();
    assert!(
        g.detail
            .starts_with("a c SPD 0.2 > 0.1, DIR 1.4 > 1.25 vs r"),
        "{}",
        g.detail
    );
}

#[test]
fn too_few_rows_are_inconclusive_and_say_so() {
    let s = sample("age_band", &[("18-25", 0.4, 12.0), ("36-50", 0.7, 20.0)]);
    let g = judge_gate(&[live("7", read_sample(&s, "7", &thresholds()))], "9").unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.detail);
    assert_eq!(
        g.detail,
        "age_band: too few rows to judge, groups need 30 (rows: 18-25 12, 36-50 20) (live counters, v7, 24h)"
    );
    // min_rows from the policy.
    let p = FairnessPolicy {
        min_rows: Some(10.0),
        ..thresholds()
    };
    let g = judge_gate(&[live("7", read_sample(&s, "7", &p))], "9").unwrap();
    assert_eq!(g.status, GateStatus::Fail, "{}", g.detail);
}

#[test]
fn outcomes_none_of_which_is_favourable_are_inconclusive_naming_the_key() {
    let mut s = sample("age_band", AGE_BANDS);
    for c in &mut s.counts {
        c.outcome = c.outcome.replace("approved", "granted_loan");
    }
    let g = judge_gate(&[live("4", read_sample(&s, "4", &thresholds()))], "9").unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert!(
        g.detail.contains("none of its outcomes") && g.detail.contains("fairness.favorable"),
        "{}",
        g.detail
    );
    let p = FairnessPolicy {
        favorable: vec!["granted_loan".into()],
        ..thresholds()
    };
    let g = judge_gate(&[live("4", read_sample(&s, "4", &p))], "9").unwrap();
    assert_eq!(g.status, GateStatus::Fail, "{}", g.detail);
}

#[test]
fn run_metrics_and_trustyai_are_judged_by_the_same_thresholds() {
    let cand = (
        version("5"),
        run(&[
            ("fairness.spd.age_band", -0.05),
            ("fairness.dir.age_band", 0.9),
            ("auc", 0.8),
        ]),
    );
    let ev = Evidence {
        place: Place::Run {
            version: "5".into(),
        },
        reading: read_run(&cand, &thresholds()),
    };
    let gauges = [
        FairnessGauge {
            metric: "spd".into(),
            attribute: "gender".into(),
            privileged: Some("1".into()),
            unprivileged: Some("0".into()),
            request: Some("r-1".into()),
            value: -0.15,
        },
        FairnessGauge {
            metric: "dir".into(),
            attribute: "gender".into(),
            privileged: Some("1".into()),
            unprivileged: Some("0".into()),
            request: Some("r-1".into()),
            value: 0.7,
        },
    ];
    let trusty = Evidence {
        place: Place::Trustyai,
        reading: Reading::Judged {
            rows: fairness::from_gauges(&gauges, &thresholds()),
            unjudged: vec![],
        },
    };
    // TrustyAI's gauges carry no version; the candidate's run metrics are
    // self-reported: a fair evaluation turns the gauges' failure into a
    // question for a human, never a pass.
    let g = judge_gate(&[ev.clone(), trusty.clone()], "5").unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive, "{}", g.detail);
    assert_eq!(
        g.detail,
        "gender 0 SPD -0.15 < -0.1, DIR 0.7 < 0.8 vs 1 (TrustyAI): the candidate's run \
         metrics say otherwise, but anyone who may write its run can log them; a canary's \
         live numbers decide, or a human; \
         age_band SPD -0.05 ≥ -0.1, DIR 0.9 ≥ 0.8 (MLflow run metrics, v5)"
    );
    // Without numbers of its own, the model's gauges count.
    let g = judge_gate(std::slice::from_ref(&trusty), "5").unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert_eq!(
        g.detail,
        "gender 0 SPD -0.15 < -0.1, DIR 0.7 < 0.8 vs 1 (TrustyAI)"
    );
    let g = judge_gate(&[ev], "5").unwrap();
    assert_eq!(g.status, GateStatus::Pass);
}

#[test]
fn the_candidates_own_numbers_decide_when_they_judge() {
    let unfair = || read_sample(&sample("age_band", AGE_BANDS), "4", &thresholds());
    let fair = |v: &str| {
        read_sample(
            &sample(
                "age_band",
                &[("18-25", 0.66, 400.0), ("36-50", 0.68, 400.0)],
            ),
            v,
            &thresholds(),
        )
    };
    let canary = |reading| Evidence {
        place: Place::Live {
            version: "5".into(),
            canary: true,
            window_ms: DAY,
        },
        reading,
    };
    // A fair canary of v5 against an unfair served v4: v5 is judged.
    let g = judge_gate(&[live("4", unfair()), canary(fair("5"))], "5").unwrap();
    assert_eq!(g.status, GateStatus::Pass, "{}", g.detail);
    assert_eq!(
        g.detail,
        "age_band 18-25 SPD -0.02 ≥ -0.1, DIR 0.971 ≥ 0.8 vs 36-50 (live counters, v5 canary, 24h); \
         for information (not the candidate's): \
         age_band 18-25 SPD -0.27 < -0.1, DIR 0.603 < 0.8 vs 36-50 (live counters, v4, 24h)"
    );
    // A canary with too few rows judges nothing yet: the served v4 counts.
    let few = read_sample(
        &sample("age_band", &[("18-25", 0.4, 5.0), ("36-50", 0.7, 5.0)]),
        "5",
        &thresholds(),
    );
    let g = judge_gate(&[live("4", unfair()), canary(few)], "5").unwrap();
    assert_eq!(g.status, GateStatus::Fail, "{}", g.detail);
    assert!(
        g.detail.starts_with("age_band 18-25 SPD -0.27 < -0.1")
            && g.detail.ends_with("(live counters, v5 canary, 24h)")
            && !g.detail.contains("for information"),
        "{}",
        g.detail
    );
    // The candidate's own unfairness fails, whatever the others say.
    let g = judge_gate(&[live("4", fair("4")), canary(unfair())], "5").unwrap();
    assert_eq!(g.status, GateStatus::Fail, "{}", g.detail);
    assert!(
        g.detail
            .contains("(live counters, v5 canary, 24h); for information"),
        "{}",
        g.detail
    );
}

#[test]
fn a_failing_backend_fails_and_no_data_is_inconclusive() {
    let down = BackendError::new(
        Backend::Registry,
        ErrorCode::Unreachable,
        "connection refused",
    );
    let cand = (version("5"), Err(down));
    let r = read_run(&cand, &thresholds());
    assert!(matches!(&r, Reading::Failed(m) if m.starts_with("cannot read candidate v5 run: ")));
    let fair = read_sample(
        &sample("region", &[("n", 0.5, 400.0), ("s", 0.5, 400.0)]),
        "4",
        &thresholds(),
    );
    let g = judge_gate(
        &[
            live("4", fair),
            Evidence {
                place: Place::Run {
                    version: "5".into(),
                },
                reading: r,
            },
        ],
        "5",
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Fail);
    assert!(
        g.detail.starts_with("cannot read candidate v5 run: ")
            && g.detail.contains("connection refused")
            && g.detail
                .contains("; region s SPD 0 ≤ 0.1, DIR 1 ≤ 1.25 vs n"),
        "{}",
        g.detail
    );

    let empty = OutcomeSample {
        at: Timestamp(0),
        window_ms: DAY,
        counts: vec![],
    };
    let g = judge_gate(
        &[
            Evidence {
                place: Place::Run {
                    version: "5".into(),
                },
                reading: read_run(&(version("5"), run(&[("auc", 0.9)])), &thresholds()),
            },
            live("4", read_sample(&empty, "4", &thresholds())),
            Evidence {
                place: Place::Trustyai,
                reading: Reading::Absent("no TrustyAI gauges".into()),
            },
        ],
        "5",
    )
    .unwrap();
    assert_eq!(g.status, GateStatus::Inconclusive);
    assert_eq!(
        g.detail,
        "no fairness data: candidate v5's run has no fairness.spd.<attribute> or \
         fairness.dir.<attribute> metrics, no outcome counters of v4 over 24h, no TrustyAI gauges"
    );
}

#[test]
fn several_attributes_are_counted_and_the_unfair_one_is_named() {
    let mut s = sample("age_band", AGE_BANDS);
    s.counts
        .extend(sample("region", &[("n", 0.5, 400.0), ("s", 0.48, 400.0)]).counts);
    let g = judge_gate(
        &[Evidence {
            place: Place::Live {
                version: "7".into(),
                canary: true,
                window_ms: 3_600_000,
            },
            reading: read_sample(&s, "7", &thresholds()),
        }],
        "9",
    )
    .unwrap();
    assert_eq!(
        g.detail,
        "age_band 18-25 SPD -0.27 < -0.1, DIR 0.603 < 0.8 vs 36-50 (live counters, v7 canary, 1h), \
         1 of 2 attributes unfair"
    );
}

#[test]
fn hostile_names_are_drawn_clean_and_short() {
    let long = "x".repeat(500);
    let s = sample(
        "age\u{202E}band\u{1b}[2J",
        &[("a\nb", 0.2, 400.0), (long.as_str(), 0.6, 400.0)],
    );
    let g = judge_gate(&[live("1", read_sample(&s, "1", &thresholds()))], "9").unwrap();
    assert!(
        !g.detail.chars().any(|c| c.is_control() || c == '\u{202E}'),
        "{:?}",
        g.detail
    );
    assert!(
        g.detail
            .starts_with("age\u{FFFD}band\u{FFFD}[2J a b SPD -0.4"),
        "{}",
        g.detail
    );
    assert!(g.detail.len() < 200, "{}", g.detail);
}

#[test]
fn the_gap_form_is_judged_as_before() {
    let p = |m: &[(&str, f64)]| gap_part("gap", 0.05, &(version("7"), run(m)));
    assert_eq!(
        p(&[("gap", 0.03)]),
        (GateStatus::Pass, "gap 0.03 <= max 0.05".into())
    );
    assert_eq!(
        p(&[("gap", 0.08)]),
        (GateStatus::Fail, "gap 0.08 > max 0.05".into())
    );
    assert_eq!(
        p(&[]),
        (
            GateStatus::Inconclusive,
            "candidate v7 has no gap metric".into()
        )
    );
    assert_eq!(p(&[("gap", f64::NAN)]).0, GateStatus::Inconclusive);
    assert_eq!(
        gap_part("gap", 0.05, &(version("7"), Ok(None))).0,
        GateStatus::Inconclusive
    );
}
