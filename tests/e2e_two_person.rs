//! Two people and a read-only colleague on one simulated cluster, through
//! the binary only: `modeldeck sandbox serve --users alice,bob,viewer`
//! runs as its own process (TLS, a token per person) and writes the shared
//! kubeconfig (`<user>@<cluster>` contexts) and one kubeconfig per person;
//! each person runs `modeldeck` with their own profile (their kubeconfig,
//! the real MLflow, a real Prometheus) and their own journal. kubectl says
//! each context is who it claims to be; then alice requests, cannot approve
//! her own request (four eyes), the viewer is refused by RBAC, bob approves
//! and executes, MLflow's alias and the served Deployment move (read
//! directly: MLflow REST, kubectl), and `audit verify` passes. Meanwhile
//! alice watches her terminal UI (tmux): bob's approval, made in another
//! process, and then his execution appear on her Promotions screen without
//! a key press (the list is read again every 15 s), as they would for an
//! on-call engineer while a reviewer decides in the desktop app (which
//! makes the same calls through the same session).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod people;
mod real;
mod tmux;

use people::*;
use real::World;
use std::time::{Duration, Instant};
use tmux::Tmux;

/// The Promotions list is read again every 15 s; room for a slow machine.
const SEEN_WITHIN: Duration = Duration::from_secs(60);

/// alice's terminal UI on her own profile, on the Promotions screen.
fn watch(w: &World, alice: &Person) -> Tmux {
    let t = Tmux::start(160, 45);
    let unset = real::CLEARED_ENV.map(|v| format!("-u {v}")).join(" ");
    t.shell(&format!(
        "env {unset} MODELDECK_CONFIG='{}' MODELDECK_JOURNAL='{}' MODELDECK_LOG_DIR='{}' '{}'",
        alice.config.display(),
        alice.journal.display(),
        w.dir.0.join("logs-alice-tui").display(),
        common::BIN
    ));
    t.wait_for("alice's Fleet", |s| s.contains("Fleet("));
    t.keys(&["p"]);
    t
}

