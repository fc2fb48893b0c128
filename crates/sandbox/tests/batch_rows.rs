//! The demo's nightly churn scoring job scores rows (issue 14): its
//! successful runs have rows through the metrics port, its failed runs
//! none (their pods died before exporting), the exposition carries the
//! same counter for a real Prometheus, and the console puts the rows on
//! the Fleet row's runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{console, demo, wref};
use modeldeck_core::domain::*;

fn churn() -> WorkloadRef {
    wref(
        "prod-eu",
        "commerce",
        WorkloadKind::CronJob,
        "churn-batch-scoring",
    )
}

#[tokio::test]
async fn successful_runs_have_rows_and_failed_runs_none() {
    let sb = demo(42);
    let ws = sb.backends().cluster.list_workloads().await.unwrap();
    let w = ws.iter().find(|w| w.id == churn()).unwrap();
    let runs = w.batch.as_ref().unwrap().runs.clone();
    assert!(runs.len() >= 7, "a week of runs: {runs:?}");
    let m = sb.backends().metrics;
    let rows = m.batch_rows(&[MetricsTarget::from(w)]).await.unwrap();
    let rows = &rows[&churn()];
    for r in &runs {
        match r.outcome {
            RunOutcome::Failed => assert_eq!(rows.get(&r.job), None, "{}", r.job),
            RunOutcome::Succeeded => {
                let n = rows[&r.job];
                assert!((1_140_000.0..=1_260_000.0).contains(&n), "{}: {n}", r.job);
            }
            // Tonight's run fails too (every run since last night's does).
            RunOutcome::Running => assert_eq!(rows.get(&r.job), None, "{}", r.job),
        }
    }
    // Other CronJobs export no rows counter: nothing, not zeros.
    let others: Vec<MetricsTarget> = ws
        .iter()
        .filter(|w| w.id.kind == WorkloadKind::CronJob && w.id != churn())
        .map(MetricsTarget::from)
        .collect();
    let rows = m.batch_rows(&others).await.unwrap();
    assert!(rows.is_empty(), "{rows:?}");
    // The exposition: the last run failed, so no counter is exported now.
    let body = sb.exporter().render();
    assert!(
        !body
            .lines()
            .any(|l| l.starts_with("modeldeck_batch_rows_total{") && l.contains("churn")),
        "{}",
        body.lines()
            .filter(|l| l.contains("batch_rows"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
async fn the_fleet_row_carries_rows_per_run() {
    let sb = demo(42);
    let c = console(&sb);
    c.refresh_all().await;
    let snap = c.snapshot();
    let rows = modeldeck_core::fleet::fleet_rows(&snap);
    let row = rows
        .iter()
        .find(|r| r.name == "churn-batch-scoring")
        .unwrap();
    let b = row.batch.as_ref().unwrap();
    let ok = b
        .runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Succeeded)
        .collect::<Vec<_>>();
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|r| r.rows.is_some_and(|n| n > 1e6)), "{ok:?}");
    let failed = b
        .runs
        .iter()
        .find(|r| r.outcome == RunOutcome::Failed)
        .unwrap();
    assert_eq!(failed.rows, None);
    let json = serde_json::to_value(row).unwrap();
    let runs = json["batch"]["runs"].as_array().unwrap();
    assert!(
        runs.iter()
            .any(|r| r["rows"].as_f64().is_some_and(|n| n > 1e6))
    );
    assert!(runs.iter().any(|r| r["rows"].is_null()));
}
