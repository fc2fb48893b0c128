//! Serving-health charts of one workload over a window (in its detail
//! screen): latency p50/p95/p99, request rate and error ratio, read at a
//! step that fits the panel's width (never more than 11,000 points per
//! series), with the model's deploys, approvals, promotions and rollbacks
//! as markers. Windows 1 h / 6 h / 24 h / 7 d (`w`/`W`). A stream
//! consumer adds its consumer lag over the same window and step (read with
//! the other series; the fleet read's last 30 minutes until it arrives, or
//! from a backend that cannot read lag over a range) with its trend and
//! verdict (against its own thresholds) in the title.

use crate::jobs::{Job, JobOutcome, JobResult};
use crate::views::{Ctx, Fetched};
use crate::widgets::chart::{ChartSeries, ChartState, TimeChart, series_color};
use modeldeck_core::chart::Marker;
use modeldeck_core::console::{DEFAULT_DRIFT_WINDOW, DRIFT_WINDOWS, HealthView};
use modeldeck_core::domain::{
    AppliedLagThresholds, LagThresholds, Signal, StreamLag, WorkloadRef, format_lag_seconds,
    format_messages,
};
use modeldeck_core::drift::text;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;

/// A lag chart's points (Unix ms, messages) and its span's start and end (Unix ms).
pub type LagPoints = (Vec<(i64, f64)>, i64, i64);
/// Columns asked for when the panel's width is not known yet.
const DEFAULT_COLUMNS: u32 = 200;

/// One version's label, p99 latency (ms), traffic and error % points.
type VersionLines = (String, Vec<(i64, f64)>, Vec<(i64, f64)>, Vec<(i64, f64)>);

/// A workload's health charts.
#[derive(Debug)]
pub struct HealthPanel {
    target: WorkloadRef,
    model: Option<String>,
    window: usize,
    view: Fetched<HealthView>,
    markers: Fetched<Vec<Marker>>,
    /// A stream consumer's lag and its history, from the snapshot.
    lag: Option<StreamLag>,
    /// The lag thresholds in force for it (its labels, the profile's).
    lag_thresholds: Option<AppliedLagThresholds>,
}

impl HealthPanel {
    /// The panel of `target` (serving `model`), asking for its data.
    pub(crate) fn open(target: WorkloadRef, model: Option<String>, ctx: &mut Ctx) -> HealthPanel {
        let window = DRIFT_WINDOWS
            .iter()
            .position(|w| *w == DEFAULT_DRIFT_WINDOW)
            .unwrap_or(0);
        let mut p = HealthPanel {
            target,
            model,
            window,
            view: Fetched::default(),
            markers: Fetched::default(),
            lag: None,
            lag_thresholds: None,
        };
        p.refresh(ctx);
        p
    }

    /// The window, milliseconds.
    pub fn window_ms(&self) -> i64 {
        DRIFT_WINDOWS
            .get(self.window)
            .copied()
            .unwrap_or(DEFAULT_DRIFT_WINDOW)
    }

    /// The health read, when it arrived.
    pub fn data(&self) -> Option<&HealthView> {
        self.view.data.as_ref()
    }

    /// Timeline markers, when read.
    pub fn markers(&self) -> &[Marker] {
        self.markers.data.as_deref().unwrap_or_default()
    }

    /// Re-reads the series (and the markers).
    pub(crate) fn refresh(&mut self, ctx: &mut Ctx) {
        self.lag = ctx
            .snap
            .health
            .get(&self.target)
            .and_then(|h| h.stream.clone());
        let snap = &ctx.snap;
        self.lag_thresholds = snap
            .workloads
            .binary_search_by(|w| w.id.cmp(&self.target))
            .ok()
            .map(|i| snap.lag_thresholds(&snap.workloads[i]));
        let columns = u32::from(ctx.body.width.saturating_sub(14)).max(20);
        let t = ctx.request(Job::Health {
            target: self.target.clone(),
            window_ms: self.window_ms(),
            columns: if ctx.body.width == 0 {
                DEFAULT_COLUMNS
            } else {
                columns
            },
        });
        self.view.expect(t);
        if let Some(model) = &self.model {
            let longest = DRIFT_WINDOWS
                .iter()
                .copied()
                .max()
                .unwrap_or(DEFAULT_DRIFT_WINDOW);
            let t = ctx.request(Job::Markers {
                model: model.clone(),
                targets: vec![self.target.clone()],
                from: ctx.now.plus_millis(-longest),
            });
            self.markers.expect(t);
        }
    }

