use super::*;

fn counts(rows: &[(&str, f64, f64)]) -> BTreeMap<String, GroupCounts> {
    rows.iter()
        .map(|(g, p, t)| {
            (
                g.to_string(),
                GroupCounts {
                    positive: *p,
                    total: *t,
                },
            )
        })
        .collect()
}

fn group<'a>(a: &'a AttributeFairness, g: &str) -> &'a GroupFairness {
    a.groups.iter().find(|x| x.group == g).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn two_groups_by_hand() {
    // Group A: 48 of 120 (0.40); group B: 20 of 80 (0.25).
    // SPD(B) = 0.25 - 0.40 = -0.15; DIR(B) = 0.25 / 0.40 = 0.625.
    let a = evaluate_attribute(
        "sex",
        &counts(&[("a", 48.0, 120.0), ("b", 20.0, 80.0)]),
        &FairnessPolicy::default(),
    );
    assert_eq!(a.reference.as_deref(), Some("a"));
    assert_eq!(a.reference_choice, Some(ReferenceChoice::HighestRate));
    let b = group(&a, "b");
    assert!(close(b.rate.unwrap(), 0.25));
    assert!(close(b.spd.unwrap(), -0.15), "{b:?}");
    assert!(close(b.dir.unwrap(), 0.625), "{b:?}");
    assert_eq!(b.verdict, Verdict::Unfair);
    assert_eq!(group(&a, "a").verdict, Verdict::Reference);
    assert!(close(group(&a, "a").spd.unwrap(), 0.0));
    assert!(close(group(&a, "a").dir.unwrap(), 1.0));
    assert_eq!(a.worst_group.as_deref(), Some("b"));
    assert!(close(a.spd.unwrap(), -0.15) && close(a.dir.unwrap(), 0.625));
    assert_eq!(a.verdict, Verdict::Unfair);
}

#[test]
fn the_four_fifths_rule_catches_what_parity_difference_misses() {
    // A Uniform Guidelines style example: 7 of 72 hired (9.72%) against 3
    // of 63 (4.76%). SPD = 3/63 - 7/72 = -0.049603 is inside 0.1, but
    // DIR = (3/63) / (7/72) = 216/441 = 0.489796 is under 0.8.
    let a = evaluate_attribute(
        "group",
        &counts(&[("majority", 7.0, 72.0), ("minority", 3.0, 63.0)]),
        &FairnessPolicy {
            min_rows: Some(10.0),
            ..Default::default()
        },
    );
    let m = group(&a, "minority");
    assert!(close(m.spd.unwrap(), 3.0 / 63.0 - 7.0 / 72.0));
    assert!(close(m.spd.unwrap(), -0.049603));
    assert!(close(m.dir.unwrap(), 0.489796));
    assert_eq!(m.verdict, Verdict::Unfair);
}

#[test]
fn the_sandbox_credit_scorer_rates_fail_the_defaults() {
    // demo.toml: 18-25 at 0.41 against 36-50 at 0.68 (1000 rows each):
    // SPD = -0.27, DIR = 0.41 / 0.68 = 0.602941.
    let a = evaluate_attribute(
        "age_band",
        &counts(&[
            ("18-25", 410.0, 1000.0),
            ("26-35", 620.0, 1000.0),
            ("36-50", 680.0, 1000.0),
            ("51-65", 660.0, 1000.0),
            ("65+", 550.0, 1000.0),
        ]),
        &FairnessPolicy::default(),
    );
    assert_eq!(a.reference.as_deref(), Some("36-50"));
    assert_eq!(a.worst_group.as_deref(), Some("18-25"));
    assert!(close(a.spd.unwrap(), -0.27));
    assert!(close(a.dir.unwrap(), 0.602941));
    assert_eq!(a.verdict, Verdict::Unfair);
    // 26-35: SPD -0.06, DIR 0.911765: fair; 65+: SPD -0.13: unfair.
    assert_eq!(group(&a, "26-35").verdict, Verdict::Fair);
    assert_eq!(group(&a, "51-65").verdict, Verdict::Fair);
    assert_eq!(group(&a, "65+").verdict, Verdict::Unfair);
}

