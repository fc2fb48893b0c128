//! PromQL templates, one per signal, with `{placeholder}` substitution.
//! Defaults match Modeldeck's own metric names (docs/metrics.md); a profile
//! overrides any of them by name (`[profiles.x.promql]`), e.g. to map KServe
//! or Seldon metrics. Values substituted into templates are escaped for
//! PromQL string literals, so a workload name cannot break out of a selector.

use modeldeck_core::domain::Signal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A template that cannot be used: which one and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PromQL template {template}: {message}")]
pub struct TemplateError {
    /// Template (field) name.
    pub template: String,
    /// What is wrong.
    pub message: String,
}

/// Every PromQL the adapter sends, as templates. Per-workload templates may
/// use `{model}`, `{namespace}`, `{workload}`, `{cluster}`, `{window}` and
/// `{by}`; fleet templates `{namespaces}`, `{clusters}` (regex
/// alternations of the workloads asked about), `{window}` and `{by}`.
/// Latency templates add `{quantile}`, the histogram template `{feature}`.
/// `{by}` expands to the join labels (`namespace, workload`, with the
/// cluster label first when one is set).
///
/// The live-distribution templates of drift (issue 10's convention) take
/// `{model}`, `{version}`, `{window}` (the caller's window, e.g. `3600s`)
/// and, for features, `{features}`: an anchored regex alternation of the
/// profile's feature names, escaped, so one query answers for every
/// feature of a kind (`sum by (feature, le)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PromqlTemplates {
    /// Rate window (`5m`).
    pub window: String,
    /// Result label holding the namespace (fleet join).
    pub namespace_label: String,
    /// Result label holding the workload name (fleet join).
    pub workload_label: String,
    /// Result label holding the cluster; empty = one Prometheus per
    /// cluster, so results are not matched on cluster.
    pub cluster_label: String,
    /// Result label holding the model version a series was served by;
    /// empty (the default) = series carry no version, so
    /// `signal_range_by_version` answers `Unsupported`. When set, the
    /// per-workload templates are rendered with `{by}` = the join labels
    /// and this one, one series per version.
    pub version_label: String,
    /// Result label holding the feature name (feature drift).
    pub feature_label: String,
    /// Result label holding the data-quality check name.
    pub check_label: String,
    /// Result label holding a category (categorical features and
    /// predictions).
    pub category_label: String,
    /// Requests per second of one workload.
    pub request_rate: String,
    /// Failed fraction of requests of one workload.
    pub error_ratio: String,
    /// Latency quantile `{quantile}` of one workload, seconds.
    pub latency_quantile: String,
    /// Highest feature PSI of one workload.
    pub drift_max: String,
    /// PSI per feature of one workload (one series per feature).
    pub feature_drift: String,
    /// Distribution of `{feature}` (one series per `le`, cumulative).
    pub feature_histogram: String,
    /// Data-quality ratios of one workload (one series per check).
    pub data_quality: String,
    /// Requests per second, every workload at once.
    pub fleet_request_rate: String,
    /// Error ratio, every workload at once.
    pub fleet_error_ratio: String,
    /// Latency quantile, every workload at once.
    pub fleet_latency_quantile: String,
    /// Highest PSI, every workload at once.
    pub fleet_drift_max: String,
    /// Live histograms of the numeric features `{features}` of `{model}`
    /// `{version}` over `{window}`: one cumulative series per feature
    /// label and `le`, buckets at the profile's edges.
    pub feature_bins: String,
    /// Live counts of the categorical features `{features}`: one series
    /// per feature label and category label.
    pub feature_categories: String,
    /// Missing values of the features `{features}`: one series per feature
    /// label.
    pub feature_missing: String,
    /// Live histogram of a numeric prediction: one cumulative series per
    /// `le`.
    pub prediction_bins: String,
    /// Live counts of a categorical prediction: one series per category
    /// label.
    pub prediction_categories: String,
    /// Outcome counts of `{model}` `{version}` over `{window}` (fairness):
    /// one series per `attribute`, `group` and `outcome` label.
    pub outcome_counts: String,
    /// TrustyAI's fairness gauges of `{model}`: one series per gauge, the
    /// metric name in `__name__`, labels `protected`, `privileged`,
    /// `unprivileged`, `request`.
    pub fairness_gauges: String,
    /// Result label holding a consumer group (stream consumers; the
    /// danielqsj kafka_exporter's `consumergroup`).
    pub consumer_group_label: String,
    /// Result label holding a topic.
    pub topic_label: String,
    /// Result label holding a partition.
    pub partition_label: String,
    /// How far back the lag trend looks (`30m`; a plain duration).
    pub lag_trend_window: String,
    /// Messages behind of the consumer groups `{groups}` (an anchored
    /// regex alternation), one series per `{group_by}` and topic; summed
    /// over topics for the group's lag, and read over
    /// `lag_trend_window` for the trend.
    pub consumer_lag: String,
    /// Seconds behind of the groups, one series per `{group_by}`; empty
    /// when no exporter gives seconds (the default reads
    /// `kafka_consumergroup_lag_seconds`; no series = seconds unknown).
    pub consumer_lag_seconds: String,
    /// Messages consumed per second, one series per `{group_by}`.
    pub consumer_throughput: String,
    /// The most lagging partitions, a few series per `{group_by}`.
    pub consumer_top_partitions: String,
    /// Rows a batch workload scored: a counter's series selector (no
    /// function around it: it is read as `<selector>[<span>]` and cut by
    /// the runs' windows); `{model}`, `{namespace}`, `{workload}`,
    /// `{cluster}` available.
    pub batch_rows: String,
}

