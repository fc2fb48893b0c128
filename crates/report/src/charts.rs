//! The three charts of a report, drawn on any plotters backend: a
//! feature's score over time with its threshold and the markers, its
//! reference vs live histogram, and a serving-health series. A chart with
//! nothing to draw says why in its place.
//!
//! P-value methods (KS, chi-square) are drawn as `-log10(p)`, labelled
//! with p, so on every chart higher means more drift and the threshold is
//! a line to stay under. The score line is blue where the feature is fine
//! and red where it drifts.

use crate::text::{clip, time_label};
use crate::{FeatureHistory, HealthChart, Marker, MarkerKind};
use modeldeck_core::drift::FeatureDriftRow;
use modeldeck_core::drift::text::{number, threshold};
use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::types::{RangedCoordf64, RangedCoordi64};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a chart function returns: plotters' error as text.
pub type Drawn = Result<(), String>;

/// The live series.
pub const LIVE: RGBColor = RGBColor(31, 119, 180);
/// The reference.
pub const REFERENCE: RGBColor = RGBColor(140, 140, 140);
/// Thresholds and drifted points.
pub const DRIFT: RGBColor = RGBColor(214, 39, 40);
/// Deploy, approval and retrain markers.
pub const MARK: RGBColor = RGBColor(44, 160, 44);
/// Promotion markers.
pub const PROMOTION: RGBColor = RGBColor(148, 103, 189);
/// Rollback markers.
pub const ROLLBACK: RGBColor = RGBColor(255, 127, 14);

fn marker_color(kind: MarkerKind) -> &'static RGBColor {
    match kind {
        MarkerKind::Promotion => &PROMOTION,
        MarkerKind::Rollback => &ROLLBACK,
        _ => &MARK,
    }
}

/// The smallest p-value drawn: `p = 0` sits at 1e-12.
const P_FLOOR: f64 = 1e-12;

pub fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font())
}

/// Draws `caption` and `text` in the chart's place.
fn message<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, caption: &str, text: &str) -> Drawn {
    let body = area.titled(caption, font(13)).map_err(err)?;
    let (_, h) = body.dim_in_pixel();
    let y = i32::try_from(h / 2).unwrap_or(0);
    body.draw_text(&clip(text, 90), &font(12).color(&REFERENCE), (12, y))
        .map_err(err)
}

