//! Issue 12 item 5: sandbox scenario files (`Sandbox::from_scenario`) under
//! property tests, on stable Rust: arbitrary text, and a structure-aware
//! generator (a valid scenario with random line mutations: lines removed or
//! duplicated, wrong types, huge numbers, NaN, deep nesting, hostile strings
//! with control and bidi characters, truncation). Properties: no panic; an
//! error with a message; each case finishes in bounded time (a huge count
//! must be refused, not generated).
//!
//! Cases per property: `MODELDECK_PROPTEST_CASES` (default 256, for CI; the
//! benchmark run in `docs/benchmarks.md` uses 100,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::domain::Timestamp;
use modeldeck_sandbox::{ClockMode, Sandbox};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::time::{Duration, Instant};

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

fn config() -> Config {
    let cases = std::env::var("MODELDECK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Characters that break terminals, quoting and naive byte slicing.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => prop::sample::select(vec![
            '\0', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{202a}',
            '\u{202b}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{200b}', '\u{200f}', '\u{feff}', '\u{fffd}', '"', '\'', '\\', '=', '[', ']', '{',
            '}', '#', '!', '*', '(', ')', '|', '$', '^', 'é', '🦀', '\u{10ffff}',
        ]),
        2 => proptest::char::range('a', 'z'),
    ]
}

fn hostile_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(String::from_iter)
}

/// A TOML string literal holding `s`, escaped so it stays one valid string.
fn toml_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value of some (usually wrong) type for a TOML key.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_string()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e999".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just("4294967295".to_string()),
        Just("1000000000".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        hostile_string(40).prop_map(|s| toml_quoted(&s)),
        hostile_string(20).prop_map(|s| format!("[{}, 1]", toml_quoted(&s))),
        (1usize..3000).prop_map(|d| format!("{}1{}", "[".repeat(d), "]".repeat(d))),
        (1usize..3000).prop_map(|d| format!("{}{}", "{a=".repeat(d), "}".repeat(d))),
        // Unbalanced or raw garbage.
        hostile_string(30),
    ]
}

#[derive(Debug, Clone)]
enum TomlEdit {
    Remove(usize),
    Retype(usize, String),
    Duplicate(usize),
    Insert(usize, String),
    Truncate(usize),
}

fn toml_edit() -> impl Strategy<Value = TomlEdit> {
    prop_oneof![
        any::<usize>().prop_map(TomlEdit::Remove),
        (any::<usize>(), toml_value()).prop_map(|(i, v)| TomlEdit::Retype(i, v)),
        any::<usize>().prop_map(TomlEdit::Duplicate),
        (
            any::<usize>(),
            prop_oneof![
                hostile_string(20).prop_map(|k| format!("[[{}]]", toml_quoted(&k))),
                hostile_string(20).prop_map(|k| format!("[clusters.{}]", toml_quoted(&k))),
                (hostile_string(12), toml_value())
                    .prop_map(|(k, v)| format!("{} = {v}", toml_quoted(&k))),
                toml_value().prop_map(|v| format!("versions = {v}")),
                toml_value().prop_map(|v| format!("replicas = {v}")),
                (1usize..2000).prop_map(|d| format!("[{}]", vec!["a"; d].join("."))),
            ]
        )
            .prop_map(|(i, l)| TomlEdit::Insert(i, l)),
        any::<usize>().prop_map(TomlEdit::Truncate),
    ]
}

fn mutate_toml(base: &str, edits: &[TomlEdit]) -> String {
    let mut lines: Vec<String> = base.lines().map(str::to_string).collect();
    for e in edits {
        let n = lines.len().max(1);
        match e {
            TomlEdit::Remove(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            TomlEdit::Retype(i, v) if !lines.is_empty() => {
                let l = &mut lines[i % n];
                if let Some((k, _)) = l.split_once('=') {
                    *l = format!("{k}= {v}");
                }
            }
            TomlEdit::Duplicate(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            TomlEdit::Insert(i, l) => lines.insert(i % (lines.len() + 1), l.clone()),
            TomlEdit::Truncate(i) => {
                let text = lines.join("\n");
                let mut cut = i % (text.len() + 1);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = text[..cut].lines().map(str::to_string).collect();
            }
            _ => {}
        }
    }
    lines.join("\n")
}

fn check(text: &str) -> Result<(), TestCaseError> {
    let t = Instant::now();
    match Sandbox::from_scenario(text, START) {
        Ok(_) => {}
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(!msg.is_empty());
            prop_assert!(msg.len() <= 8 * text.len() + 4096, "{} bytes", msg.len());
        }
    }
    prop_assert!(
        t.elapsed() < Duration::from_secs(5),
        "{:?} for {text:?}",
        t.elapsed()
    );
    Ok(())
}

#[test]
fn the_seed_scenario_builds() {
    Sandbox::from_scenario(BASE, START).unwrap();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn scenario_arbitrary_text_never_panics(text in hostile_string(2048)) {
        check(&text)?;
    }

    #[test]
    fn scenario_mutated_documents_build_or_say_why(
        edits in prop::collection::vec(toml_edit(), 1..6),
    ) {
        check(&mutate_toml(BASE, &edits))?;
    }
}
