//! The chart widgets in every state, drawn at 80x24 and 200x50 on ratatui's
//! test backend (snapshots), plus the things a text snapshot cannot show:
//! the alarm colour past a threshold, spikes surviving downsampling,
//! hostile labels.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::chart::{Marker, MarkerKind, Threshold};
use modeldeck_core::drift::evaluate::bin_labels;
use modeldeck_tui::widgets::chart::{ChartSeries, ChartState, TimeChart, series_color};
use modeldeck_tui::widgets::histogram::HistogramOverlay;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::widgets::Widget;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Thu 2026-12-03 14:00 UTC: "now" in every chart.
const NOW: i64 = 1_796_256_000_000 + 14 * HOUR;
const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

type Series = Vec<(i64, f64)>;

fn draw(w: u16, h: u16, widget: impl Widget) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| f.render_widget(widget, f.area())).unwrap();
    t
}

macro_rules! snap_all {
    ($name:expr, $make:expr) => {
        for (w, h) in SIZES {
            let t = draw(w, h, $make);
            insta::assert_snapshot!(format!("{}_{}x{}", $name, w, h), t.backend());
        }
    };
}

/// A smooth, deterministic wiggle around `base`.
fn wave(i: i64, base: f64, amp: f64) -> f64 {
    wave_at(i, base, amp, 1.0)
}

/// [`wave`], `speed` times as fast.
fn wave_at(i: i64, base: f64, amp: f64, speed: f64) -> f64 {
    let x = i as f64 * speed;
    base + amp * (x * 0.37).sin() * (x * 0.11).cos()
}

/// `lag_7d`'s PSI over 7 days, every 30 minutes: calm, then past 0.1 from
/// 20 hours ago (the feature transformer deploy), one scrape missing.
fn psi_series() -> Vec<(i64, f64)> {
    let start = NOW - 7 * DAY;
    (0..=336)
        .map(|i| {
            let t = start + i * 30 * MIN;
            let v = if t < NOW - 20 * HOUR {
                wave(i, 0.03, 0.015)
            } else {
                wave(i, 0.42, 0.08)
            };
            (t, v)
        })
        .collect()
}

fn drift_markers() -> Vec<Marker> {
    vec![
        Marker {
            at: NOW - 5 * DAY,
            kind: MarkerKind::Promotion,
            label: "production -> v5".into(),
        },
        Marker {
            at: NOW - 20 * HOUR - 10 * MIN,
            kind: MarkerKind::Deploy,
            label: "transformer 2.4.0".into(),
        },
        Marker {
            at: NOW - 30 * DAY,
            kind: MarkerKind::Retrain,
            label: "outside the window".into(),
        },
    ]
}

fn psi_chart<'a>(points: &'a [(i64, f64)], markers: &'a [Marker]) -> TimeChart<'a> {
    TimeChart::new("lag_7d · PSI over 7 days (24h windows)", NOW - 7 * DAY, NOW)
        .unit("PSI")
        .series(ChartSeries {
            label: "lag_7d",
            points,
            color: series_color(0),
        })
        .threshold(Threshold {
            value: 0.1,
            low_is_bad: false,
        })
        .markers(markers)
}

#[test]
fn chart_loading() {
    snap_all!(
        "chart_loading",
        psi_chart(&[], &[]).state(ChartState::Loading)
    );
}

#[test]
fn chart_error() {
    snap_all!(
        "chart_error",
        psi_chart(&[], &[]).state(ChartState::Error(
            "metrics: Prometheus answered 503 Service Unavailable for query_range (demo:9090)"
        ))
    );
}

#[test]
fn chart_no_data_in_the_window() {
    // Samples exist, but all before the window, or NaN.
    let old = [(NOW - 10 * DAY, 0.2), (NOW - HOUR, f64::NAN)];
    snap_all!("chart_no_data", psi_chart(&old, &[]));
}

#[test]
fn chart_one_point() {
    let one = [(NOW - 3 * HOUR, 0.04)];
    snap_all!(
        "chart_one_point",
        TimeChart::new("temperature · PSI over 24 hours", NOW - DAY, NOW)
            .unit("PSI")
            .series(ChartSeries {
                label: "temperature",
                points: &one,
                color: series_color(0),
            })
            .threshold(Threshold {
                value: 0.1,
                low_is_bad: false,
            })
    );
}