/// Waits until alice's screen shows the promotion's row in `state`; says
/// how long it took (not asserted: it depends on the refresh's phase).
fn seen(t: &Tmux, model: &str, state: &str, since: Instant) {
    t.wait_within(
        SEEN_WITHIN,
        &format!("{model} {state} on alice's screen"),
        |s| s.lines().any(|l| l.contains(model) && l.contains(state)),
    );
    eprintln!(
        "alice's TUI showed {state} {:.1?} after it happened",
        since.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_requests_bob_approves_and_executes_on_a_served_sandbox() {
    let mut w = World::start("two").await;
    // The world's in-process cluster is not used: the binary serves ours.
    w.stop_cluster().await;
    let model = w.bound("prod", "fraud-detector").model.clone();
    let scenario_path = w.dir.0.join("scenario.toml");
    std::fs::write(&scenario_path, scenario(&model)).unwrap();
    let shared_kc = w.dir.0.join("kubeconfig-shared");
    let people_dir = w.dir.0.join("people");
    let mut cmd = w.cmd(&[
        "sandbox",
        "serve",
        "--no-metrics",
        "--users",
        "alice,bob,viewer",
    ]);
    cmd.arg("--scenario")
        .arg(&scenario_path)
        .arg("--kubeconfig")
        .arg(&shared_kc)
        .arg("--kubeconfig-dir")
        .arg(&people_dir);
    let served = Served::start(cmd, &w.dir.0.join("serve.stderr"));
    let banner = served.banner.join("\n");
    assert!(
        banner
            .contains("contexts: alice@shared, bob@shared, viewer@shared (current: alice@shared)"),
        "{banner}"
    );
    assert!(
        !banner.contains("token"),
        "the banner never prints tokens: {banner}"
    );

    // kubectl: each context of the shared kubeconfig is its person, with its rules.
    let k = Kubectl {
        kubeconfig: shared_kc.clone(),
        cache: w.dir.0.join("kubectl-cache"),
    };
    for (user, promoter) in [("alice", true), ("bob", true), ("viewer", false)] {
        let ctx = format!("{user}@{CLUSTER}");
        assert_eq!(k.whoami(&ctx)["status"]["userInfo"]["username"], user);
        for verb in ["create", "approve"] {
            assert_eq!(
                k.may(&ctx, verb, "modeldeck.io", "modelpromotions"),
                promoter,
                "{ctx} may {verb} modelpromotions"
            );
        }
        let want = if promoter { "yes" } else { "no" };
        assert_eq!(k.can_i(&ctx, "patch", "deployments.apps"), want, "{ctx}");
        assert_eq!(k.can_i(&ctx, "list", "deployments.apps"), "yes", "{ctx}");
    }
    assert_eq!(k.served_version("viewer@shared"), "2");
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );

    // Each person's profile points at their own kubeconfig from --kubeconfig-dir.
    let person = |name: &'static str| {
        let kc = people_dir.join(format!("{name}.kubeconfig"));
        assert!(kc.is_file(), "{} missing", kc.display());
        Person::new(&w, name, &kc)
    };
    let (alice, bob, viewer) = (person("alice"), person("bob"), person("viewer"));

    // alice requests v3 (the challenger) for the Deployment.
    let (code, req) = alice
        .json(
            &w,
            &[
                "promote",
                "request",
                &model,
                "challenger",
                "--target",
                "prod/fraud-detector",
                "--reason",
                "v3 beats v2 offline",
            ],
        )
        .await;
    assert_eq!(code, 0, "{req}");
    let id = req["id"].as_str().unwrap().to_string();
    assert_eq!(req["state"], "requested");
    assert_eq!(req["version"], "3");
    assert_eq!(req["requested_by"], "alice", "identity from alice's token");

    // It waits in bob's inbox, not in alice's (her own) nor the viewer's (RBAC).
    for (p, waits) in [(&bob, true), (&alice, false), (&viewer, false)] {
        let (code, v) = p.json(&w, &["promote", "list", "--inbox"]).await;
        assert_eq!(code, 0, "{}: {v}", p.name);
        assert_eq!(
            inbox_ids(&v).contains(&id),
            waits,
            "{}'s inbox: {v}",
            p.name
        );
    }

    // Four eyes: alice cannot approve her own request.
    let (code, v) = alice.json(&w, &["promote", "approve", &id]).await;
    assert_eq!(code, 5, "{v}");
    assert_eq!(v["error"]["code"], "refused_self_approval", "{v}");

    // The viewer is refused by RBAC.
    let (code, v) = viewer.json(&w, &["promote", "approve", &id]).await;
    assert_eq!(code, 5, "{v}");
    assert_eq!(v["error"]["code"], "refused_rbac", "{v}");
    // Nothing moved.
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("2")
    );
    assert_eq!(k.served_version("bob@shared"), "2");

    // alice watches her own request in her terminal UI.
    let screen = watch(&w, &alice);
    seen(&screen, &model, "Requested", Instant::now());

    // bob approves and executes; alice sees each without a key press.
    let (code, v) = bob
        .json(&w, &["promote", "approve", &id, "-m", "numbers hold"])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["state"], "approved", "{v}");
    seen(&screen, &model, "Approved", Instant::now());
    let (code, ex) = bob.json(&w, &["promote", "execute", &id]).await;
    assert_eq!(code, 0, "{ex}");
    assert_eq!(ex["state"], "promoted", "{ex}");
    assert_eq!(ex["wrote"], true, "{ex}");
    seen(&screen, &model, "Promoted", Instant::now());
    screen.keys(&["q", "q"]);

    // Both systems of record moved, read directly.
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("3")
    );
    assert_eq!(k.served_version("alice@shared"), "3");

    // The status tells the story with each person's name.
    let (code, st) = alice.json(&w, &["promote", "status", &id]).await;
    assert_eq!(code, 0, "{st}");
    assert_eq!(st["state"], "promoted", "{st}");
    let approvers: Vec<&str> = st["approvals"]
        .as_array()
        .unwrap_or_else(|| panic!("no approvals: {st}"))
        .iter()
        .filter_map(|a| a["approver"].as_str())
        .collect();
    assert_eq!(approvers, vec!["bob"], "{st}");

    // The audit trail verifies, for each person's own journal.
    for p in [&bob, &alice] {
        let (code, v) = p.json(&w, &["audit", "verify"]).await;
        assert_eq!(code, 0, "{}: {v}", p.name);
        assert_eq!(v["ok"], true, "{}: {v}", p.name);
    }
    drop(served);
}

#[test]
fn bad_people_flags_are_usage_errors_before_anything_is_served() {
    let logs = common::TempDir::new("two-usage");
    for (args, says) in [
        (vec!["--users", "alice,alice"], "listed twice"),
        (vec!["--users", "alice,../x"], "user name"),
        (
            vec!["--users", "alice", "--user", "bob"],
            "not one of --users",
        ),
        (
            vec!["--users", "alice", "--viewers", "carol"],
            "not one of the users",
        ),
        (vec!["--user", "carol"], "without --users"),
        (vec!["--users", "alice", "--plain"], "--plain"),
        (vec!["--viewers", "carol"], "--users"),
        (
            vec!["--users", "alice", "--requesters", "carol"],
            "requester \"carol\" is not one of the users",
        ),
        (
            vec!["--users", "alice,viewer", "--requesters", "viewer"],
            "cannot be a requester too",
        ),
        (vec!["--requesters", "alice"], "--users"),
    ] {
        let mut all = vec!["sandbox", "serve"];
        all.extend(&args);
        let r = common::run_in(&logs, &all);
        assert_eq!(r.code, 2, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(!r.stdout.contains("serving"), "{args:?}: {}", r.stdout);
    }
}
