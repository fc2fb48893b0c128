//! Bad input to the real binary: each case gives one clear `error:` line on
//! stderr, the documented exit code, and with `--output json` a JSON error
//! object on stdout.

// Test crate: helpers outside #[test] fns may unwrap too (clippy.toml covers only #[test]).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TempDir, json, run, run_in};
use serde_json::Value;

fn first_model_with_alias(alias: &str) -> String {
    let models = json(&["models"]);
    models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["aliases"][alias].is_string())
        .and_then(|m| m["name"].as_str())
        .unwrap_or_else(|| panic!("no model with alias {alias}"))
        .to_string()
}

fn json_error(stdout: &str) -> Value {
    let v: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not a JSON error ({e}): {stdout}"));
    assert!(v["error"].is_object(), "{v}");
    v["error"].clone()
}

#[test]
fn unknown_model_is_not_found_with_a_suggestion() {
    let model = first_model_with_alias("champion");
    let typo: String = model.chars().take(model.len() - 2).collect();
    let r = run(&["--sandbox", "versions", &typo]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let line = r.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert_eq!(
        line,
        format!(
            "error: registry not_found: model \"{typo}\" not found (did you mean \"{model}\"?)"
        )
    );

    let r = run(&["--sandbox", "versions", &typo, "--output", "json"]);
    assert_eq!(r.code, 3);
    let e = json_error(&r.stdout);
    assert_eq!(e["code"], "not_found");
    assert_eq!(e["backend"], "registry");
    assert!(e["message"].as_str().unwrap().contains(&model));

    let r = run(&["--sandbox", "compare", "no-such-model-at-all", "1", "2"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stderr
            .contains("model \"no-such-model-at-all\" not found"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_version_and_alias_are_not_found() {
    let model = first_model_with_alias("champion");
    let r = run(&["--sandbox", "compare", &model, "champion", "9999"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "error: registry not_found: version \"9999\" of model \"{model}\" not found (versions "
        )),
        "{}",
        r.stderr
    );

    let r = run(&[
        "--sandbox",
        "compare",
        &model,
        "champoin",
        "champion",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("did you mean \"champion\"?"),
        "{}",
        r.stderr
    );
    let e = json_error(&r.stdout);
    assert_eq!(e["code"], "not_found");
    assert!(e["message"].as_str().unwrap().contains("champoin"));
}

#[test]
fn a_wrong_flag_is_a_usage_error() {
    let r = run(&["--sandbox", "status", "--frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unexpected argument '--frobnicate'"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());

    let r = run(&["--sandbox", "status", "--frobnicate", "--output", "json"]);
    assert_eq!(r.code, 2);
    let e = json_error(&r.stdout);
    assert_eq!(e["code"], "usage");
    assert!(e["message"].as_str().unwrap().contains("--frobnicate"));
    assert!(e["backend"].is_null());

    let r = run(&["--sandbox", "frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{}",
        r.stderr
    );

    let r = run(&["--sandbox", "versions"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("<MODEL>"), "{}", r.stderr);
}

#[test]
fn a_bad_output_value_is_a_usage_error() {
    let r = run(&["--sandbox", "status", "--output", "xml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("invalid value 'xml' for '--output <OUTPUT>'"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("table, json, yaml"), "{}", r.stderr);
}

#[test]
fn bad_sort_and_filter_values_are_usage_errors() {
    let r = run(&["--sandbox", "status", "--sort", "colour"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("invalid value 'colour' for '--sort <COLUMN>'"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("p99"), "{}", r.stderr);

    let r = run(&["--sandbox", "status", "--filter", "fr(aud"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--filter"), "{}", r.stderr);
    assert!(r.stderr.contains("unclosed"), "{}", r.stderr);

    let r = run(&["--sandbox", "status", "--desc"]);
    assert_eq!(r.code, 2, "--desc without --sort: {}", r.stderr);
}

#[test]
fn without_a_profile_it_points_at_the_sandbox() {
    for args in [&["status"][..], &["status", "-o", "json"], &[]] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("error: no profile is configured"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("modeldeck demo"), "{}", r.stderr);
        assert!(r.stderr.contains("--sandbox"), "{}", r.stderr);
    }
    let r = run(&["models", "--output", "json"]);
    assert_eq!(json_error(&r.stdout)["code"], "no_profile");
}

#[test]
fn version_and_help_exit_zero() {
    let r = run(&["--version"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.trim(),
        format!("modeldeck {}", env!("CARGO_PKG_VERSION"))
    );
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    for cmd in [
        "demo",
        "status",
        "models",
        "versions",
        "compare",
        "--sandbox",
    ] {
        assert!(r.stdout.contains(cmd), "help lacks {cmd}");
    }
    assert!(r.stdout.contains("Exit codes"));
}

#[test]
fn logs_go_to_the_log_dir_not_the_terminal() {
    let logs = TempDir::new("logs");
    let r = run_in(&logs, &["--sandbox", "models", "-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "stderr not clean: {}", r.stderr);
    let files: Vec<_> = std::fs::read_dir(&logs.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("start"), "{text}");
    assert!(text.contains("models"), "{text}");
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let logs = TempDir::new("pipe");
    let mut child = Command::new(common::BIN)
        .args(["--sandbox", "status", "-o", "json"])
        .env("MODELDECK_LOG_DIR", &logs.0)
        // Far more output than a pipe buffer holds.
        .env("MODELDECK_SANDBOX_WORKLOADS", "3000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end of stdout at once: the binary must not panic on EPIPE.
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");
}

#[test]
fn a_backend_outage_exits_4_with_the_backend_named() {
    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "registry",
        "models",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: registry unreachable: "),
        "{}",
        r.stderr
    );
    let e = json_error(&r.stdout);
    assert_eq!(e["code"], "unreachable");
    assert_eq!(e["backend"], "registry");

    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "registry",
        "compare",
        "m",
        "1",
        "2",
    ]);
    assert_eq!(r.code, 4, "an outage is not a not-found: {}", r.stderr);
}

#[test]
fn status_prints_what_it_has_when_a_backend_is_down() {
    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "metrics",
        "status",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("error: metrics unreachable: "),
        "{}",
        r.stderr
    );
    let st: Value = serde_json::from_str(&r.stdout).unwrap();
    let backends = st["backends"].as_array().unwrap();
    let state = |name: &str| {
        backends
            .iter()
            .find(|b| b["backend"] == name)
            .map(|b| b["state"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(state("metrics"), "failed");
    assert_eq!(state("cluster"), "ready");
    let metrics = backends.iter().find(|b| b["backend"] == "metrics").unwrap();
    assert_eq!(metrics["error"]["code"], "unreachable");
    assert!(metrics["last_ok"].is_null() && metrics["failing_since"].is_string());
    // The fleet is still listed, with unknown health instead of zeros.
    let rows = st["workloads"].as_array().unwrap();
    assert!(!rows.is_empty());
    for w in rows {
        for f in ["rps", "p99_ms", "error_pct", "drift_psi"] {
            assert!(w[f].is_null(), "{f} should be null without metrics: {w}");
        }
        assert_eq!(w["drift"], "unknown");
    }
    // The table still shows the fleet, and the backend as failed.
    let r = run(&["--sandbox", "--sandbox-outage", "metrics", "status"]);
    assert_eq!(r.code, 4);
    assert!(r.stdout.contains("metrics   failed"), "{}", r.stdout);
}

#[test]
fn the_tui_without_a_terminal_is_a_usage_error() {
    for args in [&["demo"][..], &["--sandbox"]] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "drew on a pipe: {:?}", r.stdout);
        assert!(
            r.stderr
                .starts_with("error: the terminal UI needs a terminal"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn a_cluster_outage_only_blanks_what_needs_the_cluster() {
    let model = first_model_with_alias("champion");
    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "cluster",
        "versions",
        &model,
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("warning: serving workloads unknown: cluster unreachable"),
        "{}",
        r.stderr
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let versions = v["versions"].as_array().unwrap();
    assert!(!versions.is_empty());
    assert!(versions.iter().all(|v| v["served_by"].is_null()), "{v}");
    assert!(versions.iter().any(|v| v["metrics"].is_object()));

    let r = run(&[
        "--sandbox",
        "--sandbox-outage",
        "cluster",
        "models",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        m["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["workloads"].is_null())
    );
}
