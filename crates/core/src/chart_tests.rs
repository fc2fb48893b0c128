//! Tests of chart.rs: steps, downsampling (with properties), gaps,
//! crossings, ticks and time labels.

use super::*;
use proptest::prelude::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Thu 2026-12-03 00:00:00 UTC.
const T0: i64 = 1_796_256_000_000;

fn points_in_query(range: i64, step: i64) -> i64 {
    range / step + 1
}

#[test]
fn step_keeps_points_within_twice_the_columns_and_the_limit() {
    for (range, cols) in [
        (7 * DAY, 200),
        (HOUR, 80),
        (DAY, 1600),
        (28 * DAY, 10_000),
        (365 * DAY, 1),
        (5_000, 200),
    ] {
        let s = step_ms(range, cols);
        assert!(s >= 1000 && s % 1000 == 0, "{range} {cols}: {s}");
        let n = points_in_query(range, s);
        assert!(n <= 2 * cols as i64, "{range} {cols}: {n} points");
        assert!(n <= MAX_POINTS as i64, "{range} {cols}: {n} points");
    }
    // 7 days on 200 columns: 399 intervals of 1516 s (1515.79 rounded up).
    assert_eq!(step_ms(7 * DAY, 200), 1_516_000);
    assert_eq!(points_in_query(7 * DAY, 1_516_000), 399);
    // A tiny range still gets a one-second step.
    assert_eq!(step_ms(5_000, 200), 1000);
    assert_eq!(step_ms(0, 0), 1000);
    assert_eq!(step_ms(-5, 10), 1000);
    // Wide panels are clamped by Prometheus' limit, not the width.
    assert_eq!(points_in_query(28 * DAY, step_ms(28 * DAY, 10_000)), 10_997);
}

#[test]
fn downsample_keeps_min_max_first_last_per_column() {
    let pts = [(0, 1.0), (4, 5.0), (5, -2.0), (9, 3.0), (10, 7.0)];
    let cols = downsample(&pts, 0, 10, 2);
    assert_eq!(
        cols[0],
        Some(Column {
            min: 1.0,
            max: 5.0,
            first: 1.0,
            last: 5.0,
            count: 2
        })
    );
    // `to` itself belongs to the last column.
    assert_eq!(
        cols[1],
        Some(Column {
            min: -2.0,
            max: 7.0,
            first: -2.0,
            last: 7.0,
            count: 3
        })
    );
}

#[test]
fn downsample_skips_nan_infinite_and_out_of_range_points_and_leaves_gaps() {
    let pts = [
        (-5, 100.0),
        (1, f64::NAN),
        (2, 1.0),
        (3, f64::INFINITY),
        (25, 2.0),
        (31, 100.0),
    ];
    let cols = downsample(&pts, 0, 30, 3);
    assert_eq!(
        cols[0].map(|c| (c.min, c.max, c.count)),
        Some((1.0, 1.0, 1))
    );
    assert_eq!(cols[1], None);
    assert_eq!(
        cols[2].map(|c| (c.min, c.max, c.count)),
        Some((2.0, 2.0, 1))
    );
}

#[test]
fn downsample_of_out_of_order_points_still_places_each_by_its_time() {
    let pts = [(8, 1.0), (1, 9.0), (9, 2.0), (2, -1.0)];
    let cols = downsample(&pts, 0, 10, 2);
    assert_eq!(cols[0].map(|c| (c.min, c.max)), Some((-1.0, 9.0)));
    assert_eq!(cols[1].map(|c| (c.min, c.max)), Some((1.0, 2.0)));
    // A point past the range, then one back inside it.
    let cols = downsample(&[(5, 1.0), (20, 9.0), (3, 2.0)], 0, 10, 2);
    assert_eq!(
        cols[0].map(|c| (c.min, c.max, c.count)),
        Some((2.0, 2.0, 1))
    );
    assert_eq!(
        cols[1].map(|c| (c.min, c.max, c.count)),
        Some((1.0, 1.0, 1))
    );
}

#[test]
fn downsample_with_no_columns_or_an_empty_range_gives_nothing_drawn() {
    assert!(downsample(&[(1, 1.0)], 0, 10, 0).is_empty());
    assert_eq!(downsample(&[(1, 1.0)], 10, 10, 3), vec![None; 3]);
    assert_eq!(downsample(&[(1, 1.0)], 10, 0, 2), vec![None; 2]);
}

