//! [`PrometheusMetrics`]: the `Metrics` port on a [`PromClient`] and the
//! PromQL templates. Fleet health costs six instant queries whatever the
//! number of workloads (rate, error ratio, p50, p95, p99, drift), each
//! aggregated by the join labels and joined back to the asked-for refs,
//! and five more for consumer lag when a stream consumer is among them
//! ([`streams`]).
//! Live feature distributions for drift are in [`live`].

use crate::client::PromClient;
use crate::error::PromError;
use crate::join::{JoinIndex, health_value, on_grid, pick_one};
use crate::templates::{
    PromqlTemplates, TemplateError, escape_string, placeholders, regex_alternation, render,
};
use crate::wire::{InstantSeries, QueryData};
use async_trait::async_trait;
use modeldeck_core::domain::*;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_core::ports::Metrics;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

mod batch_rows;
mod by_version;
mod fairness;
mod live;
mod streams;

pub use live::EDGE_TOLERANCE;

/// The Prometheus adapter behind the `Metrics` port.
#[derive(Debug)]
pub struct PrometheusMetrics {
    client: Arc<PromClient>,
    templates: PromqlTemplates,
    clock: Option<SharedClock>,
    drift_warn: f64,
    drift_alert: f64,
}

/// One bin of a feature's distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureBin {
    /// Lower bound (the previous bin's upper bound; -Inf for the first).
    pub lower: f64,
    /// Upper bound (`le`), +Inf for the last.
    pub upper: f64,
    /// Observations in the bin over the template's window.
    pub count: f64,
}

/// One data-quality check of a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityCheck {
    /// Check name (`missing_values`, `schema_violations`...).
    pub check: String,
    /// Its ratio (0..=1) or value as the metric reports it.
    pub value: f64,
}

impl PrometheusMetrics {
    /// An adapter on `client` with `templates` (validated here). Queries are
    /// evaluated at server time and drift uses the default thresholds
    /// (`DriftStatus::DEFAULT_WARN` / `DEFAULT_ALERT`) until changed.
    pub fn new(client: PromClient, templates: PromqlTemplates) -> Result<Self, TemplateError> {
        templates.validate()?;
        Ok(PrometheusMetrics {
            client: Arc::new(client),
            templates,
            clock: None,
            drift_warn: modeldeck_core::domain::DriftStatus::DEFAULT_WARN,
            drift_alert: modeldeck_core::domain::DriftStatus::DEFAULT_ALERT,
        })
    }

    /// Evaluates instant queries at `clock`'s "now" instead of server time
    /// (the sandbox's virtual clock, or tests replaying fixture data).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// PSI thresholds for [`FeatureDrift::status`].
    pub fn with_drift_thresholds(mut self, warn: f64, alert: f64) -> Self {
        self.drift_warn = warn;
        self.drift_alert = alert;
        self
    }

    /// The client.
    pub fn client(&self) -> &PromClient {
        &self.client
    }

    /// The templates in use.
    pub fn templates(&self) -> &PromqlTemplates {
        &self.templates
    }

    fn eval_time(&self) -> Option<Timestamp> {
        self.clock.as_ref().map(|c| c.now())
    }

