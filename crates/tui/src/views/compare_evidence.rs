//! The evidence sections of the Compare screen: the schema diff (breaking
//! changes in red with the reason), the data lineage (same or different
//! data, datasets side by side) as table lines, and the training curve
//! chart of one metric both runs logged (`c`/`C` choose it), downsampled to
//! the chart's width with min and max per column so spikes survive.

use crate::format;
use crate::theme;
use crate::views::Fetched;
use modeldeck_core::compare_curves::CurvePair;
use modeldeck_core::compare_evidence::CompareEvidence;
use modeldeck_core::compare_lineage::{DataVerdict, DatasetInput, LineageRow};
use modeldeck_core::compare_schema::{ChangeKind, ColumnChange, ColumnSpec};
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Cell, Chart, Dataset, GraphType, Paragraph, Row};

/// One evidence line of the Compare table.
pub(super) enum EvidenceLine<'a> {
    /// A titled section.
    Section(&'static str),
    /// A sentence in a style.
    Say(String, Style),
    /// A changed column.
    Change(&'a ColumnChange),
    /// Two datasets in one role.
    Dataset(&'a LineageRow),
}

fn spec_text(s: &Option<ColumnSpec>) -> String {
    match s {
        Some(c) if c.required => c.kind.clone(),
        Some(c) => format!("{} (optional)", c.kind),
        None => format::MISSING.to_string(),
    }
}

fn dataset_text(d: &Option<DatasetInput>) -> String {
    match d {
        Some(d) => {
            let digest: String = d.digest.chars().take(8).collect();
            format!("{}@{digest}", d.name)
        }
        None => format::MISSING.to_string(),
    }
}

/// The schema and data sections as lines.
pub(super) fn lines(ev: &Fetched<CompareEvidence>) -> Vec<EvidenceLine<'_>> {
    let mut out = vec![EvidenceLine::Section("SCHEMA")];
    let Some(e) = &ev.data else {
        let say = match &ev.error {
            Some((m, _)) => (format!("not read: {m}"), theme::warn()),
            None => ("reading the signatures…".to_string(), theme::dim()),
        };
        out.push(EvidenceLine::Say(say.0, say.1));
        return out;
    };
    match &e.schema {
        Err(err) => out.push(EvidenceLine::Say(
            format!("not read: {}", err.message),
            theme::warn(),
        )),
        Ok(d) if !d.comparable => {
            for (side, s) in [("A", &d.a), ("B", &d.b)] {
                if let Some(why) = s.missing_reason() {
                    out.push(EvidenceLine::Say(format!("{side}: {why}"), theme::dim()));
                }
            }
            out.push(EvidenceLine::Say(
                "not compared: a side has no signature".into(),
                theme::dim(),
            ));
        }
        Ok(d) => {
            let breaking = d.changes.iter().filter(|c| c.breaking).count();
            let style = if breaking > 0 {
                theme::error()
            } else {
                theme::ok()
            };
            out.push(EvidenceLine::Say(
                format!(
                    "{} changed, {} unchanged, {breaking} breaking",
                    d.changes.len(),
                    d.unchanged
                ),
                style,
            ));
            for c in &d.changes {
                out.push(EvidenceLine::Change(c));
                if c.breaking {
                    out.push(EvidenceLine::Say(format!(" {}", c.reason), theme::error()));
                }
            }
        }
    }
    out.push(EvidenceLine::Say(String::new(), theme::dim()));
    out.push(EvidenceLine::Section("DATA"));
    match &e.lineage {
        Err(err) => out.push(EvidenceLine::Say(
            format!("not read: {}", err.message),
            theme::warn(),
        )),
        Ok(l) => {
            let style = match l.verdict {
                DataVerdict::SameData => theme::ok(),
                DataVerdict::DifferentData => theme::warn(),
                DataVerdict::Unknown => theme::dim(),
            };
            out.push(EvidenceLine::Say(l.verdict.phrase().to_string(), style));
            for r in &l.rows {
                out.push(EvidenceLine::Dataset(r));
                if let (false, Some(a), Some(b)) = (r.same, &r.a, &r.b) {
                    let rows = match (a.rows, b.rows) {
                        (Some(x), Some(y)) => format!(", {x} -> {y} rows"),
                        _ => String::new(),
                    };
                    let added: Vec<&str> = b
                        .features
                        .iter()
                        .filter(|f| !a.features.contains(f))
                        .map(String::as_str)
                        .collect();
                    let cols = if added.is_empty() {
                        String::new()
                    } else {
                        format!(", B adds columns {}", added.join(", "))
                    };
                    out.push(EvidenceLine::Say(
                        format!("  digest {} -> {}{rows}{cols}", a.digest, b.digest),
                        theme::warn(),
                    ));
                }
            }
        }
    }
    out
}

/// Widths the evidence values need: (key, value).
pub(super) fn widths_of(lines: &[&EvidenceLine]) -> (u16, u16) {
    let w = |s: &str| Span::raw(s).width() as u16;
    let (mut key, mut val) = (0u16, 0u16);
    for l in lines {
        match *l {
            EvidenceLine::Change(c) => {
                key = key.max(w(&c.name));
                val = val.max(w(&spec_text(&c.a))).max(w(&spec_text(&c.b)));
            }
            EvidenceLine::Dataset(r) => {
                key = key.max(w(r.context.as_deref().unwrap_or("-")));
                val = val.max(w(&dataset_text(&r.a))).max(w(&dataset_text(&r.b)));
            }
            _ => {}
        }
    }
    (key, val)
}

/// A sentence that spans the whole row (drawn over the table's empty row
/// by [`CompareView`](super::CompareView)), if `l` is one.
pub(super) fn sentence(l: &EvidenceLine) -> Option<Line<'static>> {
    match l {
        EvidenceLine::Say(s, style) => Some(Line::styled(clean(s).into_owned(), *style)),
        _ => None,
    }
}

