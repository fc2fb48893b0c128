//! Snapshot tests of every screen and panel state at 80x24 and 200x50,
//! drawn with ratatui's TestBackend from hand-made snapshots with fixed
//! timestamps. Each scene is also checked for escape characters reaching
//! the screen.

// Test helpers outside #[test] functions unwrap too (clippy.toml only
// exempts the test functions themselves).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Harness;
use common::fixture::{self, NOW};
use crossterm::event::KeyCode;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PartialFailure};
use modeldeck_tui::Action;
use modeldeck_tui::jobs::JobOutcome;

fn fleet(snap: modeldeck_core::Snapshot) -> impl Fn(u16, u16) -> Harness {
    move |w, h| Harness::new(snap.clone(), w, h)
}

#[test]
fn fleet_ready() {
    snap_both!("fleet_ready", fleet(fixture::ready()));
}

#[test]
fn fleet_loading() {
    snap_both!("fleet_loading", fleet(fixture::loading()));
}

#[test]
fn fleet_empty() {
    snap_both!("fleet_empty", fleet(fixture::empty()));
}

#[test]
fn fleet_failed() {
    snap_both!("fleet_failed", fleet(fixture::failed()));
}

#[test]
fn fleet_stale() {
    snap_both!("fleet_stale", fleet(fixture::stale()));
}

#[test]
fn fleet_with_metrics_stale() {
    use modeldeck_core::error::{Backend, ErrorCode};
    let mut snap = fixture::ready();
    snap.metrics = fixture::failed_status(
        Backend::Metrics,
        ErrorCode::ServerError,
        "HTTP 503 from /api/v1/query",
        true,
    );
    snap_both!("fleet_metrics_stale", fleet(snap.clone()));
}

#[test]
fn a_dead_context_among_live_ones_shows_as_partial_in_the_status_bar() {
    let mut snap = fixture::ready();
    // The context is named by the typed failure, not read out of the
    // error's location or message (which say something else here).
    snap.cluster.partial = vec![PartialFailure {
        context: "prod-us".into(),
        server: Some("https://10.0.0.1:6443".into()),
        error: BackendError::new(
            Backend::Cluster,
            ErrorCode::Unreachable,
            "discovering API groups: cannot reach the API server: Connection refused",
        )
        .at("https://10.0.0.1:6443/apis"),
        stale: false,
    }];
    let wide = Harness::new(snap.clone(), 200, 50).draw();
    assert!(
        wide.contains("cluster ⚠ partial: prod-us failing"),
        "{wide}"
    );
    assert!(wide.contains("registry ✓ ready"), "{wide}");
    // The workloads of the live contexts are still listed.
    assert!(wide.contains("fraud-detector"), "{wide}");
    let narrow = Harness::new(snap, 80, 24).draw();
    assert!(narrow.contains("⚠ partial"), "{narrow}");
}

#[test]
fn a_backend_the_profile_leaves_out_is_not_configured_not_failed() {
    let mut snap = fixture::ready();
    snap.health = std::sync::Arc::new(Default::default());
    snap.metrics = fixture::failed_status(
        Backend::Metrics,
        ErrorCode::NotConfigured,
        "not configured: no metrics URL (set [profiles.p.metrics] url, or PROMETHEUS_URL)",
        false,
    );
    let screen = Harness::new(snap.clone(), 200, 50).draw();
    assert!(screen.contains("metrics – not configured"), "{screen}");
    assert!(!screen.contains("✗ failed"), "{screen}");
    // The code decides, not the words: an adapter's `unsupported` that
    // happens to begin the same way is a failure.
    snap.metrics = fixture::failed_status(
        Backend::Metrics,
        ErrorCode::Unsupported,
        "not configured: a coincidence",
        false,
    );
    let screen = Harness::new(snap, 200, 50).draw();
    assert!(
        screen.contains("metrics ✗ failed (unsupported)"),
        "{screen}"
    );
}

/// The status bar shows each backend's state in the word `modeldeck
/// status` prints for it (`Snapshot::backend_state`), for every state.
#[test]
fn the_status_bar_says_what_modeldeck_status_says() {
    let unreachable = |b| fixture::failed_status(b, ErrorCode::Unreachable, "down", false);
    let stale = |b| fixture::failed_status(b, ErrorCode::Timeout, "slow", true);
    let mut cases: Vec<(Backend, &str, modeldeck_core::Snapshot)> = Vec::new();
    cases.push((Backend::Cluster, "✓ ready", fixture::ready()));
    let mut s = fixture::ready();
    s.models = std::sync::Arc::new(Vec::new());
    cases.push((Backend::Registry, "✓ empty", s));
    cases.push((Backend::Cluster, "⟳ loading", fixture::loading()));
    let mut s = fixture::ready();
    s.cluster.partial = vec![PartialFailure {
        context: "prod-us".into(),
        server: None,
        error: BackendError::new(Backend::Cluster, ErrorCode::Forbidden, "no"),
        stale: true,
    }];
    cases.push((Backend::Cluster, "⚠ partial: prod-us failing", s));
    let mut s = fixture::ready();
    s.registry = stale(Backend::Registry);
    cases.push((Backend::Registry, "⚠ stale since", s));
    let mut s = fixture::ready();
    s.metrics = unreachable(Backend::Metrics);
    cases.push((Backend::Metrics, "✗ failed (unreachable)", s));
    let mut s = fixture::ready();
    s.registry.error = Some(BackendError::not_configured(Backend::Registry, "no URL"));
    s.registry.loaded = false;
    cases.push((Backend::Registry, "– not configured", s));
    let mut seen = std::collections::BTreeSet::new();
    for (b, shown, snap) in cases {
        let state = snap.backend_state(b);
        seen.insert(state.word());
        assert!(
            shown.contains(state.label()),
            "{b}: the bar's {shown:?} is not the state's word {:?}",
            state.word()
        );
        let screen = Harness::new(snap, 200, 50).draw();
        assert!(
            screen.contains(&format!("{b} {shown}")),
            "{b} {shown}\n{screen}"
        );
    }
    assert_eq!(seen.len(), 7, "every state once: {seen:?}");
}

