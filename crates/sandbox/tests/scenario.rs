//! Scenario files: the embedded demo parses, and every mistake is reported
//! with the field and the line.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use modeldeck_core::domain::Timestamp;
use modeldeck_sandbox::{ClockMode, DEMO_SCENARIO, Sandbox, SandboxError};

const START: ClockMode = ClockMode::Virtual {
    start: Timestamp(1_795_856_400_000),
};

const BASE: &str = r#"
seed = 5

[[clusters]]
name = "c1"
namespaces = ["ns"]

[[models]]
name = "m"
task = "classifier"
team = "t"
versions = 3
challenger = 3
"#;

fn err(text: &str) -> SandboxError {
    Sandbox::from_scenario(text, START).unwrap_err()
}

fn with_workload(body: &str) -> String {
    format!("{BASE}\n[[workloads]]\n{body}\n")
}

#[test]
fn the_demo_scenario_parses() {
    Sandbox::from_scenario(DEMO_SCENARIO, START).unwrap();
    Sandbox::demo().unwrap();
}

#[test]
fn a_minimal_scenario_works_and_its_seed_is_used() {
    let sb = Sandbox::from_scenario(BASE, START).unwrap();
    assert_eq!(sb.seed(), 5);
    let sb = Sandbox::from_scenario_seeded(BASE, START, Some(6)).unwrap();
    assert_eq!(sb.seed(), 6);
}

#[test]
fn toml_syntax_errors_name_the_line() {
    let e = err("seed = \n[[clusters]]");
    let msg = e.to_string();
    assert!(matches!(e, SandboxError::Syntax { .. }));
    assert!(msg.contains("line 1"), "{msg}");
}

#[test]
fn unknown_fields_and_bad_kinds_are_named() {
    let e = err(&BASE.replace("team = \"t\"", "team = \"t\"\ncolour = \"red\""));
    assert!(e.to_string().contains("colour"), "{e}");
    let e = err(&with_workload(
        "cluster = \"c1\"\nnamespace = \"ns\"\nkind = \"deploy\"\nname = \"w\"\nmodel = \"m\"",
    ));
    let msg = e.to_string();
    assert!(
        msg.contains("deploy") && msg.contains("deployment"),
        "{msg}"
    );
    assert!(msg.contains("line 18"), "{msg}");
    let e = err(&BASE.replace("classifier", "clustering"));
    assert!(e.to_string().contains("clustering"), "{e}");
    let e = err(&BASE.replace("versions = 3", "versions = \"three\""));
    assert!(e.to_string().contains("versions"), "{e}");
}

#[test]
fn inconsistencies_name_the_field_and_line() {
    let cases = [
        (
            with_workload(
                "cluster = \"c2\"\nnamespace = \"ns\"\nkind = \"deployment\"\nname = \"w\"\nmodel = \"m\"",
            ),
            "workloads[0].cluster",
            "\"c2\"",
        ),
        (
            with_workload(
                "cluster = \"c1\"\nnamespace = \"other\"\nkind = \"deployment\"\nname = \"w\"\nmodel = \"m\"",
            ),
            "workloads[0].namespace",
            "\"other\"",
        ),
        (
            with_workload(
                "cluster = \"c1\"\nnamespace = \"ns\"\nkind = \"deployment\"\nname = \"w\"\nmodel = \"mm\"",
            ),
            "workloads[0].model",
            "\"mm\"",
        ),
        (
            with_workload(
                "cluster = \"c1\"\nnamespace = \"ns\"\nkind = \"deployment\"\nname = \"w\"\nmodel = \"m\"\nversion = 9",
            ),
            "workloads[0].version",
            "Number(9)",
        ),
        (
            with_workload(
                "cluster = \"c1\"\nnamespace = \"ns\"\nkind = \"deployment\"\nname = \"W_1\"\nmodel = \"m\"",
            ),
            "workloads[0].name",
            "W_1",
        ),
        (
            with_workload(
                "cluster = \"c1\"\nnamespace = \"ns\"\nkind = \"deployment\"\nname = \"w\"\nmodel = \"m\"\ncanary = { version = \"challenger\", percent = 10 }",
            ),
            "workloads[0].canary",
            "inference_service",
        ),
        (
            BASE.replace("challenger = 3", "challenger = 4"),
            "models[0].challenger",
            "version 4",
        ),
        (
            BASE.replace("versions = 3", "versions = 0"),
            "models[0].versions",
            "0",
        ),
        (
            format!(
                "{BASE}\n[[models]]\nname = \"m\"\ntask = \"ranker\"\nteam = \"t\"\nversions = 1\n"
            ),
            "models[1].name",
            "twice",
        ),
    ];
    for (text, field, detail) in cases {
        let e = err(&text);
        let SandboxError::Invalid {
            field: f,
            line,
            message,
        } = &e
        else {
            panic!("{field}: expected Invalid, got {e}");
        };
        assert_eq!(f, field, "{e}");
        assert!(line.is_some(), "{e}");
        assert!(message.contains(detail), "{field}: {e}");
        assert!(e.to_string().contains(&format!("line {}", line.unwrap())));
    }
    let e = err(&with_workload(
        "cluster = \"c1\"\nnamespace = \"ns\"\nkind = \"deployment\"\nname = \"w\"\nmodel = \"mm\"",
    ));
    assert!(
        e.to_string().contains("line 15"),
        "points at the [[workloads]] header: {e}"
    );
}

#[test]
fn a_scenario_without_clusters_is_refused() {
    let e = err(
        "[[models]]\nname = \"m\"\ntask = \"ranker\"\nteam = \"t\"\nversions = 1\nclusters = []",
    );
    assert!(e.to_string().contains("clusters"), "{e}");
}
