//! The report as one self-contained HTML file: no script, no stylesheet or
//! image to fetch, readable in any browser and in a mail client. The drift
//! table is an HTML table; each chart is an inline SVG drawn by plotters.
//! The markup is also well-formed XML (void elements closed), so a test can
//! parse all of it.

use crate::charts::{self, Drawn};
use crate::text::{self, escape};
use crate::{ReportError, ReportInput};
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::FeatureDriftRow;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt::Write as _;

const SCORE_SIZE: (u32, u32) = (640, 220);
const HIST_SIZE: (u32, u32) = (480, 220);
const HEALTH_SIZE: (u32, u32) = (560, 220);

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#111}\
svg text{font-family:sans-serif}\
table{border-collapse:collapse;font-size:13px}\
th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}\
td.n{text-align:right}tr.drift td.v{color:#d62728;font-weight:bold}\
.alarm{color:#d62728;font-weight:bold}section{margin-top:1.2em}\
h2{font-size:16px;margin:0.6em 0 0.2em}svg{max-width:100%;height:auto}\
footer{margin-top:2em;font-size:12px;color:#555}";

/// The HTML document.
pub fn render(input: &ReportInput) -> Result<String, ReportError> {
    let mut o = String::with_capacity(64 * 1024);
    let title = escape(&text::title(input));
    let summary_class = if input.drift.report.dataset_drift {
        " class=\"alarm\""
    } else {
        ""
    };
    // `write!` into a String cannot fail.
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
         <title>{title}</title><style>{STYLE}</style></head><body>\n\
         <h1>{title}</h1>\n<p{summary_class}>{}</p>\n",
        escape(&text::summary(input))
    );
    table(&mut o, input);

    let max = input.max_charts.unwrap_or(usize::MAX);
    let charted = crate::charted(input, max);
    let range = input.history_range.map(|(a, b)| (a.0, b.0)).unwrap_or((
        input.drift.report.at.0 - 86_400_000,
        input.drift.report.at.0,
    ));
    let rows = text::rows(input);
    if charted.len() < rows.len() {
        let _ = writeln!(
            o,
            "<p>Charts of the {} most drifted of {} features.</p>",
            charted.len(),
            rows.len()
        );
    }
    for row in &charted {
        let id = anchor(&rows, row);
        let _ = writeln!(o, "<section id=\"{id}\"><h2>{}</h2>", escape(&row.feature));
        o.push_str(&chart(SCORE_SIZE, |a| {
            charts::score(
                a,
                &row.feature,
                crate::history(input, &row.feature),
                range,
                &input.markers,
            )
        })?);
        o.push_str(&chart(HIST_SIZE, |a| charts::histogram(a, row))?);
        o.push_str("</section>\n");
    }

    o.push_str("<section id=\"health\"><h2>Serving health</h2>\n");
    if let Some(n) = &input.health_note {
        let _ = writeln!(o, "<p>{}</p>", escape(n));
    } else if input.health.is_empty() {
        o.push_str("<p>Not read.</p>\n");
    }
    let health_range = crate::page::health_range(input).unwrap_or(range);
    for h in &input.health {
        o.push_str(&chart(HEALTH_SIZE, |a| {
            charts::health(a, h, health_range, &input.markers)
        })?);
    }
    o.push_str("</section>\n");
    if !input.markers.is_empty() {
        o.push_str("<section id=\"markers\"><h2>Markers</h2><ul>\n");
        for m in &input.markers {
            let _ = writeln!(
                o,
                "<li>{} {}: {}</li>",
                Timestamp(m.at).rfc3339(),
                m.kind.word(),
                escape(&m.label)
            );
        }
        o.push_str("</ul></section>\n");
    }
    let _ = write!(
        o,
        "<footer>{}</footer>\n</body></html>\n",
        escape(&text::footer(input))
    );
    Ok(o)
}

/// The id of `row`'s section: its place in the table, never its name
/// (a hostile name must not reach an attribute it could break).
fn anchor(rows: &[(&FeatureDriftRow, bool)], row: &FeatureDriftRow) -> String {
    let i = rows
        .iter()
        .position(|(r, _)| std::ptr::eq(*r, row))
        .unwrap_or(usize::MAX);
    format!("f{i}")
}

fn table(o: &mut String, input: &ReportInput) {
    let rows = text::rows(input);
    let max = input.max_charts.unwrap_or(usize::MAX);
    let charted = crate::charted(input, max);
    o.push_str("<table><thead><tr>");
    for c in text::COLUMNS {
        let _ = write!(o, "<th>{c}</th>");
    }
    o.push_str("</tr></thead><tbody>\n");
    for (row, prediction) in &rows {
        let cells = text::cells(row, *prediction);
        let class = if row.score.is_some_and(|s| s.drifted) {
            " class=\"drift\""
        } else {
            ""
        };
        let _ = write!(o, "<tr{class}>");
        for (i, cell) in cells.iter().enumerate() {
            let cls = match i {
                3 | 4 | 6 | 7 => " class=\"n\"",
                5 => " class=\"v\"",
                _ => "",
            };
            if i == 0 && charted.iter().any(|c| std::ptr::eq(*c, *row)) {
                let _ = write!(
                    o,
                    "<td><a href=\"#{}\">{}</a></td>",
                    anchor(&rows, row),
                    escape(cell)
                );
            } else {
                let _ = write!(o, "<td{cls}>{}</td>", escape(cell));
            }
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
}

/// One chart as an inline SVG element.
fn chart(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Drawn,
) -> Result<String, ReportError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let failed = |reason: String| ReportError::Draw {
            format: "html",
            reason,
        };
        root.fill(&WHITE).map_err(charts::err).map_err(failed)?;
        draw(&root).map_err(failed)?;
        root.present().map_err(charts::err).map_err(failed)?;
    }
    // The page's style sheet names the face once for every chart.
    Ok(crate::compact_svg(&out).replace(" font-family=\"sans-serif\"", ""))
}
