//! Unit tests of template parsing, validation and rendering.

use super::*;

#[test]
fn defaults_are_valid_and_render_without_leftovers() {
    let t = PromqlTemplates::default();
    t.validate().unwrap();
    let q = render(
        &t.latency_quantile,
        &[
            ("namespace", "prod"),
            ("workload", "fraud"),
            ("window", "5m"),
            ("by", "namespace, workload"),
            ("quantile", "0.99"),
        ],
    );
    assert_eq!(
        q,
        "histogram_quantile(0.99, sum by (namespace, workload, le) \
         (rate(model_request_latency_seconds_bucket{namespace=\"prod\",workload=\"fraud\"}[5m])))"
    );
    assert!(placeholders(&q).is_empty(), "{q}");
    let f = render(
        &t.fleet_error_ratio,
        &[("namespaces", "a|b"), ("window", "1m"), ("by", "x")],
    );
    assert!(f.starts_with("(sum by (x) (rate(model_predictions_total{namespace=~\"a|b\",status=\"error\"}[1m])) or"), "{f}");
}

#[test]
fn live_distribution_templates_render_and_are_checked() {
    let t = PromqlTemplates::default();
    let q = render(
        &t.feature_bins,
        &[
            ("model", "fraud"),
            ("version", "3"),
            ("features", &regex_alternation(["amount", "a.b"])),
            ("window", "3600s"),
        ],
    );
    assert_eq!(
        q,
        r#"sum by (feature, le) (increase(modeldeck_feature_value_bucket{model="fraud",version="3",feature=~"amount|a\\.b"}[3600s]))"#
    );
    assert!(
        t.prediction_categories
            .contains("modeldeck_prediction_category_total")
    );
    let mut o = BTreeMap::new();
    o.insert(
        "feature_missing".to_string(),
        "sum by (feature) (increase(x{workload=\"{workload}\"}[{window}]))".to_string(),
    );
    let e = PromqlTemplates::from_overrides(&o).unwrap_err();
    assert_eq!(e.template, "feature_missing");
    assert!(
        e.message.contains("{workload}") && e.message.contains("{features}"),
        "{e}"
    );
    let mut o = BTreeMap::new();
    o.insert(
        "prediction_bins".to_string(),
        "sum by (le) (x{f=~\"{features}\"})".to_string(),
    );
    assert!(PromqlTemplates::from_overrides(&o).is_err());
    let mut o = BTreeMap::new();
    o.insert("category_label".to_string(), "bad label".to_string());
    assert!(PromqlTemplates::from_overrides(&o).is_err());
    o.insert("category_label".to_string(), "class".to_string());
    o.insert(
        "feature_categories".to_string(),
        "sum by (feature, class) (increase(seldon_class_total{model_name=\"{model}\",feature=~\"{features}\"}[{window}]))"
            .to_string(),
    );
    assert_eq!(
        PromqlTemplates::from_overrides(&o).unwrap().category_label,
        "class"
    );
}

#[test]
fn finds_placeholders_but_not_selectors() {
    let p = placeholders(r#"sum by ({by}) (x{a="{namespace}"}) {job="y"} {} {Bad}"#);
    assert_eq!(p, vec!["by", "namespace"]);
}

#[test]
fn overrides_apply_and_are_checked() {
    let mut o = BTreeMap::new();
    o.insert(
        "request_rate".to_string(),
        "sum(rate(x{pod=~\"{workload}-.*\"}[{window}]))".to_string(),
    );
    let t = PromqlTemplates::from_overrides(&o).unwrap();
    assert!(t.request_rate.starts_with("sum(rate(x"));
    o.insert(
        "fleet_drift_max".to_string(),
        "max(x{workload=\"{workload}\"})".to_string(),
    );
    let e = PromqlTemplates::from_overrides(&o).unwrap_err();
    assert_eq!(e.template, "fleet_drift_max");
    assert!(e.message.contains("{workload}"), "{e}");
    let mut o = BTreeMap::new();
    o.insert("reqest_rate".to_string(), "x".to_string());
    let e = PromqlTemplates::from_overrides(&o).unwrap_err();
    assert!(
        e.message.contains("unknown key") && e.message.contains("request_rate"),
        "{e}"
    );
    let mut o = BTreeMap::new();
    o.insert("workload_label".to_string(), "bad label".to_string());
    assert!(PromqlTemplates::from_overrides(&o).is_err());
}

#[test]
fn escapes_values() {
    assert_eq!(escape_string(r#"a"b\c"#), r#"a\"b\\c"#);
    assert_eq!(regex_alternation(["prod", "a.b"]), r"prod|a\\.b");
    let t = PromqlTemplates {
        cluster_label: "cluster".into(),
        ..Default::default()
    };
    assert_eq!(t.by_clause(), "cluster, namespace, workload");
}

#[test]
fn version_label_must_be_a_label_name_of_its_own() {
    let load = |v: &str| {
        let o = BTreeMap::from([("version_label".to_string(), v.to_string())]);
        PromqlTemplates::from_overrides(&o)
    };
    // Unset by default: no per-version clause.
    assert_eq!(PromqlTemplates::default().version_label, "");
    assert_eq!(PromqlTemplates::default().by_version_clause(), None);
    let t = load("version").unwrap();
    assert_eq!(
        t.by_version_clause().as_deref(),
        Some("namespace, workload, version")
    );
    let t = PromqlTemplates {
        cluster_label: "cluster".into(),
        version_label: "revision_name".into(),
        ..Default::default()
    };
    t.validate().unwrap();
    assert_eq!(
        t.by_version_clause().as_deref(),
        Some("cluster, namespace, workload, revision_name")
    );
    for (bad, why) in [
        ("model version", "not a Prometheus label name"),
        ("7version", "not a Prometheus label name"),
        ("version\"}", "not a Prometheus label name"),
        ("versión", "not a Prometheus label name"),
        ("__version", "reserved"),
        ("workload", "also workload_label"),
        ("le", "bucket label"),
    ] {
        let e = load(bad).unwrap_err();
        assert_eq!(e.template, "version_label", "{bad}: {e}");
        assert!(e.message.contains(why), "{bad}: {e}");
    }
}

/// Every `[profiles.*.promql]` example in docs/metrics.md loads.
#[test]
fn documented_examples_are_valid() {
    let doc = include_str!("../../../../docs/metrics.md");
    let mut blocks = 0;
    for block in doc.split("```toml").skip(1) {
        let text = block.split("```").next().unwrap_or("");
        let table: toml::Table = toml::from_str(text).unwrap();
        for (_, profile) in table["profiles"].as_table().unwrap() {
            let promql: BTreeMap<String, String> = profile["promql"]
                .as_table()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            PromqlTemplates::from_overrides(&promql).unwrap_or_else(|e| panic!("{e}"));
            blocks += 1;
        }
    }
    assert_eq!(blocks, 4);
}
