//! Reports of the demo world's drifting model (simulated backends through
//! a real Console): the PNG decoded, the SVG and the HTML parsed as XML,
//! hostile names neutralized, and the size of a synthetic 100-feature
//! report measured.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use modeldeck_report::{Format, ReportError, ReportInput, render};

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .filter(|t| !t.is_empty())
        .collect()
}

#[tokio::test]
async fn the_sandbox_report_reads_lag_7d_as_drifted() {
    let input = common::demand_forecaster(None).await;
    let r = &input.drift.report;
    let lag = r.features.iter().find(|f| f.feature == "lag_7d").unwrap();
    assert!(lag.score.unwrap().drifted, "{lag:?}");
    // Every charted feature has a history; lag_7d's has points and drifts
    // at the end of the range and not at its start (the shift was 20 h ago).
    let h = input
        .histories
        .iter()
        .find(|h| h.feature == "lag_7d")
        .unwrap();
    assert!(h.error.is_none() && h.points.len() > 20, "{h:?}");
    assert!(!h.points[0].score.drifted && h.points.last().unwrap().score.drifted);
    // p99 latency and error ratio of the workload(s) serving it.
    assert!(input.health.len() >= 2, "{:?}", input.health_note);
    assert!(
        input
            .health
            .iter()
            .any(|c| c.title.starts_with("p99 latency")
                && c.points.iter().any(|p| p.1.is_finite() && p.1 > 0.0))
    );
}

#[tokio::test]
async fn png_decodes_with_text_and_chart_pixels() {
    let input = common::demand_forecaster(None).await;
    let bytes = render(&input, Format::Png).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.color_type), (1200, png::ColorType::Rgb));
    assert!(info.height > 1000, "{}", info.height);
    let w = info.width as usize;
    let px = |x: usize, y: usize| {
        let i = (y * w + x) * 3;
        (buf[i], buf[i + 1], buf[i + 2])
    };
    let count = |y0: usize, y1: usize, f: &dyn Fn((u8, u8, u8)) -> bool| {
        (y0..y1)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| f(px(x, y)))
            .count()
    };
    let dark = |(r, g, b): (u8, u8, u8)| r < 100 && g < 100 && b < 100;
    // The title (the embedded font draws it): dark pixels in the first 40 rows.
    assert!(count(0, 40, &dark) > 300, "no title text");
    // The score line (blue) and drifted points / threshold (red) below the table.
    let h = info.height as usize;
    let blue = |(r, g, b): (u8, u8, u8)| r < 60 && (100..140).contains(&g) && b > 160;
    let red = |(r, g, b): (u8, u8, u8)| r > 190 && g < 70 && b < 70;
    assert!(count(h / 3, h, &blue) > 500, "no score lines");
    assert!(
        count(h / 3, h, &red) > 200,
        "no threshold or drifted points"
    );
    // Not blank: a good share of the lower part is drawn.
    let drawn = count(h / 3, h, &|p| p != (255, 255, 255));
    assert!(drawn > w * h / 50, "{drawn}");
}

#[tokio::test]
async fn svg_parses_and_names_the_features_and_verdicts() {
    let input = common::demand_forecaster(None).await;
    let svg = String::from_utf8(render(&input, Format::Svg).unwrap()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let t = texts(&doc);
    assert!(
        t.iter().any(|s| s == "Drift report: demand-forecaster v5"),
        "{t:?}"
    );
    for f in &input.drift.report.features {
        assert!(t.iter().any(|s| s == &f.feature), "{} missing", f.feature);
    }
    assert!(t.iter().any(|s| s == "drift") && t.iter().any(|s| s == "ok"));
    assert!(
        t.iter()
            .any(|s| s.starts_with("lag_7d: ") && s.contains(" over time (")),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s.starts_with("p99 latency")), "{t:?}");
    // The deploy that caused the shift is a marker on the charts.
    assert!(!input.markers.is_empty());
    assert!(
        t.iter().any(|s| s.starts_with("deploy demand-forecaster")),
        "{t:?}"
    );
}

