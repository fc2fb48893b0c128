//! Promotions of batch and streaming models through the binary on a kept
//! sandbox world (issue 14): request, a second person approves, `execute
//! --run-now` makes one Job from the patched CronJob, audited and
//! followed, and `promote status` shows the run verified; a run of the
//! version the nightly job fails with rolls the template back (exit 6,
//! the Job and its log named); `--run-now` on a Deployment is refused
//! before anything is written; a stream consumer whose lag stays over its
//! threshold rolls back under `--wait`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{Run, TempDir, run_in};
use serde_json::Value;

fn sb(dir: &TempDir, args: &[&str]) -> Run {
    let mut all = vec!["--sandbox"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

fn parse(r: &Run, what: &str) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

fn ok(r: &Run, what: &str) -> Value {
    assert_eq!(
        r.code, 0,
        "{what}: exit {}\n{}\n{}",
        r.code, r.stdout, r.stderr
    );
    parse(r, what)
}

/// The version the demo's nightly job serves (the one it fails with) and
/// another one of churn-model.
fn versions(dir: &TempDir) -> (String, String) {
    let st = ok(&sb(dir, &["status", "-o", "json"]), "status");
    let w = st["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "churn-batch-scoring")
        .expect("the demo's nightly job")
        .clone();
    let broken = w["version"]
        .as_str()
        .unwrap_or_else(|| panic!("no version: {w}"))
        .to_string();
    let good = if broken == "4" { "3" } else { "4" };
    (broken, good.to_string())
}

/// The default user requests `version` of `model` on `target`; bob (and
/// carol for fraud-*) approve. Answers the id.
fn requested_and_approved(dir: &TempDir, model: &str, version: &str, target: &str) -> String {
    let req = ok(
        &sb(
            dir,
            &[
                "promote",
                "request",
                model,
                version,
                "--target",
                target,
                "-m",
                "verify it",
                "-o",
                "json",
            ],
        ),
        "request",
    );
    let id = req["id"]
        .as_str()
        .or(req["promotion"]["id"].as_str())
        .unwrap()
        .to_string();
    let approvers: &[&str] = if model.starts_with("fraud-") {
        &["bob", "carol"]
    } else {
        &["bob"]
    };
    for a in approvers {
        let r = sb(
            dir,
            &["--sandbox-user", a, "promote", "approve", &id, "-m", "ok"],
        );
        assert_eq!(r.code, 0, "{a} approving: {}{}", r.stdout, r.stderr);
    }
    id
}

#[test]
fn a_batch_promotion_end_to_end_with_an_audited_run_now() {
    let dir = TempDir::new("promote-batch");
    let (broken, good) = versions(&dir);
    let id = requested_and_approved(&dir, "churn-model", &good, "churn-batch-scoring");
    let ex = ok(
        &sb(
            &dir,
            &["promote", "execute", &id, "--run-now", "-o", "json"],
        ),
        "execute --run-now",
    );
    assert_eq!(ex["state"], "promoted", "{ex}");
    let v = &ex["verification"][0];
    assert_eq!(v["check"], "run_now", "{ex}");
    assert_eq!(v["state"], "verified", "{ex}");
    let job = v["job"].as_str().unwrap().to_string();
    assert!(job.starts_with("churn-batch-scoring-manual-"), "{job}");

    let st = ok(
        &sb(&dir, &["promote", "status", &id, "-o", "json"]),
        "status",
    );
    let vs = st["verification"].as_array().unwrap();
    assert_eq!(vs.len(), 1, "{st}");
    assert_eq!(vs[0]["target"]["name"], "churn-batch-scoring");
    assert_eq!(vs[0]["state"], "verified");
    assert_eq!(vs[0]["job"], job.as_str());
    assert!(
        vs[0]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("succeeded with v{good}")),
        "{st}"
    );
    let table = sb(&dir, &["promote", "status", &id]);
    assert!(
        table
            .stdout
            .contains("verification:\n  verified prod-eu/commerce/"),
        "{}",
        table.stdout
    );

    // The journal says who started which Job.
    let a = ok(&sb(&dir, &["audit", "-o", "json"]), "audit");
    let e = a["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "batch.run_now")
        .expect("a batch.run_now entry");
    assert_eq!(e["actor"], "sandbox-admin");
    assert_eq!(e["after"]["job"], job.as_str());
    let verify = sb(&dir, &["audit", "verify"]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);

    // The version the nightly job fails with: the run fails, the template
    // goes back to the version before, exit 6 naming the Job and its log.
    let id2 = requested_and_approved(&dir, "churn-model", &broken, "churn-batch-scoring");
    let r = sb(&dir, &["promote", "execute", &id2, "--run-now"]);
    assert_eq!(r.code, 6, "{}{}", r.stdout, r.stderr);
    for word in [
        "churn-batch-scoring-manual-",
        "failed with v",
        "tenure_months",
    ] {
        assert!(r.stderr.contains(word), "{word:?} missing: {}", r.stderr);
    }
    let st = ok(
        &sb(&dir, &["promote", "status", &id2, "-o", "json"]),
        "status",
    );
    assert_eq!(st["state"], "rolled_back", "{st}");
    assert_eq!(st["verification"][0]["state"], "failed", "{st}");
    assert!(
        st["verification"][0]["log_tail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("tenure_months")),
        "{st}"
    );
    let (now_serving, _) = versions(&dir);
    assert_eq!(now_serving, good, "the template was rolled back");
}

#[test]
fn run_now_on_a_deployment_is_refused_and_a_lagging_consumer_rolls_back_under_wait() {
    let dir = TempDir::new("promote-stream");
    let id = requested_and_approved(&dir, "spam-filter", "1", "spam-filter");
    let r = sb(&dir, &["promote", "execute", &id, "--run-now"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("--run-now") && r.stderr.contains("not a CronJob"),
        "{}",
        r.stderr
    );
    let st = ok(
        &sb(&dir, &["promote", "status", &id, "-o", "json"]),
        "status",
    );
    assert_eq!(st["state"], "approved", "nothing was written: {st}");

    // The demo world has dana's open promotion of fraud-detector v8 (to
    // every target): one open promotion per model, so bob rejects it first.
    let open = ok(&sb(&dir, &["promote", "list", "-o", "json"]), "list");
    for p in open["promotions"].as_array().unwrap() {
        if p["model"] == "fraud-detector" {
            let pid = p["id"].as_str().unwrap();
            let r = sb(
                &dir,
                &[
                    "--sandbox-user",
                    "bob",
                    "promote",
                    "reject",
                    pid,
                    "-m",
                    "not now",
                ],
            );
            assert_eq!(r.code, 0, "rejecting {pid}: {}{}", r.stdout, r.stderr);
        }
    }
    let id = requested_and_approved(&dir, "fraud-detector", "8", "fraud-stream-scorer");
    let r = sb(&dir, &["promote", "execute", &id, "--wait"]);
    assert_eq!(r.code, 6, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("still over its threshold 15 minutes"),
        "{}",
        r.stderr
    );
    let st = ok(
        &sb(&dir, &["promote", "status", &id, "-o", "json"]),
        "status",
    );
    assert_eq!(st["state"], "rolled_back", "{st}");
}
