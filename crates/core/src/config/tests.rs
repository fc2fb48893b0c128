use super::*;
use std::collections::BTreeMap;
use std::path::Path;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn starter_file_parses_and_resolves() {
    let f = parse_file(STARTER_CONFIG, Path::new("starter.toml")).unwrap();
    let p = resolve(&f, Path::new("x"), None, &BTreeMap::new()).unwrap();
    assert_eq!(p.name, "prod");
    assert_eq!(p.registry.url.as_deref(), Some("http://127.0.0.1:5000"));
    assert_eq!(p.binding.model_label, "modeldeck.io/model");
}

#[test]
fn env_layers_over_file_and_flags_over_env() {
    let f = parse_file(STARTER_CONFIG, Path::new("s")).unwrap();
    let e = env(&[
        ("MLFLOW_TRACKING_URI", "http://mlflow:5000"),
        ("MODELDECK_CONTEXTS", "a, b,,c"),
        ("MLFLOW_TRACKING_INSECURE_TLS", "true"),
    ]);
    let p = resolve(&f, Path::new("s"), None, &e).unwrap();
    assert_eq!(p.registry.url.as_deref(), Some("http://mlflow:5000"));
    assert_eq!(p.cluster.contexts, vec!["a", "b", "c"]);
    assert!(p.registry.insecure_tls);
    let e = env(&[
        ("MLFLOW_TRACKING_URI", "http://mlflow:5000"),
        ("MODELDECK_REGISTRY_URL", "http://ours:1"),
    ]);
    let p = resolve(&f, Path::new("s"), None, &e).unwrap();
    assert_eq!(p.registry.url.as_deref(), Some("http://ours:1"));
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let err = parse_file(
        "[profiles.x.registry]\nurl = 3\n",
        Path::new("/etc/md.toml"),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("/etc/md.toml") && msg.contains("url"), "{msg}");
    let err = parse_file("[profiles.x.registy]\n", Path::new("f.toml")).unwrap_err();
    assert!(err.to_string().contains("registy"), "{err}");
    let f = parse_file(STARTER_CONFIG, Path::new("s")).unwrap();
    let err = resolve(&f, Path::new("s"), Some("staging"), &BTreeMap::new()).unwrap_err();
    assert!(err.to_string().contains("staging") && err.to_string().contains("prod"));
    let err = resolve(
        &f,
        Path::new("s"),
        None,
        &env(&[("MLFLOW_TRACKING_INSECURE_TLS", "maybe")]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("MLFLOW_TRACKING_INSECURE_TLS"));
}

#[test]
fn secrets_never_print_and_env_wins() {
    let s = secrets::Secret::new("tok-123");
    assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    let e = env(&[("MLFLOW_TRACKING_TOKEN", "from-env")]);
    let got = secrets::lookup(None, "p", secrets::SecretKind::RegistryToken, &e).unwrap();
    assert_eq!(got.unwrap().expose(), "from-env");
}

#[test]
fn init_writes_once() {
    let dir = std::env::temp_dir().join(format!("md-cfg-{}", std::process::id()));
    let path = dir.join("sub/config.toml");
    assert!(init_file(&path).unwrap());
    assert!(!init_file(&path).unwrap());
    assert!(load_file(&path).unwrap().profiles.contains_key("prod"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lag_thresholds_in_a_profile_are_read_and_bad_ones_named() {
    let text = "[profiles.prod.lag]\nmax_seconds = 600\n[profiles.dev.lag]\nmax_messages = 5e3\n";
    let f = parse_file(text, Path::new("c.toml")).unwrap();
    let prod = resolve(&f, Path::new("c.toml"), Some("prod"), &BTreeMap::new()).unwrap();
    assert_eq!(prod.lag.max_seconds, Some(600.0));
    assert_eq!(prod.lag.max_messages, None);
    assert_eq!(f.profiles["dev"].lag.max_messages, Some(5000.0));
    for (bad, field) in [
        ("max_seconds = -5", "lag.max_seconds = -5"),
        ("max_messages = 0", "lag.max_messages = 0"),
        ("max_seconds = nan", "lag.max_seconds = NaN"),
        ("max_messages = inf", "lag.max_messages = inf"),
    ] {
        let text = format!("[profiles.team.lag]\n{bad}\n");
        let e = parse_file(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml"), "{e}");
        assert!(e.contains("profile \"team\""), "{e}");
        assert!(e.contains(field), "{e}");
        assert!(e.contains("must be a positive number"), "{e}");
    }
    // A string or an unknown field is the TOML parser's error, with its place.
    let e = parse_file(
        "[profiles.p.lag]\nmax_seconds = \"5m\"\n",
        Path::new("c.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("max_seconds"), "{e}");
    let e = parse_file("[profiles.p.lag]\nmax_minutes = 5\n", Path::new("c.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_minutes"), "{e}");
}