#[test]
fn equal_rates_give_parity() {
    for rate in [0.0, 0.05, 0.3, 0.5, 0.77, 1.0] {
        let a = evaluate_attribute(
            "x",
            &counts(&[
                ("p", rate * 200.0, 200.0),
                ("q", rate * 50.0, 50.0),
                ("r", rate * 1000.0, 1000.0),
            ]),
            &FairnessPolicy::default(),
        );
        for g in &a.groups {
            assert!(close(g.spd.unwrap(), 0.0), "rate {rate}: {g:?}");
            if rate > 0.0 {
                assert!(close(g.dir.unwrap(), 1.0), "rate {rate}: {g:?}");
            } else {
                assert_eq!(g.dir, None, "a zero reference rate has no ratio");
            }
        }
        assert_eq!(a.verdict, Verdict::Fair, "rate {rate}");
    }
}

#[test]
fn the_default_reference_makes_spd_non_positive_and_dir_at_most_one() {
    let mut seed = 7u64;
    for _ in 0..200 {
        let rows: Vec<(String, f64, f64)> = (0..5)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let total = 30.0 + (seed >> 40) as f64 % 500.0;
                let pos = ((seed >> 20) as f64 % 1000.0) / 1000.0 * total;
                (format!("g{i}"), pos.floor(), total)
            })
            .collect();
        let c: BTreeMap<String, GroupCounts> = rows
            .iter()
            .map(|(g, p, t)| {
                (
                    g.clone(),
                    GroupCounts {
                        positive: *p,
                        total: *t,
                    },
                )
            })
            .collect();
        let a = evaluate_attribute("x", &c, &FairnessPolicy::default());
        for g in &a.groups {
            assert!(g.spd.unwrap() <= 1e-12, "{g:?}");
            if let Some(d) = g.dir {
                assert!((0.0..=1.0 + 1e-12).contains(&d), "{g:?}");
            }
            // SPD and DIR agree with the rates.
            let rr = group(&a, a.reference.as_deref().unwrap()).rate.unwrap();
            assert!(close(g.spd.unwrap(), g.rate.unwrap() - rr));
        }
    }
}

#[test]
fn a_configured_reference_is_used_and_a_favoured_group_can_fail_upwards() {
    // Reference 26-35 at 0.5; 36-50 at 0.7: SPD +0.2, DIR 1.4 > 1/0.8.
    let policy = FairnessPolicy {
        reference: [("age_band".to_string(), "26-35".to_string())].into(),
        ..Default::default()
    };
    let a = evaluate_attribute(
        "age_band",
        &counts(&[("26-35", 50.0, 100.0), ("36-50", 70.0, 100.0)]),
        &policy,
    );
    assert_eq!(a.reference.as_deref(), Some("26-35"));
    assert_eq!(a.reference_choice, Some(ReferenceChoice::Policy));
    let g = group(&a, "36-50");
    assert!(close(g.spd.unwrap(), 0.2) && close(g.dir.unwrap(), 1.4));
    assert_eq!(g.verdict, Verdict::Unfair);
    // A reference the counts do not have falls back to the highest rate.
    let policy = FairnessPolicy {
        reference: [("age_band".to_string(), "nope".to_string())].into(),
        ..Default::default()
    };
    let a = evaluate_attribute(
        "age_band",
        &counts(&[("26-35", 50.0, 100.0), ("36-50", 70.0, 100.0)]),
        &policy,
    );
    assert_eq!(a.reference.as_deref(), Some("36-50"));
}

