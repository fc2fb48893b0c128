//! Shared helpers of the real-server tests: the server URL (a missing one
//! fails the test, it never passes silently), the fixture anchor read back
//! from the server, and a fixed clock.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns
#![allow(dead_code)]

use modeldeck_core::domain::{Clock, Timestamp};
use modeldeck_prometheus::fixture::{ANCHOR_METRIC, Fixture};
use modeldeck_prometheus::{ClientConfig, PromClient, QueryData};

/// URL of the test Prometheus, from `MODELDECK_TEST_PROM_URL`.
pub fn prom_url() -> String {
    match std::env::var("MODELDECK_TEST_PROM_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => panic!(
            "MODELDECK_TEST_PROM_URL is not set: these tests need a real Prometheus loaded with the \
             Modeldeck fixture. Run scripts/test.sh, or for this crate alone: \
             eval \"$(scripts/services/prometheus.sh start dev)\" && cargo test -p modeldeck-prometheus; \
             scripts/services/prometheus.sh stop dev"
        ),
    }
}

/// A client of the test server.
pub fn client() -> PromClient {
    PromClient::new(ClientConfig::new(prom_url())).unwrap()
}

/// The fixture the server was loaded with, found from its anchor gauge.
pub async fn fixture(client: &PromClient) -> Fixture {
    let q = format!("max_over_time({ANCHOR_METRIC}[30d])");
    let r = client.query(&q, None).await.unwrap();
    let QueryData::Vector(v) = r.data else {
        panic!("anchor query returned {:?}", r.data)
    };
    let end = v
        .first()
        .and_then(|s| s.sample)
        .unwrap_or_else(|| {
            panic!(
                "the test Prometheus has no {ANCHOR_METRIC}: start it with \
                 scripts/services/prometheus.sh start NAME (without a custom fixture)"
            )
        })
        .value;
    Fixture::new(end as i64).unwrap()
}

/// A clock stopped at one instant.
#[derive(Debug)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// Relative closeness for values computed by PromQL (`rate`, quantiles).
pub fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}