/// `feature`'s score over time in `range` (Unix ms): the score line, the
/// drifted points in red, the threshold dashed, the markers.
pub fn score<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    feature: &str,
    history: Option<&FeatureHistory>,
    range: (i64, i64),
    markers: &[Marker],
) -> Drawn {
    let name = clip(feature, 40);
    let Some(h) = history else {
        return message(area, &format!("{name}: score over time"), "not read");
    };
    if let Some(e) = &h.error {
        return message(area, &format!("{name}: score over time"), e);
    }
    let Some(first) = h.points.first() else {
        return message(
            area,
            &format!("{name}: score over time"),
            "no data in the range",
        );
    };
    let method = first.score.method;
    let p = method.is_p_value();
    let y_of = |v: f64| {
        if p { -(v.max(P_FLOOR)).log10() } else { v }
    };
    let thr = y_of(first.score.threshold);
    let pts: Vec<(i64, f64, bool)> = h
        .points
        .iter()
        .filter(|d| d.score.value.is_finite())
        .map(|d| (d.at.0, y_of(d.score.value), d.score.drifted))
        .collect();
    let top = pts.iter().map(|p| p.1).fold(thr, f64::max).max(1e-3) * 1.15;
    let (x0, x1) = (range.0, range.1.max(range.0 + 1));
    let caption = format!(
        "{name}: {} over time ({})",
        method.label(),
        threshold(&first.score)
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(13))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(46)
        .build_cartesian_2d(x0..x1, 0f64..top)
        .map_err(err)?;
    let span = x1 - x0;
    let y_fmt = |v: &f64| {
        if p {
            format!("p={}", number(10f64.powf(-v)))
        } else {
            number(*v)
        }
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(4)
        .x_label_formatter(&|v| time_label(*v, span))
        .y_label_formatter(&y_fmt)
        .label_style(font(11))
        .draw()
        .map_err(err)?;
    // The threshold, then the score: blue where it is fine, red where it
    // drifts (one line per run, so the file stays small).
    chart
        .draw_series(LineSeries::new([(x0, thr), (x1, thr)], DRIFT.mix(0.7)))
        .map_err(err)?;
    let mut runs: Vec<(bool, Vec<(i64, f64)>)> = Vec::new();
    for &(t, v, drifted) in &pts {
        match runs.last_mut() {
            Some((d, run)) if *d == drifted => run.push((t, v)),
            Some((_, run)) => {
                // Join the runs: the new one starts where the last ended.
                let joint = run.last().copied();
                runs.push((drifted, joint.into_iter().chain([(t, v)]).collect()));
            }
            None => runs.push((drifted, vec![(t, v)])),
        }
    }
    for (drifted, run) in runs {
        let color = if drifted { DRIFT } else { LIVE };
        if run.len() == 1 {
            chart
                .draw_series(run.iter().map(|&p| Circle::new(p, 2, color.filled())))
                .map_err(err)?;
        } else {
            chart
                .draw_series(LineSeries::new(run, color.stroke_width(2)))
                .map_err(err)?;
        }
    }
    draw_markers(&mut chart, markers, (x0, x1), top)
}

fn draw_markers<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordi64, RangedCoordf64>>,
    markers: &[Marker],
    (x0, x1): (i64, i64),
    top: f64,
) -> Drawn {
    let inside: Vec<&Marker> = markers
        .iter()
        .filter(|m| m.at >= x0 && m.at <= x1)
        .collect();
    chart
        .draw_series(
            inside
                .iter()
                .map(|m| PathElement::new(vec![(m.at, 0.0), (m.at, top)], *marker_color(m.kind))),
        )
        .map_err(err)?;
    chart
        .draw_series(inside.iter().map(|m| {
            // Past two thirds of the chart, the label goes left of its line
            // so it is not cut at the edge.
            let h = if (m.at - x0) * 3 > (x1 - x0) * 2 {
                HPos::Right
            } else {
                HPos::Left
            };
            let style = font(10)
                .color(marker_color(m.kind))
                .pos(Pos::new(h, VPos::Top));
            Text::new(clip(&m.label, 28), (m.at, top), style)
        }))
        .map_err(err)?;
    Ok(())
}

/// `row`'s reference (grey) and live (blue) shares per bin or category,
/// overlaid.
pub fn histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    row: &FeatureDriftRow,
) -> Drawn {
    let name = clip(&row.feature, 40);
    let bins = row.bins.to_vec();
    let n = bins.len();
    if n == 0 {
        return message(area, &format!("{name}: distribution"), "no bins");
    }
    let has_live = row.live_n > 0.0 && row.live_share.iter().any(|v| *v > 0.0);
    let top = row
        .reference_share
        .iter()
        .chain(row.live_share.iter())
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.01, f64::max)
        * 1.15;
    let caption = if has_live {
        format!("{name}: reference vs live")
    } else {
        format!("{name}: reference (no live data)")
    };
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(13))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(40)
        .build_cartesian_2d((0..n32).into_segmented(), 0f64..top)
        .map_err(err)?;
    // About eight labels fit under a 500 px chart.
    let every = n.div_ceil(8).max(1);
    let label = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(i) if (*i as usize).is_multiple_of(every) => {
            bins.get(*i as usize).map_or(String::new(), |b| clip(b, 10))
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(n.min(40))
        .y_labels(4)
        .x_label_formatter(&label)
        .y_label_formatter(&|v| format!("{}%", number(v * 100.0)))
        .label_style(font(11))
        .draw()
        .map_err(err)?;
    let bars = |shares: &[f64], color: RGBAColor| {
        shares
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite() && **v > 0.0)
            .map(move |(i, v)| {
                let i = u32::try_from(i).unwrap_or(u32::MAX);
                Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), *v),
                    ],
                    color.filled(),
                )
            })
            .collect::<Vec<_>>()
    };
    chart
        .draw_series(bars(&row.reference_share, REFERENCE.mix(0.55)))
        .map_err(err)?
        .label("reference")
        .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], REFERENCE.filled()));
    if has_live {
        chart
            .draw_series(bars(&row.live_share, LIVE.mix(0.55)))
            .map_err(err)?
            .label("live")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], LIVE.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(font(11))
        .border_style(REFERENCE)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(err)
}

