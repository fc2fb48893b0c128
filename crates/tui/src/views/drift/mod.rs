//! The Drift screen (`D` on a Fleet or workload row, `:drift <model>`): one
//! model version's features against its reference profile over a window,
//! one row per feature (method, score, threshold, verdict, data quality),
//! sortable by how far past its threshold a feature is; the selected
//! feature's score over time with its threshold and the model's deploy,
//! promotion and rollback markers; and its reference vs live histogram.
//! Windows 1 h / 6 h / 24 h / 7 d (`w`); the canary's version (`v`).

mod charts;
mod render;

use crate::action::Action;
use crate::jobs::{Job, JobOutcome, JobResult};
use crate::views::cursor::Cursor;
use crate::views::{Ctx, Fetched, Transition};
use modeldeck_core::chart::{Marker, MarkerKind};
use modeldeck_core::console::{
    DEFAULT_DRIFT_WINDOW, DRIFT_WINDOWS, DriftPoint, DriftView, FairnessView, drift_chart_range,
};
use modeldeck_core::domain::WorkloadRef;
use modeldeck_core::domain::{RetrainRun, Timestamp};
use modeldeck_core::drift::{FeatureDriftRow, text};
use ratatui::layout::Rect;

/// How often a followed retraining run is re-read.
const RETRAIN_POLL_MS: i64 = 3_000;

/// About how many points the score-over-time chart asks for.
const HISTORY_POINTS: u32 = 240;

/// Which panel the lower half shows when the terminal is too narrow for
/// both side by side (`tab` switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lower {
    /// The score over time.
    History,
    /// Reference vs live histogram.
    Histogram,
}

/// How the feature table is ordered (`s` switches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftSort {
    /// Most drifted first (past its threshold by the most).
    Severity,
    /// By feature name.
    Name,
}

/// Drift screen state.
#[derive(Debug)]
pub struct DriftScreen {
    model: String,
    /// The versions offered: the stable one first, then a canary's.
    versions: Vec<String>,
    version: usize,
    workload: Option<WorkloadRef>,
    window: usize,
    view: Fetched<DriftView>,
    history: Fetched<Vec<DriftPoint>>,
    history_feature: Option<String>,
    markers: Fetched<Vec<Marker>>,
    fairness: Fetched<FairnessView>,
    /// The retraining run started from here, as last read.
    retrain: Option<RetrainRun>,
    /// When it was last asked for, and the ticket in flight.
    retrain_read: (Timestamp, Option<u64>),
    /// Indices into the report's rows (features, then the prediction), in
    /// table order.
    order: Vec<usize>,
    cursor: Cursor,
    sort: DriftSort,
    lower: Lower,
}

impl DriftScreen {
    /// Opens the drift of `model` at `versions[0]` (a canary's version may
    /// follow) for `workload` when it was opened from one.
    pub(crate) fn open(
        model: &str,
        versions: Vec<String>,
        workload: Option<WorkloadRef>,
        ctx: &mut Ctx,
    ) -> DriftScreen {
        let window = DRIFT_WINDOWS
            .iter()
            .position(|w| *w == DEFAULT_DRIFT_WINDOW)
            .unwrap_or(0);
        let mut s = DriftScreen {
            model: model.to_string(),
            versions,
            version: 0,
            workload,
            window,
            view: Fetched::default(),
            history: Fetched::default(),
            history_feature: None,
            markers: Fetched::default(),
            fairness: Fetched::default(),
            retrain: None,
            retrain_read: (Timestamp(0), None),
            order: Vec::new(),
            cursor: Cursor::default(),
            sort: DriftSort::Severity,
            lower: Lower::History,
        };
        s.refresh(ctx);
        s.request_markers(ctx);
        s
    }

    /// Deploys of the workloads serving the model (the one it was opened
    /// from, else all in the snapshot) and its promotions, over the longest
    /// chart range.
    fn request_markers(&mut self, ctx: &mut Ctx) {
        let targets: Vec<WorkloadRef> = match &self.workload {
            Some(w) => vec![w.clone()],
            None => ctx
                .snap
                .workloads
                .iter()
                .filter(|w| w.model.as_deref() == Some(self.model.as_str()))
                .map(|w| w.id.clone())
                .collect(),
        };
        let longest = DRIFT_WINDOWS
            .iter()
            .copied()
            .max()
            .unwrap_or(DEFAULT_DRIFT_WINDOW);
        let t = ctx.request(Job::Markers {
            model: self.model.clone(),
            targets,
            from: ctx.now.plus_millis(-drift_chart_range(longest)),
        });
        self.markers.expect(t);
    }

    /// Timeline markers, when read.
    pub fn markers(&self) -> &[Marker] {
        self.markers.data.as_deref().unwrap_or_default()
    }

