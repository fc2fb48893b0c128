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