#[test]
fn columns_agree_with_their_starts() {
    for (from, to, n) in [(0i64, 10i64, 3usize), (T0, T0 + 7 * DAY, 1600), (-7, 5, 5)] {
        for k in 1..n {
            let s = column_start(k, from, to, n);
            assert_eq!(column_of(s, from, to, n), Some(k), "{from} {to} {n} {k}");
            assert_eq!(column_of(s - 1, from, to, n), Some(k - 1));
        }
        assert_eq!(column_of(to, from, to, n), Some(n - 1));
        assert_eq!(column_of(to + 1, from, to, n), None);
        assert_eq!(column_of(from - 1, from, to, n), None);
    }
}

#[test]
fn gaps_are_stretches_longer_than_two_steps() {
    let pts = [
        (0, 1.0),
        (60, 1.0),
        (120, f64::NAN),
        (180, 1.0),
        (600, 2.0),
        (660, 2.0),
    ];
    assert_eq!(typical_step(&pts), Some(60));
    assert_eq!(gaps(&pts, 60), vec![(180, 600)]);
    // Exactly two steps (one missing sample where NaN was) is not a gap.
    assert_eq!(gaps(&pts[..4], 60), vec![]);
    assert_eq!(typical_step(&[(5, 1.0)]), None);
}

#[test]
fn thresholds_follow_the_drift_verdict_rule() {
    let p = Threshold {
        value: 0.05,
        low_is_bad: true,
    };
    assert!(p.breached(0.003));
    assert!(!p.breached(0.05));
    let d = Threshold {
        value: 0.1,
        low_is_bad: false,
    };
    assert!(d.breached(0.1));
    assert!(!d.breached(0.09));
    assert!(!d.breached(f64::NAN));
}

#[test]
fn first_crossing_is_after_the_last_good_sample() {
    let th = Threshold {
        value: 0.1,
        low_is_bad: false,
    };
    let pts = [(0, 0.02), (10, 0.05), (20, 0.3), (30, 0.02), (40, 0.5)];
    assert_eq!(
        first_crossing(&pts, &th, 0, 40),
        Some(Crossing {
            at: 20,
            value: 0.3,
            from_start: false
        })
    );
    // A window starting past the threshold says so.
    assert_eq!(
        first_crossing(&pts, &th, 15, 40).map(|c| c.from_start),
        Some(true)
    );
    assert_eq!(first_crossing(&pts[..2], &th, 0, 40), None);
}

#[test]
fn marker_glyphs_and_words_are_distinct() {
    let glyphs: std::collections::HashSet<char> =
        MarkerKind::ALL.iter().map(|k| k.glyph()).collect();
    let words: std::collections::HashSet<&str> = MarkerKind::ALL.iter().map(|k| k.word()).collect();
    assert_eq!(glyphs.len(), 5);
    assert_eq!(words.len(), 5);
    assert!(
        glyphs
            .iter()
            .all(|g| !g.is_alphanumeric() && !g.is_control())
    );
    assert_eq!(
        serde_json::to_value(MarkerKind::Rollback).unwrap_or_default(),
        "rollback"
    );
}

#[test]
fn nice_ticks_cover_the_range_with_round_steps() {
    let labels = |t: Vec<f64>| -> Vec<String> { t.iter().map(|v| v.to_string()).collect() };
    assert_eq!(
        labels(nice_ticks(0.0, 1.0, 5)),
        ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    );
    assert_eq!(labels(nice_ticks(3.0, 97.0, 4)), ["0", "50", "100"]);
    assert_eq!(
        labels(nice_ticks(0.0032, 0.0411, 4)),
        ["0", "0.01", "0.02", "0.03", "0.04", "0.05"]
    );
    // One value: widened around it.
    let t = nice_ticks(5.0, 5.0, 3);
    assert!(t[0] < 5.0 && *t.last().unwrap_or(&0.0) > 5.0, "{t:?}");
    assert_eq!(nice_ticks(0.0, 0.0, 3), vec![-1.0, 0.0, 1.0]);
    assert!(nice_ticks(f64::NAN, 1.0, 3).is_empty());
}

