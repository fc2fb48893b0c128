//! Shared proptest generators for the parsers' property tests (issue 12
//! item 5): the case count (`MODELDECK_PROPTEST_CASES`, default 256 for CI;
//! the benchmark run uses 100,000), hostile characters and strings, and
//! structure-aware mutations of valid JSON and TOML documents. One copy
//! for every crate's `tests/fuzz_*.rs`.

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

/// The proptest configuration: `MODELDECK_PROPTEST_CASES` cases (default
/// 256) divided by `divisor` (a property that starts a server per case runs
/// fewer), no failure files written into the tree.
pub fn config(divisor: u32) -> Config {
    let cases: u32 = std::env::var("MODELDECK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases: (cases / divisor.max(1)).max(1),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Characters that break terminals, quoting and naive byte slicing.
pub fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => prop::sample::select(vec![
            '\0', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{202a}',
            '\u{202e}', '\u{2066}', '\u{2069}', '\u{200b}', '\u{feff}', '\u{fffd}', '"', '\\',
            '/', 'é', '🦀', '\u{10ffff}',
        ]),
        2 => proptest::char::range('a', 'z'),
    ]
}

pub fn hostile_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(String::from_iter)
}
// ---- structure-aware JSON: a valid document, then random mutations ----

/// Raw JSON text that `serde_json::Value` cannot hold (huge numbers, deep
/// nesting, broken syntax); spliced in after serialization.
pub fn raw_json() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e400".to_string()),
        Just("-1e400".to_string()),
        Just("99999999999999999999999999999".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1.7976931348623157e308".to_string()),
        Just("NaN".to_string()),
        Just("\"NaN\"".to_string()),
        Just("\"-Infinity\"".to_string()),
        Just("\"inf\"".to_string()),
        Just("\"1e999\"".to_string()),
        Just("\"\\ud800\"".to_string()),
        Just("\"\\u0000\\u001b[31m\\u202e\"".to_string()),
        Just("{\"a\":".to_string()),
        Just("]".to_string()),
        (1usize..5000).prop_map(|d| format!("{}1{}", "[".repeat(d), "]".repeat(d))),
        (1usize..5000).prop_map(|d| format!("{}null{}", "{\"a\":".repeat(d), "}".repeat(d))),
        (1usize..5000).prop_map(|d| "[".repeat(d)),
    ]
}

/// One random change of a JSON document, at the n-th member (modulo).
#[derive(Debug, Clone)]
pub enum Edit {
    Remove(usize),
    Replace(usize, Value),
    Raw(usize, String),
    Wrap(usize),
}

/// A JSON value of some kind, often the wrong one for where it lands.
pub fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        hostile_string(40).prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
        hostile_string(10).prop_map(|s| json!([s, 1, null])),
        hostile_string(10).prop_map(|s| json!({ s: "x" })),
    ]
}

/// A random [`Edit`].
pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => any::<usize>().prop_map(Edit::Remove),
        3 => (any::<usize>(), json_value()).prop_map(|(i, v)| Edit::Replace(i, v)),
        2 => (any::<usize>(), raw_json()).prop_map(|(i, r)| Edit::Raw(i, r)),
        1 => any::<usize>().prop_map(Edit::Wrap),
    ]
}

/// Every object member and array element of `v`, as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(c, p, out);
            }
        }
        _ => {}
    }
}

/// Applies `edits` to `doc` and returns the JSON text.
pub fn mutate(mut doc: Value, edits: &[Edit]) -> String {
    let mut raws = Vec::new();
    for e in edits {
        let mut ps = Vec::new();
        pointers(&doc, String::new(), &mut ps);
        if ps.is_empty() {
            break;
        }
        let pick = |i: &usize| ps[i % ps.len()].clone();
        match e {
            Edit::Remove(i) => {
                let p = pick(i);
                let (parent, key) = p.rsplit_once('/').unwrap_or(("", ""));
                match doc.pointer_mut(parent) {
                    Some(Value::Object(m)) => {
                        m.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(n) = key.parse::<usize>()
                            && n < a.len()
                        {
                            a.remove(n);
                        }
                    }
                    _ => {}
                }
            }
            Edit::Replace(i, v) => {
                if let Some(slot) = doc.pointer_mut(&pick(i)) {
                    *slot = v.clone();
                }
            }
            Edit::Raw(i, r) => {
                if let Some(slot) = doc.pointer_mut(&pick(i)) {
                    *slot = Value::String(format!("@@RAW{}@@", raws.len()));
                    raws.push(r.clone());
                }
            }
            Edit::Wrap(i) => {
                if let Some(slot) = doc.pointer_mut(&pick(i)) {
                    *slot = json!([slot.take()]);
                }
            }
        }
    }
    let mut text = doc.to_string();
    for (n, r) in raws.iter().enumerate() {
        text = text.replace(&format!("\"@@RAW{n}@@\""), r);
    }
    text
}

/// A TOML string literal holding `s`, escaped so it stays one valid string.
pub fn toml_quoted(s: &str) -> String {
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
pub fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_string()),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e999".to_string()),
        Just("99999999999999999999999999".to_string()),
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

/// One random change of a TOML document, at the n-th line (modulo).
#[derive(Debug, Clone)]
pub enum TomlEdit {
    Remove(usize),
    Retype(usize, String),
    Duplicate(usize),
    Insert(usize, String),
    Truncate(usize),
}

/// Random edits of a TOML document's lines; `lines` adds the document's own
/// kinds of line (its table headers and keys with values of the wrong type)
/// to the generic ones (a hostile key, a header nested thousands deep).
pub fn toml_edit(lines: BoxedStrategy<String>) -> impl Strategy<Value = TomlEdit> {
    prop_oneof![
        any::<usize>().prop_map(TomlEdit::Remove),
        (any::<usize>(), toml_value()).prop_map(|(i, v)| TomlEdit::Retype(i, v)),
        any::<usize>().prop_map(TomlEdit::Duplicate),
        (
            any::<usize>(),
            prop_oneof![
                lines,
                (hostile_string(12), toml_value())
                    .prop_map(|(k, v)| format!("{} = {v}", toml_quoted(&k))),
                (1usize..2000).prop_map(|d| format!("[{}]", vec!["a"; d].join("."))),
            ]
        )
            .prop_map(|(i, l)| TomlEdit::Insert(i, l)),
        any::<usize>().prop_map(TomlEdit::Truncate),
    ]
}

/// Applies `edits` to the lines of `base`.
pub fn mutate_toml(base: &str, edits: &[TomlEdit]) -> String {
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
