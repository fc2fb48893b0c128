//! Test 2 on the REAL backends: faults injected at the port boundaries of
//! an execution against a real MLflow and the sandbox API servers (through
//! the kube adapter): transient errors, lost replies (the call took effect,
//! the caller saw an error) and crashes (every call from then on fails, as
//! a killed process or a backend down until the restart), then a restart
//! on healthy backends. Whatever happens, MLflow and the API servers end
//! all-new (Promoted) or all-old (RolledBack); an intermediate state is
//! never shown as done, and the journal verifies.
//!
//! Each run builds a fresh world (about 1 s of MLflow seeding), so the run
//! count is a budget: `MODELDECK_LIVE_FAULT_RUNS` (default 10, about two
//! minutes here; 0 or anything but a positive integer is a usage error);
//! the 200-run property test runs on the sandbox (`tests/faults.rs`).
//!
//! Every counted run's fault fired at its planned call. Faults land within
//! the calls a clean execute made, but the number of rollout polls varies
//! with real time and the machine's load (from 70 to 135 calls for
//! recsys-ranker, 123 to 189 for spam-filter, within half an hour here),
//! so an execution can end before its fault: such an attempt is a clean
//! run, is not counted, and is replayed within the fewest calls seen (at
//! most 5 attempts, then the test fails).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;
mod live;

use common::Lcg;
use common::faulty::{FaultMode, FaultPlan, FaultTiming};
use live::{Live, Snapshot, approve, request};
use modeldeck_core::domain::PromotionState;
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::tags;
use std::collections::BTreeMap;
use std::time::Instant;

/// (demo model, candidate, champion): the first promotes (one Deployment,
/// one InferenceService with canary steps), the second compensates (its
/// candidate's pods never start on the API server).
const SCENARIOS: [(&str, &str, &str); 2] = [("recsys-ranker", "8", "7"), ("spam-filter", "7", "6")];

#[derive(Debug, Clone, Copy)]
struct Case {
    scenario: usize,
    position: f64,
    mode: FaultMode,
    timing: FaultTiming,
}

async fn world(scenario: usize) -> (Live, String, Snapshot) {
    let (model, version, champion) = SCENARIOS[scenario];
    let l = Live::start(&[model]).await;
    l.settle(model).await;
    let svc = l.service("runner");
    let id = request(&l, &svc, "alice", model, version).await;
    approve(&l, &svc, &id, &["bob"]).await;
    let before = l.snapshot(model).await;
    assert_eq!(before.alias.as_deref(), Some(champion));
    (l, id, before)
}

/// Port calls a clean execute of `scenario` makes, and how long it takes.
async fn clean(scenario: usize) -> (u64, f64) {
    let (l, id, _) = world(scenario).await;
    let svc = l.service("runner");
    l.act_as("carol").await;
    let start = l.ports.calls();
    let t0 = Instant::now();
    let _ = svc.execute(&id, ExecuteOptions::default()).await;
    (l.ports.calls() - start, t0.elapsed().as_secs_f64())
}

/// What one faulted run went through.
enum Run {
    /// The fault fired: the state after it and after the restart.
    Faulted(String, String),
    /// The execution ended before its fault (after `calls` calls, fewer
    /// than planned: the rollout polls vary from run to run), so the run
    /// was a clean one and tested nothing.
    Missed { calls: u64, why: String },
}