    /// Renders a per-workload template for `target`. `{model}` is the
    /// model the target carries; a template that uses it for a target
    /// without one is refused rather than sent with an empty selector.
    fn render_for(
        &self,
        name: &str,
        template: &str,
        target: &MetricsTarget,
        extra: &[(&str, String)],
    ) -> PortResult<String> {
        let model = if placeholders(template).contains(&"model") {
            let m = target.model.as_deref().ok_or_else(|| {
                invalid(format!(
                    "template {name} uses {{model}} but the model served by {target} is unknown \
                     (no model binding was given with it); select by {{workload}} for workloads \
                     without one"
                ))
            })?;
            escape_string(m)
        } else {
            String::new()
        };
        let target = &target.workload;
        let mut vars: Vec<(&str, String)> = vec![
            ("model", model),
            ("namespace", escape_string(&target.namespace)),
            ("workload", escape_string(&target.name)),
            ("cluster", escape_string(&target.cluster)),
            ("window", self.templates.window.clone()),
            ("by", self.templates.by_clause()),
        ];
        // An extra value replaces the default of the same name (a range
        // query's rate window).
        for (k, v) in extra {
            match vars.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.clone(),
                None => vars.push((k, v.clone())),
            }
        }
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        Ok(render(template, &refs))
    }

    async fn instant(&self, name: &str, promql: &str) -> PortResult<Vec<InstantSeries>> {
        let r = self
            .client
            .query(promql, self.eval_time())
            .await
            .map_err(|e| port_error(e, name))?;
        match r.data {
            QueryData::Vector(v) => Ok(v),
            other => Err(BackendError::new(
                Backend::Metrics,
                ErrorCode::InvalidRequest,
                format!(
                    "template {name} must return an instant vector, got a {}",
                    other.kind()
                ),
            )),
        }
    }

    async fn fleet_signal(
        &self,
        signal: Signal,
        vars: &[(&str, String)],
    ) -> PortResult<(Signal, Vec<InstantSeries>)> {
        let (name, template, q) = self.templates.fleet_template(signal);
        let mut vars = vars.to_vec();
        if let Some(q) = q {
            vars.push(("quantile", q.to_string()));
        }
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let promql = render(template, &refs);
        Ok((signal, self.instant(name, &promql).await?))
    }

    /// The distribution of `feature` for `target`: bins in `le` order with
    /// per-bin counts (the cumulative buckets differenced).
    pub async fn feature_histogram(
        &self,
        target: &MetricsTarget,
        feature: &str,
    ) -> PortResult<Vec<FeatureBin>> {
        let t = &self.templates;
        let promql = self.render_for(
            "feature_histogram",
            &t.feature_histogram,
            target,
            &[("feature", escape_string(feature))],
        )?;
        let series = self.instant("feature_histogram", &promql).await?;
        let mut cumulative: Vec<(f64, f64)> = Vec::new();
        for s in series {
            let (Some(le), Some(sample)) = (s.labels.get("le"), s.sample) else {
                continue;
            };
            let le = crate::wire::parse_value(le).map_err(|m| {
                BackendError::new(Backend::Metrics, ErrorCode::MalformedResponse, m)
            })?;
            cumulative.push((le, sample.value));
        }
        cumulative.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut prev = (f64::NEG_INFINITY, 0.0);
        Ok(cumulative
            .into_iter()
            .map(|(le, cum)| {
                let bin = FeatureBin {
                    lower: prev.0,
                    upper: le,
                    count: cum - prev.1,
                };
                prev = (le, cum);
                bin
            })
            .collect())
    }

    /// Data-quality ratios of `target`, sorted by check name.
    pub async fn data_quality(&self, target: &MetricsTarget) -> PortResult<Vec<QualityCheck>> {
        let t = &self.templates;
        let promql = self.render_for("data_quality", &t.data_quality, target, &[])?;
        let series = self.instant("data_quality", &promql).await?;
        let mut out: Vec<QualityCheck> = series
            .into_iter()
            .filter_map(|s| {
                let check = s.labels.get(&t.check_label)?.clone();
                Some(QualityCheck {
                    check,
                    value: s.sample?.value,
                })
            })
            .collect();
        out.sort_by(|a, b| a.check.cmp(&b.check));
        Ok(out)
    }
}

fn invalid(message: String) -> BackendError {
    BackendError::new(Backend::Metrics, ErrorCode::InvalidRequest, message)
}

/// A client error as a port error, naming the template that caused it.
fn port_error(e: PromError, template: &str) -> BackendError {
    let mut be = BackendError::from(e);
    be.message = format!("{template}: {}", be.message);
    be
}

#[async_trait]
impl Metrics for PrometheusMetrics {
    fn describe(&self) -> String {
        format!(
            "prometheus {}",
            self.client.base_url().as_str().trim_end_matches('/')
        )
    }

