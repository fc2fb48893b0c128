//! The Compare screen's evidence over a real Console on the sandbox's demo
//! world: the schema diff (a retyped and an added column, breaking in red
//! with the reason), the data lineage, and the training curve chart whose
//! metric `c` changes; and the states of a part that could not be read.
//! Snapshots at 80x24 and 200x50.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::demo::{run_jobs, world};
use common::fixture::{self};
use modeldeck_core::compare_evidence::CompareEvidence;
use modeldeck_core::compare_schema::ChangeKind;
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_tui::app::Screen;
use modeldeck_tui::jobs::{Job, JobOutcome};

fn compare_view(t: &Harness) -> &modeldeck_tui::views::compare::CompareView {
    match t.app.stack().last() {
        Some(Screen::Compare(c)) => c,
        _ => panic!("compare on top"),
    }
}

#[tokio::test]
async fn retyped_and_added_columns_lineage_and_the_next_curve() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let (_sb, console) = world().await;
        let mut t = Harness::new((*console.snapshot()).clone(), w, h);
        t.app.settle();
        run_jobs(&mut t, &console).await;
        t.command("compare demand-forecaster champion challenger");
        run_jobs(&mut t, &console).await;
        let v = compare_view(&t);
        let ev = v.evidence().expect("evidence arrived");
        let schema = ev.schema.as_ref().unwrap();
        let kinds: Vec<(&str, ChangeKind, bool)> = schema
            .changes
            .iter()
            .map(|c| (c.name.as_str(), c.change, c.breaking))
            .collect();
        assert_eq!(
            kinds,
            [
                ("day_of_week", ChangeKind::Retyped, true),
                ("holiday_flag", ChangeKind::Added, true)
            ]
        );
        let first = ev.curve_metrics[0].clone();
        assert_eq!(v.curve().unwrap().metric, first);
        // `c`: the next metric both runs logged.
        t.type_str("c");
        run_jobs(&mut t, &console).await;
        let v = compare_view(&t);
        let ev = v.evidence().unwrap();
        let curve = v.curve().unwrap();
        assert_eq!(curve.metric, ev.curve_metrics[1]);
        let cmp = v.comparison().unwrap();
        let last = |h: &[modeldeck_core::domain::MetricPoint]| h.last().unwrap().value;
        let run =
            |s: &modeldeck_core::compare::Side| s.run.as_ref().unwrap().metrics[&curve.metric];
        assert_eq!(last(&curve.a), run(&cmp.a));
        assert_eq!(last(&curve.b), run(&cmp.b));
        // `C` twice from index 1 wraps to the last metric.
        t.type_str("CC");
        run_jobs(&mut t, &console).await;
        let v = compare_view(&t);
        let n = v.evidence().unwrap().curve_metrics.len();
        assert_eq!(
            v.curve().unwrap().metric,
            v.evidence().unwrap().curve_metrics[n - 1]
        );
        t.type_str("c");
        run_jobs(&mut t, &console).await;
        // Scroll to the schema at the small size.
        if h < 30 {
            for _ in 0..6 {
                t.type_str("j");
            }
        }
        let screen = t.draw();
        assert!(screen.contains("day_of_week"), "{screen}");
        assert!(!screen.contains('\u{1b}'));
        insta::assert_snapshot!(
            format!("compare_evidence_demand_{w}x{h}"),
            t.terminal.backend()
        );
    }
}

#[test]
fn parts_that_cannot_be_read_say_why() {
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.command("compare fraud-detector champion challenger");
        let req = t.take_request();
        t.answer(
            &req,
            JobOutcome::Compare(Ok(Box::new(fixture::fraud_comparison()))),
        );
        let req = t.take_request();
        let Job::CompareEvidence { cmp } = &req.job else {
            panic!("evidence asked next: {:?}", req.job);
        };
        assert_eq!(cmp.b.version.version, "7");
        let unsupported = BackendError::new(
            Backend::Registry,
            ErrorCode::Unsupported,
            "fraud-detector: this registry adapter cannot read model signatures",
        );
        let timeout = BackendError::new(
            Backend::Registry,
            ErrorCode::Timeout,
            "reading dataset inputs did not answer within 10.0s",
        );
        t.answer(
            &req,
            JobOutcome::CompareEvidence(Box::new(CompareEvidence {
                schema: Err(unsupported),
                lineage: Err(timeout),
                curve_metrics: vec!["auc".into()],
            })),
        );
        let req = t.take_request();
        assert!(matches!(&req.job, Job::CompareCurve { metric, .. } if metric == "auc"));
        t.answer(
            &req,
            JobOutcome::CompareCurve(Err(BackendError::not_found(
                Backend::Registry,
                "run 2d1f not found",
            ))),
        );
        let screen = t.draw();
        if h > 30 {
            assert!(screen.contains("cannot read model signatures"), "{screen}");
            assert!(screen.contains("did not answer within"), "{screen}");
        }
        assert!(
            screen.contains("not read: registry not_found: run 2d1f not found"),
            "{screen}"
        );
        insta::assert_snapshot!(
            format!("compare_evidence_failed_{w}x{h}"),
            t.terminal.backend()
        );
    }
}
