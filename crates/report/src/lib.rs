//! Drift reports: one model version's drift table, each feature's score
//! over time against its threshold and its reference vs live histogram,
//! and the serving health of the workloads that serve it, drawn with
//! `plotters` as one self-contained HTML file, an SVG or a PNG.
//!
//! [`render`] is a pure function of a [`ReportInput`]: the caller (the
//! `modeldeck report` command) reads everything through the Console first,
//! so a report shows the numbers the Drift screen and `modeldeck drift`
//! show. Every string that came from a backend (feature names, categories,
//! model names, marker labels) goes through the core's one sanitizer
//! (`modeldeck_core::text::clean`: control and bidi characters replaced)
//! and is escaped for the markup it lands in.
//!
//! Fonts: the PNG's text is drawn with ab_glyph from a subset of DejaVu Sans
//! embedded in the binary (`fonts/`, Bitstream Vera license), so no system
//! font is looked up and a machine without fonts draws the same image. The
//! SVG names `sans-serif` and lets the viewer pick the face.

mod charts;
mod crisp;
mod gather;
mod html;
mod page;
mod single;
mod text;

use modeldeck_core::console::{DriftPoint, DriftView};
use modeldeck_core::domain::Timestamp;
use std::path::Path;
use std::sync::OnceLock;

pub use gather::{ReportRequest, gather, serving};
/// The markers drawn on every time chart (deploys, approvals, promotions,
/// rollbacks, retrains): the core's type, as the TUI draws them.
pub use modeldeck_core::chart::{Marker, MarkerKind};
pub use single::{
    HealthChartRequest, HealthLimit, HealthPanel, MAX_CHART_SIDE, MIN_CHART_SIDE, health_chart,
};

/// Points a score-over-time chart asks for: about one per 4 px of the plot.
pub const HISTORY_POINTS: u32 = 120;

/// Charts an SVG or PNG report draws by default: the most drifted features
/// first. The HTML report charts every feature.
pub const DEFAULT_IMAGE_CHARTS: usize = 8;

/// Tallest PNG drawn, pixels (a 1,200 px wide RGB image this tall needs
/// about 59 MB while it is drawn).
pub const MAX_PNG_HEIGHT: u32 = 16_384;

/// What a report is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML file (no scripts, no external resources):
    /// the table as an HTML table, charts as inline SVG.
    Html,
    /// One SVG image.
    Svg,
    /// One PNG image.
    Png,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Html, Format::Svg, Format::Png];

    /// `html`, `svg` or `png`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }

    /// The format named `s` (`html`/`htm`, `svg`, `png`, any case).
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(Format::Html),
            "svg" => Some(Format::Svg),
            "png" => Some(Format::Png),
            _ => None,
        }
    }

    /// The format a file name's extension names.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Format::parse)
    }
}

/// One feature's score over time.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureHistory {
    /// The feature (an input feature or the prediction).
    pub feature: String,
    /// Points in time order (`Console::drift_history`).
    pub points: Vec<DriftPoint>,
    /// Why the history could not be read, when it could not (drawn in the
    /// chart's place).
    pub error: Option<String>,
}

/// One serving-health series.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthChart {
    /// What it shows (`p99 latency: fraud/scorer`), drawn as the caption.
    pub title: String,
    /// The y axis' unit (`ms`, `%`, `req/s`).
    pub unit: String,
    /// (time, value) in time order; NaN is a gap.
    pub points: Vec<(Timestamp, f64)>,
    /// Why the series is missing, when it is.
    pub error: Option<String>,
}

