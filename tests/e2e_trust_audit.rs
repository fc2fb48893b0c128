//! Threats 4 and 5 of the trust model end to end, through the binary, on
//! our simulated Kubernetes API server ("simulated": the sandbox API
//! server with the shipped ledger installed: the promotion CRDs, the
//! approval admission policy and its binding) and a real MLflow (one of
//! the test's own, from `scripts/services/mlflow.sh`).
//!
//! 4. Rewrites: after alice requests and bob approves and executes on a
//!    served sandbox (`modeldeck sandbox serve --users alice,bob` as its own
//!    process), `audit verify -o json` on bob's journal checks all three
//!    copies (his journal, the MLflow mirror tags, the shared history on
//!    the `ModelPromotion`) and passes. A consistent rewrite of any one
//!    copy is then named (exit 1, `first_bad` with the copy and the entry),
//!    each case on the state put back after the previous one: bob's journal
//!    (an actor changed, every later hash and the head recomputed; at line
//!    1, which also moves the journal id, and later); the shared history
//!    (an outcome edited, or an entry deleted, the chain recomputed, written
//!    by a status PUT with kubectl; an entry of alice's is named by her
//!    verify); the mirror (an audit tag's outcome edited over MLflow REST,
//!    alone or with a made-up hash: the shared record then says the tag
//!    moved, not the journal).
//! 5. Two executors: 50 times, two `modeldeck promote execute <id>`
//!    processes start at the same moment on one fresh approved promotion,
//!    against MLflow (behind a counting proxy) and one sandbox API server in
//!    this process (which counts the requests it serves). Each time exactly
//!    one alias write reaches MLflow and one patch reaches the Deployment;
//!    one process reports it promoted and wrote, the other is refused
//!    (`in_progress`) or reports the finished result (wrote false).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod people;
mod real;
mod trust_audit;

use modeldeck_promotion::journal::{JournalLine, read_path};
use people::*;
use real::World;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use trust_audit::*;