    /// The next (`+1`) or previous (`-1`) window; re-reads.
    pub(crate) fn step_window(&mut self, step: i8, ctx: &mut Ctx) -> String {
        let n = DRIFT_WINDOWS.len() as i64;
        let next = (self.window as i64 + i64::from(step)).rem_euclid(n);
        self.window = usize::try_from(next).unwrap_or(0);
        self.refresh(ctx);
        format!("health window: {}", text::window(self.window_ms()))
    }

    /// Takes a job answer if it is one this panel waits for.
    pub(crate) fn on_result(&mut self, r: &JobResult, ctx: &mut Ctx) -> bool {
        match (&r.job, &r.outcome) {
            (Job::Health { .. }, JobOutcome::Health(res)) if self.view.awaits(r.ticket) => {
                self.view.resolve(res.clone().map(|b| *b), ctx.now);
                true
            }
            (Job::Markers { .. }, JobOutcome::Markers(m)) if self.markers.awaits(r.ticket) => {
                self.markers
                    .resolve(Ok::<_, std::convert::Infallible>(m.clone()), ctx.now);
                true
            }
            _ => false,
        }
    }

    /// The lag chart's points and its span (see [`LagPoints`]): the lag over the panel's own
    /// window and step ([`HealthView::lag`]) once read; until then, or
    /// from a backend that reads lag only at an instant, the fleet read's
    /// history (its last 30 minutes).
    /// `None` when the workload is not a consumer with lag.
    pub fn lag_points(&self, now: i64) -> Option<LagPoints> {
        let lag = self.lag.as_ref()?;
        if let Some(v) = &self.view.data
            && let Some(l) = v.lag.as_ref().filter(|l| l.error.is_none())
        {
            let points = l.series.points.iter().map(|(t, v)| (t.0, *v)).collect();
            return Some((points, v.range.start.0, v.range.end.0));
        }
        let points: Vec<(i64, f64)> = lag.history.iter().map(|(t, v)| (t.0, *v)).collect();
        let (from, to) = match (points.first(), points.last()) {
            (Some(a), Some(b)) => (a.0, b.0),
            _ => (now - 1_800_000, now),
        };
        Some((points, from, to))
    }