/// Request rate every minute over 6 hours, with a 90-minute scrape outage.
fn rate_with_gap() -> Vec<(i64, f64)> {
    (0..=360)
        .filter(|i| !(150..240).contains(i))
        .map(|i| (NOW - 6 * HOUR + i * MIN, wave_at(i, 120.0, 25.0, 0.1)))
        .collect()
}

#[test]
fn chart_gaps() {
    let pts = rate_with_gap();
    snap_all!(
        "chart_gaps",
        TimeChart::new(
            "fraud-detector · requests over 6 hours",
            NOW - 6 * HOUR,
            NOW
        )
        .unit("req/s")
        .series(ChartSeries {
            label: "v7",
            points: &pts,
            color: series_color(0),
        })
    );
}

#[test]
fn chart_threshold_crossing_after_a_deploy() {
    let pts = psi_series();
    let markers = drift_markers();
    snap_all!("chart_crossing", psi_chart(&pts, &markers));
}

#[test]
fn chart_p_values_alarm_below_the_threshold() {
    let pts: Vec<(i64, f64)> = psi_series()
        .into_iter()
        .map(|(t, v)| (t, (0.6 - v * 1.4).clamp(0.0, 1.0)))
        .collect();
    snap_all!(
        "chart_p_values",
        TimeChart::new("lag_7d · KS p-value over 7 days", NOW - 7 * DAY, NOW)
            .unit("p")
            .series(ChartSeries {
                label: "lag_7d",
                points: &pts,
                color: series_color(0),
            })
            .threshold(Threshold {
                value: 0.05,
                low_is_bad: true,
            })
    );
}

/// p99 latency of stable and canary over 24 hours: the canary starts 6
/// hours ago and runs slower, with one spike.
fn latency() -> (Series, Series) {
    let stable = (0..=288)
        .map(|i| (NOW - DAY + i * 5 * MIN, wave(i, 180.0, 20.0)))
        .collect();
    let canary = (0..=72)
        .map(|i| {
            let v = if i == 40 {
                900.0
            } else {
                wave(i + 7, 240.0, 30.0)
            };
            (NOW - 6 * HOUR + i * 5 * MIN, v)
        })
        .collect();
    (stable, canary)
}

fn latency_markers() -> Vec<Marker> {
    vec![
        Marker {
            at: NOW - 6 * HOUR,
            kind: MarkerKind::Deploy,
            label: "canary v8".into(),
        },
        Marker {
            at: NOW - 5 * HOUR,
            kind: MarkerKind::Approval,
            label: "#41 by alice".into(),
        },
        Marker {
            at: NOW - 90 * MIN,
            kind: MarkerKind::Rollback,
            label: "v8 -> v7".into(),
        },
    ]
}

#[test]
fn chart_two_series() {
    let (stable, canary) = latency();
    let markers = latency_markers();
    snap_all!(
        "chart_two_series",
        TimeChart::new(
            "search-ranker · p99 latency, stable vs canary",
            NOW - DAY,
            NOW
        )
        .unit("ms")
        .series(ChartSeries {
            label: "stable v7",
            points: &stable,
            color: series_color(0),
        })
        .series(ChartSeries {
            label: "canary v8",
            points: &canary,
            color: series_color(1),
        })
        .threshold(Threshold {
            value: 400.0,
            low_is_bad: false,
        })
        .markers(&markers)
    );
}

fn cells(buf: &Buffer) -> impl Iterator<Item = (u16, u16, &ratatui::buffer::Cell)> {
    let a = buf.area;
    (a.top()..a.bottom())
        .flat_map(move |y| (a.left()..a.right()).map(move |x| (x, y)))
        .map(move |(x, y)| (x, y, &buf[(x, y)]))
}

fn is_dot(c: &ratatui::buffer::Cell) -> bool {
    c.symbol()
        .chars()
        .next()
        .is_some_and(|ch| ('\u{2801}'..='\u{28FF}').contains(&ch) || ch == '●')
}

