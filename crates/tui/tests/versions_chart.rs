//! The Versions screen's metric chart (issue 13, MLflow #4806) over a real
//! Console on the sandbox's demo world: one metric of every version's run,
//! x = version order, aliases written at their points, the versions
//! without a value named; `m`/`M` chart the next/previous metric; `tab`
//! hides the chart (200x50) or shows it instead of the table (80x24).
//! Snapshots at 80x24 and 200x50.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::demo::{run_jobs, world};
use crossterm::event::KeyCode;
use modeldeck_core::Console;
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_core::version_metrics::{self, MetricHistory};
use modeldeck_sandbox::Sandbox;
use modeldeck_tui::app::Screen;
use modeldeck_tui::jobs::{Job, JobOutcome};

const MODEL: &str = "fraud-detector";

fn history(t: &Harness) -> &MetricHistory {
    match t.app.stack().last() {
        Some(Screen::Versions(v)) => v.metric_history().expect("the history arrived"),
        _ => panic!("versions on top"),
    }
}

/// The Versions screen of the demo's fraud model, its jobs answered.
async fn versions(w: u16, h: u16) -> (Sandbox, Console, Harness) {
    let (sb, console) = world().await;
    let mut t = Harness::new((*console.snapshot()).clone(), w, h);
    t.app.settle();
    run_jobs(&mut t, &console).await;
    t.command("models");
    t.type_str("/");
    t.type_str(MODEL);
    t.key(KeyCode::Enter);
    t.key(KeyCode::Enter);
    run_jobs(&mut t, &console).await;
    (sb, console, t)
}

#[tokio::test]
async fn a_metric_across_versions_with_aliases_and_the_next_metric() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let (_sb, console, mut t) = versions(w, h).await;
        let expected = version_metrics::read(&console, MODEL, None).await.unwrap();
        assert_eq!(*history(&t), expected);
        assert!(expected.metrics.len() >= 2, "{:?}", expected.metrics);
        assert!(expected.points.len() >= 2, "{:?}", expected.points);
        let screen = t.draw();
        if h < 30 {
            // Small: the table, the chart one `tab` away.
            assert!(!screen.contains("Metric across versions"), "{screen}");
            t.key(KeyCode::Tab);
        }
        let screen = t.draw();
        let first = expected.metric.clone().unwrap();
        assert!(screen.contains("Metric across versions"), "{screen}");
        assert!(screen.contains(&format!("{first} (1 of")), "{screen}");
        for p in expected.points.iter().filter(|p| !p.aliases.is_empty()) {
            assert!(screen.contains(&format!("@{}", p.aliases[0])), "{screen}");
        }
        insta::assert_snapshot!(format!("versions_chart_{w}x{h}"), t.terminal.backend());
        // `m`: the next metric, read again in the background.
        t.type_str("m");
        run_jobs(&mut t, &console).await;
        let second = &expected.metrics[1];
        let got = history(&t);
        assert_eq!(got.metric.as_ref(), Some(second));
        let want = version_metrics::read(&console, MODEL, Some(second))
            .await
            .unwrap();
        assert_eq!(*got, want);
        // `M` twice from the second wraps to the last.
        t.type_str("MM");
        run_jobs(&mut t, &console).await;
        assert_eq!(history(&t).metric.as_ref(), expected.metrics.last());
        let screen = t.draw();
        assert!(screen.contains("Metric across versions"), "{screen}");
        // `tab` again: the table only.
        t.key(KeyCode::Tab);
        let screen = t.draw();
        assert!(!screen.contains("Metric across versions"), "{screen}");
        assert!(screen.contains("Versions(fraud-detector)"), "{screen}");
    }
}

fn fixture_runs() -> Vec<version_metrics::VersionRun> {
    let runs = common::fixture::fraud_runs();
    common::fixture::fraud_versions()
        .into_iter()
        .map(|v| {
            let run = Ok(runs.get(&v.version).cloned());
            version_metrics::VersionRun { version: v, run }
        })
        .collect()
}

fn answer_history(t: &mut Harness, metric: Option<&str>) {
    let req = t.take_request();
    let Job::MetricHistory {
        model,
        metric: asked,
    } = &req.job
    else {
        panic!("the metric history asked: {:?}", req.job);
    };
    assert_eq!(
        (model.as_str(), asked.as_deref()),
        ("fraud-detector", metric)
    );
    let h = version_metrics::metric_history(model, &fixture_runs(), metric);
    t.answer(&req, JobOutcome::MetricHistory(Ok(Box::new(h))));
}

#[test]
fn versions_without_the_metric_are_named_and_a_failed_read_says_why() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let mut t = Harness::new(common::fixture::ready(), w, h);
        t.app.settle();
        t.type_str("jj"); // fraud-api serves fraud-detector v6
        t.key(KeyCode::Enter);
        let versions = t.take_request();
        t.answer(
            &versions,
            JobOutcome::Versions(Ok(common::fixture::fraud_versions())),
        );
        let runs = t.take_request();
        assert!(matches!(runs.job, Job::Runs { .. }), "{:?}", runs.job);
        answer_history(&mut t, None);
        assert_eq!(history(&t).metric.as_deref(), Some("auc"));
        if h < 30 {
            t.key(KeyCode::Tab);
        }
        let screen = t.draw();
        assert!(screen.contains("auc (1 of 6"), "{screen}");
        assert!(screen.contains("no auc: v1 (no training run)"), "{screen}");
        // `M` from the first wraps to the last: recall, NaN in v7 only.
        t.type_str("M");
        answer_history(&mut t, Some("recall"));
        let screen = t.draw();
        assert!(screen.contains("recall (6 of 6"), "{screen}");
        assert!(
            screen.contains("no version has a value of recall"),
            "{screen}"
        );
        assert!(
            screen.contains("no recall: v1 (no training run) · v2 (its run did not log recall)"),
            "{screen}"
        );
        if w >= 200 {
            assert!(
                screen.contains("v7 @challenger (the value is NaN)"),
                "{screen}"
            );
        }
        insta::assert_snapshot!(
            format!("versions_chart_missing_{w}x{h}"),
            t.terminal.backend()
        );
        // A read that fails says why, in the panel.
        t.type_str("m");
        let req = t.take_request();
        let err = BackendError::new(Backend::Registry, ErrorCode::Timeout, "runs did not answer");
        t.answer(&req, JobOutcome::MetricHistory(Err(err)));
        let screen = t.draw();
        assert!(screen.contains("not read:"), "{screen}");
        assert!(screen.contains("runs did not answer"), "{screen}");
    }
}