#[tokio::test]
async fn html_is_self_contained_well_formed_and_has_the_table() {
    let input = common::demand_forecaster(None).await;
    let html = String::from_utf8(render(&input, Format::Html).unwrap()).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let els = |name: &str| {
        doc.descendants()
            .filter(|n| n.tag_name().name() == name)
            .collect::<Vec<_>>()
    };
    assert!(els("script").is_empty() && els("link").is_empty() && els("img").is_empty());
    // Nothing is fetched: links stay in the page, nothing has a source.
    for n in doc.descendants().filter(|n| n.is_element()) {
        for a in n.attributes() {
            if a.name() == "href" {
                assert!(a.value().starts_with('#'), "{}", a.value());
            }
            assert_ne!(a.name(), "src");
        }
    }
    let r = &input.drift.report;
    let rows: Vec<_> = els("tbody")[0]
        .children()
        .filter(|n| n.tag_name().name() == "tr")
        .collect();
    assert_eq!(
        rows.len(),
        r.features.len() + usize::from(r.prediction.is_some())
    );
    // Worst first: lag_7d's row leads, marked drifted, verdict `drift`.
    let first: Vec<String> = rows[0]
        .descendants()
        .filter_map(|n| n.text())
        .map(str::to_string)
        .collect();
    assert_eq!(first[0], "lag_7d");
    assert!(first.contains(&"drift".to_string()), "{first:?}");
    assert_eq!(rows[0].attribute("class"), Some("drift"));
    // Two charts per feature (every feature in HTML) plus the health charts.
    let charts = r.features.len() + usize::from(r.prediction.is_some());
    assert_eq!(els("svg").len(), 2 * charts + input.health.len());
}

