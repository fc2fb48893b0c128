//! Live feature distributions for drift (issue 10's convention): the
//! profile's features read back in the profile's bins.
//!
//! - `feature_sample` costs one instant query per metric family the
//!   profile needs, whatever the number of features: `feature_bins` when
//!   it has a numeric feature, `feature_categories` when it has a
//!   categorical one, `feature_missing` when it has any feature, and
//!   `prediction_bins` or `prediction_categories` when it profiles the
//!   prediction: at most four, sent concurrently, all evaluated at the
//!   same instant.
//! - `feature_sample_range` costs one range query for the feature's values
//!   and one for its missing values (one in all for the prediction), the
//!   step raised so no series exceeds Prometheus' 11,000 points.
//!
//! Numeric features come back as cumulative `le` buckets which must sit
//! at the profile's edges (then `+Inf`); they are matched in order with a
//! relative tolerance of [`EDGE_TOLERANCE`] (the `le` labels are formatted
//! floats) and de-cumulated. A histogram with other buckets is an error
//! naming the feature and the difference, never a silent re-binning.
//! Feature names are untrusted: they reach PromQL only through
//! [`regex_alternation`] (escaped regex, escaped string).

use super::{PrometheusMetrics, invalid, port_error};
use crate::step::RangeQuery;
use crate::templates::{escape_string, regex_alternation, render};
use crate::wire::{Labels, QueryData, parse_value};
use modeldeck_core::domain::{TimeRange, Timestamp};
use modeldeck_core::drift::{
    Distribution, FeatureKind, FeatureProfile, LiveCounts, LiveFeature, LiveSample,
    ReferenceProfile,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use std::collections::BTreeMap;

/// Relative tolerance when matching a live `le` label to a profile edge.
pub const EDGE_TOLERANCE: f64 = 1e-6;

/// Which template family a query uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    FeatureBins,
    FeatureCategories,
    FeatureMissing,
    PredictionBins,
    PredictionCategories,
}

impl Family {
    fn name(self) -> &'static str {
        match self {
            Family::FeatureBins => "feature_bins",
            Family::FeatureCategories => "feature_categories",
            Family::FeatureMissing => "feature_missing",
            Family::PredictionBins => "prediction_bins",
            Family::PredictionCategories => "prediction_categories",
        }
    }

    fn values_of(kind: FeatureKind, prediction: bool) -> Family {
        match (kind, prediction) {
            (FeatureKind::Numeric, false) => Family::FeatureBins,
            (FeatureKind::Categorical, false) => Family::FeatureCategories,
            (FeatureKind::Numeric, true) => Family::PredictionBins,
            (FeatureKind::Categorical, true) => Family::PredictionCategories,
        }
    }
}

/// One series of an answer: its labels and `(time, value)` samples (one
/// for an instant query).
type Points = Vec<(Labels, Vec<(Timestamp, f64)>)>;

/// A PromQL window (`3600s`, or `1500ms` when not whole seconds).
pub(crate) fn window_param(window_ms: i64) -> PortResult<String> {
    if window_ms <= 0 {
        return Err(invalid(format!(
            "the drift window must be positive, got {window_ms} ms"
        )));
    }
    Ok(if window_ms % 1000 == 0 {
        format!("{}s", window_ms / 1000)
    } else {
        format!("{window_ms}ms")
    })
}

impl PrometheusMetrics {
    fn live_template(&self, family: Family) -> &str {
        let t = &self.templates;
        match family {
            Family::FeatureBins => &t.feature_bins,
            Family::FeatureCategories => &t.feature_categories,
            Family::FeatureMissing => &t.feature_missing,
            Family::PredictionBins => &t.prediction_bins,
            Family::PredictionCategories => &t.prediction_categories,
        }
    }

    fn render_live(
        &self,
        family: Family,
        model: &str,
        version: &str,
        features: &[&str],
        window: &str,
    ) -> String {
        let vars = [
            ("model", escape_string(model)),
            ("version", escape_string(version)),
            ("features", regex_alternation(features.iter().copied())),
            ("window", window.to_string()),
        ];
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        render(self.live_template(family), &refs)
    }

