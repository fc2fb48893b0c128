//! Drawing the Drift screen: the summary line, the feature table and the
//! lower panels (score over time, reference vs live histogram).

use super::{DriftScreen, Lower, row_at};
use crate::theme;
use crate::views::RenderCtx;
use crate::views::text_table::{CellText, TextColumn, TextTable, column};
use crate::widgets::panel::{self, Messages};
use modeldeck_core::console::PanelState;
use modeldeck_core::drift::profile::FeatureKind;
use modeldeck_core::drift::{FeatureDriftRow, text};
use modeldeck_core::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};

pub(super) const COLUMNS: [TextColumn; 9] = [
    column("FEATURE", false, 10, 32, 100),
    column("KIND", false, 0, 4, 40),
    column("METHOD", false, 0, 11, 80),
    column("SCORE", true, 0, 10, 95),
    column("THRESHOLD", true, 0, 10, 70),
    column("VERDICT", false, 0, 7, 90),
    column("MISSING", true, 0, 14, 60),
    column("OUT OF RANGE", true, 0, 12, 50),
    column("UNSEEN", false, 0, 24, 45),
];

const MESSAGES: Messages<'static> = Messages {
    loading: "Reading the reference profile and the live distributions…",
    empty: "The reference profile lists no features.",
    failed: "Cannot compute drift",
};

/// Terminals at least this wide show both lower panels side by side.
pub(super) const SIDE_BY_SIDE: u16 = 120;

/// The parts of the screen.
pub(super) struct Areas {
    pub summary: Rect,
    pub table: Rect,
    pub lower: Rect,
}

pub(super) fn areas(body: Rect, rows: usize, summary_lines: u16) -> Areas {
    let inner = body.inner(Margin::new(1, 1));
    // The table takes what its rows need, at most about half the screen
    // (and at least a header and three rows); the charts get the rest.
    let want = u16::try_from(rows + 1).unwrap_or(u16::MAX);
    let half = (inner.height.saturating_sub(1) / 2).max(4);
    let [summary, table, lower] = Layout::vertical([
        Constraint::Length(summary_lines),
        Constraint::Length(want.clamp(4, half)),
        Constraint::Min(0),
    ])
    .areas(inner);
    Areas {
        summary,
        table,
        lower,
    }
}

/// Feature rows visible at once in `body` (page size for the keys).
pub(super) fn table_height(body: Rect, rows: usize, summary_lines: u16) -> u16 {
    areas(body, rows, summary_lines)
        .table
        .height
        .saturating_sub(1)
}

/// The table cells of one row.
pub(super) fn cells(row: &FeatureDriftRow, prediction: bool) -> Vec<CellText> {
    let pct = |v: Option<f64>| v.map_or_else(|| "-".into(), percent);
    let name = if prediction {
        format!("{} (prediction)", row.feature)
    } else {
        row.feature.clone()
    };
    let kind = match row.kind {
        FeatureKind::Numeric => "num",
        FeatureKind::Categorical => "cat",
    };
    let (method, score, threshold) = match &row.score {
        Some(s) => (
            s.method.label().to_string(),
            text::score_value(s),
            text::threshold(s),
        ),
        None => ("-".into(), "-".into(), "-".into()),
    };
    let q = &row.quality;
    let missing = match (q.missing_rate, q.reference_missing_rate) {
        // The reference's rate too when live is a point or more above it.
        (Some(l), Some(r)) if l - r >= 0.01 => format!("{} (ref {})", percent(l), percent(r)),
        (l, _) => pct(l),
    };
    let unseen = if q.unseen_categories.is_empty() {
        "-".into()
    } else {
        q.unseen_categories.join(",")
    };
    vec![
        CellText::text(&name),
        CellText::text(kind),
        CellText::text(&method),
        CellText::text(&score),
        CellText::text(&threshold),
        CellText::text(text::verdict(row.score.as_ref())),
        CellText::text(&missing),
        CellText::text(&pct(q.out_of_range_rate)),
        CellText::text(&unseen),
    ]
}

/// A share as a percentage: `0%`, `<0.1%`, `0.9%`, `35%`.
pub(super) fn percent(v: f64) -> String {
    let p = v * 100.0;
    if p <= 0.0 {
        "0%".into()
    } else if p < 0.1 {
        "<0.1%".into()
    } else if p < 10.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.0}%")
    }
}

