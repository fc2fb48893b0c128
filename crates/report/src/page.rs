//! The report as one image (SVG or PNG), 1,200 px wide: the title and
//! summary, the drift table (every feature), then for the most drifted
//! features their score over time next to their histogram, then the
//! serving-health charts, then the footer.

use crate::charts::{self, DRIFT, Drawn, err};
use crate::crisp::Crisp;
use crate::text::{self, clip};
use crate::{DEFAULT_IMAGE_CHARTS, MAX_PNG_HEIGHT, ReportError, ReportInput};
use modeldeck_core::drift::FeatureDriftRow;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Page width, pixels.
pub const WIDTH: u32 = 1200;
const HEADER: u32 = 64;
const ROW: u32 = 18;
const CHART: u32 = 220;
const SECTION: u32 = 28;
const FOOTER: u32 = 28;
/// Where the score chart ends and the histogram starts.
const SPLIT: u32 = 700;
/// Column x positions and widths (characters) of the drift table.
const TABLE: [(i32, usize); 9] = [
    (16, 36),
    (300, 11),
    (380, 11),
    (470, 12),
    (560, 12),
    (660, 8),
    (730, 18),
    (870, 12),
    (970, 30),
];

/// What goes on the page and how tall it is.
struct Layout<'a> {
    rows: Vec<(&'a FeatureDriftRow, bool)>,
    charted: Vec<&'a FeatureDriftRow>,
    height: u32,
}

fn layout(input: &ReportInput) -> Layout<'_> {
    let rows = text::rows(input);
    let max = input.max_charts.unwrap_or(DEFAULT_IMAGE_CHARTS);
    let charted = crate::charted(input, max);
    let health_rows = u32::try_from(input.health.len().div_ceil(2)).unwrap_or(u32::MAX);
    let n_rows = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let n_charts = u32::try_from(charted.len()).unwrap_or(u32::MAX);
    let height = HEADER
        .saturating_add(n_rows.saturating_add(1).saturating_mul(ROW))
        .saturating_add(SECTION)
        .saturating_add(n_charts.saturating_mul(CHART))
        .saturating_add(SECTION)
        .saturating_add(health_rows.saturating_mul(CHART))
        .saturating_add(FOOTER);
    Layout {
        rows,
        charted,
        height,
    }
}

/// The report as an SVG document.
pub fn svg(input: &ReportInput) -> Result<String, ReportError> {
    let l = layout(input);
    svg_of((WIDTH, l.height), |root| draw(root, input, &l))
}

/// The report as a PNG file (8-bit RGB).
pub fn png(input: &ReportInput) -> Result<Vec<u8>, ReportError> {
    let l = layout(input);
    if l.height > MAX_PNG_HEIGHT {
        return Err(ReportError::TooLarge {
            features: l.rows.len(),
            charts: l.charted.len(),
            height: l.height,
            max: MAX_PNG_HEIGHT,
        });
    }
    png_of((WIDTH, l.height), |root| draw(root, input, &l))
}

/// What `paint` draws on a `size` SVG, compacted.
pub(crate) fn svg_of(
    size: (u32, u32),
    paint: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Drawn,
) -> Result<String, ReportError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        paint(&root).map_err(|reason| ReportError::Draw {
            format: "svg",
            reason,
        })?;
        root.present().map_err(|e| ReportError::Draw {
            format: "svg",
            reason: e.to_string(),
        })?;
    }
    Ok(crate::compact_svg(&out))
}

/// What `paint` draws on a `size` bitmap, its text laid out by [`Crisp`]
/// with the embedded font, as a PNG file (8-bit RGB).
pub(crate) fn png_of(
    (width, height): (u32, u32),
    paint: impl FnOnce(&DrawingArea<Crisp<'_>, Shift>) -> Drawn,
) -> Result<Vec<u8>, ReportError> {
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    {
        let font = ab_glyph::FontRef::try_from_slice(crate::FONT).map_err(|_| ReportError::Font)?;
        let bitmap = BitMapBackend::with_buffer(&mut pixels, (width, height));
        let root = Crisp::new(bitmap, font).into_drawing_area();
        let drawn = paint(&root).and_then(|()| root.present().map_err(err));
        drawn.map_err(|reason| ReportError::Draw {
            format: "png",
            reason,
        })?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header()?;
    w.write_image_data(&pixels)?;
    w.finish()?;
    Ok(out)
}

fn style(size: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size).into_font())
}