/// One faulted run on a world whose clean execute makes about `n` calls;
/// `Err` names the broken invariant.
async fn run_case(c: Case, n: u64) -> Result<Run, String> {
    let (model, version, _) = SCENARIOS[c.scenario];
    let (l, id, before) = world(c.scenario).await;
    let svc = l.service("runner");
    l.act_as("carol").await;
    let offset = ((c.position * n as f64) as u64).min(n.saturating_sub(1));
    let plan = FaultPlan {
        at: l.ports.calls() + offset,
        mode: c.mode,
        timing: c.timing,
    };
    let start = l.ports.calls();
    l.ports.arm(Some(plan));
    let first = svc.execute(&id, ExecuteOptions::default()).await;
    l.ports.arm(None);
    if let Err(why) = l.ports.check_fired(plan) {
        let why = format!("{why} (a clean run made {n} calls; offset {offset})");
        if l.ports.fired().is_some() {
            return Err(why);
        }
        return Ok(Run::Missed {
            calls: l.ports.calls() - start,
            why,
        });
    }
    let check = |stage: &str, state: PromotionState, now: &Snapshot| -> Result<(), String> {
        let ok = match state {
            PromotionState::Promoted => now.all_on(version),
            PromotionState::RolledBack | PromotionState::Approved | PromotionState::Requested => {
                now.versions() == before.versions()
            }
            PromotionState::Executing => true,
            other => return Err(format!("{stage}: unexpected state {other:?}")),
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{stage}: shown {state:?} but MLflow/API server hold {:?} (before {:?})",
                now.versions(),
                before.versions()
            ))
        }
    };
    let after_fault = svc
        .status(&id)
        .await
        .map_err(|e| format!("status after fault: {e}"))?
        .promotion
        .state;
    if after_fault != PromotionState::Executing {
        l.settle(model).await;
    }
    check("after the fault", after_fault, &l.snapshot(model).await)?;
    match (&first, after_fault) {
        (Ok(r), s) if r.state != PromotionState::Promoted || s != PromotionState::Promoted => {
            return Err(format!("execute said {:?} but status says {s:?}", r.state));
        }
        (Err(e), PromotionState::Promoted) => {
            return Err(format!("execute failed ({e}) but status says Promoted"));
        }
        _ => {}
    }
    svc.journal()
        .verify()
        .map_err(|e| format!("journal after fault: {e}"))?;
    drop(svc);
    // Restart: a new process (same runner identity and journal) on healthy backends.
    let svc = l.service("runner");
    let mut restart = None;
    if matches!(
        after_fault,
        PromotionState::Executing | PromotionState::Approved
    ) {
        l.act_as("carol").await;
        restart = Some(
            svc.execute(
                &id,
                ExecuteOptions {
                    confirm_inconclusive: true,
                    ..ExecuteOptions::default()
                },
            )
            .await,
        );
    }
    let after_restart = svc
        .status(&id)
        .await
        .map_err(|e| format!("status after restart: {e}"))?
        .promotion
        .state;
    if !matches!(
        after_restart,
        PromotionState::Promoted | PromotionState::RolledBack
    ) {
        return Err(format!(
            "after restart still {after_restart:?} (first execute: {:?}; restart: {:?})",
            first.as_ref().map(|r| r.state).map_err(|e| e.to_string()),
            restart.map(|r| r.map(|r| r.state).map_err(|e| e.to_string()))
        ));
    }
    l.settle(model).await;
    check("after restart", after_restart, &l.snapshot(model).await)?;
    if c.scenario == 1 && after_restart == PromotionState::Promoted {
        return Err("a version that never starts was promoted".into());
    }
    svc.journal()
        .verify()
        .map_err(|e| format!("journal after restart: {e}"))?;
    Ok(Run::Faulted(
        format!("{after_fault:?}"),
        format!("{after_restart:?}"),
    ))
}

/// Attempts per run: an attempt whose execution ended before its fault
/// (see [`Run::Missed`]) is replayed with `calls` lowered to the count
/// that attempt made, and does not count as a run.
const ATTEMPTS: usize = 5;