/// Synthetic: demand-forecaster's rows repeated as 100 features.
#[tokio::test]
async fn a_synthetic_100_feature_html_report_is_under_1_mb() {
    let base = common::demand_forecaster(None).await;
    let input = common::synthetic(&base, 100);
    let started = std::time::Instant::now();
    let html = render(&input, Format::Html).unwrap();
    let took = started.elapsed();
    eprintln!(
        "synthetic 100 features: html {} bytes in {took:?}",
        html.len()
    );
    assert!(html.len() < 1_000_000, "{} bytes", html.len());
    let text = String::from_utf8(html).unwrap();
    let rows = 100 + usize::from(input.drift.report.prediction.is_some());
    assert_eq!(text.matches("<section id=\"f").count(), rows);
    // The images chart the 8 most drifted and list all 100 in the table.
    let svg = String::from_utf8(render(&input, Format::Svg).unwrap()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let t = texts(&doc);
    assert!(
        t.iter()
            .any(|s| s == "f099_lag_7d" || s.starts_with("f099")),
        "{t:?}"
    );
    assert!(t.iter().any(|s| *s == format!("Charts of the 8 most drifted of {rows} features (the HTML report charts every feature).")));
    let png = render(&input, Format::Png).unwrap();
    eprintln!(
        "synthetic 100 features: svg {} bytes, png {} bytes",
        svg.len(),
        png.len()
    );
}

fn hostile(mut input: ReportInput) -> ReportInput {
    const NAME: &str = "<script>alert(1)</script>\u{202E}gpj.exe\u{1b}[2J\u{7}";
    let old = input.drift.report.features[0].feature.clone();
    input.drift.report.features[0].feature = NAME.into();
    let mut bins = input.drift.report.features[0].bins.to_vec();
    bins[0] = "</text><script>x</script>".into();
    input.drift.report.features[0].bins = bins.into();
    for h in &mut input.histories {
        if h.feature == old {
            h.feature = NAME.into();
        }
    }
    input.drift.model = "m\"odel<b>&\u{2066}".into();
    input.markers.push(modeldeck_report::Marker {
        at: input.generated_at.0 - 3_600_000,
        kind: modeldeck_report::MarkerKind::Rollback,
        label: "<img src=x onerror=alert(1)>".into(),
    });
    input
}

#[tokio::test]
async fn hostile_names_are_escaped_and_neutralized_in_html_and_svg() {
    let input = hostile(common::demand_forecaster(None).await);
    let max = Some(input.drift.report.features.len() + 1);
    let input = ReportInput {
        max_charts: max,
        ..input
    };
    for format in [Format::Html, Format::Svg] {
        let out = String::from_utf8(render(&input, format).unwrap()).unwrap();
        for bad in [
            "<script", "<img", "<b>", "\u{202E}", "\u{2066}", "\u{1b}", "\u{7}",
        ] {
            assert!(!out.contains(bad), "{format:?} contains {bad:?}");
        }
        let doc = roxmltree::Document::parse_with_options(
            &out,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap();
        let t = texts(&doc).join("\n");
        // The text reads as typed, with the controls shown as U+FFFD.
        assert!(
            t.contains("<script>alert(1)</script>\u{FFFD}gpj.exe\u{FFFD}[2J\u{FFFD}")
                || t.contains("<script>alert(1)</script>\u{FFFD}gpj.exe"),
            "{format:?}: {t}"
        );
        assert!(t.contains("m\"odel<b>&\u{FFFD}"), "{format:?}");
    }
    // The PNG draws the same text without failing.
    assert!(render(&input, Format::Png).is_ok());
}

#[tokio::test]
async fn missing_data_is_said_not_drawn_as_zero() {
    let mut input = common::demand_forecaster(None).await;
    input.histories.clear();
    input.health.clear();
    input.health_note = Some("no workload serves it".into());
    for f in &mut input.drift.report.features {
        f.score = None;
        f.live_n = 0.0;
        f.live_share.iter_mut().for_each(|v| *v = 0.0);
    }
    let svg = String::from_utf8(render(&input, Format::Svg).unwrap()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let t = texts(&doc);
    assert!(t.iter().any(|s| s == "no data"), "{t:?}");
    assert!(
        t.iter().any(|s| s.ends_with("reference (no live data)")),
        "{t:?}"
    );
    assert!(
        t.iter()
            .any(|s| s == "Serving health: no workload serves it"),
        "{t:?}"
    );
    assert!(render(&input, Format::Png).is_ok());
    assert!(render(&input, Format::Html).is_ok());
}

#[tokio::test]
async fn a_png_too_tall_is_refused_with_what_to_do() {
    let base = common::demand_forecaster(None).await;
    let mut input = common::synthetic(&base, 100);
    input.max_charts = Some(100);
    match render(&input, Format::Png) {
        Err(e @ ReportError::TooLarge { .. }) => {
            let m = e.to_string();
            assert!(m.contains("--charts") && m.contains("HTML"), "{m}");
        }
        other => panic!("expected TooLarge, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn formats_come_from_extensions() {
    use std::path::Path;
    assert_eq!(Format::from_path(Path::new("r.HTML")), Some(Format::Html));
    assert_eq!(Format::from_path(Path::new("r.htm")), Some(Format::Html));
    assert_eq!(
        Format::from_path(Path::new("/tmp/x.svg")),
        Some(Format::Svg)
    );
    assert_eq!(Format::from_path(Path::new("x.png")), Some(Format::Png));
    assert_eq!(Format::from_path(Path::new("x.pdf")), None);
    assert_eq!(Format::from_path(Path::new("x")), None);
}

/// A p-value method's history (KS here: the sandbox's features use
/// distances) is drawn as -log10 p, labelled with p, its threshold as
/// `p < 0.05`; p = 0 is drawn at the floor, not lost.
#[tokio::test]
async fn p_value_scores_are_labelled_as_p_values() {
    use modeldeck_core::drift::Method;
    let mut input = common::demand_forecaster(None).await;
    let h = input
        .histories
        .iter_mut()
        .find(|h| h.feature == "lag_7d")
        .unwrap();
    let n = h.points.len();
    for (i, p) in h.points.iter_mut().enumerate() {
        let v = if i + 1 == n {
            0.0
        } else {
            10f64.powi(-(i as i32) / 4)
        };
        p.score.method = Method::Ks;
        p.score.value = v;
        p.score.threshold = 0.05;
        p.score.drifted = v < 0.05;
    }
    let svg = String::from_utf8(render(&input, Format::Svg).unwrap()).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let t = texts(&doc);
    assert!(
        t.iter().any(|s| s == "lag_7d: ks over time (p < 0.05)"),
        "{t:?}"
    );
    assert!(
        t.iter().filter(|s| s.starts_with("p=")).count() >= 3,
        "{t:?}"
    );
}
