//! The `:` command line: parsing what the user typed into a [`Command`],
//! and the completion hints shown while typing (command names, then
//! namespaces, contexts, models and versions from the snapshot).

use modeldeck_core::Snapshot;
use std::collections::BTreeSet;

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `:fleet`: the Fleet as the root screen.
    Fleet,
    /// `:models`: the Models list as the root screen.
    Models,
    /// `:compare <model> <a> <b>`; versions may be aliases (`champion`).
    Compare {
        /// Model.
        model: String,
        /// First version or alias.
        a: String,
        /// Second version or alias.
        b: String,
    },
    /// `:ns <name|all>`: scope the Fleet to a namespace (`None` = all).
    /// `:retrain <model> <reason>`.
    Retrain {
        /// Registered model.
        model: String,
        /// Why (recorded in the audit entry and on the run).
        reason: String,
    },
    /// `:drift <model> [version]`.
    Drift {
        /// Registered model.
        model: String,
        /// Version or alias; the served one when absent.
        version: Option<String>,
    },
    Namespace(Option<String>),
    /// `:ctx <name|all>`: scope the Fleet to a context (`None` = all).
    Context(Option<String>),
    /// `:promotions`, `:inbox`: the Promotions screen as the root.
    Promotions,
    /// `:help`.
    Help,
    /// `:q`, `:quit`.
    Quit,
}

/// Commands: name (for completion), syntax, what it does.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("fleet", ":fleet", "every workload"),
    ("models", ":models", "registered models"),
    (
        "promotions",
        ":promotions :inbox",
        "promotions: what waits for you, then all",
    ),
    (
        "compare",
        ":compare <model> <a> <b>",
        "two versions side by side (versions or aliases)",
    ),
    (
        "drift",
        ":drift <model> [version|alias]",
        "features vs the reference: scores, charts, retrain",
    ),
    (
        "retrain",
        ":retrain <model> <reason>",
        "start a run from the model's retraining CronJob (audited)",
    ),
    ("ns", ":ns <name|all>", "scope the fleet to a namespace"),
    ("ctx", ":ctx <name|all>", "scope the fleet to a context"),
    ("help", ":help", "key bindings"),
    ("quit", ":q :quit", "leave"),
];

/// Parses a command line (without the leading `:`). The error says what
/// was wrong and how to write it.
pub fn parse(input: &str) -> Result<Command, String> {
    let words: Vec<&str> = input.split_whitespace().collect();
    let Some((&name, args)) = words.split_first() else {
        return Err(
            "empty command; try :fleet, :models, :drift, :promotions, :compare, :ns, :ctx or :q"
                .into(),
        );
    };
    let scope = |what: &str| -> Result<Option<String>, String> {
        match args {
            [one] if one.eq_ignore_ascii_case("all") => Ok(None),
            [one] => Ok(Some((*one).to_string())),
            _ => Err(format!("usage: :{name} <{what}|all>")),
        }
    };
    let none = |cmd: Command| -> Result<Command, String> {
        if args.is_empty() {
            Ok(cmd)
        } else {
            Err(format!(":{name} takes no argument"))
        }
    };
    match name.to_ascii_lowercase().as_str() {
        "fleet" | "f" | "workloads" | "wl" => none(Command::Fleet),
        "models" | "model" | "m" | "registry" => none(Command::Models),
        "compare" | "cmp" => match args {
            [model, a, b] => Ok(Command::Compare {
                model: (*model).to_string(),
                a: version_arg(a),
                b: version_arg(b),
            }),
            _ => Err("usage: :compare <model> <version|alias> <version|alias>".into()),
        },
        "drift" | "dr" => match args {
            [model] => Ok(Command::Drift {
                model: (*model).to_string(),
                version: None,
            }),
            [model, v] => Ok(Command::Drift {
                model: (*model).to_string(),
                version: Some(version_arg(v)),
            }),
            _ => Err("usage: :drift <model> [version|alias]".into()),
        },
        "retrain" => match args {
            [model, reason @ ..] if !reason.is_empty() => Ok(Command::Retrain {
                model: (*model).to_string(),
                reason: reason.join(" "),
            }),
            _ => Err("usage: :retrain <model> <reason> (the reason is recorded)".into()),
        },
        "ns" | "namespace" => scope("namespace").map(Command::Namespace),
        "ctx" | "context" => scope("context").map(Command::Context),
        "promotions" | "promotion" | "promos" | "inbox" | "pr" => none(Command::Promotions),
        "help" | "h" => none(Command::Help),
        "q" | "quit" | "q!" | "exit" => none(Command::Quit),
        other => Err(format!(
            "unknown command :{other}; try :fleet, :models, :drift, :promotions, :compare, :ns, :ctx or :q"
        )),
    }
}

