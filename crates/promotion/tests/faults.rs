//! Test 2: faults injected at every step boundary of an execution (every
//! port call it makes), as transient errors, lost replies (the call took
//! effect, the caller saw an error) and crashes (every call from then on
//! fails), then a restart on healthy backends. Whatever happens, the world
//! ends all-new (Promoted) or all-old (RolledBack); a state in between is
//! never shown as done, and the journal always verifies. Every run checks
//! that its fault fired (the sandbox is deterministic, so a position
//! within a clean run's calls is always reached).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::faulty::{FaultMode, FaultPlan, FaultTiming};
use common::flows::*;
use common::world::World;
use modeldeck_core::domain::PromotionState;
use modeldeck_promotion::ExecuteOptions;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// (model, candidate, champion): a clean run promotes the first two and
/// compensates the third (its pods never get ready).
const SCENARIOS: [(&str, &str, &str); 3] = [
    ("recsys-ranker", "8", "7"),
    ("search-ranker", "6", "5"),
    ("spam-filter", "7", "6"),
];
const SEEDS: [u64; 3] = [42, 7, 2026];

#[derive(Debug, Clone, Copy)]
struct Case {
    scenario: usize,
    seed: u64,
    /// Where the fault lands, as a fraction of the calls a clean run makes.
    position: f64,
    mode: FaultMode,
    timing: FaultTiming,
}

/// Port calls a clean execute of `scenario` makes on `seed`'s world.
fn clean_calls(scenario: usize, seed: u64) -> u64 {
    static CACHE: Mutex<Option<HashMap<(usize, u64), u64>>> = Mutex::new(None);
    if let Some(n) = CACHE
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .get(&(scenario, seed))
    {
        return *n;
    }
    let n = runtime().block_on(async {
        let (model, version, _) = SCENARIOS[scenario];
        let w = World::demo(seed);
        let svc = w.service("runner");
        let id = request(&w, &svc, "alice", model, version).await;
        approve(&w, &svc, &id, &["bob"]).await;
        w.act_as("carol");
        let start = w.ports.calls();
        let _ = svc.execute(&id, ExecuteOptions::default()).await;
        w.ports.calls() - start
    });
    CACHE
        .lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .insert((scenario, seed), n);
    n
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// What one faulted run went through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Path {
    after_fault: String,
    after_restart: String,
}