    async fn fleet_health(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, Health>> {
        if targets.is_empty() {
            return Ok(BTreeMap::new());
        }
        // Fleet templates select by namespace and cluster and join on the
        // workload labels, so the models are not needed here.
        let workloads: Vec<WorkloadRef> = targets.iter().map(|t| t.workload.clone()).collect();
        let namespaces: BTreeSet<&str> = workloads.iter().map(|w| w.namespace.as_str()).collect();
        let clusters: BTreeSet<&str> = workloads.iter().map(|w| w.cluster.as_str()).collect();
        let vars = vec![
            ("namespaces", regex_alternation(namespaces)),
            ("clusters", regex_alternation(clusters)),
            ("window", self.templates.window.clone()),
            ("by", self.templates.by_clause()),
        ];
        let read_at = self.eval_time().unwrap_or_else(Timestamp::now);
        let [a, b, c, d, e, f] = Signal::ALL;
        let (results, streams) = tokio::join!(
            async {
                tokio::join!(
                    self.fleet_signal(a, &vars),
                    self.fleet_signal(b, &vars),
                    self.fleet_signal(c, &vars),
                    self.fleet_signal(d, &vars),
                    self.fleet_signal(e, &vars),
                    self.fleet_signal(f, &vars),
                )
            },
            self.stream_lags(targets, read_at),
        );
        let index = JoinIndex::new(&self.templates, &workloads);
        let mut out: BTreeMap<WorkloadRef, Health> = BTreeMap::new();
        for r in [
            results.0, results.1, results.2, results.3, results.4, results.5,
        ] {
            let (signal, series) = r?;
            for s in series {
                let Some(sample) = s.sample else { continue };
                for w in index.lookup(&s.labels) {
                    let h = out.entry((*w).clone()).or_insert_with(|| Health {
                        read_at,
                        ..Health::default()
                    });
                    h.set(signal, health_value(sample.value));
                }
            }
        }
        for (w, lag) in streams? {
            out.entry(w)
                .or_insert_with(|| Health {
                    read_at,
                    ..Health::default()
                })
                .stream = Some(lag);
        }
        Ok(out)
    }

    async fn signal_range(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Series> {
        let (name, rq, series) = self.workload_range(target, signal, range, None).await?;
        let target = &target.workload;
        match pick_one(&self.templates, series, |s| &s.labels, target) {
            Ok(Some(s)) => Ok(on_grid(&s, &rq)),
            Ok(None) => Ok(Series::default()),
            Err(n) => Err(invalid(format!(
                "template {name} returned {n} series for {target}; aggregate it to one series \
                 per workload (e.g. sum by ({}))",
                self.templates.by_clause()
            ))),
        }
    }

    async fn signal_range_by_version(
        &self,
        target: &MetricsTarget,
        signal: Signal,
        range: TimeRange,
    ) -> PortResult<Vec<(String, Series)>> {
        self.range_by_version(target, signal, range).await
    }

    async fn batch_rows(
        &self,
        targets: &[MetricsTarget],
    ) -> PortResult<BTreeMap<WorkloadRef, BTreeMap<String, f64>>> {
        self.rows_per_run(targets).await
    }

    async fn stream_lag_range(
        &self,
        target: &MetricsTarget,
        range: TimeRange,
    ) -> PortResult<Series> {
        self.lag_range(target, range).await
    }

    async fn feature_drift(&self, target: &MetricsTarget) -> PortResult<Vec<FeatureDrift>> {
        let t = &self.templates;
        let promql = self.render_for("feature_drift", &t.feature_drift, target, &[])?;
        let series = self.instant("feature_drift", &promql).await?;
        let mut out: Vec<FeatureDrift> = series
            .into_iter()
            .filter_map(|s| {
                let feature = s.labels.get(&t.feature_label)?.clone();
                let psi = s.sample?.value;
                Some(FeatureDrift {
                    feature,
                    psi,
                    status: DriftStatus::from_psi(Some(psi), self.drift_warn, self.drift_alert),
                })
            })
            .collect();
        // Worst first; NaN (unknown) last; then by name for a stable order.
        out.sort_by(|a, b| {
            a.psi
                .is_nan()
                .cmp(&b.psi.is_nan())
                .then(b.psi.total_cmp(&a.psi))
                .then_with(|| a.feature.cmp(&b.feature))
        });
        Ok(out)
    }

    async fn feature_sample(
        &self,
        model: &str,
        version: &str,
        profile: &modeldeck_core::drift::ReferenceProfile,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<modeldeck_core::drift::LiveSample> {
        self.sample(model, version, profile, window_ms, at).await
    }

    async fn outcome_counts(
        &self,
        model: &str,
        version: &str,
        window_ms: i64,
        at: Option<Timestamp>,
    ) -> PortResult<modeldeck_core::drift::fairness::OutcomeSample> {
        self.outcomes(model, version, window_ms, at).await
    }

    async fn fairness_gauges(
        &self,
        model: &str,
    ) -> PortResult<Vec<modeldeck_core::drift::fairness::FairnessGauge>> {
        self.gauges(model).await
    }

    async fn feature_sample_range(
        &self,
        model: &str,
        version: &str,
        profile: &modeldeck_core::drift::ReferenceProfile,
        feature: &str,
        window_ms: i64,
        range: TimeRange,
    ) -> PortResult<Vec<(Timestamp, modeldeck_core::drift::LiveFeature)>> {
        self.sample_range(model, version, profile, feature, window_ms, range)
            .await
    }
}

/// The rate window of a range query at `step_ms`: the template's window,
/// or the step when the step is longer, so each point covers its whole
/// step (as Grafana's `$__rate_interval` does). A 7-day chart at a
/// 25-minute step then neither skips what happened between its points nor
/// comes back empty where samples are sparser than the template window.
/// `None` keeps the template's window (also when it is not a plain
/// `<n><s|m|h|d|w>` duration).
pub(crate) fn rate_window(template_window: &str, step_ms: i64) -> Option<String> {
    let window_ms = crate::templates::duration_ms(template_window)?;
    (step_ms > window_ms).then(|| format!("{}s", (step_ms + 999) / 1000))
}

#[cfg(test)]
mod rate_window_tests {
    use super::rate_window;

    #[test]
    fn the_window_covers_at_least_the_step() {
        assert_eq!(rate_window("5m", 16_000), None);
        assert_eq!(rate_window("5m", 300_000), None);
        assert_eq!(rate_window("5m", 1_516_000).as_deref(), Some("1516s"));
        assert_eq!(rate_window("1h", 1_516_000), None);
        assert_eq!(rate_window("30s", 45_500).as_deref(), Some("46s"));
        // Not a plain duration: the template's own window is kept.
        assert_eq!(rate_window("1h30m", 86_400_000), None);
        assert_eq!(rate_window("$__rate_interval", 86_400_000), None);
    }
}