/// One evidence line as a table row (key, A, B, delta column, verdict
/// column); a sentence is an empty row drawn over by [`sentence`].
pub(super) fn row(l: &EvidenceLine) -> Row<'static> {
    match l {
        EvidenceLine::Section(s) => Row::new(vec![Cell::from(*s)]).style(theme::title()),
        EvidenceLine::Say(..) => Row::new(vec![Cell::from("")]),
        EvidenceLine::Change(c) => {
            let what = match c.change {
                ChangeKind::Added => "added",
                ChangeKind::Removed => "removed",
                ChangeKind::Retyped => "retyped",
                ChangeKind::RequiredChanged => "required",
            };
            let (verdict, style) = if c.breaking {
                ("BREAKING", theme::error())
            } else {
                ("ok", theme::dim())
            };
            Row::new(vec![
                Cell::from(clean(&format!("{} {}", c.part.word(), c.name)).into_owned()),
                Cell::from(clean(&spec_text(&c.a)).into_owned()),
                Cell::from(Span::styled(clean(&spec_text(&c.b)).into_owned(), style)),
                Cell::from(Line::from(what).right_aligned()),
                Cell::from(Span::styled(verdict, style)),
            ])
        }
        EvidenceLine::Dataset(r) => {
            let style = if r.same { theme::text() } else { theme::warn() };
            let rows = |d: &Option<DatasetInput>| d.as_ref().and_then(|d| d.rows);
            let rows_text = match (rows(&r.a), rows(&r.b)) {
                (Some(a), Some(b)) if a == b => compact(a),
                (_, Some(b)) => compact(b),
                _ => String::new(),
            };
            Row::new(vec![
                Cell::from(clean(r.context.as_deref().unwrap_or("-")).into_owned()),
                Cell::from(Span::styled(clean(&dataset_text(&r.a)).into_owned(), style)),
                Cell::from(Span::styled(clean(&dataset_text(&r.b)).into_owned(), style)),
                Cell::from(Line::from(rows_text).right_aligned()),
                Cell::from(if r.same {
                    Span::styled("= same", theme::ok())
                } else {
                    Span::styled("≠ data", theme::warn())
                }),
            ])
        }
    }
}

