//! The `/` filter of every table: plain text matches as a case-insensitive
//! substring, text with regex characters as a case-insensitive regex,
//! `key=value` as a label (or `model=`, `ns=`, `cluster=`, `kind=`,
//! `version=`) equality, and a leading `!` inverts, as in k9s.

use crate::fleet::FleetRow;
use regex::{Regex, RegexBuilder};
use thiserror::Error;

/// A filter expression that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid filter {input:?}: {reason}")]
pub struct FilterError {
    /// What the user typed.
    pub input: String,
    /// Why it is invalid.
    pub reason: String,
}

#[derive(Debug, Clone)]
enum Matcher {
    All,
    Substring(String),
    Regex(Regex),
    Field { key: String, value: String },
}

/// A parsed filter.
#[derive(Debug, Clone)]
pub struct Filter {
    matcher: Matcher,
    negate: bool,
    source: String,
}

const REGEX_CHARS: &[char] = &[
    '^', '$', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\',
];

impl Filter {
    /// A filter that keeps everything.
    pub fn all() -> Filter {
        Filter {
            matcher: Matcher::All,
            negate: false,
            source: String::new(),
        }
    }

    /// Parses what the user typed after `/`.
    pub fn parse(input: &str) -> Result<Filter, FilterError> {
        let source = input.to_string();
        let trimmed = input.trim();
        let (negate, body) = match trimmed.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, trimmed),
        };
        if body.is_empty() {
            return Ok(Filter {
                matcher: Matcher::All,
                negate: false,
                source,
            });
        }
        let matcher = if let Some((k, v)) = split_field(body) {
            Matcher::Field {
                key: k.to_string(),
                value: v.to_string(),
            }
        } else if body.contains(REGEX_CHARS) {
            let re = RegexBuilder::new(body)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| FilterError {
                    input: input.to_string(),
                    reason: first_line(&e.to_string()),
                })?;
            Matcher::Regex(re)
        } else {
            Matcher::Substring(body.to_lowercase())
        };
        Ok(Filter {
            matcher,
            negate,
            source,
        })
    }

    /// What the user typed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// True when this filter keeps everything.
    pub fn is_all(&self) -> bool {
        matches!(self.matcher, Matcher::All)
    }

    /// Does `text` (already the row's searchable text) match?
    pub fn matches_text(&self, text: &str) -> bool {
        let hit = match &self.matcher {
            Matcher::All => true,
            Matcher::Substring(s) => text.to_lowercase().contains(s.as_str()),
            Matcher::Regex(r) => r.is_match(text),
            Matcher::Field { .. } => false,
        };
        hit != self.negate
    }

    /// Does an item of any other table match? `text` is what substring and
    /// regex filters search; `has(key, value)` answers `key=value` filters
    /// (a version's tags, a model's aliases). Negation applies to both.
    pub fn matches_with(&self, text: &str, has: impl Fn(&str, &str) -> bool) -> bool {
        match &self.matcher {
            Matcher::Field { key, value } => has(key, value) != self.negate,
            _ => self.matches_text(text),
        }
    }

    /// Does a Fleet row match?
    pub fn matches_row(&self, row: &FleetRow) -> bool {
        let hit = match &self.matcher {
            Matcher::All => return true,
            Matcher::Field { key, value } => field_matches(row, key, value),
            Matcher::Substring(_) | Matcher::Regex(_) => {
                return self.matches_text(&row_text(row));
            }
        };
        hit != self.negate
    }
}

fn split_field(body: &str) -> Option<(&str, &str)> {
    let (k, v) = body.split_once('=')?;
    let key_ok = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-'));
    (key_ok && !v.contains(REGEX_CHARS)).then_some((k, v))
}

fn field_matches(row: &FleetRow, key: &str, value: &str) -> bool {
    let eq = |s: Option<&str>| s.is_some_and(|s| s.eq_ignore_ascii_case(value));
    match key {
        "model" => eq(row.model.as_deref()),
        "ns" | "namespace" => eq(Some(&row.namespace)),
        "cluster" | "ctx" | "context" => eq(Some(&row.cluster)),
        "kind" => eq(Some(row.kind.short())) || eq(Some(&format!("{:?}", row.kind))),
        "version" | "v" => eq(row.version.as_deref()),
        "alias" => row.aliases.iter().any(|a| a.eq_ignore_ascii_case(value)),
        "rollout" | "state" => eq(Some(&row.rollout)),
        _ => row.labels.get(key).is_some_and(|v| v == value),
    }
}

/// The text a substring or regex filter searches in a Fleet row.
pub fn row_text(row: &FleetRow) -> String {
    format!(
        "{} {} {} {} {} v{} {} {}",
        row.cluster,
        row.namespace,
        row.name,
        row.kind.short(),
        row.model.as_deref().unwrap_or(""),
        row.version.as_deref().unwrap_or(""),
        row.aliases.join(" "),
        row.rollout
    )
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_of_filter() {
        assert!(Filter::parse("").unwrap().is_all());
        assert!(matches!(
            Filter::parse("fraud").unwrap().matcher,
            Matcher::Substring(_)
        ));
        assert!(matches!(
            Filter::parse("^fr.*d$").unwrap().matcher,
            Matcher::Regex(_)
        ));
        assert!(matches!(
            Filter::parse("team=risk").unwrap().matcher,
            Matcher::Field { .. }
        ));
        let err = Filter::parse("fr(aud").unwrap_err();
        assert!(err.reason.contains("unclosed"), "{err}");
    }

    #[test]
    fn matches_with_answers_fields_through_the_caller() {
        let has = |k: &str, v: &str| k == "validated" && v == "true";
        assert!(
            Filter::parse("validated=true")
                .unwrap()
                .matches_with("v7", has)
        );
        assert!(
            !Filter::parse("validated=false")
                .unwrap()
                .matches_with("v7", has)
        );
        assert!(
            !Filter::parse("!validated=true")
                .unwrap()
                .matches_with("v7", has)
        );
        assert!(
            Filter::parse("V7")
                .unwrap()
                .matches_with("v7 champion", has)
        );
        assert!(
            !Filter::parse("!v7")
                .unwrap()
                .matches_with("v7 champion", has)
        );
    }

    #[test]
    fn substring_is_case_insensitive_and_negatable() {
        let f = Filter::parse("FRAUD").unwrap();
        assert!(f.matches_text("prod fraud-detector"));
        let f = Filter::parse("!fraud").unwrap();
        assert!(!f.matches_text("prod fraud-detector"));
        assert!(f.matches_text("prod churn"));
    }
}