#[test]
fn fleet_with_metrics_never_read() {
    use modeldeck_core::error::{Backend, ErrorCode};
    let mut snap = fixture::ready();
    snap.health = std::sync::Arc::new(Default::default());
    snap.metrics = fixture::failed_status(
        Backend::Metrics,
        ErrorCode::Unauthenticated,
        "HTTP 401 from /api/v1/query",
        false,
    );
    snap_both!("fleet_metrics_failed", fleet(snap.clone()));
}

#[test]
fn fleet_sandbox_banner() {
    snap_both!("fleet_sandbox", fleet(fixture::sandbox()));
}

#[test]
fn fleet_sorted_by_p99_worst_first_with_cursor_moved() {
    snap_both!("fleet_sorted_p99", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.type_str("P");
        t.type_str("jj");
        t
    });
}

#[test]
fn fleet_filter_prompt_typing() {
    snap_both!("fleet_filter_prompt", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.type_str("/fraud");
        t
    });
}

#[test]
fn fleet_filter_invalid_regex_shows_the_error() {
    snap_both!("fleet_filter_invalid", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.type_str("/fr(aud");
        t
    });
}

#[test]
fn fleet_filter_label_negated_applied() {
    snap_both!("fleet_filter_label_negated", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.type_str("/!team=risk");
        t.key(KeyCode::Enter);
        t
    });
}

#[test]
fn fleet_filter_matches_nothing() {
    snap_both!("fleet_filter_no_match", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.type_str("/zzz");
        t.key(KeyCode::Enter);
        t
    });
}

#[test]
fn fleet_scoped_to_a_namespace() {
    snap_both!("fleet_ns_risk", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.command("ns risk");
        t
    });
}

#[test]
fn command_line_with_hints() {
    snap_both!("command_hints", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.type_str(":ns ");
        t
    });
}

#[test]
fn unknown_command_is_reported() {
    snap_both!("command_unknown", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.command("deploy");
        t
    });
}

#[test]
fn help_from_fleet() {
    snap_both!("help_fleet", |w, h| {
        let mut t = Harness::new(fixture::ready(), w, h);
        t.type_str("?");
        t
    });
}

#[test]
fn help_from_compare_scrolled() {
    snap_both!("help_compare_scrolled", |w, h| {
        let mut t = compare(w, h, Some(Ok(fixture::fraud_comparison())));
        t.type_str("?");
        t.ctrl('d');
        t
    });
}

fn models(snap: modeldeck_core::Snapshot) -> impl Fn(u16, u16) -> Harness {
    move |w, h| {
        let mut t = Harness::new(snap.clone(), w, h);
        t.command("models");
        t
    }
}

#[test]
fn models_ready() {
    snap_both!("models_ready", models(fixture::ready()));
}

#[test]
fn models_loading() {
    snap_both!("models_loading", models(fixture::loading()));
}

#[test]
fn models_empty() {
    snap_both!("models_empty", models(fixture::empty()));
}

#[test]
fn models_failed() {
    snap_both!("models_failed", models(fixture::failed()));
}

#[test]
fn models_stale() {
    snap_both!("models_stale", models(fixture::stale()));
}

/// Models -> fraud-detector -> Versions, answered with `answer` (runs too).
fn versions(w: u16, h: u16, answer: Option<JobOutcome>) -> Harness {
    let mut t = Harness::new(fixture::ready(), w, h);
    t.command("models");
    t.key(KeyCode::Down);
    t.key(KeyCode::Enter);
    let req = t.take_request();
    if let Some(o) = answer {
        t.answer(&req, o);
        if let Some(runs) = t.requests.pop() {
            t.answer(&runs, JobOutcome::Runs(fixture::fraud_runs()));
        }
    }
    t
}

#[test]
fn versions_loading() {
    snap_both!("versions_loading", |w, h| versions(w, h, None));
}