/// `5650000` as `5,650,000`.
pub(super) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl DriftScreen {
    pub(super) fn table(&self) -> TextTable {
        let Some(view) = self.view.data.as_ref() else {
            return TextTable::new(&COLUMNS, Vec::new());
        };
        let n = view.report.features.len();
        let rows = self
            .order
            .iter()
            .filter_map(|&i| row_at(view, i).map(|r| cells(r, i >= n)))
            .collect();
        TextTable::new(&COLUMNS, rows)
    }

    fn title(&self) -> Vec<Span<'static>> {
        let version = self
            .version()
            .map_or_else(String::new, |v| format!(" v{v}"));
        let mut t = vec![
            Span::styled(" Drift", theme::title()),
            Span::styled(format!("({}{version})", clean(&self.model)), theme::key()),
            Span::styled(
                format!(" window {} ", text::window(self.window_ms())),
                theme::title(),
            ),
        ];
        if let Some(run) = self.retrain() {
            use modeldeck_core::domain::RetrainPhase as P;
            let style = match run.phase {
                P::Pending | P::Running => theme::loading(),
                P::Succeeded => theme::ok(),
                P::Failed => theme::error(),
            };
            let log = run
                .log_tail
                .last()
                .map(|l| format!(" · {}", clean(l)))
                .unwrap_or_default();
            t.push(Span::styled(
                format!(
                    "◆ retrain {}/{} {}{log} ",
                    clean(&run.namespace),
                    clean(&run.name),
                    run.phase.as_str()
                ),
                style,
            ));
        }
        if self.versions.len() > 1 {
            let others: Vec<String> = self
                .versions
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let role = if i == 0 { "stable" } else { "canary" };
                    if i == self.version {
                        format!("[v{} {role}]", clean(v))
                    } else {
                        format!("v{} {role}", clean(v))
                    }
                })
                .collect();
            t.push(Span::styled(format!("{} ", others.join(" ")), theme::dim()));
        }
        t
    }

    /// Lines above the table: the summary, and fairness when there is any.
    pub(super) fn summary_lines(&self) -> u16 {
        1 + u16::from(self.fairness().is_some())
    }

    /// `fairness: age_band UNFAIR · worst 18-25 SPD -0.27 DIR 0.6 (live counters) ...`
    fn fairness_line(&self) -> Option<Line<'static>> {
        use modeldeck_core::drift::fairness::Verdict;
        let f = self.fairness()?;
        let mut spans = vec![Span::styled("fairness: ".to_string(), theme::dim())];
        for (i, row) in f.attributes.iter().enumerate() {
            let a = &row.fairness;
            if i > 0 {
                spans.push(Span::styled(" · ".to_string(), theme::dim()));
            }
            let style = match a.verdict {
                Verdict::Unfair => theme::error(),
                Verdict::Fair | Verdict::Reference => theme::ok(),
                Verdict::TooFew => theme::dim(),
            };
            spans.push(Span::styled(
                format!("{} {}", clean(&a.attribute), a.verdict.label()),
                style,
            ));
            let num = |v: Option<f64>| v.map_or_else(|| "-".into(), text::number);
            if let Some(worst) = &a.worst_group {
                spans.push(Span::styled(
                    format!(
                        " (worst {} SPD {} DIR {}, reference {}; |SPD| ≤ {}, DIR ≥ {}; {})",
                        clean(worst),
                        num(a.spd),
                        num(a.dir),
                        clean(a.reference.as_deref().unwrap_or("-")),
                        text::number(a.thresholds.spd_max),
                        text::number(a.thresholds.dir_min),
                        row.source.label()
                    ),
                    theme::dim(),
                ));
            }
        }
        Some(Line::from(spans))
    }

    fn summary(&self) -> Line<'static> {
        let Some(view) = self.view.data.as_ref() else {
            return Line::default();
        };
        let r = &view.report;
        let drifted = r
            .features
            .iter()
            .filter(|f| f.score.is_some_and(|s| s.drifted))
            .count();
        let scored = r.features.iter().filter(|f| f.score.is_some()).count();
        let mut spans = vec![if drifted > 0 {
            Span::styled(
                format!("{drifted} of {scored} features drift"),
                theme::error(),
            )
        } else {
            Span::styled(format!("0 of {scored} features drift"), theme::ok())
        }];
        let dataset = if r.dataset_drift {
            Span::styled(
                format!(
                    " · dataset drift (share ≥ {})",
                    text::number(r.dataset_threshold)
                ),
                theme::error(),
            )
        } else {
            Span::styled(
                format!(
                    " · no dataset drift (share < {})",
                    text::number(r.dataset_threshold)
                ),
                theme::dim(),
            )
        };
        spans.push(dataset);
        let p = &view.profile;
        spans.push(Span::styled(
            format!(
                " · reference {} rows, {}",
                thousands(p.rows),
                clean(p.created_at.get(..10).unwrap_or(&p.created_at))
            ),
            theme::dim(),
        ));
        spans.push(Span::styled(
            " · low p-values mean drift".to_string(),
            theme::dim(),
        ));
        Line::from(spans)
    }

    /// Draws the screen.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        frame.render_widget(panel::block(self.title()), area);
        let state = self
            .view
            .panel_state(&rc.snap.metrics, |v| v.report.features.is_empty());
        let a = areas(area, self.order.len(), self.summary_lines());
        let mut lines = vec![panel::stale_line(&state).unwrap_or_else(|| self.summary())];
        lines.extend(self.fairness_line());
        frame.render_widget(ratatui::widgets::Paragraph::new(lines), a.summary);
        let body = Rect {
            height: a.table.height + a.lower.height,
            ..a.table
        };
        if !matches!(state, PanelState::Ready | PanelState::Stale { .. }) {
            panel::render_state(frame, body, &state, MESSAGES);
            return;
        }
        let table = self.table();
        table.render(frame, a.table, &COLUMNS, &self.cursor, rc.now, |r, c| {
            let verdict = table.rows.get(r).and_then(|row| row.get(5));
            match (c, verdict) {
                (5, Some(CellText::Text(v))) if v == "drift" => theme::error(),
                (5, Some(CellText::Text(v))) if v == "ok" => theme::ok(),
                (0, _) => theme::text(),
                _ => theme::dim(),
            }
        });
        self.render_lower(frame, a.lower, rc);
    }

    fn render_lower(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        if area.height < 3 {
            return;
        }
        if area.width >= SIDE_BY_SIDE {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(area);
            self.render_history(frame, left, rc);
            self.render_histogram(frame, right);
        } else {
            match self.lower {
                Lower::History => self.render_history(frame, area, rc),
                Lower::Histogram => self.render_histogram(frame, area),
            }
        }
    }
}