const ONE: &str = r#"namespace="{namespace}",workload="{workload}""#;
const FLEET: &str = r#"namespace=~"{namespaces}""#;
const VERSION: &str = r#"model="{model}",version="{version}""#;
const GROUPS: &str = r#"consumergroup=~"{groups}""#;
const FEATURES: &str = r#"model="{model}",version="{version}",feature=~"{features}""#;

impl Default for PromqlTemplates {
    fn default() -> Self {
        let rate = |sel: &str, extra: &str| {
            format!("sum by ({{by}}) (rate(model_predictions_total{{{sel}{extra}}}[{{window}}]))")
        };
        let ratio = |sel: &str| {
            format!(
                "({} or {} * 0) / {}",
                rate(sel, r#",status="error""#),
                rate(sel, ""),
                rate(sel, "")
            )
        };
        let quantile = |sel: &str| {
            format!(
                "histogram_quantile({{quantile}}, sum by ({{by}}, le) \
                 (rate(model_request_latency_seconds_bucket{{{sel}}}[{{window}}])))"
            )
        };
        let drift = |sel: &str| format!("max by ({{by}}) (model_feature_drift_psi{{{sel}}})");
        PromqlTemplates {
            window: "5m".into(),
            namespace_label: "namespace".into(),
            workload_label: "workload".into(),
            cluster_label: String::new(),
            version_label: String::new(),
            feature_label: "feature".into(),
            check_label: "check".into(),
            request_rate: rate(ONE, ""),
            error_ratio: ratio(ONE),
            latency_quantile: quantile(ONE),
            drift_max: drift(ONE),
            feature_drift: format!("max by (feature) (model_feature_drift_psi{{{ONE}}})"),
            feature_histogram: format!(
                "sum by (le) (increase(model_feature_value_bucket{{{ONE},feature=\"{{feature}}\"}}[1h]))"
            ),
            data_quality: format!("max by (check) (model_data_quality_ratio{{{ONE}}})"),
            fleet_request_rate: rate(FLEET, ""),
            fleet_error_ratio: ratio(FLEET),
            fleet_latency_quantile: quantile(FLEET),
            fleet_drift_max: drift(FLEET),
            category_label: "category".into(),
            feature_bins: format!(
                "sum by (feature, le) (increase(modeldeck_feature_value_bucket{{{FEATURES}}}[{{window}}]))"
            ),
            feature_categories: format!(
                "sum by (feature, category) \
                 (increase(modeldeck_feature_category_total{{{FEATURES}}}[{{window}}]))"
            ),
            feature_missing: format!(
                "sum by (feature) (increase(modeldeck_feature_missing_total{{{FEATURES}}}[{{window}}]))"
            ),
            prediction_bins: format!(
                "sum by (le) (increase(modeldeck_prediction_value_bucket{{{VERSION}}}[{{window}}]))"
            ),
            prediction_categories: format!(
                "sum by (category) \
                 (increase(modeldeck_prediction_category_total{{{VERSION}}}[{{window}}]))"
            ),
            outcome_counts: format!(
                "sum by (attribute, group, outcome) \
                 (increase(modeldeck_outcome_total{{{VERSION}}}[{{window}}]))"
            ),
            fairness_gauges: r#"{__name__=~"trustyai_spd|trustyai_dir",model="{model}"}"#.into(),
            consumer_group_label: "consumergroup".into(),
            topic_label: "topic".into(),
            partition_label: "partition".into(),
            lag_trend_window: "30m".into(),
            consumer_lag: format!(
                "sum by ({{group_by}}, topic) (kafka_consumergroup_lag{{{GROUPS}}})"
            ),
            consumer_lag_seconds: format!(
                "max by ({{group_by}}) (kafka_consumergroup_lag_seconds{{{GROUPS}}})"
            ),
            consumer_throughput: format!(
                "sum by ({{group_by}}) (rate(kafka_consumergroup_current_offset{{{GROUPS}}}[{{window}}]))"
            ),
            consumer_top_partitions: format!(
                "topk by ({{group_by}}) (3, kafka_consumergroup_lag{{{GROUPS}}})"
            ),
            batch_rows: r#"modeldeck_batch_rows_total{model="{model}"}"#.into(),
        }
    }
}

const WORKLOAD_VARS: &[&str] = &["model", "namespace", "workload", "cluster", "window", "by"];
const FLEET_VARS: &[&str] = &["namespaces", "clusters", "window", "by"];
const LIVE_FEATURE_VARS: &[&str] = &["model", "version", "features", "window"];
const LIVE_PREDICTION_VARS: &[&str] = &["model", "version", "window"];
const GAUGE_VARS: &[&str] = &["model"];

impl PromqlTemplates {
    /// The defaults with `overrides` (field name -> value) applied, as a
    /// profile's `promql` table gives them; then validated.
    pub fn from_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, TemplateError> {
        let mut v =
            serde_json::to_value(PromqlTemplates::default()).map_err(|e| TemplateError {
                template: "(all)".into(),
                message: e.to_string(),
            })?;
        if let Some(obj) = v.as_object_mut() {
            for (k, val) in overrides {
                if !obj.contains_key(k) {
                    let known: Vec<&str> = obj.keys().map(String::as_str).collect();
                    return Err(TemplateError {
                        template: k.clone(),
                        message: format!("unknown key; known keys: {}", known.join(", ")),
                    });
                }
                obj.insert(k.clone(), serde_json::Value::String(val.clone()));
            }
        }
        let t: PromqlTemplates = serde_json::from_value(v).map_err(|e| TemplateError {
            template: "(all)".into(),
            message: e.to_string(),
        })?;
        t.validate()?;
        Ok(t)
    }

