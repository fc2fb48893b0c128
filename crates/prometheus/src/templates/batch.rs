//! The batch template (rows scored per run, issue 14): a plain series
//! selector, since it is read as a range selector over the runs' span.

use super::{PromqlTemplates, TemplateError, err, placeholders};

const BATCH_VARS: &[&str] = &["model", "namespace", "workload", "cluster"];

impl PromqlTemplates {
    pub(super) fn validate_batch(&self) -> Result<(), TemplateError> {
        let t = self.batch_rows.trim();
        if t.is_empty() {
            return Err(err("batch_rows", "must not be empty"));
        }
        if let Some(p) = placeholders(t)
            .into_iter()
            .find(|p| !BATCH_VARS.contains(p))
        {
            return Err(err(
                "batch_rows",
                &format!(
                    "placeholder {{{p}}} is not available here (available: {{model}}, \
                     {{namespace}}, {{workload}}, {{cluster}})"
                ),
            ));
        }
        if t.contains(['(', '[']) {
            return Err(err(
                "batch_rows",
                &format!(
                    "{t:?} must be a series selector like \
                     modeldeck_batch_rows_total{{model=\"{{model}}\"}} (no function or range: \
                     it is read over the runs' span and cut by each run's window)"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn with(v: &str) -> Result<PromqlTemplates, TemplateError> {
        PromqlTemplates::from_overrides(&BTreeMap::from([(
            "batch_rows".to_string(),
            v.to_string(),
        )]))
    }

    #[test]
    fn the_rows_template_is_overridable_and_must_be_a_selector() {
        assert_eq!(
            PromqlTemplates::default().batch_rows,
            r#"modeldeck_batch_rows_total{model="{model}"}"#
        );
        let t =
            with(r#"scored_rows_total{job_name="{workload}",namespace="{namespace}"}"#).unwrap();
        assert!(t.batch_rows.starts_with("scored_rows_total"));
        for bad in [
            "",
            r#"sum(modeldeck_batch_rows_total{model="{model}"})"#,
            r#"modeldeck_batch_rows_total{model="{model}"}[5m]"#,
            r#"modeldeck_batch_rows_total{version="{version}"}"#,
        ] {
            let e = with(bad).unwrap_err();
            assert_eq!(e.template, "batch_rows", "{bad}: {e}");
        }
    }
}
