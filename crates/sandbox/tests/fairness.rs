//! Fairness in the simulated world (issue 10): the sandbox's outcome
//! counts (`Metrics::outcome_counts`) and `Console::fairness` over them:
//! the demo's credit-scorer fails the default thresholds on its 18-25
//! band, a model whose groups are approved alike passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use modeldeck_core::console::FairnessSource;
use modeldeck_core::drift::fairness::Verdict;
use modeldeck_core::error::{Backend, ErrorCode};
use modeldeck_sandbox::{ClockMode, GENERATED_START, Sandbox};

const DAY: i64 = 86_400_000;

fn scenario(rates: &str) -> Sandbox {
    let text = format!(
        r#"
seed = 3

[[clusters]]
name = "c1"
namespaces = ["ns"]

[[models]]
name = "lender"
task = "classifier"
team = "t"
versions = 2
features = ["income", "region"]
[models.drift]
protected = {{ feature = "region", outcome = "approved", rates = {{ {rates} }} }}

[[workloads]]
cluster = "c1"
namespace = "ns"
kind = "deployment"
name = "lender"
model = "lender"
version = 2
rps = 40
"#
    );
    Sandbox::from_scenario(
        &text,
        ClockMode::Virtual {
            start: GENERATED_START,
        },
    )
    .unwrap()
}

#[tokio::test]
async fn outcome_counts_carry_each_groups_rate() {
    let sb = demo(42);
    let s = sb
        .backends()
        .metrics
        .outcome_counts("credit-scorer", "4", DAY, None)
        .await
        .unwrap();
    assert_eq!(s.window_ms, DAY);
    let counts = s.group_counts(&Default::default());
    let groups = &counts["age_band"];
    assert_eq!(groups.len(), 5);
    for g in sb.protected_attribute("credit-scorer").unwrap().groups {
        let c = groups[&g.group];
        assert!(c.total > 1000.0, "{}: {c:?}", g.group);
        assert!(
            (c.positive / c.total - g.rate).abs() < 1e-9,
            "{}: {c:?} vs {}",
            g.group,
            g.rate
        );
    }
    // Outcomes are `approved` and `not_approved`.
    assert_eq!(s.outcomes("age_band"), ["approved", "not_approved"]);
    // A model without a protected attribute has no counts; an unknown
    // version is not found, naming it.
    let none = sb
        .backends()
        .metrics
        .outcome_counts("fraud-detector", "7", DAY, None)
        .await
        .unwrap();
    assert!(none.counts.is_empty());
    let e = sb
        .backends()
        .metrics
        .outcome_counts("credit-scorer", "99", DAY, None)
        .await
        .unwrap_err();
    assert_eq!((e.backend, e.code), (Backend::Metrics, ErrorCode::NotFound));
    assert!(e.message.contains("\"99\""), "{e}");
    let e = sb
        .backends()
        .metrics
        .outcome_counts("credit-scorer", "4", 0, None)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn credit_scorer_fails_the_default_thresholds_on_its_youngest_band() {
    let sb = demo(42);
    let c = console(&sb);
    let v = c.fairness("credit-scorer", "4", DAY).await.unwrap();
    assert_eq!(v.verdict, Some(Verdict::Unfair));
    assert!(v.notes.is_empty(), "{:?}", v.notes);
    let row = v
        .attributes
        .iter()
        .find(|r| r.source == FairnessSource::Live)
        .unwrap();
    let a = &row.fairness;
    assert_eq!(a.attribute, "age_band");
    assert_eq!(a.reference.as_deref(), Some("36-50"));
    assert_eq!(a.worst_group.as_deref(), Some("18-25"));
    // 0.41 - 0.68 and 0.41 / 0.68, from the scenario's rates.
    assert!((a.spd.unwrap() + 0.27).abs() < 1e-9, "{a:?}");
    assert!((a.dir.unwrap() - 0.41 / 0.68).abs() < 1e-9, "{a:?}");
    assert_eq!(a.verdict, Verdict::Unfair);
    assert_eq!(v.unfair().count(), 1);
}

#[tokio::test]
async fn a_model_approving_every_group_alike_passes() {
    let sb = scenario(r#""north" = 0.5, "south" = 0.5, "east" = 0.47"#);
    let v = console(&sb).fairness("lender", "2", DAY).await.unwrap();
    assert_eq!(v.verdict, Some(Verdict::Fair), "{v:?}");
    let a = &v.attributes[0].fairness;
    assert_eq!(a.attribute, "region");
    // east: SPD -0.03, DIR 0.94.
    assert!((a.spd.unwrap() + 0.03).abs() < 1e-9, "{a:?}");
    assert!((a.dir.unwrap() - 0.94).abs() < 1e-9, "{a:?}");
    // The same model with one group approved far less fails.
    let sb = scenario(r#""north" = 0.5, "south" = 0.5, "east" = 0.3"#);
    let v = console(&sb).fairness("lender", "2", DAY).await.unwrap();
    assert_eq!(v.verdict, Some(Verdict::Unfair));
    assert_eq!(
        v.attributes[0].fairness.worst_group.as_deref(),
        Some("east")
    );
}

#[tokio::test]
async fn without_a_protected_attribute_there_is_no_verdict() {
    let sb = demo(42);
    let v = console(&sb)
        .fairness("fraud-detector", "7", DAY)
        .await
        .unwrap();
    assert!(v.attributes.is_empty());
    assert_eq!(v.verdict, None);
    // An unknown version: every source fails, the call names it.
    let e = console(&sb)
        .fairness("credit-scorer", "99", DAY)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_backend_down_is_an_error_when_no_source_answers() {
    let sb = demo(42);
    sb.set_outage(Backend::Metrics, true);
    // The registry still answers (run metrics): a note, not an error.
    let v = console(&sb)
        .fairness("credit-scorer", "4", DAY)
        .await
        .unwrap();
    assert_eq!(v.notes.len(), 1, "{:?}", v.notes);
    assert_eq!(v.notes[0].source, FairnessSource::Live);
    sb.set_outage(Backend::Registry, true);
    let e = console(&sb)
        .fairness("credit-scorer", "4", DAY)
        .await
        .unwrap_err();
    assert_eq!(e.backend, Backend::Metrics);
}
