//! One serving-health chart as an image, as the desktop's health panel
//! shows it (latency p50/p95/p99, traffic, or errors, over a window, with
//! the markers and the policy's limit), drawn by the same chart function
//! and the same SVG/PNG machinery as a report page.

use crate::charts::{self, LIVE, Line, Lines};
use crate::{Format, Marker, ReportError, page};
use modeldeck_core::console::HealthView;
use modeldeck_core::domain::{Signal, Timestamp};
use modeldeck_core::text::clean;
use plotters::prelude::*;

/// Smallest image side drawn, pixels.
pub const MIN_CHART_SIDE: u32 = 120;
/// Largest image side drawn, pixels.
pub const MAX_CHART_SIDE: u32 = 4096;

/// Which of the health panel's charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthPanel {
    /// Latency p50, p95 and p99, in ms.
    Latency,
    /// Requests per second.
    Traffic,
    /// The error ratio, in percent.
    Errors,
}

impl HealthPanel {
    /// Every panel.
    pub const ALL: [HealthPanel; 3] = [
        HealthPanel::Latency,
        HealthPanel::Traffic,
        HealthPanel::Errors,
    ];

    /// `latency`, `traffic` or `errors`.
    pub fn name(self) -> &'static str {
        match self {
            HealthPanel::Latency => "latency",
            HealthPanel::Traffic => "traffic",
            HealthPanel::Errors => "errors",
        }
    }

    /// The panel named `s` (exactly one of [`HealthPanel::name`]).
    pub fn parse(s: &str) -> Option<HealthPanel> {
        HealthPanel::ALL.into_iter().find(|p| p.name() == s)
    }

    fn spec(self) -> PanelSpec {
        let (caption, unit, scale, signals, limit): (_, _, _, &'static [_], _) = match self {
            HealthPanel::Latency => (
                "Latency",
                " ms",
                1000.0,
                &[
                    (Signal::LatencyP50, "p50"),
                    (Signal::LatencyP95, "p95"),
                    (Signal::LatencyP99, "p99"),
                ],
                Some(Signal::LatencyP99),
            ),
            HealthPanel::Traffic => (
                "Traffic",
                "/s",
                1.0,
                &[(Signal::RequestRate, "requests/s")],
                None,
            ),
            HealthPanel::Errors => (
                "Errors",
                "%",
                100.0,
                &[(Signal::ErrorRatio, "error %")],
                Some(Signal::ErrorRatio),
            ),
        };
        PanelSpec {
            caption,
            unit,
            scale,
            signals,
            limit,
        }
    }
}

/// How a panel is drawn.
struct PanelSpec {
    /// The caption's start.
    caption: &'static str,
    /// The y axis' unit.
    unit: &'static str,
    /// From the signal's unit to the chart's.
    scale: f64,
    /// The lines: signal and legend name.
    signals: &'static [(Signal, &'static str)],
    /// The signal whose limit is drawn.
    limit: Option<Signal>,
}

/// A line read from the view: legend name, colour, scaled points.
type Read = (&'static str, RGBColor, Vec<(Timestamp, f64)>);

/// A limit on a signal, in the signal's own unit (seconds, a ratio).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthLimit {
    /// The signal it limits.
    pub signal: Signal,
    /// The limit.
    pub value: f64,
    /// Its name (`SLO p99`), shown in the legend with the value.
    pub label: String,
}

/// One health chart to draw.
#[derive(Debug, Clone, Copy)]
pub struct HealthChartRequest<'a> {
    /// The workload's health (`Console::health`).
    pub view: &'a HealthView,
    /// Which chart.
    pub panel: HealthPanel,
    /// The policy's limits; the panel's own is drawn.
    pub limits: &'a [HealthLimit],
    /// Markers; those in the window are drawn.
    pub markers: &'a [Marker],
    /// The window shown, Unix ms `(from, to)` (a zoom of the view's range).
    pub window: (i64, i64),
    /// SVG or PNG.
    pub format: Format,
    /// Width and height, pixels.
    pub size: (u32, u32),
}

