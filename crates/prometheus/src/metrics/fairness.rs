//! Fairness data (issue 10): outcome counts by the convention
//! `modeldeck_outcome_total{model,version,attribute,group,outcome}` and
//! TrustyAI's `trustyai_spd` / `trustyai_dir` gauges.
//!
//! - `outcome_counts` costs one instant query (template `outcome_counts`,
//!   `sum by (attribute, group, outcome) (increase(..[window]))`); a series
//!   without one of the three labels is skipped (an override that drops
//!   one would otherwise merge groups silently), and so is a non-finite
//!   value.
//! - `fairness_gauges` costs one instant query (template
//!   `fairness_gauges`, the latest sample of every gauge of the model); the
//!   metric comes from `__name__` (`trustyai_spd` -> `spd`), the attribute
//!   from `protected`, the groups from `privileged` / `unprivileged`.
//!
//! Label values are untrusted: they reach PromQL only through
//! [`escape_string`] and are returned raw (front ends neutralize them).

use super::live::window_param;
use super::{PrometheusMetrics, invalid, port_error};
use crate::templates::{escape_string, render};
use crate::wire::{InstantSeries, QueryData};
use modeldeck_core::domain::Timestamp;
use modeldeck_core::drift::fairness::{FairnessGauge, OutcomeCount, OutcomeSample};
use modeldeck_core::error::PortResult;

impl PrometheusMetrics {
    async fn vector(
        &self,
        name: &str,
        promql: &str,
        at: Option<Timestamp>,
    ) -> PortResult<Vec<InstantSeries>> {
        let r = self
            .client
            .query(promql, at)
            .await
            .map_err(|e| port_error(e, name))?;
        match r.data {
            QueryData::Vector(v) => Ok(v),
            other => Err(invalid(format!(
                "template {name} must return an instant vector, got a {}",
                other.kind()
            ))),
        }
    }

    /// `Metrics::outcome_counts`.
    pub(super) async fn outcomes(
        &self,
        model: &str,
        version: &str,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<OutcomeSample> {
        let window = window_param(window_ms)?;
        let at = at
            .or_else(|| self.eval_time())
            .unwrap_or_else(Timestamp::now);
        let (m, v) = (escape_string(model), escape_string(version));
        let promql = render(
            &self.templates.outcome_counts,
            &[("model", &m), ("version", &v), ("window", &window)],
        );
        let series = self.vector("outcome_counts", &promql, Some(at)).await?;
        let counts = series
            .into_iter()
            .filter_map(|s| {
                let count = s.sample?.value;
                if !count.is_finite() {
                    return None;
                }
                let label = |k: &str| s.labels.get(k).cloned();
                Some(OutcomeCount {
                    attribute: label("attribute")?,
                    group: label("group")?,
                    outcome: label("outcome")?,
                    count,
                })
            })
            .collect();
        Ok(OutcomeSample {
            at,
            window_ms,
            counts,
        })
    }

    /// `Metrics::fairness_gauges`.
    pub(super) async fn gauges(&self, model: &str) -> PortResult<Vec<FairnessGauge>> {
        let m = escape_string(model);
        let promql = render(&self.templates.fairness_gauges, &[("model", &m)]);
        let series = self
            .vector("fairness_gauges", &promql, self.eval_time())
            .await?;
        Ok(series
            .into_iter()
            .filter_map(|s| {
                let value = s.sample?.value;
                let name = s.labels.get("__name__")?;
                let metric = name.strip_prefix("trustyai_")?.to_ascii_lowercase();
                let label = |k: &str| s.labels.get(k).cloned();
                Some(FairnessGauge {
                    metric,
                    attribute: label("protected").unwrap_or_default(),
                    privileged: label("privileged"),
                    unprivileged: label("unprivileged"),
                    request: label("request"),
                    value,
                })
            })
            .collect())
    }
}
