//! A refresh keeps an unchanged CronJob's view while the clock stays inside
//! its validity: whatever the schedule, runs, suspension and clock steps
//! (forward, backward, across hours, days and the strip's week), the rows
//! must be exactly what a rebuild at the new clock gives.

use super::test_support::status;
use super::*;
use crate::domain::{BatchRun, BatchStatus, RunOutcome};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// The clock the runs are laid around (a Monday, 2026-11-30T10:17:00Z).
const T0: i64 = 1_796_033_820_000;

/// (start offset from T0, minutes it ran or `None` while running, failed)
type RunSpec = (i64, Option<i64>, bool);

/// A CronJob's spec: schedule, time zone, suspended, a run active, its
/// runs, days since it was created, and whether its last schedule is two
/// days older than its newest run (a run the controller never started).
type JobSpec = (
    &'static str,
    Option<&'static str>,
    bool,
    bool,
    Vec<RunSpec>,
    i64,
    bool,
);

fn cronjob(i: usize, spec: &JobSpec) -> Workload {
    let (schedule, tz, suspended, active, runs, created_days, stale) = spec;
    let (suspended, active) = (*suspended, *active);
    let runs: Vec<BatchRun> = runs
        .iter()
        .enumerate()
        .map(|(k, &(at, minutes, failed))| BatchRun {
            job: format!("job-{i}-{k}"),
            start: Timestamp(T0 + at),
            end: minutes.map(|m| Timestamp(T0 + at + m * MIN)),
            outcome: match (minutes, failed) {
                (None, _) => RunOutcome::Running,
                (Some(_), true) => RunOutcome::Failed,
                (Some(_), false) => RunOutcome::Succeeded,
            },
            version: Some(format!("{}", 1 + k % 3)),
            rows: None,
        })
        .collect();
    let last = runs
        .iter()
        .map(|r| r.start)
        .max()
        .map(|t| if *stale { t.plus_millis(-2 * DAY) } else { t });
    let last_ok = runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Succeeded)
        .map(|r| r.start)
        .max();
    Workload {
        id: WorkloadRef {
            cluster: "prod".into(),
            namespace: "batch".into(),
            kind: WorkloadKind::CronJob,
            name: format!("score-{i:03}"),
        },
        uid: format!("uid-{i}"),
        resource_version: "1".into(),
        model: None,
        served_version: None,
        canary: None,
        ready_replicas: 0,
        desired_replicas: 0,
        rollout: crate::domain::RolloutState::Available,
        labels: Arc::default(),
        created_at: Timestamp(T0 - created_days * DAY - 7 * MIN),
        batch: Some(BatchStatus {
            schedule: (*schedule).into(),
            time_zone: tz.map(Into::into),
            suspended,
            active: u32::from(active),
            last_schedule: last,
            last_success: last_ok,
            runs,
        }),
    }
}

/// `scored`: rows scored for every `1 + k % 3`th run, values moving with
/// `k`, or none.
fn snapshot(ws: Vec<Workload>, at: i64, scored: Option<u8>) -> Snapshot {
    let batch_rows = match scored {
        Some(k) => ws
            .iter()
            .filter_map(|w| {
                let b = w.batch.as_ref()?;
                let rows = b
                    .runs
                    .iter()
                    .step_by(1 + usize::from(k % 3))
                    .map(|r| (r.job.clone(), (r.start.0 % 1000 + i64::from(k)) as f64))
                    .collect();
                Some((w.id.clone(), rows))
            })
            .collect(),
        None => BTreeMap::new(),
    };
    Snapshot {
        generation: 1,
        profile: "test".into(),
        sandbox: false,
        clusters: vec!["prod".into()],
        workloads: Arc::new(ws),
        models: Arc::new(Vec::new()),
        health: Arc::new(BTreeMap::new()),
        cluster: status(),
        registry: status(),
        metrics: status(),
        drift_warn: 0.1,
        drift_alert: 0.25,
        lag: Default::default(),
        batch_rows: Arc::new(batch_rows),
        at: Timestamp(at),
    }
}

fn schedule() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "0 * * * *",
        "*/5 * * * *",
        "30 2 * * *",
        "0 3 * * 1",
        "17 10 30 11 *",
        "0 0 30 2 *",
        "not a schedule",
    ])
}

fn run_spec() -> impl Strategy<Value = RunSpec> {
    (
        -9 * DAY..2 * HOUR,
        prop::option::weighted(0.8, 0i64..600),
        any::<bool>(),
    )
}

