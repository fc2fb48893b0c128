//! Issue 12 item 5: the core's decoders of outside data under property
//! tests, on stable Rust: the profile TOML (`config::parse_file`) and the `/`
//! filter (`filter::Filter::parse`). Each gets arbitrary input and a
//! structure-aware generator (a valid document or expression with random
//! mutations: lines removed, wrong types, huge numbers, NaN, deep nesting,
//! hostile strings with control and bidi characters). Properties: no panic,
//! an error that names the file (or echoes the filter), outputs bounded by
//! the input's size.
//!
//! Cases per property: `MODELDECK_PROPTEST_CASES` (default 256, for CI; the
//! benchmark run in `docs/benchmarks.md` uses 100,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::config::{ConfigError, STARTER_CONFIG, parse_file};
use modeldeck_core::filter::Filter;
use modeldeck_testkit::fuzz::*;
use proptest::prelude::*;
use std::path::Path;

/// This document's own kinds of line, for [`toml_edit`].
fn own_lines() -> BoxedStrategy<String> {
    prop_oneof![
        hostile_string(20).prop_map(|k| format!("[profiles.{}]", toml_quoted(&k))),
        hostile_string(20).prop_map(|k| format!("[profiles.prod.{}]", toml_quoted(&k))),
        toml_value().prop_map(|v| format!("default_profile = {v}")),
        toml_value().prop_map(|v| format!("warn = {v}")),
    ]
    .boxed()
}

/// The promise of `parse_file`: Ok, or a `Parse` error that names the file,
/// keeps to one line, and is bounded by the input's size.
fn check_config(text: &str) -> Result<(), TestCaseError> {
    let path = Path::new("/etc/modeldeck/fuzz-\u{202e}profile.toml");
    match parse_file(text, path) {
        Ok(file) => {
            // Whatever was decoded came from the text: no amplification.
            let debug = format!("{file:?}");
            prop_assert!(
                debug.len() <= 64 * text.len() + 4096,
                "{} bytes",
                debug.len()
            );
        }
        Err(ConfigError::Parse { path: p, message }) => {
            prop_assert_eq!(p.as_path(), path);
            prop_assert!(!message.is_empty());
            prop_assert!(!message.contains('\n'), "{message:?}");
            prop_assert!(
                message.len() <= 8 * text.len() + 4096,
                "{} bytes of message for {} bytes of input",
                message.len(),
                text.len()
            );
            let shown = ConfigError::Parse {
                path: p,
                message: message.clone(),
            }
            .to_string();
            prop_assert!(shown.contains("fuzz-\u{202e}profile.toml"), "{shown}");
        }
        Err(other) => prop_assert!(false, "parse_file returned {other:?}"),
    }
    Ok(())
}

#[test]
fn the_starter_file_parses() {
    parse_file(STARTER_CONFIG, Path::new("starter.toml")).unwrap();
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn profile_toml_arbitrary_text_never_panics(text in hostile_string(2048)) {
        check_config(&text)?;
    }

    #[test]
    fn profile_toml_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        // The loader reads with read_to_string; lossy bytes stand in for it.
        check_config(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn profile_toml_mutated_documents_give_located_errors(
        edits in prop::collection::vec(toml_edit(own_lines()), 1..6),
    ) {
        let text = mutate_toml(STARTER_CONFIG, &edits);
        check_config(&text)?;
        // A wrong-typed value or broken syntax is reported with where it is;
        // except toml's own nesting cap (a table header about 80 keys deep),
        // which says "recursion limit" with no line: it names the file only.
        if let Err(ConfigError::Parse { message, .. }) = parse_file(&text, Path::new("p.toml")) {
            prop_assert!(
                message.contains("line") || message == "recursion limit",
                "no location in {message:?}"
            );
        }
    }
}

// ---- the `/` filter ----

/// The promise of `Filter::parse`: Ok with the source kept, or an error that
/// echoes the input (quoted, so control characters cannot reach a terminal)
/// with a one-line reason.
fn check_filter(input: &str, probe: &str) -> Result<(), TestCaseError> {
    match Filter::parse(input) {
        Ok(f) => {
            prop_assert_eq!(f.source(), input);
            let _ = f.matches_text(probe);
            let _ = f.matches_text(input);
            let _ = f.matches_with(probe, |k, v| k.len() < v.len());
        }
        Err(e) => {
            prop_assert_eq!(&e.input, input);
            prop_assert!(!e.reason.is_empty());
            prop_assert!(!e.reason.contains('\n'), "{:?}", e.reason);
            let shown = e.to_string();
            prop_assert!(shown.contains(&format!("{input:?}")), "{shown}");
            prop_assert!(
                shown.len() <= 12 * input.len() + 1024,
                "{} bytes of error for {} bytes of filter",
                shown.len(),
                input.len()
            );
        }
    }
    Ok(())
}

fn filter_atom() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile_string(12),
        Just(".*".to_string()),
        Just("[a-z]+".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("[".to_string()),
        Just("\\".to_string()),
        Just("\\p{Greek}".to_string()),
        Just("\\pX".to_string()),
        Just("(?i)".to_string()),
        Just("(?<n>x)".to_string()),
        Just("a{1000000}".to_string()),
        Just("(a{1000}){1000}".to_string()),
        Just("\\w{5000}".to_string()),
        Just("(a|aa)*$".to_string()),
        Just("|".to_string()),
        (1usize..600).prop_map(|d| format!("{}a{}", "(".repeat(d), ")".repeat(d))),
        (1usize..600).prop_map(|d| "(".repeat(d)),
        (hostile_string(10), hostile_string(10)).prop_map(|(k, v)| format!("{k}={v}")),
        prop::sample::select(vec!["model", "ns", "cluster", "kind", "version", "app"])
            .prop_map(|k| format!("{k}=")),
        any::<u32>().prop_map(|n| format!("x{{{n}}}")),
    ]
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn filter_arbitrary_text_never_panics(input in hostile_string(512), probe in hostile_string(64)) {
        check_filter(&input, &probe)?;
    }

    #[test]
    fn filter_structured_expressions_never_panic(
        bang in prop::sample::select(vec!["", "!", " ! ", "!!"]),
        atoms in prop::collection::vec(filter_atom(), 1..6),
        probe in hostile_string(64),
    ) {
        let input = format!("{bang}{}", atoms.concat());
        check_filter(&input, &probe)?;
    }
}