    /// The instant query of `family` for `features` (none sent, nothing
    /// returned, when there are none).
    async fn live_instant_for(
        &self,
        family: Family,
        model: &str,
        version: &str,
        features: &[&str],
        window: &str,
        at: Timestamp,
    ) -> PortResult<Points> {
        if features.is_empty() {
            return Ok(Vec::new());
        }
        let promql = self.render_live(family, model, version, features, window);
        let name = family.name();
        let r = self
            .client
            .query(&promql, Some(at))
            .await
            .map_err(|e| port_error(e, name))?;
        match r.data {
            QueryData::Vector(v) => Ok(v
                .into_iter()
                .filter_map(|s| Some((s.labels, vec![(s.sample?.at, s.sample?.value)])))
                .collect()),
            other => Err(invalid(format!(
                "template {name} must return an instant vector, got a {}",
                other.kind()
            ))),
        }
    }

    async fn live_range(
        &self,
        family: Family,
        promql: String,
        rq: RangeQuery,
    ) -> PortResult<Points> {
        let name = family.name();
        let r = self
            .client
            .query_range(&promql, &rq)
            .await
            .map_err(|e| port_error(e, name))?;
        Ok(r.data
            .into_iter()
            .map(|s| {
                (
                    s.labels,
                    s.samples.iter().map(|p| (p.at, p.value)).collect(),
                )
            })
            .collect())
    }

