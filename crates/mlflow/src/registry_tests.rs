//! Unit tests of the MLflow -> domain conversions, on bodies as 3.17.2 sends them.

use super::*;

const MODEL: &str = r#"{"registered_model":{"name":"fraud-detector","creation_timestamp":1795869880555,
"last_updated_timestamp":1795869880642,"description":"fraud model","latest_versions":[{"name":"fraud-detector",
"version":"3","current_stage":"None","status":"READY","source":"runs:/2ad7/model","run_id":"2ad7",
"tags":[{"key":"validated","value":"false"}],"run_link":""}],"tags":[{"key":"owner","value":"risk"}],
"aliases":[{"alias":"challenger","version":"3"},{"alias":"champion","version":"2"}],"future_field":{"x":1}}}"#;

#[test]
fn converts_a_registered_model() {
    let m: types::ModelEnvelope = serde_json::from_str(MODEL).unwrap();
    let aliases = m
        .registered_model
        .aliases
        .iter()
        .map(|a| (a.alias.clone(), a.version.clone()))
        .collect();
    let d = to_model(&m.registered_model, aliases);
    assert_eq!(d.name, "fraud-detector");
    assert_eq!(d.aliases.get("champion").map(String::as_str), Some("2"));
    assert_eq!(d.aliases_of("3"), vec!["challenger".to_string()]);
    assert_eq!(d.latest_version.as_deref(), Some("3"));
    assert_eq!(d.tags.get("owner").map(String::as_str), Some("risk"));
    assert_eq!(d.created_at, Timestamp(1_795_869_880_555));
    assert_eq!(d.updated_at, Timestamp(1_795_869_880_642));
}

#[test]
fn an_empty_model_has_empty_lists() {
    let m: types::RegisteredModel =
        serde_json::from_str(r#"{"name":"pm","creation_timestamp":1}"#).unwrap();
    let d = to_model(&m, BTreeMap::new());
    assert!(d.tags.is_empty() && d.aliases.is_empty());
    assert_eq!(d.latest_version, None);
    assert_eq!(d.updated_at, Timestamp(1));
}

#[test]
fn converts_a_version_with_defaults() {
    let v: types::ModelVersion = serde_json::from_str(
        r#"{"name":"m","version":"12","creation_timestamp":5,"current_stage":"None","description":"",
            "source":"runs:/r/model","run_id":"r","status":"PENDING_REGISTRATION","run_link":"","model_id":"m-1"}"#,
    )
    .unwrap();
    let d = to_version(&v, vec!["champion".into()]);
    assert_eq!(d.version, "12");
    assert_eq!(d.number(), 12);
    assert_eq!(d.status, VersionStatus::PendingRegistration);
    assert_eq!(d.description, None);
    assert_eq!(d.run_id.as_deref(), Some("r"));
    assert_eq!(d.aliases, vec!["champion".to_string()]);
    assert!(d.tags.is_empty());
    let bare: types::ModelVersion = serde_json::from_str(r#"{"name":"m","version":"1"}"#).unwrap();
    assert_eq!(to_version(&bare, vec![]).status, VersionStatus::Ready);
}

#[test]
fn converts_a_run_keeping_nan_and_infinity() {
    let r: types::RunEnvelope = serde_json::from_str(
        r#"{"run":{"info":{"run_uuid":"abc","experiment_id":"1","user_id":"","status":"RUNNING",
        "start_time":1700000000000,"artifact_uri":"mlflow-artifacts:/1/abc/artifacts","lifecycle_stage":"active",
        "run_id":"abc"},"data":{"metrics":[{"key":"a","value":"NaN","timestamp":1,"step":0},
        {"key":"b","value":1.7976931348623157e+308,"timestamp":1,"step":0},{"key":"d","value":0.5,"timestamp":1,"step":0}],
        "params":[{"key":"lr","value":"0.1"}],"tags":[{"key":"mlflow.runName","value":"x"}]},"inputs":{},"outputs":{}}}"#,
    )
    .unwrap();
    let d = to_run(&r.run);
    assert_eq!(d.run_id, "abc");
    assert!(d.metrics["a"].is_nan());
    assert_eq!(d.metrics["b"], f64::INFINITY);
    assert_eq!(d.metrics["d"], 0.5);
    assert_eq!(d.params["lr"], "0.1");
    assert_eq!(d.tags["mlflow.runName"], "x");
    assert_eq!(d.started_at, Some(Timestamp(1_700_000_000_000)));
    let empty: types::RunEnvelope =
        serde_json::from_str(r#"{"run":{"info":{"run_id":"z"}}}"#).unwrap();
    assert!(to_run(&empty.run).metrics.is_empty());
}