    /// Fairness of the version shown, when read and when it has data.
    pub fn fairness(&self) -> Option<&FairnessView> {
        self.fairness
            .data
            .as_ref()
            .filter(|f| !f.attributes.is_empty())
    }

    /// The retraining run started from here, as last read.
    pub fn retrain(&self) -> Option<&RetrainRun> {
        self.retrain.as_ref()
    }

    /// Follows `run` when it retrains this screen's model; its start is a
    /// marker on the timeline at once.
    pub(crate) fn follow(&mut self, run: &RetrainRun, ctx: &mut Ctx) {
        if run.model != self.model || run.dry_run {
            return;
        }
        let at = run.created_at.unwrap_or(ctx.now);
        let label = format!("{}/{} ({})", run.namespace, run.name, run.cluster);
        if let Some(m) = self.markers.data.as_mut() {
            m.push(Marker {
                at: at.0,
                kind: MarkerKind::Retrain,
                label,
            });
            m.sort_by_key(|m| m.at);
        }
        self.retrain = Some(run.clone());
        self.poll_retrain(ctx);
    }

    fn poll_retrain(&mut self, ctx: &mut Ctx) {
        let Some(run) = &self.retrain else {
            return;
        };
        let t = ctx.request(Job::RetrainStatus {
            run: Box::new(run.clone()),
        });
        self.retrain_read = (ctx.now, Some(t));
    }

    /// Every few seconds while the run is not done: read it again.
    pub(crate) fn on_tick(&mut self, ctx: &mut Ctx) {
        let due = ctx.now.0 - self.retrain_read.0.0 >= RETRAIN_POLL_MS;
        let live = self.retrain.as_ref().is_some_and(|r| !r.phase.is_done());
        if live && due && self.retrain_read.1.is_none() {
            self.poll_retrain(ctx);
        }
    }

    /// Takes a retraining status answer for the run followed here.
    pub(crate) fn on_retrain_status(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        let JobOutcome::RetrainStatus(res) = &r.outcome else {
            return false;
        };
        if self.retrain_read.1 != Some(r.ticket) {
            return false;
        }
        self.retrain_read = (ctx.now, None);
        match res {
            Ok(run) => self.retrain = Some((**run).clone()),
            Err(e) => {
                if let Some(run) = self.retrain.as_mut() {
                    run.message = Some(format!("status not read: {e}"));
                }
            }
        }
        true
    }

    /// The model shown.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The version shown.
    pub fn version(&self) -> Option<&str> {
        self.versions.get(self.version).map(String::as_str)
    }

    /// The window, milliseconds.
    pub fn window_ms(&self) -> i64 {
        DRIFT_WINDOWS
            .get(self.window)
            .copied()
            .unwrap_or(DEFAULT_DRIFT_WINDOW)
    }

    /// The workload it was opened from.
    pub fn workload(&self) -> Option<&WorkloadRef> {
        self.workload.as_ref()
    }

    /// The drift answer, when there is one.
    pub fn data(&self) -> Option<&DriftView> {
        self.view.data.as_ref()
    }

    /// The row under the cursor.
    pub fn selected_row(&self) -> Option<&FeatureDriftRow> {
        let view = self.view.data.as_ref()?;
        let i = *self.order.get(self.cursor.selected)?;
        row_at(view, i)
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        let Some(version) = self.version().map(str::to_string) else {
            return;
        };
        let t = ctx.request(Job::Drift {
            model: self.model.clone(),
            version,
            window_ms: self.window_ms(),
        });
        self.view.expect(t);
        let t = ctx.request(Job::Fairness {
            model: self.model.clone(),
            version: self.version().unwrap_or_default().to_string(),
            window_ms: self.window_ms(),
        });
        self.fairness.expect(t);
        // The history is re-read once the new report says which feature.
        self.history_feature = None;
    }

    fn request_history(&mut self, ctx: &mut Ctx) {
        let (Some(view), Some(row)) = (self.view.data.as_ref(), self.selected_row()) else {
            return;
        };
        if self.history_feature.as_deref() == Some(row.feature.as_str()) {
            return;
        }
        let feature = row.feature.clone();
        let job = Job::DriftHistory {
            model: view.model.clone(),
            version: view.version.clone(),
            profile: view.profile.clone(),
            feature: feature.clone(),
            window_ms: self.window_ms(),
            points: HISTORY_POINTS,
        };
        self.history_feature = Some(feature);
        self.history = Fetched::default();
        let t = ctx.request(job);
        self.history.expect(t);
    }

