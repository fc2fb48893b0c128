//! The `/metrics` exposition of the simulated world: counters start at 0
//! and never go down, their increase over an hour is what the world's own
//! `feature_sample` and request rates say for that hour, every family is
//! written whole with its buckets at the profile's edges, and hostile
//! feature names are escaped. (A real parser, promtool, and a real
//! Prometheus read it in crates/modeldeck/tests/sandbox_metrics.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::demo;
use modeldeck_core::domain::{MetricsTarget, Signal, TimeRange, WorkloadKind};
use modeldeck_core::drift::{Distribution, LiveCounts};
use modeldeck_sandbox::exposition::Exporter;
use modeldeck_sandbox::{ClockMode, Sandbox};
use std::collections::BTreeMap;
use std::time::Duration;

const HOUR_MS: i64 = 3_600_000;

/// Series (name and labels as written) -> value.
fn parse(body: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in body.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        assert!(
            out.insert(series.to_string(), v).is_none(),
            "twice: {series}"
        );
    }
    out
}

/// Renders once, then every minute for `minutes`, checking that no
/// counter goes down; returns the first and the last parse.
fn run(
    sb: &Sandbox,
    ex: &Exporter,
    minutes: u32,
) -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let first = parse(&ex.render());
    let mut last = first.clone();
    for _ in 0..minutes {
        sb.advance(Duration::from_secs(60));
        let now = parse(&ex.render());
        for (k, v) in &last {
            // Gauges, and sums of histograms with negative values, may go down.
            if k.contains("_psi{") || k.contains("_value_sum{") {
                continue;
            }
            let n = now.get(k).unwrap_or_else(|| panic!("{k} disappeared"));
            assert!(n >= v, "{k} went down: {v} -> {n}");
        }
        last = now;
    }
    (first, last)
}

fn increase(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>, key: &str) -> f64 {
    b.get(key).copied().unwrap_or_else(|| panic!("no {key}")) - a.get(key).copied().unwrap_or(0.0)
}

fn shares(c: &[f64]) -> Vec<f64> {
    let t: f64 = c.iter().sum();
    c.iter().map(|x| x / t).collect()
}

/// An hour of counters' increase for demand-forecaster's champion equals
/// the world's own sample of that hour, bin by bin (shares within 0.01;
/// the sample adds Poisson-sized noise, the counters are expected counts),
/// and the totals agree within 2%.
#[tokio::test]
async fn an_hour_of_feature_counters_is_the_worlds_sample_of_that_hour() {
    let sb = demo(42);
    let ex = sb.exporter();
    let (a, b) = run(&sb, &ex, 60);
    let model = "demand-forecaster";
    let m = sb.backends().registry.get_model(model).await.unwrap();
    let version = m.aliases["champion"].clone();
    let p = sb
        .backends()
        .registry
        .reference_profile(model, &version)
        .await
        .unwrap()
        .unwrap();
    let s = sb
        .backends()
        .metrics
        .feature_sample(model, &version, &p, HOUR_MS, None)
        .await
        .unwrap();
    let mut checked = 0;
    for f in &p.features {
        let live = s.feature(&f.name).unwrap();
        let labels = format!(
            "model=\"{model}\",version=\"{version}\",feature=\"{}\"",
            f.name
        );
        let (ours, theirs): (Vec<f64>, Vec<f64>) = match (&f.dist, &live.counts) {
            (Distribution::Numeric { edges, .. }, LiveCounts::Numeric(c)) => {
                let mut prev = 0.0;
                let ours = edges
                    .iter()
                    .map(|e| format!("{e}"))
                    .chain(["+Inf".to_string()])
                    .map(|le| {
                        let key = format!("modeldeck_feature_value_bucket{{{labels},le=\"{le}\"}}");
                        let cum = increase(&a, &b, &key);
                        let bin = cum - prev;
                        prev = cum;
                        bin
                    })
                    .collect();
                (ours, c.clone())
            }
            (Distribution::Categorical { .. }, LiveCounts::Categorical(c)) => c
                .iter()
                .map(|(cat, v)| {
                    let key =
                        format!("modeldeck_feature_category_total{{{labels},category=\"{cat}\"}}");
                    (increase(&a, &b, &key), *v)
                })
                .unzip(),
            other => panic!("{}: {other:?}", f.name),
        };
        let (t1, t2): (f64, f64) = (ours.iter().sum(), theirs.iter().sum());
        assert!(t1 > 1000.0, "{}: {t1} rows in an hour", f.name);
        assert!((t1 / t2 - 1.0).abs() < 0.02, "{}: {t1} vs {t2}", f.name);
        for (x, y) in shares(&ours).iter().zip(shares(&theirs)) {
            assert!((x - y).abs() < 0.01, "{}: {ours:?} vs {theirs:?}", f.name);
        }
        let missing = increase(
            &a,
            &b,
            &format!("modeldeck_feature_missing_total{{{labels}}}"),
        );
        assert!(
            // The sample's noise is up to 3 x sqrt(count).
            (missing - live.missing).abs() <= 4.0 * live.missing.sqrt() + 0.03 * live.missing,
            "{}: missing {missing} vs {}",
            f.name,
            live.missing
        );
        checked += 1;
    }
    assert_eq!(checked, p.features.len());
}

