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
use modeldeck_testkit::fuzz::*;
use modeldeck_testkit::{Reply, Server};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;

// ---- structure-aware JSON: a valid document, then random mutations ----

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
    #![proptest_config(config(4))]

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
