//! Issue 12 item 5: the TUI's `:` command parser (`command::parse`) and its
//! completion (`command::complete`) under property tests, on stable Rust:
//! arbitrary text, and a structure-aware generator (every command name and
//! alias in random case, with too few, too many and hostile arguments, odd
//! whitespace, control and bidi characters). Properties: no panic; an error
//! that says what was wrong (the command, or the usage line); a parsed
//! command's arguments are words of the input; outputs bounded by the
//! input's size.
//!
//! Cases per property: `MODELDECK_PROPTEST_CASES` (default 256, for CI; the
//! benchmark run in `docs/benchmarks.md` uses 100,000).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_testkit::fuzz::*;
use modeldeck_tui::command::{COMMANDS, Command, complete, parse};
use proptest::prelude::*;

const NAMES: &[&str] = &[
    "fleet",
    "f",
    "workloads",
    "wl",
    "models",
    "model",
    "m",
    "registry",
    "compare",
    "cmp",
    "drift",
    "dr",
    "retrain",
    "ns",
    "namespace",
    "ctx",
    "context",
    "promotions",
    "promotion",
    "promos",
    "inbox",
    "pr",
    "help",
    "h",
    "q",
    "quit",
    "q!",
    "exit",
    "all",
    "",
];

/// What every answer must satisfy.
fn check(input: &str) -> Result<(), TestCaseError> {
    let words: Vec<&str> = input.split_whitespace().collect();
    match parse(input) {
        Ok(cmd) => {
            let first = words.first().copied().unwrap_or_default();
            prop_assert!(
                NAMES.iter().any(|n| n.eq_ignore_ascii_case(first)),
                "{first:?} parsed as {cmd:?}"
            );
            match &cmd {
                Command::Compare { model, a, b } => {
                    prop_assert_eq!(words.len(), 4);
                    prop_assert_eq!(model.as_str(), words[1]);
                    for (got, word) in [(a, words[2]), (b, words[3])] {
                        // `v7` becomes `7`; anything else is kept.
                        prop_assert!(
                            got == word
                                || (word.len() == got.len() + 1 && word.ends_with(got.as_str())),
                            "{word:?} became {got:?}"
                        );
                    }
                }
                Command::Retrain { model, reason } => {
                    prop_assert!(words.len() >= 3);
                    prop_assert_eq!(model.as_str(), words[1]);
                    prop_assert_eq!(reason.clone(), words[2..].join(" "));
                }
                Command::Drift { model, version } => {
                    prop_assert!(words.len() == 2 || words.len() == 3);
                    prop_assert_eq!(model.as_str(), words[1]);
                    prop_assert_eq!(version.is_some(), words.len() == 3);
                }
                Command::Namespace(Some(x)) | Command::Context(Some(x)) => {
                    prop_assert_eq!(words.len(), 2);
                    prop_assert_eq!(x.as_str(), words[1]);
                }
                Command::Namespace(None) | Command::Context(None) => {
                    prop_assert!(words.len() == 2 && words[1].eq_ignore_ascii_case("all"));
                }
                _ => prop_assert_eq!(words.len(), 1),
            }
        }
        Err(msg) => {
            prop_assert!(!msg.is_empty());
            prop_assert!(
                msg.starts_with("empty command")
                    || msg.starts_with("unknown command :")
                    || msg.starts_with("usage: :")
                    || msg.ends_with("takes no argument"),
                "unclear error {msg:?}"
            );
            if words.is_empty() {
                prop_assert!(msg.starts_with("empty command"), "{msg:?}");
            } else if msg.starts_with("unknown command") {
                // The error names what was typed (its first word).
                prop_assert!(
                    msg.contains(&words[0].to_ascii_lowercase()),
                    "{msg:?} does not name {:?}",
                    words[0]
                );
            }
            prop_assert!(msg.len() <= input.len() + 200, "{} bytes", msg.len());
        }
    }
    Ok(())
}

fn check_complete(input: &str, hint: &str) -> Result<(), TestCaseError> {
    let out = complete(input, hint);
    let tail = format!("{hint} ");
    prop_assert!(out.ends_with(&tail), "{out:?}");
    prop_assert!(out.len() <= input.len() + hint.len() + 1);
    Ok(())
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(NAMES).prop_map(str::to_string),
        1 => prop::sample::select(COMMANDS.iter().map(|c| c.0).collect::<Vec<_>>())
            .prop_map(|s| s.to_uppercase()),
        2 => hostile_string(12),
        1 => any::<u64>().prop_map(|n| format!("v{n}")),
        1 => Just("v".to_string()),
        1 => Just("V٣".to_string()),
        1 => (1usize..4000).prop_map(|n| "x".repeat(n)),
    ]
}

fn separator() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        " ",
        "  ",
        "\t",
        "\u{a0}",
        "\u{3000}",
        "\n",
        " \u{202e} ",
        "\u{200b}",
    ])
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn command_arbitrary_text_never_panics(input in hostile_string(512), hint in hostile_string(32)) {
        check(&input)?;
        check_complete(&input, &hint)?;
    }

    #[test]
    fn command_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let input = String::from_utf8_lossy(&bytes);
        check(&input)?;
        check_complete(&input, "x")?;
    }

    #[test]
    fn command_structured_lines_parse_or_say_why(
        lead in separator(),
        parts in prop::collection::vec((word(), separator()), 0..6),
        hint in hostile_string(16),
    ) {
        let mut input = lead;
        for (w, sep) in &parts {
            input.push_str(w);
            input.push_str(sep);
        }
        check(&input)?;
        check_complete(&input, &hint)?;
    }
}