/// Runs one case; `Err` describes a broken invariant.
async fn run_case(c: Case, n: u64, at_offset: Option<u64>) -> Result<Path, String> {
    let (model, version, champion) = SCENARIOS[c.scenario];
    let w = World::demo(c.seed);
    let svc = w.service("runner");
    let id = request(&w, &svc, "alice", model, version).await;
    approve(&w, &svc, &id, &["bob"]).await;
    let before = served(&w, model, "champion").await;
    if before.alias.as_deref() != Some(champion) {
        return Err(format!("world not as expected: {before:?}"));
    }
    let offset = at_offset.unwrap_or(((c.position * n as f64) as u64).min(n.saturating_sub(1)));
    w.act_as("carol");
    let plan = FaultPlan {
        at: w.ports.calls() + offset,
        mode: c.mode,
        timing: c.timing,
    };
    w.ports.arm(Some(plan));
    let first = svc.execute(&id, ExecuteOptions::default()).await;
    w.ports.arm(None);
    // A run whose fault never fired is a clean run: it tested nothing.
    w.ports
        .check_fired(plan)
        .map_err(|e| format!("{e} (a clean run makes {n} calls; offset {offset})"))?;

    let check = |stage: &str, state: PromotionState, now: &Served| -> Result<(), String> {
        let ok = match state {
            PromotionState::Promoted => all_on(now, version),
            PromotionState::RolledBack | PromotionState::Approved | PromotionState::Requested => {
                now.alias == before.alias && now.targets == before.targets
            }
            PromotionState::Executing => true,
            other => return Err(format!("{stage}: unexpected state {other:?}")),
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{stage}: shown {state:?} but the world is {now:?} (before: {before:?})"
            ))
        }
    };
    let after_fault = svc
        .status(&id)
        .await
        .map_err(|e| format!("status after fault: {e}"))?
        .promotion
        .state;
    check(
        "after the fault",
        after_fault,
        &served(&w, model, "champion").await,
    )?;
    match (&first, after_fault) {
        (Ok(r), s) if r.state != PromotionState::Promoted || s != PromotionState::Promoted => {
            return Err(format!("execute said {:?} but status says {s:?}", r.state));
        }
        (Err(e), PromotionState::Promoted) => {
            return Err(format!("execute failed ({e}) but status says Promoted"));
        }
        _ => {}
    }
    let listed = svc.list(Some(model)).await.map_err(|e| e.to_string())?;
    let shown = listed
        .iter()
        .find(|s| s.promotion.id == id)
        .map(|s| s.promotion.state);
    if shown != Some(after_fault) {
        return Err(format!("list shows {shown:?}, status {after_fault:?}"));
    }
    svc.journal()
        .verify()
        .map_err(|e| format!("journal after fault: {e}"))?;
    drop(svc);

    // Restart: a new process (same runner identity, same journal file) on
    // healthy backends picks up whatever is unfinished.
    let svc = w.service("runner");
    if matches!(
        after_fault,
        PromotionState::Executing | PromotionState::Approved
    ) {
        w.act_as("carol");
        let _ = svc
            .execute(
                &id,
                ExecuteOptions {
                    confirm_inconclusive: true,
                    ..ExecuteOptions::default()
                },
            )
            .await;
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
        return Err(format!("after restart still {after_restart:?}"));
    }
    let now = served(&w, model, "champion").await;
    check("after restart", after_restart, &now)?;
    if c.scenario == 2 && after_restart == PromotionState::Promoted {
        return Err("a version that never gets ready was promoted".into());
    }
    svc.journal()
        .verify()
        .map_err(|e| format!("journal after restart: {e}"))?;
    Ok(Path {
        after_fault: format!("{after_fault:?}"),
        after_restart: format!("{after_restart:?}"),
    })
}

fn summarize(label: &str, paths: &BTreeMap<Path, usize>) {
    let total: usize = paths.values().sum();
    println!("{label}: {total} runs, every fault fired, all consistent");
    for (p, n) in paths {
        println!(
            "  {n:>4} x after fault {} -> after restart {}",
            p.after_fault, p.after_restart
        );
    }
}

#[test]
fn two_hundred_randomized_faulted_executions_end_consistent() {
    let paths: Mutex<BTreeMap<Path, usize>> = Mutex::new(BTreeMap::new());
    let strategy = (
        0..SCENARIOS.len(),
        0..SEEDS.len(),
        0.0..1.0f64,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(s, seed, position, crash, after)| Case {
            scenario: s,
            seed: SEEDS[seed],
            position,
            mode: if crash {
                FaultMode::From
            } else {
                FaultMode::Once
            },
            timing: if after {
                FaultTiming::After
            } else {
                FaultTiming::Before
            },
        });
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |c| {
        let n = clean_calls(c.scenario, c.seed);
        let path = runtime()
            .block_on(run_case(c, n, None))
            .map_err(TestCaseError::fail)?;
        *paths.lock().unwrap().entry(path).or_default() += 1;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    summarize("randomized", &paths.lock().unwrap());
}

#[test]
fn a_fault_at_every_single_call_of_an_execution_ends_consistent() {
    let mut paths = BTreeMap::new();
    let n = clean_calls(0, 42);
    for mode in [FaultMode::From, FaultMode::Once] {
        for timing in [FaultTiming::Before, FaultTiming::After] {
            for at in 0..n {
                let c = Case {
                    scenario: 0,
                    seed: 42,
                    position: 0.0,
                    mode,
                    timing,
                };
                match runtime().block_on(run_case(c, n, Some(at))) {
                    Ok(p) => *paths.entry(p).or_default() += 1,
                    Err(e) => panic!("{mode:?}/{timing:?} fault at call {at} of {n}: {e}"),
                }
            }
        }
    }
    summarize(&format!("every call ({n} calls x 4 fault kinds)"), &paths);
}
