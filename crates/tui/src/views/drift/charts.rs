//! The Drift screen's lower panels: the selected feature's score over
//! time and its reference vs live histogram.

use super::DriftScreen;
use crate::views::RenderCtx;
use ratatui::Frame;
use ratatui::layout::Rect;

impl DriftScreen {
    pub(super) fn render_history(&self, _frame: &mut Frame, _area: Rect, _rc: &RenderCtx) {}

    pub(super) fn render_histogram(&self, _frame: &mut Frame, _area: Rect) {}
}