    /// `Metrics::feature_sample` (see the module doc for the queries).
    pub(super) async fn sample(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<LiveSample> {
        let window = window_param(window_ms)?;
        let at = at
            .or_else(|| self.eval_time())
            .unwrap_or_else(Timestamp::now);
        let names = |kind: FeatureKind| -> Vec<&str> {
            profile
                .features
                .iter()
                .filter(|f| f.kind() == kind)
                .map(|f| f.name.as_str())
                .collect()
        };
        let numeric = names(FeatureKind::Numeric);
        let categorical = names(FeatureKind::Categorical);
        let all: Vec<&str> = profile.features.iter().map(|f| f.name.as_str()).collect();
        let prediction = profile.prediction.as_ref();
        let pred_family = prediction.map(|p| Family::values_of(p.kind(), true));
        let pred_names: Vec<&str> = prediction.map(|p| p.name.as_str()).into_iter().collect();
        let pf = pred_family.unwrap_or(Family::PredictionBins);
        let (bins, cats, missing, pred) = tokio::join!(
            self.live_instant_for(Family::FeatureBins, model, version, &numeric, &window, at),
            self.live_instant_for(
                Family::FeatureCategories,
                model,
                version,
                &categorical,
                &window,
                at
            ),
            self.live_instant_for(Family::FeatureMissing, model, version, &all, &window, at),
            self.live_instant_for(pf, model, version, &pred_names, &window, at),
        );
        let (bins, cats, missing, pred) = (bins?, cats?, missing?, pred?);
        let labels = self.result_labels();
        let values = group(&bins, &labels, Family::FeatureBins, &numeric)?
            .into_iter()
            .chain(group(
                &cats,
                &labels,
                Family::FeatureCategories,
                &categorical,
            )?)
            .collect::<BTreeMap<_, _>>();
        let missing = group(&missing, &labels, Family::FeatureMissing, &all)?;
        let mut out = Vec::new();
        for f in &profile.features {
            let at_values = values
                .get(f.name.as_str())
                .and_then(|by_t| by_t.values().next());
            let at_missing = missing
                .get(f.name.as_str())
                .and_then(|by_t| by_t.values().next());
            if let Some(lf) = live_feature(f, at_values, at_missing, &labels)? {
                out.push(lf);
            }
        }
        if let (Some(p), Some(family)) = (prediction, pred_family) {
            let by_t = group(&pred, &labels, family, &pred_names)?;
            let at_values = by_t.get(p.name.as_str()).and_then(|m| m.values().next());
            if let Some(lf) = live_feature(p, at_values, None, &labels)? {
                out.push(lf);
            }
        }
        Ok(LiveSample {
            at,
            window_ms,
            features: out,
        })
    }

    /// `Metrics::feature_sample_range` (see the module doc for the queries).
    pub(super) async fn sample_range(
        &self,
        model: &str,
        version: &str,
        profile: &ReferenceProfile,
        feature: &str,
        window_ms: i64,
        range: TimeRange,
    ) -> PortResult<Vec<(Timestamp, LiveFeature)>> {
        let window = window_param(window_ms)?;
        let (f, is_prediction) = match profile.features.iter().find(|f| f.name == feature) {
            Some(f) => (f, false),
            None => match profile.prediction.as_ref().filter(|p| p.name == feature) {
                Some(p) => (p, true),
                None => {
                    return Err(invalid(format!(
                        "{model} {version}: {feature:?} is neither a feature nor the prediction \
                         of its reference profile"
                    )));
                }
            },
        };
        let family = Family::values_of(f.kind(), is_prediction);
        let rq = RangeQuery::clamped(range.start, range.end, range.step_ms)
            .map_err(|e| port_error(e, family.name()))?;
        let names = [feature];
        let values_q = self.render_live(family, model, version, &names, &window);
        let missing_q = self.render_live(Family::FeatureMissing, model, version, &names, &window);
        let (values, missing) = tokio::join!(self.live_range(family, values_q, rq), async {
            if is_prediction {
                Ok(Vec::new())
            } else {
                self.live_range(Family::FeatureMissing, missing_q, rq).await
            }
        });
        let labels = self.result_labels();
        let values = group(&values?, &labels, family, &names)?;
        let missing = group(&missing?, &labels, Family::FeatureMissing, &names)?;
        let by_t = values.get(feature).cloned().unwrap_or_default();
        let missing_by_t = missing.get(feature).cloned().unwrap_or_default();
        let mut out = Vec::new();
        for (t, points) in &by_t {
            let m = missing_by_t.get(t);
            if let Some(lf) = live_feature(f, Some(points), m, &labels)? {
                out.push((Timestamp(*t), lf));
            }
        }
        Ok(out)
    }

    fn result_labels(&self) -> ResultLabels {
        ResultLabels {
            feature: self.templates.feature_label.clone(),
            category: self.templates.category_label.clone(),
        }
    }
}

/// The label names results are read by.
struct ResultLabels {
    feature: String,
    category: String,
}

/// Points of one feature at one time: `(labels, value)`.
type AtTime = Vec<(Labels, f64)>;

/// Series grouped by feature (`names` only; others ignored), then by time
/// in ms. A series without the feature label belongs to the only feature
/// asked for; with several, it is an error (the template must keep the
/// label).
fn group<'a>(
    points: &[(Labels, Vec<(Timestamp, f64)>)],
    labels: &ResultLabels,
    family: Family,
    names: &[&'a str],
) -> PortResult<BTreeMap<&'a str, BTreeMap<i64, AtTime>>> {
    let mut out: BTreeMap<&str, BTreeMap<i64, AtTime>> = BTreeMap::new();
    let prediction = matches!(
        family,
        Family::PredictionBins | Family::PredictionCategories
    );
    for (l, samples) in points {
        let name = match (prediction, l.get(&labels.feature)) {
            (false, Some(v)) => match names.iter().find(|n| **n == v.as_str()) {
                Some(n) => *n,
                None => continue,
            },
            _ if names.len() == 1 => names[0],
            _ => {
                return Err(invalid(format!(
                    "template {} returned a series without the {:?} label ({l:?}); keep it in \
                     the aggregation (sum by ({}, ...))",
                    family.name(),
                    labels.feature,
                    labels.feature
                )));
            }
        };
        let by_t = out.entry(name).or_default();
        for (t, v) in samples {
            by_t.entry(t.0).or_default().push((l.clone(), *v));
        }
    }
    Ok(out)
}

