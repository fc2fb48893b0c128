use super::*;

fn line(n: i64, step_s: i64, start: f64, slope: f64) -> Vec<(Timestamp, f64)> {
    (0..n)
        .map(|i| {
            let t = 1_700_000_000_000 + i * step_s * 1000;
            (Timestamp(t), start + slope * (i * step_s) as f64)
        })
        .collect()
}

#[test]
fn the_slope_is_least_squares() {
    // Exact line: the slope is recovered.
    let (s, t) = lag_trend(&line(31, 60, 5_000.0, 3.0));
    assert!((s.unwrap() - 3.0).abs() < 1e-9, "{s:?}");
    assert_eq!(t, LagTrend::Growing);
    // Points 0, 10, 0, 10 ... over 4 points at 1 s: the textbook slope.
    let pts: Vec<_> = [(0, 1.0), (1, 3.0), (2, 2.0), (3, 6.0)]
        .iter()
        .map(|&(t, v)| (Timestamp(t * 1000), v))
        .collect();
    // x mean 1.5, y mean 3; sum dx*dy = 1.5*2 + 0.5*0 + 0.5*(-1) + 1.5*3 = 7; sum dx^2 = 5.
    assert!((lag_trend(&pts).0.unwrap() - 1.4).abs() < 1e-12);
}

#[test]
fn steady_shrinking_and_unknown() {
    // 1 message/min over 30 min on a lag of 5,000: steady.
    assert_eq!(
        lag_trend(&line(31, 60, 5_000.0, 1.0 / 60.0)).1,
        LagTrend::Steady
    );
    assert_eq!(
        lag_trend(&line(31, 60, 50_000.0, -10.0)).1,
        LagTrend::Shrinking
    );
    // A small consumer doubling from 3 to 9 messages is not "growing".
    assert_eq!(
        lag_trend(&line(31, 60, 3.0, 6.0 / 1800.0)).1,
        LagTrend::Steady
    );
    assert_eq!(lag_trend(&line(2, 60, 3.0, 1.0)), (None, LagTrend::Unknown));
    // NaN points are skipped, not poison.
    let mut pts = line(10, 60, 1_000.0, 5.0);
    pts[4].1 = f64::NAN;
    let (s, t) = lag_trend(&pts);
    assert!((s.unwrap() - 5.0).abs() < 1e-9);
    assert_eq!(t, LagTrend::Growing);
    // All at one instant.
    let same = vec![
        (Timestamp(5), 1.0),
        (Timestamp(5), 2.0),
        (Timestamp(5), 3.0),
    ];
    assert_eq!(lag_trend(&same), (None, LagTrend::Unknown));
}

#[test]
fn verdicts_use_seconds_when_known_else_messages() {
    let th = LagThresholds::default();
    let mut s = StreamLag {
        lag_messages: 2_000_000.0,
        lag_seconds: Some(30.0),
        trend: LagTrend::Steady,
        ..StreamLag::default()
    };
    // 30 s behind is fine even with two million messages of lag.
    assert_eq!(s.judge(&th), StreamVerdict::Ok);
    s.trend = LagTrend::Growing;
    assert_eq!(s.judge(&th), StreamVerdict::Growing);
    s.lag_seconds = Some(1_200.0);
    assert_eq!(s.judge(&th), StreamVerdict::Behind);
    s.trend = LagTrend::Shrinking;
    assert_eq!(s.judge(&th), StreamVerdict::High);
    // Seconds unknown: messages decide.
    s.lag_seconds = None;
    s.lag_messages = 50_000.0;
    assert_eq!(s.judge(&th), StreamVerdict::Ok);
    s.lag_messages = 150_000.0;
    assert_eq!(s.judge(&th), StreamVerdict::High);
    assert!(StreamVerdict::Behind < StreamVerdict::Growing);
    assert!(StreamVerdict::High < StreamVerdict::Ok);
}

#[test]
fn numbers_read_short() {
    assert_eq!(format_messages(950.0), "950");
    assert_eq!(format_messages(12_400.0), "12.4k");
    assert_eq!(format_messages(2_160_000.0), "2.2M");
    assert_eq!(format_messages(412_000.0), "412k");
    assert_eq!(format_messages(f64::NAN), "?");
    assert_eq!(format_lag_seconds(45.2), "45s");
    assert_eq!(format_lag_seconds(1_200.0), "20m");
    assert_eq!(format_lag_seconds(12_600.0), "3.5h");
}

