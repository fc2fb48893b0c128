//! The shipped approval policy, enforced by the sandbox API server from the
//! manifest text itself, attacked the way a person would: with `kubectl`
//! as each user's own credentials. Installs every file
//! `modeldeck cluster install --dry-run` prints (after `kubectl apply
//! --dry-run=client` accepts each), then: bob naming carol as approver is
//! refused; alice approving her own promotion is refused; editing an
//! approval's spec is refused (even by the admin); bob approving as
//! himself is admitted. No skipping: without kubectl on PATH this fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_apiserver::{
    ApiServer, ApiServerHandle, ControllerConfig, ServerConfig, fixtures, team,
};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

struct Env {
    _server: ApiServerHandle,
    dir: PathBuf,
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn kubectl(e: &Env, user: &str, args: &[&str]) -> Out {
    let mut cmd = Command::new("kubectl");
    cmd.arg("--kubeconfig")
        .arg(e.dir.join(format!("{user}.kubeconfig")))
        .arg("--cache-dir")
        .arg(e.dir.join(format!("cache-{user}")))
        .args(args);
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

async fn env(tag: &str) -> Env {
    let names: Vec<String> = ["admin", "alice", "bob", "carol"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cfg = ServerConfig {
        tls: true,
        users: team::users(&names, &[]).unwrap(),
        controller: ControllerConfig {
            tick: Duration::from_millis(50),
            ..ControllerConfig::default()
        },
        ..ServerConfig::named("admission")
    }
    .with_seed(fixtures::demo_seed("admission"));
    let server = ApiServer::start(cfg).await.unwrap();
    let dir =
        std::env::temp_dir().join(format!("modeldeck-admission-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for n in &names {
        server
            .write_kubeconfig(&dir.join(format!("{n}.kubeconfig")), n)
            .unwrap();
    }
    Env {
        _server: server,
        dir,
    }
}

/// Writes `obj` to a file and runs `kubectl <verb> -f <file>` as `user`.
async fn with_file(e: &Env, user: &str, verb: &[&str], name: &str, obj: &Value) -> Out {
    let file = e.dir.join(format!("{name}.json"));
    std::fs::write(&file, obj.to_string()).unwrap();
    let f = file.display().to_string();
    let mut args: Vec<&str> = verb.to_vec();
    args.extend(["-f", &f]);
    kubectl(e, user, &args).await
}

/// Every shipped file: `kubectl apply --dry-run=client` accepts it, then
/// the admin applies it for real.
async fn install(e: &Env) {
    for m in modeldeck_manifests::ALL {
        let file = e.dir.join(m.file);
        std::fs::write(&file, m.text).unwrap();
        let f = file.display().to_string();
        let dry = kubectl(e, "admin", &["apply", "--dry-run=client", "-f", &f]).await;
        assert!(dry.ok, "{}: {}", m.file, dry.stderr);
        assert!(
            dry.stdout.contains("(dry run)"),
            "{}: {}",
            m.file,
            dry.stdout
        );
        let real = kubectl(e, "admin", &["apply", "-f", &f]).await;
        assert!(real.ok, "{}: {}", m.file, real.stderr);
    }
}

fn approval(name: &str, approver: &str, requester: &str) -> Value {
    json!({
        "apiVersion": "modeldeck.io/v1alpha1",
        "kind": "ModelApproval",
        "metadata": {"name": name, "namespace": "ml-prod"},
        "spec": {
            "promotion": "fraud-v7",
            "approver": approver,
            "requester": requester,
            "decision": "approve",
            "comment": "metrics look fine",
            "evidenceDigest": "sha256:0000",
        },
    })
}

const DENIED: &str = "ValidatingAdmissionPolicy 'modeldeck-approvals.modeldeck.io' with binding 'modeldeck-approvals.modeldeck.io' denied request";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_printed_manifest_passes_kubectl_client_dry_run() {
    let e = env("dry").await;
    let all = e.dir.join("all.yaml");
    std::fs::write(&all, modeldeck_manifests::multi_document_yaml()).unwrap();
    let f = all.display().to_string();
    let out = kubectl(&e, "admin", &["apply", "--dry-run=client", "-f", &f]).await;
    assert!(out.ok, "{}", out.stderr);
    for name in [
        "customresourcedefinition.apiextensions.k8s.io/modelpromotions.modeldeck.io",
        "customresourcedefinition.apiextensions.k8s.io/modelapprovals.modeldeck.io",
        "validatingadmissionpolicy.admissionregistration.k8s.io/modeldeck-approvals.modeldeck.io",
        "validatingadmissionpolicybinding.admissionregistration.k8s.io/modeldeck-approvals.modeldeck.io",
        "clusterrole.rbac.authorization.k8s.io/modeldeck-requester",
        "clusterrole.rbac.authorization.k8s.io/modeldeck-approver",
        "clusterrole.rbac.authorization.k8s.io/modeldeck-viewer",
    ] {
        assert!(
            out.stdout.contains(name),
            "{name} missing from:\n{}",
            out.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_policy_binds_approvals_to_the_authenticated_user() {
    let e = env("policy").await;
    // Before the CRDs are installed, the kinds do not exist.
    let before = with_file(
        &e,
        "bob",
        &["create"],
        "early",
        &approval("early", "bob", "alice"),
    )
    .await;
    assert!(!before.ok, "an approval before the CRD: {}", before.stdout);
    install(&e).await;

    // alice requests.
    let promo = json!({
        "apiVersion": "modeldeck.io/v1alpha1",
        "kind": "ModelPromotion",
        "metadata": {"name": "fraud-v7", "namespace": "ml-prod"},
        "spec": {"model": "fraud", "version": "7", "alias": "champion",
                 "targets": [{"kind": "Deployment", "namespace": "ml-prod", "name": "fraud"}],
                 "reason": "better recall", "requestedBy": "alice"},
    });
    let p = with_file(&e, "alice", &["create"], "promo", &promo).await;
    assert!(p.ok, "{}", p.stderr);

    // Impersonation: bob names carol as the approver.
    let imp = with_file(
        &e,
        "bob",
        &["create"],
        "imp",
        &approval("by-carol", "carol", "alice"),
    )
    .await;
    assert!(
        !imp.ok,
        "bob approving as carol was admitted: {}",
        imp.stdout
    );
    // kubectl's wording of a 422 Invalid Status with one field-less cause,
    // as for a real API server's policy denial.
    assert!(
        imp.stderr
            .contains(r#"The modelapprovals "by-carol" is invalid: : "#),
        "{}",
        imp.stderr
    );
    assert!(
        imp.stderr.contains(&format!(
            "{DENIED}: spec.approver must be the user creating the approval"
        )),
        "{}",
        imp.stderr
    );

    // Self-approval, through kubectl directly.
    let selfie = with_file(
        &e,
        "alice",
        &["create"],
        "self",
        &approval("by-alice", "alice", "alice"),
    )
    .await;
    assert!(
        !selfie.ok,
        "alice approving her own promotion was admitted: {}",
        selfie.stdout
    );
    assert!(
        selfie.stderr.contains(&format!(
            "{DENIED}: the requester of a promotion cannot approve it"
        )),
        "{}",
        selfie.stderr
    );

    // bob approving as himself counts.
    let ok = with_file(
        &e,
        "bob",
        &["create"],
        "bob",
        &approval("by-bob", "bob", "alice"),
    )
    .await;
    assert!(ok.ok, "bob approving as himself was refused: {}", ok.stderr);
    let got = kubectl(
        &e,
        "carol",
        &["get", "modelapprovals", "-n", "ml-prod", "-o", "json"],
    )
    .await;
    assert!(got.ok, "{}", got.stderr);
    let list: Value = serde_json::from_str(&got.stdout).unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["by-bob"], "only bob's own approval is stored");

    // Editing an approval's spec afterwards: refused for bob, and for the admin.
    for (user, patch) in [
        ("bob", r#"{"spec":{"decision":"reject"}}"#),
        ("admin", r#"{"spec":{"approver":"carol"}}"#),
    ] {
        let edit = kubectl(
            &e,
            user,
            &[
                "patch",
                "modelapproval",
                "by-bob",
                "-n",
                "ml-prod",
                "--type",
                "merge",
                "-p",
                patch,
            ],
        )
        .await;
        assert!(!edit.ok, "{user} edited the spec: {}", edit.stdout);
        assert!(
            edit.stderr.contains(&format!(
                "{DENIED}: the spec of an approval cannot change after it is created"
            )),
            "{user}: {}",
            edit.stderr
        );
    }
    // A full replace with a changed spec too.
    let mut replaced = approval("by-bob", "bob", "alice");
    replaced["spec"]["comment"] = json!("edited later");
    let put = with_file(&e, "bob", &["replace"], "replace", &replaced).await;
    assert!(!put.ok, "replace changed the spec: {}", put.stdout);
    // Metadata stays editable (labels), the spec is untouched.
    let label = kubectl(
        &e,
        "bob",
        &[
            "label",
            "modelapproval",
            "by-bob",
            "-n",
            "ml-prod",
            "seen=yes",
        ],
    )
    .await;
    assert!(label.ok, "{}", label.stderr);
    let one = kubectl(
        &e,
        "bob",
        &[
            "get",
            "modelapproval",
            "by-bob",
            "-n",
            "ml-prod",
            "-o",
            "json",
        ],
    )
    .await;
    let v: Value = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(v["spec"]["decision"], "approve");
    assert_eq!(v["spec"]["approver"], "bob");
    assert_eq!(v["spec"]["comment"], "metrics look fine");
}