fn job() -> impl Strategy<Value = JobSpec> {
    (
        schedule(),
        prop::sample::select(vec![None, None, Some("UTC"), Some("Europe/Paris")]),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::collection::vec(run_spec(), 0..24),
        prop::sample::select(vec![0i64, 1, 3, 30]),
        prop::bool::weighted(0.2),
    )
}

/// A change to one CronJob between two refreshes: a new run starting a
/// minute before the clock (still running), suspended toggled, or a run
/// active toggled.
fn change(ws: &mut [Workload], (which, what): (usize, u8), at: i64) {
    let w = &mut ws[which % ws.len()];
    let Some(b) = w.batch.as_mut() else { return };
    match what % 3 {
        0 => {
            b.runs.push(BatchRun {
                job: format!("{}-new-{at}", w.id.name),
                start: Timestamp(at - MIN),
                end: None,
                outcome: RunOutcome::Running,
                version: None,
                rows: None,
            });
            b.last_schedule = Some(Timestamp(at - MIN));
        }
        1 => b.suspended = !b.suspended,
        _ => b.active = 1 - b.active.min(1),
    }
}

/// Clock steps, from a second to past the strip's week, and backwards.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => prop::sample::select(vec![1_000, 10_000, 59_000, 5 * MIN, HOUR, DAY, 7 * DAY, -10_000, -HOUR]),
        2 => 0i64..3 * HOUR,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn kept_views_match_a_rebuild_at_every_clock(
        jobs in prop::collection::vec(job(), 1..12),
        steps in prop::collection::vec(
            (
                step(),
                prop::option::of(any::<u8>()),
                any::<bool>(),
                prop::option::weighted(0.2, (any::<usize>(), any::<u8>())),
            ),
            1..16,
        ),
    ) {
        let mut ws: Vec<Workload> = jobs.iter().enumerate().map(|(i, j)| cronjob(i, j)).collect();
        let mut at = T0;
        let mut old = snapshot(ws.clone(), at, None);
        let mut rows = fleet_rows(&old);
        for (k, (dt, scored, relisted, changed)) in steps.iter().enumerate() {
            at += dt;
            if let Some(c) = changed {
                change(&mut ws, *c, at);
            }
            // The workloads behind a new Arc, as a cluster refresh brings
            // them, or (unchanged) the same Arc, as a metrics refresh keeps it.
            let mut new = snapshot(ws.clone(), at, *scored);
            if !relisted && changed.is_none() {
                new.workloads = old.workloads.clone();
            }
            refresh_rows(&mut rows, &old.workloads, &old.models, &new);
            prop_assert_eq!(&rows, &fleet_rows(&new), "step {} (+{} ms)", k, dt);
            old = new;
        }
    }
}

/// The cache is used: a second's step keeps every view that holds, and
/// the runs are then not judged again (their strings are the same
/// allocation), while an hour's step past a run's start judges again.
#[test]
fn a_views_kept_within_its_validity_and_judged_again_past_it() {
    let ws = vec![cronjob(
        0,
        &(
            "0 * * * *",
            None,
            false,
            false,
            vec![
                (-2 * HOUR, Some(5), false),
                (-HOUR, Some(5), false),
                (30 * MIN, Some(5), false),
            ],
            30,
            false,
        ),
    )];
    let old = snapshot(ws.clone(), T0, None);
    let mut rows = fleet_rows(&old);
    let runs_at = |rows: &[FleetRow]| rows[0].batch.as_ref().unwrap().runs.as_ptr();
    let before = runs_at(&rows);
    let new = snapshot(ws.clone(), T0 + 1_000, None);
    refresh_rows(&mut rows, &old.workloads, &old.models, &new);
    assert_eq!(rows, fleet_rows(&new));
    assert_eq!(runs_at(&rows), before, "kept, not judged again");
    let view = rows[0].batch.as_ref().unwrap();
    assert!(view.validity.holds_at(Timestamp(T0 + 1_000)));
    // The next hour's run is due at 11:00 (43 minutes on); the run at
    // +30 min enters the strip before that.
    assert!(!view.validity.holds_at(Timestamp(T0 + 30 * MIN)));
    assert!(view.validity.holds_at(Timestamp(T0 + 30 * MIN - 1)));
    let later = snapshot(ws, T0 + 31 * MIN, None);
    refresh_rows(&mut rows, &new.workloads, &new.models, &later);
    assert_eq!(rows, fleet_rows(&later));
    assert_eq!(rows[0].batch.as_ref().unwrap().runs.len(), 3);
}