/// The predictions counter's increase over an hour is the integral of the
/// world's request rate (its minute series' mean x 3600, within 3%), and
/// the error share is the error ratio's.
#[tokio::test]
async fn predictions_follow_the_request_rate_and_error_ratio() {
    let sb = demo(42);
    let ex = sb.exporter();
    let start = sb.clock().now();
    let (a, b) = run(&sb, &ex, 60);
    let target = MetricsTarget::new(
        common::wref(
            "prod-eu",
            "risk",
            WorkloadKind::Deployment,
            "fraud-detector",
        ),
        "fraud-detector",
    );
    let range = TimeRange {
        start,
        end: start.plus_millis(HOUR_MS),
        step_ms: 60_000,
    };
    let metrics = sb.backends().metrics;
    let rate = metrics
        .signal_range(&target, Signal::RequestRate, range)
        .await
        .unwrap();
    let mean: f64 = rate.points.iter().map(|p| p.1).sum::<f64>() / rate.points.len() as f64;
    let l = "cluster=\"prod-eu\",model=\"fraud-detector\",namespace=\"risk\",workload=\"fraud-detector\"";
    let ok = increase(
        &a,
        &b,
        &format!("model_predictions_total{{{l},status=\"ok\"}}"),
    );
    let err = increase(
        &a,
        &b,
        &format!("model_predictions_total{{{l},status=\"error\"}}"),
    );
    let total = ok + err;
    assert!(
        (total / (mean * 3600.0) - 1.0).abs() < 0.03,
        "{total} vs {mean}/s"
    );
    let ratio = metrics
        .signal_range(&target, Signal::ErrorRatio, range)
        .await
        .unwrap();
    let mean_ratio: f64 = ratio.points.iter().map(|p| p.1).sum::<f64>() / ratio.points.len() as f64;
    assert!(err > 0.0);
    assert!(
        (err / total - mean_ratio).abs() < 0.2 * mean_ratio,
        "{err}/{total} vs {mean_ratio}"
    );
    let count = increase(
        &a,
        &b,
        &format!("model_request_latency_seconds_count{{{l}}}"),
    );
    assert!((count - total).abs() < 1e-6 * total, "{count} vs {total}");
}

/// Every family is written once and whole (HELP, TYPE, then its samples),
/// histogram buckets are cumulative and end at `+Inf` equal to `_count`,
/// and the first render has every counter at 0.
#[test]
fn families_are_whole_and_counters_start_at_zero() {
    let sb = demo(42);
    let ex = sb.exporter();
    let body = ex.render();
    let mut families = Vec::new();
    let mut current = String::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap().to_string();
            assert!(!families.contains(&name), "{name} split");
            families.push(name.clone());
            current = name;
        } else if !line.starts_with('#') {
            assert!(
                line.starts_with(&current),
                "{line} outside family {current}"
            );
        }
    }
    assert_eq!(families.len(), 12, "{families:?}");
    for (k, v) in parse(&body) {
        // Gauges: drift and the consumers' Kafka side (crate::stream).
        if !k.contains("_psi{") && !k.starts_with("kafka_consumergroup_") {
            assert_eq!(v, 0.0, "{k}");
        }
    }
    sb.advance(Duration::from_secs(300));
    let after = parse(&ex.render());
    let count = after
        .iter()
        .find(|(k, _)| k.starts_with("modeldeck_feature_value_count{model=\"demand-forecaster\""))
        .unwrap();
    assert!(*count.1 > 0.0);
    let labels = &count.0["modeldeck_feature_value_count".len()..];
    let inf = format!(
        "modeldeck_feature_value_bucket{},le=\"+Inf\"}}",
        labels.trim_end_matches('}')
    );
    assert_eq!(after[&inf], *count.1);
}

/// Feature names with a quote, a backslash and a newline come out
/// escaped: every line stays one sample, and the name reads back.
#[test]
fn hostile_feature_names_are_escaped() {
    let scenario = r#"
seed = 7
[[clusters]]
name = "c1"
namespaces = ["ns"]
[[models]]
name = "m"
task = "classifier"
team = "t"
versions = 2
champion = 2
features = ["plain", "qu\"ote", "back\\slash", "new\nline"]
[[workloads]]
cluster = "c1"
namespace = "ns"
kind = "deployment"
name = "w"
model = "m"
version = "champion"
rps = 50
"#;
    let sb = Sandbox::from_scenario(
        scenario,
        ClockMode::Virtual {
            start: modeldeck_sandbox::GENERATED_START,
        },
    )
    .unwrap();
    let ex = sb.exporter();
    ex.render();
    sb.advance(Duration::from_secs(120));
    let body = ex.render();
    for needle in [
        r#"feature="qu\"ote""#,
        r#"feature="back\\slash""#,
        r#"feature="new\nline""#,
    ] {
        assert!(body.contains(needle), "{needle} not in the body");
    }
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        assert!(
            line.contains('{') && line.ends_with(|c: char| c.is_ascii_digit() || c == 'f'),
            "{line}"
        );
    }
    let series = parse(&body);
    assert!(
        series
            .keys()
            .any(|k| k.contains(r#"new\nline"#) && k.contains("_missing_total"))
    );
}

/// Series (name and labels) -> value at each timestamp of an OpenMetrics
/// history, in file order.
fn parse_history(text: &str) -> BTreeMap<String, Vec<(i64, f64)>> {
    let mut out: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (rest, ts) = line.rsplit_once(' ').unwrap();
        let (series, v) = rest.rsplit_once(' ').unwrap();
        out.entry(series.to_string())
            .or_default()
            .push((ts.parse().unwrap(), v.parse().unwrap()));
    }
    out
}

