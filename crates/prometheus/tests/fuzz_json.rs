//! Issue 12 item 5: the Prometheus client's JSON decoding (the envelope,
//! then the `vector`/`matrix`/`scalar`/`string` data) under property tests,
//! on stable Rust, through the public client against the testkit's raw-HTTP
//! server (the envelope decoder is crate-private): arbitrary bodies, and a
//! structure-aware generator (valid success and error envelopes with random
//! mutations: fields removed, wrong types, huge numbers, NaN, deep nesting,
//! hostile strings with control and bidi characters), with random HTTP
//! statuses and content types. Properties: no panic; an error of a decoding
//! kind (malformed, API or HTTP) that names the endpoint; error text bounded
//! (the body is quoted at most as a short snippet) whatever the body's size.
//!
//! Cases per property: a quarter of `MODELDECK_PROPTEST_CASES` (default 256,
//! for CI, so 64 here: each case starts a server and a client, about 15 ms
//! in a debug build; the benchmark run in `docs/benchmarks.md` sets 100,000,
//! so 25,000 here).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_prometheus::{ClientConfig, PromClient, PromErrorKind};
use modeldeck_testkit::{Reply, Server};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};
use std::time::Duration;

fn config() -> Config {
    let cases = std::env::var("MODELDECK_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256u32);
    Config {
        cases: (cases / 4).max(1),
        failure_persistence: None,
        ..Config::default()
    }
}

fn hostile_char() -> impl Strategy<Value = char> {
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

fn hostile_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(String::from_iter)
}
// ---- structure-aware JSON: a valid document, then random mutations ----

/// Raw JSON text that `serde_json::Value` cannot hold (huge numbers, deep
/// nesting, broken syntax); spliced in after serialization.
fn raw_json() -> impl Strategy<Value = String> {
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

#[derive(Debug, Clone)]
enum Edit {
    Remove(usize),
    Replace(usize, Value),
    Raw(usize, String),
    Wrap(usize),
}

fn json_value() -> impl Strategy<Value = Value> {
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

fn edit() -> impl Strategy<Value = Edit> {
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
fn mutate(mut doc: Value, edits: &[Edit]) -> String {
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

// ---- valid Prometheus envelopes ----

fn envelope(which: usize, label: &str, v: f64) -> Value {
    let metric = json!({"__name__": "up", "job": label, "pod": "p-0"});
    let data = match which % 4 {
        0 => json!({"resultType": "vector", "result": [
            {"metric": metric, "value": [1_700_000_000.123, v.to_string()]},
            {"metric": {}, "value": [1_700_000_000, "NaN"]}
        ]}),
        1 => json!({"resultType": "matrix", "result": [
            {"metric": metric, "values": [[1_700_000_000, "1"], [1_700_000_015.5, "+Inf"]]}
        ]}),
        2 => json!({"resultType": "scalar", "result": [1_700_000_000, "-Inf"]}),
        _ => json!({"resultType": "string", "result": [1_700_000_000, label]}),
    };
    if which >= 4 && which.is_multiple_of(2) {
        json!({"status": "error", "errorType": "bad_data", "error": label})
    } else {
        json!({"status": "success", "data": data, "warnings": [label], "infos": []})
    }
}

fn status() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "200 OK",
        "200 OK",
        "200 OK",
        "204 No Content",
        "400 Bad Request",
        "401 Unauthorized",
        "422 Unprocessable Entity",
        "500 Internal Server Error",
        "503 Service Unavailable",
    ])
}

fn content_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "application/json",
        "application/json",
        "text/html; charset=utf-8",
        "text/plain",
        "application/octet-stream",
    ])
}

struct Harness {
    rt: tokio::runtime::Runtime,
}

impl Harness {
    fn new() -> Harness {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Harness { rt }
    }

    /// One instant query answered with `body`; checks the promises.
    fn check(&self, status: &str, content_type: &str, body: &[u8]) -> Result<(), TestCaseError> {
        let outcome = self.rt.block_on(async {
            let server = Server::start(Reply::http(status, content_type, body)).await;
            let client =
                PromClient::new(ClientConfig::new(server.url()).timeout(Duration::from_secs(10)))
                    .unwrap();
            client.query("up", None).await
        });
        match outcome {
            Ok(answer) => {
                prop_assert!(status.starts_with('2'), "{status} gave {answer:?}");
                let shown = format!("{answer:?}");
                prop_assert!(
                    shown.len() <= 16 * body.len() + 1024,
                    "{} bytes decoded from {}",
                    shown.len(),
                    body.len()
                );
            }
            Err(e) => {
                prop_assert!(e.location.ends_with("/api/v1/query"), "{}", e.location);
                let decoding = matches!(
                    e.kind,
                    PromErrorKind::Malformed { .. }
                        | PromErrorKind::Api { .. }
                        | PromErrorKind::Http { .. }
                );
                prop_assert!(decoding, "not a decoding error: {e:?}");
                if let PromErrorKind::Http { status: s, .. } = &e.kind {
                    prop_assert_eq!(s.to_string(), status[..3].to_string());
                }
                let shown = e.to_string();
                prop_assert!(!shown.is_empty());
                // The body shows at most as a snippet (an API error's message
                // is quoted whole, so it may be as long as the body).
                let bound = match e.kind {
                    PromErrorKind::Api { .. } => 6 * body.len() + 1024,
                    _ => 2048,
                };
                prop_assert!(shown.len() <= bound, "{} bytes: {shown:?}", shown.len());
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn prometheus_arbitrary_bodies_never_panic(
        status in status(),
        ct in content_type(),
        body in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        Harness::new().check(status, ct, &body)?;
    }

    #[test]
    fn prometheus_arbitrary_text_never_panics(status in status(), text in hostile_string(1024)) {
        Harness::new().check(status, "application/json", text.as_bytes())?;
    }

    #[test]
    fn prometheus_mutated_envelopes_decode_or_say_why(
        status in status(),
        ct in content_type(),
        which in 0usize..8,
        label in hostile_string(24),
        v in any::<f64>(),
        edits in prop::collection::vec(edit(), 0..6),
    ) {
        let text = mutate(envelope(which, &label, v), &edits);
        Harness::new().check(status, ct, text.as_bytes())?;
    }
}