    /// Draws latency, traffic and errors: side by side when `area` is
    /// wide, latency above traffic and errors otherwise.
    pub(crate) fn render(&self, frame: &mut Frame, area: Rect, now: i64) {
        let window = text::window(self.window_ms());
        let (from, to) = match &self.view.data {
            Some(v) => (v.range.start.0, v.range.end.0),
            None => (now - self.window_ms(), now),
        };
        let error = self.view.error.as_ref().map(|(e, _)| e.as_str());
        let state = match (self.view.data.is_some(), error) {
            (_, Some(e)) => ChartState::Error(e),
            (false, None) => ChartState::Loading,
            (true, None) => ChartState::Ready,
        };
        let series = |signal: Signal, scale: f64| -> Vec<(i64, f64)> {
            self.view
                .data
                .as_ref()
                .and_then(|v| v.get(signal))
                .map(|s| {
                    s.series
                        .points
                        .iter()
                        .map(|(t, v)| (t.0, v * scale))
                        .collect()
                })
                .unwrap_or_default()
        };
        // A canary and its stable version, when the backend splits them:
        // one line per version (p99 for latency), as canary analysis reads.
        let split: Vec<VersionLines> = self
            .view
            .data
            .as_ref()
            .filter(|v| v.per_version)
            .map(|v| {
                let part = |signal: Signal, version: &str, scale: f64| -> Vec<(i64, f64)> {
                    v.get(signal)
                        .and_then(|s| s.by_version.iter().find(|p| p.version == version))
                        .map(|p| {
                            p.series
                                .points
                                .iter()
                                .map(|(t, x)| (t.0, x * scale))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let mut versions: Vec<(String, Option<&str>)> = Vec::new();
                for s in &v.signals {
                    for p in &s.by_version {
                        if !versions.iter().any(|(x, _)| *x == p.version) {
                            versions.push((p.version.clone(), p.role));
                        }
                    }
                }
                versions
                    .into_iter()
                    .map(|(ver, role)| {
                        let label = match role {
                            Some(r) => format!("v{} {r}", modeldeck_core::text::clean(&ver)),
                            None => format!("v{}", modeldeck_core::text::clean(&ver)),
                        };
                        (
                            label,
                            part(Signal::LatencyP99, &ver, 1000.0),
                            part(Signal::RequestRate, &ver, 1.0),
                            part(Signal::ErrorRatio, &ver, 100.0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let (p50, p95, p99) = (
            series(Signal::LatencyP50, 1000.0),
            series(Signal::LatencyP95, 1000.0),
            series(Signal::LatencyP99, 1000.0),
        );
        let rps = series(Signal::RequestRate, 1.0);
        let errors = series(Signal::ErrorRatio, 100.0);
        let mixed = match &self.view.data {
            Some(v) if v.served.len() > 1 && !v.per_version => " (stable + canary mixed)",
            _ => "",
        };
        let (t_latency, t_rps, t_errors) = if split.is_empty() {
            (
                format!(" latency over {window}{mixed} "),
                format!(" traffic over {window} "),
                format!(" errors over {window} "),
            )
        } else {
            (
                format!(" p99 latency by version over {window} "),
                format!(" traffic by version over {window} "),
                format!(" errors by version over {window} "),
            )
        };
        let mut latency = TimeChart::new(&t_latency, from, to)
            .unit("ms")
            .state(state)
            .markers(self.markers());
        let mut traffic = TimeChart::new(&t_rps, from, to)
            .unit("req/s")
            .state(state)
            .markers(self.markers());
        let mut errs = TimeChart::new(&t_errors, from, to)
            .unit("%")
            .state(state)
            .markers(self.markers());
        if split.is_empty() {
            latency = latency
                .series(ChartSeries {
                    label: "p50",
                    points: &p50,
                    color: series_color(2),
                })
                .series(ChartSeries {
                    label: "p95",
                    points: &p95,
                    color: series_color(1),
                })
                .series(ChartSeries {
                    label: "p99",
                    points: &p99,
                    color: series_color(0),
                });
            traffic = traffic.series(ChartSeries {
                label: "rps",
                points: &rps,
                color: series_color(0),
            });
            errs = errs.series(ChartSeries {
                label: "error %",
                points: &errors,
                color: Color::LightRed,
            });
        }
        for (i, (label, lat, rate, err)) in split.iter().enumerate() {
            let color = series_color(i);
            latency = latency.series(ChartSeries {
                label,
                points: lat,
                color,
            });
            traffic = traffic.series(ChartSeries {
                label,
                points: rate,
                color,
            });
            errs = errs.series(ChartSeries {
                label,
                points: err,
                color,
            });
        }
        if let (Some(lag), Some((points, from, to))) = (&self.lag, self.lag_points(now)) {
            let th = self
                .lag_thresholds
                .as_ref()
                .map_or_else(LagThresholds::default, |a| a.thresholds());
            let verdict = lag.judge(&th);
            let seconds = lag
                .lag_seconds
                .map_or_else(|| "s unknown".to_string(), format_lag_seconds);
            // Short enough for a half-width chart at 80 columns.
            let title = format!(
                " lag {} {} ({seconds}) {} ",
                format_messages(lag.lag_messages),
                lag.trend.arrow(),
                verdict.label(),
            );
            let group = format!("group {}", modeldeck_core::text::clean(&lag.group));
            let color = match verdict {
                modeldeck_core::domain::StreamVerdict::Behind => Color::LightRed,
                modeldeck_core::domain::StreamVerdict::Ok => series_color(0),
                _ => Color::Yellow,
            };
            let chart = TimeChart::new(&title, from, to)
                .unit("msgs")
                .series(ChartSeries {
                    label: &group,
                    points: &points,
                    color,
                });
            let areas: Vec<Rect> = if area.width >= 150 {
                Layout::horizontal([
                    Constraint::Percentage(30),
                    Constraint::Percentage(20),
                    Constraint::Percentage(20),
                    Constraint::Percentage(30),
                ])
                .split(area)
                .to_vec()
            } else {
                let [top, bottom] =
                    Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                        .areas(area);
                let [a, d] =
                    Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                        .areas(top);
                let [b, c] =
                    Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                        .areas(bottom);
                vec![a, b, c, d]
            };
            frame.render_widget(&latency, areas[0]);
            frame.render_widget(&traffic, areas[1]);
            frame.render_widget(&errs, areas[2]);
            frame.render_widget(&chart, areas[3]);
            return;
        }
        if area.width >= 150 {
            let [a, b, c] = Layout::horizontal([
                Constraint::Percentage(40),
                Constraint::Percentage(30),
                Constraint::Percentage(30),
            ])
            .areas(area);
            frame.render_widget(&latency, a);
            frame.render_widget(&traffic, b);
            frame.render_widget(&errs, c);
        } else {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(area);
            let [b, c] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(bottom);
            frame.render_widget(&latency, top);
            frame.render_widget(&traffic, b);
            frame.render_widget(&errs, c);
        }
    }
}
