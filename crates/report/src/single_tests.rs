#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::MarkerKind;
use modeldeck_core::console::HealthSeries;
use modeldeck_core::domain::{Series, TimeRange, WorkloadKind, WorkloadRef};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};

const T0: i64 = 1_700_000_000_000;
const STEP: i64 = 60_000;

fn series(signal: Signal, f: impl Fn(i64) -> f64) -> HealthSeries {
    HealthSeries {
        signal,
        series: Series {
            points: (0..120).map(|i| (Timestamp(T0 + i * STEP), f(i))).collect(),
        },
        error: None,
        by_version: Vec::new(),
    }
}

fn view(name: &str) -> HealthView {
    HealthView {
        target: WorkloadRef {
            cluster: "prod".into(),
            namespace: "fraud".into(),
            kind: WorkloadKind::Deployment,
            name: name.into(),
        },
        model: Some("fraud".into()),
        served: Vec::new(),
        per_version: false,
        per_version_note: None,
        range: TimeRange {
            start: Timestamp(T0),
            end: Timestamp(T0 + 119 * STEP),
            step_ms: STEP,
        },
        lag: None,
        signals: vec![
            series(Signal::LatencyP50, |i| 0.010 + (i % 7) as f64 * 0.001),
            series(Signal::LatencyP95, |i| 0.030 + (i % 5) as f64 * 0.002),
            series(Signal::LatencyP99, |i| {
                if i == 60 {
                    f64::NAN
                } else {
                    0.045 + (i % 9) as f64 * 0.002
                }
            }),
            series(Signal::RequestRate, |i| 40.0 + (i % 11) as f64),
            HealthSeries {
                signal: Signal::ErrorRatio,
                series: Series { points: Vec::new() },
                error: Some(BackendError::new(
                    Backend::Metrics,
                    ErrorCode::Unreachable,
                    "prometheus <down>",
                )),
                by_version: Vec::new(),
            },
        ],
    }
}

fn limits() -> Vec<HealthLimit> {
    vec![HealthLimit {
        signal: Signal::LatencyP99,
        value: 0.05,
        label: "SLO p99".into(),
    }]
}

fn markers(label: &str) -> Vec<Marker> {
    vec![Marker {
        at: T0 + 30 * STEP,
        kind: MarkerKind::Promotion,
        label: label.into(),
    }]
}

fn draw(
    v: &HealthView,
    panel: HealthPanel,
    m: &[Marker],
    format: Format,
    size: (u32, u32),
) -> Vec<u8> {
    let l = limits();
    health_chart(&HealthChartRequest {
        view: v,
        panel,
        limits: &l,
        markers: m,
        window: (T0, T0 + 119 * STEP),
        format,
        size,
    })
    .unwrap()
}

#[test]
fn png_has_the_signature_and_the_asked_size() {
    let v = view("scorer");
    let png = draw(
        &v,
        HealthPanel::Latency,
        &markers("v7"),
        Format::Png,
        (900, 320),
    );
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let reader = png::Decoder::new(std::io::Cursor::new(&png))
        .read_info()
        .unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (900, 320));
    // Not a blank page: the lines are drawn in colour.
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    let blue = buf
        .chunks(3)
        .filter(|p| p[0] == LIVE.0 && p[1] == LIVE.1 && p[2] == LIVE.2)
        .count();
    assert!(blue > 200, "{blue} pixels of the p95 line");
}

#[test]
fn svg_is_xml_with_the_series_names_and_the_threshold() {
    let v = view("scorer");
    let svg =
        String::from_utf8(draw(&v, HealthPanel::Latency, &[], Format::Svg, (800, 300))).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for want in [
        "p50",
        "p95",
        "p99",
        "SLO p99 50 ms",
        "Latency: fraud/scorer (prod)",
    ] {
        assert!(
            texts.iter().any(|t| t.trim() == want),
            "{want} not in {texts:?}"
        );
    }
    assert_eq!(doc.root_element().attribute("width"), Some("800"));
    // Traffic has no limit: no legend entry for one.
    let svg =
        String::from_utf8(draw(&v, HealthPanel::Traffic, &[], Format::Svg, (800, 300))).unwrap();
    assert!(svg.contains("requests/s"));
    assert!(!svg.contains("SLO"));
}

#[test]
fn a_failed_series_is_named_in_its_place() {
    let v = view("scorer");
    let svg =
        String::from_utf8(draw(&v, HealthPanel::Errors, &[], Format::Svg, (600, 200))).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(svg.contains("prometheus &lt;down&gt;"), "{svg}");
    assert!(
        doc.descendants()
            .any(|n| n.text().map(str::trim) == Some("error %: prometheus <down>")),
        "{svg}"
    );
}

#[test]
fn hostile_names_are_escaped_in_svg() {
    let v = view("<script>alert(1)</script>");
    let m = markers("<script>x</script>\u{202e}");
    let svg =
        String::from_utf8(draw(&v, HealthPanel::Latency, &m, Format::Svg, (800, 300))).unwrap();
    assert!(!svg.contains("<script"), "{svg}");
    assert!(svg.contains("&lt;script&gt;"));
    assert!(!svg.contains('\u{202e}'));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(doc.descendants().all(|n| n.tag_name().name() != "script"));
}

#[test]
fn the_window_limits_what_is_drawn() {
    let v = view("scorer");
    // A zoom on the last ten minutes: the marker (at 30 min) is outside.
    let m = markers("promoted v7");
    let req = |window| HealthChartRequest {
        view: &v,
        panel: HealthPanel::Traffic,
        limits: &[],
        markers: &m,
        window,
        format: Format::Svg,
        size: (600, 200),
    };
    let all = String::from_utf8(health_chart(&req((T0, T0 + 119 * STEP))).unwrap()).unwrap();
    assert!(all.contains("promoted v7"));
    let zoom =
        String::from_utf8(health_chart(&req((T0 + 110 * STEP, T0 + 119 * STEP))).unwrap()).unwrap();
    assert!(!zoom.contains("promoted v7"));
    // Bad requests are refused with what is wrong.
    let e = health_chart(&req((T0, T0))).unwrap_err();
    assert!(e.to_string().contains("window"), "{e}");
    let e = health_chart(&HealthChartRequest {
        size: (10, 200),
        ..req((T0, T0 + 1))
    })
    .unwrap_err();
    assert!(e.to_string().contains("10x200"), "{e}");
    let e = health_chart(&HealthChartRequest {
        format: Format::Html,
        ..req((T0, T0 + 1))
    })
    .unwrap_err();
    assert!(e.to_string().contains("HTML"), "{e}");
}