/// One feature's live counts from its value series and missing series at
/// one time; `None` when there is nothing (no series, or NaN values, and
/// no missing values).
fn live_feature(
    f: &FeatureProfile,
    values: Option<&AtTime>,
    missing: Option<&AtTime>,
    labels: &ResultLabels,
) -> PortResult<Option<LiveFeature>> {
    let missing: f64 = missing
        .map(|m| m.iter().map(|(_, v)| *v).filter(|v| v.is_finite()).sum())
        .unwrap_or(0.0);
    let counts = match (&f.dist, values) {
        (Distribution::Numeric { edges, .. }, Some(v)) => {
            let mut cumulative = Vec::with_capacity(v.len());
            for (l, value) in v {
                let Some(le) = l.get("le") else { continue };
                let le = parse_value(le).map_err(|m| {
                    BackendError::new(
                        Backend::Metrics,
                        ErrorCode::MalformedResponse,
                        format!("feature {:?}: bad le label: {m}", f.name),
                    )
                })?;
                cumulative.push((le, *value));
            }
            decumulate(&f.name, edges, &cumulative)
                .map_err(|m| BackendError::new(Backend::Metrics, ErrorCode::MalformedResponse, m))?
                .map(LiveCounts::Numeric)
        }
        (Distribution::Categorical { .. }, Some(v)) => {
            let mut counts = BTreeMap::new();
            for (l, value) in v {
                if let (Some(c), true) = (l.get(&labels.category), value.is_finite()) {
                    *counts.entry(c.clone()).or_insert(0.0) += *value;
                }
            }
            (!counts.is_empty()).then_some(LiveCounts::Categorical(counts))
        }
        (_, None) => None,
    };
    let counts = match counts {
        Some(c) => c,
        // Only missing values: every value of the feature was missing.
        None if missing > 0.0 => match &f.dist {
            Distribution::Numeric { edges, .. } => LiveCounts::Numeric(vec![0.0; edges.len() + 1]),
            Distribution::Categorical { .. } => LiveCounts::Categorical(BTreeMap::new()),
        },
        None => return Ok(None),
    };
    Ok(Some(LiveFeature {
        name: f.name.clone(),
        counts,
        missing,
    }))
}

/// Per-bin counts (`edges.len() + 1`) from cumulative `(le, count)` pairs
/// whose `le` are the profile's `edges` then `+Inf`. `Ok(None)` when there
/// are no pairs or a count is NaN; an error naming `feature` when the
/// buckets are not at the edges. Equal `le` values (the same bound spelled
/// twice) are summed; a negative difference (float noise) counts as 0.
pub(crate) fn decumulate(
    feature: &str,
    edges: &[f64],
    cumulative: &[(f64, f64)],
) -> Result<Option<Vec<f64>>, String> {
    if cumulative.is_empty() || cumulative.iter().any(|(_, v)| v.is_nan()) {
        return Ok(None);
    }
    let mut sorted = cumulative.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, f64)> = Vec::with_capacity(sorted.len());
    for (le, v) in sorted {
        match merged.last_mut() {
            Some(last) if last.0 == le => last.1 += v,
            _ => merged.push((le, v)),
        }
    }
    let live: Vec<f64> = merged.iter().map(|(le, _)| *le).collect();
    let mismatch = |detail: String| {
        format!(
            "feature {feature:?}: the live histogram's buckets do not match the reference \
             profile's edges ({detail}); live le = [{}], profile edges = [{}] then +Inf. \
             Register the histogram with the profile's edges as buckets",
            list(&live),
            list(edges)
        )
    };
    if live.len() != edges.len() + 1 {
        return Err(mismatch(format!(
            "{} buckets, expected {}",
            live.len(),
            edges.len() + 1
        )));
    }
    for (k, (le, edge)) in live.iter().zip(edges).enumerate() {
        if !same_edge(*le, *edge) {
            return Err(mismatch(format!("bucket {k}: le {le} vs edge {edge}")));
        }
    }
    if live.last() != Some(&f64::INFINITY) {
        return Err(mismatch("no le=\"+Inf\" bucket".into()));
    }
    let mut prev = 0.0;
    Ok(Some(
        merged
            .iter()
            .map(|(_, cum)| {
                let bin = (cum - prev).max(0.0);
                prev = *cum;
                bin
            })
            .collect(),
    ))
}

fn same_edge(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= EDGE_TOLERANCE * a.abs().max(b.abs())
}

fn list(v: &[f64]) -> String {
    v.iter()
        .map(|x| {
            if x.is_infinite() {
                "+Inf".to_string()
            } else {
                x.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