    /// Takes a job answer if it is one this screen waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        match (&r.job, &r.outcome) {
            (Job::Drift { .. }, JobOutcome::Drift(res)) if self.view.awaits(r.ticket) => {
                let keep = self.selected_row().map(|row| row.feature.clone());
                self.view.resolve(res.clone().map(|b| *b), ctx.now);
                self.reorder(keep.as_deref());
                self.request_history(ctx);
                true
            }
            (Job::Fairness { .. }, JobOutcome::Fairness(res)) if self.fairness.awaits(r.ticket) => {
                self.fairness.resolve(res.clone().map(|b| *b), ctx.now);
                true
            }
            (Job::Markers { .. }, JobOutcome::Markers(m)) if self.markers.awaits(r.ticket) => {
                self.markers
                    .resolve(Ok::<_, std::convert::Infallible>(m.clone()), ctx.now);
                true
            }
            (Job::DriftHistory { .. }, JobOutcome::DriftHistory(res))
                if self.history.awaits(r.ticket) =>
            {
                self.history.resolve(res.clone(), ctx.now);
                true
            }
            _ => false,
        }
    }

    fn reorder(&mut self, keep: Option<&str>) {
        let Some(view) = self.view.data.as_ref() else {
            self.order.clear();
            return;
        };
        let n = view.report.features.len() + usize::from(view.report.prediction.is_some());
        let mut order: Vec<usize> = (0..n).collect();
        match self.sort {
            DriftSort::Name => order.sort_by(|a, b| {
                let name = |i: &usize| row_at(view, *i).map(|r| r.feature.as_str());
                name(a).cmp(&name(b))
            }),
            DriftSort::Severity => order.sort_by(|a, b| {
                let sev = |i: &usize| row_at(view, *i).map_or(f64::NEG_INFINITY, severity);
                sev(b).total_cmp(&sev(a))
            }),
        }
        self.order = order;
        if let Some(name) = keep
            && let Some(pos) = self
                .order
                .iter()
                .position(|i| row_at(view, *i).is_some_and(|r| r.feature == name))
        {
            self.cursor.selected = pos;
        }
        let len = self.order.len();
        self.cursor.selected = self.cursor.selected.min(len.saturating_sub(1));
    }

    /// Keeps the cursor on a row after a resize.
    pub fn settle(&mut self, body: Rect) {
        let len = self.order.len();
        let page = usize::from(render::table_height(body, len, self.summary_lines()));
        self.cursor.clamp(len, page);
    }

    /// The panel the lower half shows when only one fits.
    pub fn lower(&self) -> Lower {
        self.lower
    }

    /// The selected feature's score over time, when read.
    pub fn history(&self) -> Option<&[DriftPoint]> {
        self.history.data.as_deref()
    }

    /// Reacts to an action while the Drift screen is on top.
    pub(crate) fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> Transition {
        let len = self.order.len();
        let page = usize::from(render::table_height(ctx.body, len, self.summary_lines()));
        match action {
            Action::Nav(n) => {
                self.cursor.navigate(*n, len, page);
                self.request_history(ctx);
            }
            Action::Refresh => {
                self.refresh(ctx);
                self.request_markers(ctx);
            }
            Action::DriftWindow(step) => {
                let n = DRIFT_WINDOWS.len() as i64;
                let next = (self.window as i64 + i64::from(*step)).rem_euclid(n);
                self.window = usize::try_from(next).unwrap_or(0);
                self.refresh(ctx);
                return Transition::Flash(format!("window: {}", text::window(self.window_ms())));
            }
            Action::NextVersion => {
                if self.versions.len() < 2 {
                    return Transition::Flash("only one version is served here (no canary)".into());
                }
                self.version = (self.version + 1) % self.versions.len();
                self.view = Fetched::default();
                self.order.clear();
                self.refresh(ctx);
            }
            Action::TogglePanel => {
                self.lower = match self.lower {
                    Lower::History => Lower::Histogram,
                    Lower::Histogram => Lower::History,
                };
            }
            Action::SortNext => {
                self.sort = match self.sort {
                    DriftSort::Severity => DriftSort::Name,
                    DriftSort::Name => DriftSort::Severity,
                };
                let keep = self.selected_row().map(|r| r.feature.clone());
                self.reorder(keep.as_deref());
            }
            _ => {}
        }
        Transition::Stay
    }
}

fn row_at(view: &DriftView, i: usize) -> Option<&FeatureDriftRow> {
    let n = view.report.features.len();
    if i < n {
        view.report.features.get(i)
    } else {
        view.report.prediction.as_ref()
    }
}

/// How far past its threshold a row is (1 at the threshold, comparable
/// across methods: [`modeldeck_core::drift::Score::severity`]); rows
/// without a score sort last.
pub fn severity(row: &FeatureDriftRow) -> f64 {
    match row.score {
        Some(s) if !s.severity().is_nan() => s.severity(),
        _ => f64::NEG_INFINITY,
    }
}