/// Two hours of history every 5 minutes: OpenMetrics as promtool reads it
/// (`_total` counters under their family name, seconds, `# EOF`), every
/// counter monotone in time, and the live scrape after it continues the
/// same counters (no reset); asking again, or after a render, is refused.
#[test]
fn the_history_ends_where_the_live_counters_go_on() {
    let sb = demo(42);
    let ex = sb.exporter();
    let text = ex
        .history(Duration::from_secs(7200), Duration::from_secs(300))
        .unwrap();
    assert!(text.ends_with("# EOF\n"));
    assert!(text.contains("# TYPE model_predictions counter\n"));
    assert!(text.contains("# TYPE modeldeck_feature_value histogram\n"));
    assert!(!text.contains("model_feature_drift_psi"));
    let now_s = sb.clock().now().0 / 1000;
    let series = parse_history(&text);
    assert!(series.len() > 500, "{}", series.len());
    // 22 coarse samples (7200 s before now up to 600 s before), 41 fine.
    const WHOLE: usize = 22 + 41;
    let whole = series.values().filter(|p| p.len() == WHOLE).count();
    assert!(whole * 10 > series.len() * 9, "{whole} of {}", series.len());
    for (k, points) in &series {
        // A version's series start when it first serves (a batch job later).
        assert!(points.len() <= WHOLE, "{k}");
        assert_eq!(points.last().unwrap().0, now_s, "{k}");
        assert!(points[0].0 >= now_s - 7200, "{k}");
        // Every 5 minutes, every 15 s over the last 10.
        for w in points.windows(2) {
            let fine = w[0].0 >= now_s - 600;
            assert_eq!(w[1].0 - w[0].0, if fine { 15 } else { 300 }, "{k}");
        }
        if !k.contains("_value_sum{") {
            assert!(
                points.windows(2).all(|w| w[1].1 >= w[0].1),
                "{k}: {points:?}"
            );
        }
    }
    let key = "model_predictions_total{cluster=\"prod-eu\",model=\"fraud-detector\",namespace=\"risk\",workload=\"fraud-detector\",status=\"ok\"}";
    let last = series[key].last().unwrap().1;
    assert!(last > 100_000.0, "{last}");
    // Live: the same counters, from where the history stopped.
    let first_live = parse(&ex.render());
    assert_eq!(first_live[key], last);
    sb.advance(Duration::from_secs(60));
    assert!(parse(&ex.render())[key] > last);
    let e = ex
        .history(Duration::from_secs(600), Duration::from_secs(60))
        .unwrap_err();
    assert!(e.contains("rendered already"), "{e}");
    let fresh = sb.exporter();
    for (span, step) in [(0, 60), (8 * 86_400, 300), (3600, 5), (600, 3600)] {
        let e = fresh
            .history(Duration::from_secs(span), Duration::from_secs(step))
            .unwrap_err();
        assert!(
            e.contains(&format!(
                "{}",
                if step == 5 || step == 3600 {
                    step
                } else {
                    span
                }
            )),
            "{e}"
        );
    }
}

/// credit-scorer's fairness counters over an hour are the world's own
/// `outcome_counts` for that hour (expected counts both: within 2 %).
#[tokio::test]
async fn outcome_counters_are_the_worlds_outcome_counts() {
    let sb = demo(42);
    let ex = sb.exporter();
    let (a, b) = run(&sb, &ex, 60);
    let model = "credit-scorer";
    let m = sb.backends().registry.get_model(model).await.unwrap();
    let version = m.aliases["champion"].clone();
    let own = sb
        .backends()
        .metrics
        .outcome_counts(model, &version, HOUR_MS, None)
        .await
        .unwrap();
    assert!(own.counts.len() >= 4, "{own:?}");
    for c in &own.counts {
        let key = format!(
            "modeldeck_outcome_total{{model=\"{model}\",version=\"{version}\",attribute=\"{}\",group=\"{}\",outcome=\"{}\"}}",
            c.attribute, c.group, c.outcome
        );
        let ours = increase(&a, &b, &key);
        assert!(c.count > 10.0, "{c:?}");
        assert!(
            (ours / c.count - 1.0).abs() < 0.02,
            "{key}: {ours} vs {}",
            c.count
        );
    }
}