/// `first_bad` of a failed verify: exit 1, not ok, and (copy, seq, reason).
fn first_bad(code: i32, v: &Value, when: &str) -> (String, u64, String) {
    assert_eq!(code, 1, "{when}: {v}");
    assert_eq!(v["ok"], false, "{when}: {v}");
    let b = &v["first_bad"];
    let s = |k: &str| {
        b[k].as_str()
            .unwrap_or_else(|| panic!("{when}: no first_bad.{k}: {v}"))
            .to_string()
    };
    assert!(!s("detail").is_empty(), "{when}: {v}");
    let seq = b["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("{when}: no first_bad.seq: {v}"));
    (s("copy"), seq, s("reason"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consistent_rewrite_of_any_one_copy_is_named_by_audit_verify() {
    let ml = tokio::spawn(PrivateMlflow::start("trust4"));
    let mut w = World::start("trust4").await;
    w.stop_cluster().await;
    let model = w.bound("prod", "fraud-detector").model.clone();
    let ml = ml.await.unwrap();
    ml.seed(&model);
    w.mlflow = ml.url.clone();
    w.write_profile("e2e", &ml.url, "");
    let scenario_path = w.dir.0.join("scenario.toml");
    std::fs::write(&scenario_path, scenario(&model)).unwrap();
    let shared_kc = w.dir.0.join("kubeconfig-shared");
    let people_dir = w.dir.0.join("people");
    let mut cmd = w.cmd(&["sandbox", "serve", "--no-metrics", "--users", "alice,bob"]);
    cmd.arg("--scenario")
        .arg(&scenario_path)
        .arg("--kubeconfig")
        .arg(&shared_kc)
        .arg("--kubeconfig-dir")
        .arg(&people_dir);
    let served = Served::start(cmd, &w.dir.0.join("serve.stderr"));
    let k = Kubectl {
        kubeconfig: shared_kc.clone(),
        cache: w.dir.0.join("kubectl-cache"),
    };
    let person =
        |name: &'static str| Person::new(&w, name, &people_dir.join(format!("{name}.kubeconfig")));
    let (alice, bob) = (person("alice"), person("bob"));

    // The flow: alice requests v3, bob approves and executes.
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
                "v3 beats v2",
            ],
        )
        .await;
    assert_eq!(code, 0, "{req}");
    let id = req["id"].as_str().unwrap().to_string();
    let (code, v) = bob.json(&w, &["promote", "approve", &id, "-m", "ok"]).await;
    assert_eq!(code, 0, "{v}");
    let (code, ex) = bob.json(&w, &["promote", "execute", &id]).await;
    assert_eq!(code, 0, "{ex}");
    assert_eq!(
        (&ex["state"], &ex["wrote"]),
        (&"promoted".into(), &true.into())
    );
    assert_eq!(
        alias_of(&w.mlflow, &model, "champion").as_deref(),
        Some("3")
    );
    assert_eq!(k.served_version("alice@shared"), "3");

    // All three copies checked, all agree.
    let (code, v) = verify(&w, &bob).await;
    assert_all_checked_ok(code, &v, "after the flow");
    assert!(v["shared"]["agreeing"].as_u64().unwrap() >= 3, "{v}");
    assert!(v["mirror"]["agreeing"].as_u64().unwrap() >= 3, "{v}");

    // What bob's journal wrote to the shared record (the lines an attacker
    // must hide), and its audit mirror tags on v3.
    let lines = read_path(&bob.journal).unwrap();
    let shared: Vec<u64> = lines
        .iter()
        .filter(|l| l.record.promotion.as_deref() == Some(id.as_str()))
        .filter(|l| !l.record.shared_to.is_empty())
        .map(|l| l.seq)
        .collect();
    assert!(
        shared.len() >= 3,
        "approve, executing, promoted: {lines:#?}"
    );
    let history = history_of(&promotion_object(&k, "alice@shared", &id));
    let alice_lines = read_path(&alice.journal).unwrap();
    // Where the shared history holds line `seq` of `journal`.
    let entry_of = |journal: &[JournalLine], seq: u64| {
        let w = witness_of(journal, seq);
        history
            .iter()
            .position(|e| e.witness.as_deref() == Some(w.as_str()))
            .unwrap_or_else(|| panic!("no witness {w} in {history:#?}"))
    };
    for seq in &shared {
        entry_of(&lines, *seq);
    }

    // (a) bob's journal rewritten consistently: at its first line (which
    // also moves the journal id the shared record names) and at a later
    // one. The mirror and the shared record both name the journal.
    let saved = Saved::journal(&bob.journal);
    for seq in [shared[0], shared[1]] {
        rewrite_journal(&bob.journal, seq);
        let (code, v) = verify(&w, &bob).await;
        println!(
            "(a) journal line {seq} rewritten: exit {code}, first_bad {}",
            v["first_bad"]
        );
        let (c, s, _) = first_bad(code, &v, "(a) journal rewritten");
        assert_eq!((c.as_str(), s), ("journal", seq), "{v}");
        let j = copy(&v, "journal");
        assert_eq!(j["ok"], false, "{v}");
        let says = format!("disagrees with the shared record at entry #{seq} (rewritten)");
        assert!(j["detail"].as_str().unwrap().contains(&says), "{v}");
        assert_eq!(copy(&v, "shared")["ok"], true, "{v}");
        saved.restore();
        let (code, v) = verify(&w, &bob).await;
        assert_all_checked_ok(code, &v, "(a) restored");
    }

    // (b) the shared record rewritten consistently: an entry's outcome
    // edited, every later hash recomputed, PUT on the status subresource.
    // bob's approval is named by bob's verify; alice's request (witnessed
    // by her journal, not his) by hers.
    for (who, journal, e_seq) in [(&bob, &lines, shared[0]), (&alice, &alice_lines, 1)] {
        let i = entry_of(journal, e_seq);
        assert_eq!(history[i].actor, who.name, "{history:#?}");
        let mut edited = history.clone();
        edited[i].outcome = Some("ok: on behalf of carol".into());
        rechain(&mut edited);
        put_history(&k, "alice@shared", &id, &edited);
        let (code, v) = verify(&w, who).await;
        println!(
            "(b) shared entry {i} edited, {}'s verify: exit {code}, first_bad {}",
            who.name, v["first_bad"]
        );
        let (c, s, reason) = first_bad(code, &v, "(b) shared record rewritten");
        assert_eq!(
            (c.as_str(), s, reason.as_str()),
            ("shared", e_seq, "edited"),
            "{v}"
        );
        assert_eq!(copy(&v, "shared")["ok"], false, "{v}");
        assert_eq!(copy(&v, "journal")["ok"], true, "{v}");
        put_history(&k, "alice@shared", &id, &history);
        let (code, v) = verify(&w, who).await;
        assert_all_checked_ok(code, &v, "(b) restored");
    }

    // (c) the MLflow mirror: the audit tag of bob's approval edited, its
    // outcome only, then with a made-up hash as well.
    let prefix = format!("modeldeck.promotion/{id}/audit/");
    let hash1 = lines[shared[0] as usize - 1].hash.as_str();
    let (key, value) = version_tags(&w.mlflow, &model, "3")
        .into_iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .find(|(_, v)| {
            let m: Value = serde_json::from_str(v).unwrap();
            m["seq"] == shared[0] && m["hash"] == hash1
        })
        .unwrap_or_else(|| panic!("no mirror tag of bob's line {}", shared[0]));
    let mut m: Value = serde_json::from_str(&value).unwrap();
    for (what, reason) in [
        ("outcome", "mirror_edited"),
        ("outcome and hash", "hash_differs"),
    ] {
        m["outcome"] = "refused: nobody approved".into();
        if what != "outcome" {
            m["hash"] = "ab".repeat(32).into();
        }
        set_tag(&w.mlflow, &model, "3", &key, &m.to_string());
        let (code, v) = verify(&w, &bob).await;
        println!(
            "(c) mirror tag's {what} edited: exit {code}, first_bad {}",
            v["first_bad"]
        );
        let (c, s, r) = first_bad(code, &v, "(c) mirror tag edited");
        assert_eq!(
            (c.as_str(), s, r.as_str()),
            ("registry", shared[0], reason),
            "{v}"
        );
        assert_eq!(copy(&v, "registry")["ok"], false, "{v}");
        assert_eq!(copy(&v, "journal")["ok"], true, "{v}");
        set_tag(&w.mlflow, &model, "3", &key, &value);
        let (code, v) = verify(&w, &bob).await;
        assert_all_checked_ok(code, &v, "(c) restored");
    }

    // (d) bob's execution start deleted from the shared record, the chain
    // recomputed.
    let i = entry_of(&lines, shared[1]);
    let mut cut = history.clone();
    cut.remove(i);
    rechain(&mut cut);
    put_history(&k, "alice@shared", &id, &cut);
    let (code, v) = verify(&w, &bob).await;
    println!(
        "(d) shared entry deleted: exit {code}, first_bad {}",
        v["first_bad"]
    );
    let (c, s, reason) = first_bad(code, &v, "(d) shared entry deleted");
    assert_eq!(
        (c.as_str(), s, reason.as_str()),
        ("shared", shared[1], "deleted"),
        "{v}"
    );
    put_history(&k, "alice@shared", &id, &history);
    let (code, v) = verify(&w, &bob).await;
    assert_all_checked_ok(code, &v, "(d) restored");
    drop(served);
}

/// Trials of the race; `TRUST_RACE_TRIALS` overrides (local experiments).
const TRIALS: usize = 50;

/// One approval, no bake and quick polls, so 50 trials fit in
/// minutes; the drift and SLO gates pass on the fixture's numbers.
const RACE_POLICY: &str = r#"
[profiles.e2e.policies."*"]
min_approvals = 1
bake = "0s"
rollout_poll = "100ms"
rollout_timeout = "60s"
drift_max_psi = 10.0
slo = { latency_p99_max_secs = 2.0 }
"#;

/// `modeldeck <args> -o json` with `config` and `journal`. `TRUST_RACE_BIN`
/// names another binary to run (local experiments: a build with the
/// ledger claim disabled must fail this test).
fn md(w: &World, config: &Path, journal: &Path, args: &[&str]) -> Command {
    let base = w.cmd(args);
    let mut c = match std::env::var_os("TRUST_RACE_BIN") {
        Some(bin) => Command::new(bin),
        None => Command::new(base.get_program()),
    };
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.args(base.get_args())
        .args(["-o", "json"])
        .env("MODELDECK_CONFIG", config)
        .env("MODELDECK_JOURNAL", journal);
    c
}

/// Exit code and JSON document of a finished command.
fn outcome(what: &str, o: std::process::Output) -> (i32, Value) {
    let stdout = String::from_utf8_lossy(&o.stdout);
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code().unwrap_or(-1), v)
}

async fn run_json(what: &str, mut c: Command) -> (i32, Value) {
    let o = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    outcome(what, o)
}

/// How a loser ended: refused while the winner ran, or told it was done.
fn loser_kind(code: i32, v: &Value) -> Option<&'static str> {
    match code {
        5 if v["error"]["code"] == "in_progress" => Some("in_progress"),
        0 if v["state"] == "promoted" && v["wrote"] == false => Some("finished (wrote=false)"),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_executors_started_together_exactly_one_writes() {
    let t0 = Instant::now();
    let trials: usize = std::env::var("TRUST_RACE_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(TRIALS);
    let ml = tokio::spawn(PrivateMlflow::start("trust5"));
    let mut w = World::start("trust5").await;
    let model = w.bound("prod", "fraud-detector").model.clone();
    let ml = ml.await.unwrap();
    ml.seed(&model);
    w.mlflow = ml.url.clone();
    // The shipped ledger, installed as an administrator would.
    let kc = w.kubeconfig.display().to_string();
    let r = w.run(&["cluster", "install", "--kubeconfig", &kc]).await;
    assert_eq!(r.code, 0, "cluster install: {}\n{}", r.stdout, r.stderr);
    // Modeldeck reaches MLflow through the counting proxy.
    let proxy = AliasCounter::start(&w.mlflow).await;
    w.write_profile("e2e", &proxy.url, "");
    let alice = w.config_as("alice", RACE_POLICY);
    let bob = w.config_as("bob", RACE_POLICY);
    let api = w.api.as_ref().unwrap();
    let journal = |n: &str| w.dir.0.join(format!("journal-{n}.jsonl"));
    let served = || {
        let d = api
            .get("apps/v1", "Deployment", "prod", "fraud-detector")
            .unwrap();
        d["spec"]["template"]["metadata"]["annotations"]["modeldeck.io/model-version"]
            .as_str()
            .unwrap()
            .to_string()
    };
    println!("setup: {:.1}s", t0.elapsed().as_secs_f64());

    let mut failures: Vec<String> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut prepare = std::time::Duration::ZERO;
    let mut racing = std::time::Duration::ZERO;
    for trial in 1..=trials {
        // A fresh approved promotion to the version not served now.
        let t = Instant::now();
        let to = if served() == "3" { "2" } else { "3" };
        let reason = format!("race {trial}");
        let args = [
            "promote",
            "request",
            &model,
            to,
            "--target",
            "prod/fraud-detector",
            "--reason",
            &reason,
        ];
        let (code, req) = run_json("request", md(&w, &alice, &journal("alice"), &args)).await;
        assert_eq!(code, 0, "trial {trial}: {req}");
        let id = req["id"].as_str().unwrap().to_string();
        let args = ["promote", "approve", &id, "-m", "ok"];
        let (code, v) = run_json("approve", md(&w, &bob, &journal("bob"), &args)).await;
        assert_eq!(
            (code, &v["state"]),
            (0, &"approved".into()),
            "trial {trial}: {v}"
        );
        prepare += t.elapsed();

        // Two executors at the same moment, each with its own journal.
        let t = Instant::now();
        let (posts, deletes) = proxy.writes();
        let patches = api.request_count("patch", "deployments");
        let args = ["promote", "execute", &id];
        let children: Vec<_> = ["a", "b"]
            .iter()
            .map(|n| {
                let mut c = md(&w, &bob, &journal(&format!("bob-{n}")), &args);
                c.stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        let results: Vec<(i32, Value)> = tokio::task::spawn_blocking(move || {
            children
                .into_iter()
                .map(|c| outcome("execute", c.wait_with_output().unwrap()))
                .collect()
        })
        .await
        .unwrap();
        racing += t.elapsed();

        // Counted on the wire: MLflow's alias endpoint, the API server.
        let (posts, deletes) = (proxy.writes().0 - posts, proxy.writes().1 - deletes);
        let patches = api.request_count("patch", "deployments") - patches;
        let mut bad = Vec::new();
        if (posts, deletes) != (1, 0) {
            bad.push(format!(
                "{posts} alias POSTs and {deletes} DELETEs reached MLflow"
            ));
        }
        if patches != 1 {
            bad.push(format!("{patches} patches reached the Deployment"));
        }
        let won = |(c, v): &(i32, Value)| *c == 0 && v["state"] == "promoted" && v["wrote"] == true;
        let winners: Vec<usize> = (0..2).filter(|i| won(&results[*i])).collect();
        match winners.as_slice() {
            [w] => match loser_kind(results[1 - w].0, &results[1 - w].1) {
                Some(k) => {
                    *seen
                        .entry(format!("{k}, winner {}", ["a", "b"][*w]))
                        .or_default() += 1
                }
                None => {
                    bad.push("the loser neither was refused in_progress nor saw it done".into())
                }
            },
            _ => bad.push(format!("{} processes promoted and wrote", winners.len())),
        }
        if alias_of(&w.mlflow, &model, "champion").as_deref() != Some(to) || served() != to {
            bad.push(format!("champion or the Deployment is not on v{to}"));
        }
        if !bad.is_empty() {
            let r: Vec<String> = results
                .iter()
                .map(|(c, v)| format!("exit {c}: {v}"))
                .collect();
            failures.push(format!(
                "trial {trial} ({id}): {}; {}",
                bad.join("; "),
                r.join(" | ")
            ));
        }
    }
    println!(
        "{trials} trials in {:.1}s (requests and approvals {:.1}s, racing executions {:.1}s); losers: {seen:?}; failed trials: {}",
        t0.elapsed().as_secs_f64(),
        prepare.as_secs_f64(),
        racing.as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {trials} trials failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(seen.values().sum::<usize>(), trials, "{seen:?}");
}