fn bold(size: u32) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", size, FontStyle::Bold).into_font())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    input: &ReportInput,
    l: &Layout,
) -> Drawn {
    root.fill(&WHITE).map_err(err)?;
    root.draw_text(&clip(&text::title(input), 100), &bold(20), (16, 10))
        .map_err(err)?;
    let summary = style(13).color(if input.drift.report.dataset_drift {
        &DRIFT
    } else {
        &BLACK
    });
    root.draw_text(&clip(&text::summary(input), 170), &summary, (16, 38))
        .map_err(err)?;

    // The drift table.
    let mut y = i32::try_from(HEADER).unwrap_or(0);
    for (i, name) in text::COLUMNS.iter().enumerate() {
        root.draw_text(name, &bold(12), (TABLE[i].0, y))
            .map_err(err)?;
    }
    for (row, prediction) in &l.rows {
        y += ROW as i32;
        let cells = text::cells(row, *prediction);
        let drifted = row.score.is_some_and(|s| s.drifted);
        for (i, cell) in cells.iter().enumerate() {
            let s = if i == 5 && drifted {
                bold(12).color(&DRIFT)
            } else {
                style(12)
            };
            root.draw_text(&clip(cell, TABLE[i].1), &s, (TABLE[i].0, y))
                .map_err(err)?;
        }
    }
    y += (ROW + SECTION) as i32 - 8;
    let total = l.rows.len();
    let note = if l.charted.len() < total {
        format!(
            "Charts of the {} most drifted of {total} features (the HTML report charts every feature).",
            l.charted.len()
        )
    } else {
        "Charts of every feature, most drifted first.".to_string()
    };
    root.draw_text(&note, &style(12), (16, y - 14))
        .map_err(err)?;

    // Per-feature charts.
    let range = input.history_range.map(|(a, b)| (a.0, b.0)).unwrap_or((
        input.drift.report.at.0 - 86_400_000,
        input.drift.report.at.0,
    ));
    for row in &l.charted {
        let area = root.clone().shrink((0, y), (WIDTH, CHART));
        let (left, right) = area.split_horizontally(SPLIT);
        charts::score(
            &left,
            &row.feature,
            crate::history(input, &row.feature),
            range,
            &input.markers,
        )?;
        charts::histogram(&right, row)?;
        y += CHART as i32;
    }

    // Serving health.
    let mut head = "Serving health".to_string();
    if let Some(n) = &input.health_note {
        head = format!("{head}: {n}");
    } else if input.health.is_empty() {
        head = format!("{head}: not read");
    }
    root.draw_text(&clip(&head, 170), &bold(14), (16, y + 6))
        .map_err(err)?;
    y += SECTION as i32;
    let health_range = health_range(input).unwrap_or(range);
    for pair in input.health.chunks(2) {
        let area = root.clone().shrink((0, y), (WIDTH, CHART));
        let halves = area.split_evenly((1, 2));
        for (chart, half) in pair.iter().zip(halves.iter()) {
            charts::health(half, chart, health_range, &input.markers)?;
        }
        y += CHART as i32;
    }
    root.draw_text(&clip(&text::footer(input), 170), &style(11), (16, y + 8))
        .map_err(err)?;
    Ok(())
}

/// The time range the health series cover.
pub fn health_range(input: &ReportInput) -> Option<(i64, i64)> {
    let mut it = input
        .health
        .iter()
        .flat_map(|h| h.points.iter().map(|p| p.0.0));
    let first = it.next()?;
    let (lo, hi) = it.fold((first, first), |(lo, hi), t| (lo.min(t), hi.max(t)));
    Some((lo, hi))
}