/// One health series over `range` (Unix ms); NaN breaks the line.
pub fn health<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart_in: &HealthChart,
    range: (i64, i64),
    markers: &[Marker],
) -> Drawn {
    let line = Line {
        name: "",
        color: LIVE,
        points: &chart_in.points,
    };
    health_lines(
        area,
        &Lines {
            title: &chart_in.title,
            unit: &chart_in.unit,
            error: chart_in.error.as_deref(),
            lines: std::slice::from_ref(&line),
            threshold: None,
        },
        range,
        markers,
    )
}

/// One line of a health chart.
pub struct Line<'a> {
    /// Its name in the legend (empty: no legend entry).
    pub name: &'a str,
    /// Its colour.
    pub color: RGBColor,
    /// (time, value) in time order; NaN is a gap.
    pub points: &'a [(crate::Timestamp, f64)],
}

/// What a health chart draws: its lines, an optional limit line.
pub struct Lines<'a> {
    /// The caption.
    pub title: &'a str,
    /// The y axis' unit.
    pub unit: &'a str,
    /// Why there is nothing to draw, drawn in the chart's place.
    pub error: Option<&'a str>,
    /// The series.
    pub lines: &'a [Line<'a>],
    /// A limit (value, legend label), drawn as a red line.
    pub threshold: Option<(f64, &'a str)>,
}

/// Health series over `range` (Unix ms), each broken at NaN, with an
/// optional threshold and the markers; a legend names the lines that
/// have names and the threshold.
pub fn health_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Lines<'_>,
    range: (i64, i64),
    markers: &[Marker],
) -> Drawn {
    let title = clip(c.title, 60);
    if let Some(e) = c.error {
        return message(area, &title, e);
    }
    let finite: Vec<f64> = c
        .lines
        .iter()
        .flat_map(|l| l.points.iter())
        .filter(|p| p.1.is_finite())
        .map(|p| p.1)
        .collect();
    if finite.is_empty() {
        return message(area, &title, "no data in the window");
    }
    let thr = c.threshold.filter(|t| t.0.is_finite());
    let top = finite
        .iter()
        .copied()
        .chain(thr.map(|t| t.0))
        .fold(1e-3, f64::max)
        * 1.15;
    let (x0, x1) = (range.0, range.1.max(range.0 + 1));
    let span = x1 - x0;
    let mut chart = ChartBuilder::on(area)
        .caption(title, font(13))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(46)
        .build_cartesian_2d(x0..x1, 0f64..top)
        .map_err(err)?;
    let unit = clip(c.unit, 8);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(4)
        .x_label_formatter(&|v| time_label(*v, span))
        .y_label_formatter(&|v| format!("{}{unit}", number(*v)))
        .label_style(font(11))
        .draw()
        .map_err(err)?;
    let mut legend = false;
    if let Some((v, label)) = thr {
        chart
            .draw_series(LineSeries::new([(x0, v), (x1, v)], DRIFT.mix(0.7)))
            .map_err(err)?
            .label(clip(label, 40))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], DRIFT));
        legend = true;
    }
    for line in c.lines {
        // One line per run of finite points, so a gap stays a gap.
        let mut runs: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
        for &(t, v) in line.points {
            if v.is_finite() {
                if let Some(r) = runs.last_mut() {
                    r.push((t.0, v));
                }
            } else if runs.last().is_some_and(|r| !r.is_empty()) {
                runs.push(Vec::new());
            }
        }
        let color = line.color;
        for (i, r) in runs.into_iter().filter(|r| !r.is_empty()).enumerate() {
            let drawn = chart
                .draw_series(LineSeries::new(r, color.stroke_width(2)))
                .map_err(err)?;
            if i == 0 && !line.name.is_empty() {
                drawn.label(clip(line.name, 30)).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 12, y)], color.stroke_width(2))
                });
                legend = true;
            }
        }
    }
    draw_markers(&mut chart, markers, (x0, x1), top)?;
    if legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(font(11))
            .border_style(REFERENCE)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}