#[test]
fn tick_labels_use_the_decimals_the_step_needs() {
    assert_eq!(tick_label(0.05, 0.01), "0.05");
    assert_eq!(tick_label(0.4, 0.2), "0.4");
    assert_eq!(tick_label(250.0, 50.0), "250");
    assert_eq!(tick_label(5000.0, 5000.0), "5000");
    assert_eq!(tick_label(12_500.0, 500.0), "12.5k");
    assert_eq!(tick_label(2_000_000.0, 1_000_000.0), "2M");
    assert_eq!(tick_label(-0.0001, 0.01), "0.00");
}

#[test]
fn time_ticks_are_round_and_labelled_in_utc() {
    let t = time_ticks(T0 + 10 * HOUR + 7 * MIN, T0 + 16 * HOUR, 7);
    let labels: Vec<&str> = t.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(
        labels,
        ["11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    );
    // Crossing midnight: the day replaces 00:00.
    let t = time_ticks(T0 - 3 * HOUR, T0 + 3 * HOUR, 4);
    let labels: Vec<&str> = t.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(labels, ["22:00", "Thu 03", "02:00"]);
    // Seven days: one label a day.
    let t = time_ticks(T0, T0 + 7 * DAY, 8);
    assert_eq!(t.len(), 8);
    assert_eq!(t[0].1, "Thu 03");
    assert_eq!(t[4].1, "Mon 07");
    assert!(time_ticks(T0, T0, 5).is_empty());
    assert_eq!(
        moment_label(T0 + 14 * HOUR + 20 * MIN, T0 + 15 * HOUR),
        "14:20"
    );
    assert_eq!(moment_label(T0 - 2 * HOUR, T0 + HOUR), "Wed 02 22:00");
    assert_eq!(day_time_label(T0 + 14 * HOUR + 20 * MIN), "Thu 03 14:20");
}

fn series() -> impl Strategy<Value = (Vec<(i64, f64)>, usize)> {
    (
        prop::collection::vec((0i64..100_000, -1e6f64..1e6), 0..400),
        1usize..300,
    )
        .prop_map(|(mut p, c)| {
            p.sort_by_key(|x| x.0);
            (p, c)
        })
}

proptest! {
    #[test]
    fn downsampling_keeps_the_global_min_and_max((pts, cols) in series()) {
        let out = downsample(&pts, 0, 100_000, cols);
        prop_assert_eq!(out.len(), cols);
        let lo = out.iter().flatten().map(|c| c.min).fold(f64::INFINITY, f64::min);
        let hi = out.iter().flatten().map(|c| c.max).fold(f64::NEG_INFINITY, f64::max);
        let want_lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let want_hi = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        prop_assert_eq!(lo, want_lo);
        prop_assert_eq!(hi, want_hi);
        prop_assert_eq!(out.iter().flatten().map(|c| c.count).sum::<usize>(), pts.len());
        if pts.is_empty() {
            prop_assert!(out.iter().all(Option::is_none));
        }
    }

    #[test]
    fn every_point_lands_in_the_column_of_its_time((pts, cols) in series()) {
        let out = downsample(&pts, 0, 100_000, cols);
        for &(t, v) in &pts {
            let k = column_of(t, 0, 100_000, cols);
            prop_assert!(k.is_some());
            let c = k.and_then(|k| out[k]);
            prop_assert!(c.is_some_and(|c| c.min <= v && v <= c.max));
        }
    }

    #[test]
    fn steps_never_exceed_the_limits(range in 0i64..400 * DAY, cols in 0usize..20_000) {
        let s = step_ms(range, cols);
        prop_assert!(s >= 1000 && s % 1000 == 0);
        let n = points_in_query(range, s);
        prop_assert!(n <= (2 * cols.max(1)).min(MAX_POINTS) as i64);
    }

    #[test]
    fn nice_ticks_cover_any_range(a in -1e9f64..1e9, b in -1e9f64..1e9, n in 2usize..10) {
        let t = nice_ticks(a, b, n);
        prop_assert!(t.len() >= 2);
        prop_assert!(t[0] <= a.min(b) && t[t.len() - 1] >= a.max(b));
        prop_assert!(t.len() <= 2 * n + 2);
    }
}
