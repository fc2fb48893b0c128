//! Unit tests of config parsing and masking.

use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn requires_a_uri() {
    assert_eq!(
        MlflowConfig::from_env_map(&env(&[])).unwrap_err(),
        ConfigError::MissingUri
    );
}

#[test]
fn rejects_non_http_schemes_and_garbage() {
    let e = MlflowConfig::new("file:///tmp/mlruns", Auth::None).unwrap_err();
    assert!(e.to_string().contains("\"file\""), "{e}");
    let e = MlflowConfig::new("not a url", Auth::None).unwrap_err();
    assert!(matches!(e, ConfigError::BadUri { .. }), "{e}");
}

#[test]
fn basic_wins_over_token_like_mlflow() {
    let c = MlflowConfig::from_env_map(&env(&[
        ("MLFLOW_TRACKING_URI", "http://h:5000"),
        ("MLFLOW_TRACKING_USERNAME", "alice"),
        ("MLFLOW_TRACKING_PASSWORD", "pw-SECRET"),
        ("MLFLOW_TRACKING_TOKEN", "tok-SECRET"),
    ]))
    .unwrap();
    assert!(matches!(c.auth, Auth::Basic { ref username, .. } if username == "alice"));
    assert_eq!(c.base_url.as_str(), "http://h:5000/");
}

#[test]
fn token_gives_bearer_and_flags_parse() {
    let c = MlflowConfig::from_env_map(&env(&[
        ("MLFLOW_TRACKING_URI", "https://h/prefix"),
        ("MLFLOW_TRACKING_TOKEN", "tok-SECRET"),
        ("MLFLOW_TRACKING_INSECURE_TLS", "true"),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "7"),
    ]))
    .unwrap();
    assert_eq!(c.auth, Auth::Bearer(Secret::new("tok-SECRET")));
    assert!(c.insecure_tls);
    assert_eq!(c.timeout, Duration::from_secs(7));
    assert_eq!(c.base_url.as_str(), "https://h/prefix/");
    let e = MlflowConfig::from_env_map(&env(&[
        ("MLFLOW_TRACKING_URI", "https://h"),
        ("MLFLOW_TRACKING_INSECURE_TLS", "maybe"),
    ]))
    .unwrap_err();
    assert!(
        e.to_string().contains("MLFLOW_TRACKING_INSECURE_TLS"),
        "{e}"
    );
}

#[test]
fn password_without_user_is_refused() {
    let e = MlflowConfig::from_env_map(&env(&[
        ("MLFLOW_TRACKING_URI", "http://h"),
        ("MLFLOW_TRACKING_PASSWORD", "pw-SECRET"),
    ]))
    .unwrap_err();
    assert!(!e.to_string().contains("pw-SECRET"));
    assert!(e.to_string().contains("MLFLOW_TRACKING_USERNAME"), "{e}");
}

#[test]
fn userinfo_moves_into_basic_auth_and_debug_masks_everything() {
    let c = MlflowConfig::new("http://bob:pw-SECRET@h:5000/?token=q-SECRET", Auth::None).unwrap();
    assert_eq!(c.base_url.as_str(), "http://h:5000/");
    assert!(matches!(c.auth, Auth::Basic { ref username, .. } if username == "bob"));
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("SECRET"), "{dbg}");
    assert!(dbg.contains("bob"), "{dbg}");
    let t = MlflowConfig::new("http://h", Auth::Bearer(Secret::new("tok-SECRET"))).unwrap();
    let dbg = format!("{t:?} {}", t.describe());
    assert!(!dbg.contains("SECRET"), "{dbg}");
    assert!(dbg.contains("Bearer(***)"), "{dbg}");
}

#[test]
fn unparsable_uri_error_hides_credentials() {
    let e = MlflowConfig::new("http://bob:pw-SECRET@[bad", Auth::None).unwrap_err();
    assert!(!e.to_string().contains("pw-SECRET"), "{e}");
}

#[test]
fn mlflow_http_variables_set_timeout_and_retries() {
    let c = MlflowConfig::from_env_map(&env(&[("MLFLOW_TRACKING_URI", "http://h")])).unwrap();
    assert_eq!((c.timeout, c.retry), (DEFAULT_TIMEOUT, DEFAULT_RETRY));

    let mut c = MlflowConfig::new("http://h", Auth::None).unwrap();
    c.timeout = Duration::from_secs(5); // as a profile would set it
    c.apply_env(&env(&[
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", " 120 "),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "7"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "2"),
        ("MLFLOW_TRACKING_SERVER_CERT_PATH", "/etc/ssl/corp.pem"),
    ]))
    .unwrap();
    assert_eq!(c.timeout, Duration::from_secs(120));
    assert_eq!(c.retry.max_retries, 7);
    assert_eq!(c.retry.backoff_factor, Duration::from_secs(2));
    assert_eq!(
        c.ca_cert_path.as_deref(),
        Some(std::path::Path::new("/etc/ssl/corp.pem"))
    );

    // Empty values leave the config alone; 0 retries turns retrying off.
    c.apply_env(&env(&[
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", ""),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"),
    ]))
    .unwrap();
    assert_eq!(
        (c.timeout, c.retry.max_retries),
        (Duration::from_secs(120), 0)
    );
}

#[test]
fn bad_mlflow_http_variables_are_named() {
    for (var, value) in [
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "0"),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "2.5"),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "-1"),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "11"),
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "many"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "121"),
    ] {
        let e =
            MlflowConfig::from_env_map(&env(&[("MLFLOW_TRACKING_URI", "http://h"), (var, value)]))
                .unwrap_err();
        let ConfigError::BadEnv { var: named, .. } = &e else {
            panic!("{var}={value}: {e:?}")
        };
        assert_eq!(named, var);
        let text = e.to_string();
        assert!(text.contains(var) && text.contains(value), "{text}");
    }
}

#[test]
fn userinfo_is_percent_decoded() {
    let c = MlflowConfig::new("http://bob:s%40cret@h", Auth::None).unwrap();
    assert_eq!(
        c.auth,
        Auth::Basic {
            username: "bob".into(),
            password: Secret::new("s@cret"),
        }
    );
}