/// `v7` means version `7`; anything else (`7`, `champion`) is kept.
fn version_arg(s: &str) -> String {
    match s.strip_prefix(['v', 'V']) {
        Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n.to_string(),
        _ => s.to_string(),
    }
}

/// Completion candidates for the word being typed (the last one).
pub fn hints(input: &str, snap: &Snapshot) -> Vec<String> {
    let ends_with_space = input.ends_with(' ');
    let words: Vec<&str> = input.split_whitespace().collect();
    let (done, partial): (&[&str], &str) = match words.split_last() {
        Some((last, rest)) if !ends_with_space => (rest, last),
        _ => (&words[..], ""),
    };
    let candidates: Vec<String> = match done {
        [] => COMMANDS.iter().map(|(n, _, _)| n.to_string()).collect(),
        [cmd] if matches!(*cmd, "ns" | "namespace") => {
            let set: BTreeSet<&str> = snap
                .workloads
                .iter()
                .map(|w| w.id.namespace.as_str())
                .collect();
            std::iter::once("all")
                .chain(set)
                .map(str::to_string)
                .collect()
        }
        [cmd] if matches!(*cmd, "ctx" | "context") => std::iter::once("all".to_string())
            .chain(snap.clusters.iter().cloned())
            .collect(),
        [cmd] if matches!(*cmd, "compare" | "cmp" | "drift" | "dr" | "retrain") => {
            snap.models.iter().map(|m| m.name.clone()).collect()
        }
        [cmd, model, rest @ ..] if matches!(*cmd, "compare" | "cmp") && rest.len() < 2 => {
            version_hints(snap, model)
        }
        [cmd, model] if matches!(*cmd, "drift" | "dr") => version_hints(snap, model),
        _ => Vec::new(),
    };
    let lower = partial.to_ascii_lowercase();
    candidates
        .into_iter()
        .filter(|c| c.to_ascii_lowercase().starts_with(&lower))
        .take(12)
        .collect()
}

fn version_hints(snap: &Snapshot, model: &str) -> Vec<String> {
    let Some(m) = snap.model(model) else {
        return Vec::new();
    };
    let latest: u64 = m
        .latest_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    m.aliases
        .keys()
        .cloned()
        .chain((1..=latest).rev().map(|n| n.to_string()))
        .collect()
}

/// `input` with its last word completed to `hint` (and a space after).
pub fn complete(input: &str, hint: &str) -> String {
    let keep = if input.ends_with(' ') || input.is_empty() {
        input
    } else {
        input.rfind(' ').map_or("", |i| &input[..=i])
    };
    format!("{keep}{hint} ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_aliases() {
        assert_eq!(parse("fleet"), Ok(Command::Fleet));
        assert_eq!(parse(" models "), Ok(Command::Models));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(parse("quit"), Ok(Command::Quit));
        assert_eq!(
            parse("ns risk"),
            Ok(Command::Namespace(Some("risk".into())))
        );
        assert_eq!(parse("ns all"), Ok(Command::Namespace(None)));
        assert_eq!(parse("ctx ALL"), Ok(Command::Context(None)));
        assert_eq!(
            parse("compare fraud v6 champion"),
            Ok(Command::Compare {
                model: "fraud".into(),
                a: "6".into(),
                b: "champion".into()
            })
        );
        assert!(
            matches!(parse("compare m validated v10"), Ok(Command::Compare { a, b, .. }) if a == "validated" && b == "10")
        );
    }

    #[test]
    fn errors_say_how_to_write_it() {
        assert!(parse("").unwrap_err().contains(":fleet"));
        assert!(parse("nope").unwrap_err().contains("unknown command :nope"));
        assert!(parse("ns").unwrap_err().contains("usage: :ns"));
        assert!(
            parse("compare a b")
                .unwrap_err()
                .contains("usage: :compare")
        );
        assert!(parse("fleet x").unwrap_err().contains("no argument"));
    }

    #[test]
    fn completes_the_last_word() {
        assert_eq!(complete("fl", "fleet"), "fleet ");
        assert_eq!(complete("ns ri", "risk"), "ns risk ");
        assert_eq!(complete("ns ", "risk"), "ns risk ");
    }
}