#[test]
fn small_groups_say_too_few_and_never_fail() {
    // "tiny" has 5 rows at rate 0: shown, not judged; it cannot be the
    // reference either, though its rate would be the highest in "huge".
    let a = evaluate_attribute(
        "x",
        &counts(&[
            ("big", 60.0, 100.0),
            ("small", 55.0, 100.0),
            ("tiny", 0.0, 5.0),
        ]),
        &FairnessPolicy::default(),
    );
    assert_eq!(group(&a, "tiny").verdict, Verdict::TooFew);
    assert!(close(group(&a, "tiny").rate.unwrap(), 0.0));
    assert_eq!(a.verdict, Verdict::Fair);
    let a = evaluate_attribute(
        "x",
        &counts(&[("big", 60.0, 100.0), ("huge", 5.0, 5.0)]),
        &FairnessPolicy::default(),
    );
    assert_eq!(a.reference.as_deref(), Some("big"));
    // Every group too small: nothing judged.
    let a = evaluate_attribute(
        "x",
        &counts(&[("a", 1.0, 10.0), ("b", 9.0, 10.0)]),
        &FairnessPolicy::default(),
    );
    assert_eq!(a.verdict, Verdict::TooFew);
    assert_eq!(a.reference, None);
    assert_eq!(a.worst_group, None);
    assert!(a.groups.iter().all(|g| g.verdict == Verdict::TooFew));
    // A configured reference with too few rows judges nobody.
    let policy = FairnessPolicy {
        reference: [("x".to_string(), "a".to_string())].into(),
        ..Default::default()
    };
    let a = evaluate_attribute(
        "x",
        &counts(&[("a", 1.0, 10.0), ("b", 90.0, 100.0)]),
        &policy,
    );
    assert_eq!(a.verdict, Verdict::TooFew);
    assert_eq!(a.reference.as_deref(), Some("a"));
}

#[test]
fn bad_counts_are_clamped_not_panicked_on() {
    let a = evaluate_attribute(
        "x",
        &counts(&[
            ("nan", f64::NAN, 100.0),
            ("neg", -5.0, 100.0),
            ("over", 150.0, 100.0),
            ("empty", 0.0, 0.0),
            ("inf", 1.0, f64::INFINITY),
        ]),
        &FairnessPolicy::default(),
    );
    assert!(close(group(&a, "nan").rate.unwrap(), 0.0));
    assert!(close(group(&a, "neg").rate.unwrap(), 0.0));
    assert!(close(group(&a, "over").rate.unwrap(), 1.0));
    assert_eq!(group(&a, "empty").rate, None);
    assert_eq!(group(&a, "inf").rate, None);
    assert_eq!(a.reference.as_deref(), Some("over"));
    let empty = evaluate_attribute("x", &BTreeMap::new(), &FairnessPolicy::default());
    assert_eq!(empty.verdict, Verdict::TooFew);
    assert!(empty.groups.is_empty());
}

#[test]
fn thresholds_are_inclusive_and_validated() {
    let t = Thresholds::default();
    assert_eq!((t.spd_max, t.dir_min, t.min_rows), (0.1, 0.8, 30.0));
    assert!(t.fair(Some(-0.1), Some(0.8)));
    assert!(t.fair(Some(0.1), Some(1.25)));
    assert!(!t.fair(Some(-0.1001), None));
    assert!(!t.fair(None, Some(0.7999)));
    assert!(!t.fair(None, Some(1.2501)));
    assert!(t.fair(None, None));
    assert!(t.fair(Some(f64::NAN), None));
    for bad in [
        FairnessPolicy {
            spd_max: Some(-0.1),
            ..Default::default()
        },
        FairnessPolicy {
            dir_min: Some(0.0),
            ..Default::default()
        },
        FairnessPolicy {
            dir_min: Some(1.5),
            ..Default::default()
        },
        FairnessPolicy {
            min_rows: Some(f64::NAN),
            ..Default::default()
        },
    ] {
        let e = bad.validate().unwrap_err();
        assert!(e.starts_with("fairness."), "{e}");
    }
    assert!(FairnessPolicy::default().validate().is_ok());
}

