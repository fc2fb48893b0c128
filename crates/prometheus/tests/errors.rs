//! Error envelopes from a real Prometheus (422 execution, 400 bad_data, 503
//! timeout) mapped to codes, and the 11,000-point limit: the server's exact
//! boundary, and our clamped steps accepted on the far side of it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{client, fixture};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_prometheus::fixture::SAMPLES;
use modeldeck_prometheus::{
    ApiErrorType, MAX_POINTS, PromErrorKind, QueryData, RangeQuery, step_for_width,
};
use serde_json::Value;

#[tokio::test]
async fn execution_errors_are_422_invalid_request() {
    let c = client();
    let fx = fixture(&c).await;
    // many-to-many matching fails while running, not while parsing
    let q = "model_feature_drift_psi * on(model) model_feature_drift_psi";
    let e = c
        .query(q, Some(fx.timestamp(SAMPLES - 1)))
        .await
        .unwrap_err();
    let PromErrorKind::Api {
        status,
        error_type,
        message,
    } = &e.kind
    else {
        panic!("{e:?}")
    };
    assert_eq!((*status, error_type), (422, &ApiErrorType::Execution));
    assert!(message.contains("many-to-many"), "{message}");
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    let be = BackendError::from(e);
    assert_eq!(be.backend, Backend::Metrics);
    assert!(
        be.location
            .as_deref()
            .unwrap_or("")
            .ends_with("/api/v1/query"),
        "{be}"
    );
    assert!(
        be.to_string()
            .starts_with("metrics invalid_request: Prometheus execution error (HTTP 422)"),
        "{be}"
    );
}

#[tokio::test]
async fn bad_data_is_400_invalid_request() {
    let c = client();
    let e = c.query("sum(", None).await.unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(
        matches!(&e.kind, PromErrorKind::Api { error_type: ApiErrorType::BadData, message, .. }
        if message.contains("parse error")),
        "{e:?}"
    );
    assert_eq!(e.code(), ErrorCode::InvalidRequest);

    let e = c
        .label_values("bad-label", &[], None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&e.kind, PromErrorKind::Api { status: 400, message, .. }
        if message.contains("invalid label name")),
        "{e:?}"
    );
    assert!(
        e.location.ends_with("/api/v1/label/bad-label/values"),
        "{}",
        e.location
    );

    let e = c.series(&[], None, None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
}

#[tokio::test]
async fn server_timeouts_are_503_timeout() {
    let c = client();
    // a 1 µs evaluation budget expires before the query leaves the queue
    let form = [
        ("query", "count_over_time(model_feature_drift_psi[30d])"),
        ("timeout", "0.000001"),
    ];
    let e = c.post_form("api/v1/query", &form).await.unwrap_err();
    assert!(
        matches!(
            &e.kind,
            PromErrorKind::Api {
                status: 503,
                error_type: ApiErrorType::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.code(), ErrorCode::Timeout);
}

fn points(data: &Value) -> usize {
    data["result"][0]["values"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

#[tokio::test]
async fn the_server_allows_exactly_11001_points() {
    let c = client();
    let fx = fixture(&c).await;
    let end = fx.end;
    let start = end - 660_000; // 11,000 minutes
    let form = |step: &str| {
        vec![
            ("query", "vector(1)".to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", step.to_string()),
        ]
    };
    // The server divides durations as integers: it refuses a step only
    // when floor(range / step) > 11000, so the smallest accepted step for
    // 660,000 s is 59,995 ms and both it and 60 s yield 11,001 points.
    for step in ["60s", "59995ms"] {
        match c.post_form("api/v1/query_range", &form(step)).await {
            Ok(ok) => assert_eq!(points(&ok.data), 11_001, "step {step}"),
            Err(e) => panic!("step {step} refused: {e}"),
        }
    }
    match c.post_form("api/v1/query_range", &form("59994ms")).await {
        Ok(r) => panic!("59994ms accepted with {} points", points(&r.data)),
        Err(e) => assert!(
            matches!(&e.kind, PromErrorKind::Api { status: 400, error_type: ApiErrorType::BadData, message }
                if message.contains("11,000 points")),
            "{e:?}"
        ),
    }
}

#[tokio::test]
async fn clamped_steps_are_always_accepted() {
    let c = client();
    let fx = fixture(&c).await;
    let end = fx.timestamp(SAMPLES - 1);
    for range_ms in [
        660_000_000_i64,
        660_000_001,
        86_400_000,
        10 * 365 * 86_400_000,
        11_000,
        0,
    ] {
        let start = end.plus_millis(-range_ms);
        let q = RangeQuery::clamped(start, end, 1).unwrap();
        let r = c.query_range("vector(1)", &q).await.unwrap_or_else(|e| {
            panic!("range {range_ms} ms at step {} ms refused: {e}", q.step_ms)
        });
        let got = r.data[0].samples.len() as i64;
        assert_eq!(got, q.points(), "range {range_ms}");
        assert!(got <= MAX_POINTS, "range {range_ms}: {got} points");
    }
    // the 11,000-minute range clamps to exactly the limit
    let q = RangeQuery::clamped(end.plus_millis(-660_000_000), end, 1).unwrap();
    assert_eq!(q.points(), MAX_POINTS);
}

#[tokio::test]
async fn chart_steps_fit_the_width() {
    let c = client();
    let fx = fixture(&c).await;
    let (start, end) = (fx.timestamp(0), fx.timestamp(SAMPLES - 1));
    for width in [1_u32, 80, 800, 3840] {
        let step = step_for_width(start, end, width);
        let q = RangeQuery::clamped(start, end, step).unwrap();
        let r = c.query_range("vector(1)", &q).await.unwrap();
        let got = r.data[0].samples.len();
        assert!(got <= width.max(1) as usize, "width {width}: {got} points");
        assert_eq!(got as i64, q.points());
    }
    // instant results still decode after range calls (shared client state)
    assert!(matches!(
        c.query("1", None).await.unwrap().data,
        QueryData::Scalar(_)
    ));
}
