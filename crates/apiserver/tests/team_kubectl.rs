//! Several people on one sandbox, checked with the real `kubectl`: the
//! shared kubeconfig's `<user>@<cluster>` contexts and the per-user
//! kubeconfigs each authenticate as their own user (`auth whoami`), and
//! each user's rules hold (`auth can-i`, a write allowed for a promoter and
//! refused for a viewer). No skipping: without kubectl on PATH this fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_apiserver::{
    ControllerConfig, SeedSource, ServeOptions, ServerConfig, Team, fixtures, start_team, team,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn kubectl(dir: &Path, kubeconfig: &Path, context: Option<&str>, args: &[&str]) -> Out {
    let mut cmd = Command::new("kubectl");
    cmd.arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("cache"));
    if let Some(c) = context {
        cmd.args(["--context", c]);
    }
    cmd.args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("cannot run `kubectl` ({e}): this test needs it on PATH"));
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether `context` may `verb` `group`/`resource` in `ml-prod`, by a
/// SelfSubjectAccessReview created with `kubectl create -f`.
async fn ssar(
    dir: &Path,
    kubeconfig: &Path,
    context: &str,
    verb: &str,
    group: &str,
    resource: &str,
) -> bool {
    let body = serde_json::json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {
            "verb": verb, "group": group, "resource": resource, "namespace": "ml-prod"}},
    });
    let file = dir.join(format!("ssar-{context}-{verb}.json"));
    std::fs::write(&file, body.to_string()).unwrap();
    let f = file.display().to_string();
    let out = kubectl(
        dir,
        kubeconfig,
        Some(context),
        &["create", "--validate=false", "-f", &f, "-o", "json"],
    )
    .await;
    assert!(out.ok, "{context}: {}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    v["status"]["allowed"]
        .as_bool()
        .unwrap_or_else(|| panic!("no status.allowed: {v}"))
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_context_and_each_file_authenticates_as_its_user_with_its_rules() {
    let dir = Dir(std::env::temp_dir().join(format!("modeldeck-team-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let users = names(&["alice", "bob", "viewer", "carol"]);
    let server = ServerConfig {
        tls: true,
        users: team::users(&users, &names(&["carol"])).unwrap(),
        controller: ControllerConfig {
            tick: Duration::from_millis(50),
            ready_after: Duration::from_millis(200),
            ..ControllerConfig::default()
        },
        ..ServerConfig::default()
    };
    let seeds = BTreeMap::from([
        ("eu".to_string(), fixtures::demo_seed("eu")),
        ("us".to_string(), fixtures::demo_seed("us")),
    ]);
    let opts = ServeOptions {
        source: SeedSource::Seeds(seeds),
        kubeconfig: Some(dir.0.join("kubeconfig")),
        user: "bob".into(),
        server,
    };
    let team = Team {
        users: users.clone(),
        kubeconfig_dir: Some(dir.0.join("people")),
    };
    let served = start_team(&opts, &team).await.unwrap();
    let kc = served.kubeconfig.clone();

    // One context per cluster and user; `--user` picks the current one.
    let ctxs = kubectl(&dir.0, &kc, None, &["config", "get-contexts", "-o", "name"]).await;
    assert!(ctxs.ok, "{}", ctxs.stderr);
    let mut got: Vec<&str> = ctxs.stdout.lines().collect();
    got.sort_unstable();
    let mut want: Vec<String> = ["eu", "us"]
        .iter()
        .flat_map(|c| users.iter().map(move |u| format!("{u}@{c}")))
        .collect();
    want.sort();
    assert_eq!(got, want);
    let cur = kubectl(&dir.0, &kc, None, &["config", "current-context"]).await;
    assert_eq!(cur.stdout.trim(), "bob@eu");
    assert_eq!(served.current_context, "bob@eu");

    let groups = [
        ("alice", "modeldeck:promoters", true),
        ("bob", "modeldeck:promoters", true),
        ("viewer", "modeldeck:viewers", false),
        ("carol", "modeldeck:viewers", false),
    ];
    for cluster in ["eu", "us"] {
        for (user, group, promoter) in groups {
            let ctx = format!("{user}@{cluster}");
            let who = kubectl(&dir.0, &kc, Some(&ctx), &["auth", "whoami", "-o", "json"]).await;
            assert!(who.ok, "{ctx}: {}", who.stderr);
            let v: Value = serde_json::from_str(&who.stdout).unwrap();
            assert_eq!(v["status"]["userInfo"]["username"], user, "{ctx}");
            let gs = v["status"]["userInfo"]["groups"].to_string();
            assert!(gs.contains(group), "{ctx}: {gs}");

            let yes_no = |b: bool| if b { "yes" } else { "no" };
            // The promotion verbs: a SelfSubjectAccessReview posted by
            // kubectl (`auth can-i` cannot name a group the server does
            // not serve: it would send `modelpromotions.modeldeck.io` as
            // a core resource), as Modeldeck's kube adapter asks it.
            for verb in ["create", "approve"] {
                let allowed =
                    ssar(&dir.0, &kc, &ctx, verb, "modeldeck.io", "modelpromotions").await;
                assert_eq!(allowed, promoter, "{ctx} may {verb} modelpromotions");
            }
            let r = kubectl(
                &dir.0,
                &kc,
                Some(&ctx),
                &[
                    "auth",
                    "can-i",
                    "patch",
                    "deployments.apps",
                    "-n",
                    "ml-prod",
                ],
            )
            .await;
            assert_eq!(
                r.stdout.trim(),
                yes_no(promoter),
                "{ctx} can-i patch: {}",
                r.stderr
            );
            for (verb, resource, allowed) in [
                ("list", "deployments.apps", true),
                ("get", "pods/log", true),
                ("delete", "deployments.apps", false),
                ("patch", "secrets", false),
            ] {
                let r = kubectl(
                    &dir.0,
                    &kc,
                    Some(&ctx),
                    &["auth", "can-i", verb, resource, "-n", "ml-prod"],
                )
                .await;
                assert_eq!(
                    r.stdout.trim(),
                    yes_no(allowed),
                    "{ctx} can-i {verb} {resource}"
                );
            }
        }
    }

    // Each person's own kubeconfig: contexts named after the clusters, as them.
    assert_eq!(served.user_kubeconfigs.len(), users.len());
    for (user, path) in &served.user_kubeconfigs {
        assert_eq!(
            path,
            &dir.0.join("people").join(format!("{user}.kubeconfig"))
        );
        for cluster in ["eu", "us"] {
            let who = kubectl(
                &dir.0,
                path,
                Some(cluster),
                &["auth", "whoami", "-o", "json"],
            )
            .await;
            assert!(who.ok, "{user}/{cluster}: {}", who.stderr);
            let v: Value = serde_json::from_str(&who.stdout).unwrap();
            assert_eq!(v["status"]["userInfo"]["username"], user.as_str());
        }
        let cur = kubectl(&dir.0, path, None, &["config", "current-context"]).await;
        assert_eq!(cur.stdout.trim(), "eu", "{user}");
    }

    // The rules bite on real writes: a promoter's patch lands, a viewer's is refused.
    let annotate = |ctx: &'static str, value: &'static str| {
        let (d, k) = (dir.0.clone(), kc.clone());
        async move {
            kubectl(
                &d,
                &k,
                Some(ctx),
                &[
                    "annotate",
                    "--overwrite",
                    "deploy/fraud-detector",
                    "-n",
                    "ml-prod",
                    &format!("reviewed-by={value}"),
                ],
            )
            .await
        }
    };
    let ok = annotate("alice@eu", "alice").await;
    assert!(ok.ok, "{}", ok.stderr);
    let refused = annotate("viewer@eu", "viewer").await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("forbidden") && refused.stderr.contains("User \"viewer\""),
        "{}",
        refused.stderr
    );
    let eu = &served.servers[0];
    assert_eq!(eu.cluster_name(), "eu");
    let d = eu
        .get("apps/v1", "Deployment", "ml-prod", "fraud-detector")
        .unwrap();
    assert_eq!(d["metadata"]["annotations"]["reviewed-by"], "alice");
}