/// Runs `c` until its fault fires (at most [`ATTEMPTS`] times), lowering
/// `calls[c.scenario]` to the fewest calls an execution was seen to make
/// and counting the replays in `replayed`.
async fn run_fired(
    c: Case,
    calls: &mut [u64],
    replayed: &mut usize,
) -> Result<(String, String), String> {
    let mut missed = Vec::new();
    for _ in 0..ATTEMPTS {
        match run_case(c, calls[c.scenario]).await? {
            Run::Faulted(a, b) => return Ok((a, b)),
            Run::Missed { calls: m, why } => {
                println!("  {c:?}: {why}; this execution made {m} calls: replayed");
                calls[c.scenario] = calls[c.scenario].min(m);
                *replayed += 1;
                missed.push(why);
            }
        }
    }
    Err(format!(
        "the injected fault never fired in {ATTEMPTS} attempts: {}",
        missed.join("; ")
    ))
}

/// `MODELDECK_LIVE_FAULT_RUNS`: a positive run count, 10 when unset.
/// Anything else is a usage error (0 would run nothing and pass).
fn runs_budget() -> usize {
    const VAR: &str = "MODELDECK_LIVE_FAULT_RUNS";
    match std::env::var(VAR) {
        Err(std::env::VarError::NotPresent) => 10,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => panic!(
                "usage error: {VAR}={v:?} is not a positive integer; set it to the number of \
                 randomized faulted runs (at least 1), or unset it for the default of 10"
            ),
        },
        Err(e) => panic!("usage error: {VAR}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomized_faulted_executions_on_real_backends_end_consistent() {
    let runs = runs_budget();
    let t0 = Instant::now();
    let mut calls = Vec::new();
    for (s, (model, _, _)) in SCENARIOS.iter().enumerate() {
        let (n, secs) = clean(s).await;
        println!("clean execute of {model}: {n} port calls, {secs:.2} s");
        calls.push(n);
    }
    // MODELDECK_LIVE_FAULT_CASE="scenario,position,once|from,before|after"
    // replays one case (a failure prints its case).
    if let Ok(spec) = std::env::var("MODELDECK_LIVE_FAULT_CASE") {
        let f: Vec<&str> = spec.split(',').collect();
        let c = Case {
            scenario: f[0].parse().unwrap(),
            position: f[1].parse().unwrap(),
            mode: if f[2] == "from" {
                FaultMode::From
            } else {
                FaultMode::Once
            },
            timing: if f[3] == "after" {
                FaultTiming::After
            } else {
                FaultTiming::Before
            },
        };
        let r = match run_case(c, calls[c.scenario]).await {
            Ok(Run::Faulted(a, b)) => Ok((a, b)),
            Ok(Run::Missed { why, .. }) => Err(why),
            Err(e) => Err(e),
        };
        println!("replayed {c:?}: {r:?}");
        r.unwrap();
        return;
    }
    let mut rng = Lcg(0x5eed_2026 ^ std::process::id() as u64);
    let mut paths: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut faults_at = Vec::new();
    let mut replayed = 0;
    for i in 0..runs {
        let c = Case {
            scenario: i % SCENARIOS.len(),
            position: (rng.next() % 10_000) as f64 / 10_000.0,
            mode: if rng.next().is_multiple_of(2) {
                FaultMode::From
            } else {
                FaultMode::Once
            },
            timing: if rng.next().is_multiple_of(2) {
                FaultTiming::Before
            } else {
                FaultTiming::After
            },
        };
        faults_at.push(c.position);
        match run_fired(c, &mut calls, &mut replayed).await {
            Ok((a, b)) => {
                *paths
                    .entry((SCENARIOS[c.scenario].0.to_string(), a, b))
                    .or_default() += 1;
            }
            Err(e) => panic!("run {i} ({c:?}): {e}"),
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "live faults: {runs} runs in {secs:.1} s ({:.2} s per run), every fault fired, all consistent",
        secs / runs as f64
    );
    for ((m, a, b), n) in &paths {
        println!("  {n:>3} x {m}: after fault {a} -> after restart {b}");
    }
    println!(
        "  {replayed} attempt(s) replayed: their execution ended before the fault \
         (fewer rollout polls than the clean run)"
    );
    assert_eq!(paths.values().sum::<usize>(), runs);
}

/// Sleeps for real; the first bake (a pause of exactly `bake`) runs `hook`.
struct BakeHook {
    bake: std::time::Duration,
    fired: std::sync::atomic::AtomicBool,
    hook: Box<dyn Fn() + Send + Sync>,
}

#[async_trait::async_trait]
impl modeldeck_promotion::service::Pause for BakeHook {
    async fn pause(&self, d: std::time::Duration) {
        if d == self.bake && !self.fired.swap(true, std::sync::atomic::Ordering::SeqCst) {
            (self.hook)();
        }
        tokio::time::sleep(d).await;
    }
}

/// A backend down for 30 s from the first canary bake of an execution
/// (a real outage: the TCP proxy in front of it drops every connection and
/// refuses new ones). While it lasts the promotion never shows as done;
/// once it is back, a restarted execution ends it consistent.
async fn backend_down_for_30_s(backend: &str) {
    let l = Live::start_with(&["recsys-ranker"], true).await;
    l.settle("recsys-ranker").await;
    let before = l.snapshot("recsys-ranker").await;
    let bake = live::live_policies()
        .for_model(&l.model("recsys-ranker"))
        .bake
        .0;
    let cutter = l.proxies[backend].cutter();
    let cut_at = std::sync::Arc::new(std::sync::Mutex::new(None::<Instant>));
    let at = cut_at.clone();
    let svc = l
        .service("runner")
        .with_pause(std::sync::Arc::new(BakeHook {
            bake,
            fired: Default::default(),
            hook: Box::new(move || {
                cutter.set_down(true);
                *at.lock().unwrap() = Some(Instant::now());
            }),
        }));
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    l.act_as("carol").await;
    let first = svc.execute(&id, ExecuteOptions::default()).await;
    let cut = cut_at
        .lock()
        .unwrap()
        .expect("the outage started at the first bake");
    let err = first.expect_err("an execution that lost a backend mid-way does not succeed");
    println!("{backend} down: execute -> {}: {err}", err.code());
    // While it is down: never shown as done (unreadable, or in progress).
    match svc.status(&id).await {
        Ok(st) => assert!(
            matches!(
                st.promotion.state,
                PromotionState::Executing | PromotionState::RolledBack
            ),
            "during the outage: {:?}",
            st.promotion.state
        ),
        Err(e) => println!("{backend} down: status unreadable: {e}"),
    }
    let left = std::time::Duration::from_secs(30).saturating_sub(cut.elapsed());
    tokio::time::sleep(left).await;
    l.proxies[backend].set_down(false);
    println!("{backend} back after {:?}", cut.elapsed());
    // Restart on healthy backends.
    let svc = l.service("runner");
    l.act_as("carol").await;
    let again = svc
        .execute(
            &id,
            ExecuteOptions {
                confirm_inconclusive: true,
                ..ExecuteOptions::default()
            },
        )
        .await;
    let state = svc.status(&id).await.unwrap().promotion.state;
    println!(
        "{backend} back: restart -> {:?}, state {state:?}",
        again.as_ref().map(|r| r.state).map_err(|e| e.code())
    );
    l.settle("recsys-ranker").await;
    let now = l.snapshot("recsys-ranker").await;
    match state {
        PromotionState::Promoted => assert!(now.all_on("8"), "{now:?}"),
        PromotionState::RolledBack => {
            assert_eq!(now.versions(), before.versions());
            for (t, (_, uid, spec)) in &before.targets {
                assert_eq!((&now.targets[t].1, &now.targets[t].2), (uid, spec), "{t}");
            }
        }
        other => panic!("after the outage and a restart: {other:?}"),
    }
    let outcome = tags::collect(&l.tags("recsys-ranker", "8").await)[&id]
        .outcome
        .clone()
        .unwrap();
    assert_eq!(outcome.state, state);
    svc.journal().verify().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inference_services_api_server_down_for_30_s_mid_canary() {
    backend_down_for_30_s("prod-us").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mlflow_down_for_30_s_mid_canary() {
    backend_down_for_30_s("mlflow").await;
}