#[test]
fn only_the_part_past_the_threshold_is_red_and_the_crossing_is_named() {
    let pts = psi_series();
    let markers = drift_markers();
    let t = draw(200, 50, psi_chart(&pts, &markers));
    let buf = t.backend().buffer();
    let red: Vec<u16> = cells(buf)
        .filter(|(_, _, c)| is_dot(c) && c.fg == Color::Red)
        .map(|(x, _, _)| x)
        .collect();
    let calm: Vec<u16> = cells(buf)
        .filter(|(_, _, c)| is_dot(c) && c.fg == series_color(0))
        .map(|(x, _, _)| x)
        .collect();
    assert!(!red.is_empty() && !calm.is_empty());
    // 20 of 168 hours are past the threshold: the right ~12% of the plot.
    let first_red = *red.iter().min().unwrap();
    let last_calm = *calm.iter().max().unwrap();
    assert!(
        first_red >= last_calm,
        "red from x={first_red}, calm until x={last_calm}"
    );
    assert!(first_red > 150, "red from x={first_red}");
    let screen = format!("{:?}", t.backend());
    assert!(screen.contains("✗ crossed Wed 02 18:00 UTC"), "{screen}");
}

#[test]
fn a_one_sample_spike_among_a_million_points_still_shows() {
    let n = 1_000_000i64;
    let pts: Vec<(i64, f64)> = (0..n)
        .map(|i| {
            (
                NOW - DAY + i * DAY / n,
                if i == 765_432 { 50.0 } else { 1.0 },
            )
        })
        .collect();
    let chart = TimeChart::new("spike", NOW - DAY, NOW).series(ChartSeries {
        label: "errors",
        points: &pts,
        color: series_color(0),
    });
    let t = draw(80, 24, &chart);
    let buf = t.backend().buffer();
    // The spike reaches the top tick's row (50): some dot above the middle.
    let high = cells(buf).filter(|(_, y, c)| is_dot(c) && *y < 10).count();
    assert!(high > 0, "{:?}", t.backend());
}

#[test]
fn hostile_labels_are_drawn_without_control_characters() {
    let pts = [(NOW - HOUR, 1.0), (NOW, 2.0)];
    let markers = [Marker {
        at: NOW - 30 * MIN,
        kind: MarkerKind::Deploy,
        label: "v9\u{1b}[2J\u{202E}evil".into(),
    }];
    let bins = vec!["a\u{1b}]8;;x\u{7}".to_string(), "b\nc".to_string()];
    let (r, l) = ([0.5, 0.5], [0.2, 0.8]);
    for t in [
        draw(
            80,
            24,
            TimeChart::new("t\u{1b}[31m", NOW - 2 * HOUR, NOW)
                .unit("m\u{7}s")
                .series(ChartSeries {
                    label: "s\u{202E}x",
                    points: &pts,
                    color: series_color(0),
                })
                .markers(&markers),
        ),
        draw(80, 24, HistogramOverlay::new("h\u{1b}", &bins, &r, &l)),
    ] {
        for (_, _, c) in cells(t.backend().buffer()) {
            assert!(
                c.symbol().chars().all(modeldeck_core::text::is_safe),
                "{:?}",
                c.symbol()
            );
        }
    }
}

/// A categorical feature whose live traffic has a category the reference
/// never saw (folded into `(unseen)`).
fn categorical() -> (Vec<String>, Vec<f64>, Vec<f64>) {
    let bins = [
        "card",
        "bank_transfer",
        "wallet",
        "crypto",
        "__other__",
        "(unseen)",
    ]
    .map(String::from)
    .to_vec();
    let reference = vec![0.52, 0.23, 0.18, 0.04, 0.03, 0.0];
    let live = vec![0.41, 0.22, 0.17, 0.03, 0.02, 0.15];
    (bins, reference, live)
}

#[test]
fn histogram_with_an_unseen_category() {
    let (bins, r, l) = categorical();
    let h = HistogramOverlay::new("payment_method · reference vs live (24h)", &bins, &r, &l)
        .labels("training", "live 24h");
    assert_eq!(h.largest_difference(), Some(5));
    snap_all!("histogram_unseen", &h);
}

