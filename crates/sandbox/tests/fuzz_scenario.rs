//! Issue 12 item 5: sandbox scenario files (`Sandbox::from_scenario`) under
//! property tests, on stable Rust: arbitrary text, and a structure-aware
//! generator (a valid scenario with random line mutations: lines removed or
//! duplicated, wrong types, huge numbers, NaN, deep nesting, hostile strings
//! with control and bidi characters, truncation). Properties: no panic; an
//! error with a message bounded by the input's size. A huge count must be
//! refused, not generated (the scenario's own limits, e.g. at most 500
//! versions): `scripts/bench/fuzz.sh` measures each property's wall time and
//! peak RSS; no test here times anything.
//!
//! Cases per property: `MODELDECK_PROPTEST_CASES` (default 256, for CI; the
//! benchmark run in `docs/benchmarks.md` uses 100,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::domain::Timestamp;
use modeldeck_sandbox::{ClockMode, Sandbox};
use modeldeck_testkit::fuzz::*;
use proptest::prelude::*;

const START: ClockMode = ClockMode::Virtual {
    start: Timestamp(1_795_856_400_000),
};

const BASE: &str = r#"
seed = 5

[[clusters]]
name = "c1"
namespaces = ["ns", "ns2"]

[[models]]
name = "m"
task = "classifier"
team = "t"
versions = 3
challenger = 3

[[workloads]]
cluster = "c1"
namespace = "ns"
kind = "deployment"
name = "w"
model = "m"
replicas = 2
"#;

/// This document's own kinds of line, for [`toml_edit`].
fn own_lines() -> BoxedStrategy<String> {
    prop_oneof![
        hostile_string(20).prop_map(|k| format!("[[{}]]", toml_quoted(&k))),
        hostile_string(20).prop_map(|k| format!("[clusters.{}]", toml_quoted(&k))),
        toml_value().prop_map(|v| format!("versions = {v}")),
        toml_value().prop_map(|v| format!("replicas = {v}")),
    ]
    .boxed()
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match Sandbox::from_scenario(text, START) {
        Ok(_) => {}
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(!msg.is_empty());
            prop_assert!(msg.len() <= 8 * text.len() + 4096, "{} bytes", msg.len());
        }
    }
    Ok(())
}

#[test]
fn the_seed_scenario_builds() {
    Sandbox::from_scenario(BASE, START).unwrap();
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn scenario_arbitrary_text_never_panics(text in hostile_string(2048)) {
        check(&text)?;
    }

    #[test]
    fn scenario_mutated_documents_build_or_say_why(
        edits in prop::collection::vec(toml_edit(own_lines()), 1..6),
    ) {
        check(&mutate_toml(BASE, &edits))?;
    }
}