/// One health chart as `format` bytes (UTF-8 text for SVG).
///
/// Errors: [`ReportError::Invalid`] for HTML, a window that is not
/// `from < to`, or a side outside [`MIN_CHART_SIDE`]..=[`MAX_CHART_SIDE`];
/// [`ReportError::Draw`] when plotters fails; [`ReportError::Font`].
pub fn health_chart(req: &HealthChartRequest<'_>) -> Result<Vec<u8>, ReportError> {
    let (w, h) = req.size;
    let side = MIN_CHART_SIDE..=MAX_CHART_SIDE;
    if !side.contains(&w) || !side.contains(&h) {
        return Err(ReportError::Invalid(format!(
            "a chart of {w}x{h} px: each side must be {MIN_CHART_SIDE} to {MAX_CHART_SIDE} px"
        )));
    }
    let (from, to) = req.window;
    if from >= to {
        return Err(ReportError::Invalid(format!(
            "the window {from}..{to} (Unix ms) is empty: from must be before to"
        )));
    }
    crate::register_font()?;
    let PanelSpec {
        caption,
        unit,
        scale: k,
        signals,
        limit: limit_of,
    } = req.panel.spec();
    let t = &req.view.target;
    let title = format!(
        "{caption}: {}/{} ({})",
        clean(&t.namespace),
        clean(&t.name),
        clean(&t.cluster)
    );
    const COLORS: [RGBColor; 3] = [RGBColor(23, 190, 207), LIVE, RGBColor(31, 45, 110)];
    let mut errors = Vec::new();
    let series: Vec<Read> = signals
        .iter()
        .enumerate()
        .filter_map(|(i, (signal, name))| {
            let s = req.view.get(*signal)?;
            if let Some(e) = &s.error {
                errors.push(format!("{name}: {}", clean(&e.message)));
                return None;
            }
            let pts = s
                .series
                .points
                .iter()
                .filter(|p| p.0.0 >= from && p.0.0 <= to)
                .map(|&(t, v)| (t, v * k))
                .collect();
            let color = if signals.len() == 1 {
                LIVE
            } else {
                COLORS[i % 3]
            };
            Some((*name, color, pts))
        })
        .collect();
    let lines: Vec<Line<'_>> = series
        .iter()
        .map(|(name, color, pts)| Line {
            name,
            color: *color,
            points: pts,
        })
        .collect();
    let error = if lines.is_empty() {
        Some(if errors.is_empty() {
            "not read".to_string()
        } else {
            errors.join("; ")
        })
    } else {
        None
    };
    let limit = limit_of.and_then(|sig| req.limits.iter().find(|l| l.signal == sig));
    let limit_label = limit.map(|l| {
        format!(
            "{} {}{unit}",
            clean(&l.label),
            modeldeck_core::drift::text::number(l.value * k)
        )
    });
    let markers: Vec<Marker> = req
        .markers
        .iter()
        .map(|m| Marker {
            label: clean(&m.label).into_owned(),
            ..m.clone()
        })
        .collect();
    let spec = Lines {
        title: &title,
        unit: unit.trim_start(),
        error: error.as_deref(),
        lines: &lines,
        threshold: limit
            .zip(limit_label.as_deref())
            .map(|(l, label)| (l.value * k, label)),
    };
    let range = (from, to);
    match req.format {
        Format::Svg => {
            Ok(page::svg_of(req.size, |r| paint(r, &spec, range, &markers))?.into_bytes())
        }
        Format::Png => page::png_of(req.size, |r| paint(r, &spec, range, &markers)),
        Format::Html => Err(ReportError::Invalid(
            "a single chart is drawn as SVG or PNG, not HTML".to_string(),
        )),
    }
}

fn paint<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    spec: &Lines<'_>,
    range: (i64, i64),
    markers: &[Marker],
) -> charts::Drawn {
    root.fill(&WHITE).map_err(charts::err)?;
    charts::health_lines(root, spec, range, markers)
}

#[cfg(test)]
#[path = "single_tests.rs"]
mod tests;