#[test]
fn histogram_of_a_numeric_feature_with_a_shift() {
    let edges = [1.0, 2.5, 4.0, 6.0, 8.5, 12.0, 17.0, 24.0, 35.0];
    let bins = bin_labels(&edges);
    assert_eq!(bins.len(), 10);
    let r = vec![0.01, 0.11, 0.11, 0.11, 0.11, 0.11, 0.11, 0.11, 0.11, 0.11];
    let l = vec![0.0, 0.02, 0.03, 0.05, 0.08, 0.1, 0.12, 0.14, 0.2, 0.26];
    snap_all!(
        "histogram_numeric",
        HistogramOverlay::new("lag_7d · reference vs live (24h)", &bins, &r, &l)
            .labels("training", "live 24h")
    );
}

#[test]
fn histogram_states() {
    let (bins, r, _) = categorical();
    let none = vec![0.0; bins.len()];
    snap_all!(
        "histogram_loading",
        HistogramOverlay::new("payment_method", &bins, &r, &none).state(ChartState::Loading)
    );
    snap_all!(
        "histogram_no_live_data",
        HistogramOverlay::new("payment_method", &bins, &r, &none)
    );
    let short = [0.5, 0.5];
    let t = draw(
        80,
        24,
        HistogramOverlay::new("payment_method", &bins, &r, &short),
    );
    let screen = format!("{:?}", t.backend());
    assert!(
        screen.contains("6 bin labels, 6 reference shares, 2 live shares"),
        "{screen}"
    );
}

#[test]
fn small_panels_still_draw_something_sensible() {
    let pts = psi_series();
    let markers = drift_markers();
    let (bins, r, l) = categorical();
    for (w, h) in [(1, 1), (10, 3), (30, 6), (40, 10)] {
        let t = draw(w, h, psi_chart(&pts, &markers));
        let _ = format!("{:?}", t.backend());
        let t = draw(w, h, HistogramOverlay::new("x", &bins, &r, &l));
        let _ = format!("{:?}", t.backend());
    }
    let t = draw(60, 10, psi_chart(&pts, &markers));
    insta::assert_snapshot!("chart_crossing_60x10", t.backend());
    let t = draw(
        60,
        10,
        HistogramOverlay::new("payment_method", &bins, &r, &l),
    );
    insta::assert_snapshot!("histogram_unseen_60x10", t.backend());
}

#[test]
fn many_bins_show_a_window_around_the_most_changed_one() {
    let edges: Vec<f64> = (0..49).map(f64::from).collect();
    let bins = bin_labels(&edges);
    assert_eq!(bins.len(), 50);
    let r = vec![0.02; 50];
    let mut l = vec![0.019; 50];
    l[40] = 0.089;
    let t = draw(80, 24, HistogramOverlay::new("x", &bins, &r, &l));
    let screen = format!("{:?}", t.backend());
    assert!(
        screen.contains("most changed: 39–40 2.0% → 8.9%"),
        "{screen}"
    );
    assert!(screen.contains("(bins 31–50 of 50)"), "{screen}");
    assert!(
        screen.contains("39–40") && !screen.contains(" ≤0 "),
        "{screen}"
    );
}

#[test]
fn a_series_past_the_threshold_from_the_start_says_so() {
    let pts = [(NOW - 2 * HOUR, 0.5), (NOW - HOUR, 0.6), (NOW, 0.02)];
    let chart = TimeChart::new("x", NOW - 3 * HOUR, NOW)
        .series(ChartSeries {
            label: "f",
            points: &pts,
            color: series_color(0),
        })
        .threshold(Threshold {
            value: 0.1,
            low_is_bad: false,
        });
    let c = chart.crossing().map(|c| (c.0.at, c.0.from_start));
    assert_eq!(c, Some((NOW - 2 * HOUR, true)));
    let t = draw(100, 12, &chart);
    let screen = format!("{:?}", t.backend());
    assert!(
        screen.contains("✗ past the threshold from the window's start"),
        "{screen}"
    );
}