#[test]
fn the_policy_reads_as_the_issue_writes_it() {
    let p: FairnessPolicy =
        serde_json::from_str(r#"{"spd_max":0.05,"dir_min":0.9,"reference":{"sex":"male"}}"#)
            .unwrap();
    let t = p.thresholds();
    assert_eq!((t.spd_max, t.dir_min, t.min_rows), (0.05, 0.9, 30.0));
    assert_eq!(p.reference.get("sex").map(String::as_str), Some("male"));
    assert_eq!(
        serde_json::to_string(&FairnessPolicy::default()).unwrap(),
        "{}"
    );
}

#[test]
fn run_metrics_and_reported_scores_use_the_same_thresholds() {
    let m: BTreeMap<String, f64> = [
        ("fairness.spd.age_band".to_string(), -0.27),
        ("fairness.dir.age_band".to_string(), 0.6),
        ("fairness.spd.sex".to_string(), 0.02),
        ("fairness.dir.region".to_string(), f64::NAN),
        ("fairness.spd.".to_string(), 1.0),
        ("accuracy".to_string(), 0.9),
    ]
    .into();
    let rows = from_run_metrics(&m, &FairnessPolicy::default());
    let names: Vec<&str> = rows.iter().map(|r| r.attribute.as_str()).collect();
    assert_eq!(
        names,
        ["age_band", "sex"],
        "NaN-only and nameless are dropped"
    );
    assert_eq!(rows[0].verdict, Verdict::Unfair);
    assert_eq!((rows[0].spd, rows[0].dir), (Some(-0.27), Some(0.6)));
    assert_eq!(rows[1].verdict, Verdict::Fair);
    assert_eq!(rows[1].dir, None);
    assert!(
        rows.iter()
            .all(|r| r.groups.is_empty() && r.reference.is_none())
    );
    assert!(
        evaluate_reported("x", None, Some(f64::INFINITY), &FairnessPolicy::default()).is_none()
    );
}

#[test]
fn dir_distance_is_symmetric_in_the_ratio() {
    assert!(close(dir_distance(0.5), dir_distance(2.0)));
    assert_eq!(dir_distance(1.0), 0.0);
    assert_eq!(dir_distance(0.0), f64::INFINITY);
    assert_eq!(dir(0.3, 0.0), None);
    assert!(close(spd(0.3, 0.5), -0.2));
}

#[test]
fn a_sample_sums_outcomes_into_positive_and_total() {
    let row = |a: &str, g: &str, o: &str, n: f64| OutcomeCount {
        attribute: a.into(),
        group: g.into(),
        outcome: o.into(),
        count: n,
    };
    let s = OutcomeSample {
        at: crate::domain::Timestamp(0),
        window_ms: 3_600_000,
        counts: vec![
            row("age_band", "18-25", "approved", 41.0),
            row("age_band", "18-25", "denied", 59.0),
            row("age_band", "36-50", "approved", 68.0),
            row("age_band", "36-50", "denied", 32.0),
            row("age_band", "36-50", "review", f64::NAN),
            row("sex", "f", "granted", 5.0),
        ],
    };
    let c = s.group_counts(&FairnessPolicy::default());
    assert_eq!(
        c["age_band"]["18-25"],
        GroupCounts {
            positive: 41.0,
            total: 100.0
        }
    );
    assert_eq!(c["age_band"]["36-50"].total, 100.0, "NaN counts as 0");
    let rows = s.evaluate(&FairnessPolicy::default());
    assert_eq!(rows.len(), 2);
    assert!(close(rows[0].spd.unwrap(), -0.27));
    assert_eq!(rows[1].verdict, Verdict::TooFew);
    // A policy naming the favourable outcome replaces the defaults.
    let p = FairnessPolicy {
        favorable: vec!["denied".into()],
        ..Default::default()
    };
    assert_eq!(s.group_counts(&p)["age_band"]["18-25"].positive, 59.0);
    assert_eq!(s.outcomes("age_band"), ["approved", "denied", "review"]);
}

#[test]
fn trustyai_gauges_pair_by_attribute_and_groups() {
    let g = |m: &str, a: &str, p: &str, u: &str, v: f64| FairnessGauge {
        metric: m.into(),
        attribute: a.into(),
        privileged: Some(p.into()),
        unprivileged: Some(u.into()),
        request: Some("r1".into()),
        value: v,
    };
    let rows = from_gauges(
        &[
            g("spd", "gender", "1", "0", -0.15),
            g("dir", "gender", "1", "0", 0.7),
            g("dir", "age", "old", "young", 0.95),
            g("meanshift", "age", "old", "young", 9.0),
        ],
        &FairnessPolicy::default(),
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].attribute, "age");
    assert_eq!(rows[0].verdict, Verdict::Fair);
    assert_eq!(rows[0].spd, None);
    assert_eq!(rows[1].attribute, "gender");
    assert_eq!((rows[1].spd, rows[1].dir), (Some(-0.15), Some(0.7)));
    assert_eq!(rows[1].reference.as_deref(), Some("1"));
    assert_eq!(rows[1].worst_group.as_deref(), Some("0"));
    assert_eq!(rows[1].verdict, Verdict::Unfair);
}
