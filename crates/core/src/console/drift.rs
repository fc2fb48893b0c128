//! Drift as the front ends ask for it: one model version's features
//! against its reference profile over a window ([`Console::drift`]), and
//! one feature's score over time ([`Console::drift_history`]). The profile
//! comes from the registry, the live counts from the metrics backend, the
//! verdicts from [`crate::drift::evaluate`], so the Drift screen, `modeldeck
//! drift` and reports show the same numbers.

use super::Console;
use crate::domain::{TimeRange, Timestamp, WorkloadRef};
use crate::drift::{self, DriftReport, LiveSample, ReferenceProfile, Score};
use crate::error::{Backend, BackendError, ErrorCode, PortResult};
use serde::Serialize;
use std::sync::Arc;

/// The drift windows front ends offer, milliseconds (1 h, 6 h, 24 h, 7 d).
pub const DRIFT_WINDOWS: [i64; 4] = [3_600_000, 21_600_000, 86_400_000, 604_800_000];

/// The window a drift view opens with (24 h: long enough that a daily
/// cycle the reference covers does not alarm).
pub const DEFAULT_DRIFT_WINDOW: i64 = 86_400_000;

/// How far back the score-over-time chart reaches for a window: 24 h for
/// 1 h, 3 d for 6 h, 7 d for 24 h, 28 d for 7 d.
pub fn drift_chart_range(window_ms: i64) -> i64 {
    match window_ms {
        w if w <= 3_600_000 => 86_400_000,
        w if w <= 21_600_000 => 3 * 86_400_000,
        w if w <= 86_400_000 => 7 * 86_400_000,
        _ => 28 * 86_400_000,
    }
}

/// One model version's drift.
#[derive(Debug, Clone, Serialize)]
pub struct DriftView {
    /// Registered model.
    pub model: String,
    /// The version whose live data and reference were compared.
    pub version: String,
    /// The reference profile (shared: a history query reuses it).
    #[serde(skip)]
    pub profile: Arc<ReferenceProfile>,
    /// The verdicts.
    pub report: DriftReport,
}

/// One point of a feature's score over time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DriftPoint {
    /// End of the window the score covers.
    pub at: Timestamp,
    /// The score (method, value, threshold, verdict).
    pub score: Score,
}

impl Console {
    /// The model and version a workload serves, from the snapshot: the
    /// stable version, or `canary` for a canary's.
    pub fn served_model(&self, target: &WorkloadRef, canary: bool) -> Option<(String, String)> {
        let snap = self.snapshot();
        let i = snap.workloads.binary_search_by(|w| w.id.cmp(target)).ok()?;
        let w = snap.workloads.get(i)?;
        let model = w.model.clone()?;
        let version = if canary {
            w.canary.as_ref().map(|c| c.version.clone())?
        } else {
            w.served_version.clone()?
        };
        Some((model, version))
    }

    /// The reference profile of `model` `version`; `not_found` naming the
    /// tag when the version has none.
    pub async fn reference_profile(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<ReferenceProfile> {
        let r = self.inner.backends.registry.clone();
        let found = self
            .bounded(
                Backend::Registry,
                "reading a reference profile",
                r.reference_profile(model, version),
            )
            .await?;
        found.ok_or_else(|| {
            BackendError::new(
                Backend::Registry,
                ErrorCode::NotFound,
                format!(
                    "{model} v{version} has no reference profile (no {} tag); build one with `modeldeck profile build --log-to {model}/{version}`",
                    drift::PROFILE_TAG
                ),
            )
        })
    }

    /// Every feature of `model` `version` against its reference over the
    /// `window_ms` ending now.
    pub async fn drift(&self, model: &str, version: &str, window_ms: i64) -> PortResult<DriftView> {
        let profile = Arc::new(self.reference_profile(model, version).await?);
        let report = self.drift_with(model, version, &profile, window_ms).await?;
        Ok(DriftView {
            model: model.to_string(),
            version: version.to_string(),
            profile,
            report,
        })
    }

    /// [`Console::drift`] with a profile already read.
    pub async fn drift_with(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
        window_ms: i64,
    ) -> PortResult<DriftReport> {
        let m = self.inner.backends.metrics.clone();
        let at = self.now();
        let sample = self
            .bounded(
                Backend::Metrics,
                "reading live feature distributions",
                m.feature_sample(model, version, profile, window_ms, Some(at)),
            )
            .await?;
        Ok(drift::evaluate(profile, &sample))
    }

    /// A workload's rollout history (deploys), for timeline markers.
    pub async fn revisions(
        &self,
        target: &WorkloadRef,
    ) -> PortResult<Vec<crate::domain::Revision>> {
        let c = self.inner.backends.cluster.clone();
        self.bounded(
            Backend::Cluster,
            "reading rollout history",
            c.revisions(target),
        )
        .await
    }

    /// `feature`'s score at each step of the chart range that fits
    /// `window_ms` ([`drift_chart_range`]), about `points` points, each over
    /// the `window_ms` ending there, scored exactly as [`Console::drift`]
    /// scores it. Steps without data are absent.
    pub async fn drift_history(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
        feature: &str,
        window_ms: i64,
        points: u32,
    ) -> PortResult<Vec<DriftPoint>> {
        let end = self.now();
        let span = drift_chart_range(window_ms);
        let step_ms = (span / i64::from(points.max(1))).max(60_000);
        let range = TimeRange {
            start: end.plus_millis(-span),
            end,
            step_ms,
        };
        let m = self.inner.backends.metrics.clone();
        let counts = self
            .bounded(
                Backend::Metrics,
                "reading a feature's distributions over time",
                m.feature_sample_range(model, version, profile, feature, window_ms, range),
            )
            .await?;
        Ok(counts
            .into_iter()
            .filter_map(|(at, live)| {
                // An input feature is scored alone (evaluate() would score
                // every feature of the profile at every point); the
                // prediction goes through evaluate(), which knows its row.
                if profile.feature(feature).is_some() {
                    let row = drift::evaluate::evaluate_feature(profile, feature, Some(&live))?;
                    return Some(DriftPoint {
                        at,
                        score: row.score?,
                    });
                }
                let sample = LiveSample {
                    at,
                    window_ms,
                    features: vec![live],
                };
                let report = drift::evaluate(profile, &sample);
                let row = report
                    .features
                    .iter()
                    .chain(report.prediction.iter())
                    .find(|r| r.feature == feature)?;
                Some(DriftPoint {
                    at,
                    score: row.score?,
                })
            })
            .collect())
    }
}