    /// Checks that every template only uses placeholders it can be given
    /// and that the label settings are usable.
    pub fn validate(&self) -> Result<(), TemplateError> {
        for (name, value) in [
            ("window", &self.window),
            ("namespace_label", &self.namespace_label),
            ("workload_label", &self.workload_label),
            ("feature_label", &self.feature_label),
            ("check_label", &self.check_label),
            ("category_label", &self.category_label),
        ] {
            if value.trim().is_empty() {
                return Err(err(name, "must not be empty"));
            }
        }
        for (name, value) in [
            ("namespace_label", &self.namespace_label),
            ("workload_label", &self.workload_label),
            ("cluster_label", &self.cluster_label),
            ("feature_label", &self.feature_label),
            ("check_label", &self.check_label),
            ("category_label", &self.category_label),
        ] {
            if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(err(name, &format!("{value:?} is not a label name")));
            }
        }
        self.validate_version_label()?;
        self.validate_streams()?;
        self.validate_batch()?;
        for (name, template, extra) in self.all() {
            let base = if name.starts_with("fleet_") {
                FLEET_VARS
            } else {
                WORKLOAD_VARS
            };
            for p in placeholders(template) {
                if !base.contains(&p) && extra != Some(p) {
                    return Err(err(
                        name,
                        &format!("placeholder {{{p}}} is not available here"),
                    ));
                }
            }
            if template.trim().is_empty() {
                return Err(err(name, "must not be empty"));
            }
        }
        for (name, template, vars) in self.live() {
            if let Some(p) = placeholders(template)
                .into_iter()
                .find(|p| !vars.contains(p))
            {
                return Err(err(
                    name,
                    &format!(
                        "placeholder {{{p}}} is not available here (available: {})",
                        vars.iter()
                            .map(|v| format!("{{{v}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if template.trim().is_empty() {
                return Err(err(name, "must not be empty"));
            }
        }
        Ok(())
    }

    /// `version_label` is empty or a label name (`[a-zA-Z_][a-zA-Z0-9_]*`,
    /// not reserved `__`) that is none of the join labels nor `le`, which
    /// the latency template adds to `{by}` itself.
    fn validate_version_label(&self) -> Result<(), TemplateError> {
        let v = self.version_label.as_str();
        if v.is_empty() {
            return Ok(());
        }
        let name = "version_label";
        let mut chars = v.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(err(
                name,
                &format!(
                    "{v:?} is not a Prometheus label name (letters, digits and _, not starting \
                     with a digit)"
                ),
            ));
        }
        if v.starts_with("__") {
            return Err(err(
                name,
                &format!("{v:?}: labels starting with __ are reserved by Prometheus"),
            ));
        }
        let join = [
            ("namespace_label", &self.namespace_label),
            ("workload_label", &self.workload_label),
            ("cluster_label", &self.cluster_label),
        ];
        if let Some((other, _)) = join.iter().find(|(_, l)| l.as_str() == v) {
            return Err(err(
                name,
                &format!("{v:?} is also {other}; the version needs a label of its own"),
            ));
        }
        if v == "le" {
            return Err(err(
                name,
                "\"le\" is the histogram bucket label, not a version",
            ));
        }
        Ok(())
    }

    /// The `{by}` expansion of a per-version query: [`Self::by_clause`]
    /// and `version_label`; `None` when `version_label` is unset.
    pub fn by_version_clause(&self) -> Option<String> {
        (!self.version_label.is_empty())
            .then(|| format!("{}, {}", self.by_clause(), self.version_label))
    }

    /// The live-distribution templates with the placeholders each may use.
    fn live(&self) -> [(&'static str, &str, &'static [&'static str]); 7] {
        [
            ("feature_bins", &self.feature_bins, LIVE_FEATURE_VARS),
            (
                "feature_categories",
                &self.feature_categories,
                LIVE_FEATURE_VARS,
            ),
            ("feature_missing", &self.feature_missing, LIVE_FEATURE_VARS),
            (
                "prediction_bins",
                &self.prediction_bins,
                LIVE_PREDICTION_VARS,
            ),
            (
                "prediction_categories",
                &self.prediction_categories,
                LIVE_PREDICTION_VARS,
            ),
            ("outcome_counts", &self.outcome_counts, LIVE_PREDICTION_VARS),
            ("fairness_gauges", &self.fairness_gauges, GAUGE_VARS),
        ]
    }

    fn all(&self) -> [(&'static str, &str, Option<&'static str>); 11] {
        [
            ("request_rate", &self.request_rate, None),
            ("error_ratio", &self.error_ratio, None),
            ("latency_quantile", &self.latency_quantile, Some("quantile")),
            ("drift_max", &self.drift_max, None),
            ("feature_drift", &self.feature_drift, None),
            (
                "feature_histogram",
                &self.feature_histogram,
                Some("feature"),
            ),
            ("data_quality", &self.data_quality, None),
            ("fleet_request_rate", &self.fleet_request_rate, None),
            ("fleet_error_ratio", &self.fleet_error_ratio, None),
            (
                "fleet_latency_quantile",
                &self.fleet_latency_quantile,
                Some("quantile"),
            ),
            ("fleet_drift_max", &self.fleet_drift_max, None),
        ]
    }

    /// `(template name, per-workload template, quantile)` of a signal.
    pub fn workload_template(&self, s: Signal) -> (&'static str, &str, Option<f64>) {
        match s {
            Signal::RequestRate => ("request_rate", &self.request_rate, None),
            Signal::ErrorRatio => ("error_ratio", &self.error_ratio, None),
            Signal::LatencyP50 => ("latency_quantile", &self.latency_quantile, Some(0.5)),
            Signal::LatencyP95 => ("latency_quantile", &self.latency_quantile, Some(0.95)),
            Signal::LatencyP99 => ("latency_quantile", &self.latency_quantile, Some(0.99)),
            Signal::DriftMax => ("drift_max", &self.drift_max, None),
        }
    }

    /// `(template name, fleet template, quantile)` of a signal.
    pub fn fleet_template(&self, s: Signal) -> (&'static str, &str, Option<f64>) {
        match s {
            Signal::RequestRate => ("fleet_request_rate", &self.fleet_request_rate, None),
            Signal::ErrorRatio => ("fleet_error_ratio", &self.fleet_error_ratio, None),
            Signal::LatencyP50 => (
                "fleet_latency_quantile",
                &self.fleet_latency_quantile,
                Some(0.5),
            ),
            Signal::LatencyP95 => (
                "fleet_latency_quantile",
                &self.fleet_latency_quantile,
                Some(0.95),
            ),
            Signal::LatencyP99 => (
                "fleet_latency_quantile",
                &self.fleet_latency_quantile,
                Some(0.99),
            ),
            Signal::DriftMax => ("fleet_drift_max", &self.fleet_drift_max, None),
        }
    }

    /// The `{by}` expansion: cluster label (if set), namespace, workload.
    pub fn by_clause(&self) -> String {
        let mut labels = Vec::new();
        if !self.cluster_label.is_empty() {
            labels.push(self.cluster_label.as_str());
        }
        labels.push(&self.namespace_label);
        labels.push(&self.workload_label);
        labels.join(", ")
    }
}

fn err(template: &str, message: &str) -> TemplateError {
    TemplateError {
        template: template.into(),
        message: message.into(),
    }
}

/// The `{name}` placeholders of a template (identifiers in braces; PromQL
/// selectors like `{job="x"}` are not placeholders).
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('}') {
            out.push(&after[..len]);
        }
        rest = after;
    }
    out
}

/// Substitutes `vars` (already escaped) into `template`.
pub fn render(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let hit = vars
            .iter()
            .find(|(name, _)| after.starts_with(name) && after[name.len()..].starts_with('}'));
        match hit {
            Some((name, value)) => {
                out.push_str(value);
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes a value for a double-quoted PromQL string.
pub fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// An anchored regex alternation of literal values, escaped for a
/// double-quoted PromQL string (`a|b\\.c`).
pub fn regex_alternation<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let parts: Vec<String> = values
        .into_iter()
        .map(|v| {
            let mut r = String::new();
            for c in v.chars() {
                if "\\.+*?()|[]{}^$".contains(c) {
                    r.push('\\');
                }
                r.push(c);
            }
            escape_string(&r)
        })
        .collect();
    parts.join("|")
}

/// A plain duration (`90s`, `30m`, `2h`, `1d`, `1w`) in milliseconds; `None`
/// for anything else (`1h30m`, `$__rate_interval`) and for zero.
pub(crate) fn duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 604_800_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

mod batch;
mod stream;

#[cfg(test)]
mod tests;