fn labels(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn thresholds_resolve_workload_over_profile_over_default() {
    let none = LagSettings::default();
    let a = LagThresholds::resolve(&none, &labels(&[]));
    assert_eq!(a.thresholds(), LagThresholds::default());
    assert_eq!(a.max_seconds_from, ThresholdSource::Default);
    assert!(a.problems.is_empty());
    let profile = LagSettings {
        max_seconds: Some(900.0),
        max_messages: Some(5_000.0),
    };
    let a = LagThresholds::resolve(&profile, &labels(&[]));
    assert_eq!((a.max_seconds, a.max_messages), (900.0, 5_000.0));
    assert_eq!(a.max_messages_from, ThresholdSource::Profile);
    // Each field on its own: the workload sets seconds, the profile messages.
    let a = LagThresholds::resolve(&profile, &labels(&[(MAX_LAG_SECONDS_LABEL, " 60 ")]));
    assert_eq!((a.max_seconds, a.max_messages), (60.0, 5_000.0));
    assert_eq!(a.max_seconds_from, ThresholdSource::Workload);
    assert_eq!(a.max_messages_from, ThresholdSource::Profile);
    let a = LagThresholds::resolve(&none, &labels(&[(MAX_LAG_MESSAGES_LABEL, "2.5e6")]));
    assert_eq!((a.max_seconds, a.max_messages), (300.0, 2_500_000.0));
    // The verdict follows: 400 s behind is high by default, fine at 600.
    let s = StreamLag {
        lag_messages: 10.0,
        lag_seconds: Some(400.0),
        trend: LagTrend::Steady,
        ..StreamLag::default()
    };
    assert_eq!(s.judge(&a.thresholds()), StreamVerdict::High);
    let a = LagThresholds::resolve(&none, &labels(&[(MAX_LAG_SECONDS_LABEL, "600")]));
    assert_eq!(s.judge(&a.thresholds()), StreamVerdict::Ok);
}

#[test]
fn hostile_threshold_labels_fall_back_and_are_named() {
    let profile = LagSettings {
        max_seconds: Some(900.0),
        max_messages: None,
    };
    let long = format!("9{}", "x".repeat(5000));
    for bad in [
        "abc",
        "-5",
        "0",
        "NaN",
        "inf",
        "1e999",
        "",
        "5m",
        "\u{1b}[31m7",
        &long,
    ] {
        let a = LagThresholds::resolve(
            &profile,
            &labels(&[(MAX_LAG_SECONDS_LABEL, bad), (MAX_LAG_MESSAGES_LABEL, bad)]),
        );
        assert_eq!(
            (a.max_seconds, a.max_messages),
            (900.0, 100_000.0),
            "{bad:?}"
        );
        assert_eq!(a.max_seconds_from, ThresholdSource::Profile);
        assert_eq!(a.max_messages_from, ThresholdSource::Default);
        assert_eq!(a.problems.len(), 2, "{bad:?}");
        assert!(
            a.problems[0].contains(MAX_LAG_SECONDS_LABEL),
            "{:?}",
            a.problems
        );
        assert!(
            a.problems[0].contains("using the profile's 900"),
            "{:?}",
            a.problems
        );
        assert!(
            a.problems[1].contains(MAX_LAG_MESSAGES_LABEL),
            "{:?}",
            a.problems
        );
        assert!(
            a.problems[1].contains("using the default 100000"),
            "{:?}",
            a.problems
        );
        for p in &a.problems {
            assert!(p.len() < 200, "{p}");
            assert!(!p.contains('\u{1b}'), "{p}");
        }
    }
    // A profile value built in code that is not positive falls back too.
    let bad = LagSettings {
        max_seconds: Some(f64::NAN),
        max_messages: Some(-1.0),
    };
    let a = LagThresholds::resolve(&bad, &labels(&[]));
    assert_eq!(a.thresholds(), LagThresholds::default());
    assert_eq!(a.problems.len(), 2);
    assert!(
        a.problems[0].contains("profile lag.max_seconds"),
        "{:?}",
        a.problems
    );
    assert_eq!(bad.invalid().map(|(f, _)| f), Some("max_seconds"));
}
