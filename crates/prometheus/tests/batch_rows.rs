//! Rows scored per batch run (issue 14) on a real Prometheus backfilled
//! with a scoring job's `modeldeck_batch_rows_total` (fixture::batch): one
//! query per CronJob, each run's rows equal to what the server's own
//! `increase` gives over the same window (summed over the series), a
//! counter reset inside a run handled, a run without samples `None`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{FixedClock, client, fixture};
use modeldeck_core::domain::*;
use modeldeck_core::ports::Metrics;
use modeldeck_prometheus::fixture::SAMPLES;
use modeldeck_prometheus::fixture::batch::{BATCH_MODEL, RESET_AT, RUNS};
use modeldeck_prometheus::{PrometheusMetrics, PromqlTemplates, QueryData};
use std::collections::BTreeMap;
use std::sync::Arc;

fn cronjob(model: &str, runs: Vec<RunWindow>) -> MetricsTarget {
    let mut t = MetricsTarget::new(
        WorkloadRef {
            cluster: "test".into(),
            namespace: "scoring".into(),
            kind: WorkloadKind::CronJob,
            name: format!("{model}-nightly"),
        },
        model,
    );
    t.runs = runs;
    t
}

#[tokio::test]
async fn rows_per_run_equal_promql_increase_over_each_run() {
    let c = client();
    let fx = fixture(&c).await;
    let now = fx.timestamp(SAMPLES - 1);
    let m = PrometheusMetrics::new(client(), PromqlTemplates::default())
        .unwrap()
        .with_clock(Arc::new(FixedClock(now)));
    // Each Job starts 25 s before its pod's first sample and ends 40 s
    // after its last (so the increase is extrapolated at both edges); the
    // last run is still in flight (its window ends now).
    let runs: Vec<RunWindow> = RUNS
        .iter()
        .enumerate()
        .map(|(k, (first, last))| RunWindow {
            job: format!("nightly-{k}"),
            start: fx.timestamp(*first).plus_millis(-25_000),
            end: (k < 3).then(|| fx.timestamp(*last).plus_millis(40_000)),
        })
        .collect();
    let target = cronjob(BATCH_MODEL, runs.clone());
    let before = m.client().requests_sent();
    let rows = m.batch_rows(std::slice::from_ref(&target)).await.unwrap();
    assert_eq!(
        m.client().requests_sent() - before,
        1,
        "one query per CronJob"
    );
    let rows = rows[&target.workload].clone();
    for r in &runs {
        let end = r.end.unwrap_or(now);
        let span = end.millis_since(r.start);
        let q = format!(
            "sum(increase(modeldeck_batch_rows_total{{model=\"{BATCH_MODEL}\"}}[{span}ms]))"
        );
        let got = c.query(&q, Some(end)).await.unwrap();
        let QueryData::Vector(v) = got.data else {
            panic!("{q}: {:?}", got.data)
        };
        match v.first().and_then(|s| s.sample) {
            Some(want) => {
                let have = rows.get(&r.job).copied();
                let have = have
                    .unwrap_or_else(|| panic!("{}: no rows, PromQL says {}", r.job, want.value));
                assert!(
                    (have - want.value).abs() <= 1e-9 * want.value.abs().max(1.0),
                    "{}: {have} vs PromQL's increase {}",
                    r.job,
                    want.value
                );
            }
            None => assert_eq!(rows.get(&r.job), None, "{}: PromQL has nothing", r.job),
        }
    }
    // Run 1 reset half way: more rows than its last value less its first.
    let (first, last) = RUNS[1];
    let plain = 600.0 * (last - RESET_AT) as f64;
    assert!(rows["nightly-1"] > 800.0 * (RESET_AT - 1 - first) as f64 + plain);
    // Run 2 exported nothing: unknown, not 0.
    assert_eq!(rows.get("nightly-2"), None);
    // Run 3 sums its two series.
    assert!(rows["nightly-3"] > 1_500.0 * (last - first) as f64);
}

#[tokio::test]
async fn no_counter_no_rows_and_the_template_is_overridable() {
    let c = client();
    let fx = fixture(&c).await;
    let now = fx.timestamp(SAMPLES - 1);
    let run = |first: i64, last: i64| RunWindow {
        job: "nightly".into(),
        start: fx.timestamp(first),
        end: Some(fx.timestamp(last)),
    };
    let m = PrometheusMetrics::new(client(), PromqlTemplates::default())
        .unwrap()
        .with_clock(Arc::new(FixedClock(now)));
    // A model without the counter, an unbound CronJob and a Deployment: nothing.
    let silent = cronjob("no-such-model", vec![run(30, 70)]);
    let mut unbound = cronjob(BATCH_MODEL, vec![run(30, 70)]);
    unbound.model = None;
    let mut deploy = cronjob(BATCH_MODEL, vec![run(30, 70)]);
    deploy.workload.kind = WorkloadKind::Deployment;
    let before = m.client().requests_sent();
    let rows = m.batch_rows(&[silent, unbound, deploy]).await.unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    assert_eq!(
        m.client().requests_sent() - before,
        1,
        "only the bound CronJob asks"
    );
    // A template selecting one version only.
    let t = PromqlTemplates::from_overrides(&BTreeMap::from([(
        "batch_rows".to_string(),
        r#"modeldeck_batch_rows_total{model="{model}",version="4"}"#.to_string(),
    )]))
    .unwrap();
    let m = PrometheusMetrics::new(client(), t)
        .unwrap()
        .with_clock(Arc::new(FixedClock(now)));
    let (a, b) = (RUNS[0], RUNS[3]);
    let target = cronjob(
        BATCH_MODEL,
        vec![
            run(a.0, a.1),
            RunWindow {
                job: "late".into(),
                ..run(b.0, b.1)
            },
        ],
    );
    let rows = m.batch_rows(std::slice::from_ref(&target)).await.unwrap();
    let rows = &rows[&target.workload];
    assert_eq!(rows.get("nightly"), None, "version 3's run is not selected");
    // Samples on both edges of the window: no extrapolation, 2,000 a step.
    assert_eq!(rows.get("late"), Some(&(2_000.0 * (b.1 - b.0) as f64)));
}