#[test]
fn versions_ready_with_marks() {
    snap_both!("versions_ready", |w, h| {
        let mut t = versions(
            w,
            h,
            Some(JobOutcome::Versions(Ok(fixture::fraud_versions()))),
        );
        t.type_str("  ");
        t
    });
}

#[test]
fn versions_empty() {
    snap_both!("versions_empty", |w, h| versions(
        w,
        h,
        Some(JobOutcome::Versions(Ok(vec![])))
    ));
}

#[test]
fn versions_failed() {
    snap_both!("versions_failed", |w, h| {
        let e = BackendError::new(
            Backend::Registry,
            ErrorCode::Unauthenticated,
            "HTTP 401: token rejected",
        )
        .at("https://mlflow.internal/api/2.0/mlflow/model-versions/search");
        versions(w, h, Some(JobOutcome::Versions(Err(e))))
    });
}

#[test]
fn versions_stale_after_a_failed_refresh() {
    snap_both!("versions_stale", |w, h| {
        let mut t = versions(
            w,
            h,
            Some(JobOutcome::Versions(Ok(fixture::fraud_versions()))),
        );
        t.ctrl('r');
        let req = t.take_request();
        let e = BackendError::new(
            Backend::Registry,
            ErrorCode::Timeout,
            "listing versions did not answer within 10.0s",
        );
        t.act(Action::Tick(NOW.plus_millis(61_000)));
        t.answer(&req, JobOutcome::Versions(Err(e)));
        t
    });
}

#[test]
fn versions_filtered_by_tag() {
    snap_both!("versions_filtered", |w, h| {
        let mut t = versions(
            w,
            h,
            Some(JobOutcome::Versions(Ok(fixture::fraud_versions()))),
        );
        t.type_str("/validated=true");
        t.key(KeyCode::Enter);
        t
    });
}

/// fraud-detector v6 vs v7 opened with `:compare`, answered with `answer`.
fn compare(
    w: u16,
    h: u16,
    answer: Option<Result<modeldeck_core::compare::Comparison, BackendError>>,
) -> Harness {
    let mut t = Harness::new(fixture::ready(), w, h);
    t.command("compare fraud-detector champion challenger");
    let req = t.take_request();
    if let Some(a) = answer {
        t.answer(&req, JobOutcome::Compare(a.map(Box::new)));
    }
    t
}

#[test]
fn compare_loading() {
    snap_both!("compare_loading", |w, h| compare(w, h, None));
}

#[test]
fn compare_ready() {
    snap_both!("compare_ready", |w, h| compare(
        w,
        h,
        Some(Ok(fixture::fraud_comparison()))
    ));
}

#[test]
fn compare_differences_only() {
    snap_both!("compare_diff_only", |w, h| {
        let mut t = compare(w, h, Some(Ok(fixture::fraud_comparison())));
        t.type_str("d");
        t
    });
}

#[test]
fn compare_failed() {
    snap_both!("compare_failed", |w, h| {
        let e = BackendError::not_found(
            Backend::Registry,
            "model version fraud-detector/9 does not exist",
        );
        compare(w, h, Some(Err(e)))
    });
}

#[test]
fn compare_stale_when_the_registry_fails() {
    snap_both!("compare_stale", |w, h| {
        let mut t = compare(w, h, Some(Ok(fixture::fraud_comparison())));
        t.act(Action::Snapshot(std::sync::Arc::new(fixture::stale())));
        t
    });
}

/// Describe of churn-scorer (prod-eu/growth), answered with `answer`.
fn workload(w: u16, h: u16, answer: Option<JobOutcome>) -> Harness {
    let mut t = Harness::new(fixture::ready(), w, h);
    t.type_str("/churn-scorer");
    t.key(KeyCode::Enter);
    t.type_str("d");
    let req = t.take_request();
    if let Some(o) = answer {
        t.answer(&req, o);
    }
    t
}

#[test]
fn workload_with_events() {
    snap_both!("workload_events", |w, h| workload(
        w,
        h,
        Some(JobOutcome::Events(Ok(fixture::events())))
    ));
}

#[test]
fn workload_events_loading() {
    snap_both!("workload_loading", |w, h| workload(w, h, None));
}

#[test]
fn workload_events_empty() {
    snap_both!("workload_empty", |w, h| workload(
        w,
        h,
        Some(JobOutcome::Events(Ok(vec![])))
    ));
}

#[test]
fn workload_events_failed() {
    snap_both!("workload_failed", |w, h| {
        let e = BackendError::new(
            Backend::Cluster,
            ErrorCode::Forbidden,
            "events is forbidden: User \"oncall\" cannot list resource \"events\" in namespace \"growth\"",
        );
        workload(w, h, Some(JobOutcome::Events(Err(e))))
    });
}

#[test]
fn hostile_strings_are_drawn_harmless() {
    let mut t = Harness::new(fixture::ready(), 200, 50);
    t.type_str("/pwn");
    t.key(KeyCode::Enter);
    let screen = t.draw();
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}') && !screen.contains('\u{202E}')
    );
    assert!(screen.contains("pwn\u{FFFD}[31mred"), "{screen}");
    assert_eq!(t.app.fleet().len(), 1);
}