/// Everything a report shows, read beforehand.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// The drift table's data (`Console::drift`).
    pub drift: DriftView,
    /// Score-over-time series, by feature; a feature without one gets no
    /// score chart.
    pub histories: Vec<FeatureHistory>,
    /// The time range the score charts span, `(start, end)`.
    pub history_range: Option<(Timestamp, Timestamp)>,
    /// Serving-health series (empty: no health section, see `health_note`).
    pub health: Vec<HealthChart>,
    /// Why there is no or only partial health data, shown in the report.
    pub health_note: Option<String>,
    /// Markers for the time charts (the caller gathers them: the CLI
    /// with the TUI's `markers::gather`, so both show the same events).
    pub markers: Vec<Marker>,
    /// When the report was made.
    pub generated_at: Timestamp,
    /// Where the data came from (`profile demo (simulated)`), shown as is
    /// after cleaning.
    pub source: String,
    /// How many features an SVG or PNG report charts (most drifted first);
    /// `None`: [`DEFAULT_IMAGE_CHARTS`]. HTML charts every feature unless
    /// this is set.
    pub max_charts: Option<usize>,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// plotters refused to draw (a backend or layout error).
    #[error("drawing the {format} report failed: {reason}")]
    Draw {
        /// The format being drawn.
        format: &'static str,
        /// plotters' message.
        reason: String,
    },
    /// The embedded font could not be loaded (a corrupt build).
    #[error("the embedded report font could not be loaded")]
    Font,
    /// The PNG would be taller than [`MAX_PNG_HEIGHT`].
    #[error(
        "a PNG of {features} table rows and {charts} charted features would be {height} px tall \
         (at most {max}); chart fewer features (--charts) or write HTML"
    )]
    TooLarge {
        /// Table rows.
        features: usize,
        /// Charted features.
        charts: usize,
        /// The height it would need.
        height: u32,
        /// The limit.
        max: u32,
    },
    /// A request that cannot be drawn (a single chart's size, window or
    /// format), with what is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The PNG encoder failed.
    #[error("encoding the PNG failed: {0}")]
    Png(#[from] png::EncodingError),
}

/// The report as `format` bytes (UTF-8 text for HTML and SVG).
///
/// Errors: [`ReportError::TooLarge`] for a PNG past [`MAX_PNG_HEIGHT`],
/// [`ReportError::Draw`] when plotters fails, [`ReportError::Font`] when
/// the embedded font is unusable.
pub fn render(input: &ReportInput, format: Format) -> Result<Vec<u8>, ReportError> {
    register_font()?;
    match format {
        Format::Html => Ok(html::render(input)?.into_bytes()),
        Format::Svg => Ok(page::svg(input)?.into_bytes()),
        Format::Png => page::png(input),
    }
}

/// The embedded font (47 KB: Latin, dashes, arrows, comparison signs and
/// U+FFFD, what `fonts/subset.sh` keeps of DejaVu Sans).
pub(crate) static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");

/// Registers the embedded font as `sans-serif` once per process: with
/// plotters' `ab_glyph` feature every text layout, SVG's too, looks its
/// family up in this table.
fn register_font() -> Result<(), ReportError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", plotters::style::FontStyle::Normal, FONT)
            .is_ok()
    });
    if ok { Ok(()) } else { Err(ReportError::Font) }
}

/// The features a report charts, most drifted first (drifted ones, then by
/// severity, then the profile's order), the prediction last; at most `max`.
pub(crate) fn charted(
    input: &ReportInput,
    max: usize,
) -> Vec<&modeldeck_core::drift::FeatureDriftRow> {
    let mut rows: Vec<_> = input.drift.report.features.iter().enumerate().collect();
    rows.sort_by(|(ia, a), (ib, b)| {
        let key = |r: &modeldeck_core::drift::FeatureDriftRow| {
            r.score.map_or((false, f64::NEG_INFINITY), |s| {
                let sev = s.severity();
                (
                    s.drifted,
                    if sev.is_nan() { f64::NEG_INFINITY } else { sev },
                )
            })
        };
        let (ka, kb) = (key(a), key(b));
        kb.0.cmp(&ka.0).then(kb.1.total_cmp(&ka.1)).then(ia.cmp(ib))
    });
    let mut out: Vec<_> = rows.into_iter().map(|(_, r)| r).collect();
    out.extend(input.drift.report.prediction.iter());
    out.truncate(max);
    out
}

/// plotters' SVG made smaller without changing what it draws: the default
/// `opacity="1"` dropped, font sizes (`10.483870967741936`) cut to one
/// decimal. Saves about a third of a chart's bytes.
pub(crate) fn compact_svg(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    const SIZE: &str = "font-size=\"";
    while let Some(i) = rest.find(SIZE) {
        let (head, tail) = rest.split_at(i + SIZE.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        let num = &tail[..end];
        match num.parse::<f64>() {
            Ok(v) => out.push_str(text::number_1(v).as_str()),
            Err(_) => out.push_str(num),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.replace(" opacity=\"1\"", "")
}

/// The history of `feature`, when read.
pub(crate) fn history<'a>(input: &'a ReportInput, feature: &str) -> Option<&'a FeatureHistory> {
    input.histories.iter().find(|h| h.feature == feature)
}
