//! The Drift screen's lower panels: the selected feature's score over
//! time (its threshold, the first crossing, and the model's deploys,
//! approvals, promotions and rollbacks as markers) and its reference vs
//! live histogram over the window.

use super::DriftScreen;
use crate::views::RenderCtx;
use crate::widgets::chart::{ChartSeries, ChartState, TimeChart, series_color};
use crate::widgets::histogram::HistogramOverlay;
use modeldeck_core::chart::Threshold;
use modeldeck_core::console::drift_chart_range;
use modeldeck_core::drift::text;
use ratatui::Frame;
use ratatui::layout::Rect;

impl DriftScreen {
    /// The score over time of the selected feature: each point is the
    /// window (`w`) ending there, over the chart range that fits the window.
    pub(super) fn render_history(&self, frame: &mut Frame, area: Rect, rc: &RenderCtx) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let window = text::window(self.window_ms());
        let to = rc.now.0;
        let from = to - drift_chart_range(self.window_ms());
        let (unit, title) = match &row.score {
            Some(s) if s.method.is_p_value() => (
                "p-value",
                format!(
                    " {}: {} p-value over time (each point: {window} ending there; low means drift) ",
                    row.feature,
                    s.method.label()
                ),
            ),
            Some(s) => (
                s.method.label(),
                format!(
                    " {}: {} over time (each point: {window} ending there) ",
                    row.feature,
                    s.method.label()
                ),
            ),
            None => ("", format!(" {}: no score in this window ", row.feature)),
        };
        let points: Vec<(i64, f64)> = self
            .history()
            .unwrap_or_default()
            .iter()
            .map(|p| (p.at.0, p.score.value))
            .collect();
        let error = self.history.error.as_ref().map(|(e, _)| e.as_str());
        let state = match (self.history.data.is_some(), error) {
            (_, Some(e)) => ChartState::Error(e),
            (false, None) => ChartState::Loading,
            (true, None) => ChartState::Ready,
        };
        let mut chart = TimeChart::new(&title, from, to)
            .unit(unit)
            .markers(self.markers())
            .state(state)
            .series(ChartSeries {
                label: &row.feature,
                points: &points,
                color: series_color(0),
            });
        if let Some(s) = &row.score {
            chart = chart.threshold(Threshold {
                value: s.threshold,
                low_is_bad: s.method.is_p_value(),
            });
        }
        frame.render_widget(&chart, area);
    }

    /// Reference vs live shares of the selected feature over the window.
    pub(super) fn render_histogram(&self, frame: &mut Frame, area: Rect) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let window = text::window(self.window_ms());
        let title = format!(" {}: reference vs live {window} ", row.feature);
        let live = format!("live {window}");
        let state = if row.live_n > 0.0 {
            ChartState::Ready
        } else {
            ChartState::Error("no live data in this window")
        };
        let bins = row.bins.to_vec();
        let h = HistogramOverlay::from_row(&title, row, &bins)
            .labels("reference", &live)
            .state(state);
        frame.render_widget(&h, area);
    }
}