fn compact(n: u64) -> String {
    if n >= 10_000 {
        format!("{:.1}k rows", n as f64 / 1000.0)
    } else {
        format!("{n} rows")
    }
}

/// Draws the training curve panel: both runs' histories of the chosen
/// metric, or why there is none.
pub(super) fn render_curve(
    frame: &mut Frame,
    area: Rect,
    metrics: &[String],
    chosen: &str,
    curve: &Fetched<CurvePair>,
    labels: (&str, &str),
) {
    let title = Line::from(vec![
        Span::styled(" Training curve ", theme::title()),
        Span::styled(clean(chosen).into_owned(), theme::key()),
        Span::styled(
            format!(" ({} of both runs · c/C next/previous) ", metrics.len()),
            theme::dim(),
        ),
    ]);
    let block = Block::bordered().title(title).border_style(theme::dim());
    let say = |frame: &mut Frame, text: String, style: Style| {
        frame.render_widget(
            Paragraph::new(Line::styled(clean(&text).into_owned(), style)).block(block.clone()),
            area,
        );
    };
    if metrics.is_empty() {
        return say(frame, "no metric logged by both runs".into(), theme::dim());
    }
    let Some(c) = &curve.data else {
        let (t, s) = match &curve.error {
            Some((m, _)) => (format!("not read: {m}"), theme::warn()),
            None => ("reading the histories…".into(), theme::dim()),
        };
        return say(frame, t, s);
    };
    // Braille: two dots per cell across; the y labels take about 9 cells.
    let columns = usize::from(area.width.saturating_sub(12)).max(1) * 2;
    let cols = c.columns(columns);
    let Some((lo, hi)) = cols.y else {
        return say(
            frame,
            format!("{}: no finite values", c.metric),
            theme::dim(),
        );
    };
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    };
    let span = (cols.to - cols.from) as f64;
    let points = |side: &[Option<modeldeck_core::chart::Column>]| -> Vec<(f64, f64)> {
        let n = side.len().max(1) as f64;
        side.iter()
            .enumerate()
            .filter_map(|(k, col)| col.map(|col| (k, col)))
            .flat_map(|(k, col)| {
                let x = cols.from as f64 + span * (k as f64 + 0.5) / n;
                [(x, col.min), (x, col.max)]
            })
            .collect()
    };
    let (pa, pb) = (points(&cols.a), points(&cols.b));
    let la = format!("A {} ({} steps)", labels.0, c.a.len());
    let lb = format!("B {} ({} steps)", labels.1, c.b.len());
    let datasets = vec![
        Dataset::default()
            .name(clean(&la).into_owned())
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(crate::widgets::chart::series_color(0)))
            .data(&pa),
        Dataset::default()
            .name(clean(&lb).into_owned())
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(crate::widgets::chart::series_color(1)))
            .data(&pb),
    ];
    let y_label = |v: f64| format::metric(Some(v));
    let chart = Chart::new(datasets)
        .block(block)
        .hidden_legend_constraints((
            ratatui::layout::Constraint::Ratio(1, 2),
            ratatui::layout::Constraint::Ratio(1, 2),
        ))
        .x_axis(
            Axis::default()
                .bounds([cols.from as f64, cols.to as f64])
                .labels(vec![
                    Line::from(format!("step {}", cols.from)),
                    Line::from(format!("{}", (cols.from + cols.to) / 2)),
                    Line::from(format!("{}", cols.to)),
                ])
                .style(theme::dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([lo, hi])
                .labels(vec![Line::from(y_label(lo)), Line::from(y_label(hi))])
                .style(theme::dim()),
        );
    frame.render_widget(chart, area);
}
