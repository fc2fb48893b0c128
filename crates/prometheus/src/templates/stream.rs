//! The stream-consumer templates (consumer lag, issue 14): their
//! placeholders, labels and the trend window.
//!
//! They select consumer groups, not workloads: `{groups}` is an anchored
//! regex alternation of the groups asked about (escaped), `{group_by}` the
//! labels results are joined on (the cluster label first when one is set,
//! then `consumer_group_label`), `{window}` the rate window.

use super::{PromqlTemplates, TemplateError, duration_ms, err, placeholders};

const STREAM_VARS: &[&str] = &["groups", "group_by", "window"];

impl PromqlTemplates {
    /// `(field name, template)` of every stream template.
    pub(crate) fn stream_templates(&self) -> [(&'static str, &str); 4] {
        [
            ("consumer_lag", &self.consumer_lag),
            ("consumer_lag_seconds", &self.consumer_lag_seconds),
            ("consumer_throughput", &self.consumer_throughput),
            ("consumer_top_partitions", &self.consumer_top_partitions),
        ]
    }

    /// What `{group_by}` expands to.
    pub fn group_by_clause(&self) -> String {
        if self.cluster_label.is_empty() {
            self.consumer_group_label.clone()
        } else {
            format!("{}, {}", self.cluster_label, self.consumer_group_label)
        }
    }

    /// `lag_trend_window` in milliseconds (validated, so always positive).
    pub fn lag_trend_window_ms(&self) -> i64 {
        duration_ms(&self.lag_trend_window).unwrap_or(30 * 60_000)
    }

    pub(super) fn validate_streams(&self) -> Result<(), TemplateError> {
        for (name, value) in [
            ("consumer_group_label", &self.consumer_group_label),
            ("topic_label", &self.topic_label),
            ("partition_label", &self.partition_label),
        ] {
            let ok = value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(err(name, &format!("{value:?} is not a label name")));
            }
        }
        match duration_ms(&self.lag_trend_window) {
            Some(ms) if ms >= 3 * 60_000 => {}
            _ => {
                return Err(err(
                    "lag_trend_window",
                    &format!(
                        "{:?} is not a duration of at least 3m like 30m or 2h (one number and one \
                         of s, m, h, d)",
                        self.lag_trend_window
                    ),
                ));
            }
        }
        for (name, template) in self.stream_templates() {
            if template.trim().is_empty() {
                if name == "consumer_lag_seconds" {
                    continue; // no exporter gives seconds: they are unknown
                }
                return Err(err(name, "must not be empty"));
            }
            if let Some(p) = placeholders(template)
                .into_iter()
                .find(|p| !STREAM_VARS.contains(p))
            {
                return Err(err(
                    name,
                    &format!(
                        "placeholder {{{p}}} is not available here (available: {{groups}}, \
                         {{group_by}}, {{window}})"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn with(k: &str, v: &str) -> Result<PromqlTemplates, TemplateError> {
        PromqlTemplates::from_overrides(&BTreeMap::from([(k.to_string(), v.to_string())]))
    }

    #[test]
    fn stream_templates_are_overridable_and_checked() {
        let t = PromqlTemplates::default();
        assert_eq!(t.group_by_clause(), "consumergroup");
        assert_eq!(t.lag_trend_window_ms(), 1_800_000);
        let t = with("cluster_label", "cluster").unwrap();
        assert_eq!(t.group_by_clause(), "cluster, consumergroup");
        // kminion's names instead of kafka_exporter's.
        let t = with(
            "consumer_lag",
            r#"sum by ({group_by}, topic_name) (kminion_kafka_consumer_group_topic_lag{group_id=~"{groups}"})"#,
        )
        .unwrap();
        assert!(t.consumer_lag.contains("kminion"));
        // No exporter with seconds: the template may be empty.
        assert_eq!(
            with("consumer_lag_seconds", "")
                .unwrap()
                .consumer_lag_seconds,
            ""
        );
        let e = with("consumer_lag", "").unwrap_err();
        assert_eq!(e.template, "consumer_lag");
        let e = with("consumer_throughput", "rate(x{w=\"{workload}\"}[5m])").unwrap_err();
        assert!(e.message.contains("{workload} is not available"), "{e}");
        let e = with("lag_trend_window", "1h30m").unwrap_err();
        assert_eq!(e.template, "lag_trend_window");
        assert!(with("lag_trend_window", "1m").is_err());
        assert!(with("consumer_group_label", "group-id").is_err());
        assert_eq!(duration_ms("2h"), Some(7_200_000));
        assert_eq!(duration_ms("0m"), None);
    }
}
