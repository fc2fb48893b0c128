//! The Fleet keeps its rows (and its context/namespace claims) between
//! snapshots and only brings the health up to date when the workloads did
//! not change. Whatever changed, a refreshed screen must read exactly as
//! the same snapshot drawn by a fresh app.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, fixture};
use modeldeck_core::Snapshot;
use modeldeck_core::domain::{Health, RolloutState, Timestamp};
use modeldeck_tui::Action;
use std::sync::Arc;

fn fresh(snap: &Snapshot, w: u16, h: u16) -> String {
    Harness::new(snap.clone(), w, h).draw()
}

/// Draws `first`, then `next` as a refresh, and compares with a fresh
/// app's drawing of `next`.
fn refresh_reads_as_fresh(first: &Snapshot, next: &Snapshot, what: &str) -> String {
    let mut out = String::new();
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let mut t = Harness::new(first.clone(), w, h);
        t.draw();
        t.act(Action::Snapshot(Arc::new(next.clone())));
        // The app's clock comes from ticks; a fresh app starts at the snapshot's.
        t.act(Action::Tick(next.at));
        let refreshed = t.draw();
        assert_eq!(refreshed, fresh(next, w, h), "{what} at {w}x{h}");
        out = refreshed;
    }
    out
}

fn with_health(snap: &Snapshot, f: impl Fn(&mut Health)) -> Snapshot {
    let health = snap
        .health
        .iter()
        .map(|(id, h)| {
            let mut h = h.clone();
            f(&mut h);
            (id.clone(), h)
        })
        .collect();
    Snapshot {
        generation: snap.generation + 1,
        health: Arc::new(health),
        ..snap.clone()
    }
}

#[test]
fn new_metrics_only() {
    let first = fixture::ready();
    let next = with_health(&first, |h| {
        h.request_rate = h.request_rate.map(|r| r * 3.0 + 1.0);
        h.latency_p99 = h.latency_p99.map(|p| p * 2.0);
        h.drift_max = Some(0.3);
    });
    let screen = refresh_reads_as_fresh(&first, &next, "new metrics");
    assert_ne!(
        screen,
        fresh(&first, 200, 50),
        "the refresh showed the old numbers"
    );
}

#[test]
fn a_rollout_and_the_clock_moved() {
    let first = fixture::ready();
    let mut ws = (*first.workloads).clone();
    ws[0].rollout = RolloutState::Progressing {
        updated: 1,
        desired: 3,
    };
    ws[1].served_version = Some("99".into());
    // Same identities, a wider model column: its width is measured again.
    ws[2].model = Some("a-model-whose-name-is-longer-than-any".into());
    let next = Snapshot {
        workloads: Arc::new(ws),
        at: Timestamp(first.at.0 + 86_400_000),
        ..with_health(&first, |h| h.error_ratio = Some(0.5))
    };
    refresh_reads_as_fresh(&first, &next, "a rollout");
}

#[test]
fn a_workload_renamed_in_place_redoes_the_identity_columns() {
    let first = fixture::ready();
    // Give every workload a name of its own: no two rows share a name, so
    // the context column may go; then back, so it must come again.
    let mut ws = (*first.workloads).clone();
    for (i, w) in ws.iter_mut().enumerate() {
        w.id.name = format!("{}-{i}", w.id.name);
    }
    ws.sort_by(|a, b| a.id.cmp(&b.id));
    let unique = Snapshot {
        workloads: Arc::new(ws),
        ..first.clone()
    };
    let a = refresh_reads_as_fresh(&first, &unique, "names made unique");
    let b = refresh_reads_as_fresh(&unique, &first, "names shared again");
    assert_ne!(a, b);
}

#[test]
fn a_workload_added_and_one_removed() {
    let first = fixture::ready();
    let mut ws = (*first.workloads).clone();
    let mut extra = ws[0].clone();
    // After the first row, where the cursor stays (it follows its workload).
    extra.id.name = "zzz-new-scorer".into();
    ws.push(extra);
    ws.sort_by(|a, b| a.id.cmp(&b.id));
    let grown = Snapshot {
        workloads: Arc::new(ws.clone()),
        ..first.clone()
    };
    refresh_reads_as_fresh(&first, &grown, "a workload added");
    ws.remove(3);
    let shrunk = Snapshot {
        workloads: Arc::new(ws),
        ..first.clone()
    };
    refresh_reads_as_fresh(&grown, &shrunk, "a workload removed");
}

/// A metrics refresh keeps the workloads (the same `Arc`), so the Fleet
/// keeps the widths of the columns that move only with them; the clock
/// moving on changes a CronJob's rollout detail ("10m ago" to "1d ago",
/// then a missed run), so that column must be measured again, wider and
/// narrower.
#[test]
fn a_metrics_refresh_as_the_clock_moves_measures_the_rollout_column_again() {
    use modeldeck_core::domain::{BatchRun, BatchStatus, RunOutcome, WorkloadKind};
    let mut first = fixture::ready();
    let mut ws = (*first.workloads).clone();
    let cron = ws
        .iter()
        .position(|w| w.id.kind == WorkloadKind::CronJob)
        .unwrap();
    let ran = first.at.plus_millis(-10 * 60_000);
    ws[cron].batch = Some(BatchStatus {
        schedule: format!(
            "{} {} * * *",
            (ran.0 / 60_000) % 60,
            (ran.0 / 3_600_000) % 24
        ),
        last_schedule: Some(ran),
        last_success: Some(ran.plus_millis(60_000)),
        runs: vec![BatchRun {
            job: "fraud-batch-nightly-1".into(),
            start: ran,
            end: Some(ran.plus_millis(60_000)),
            outcome: RunOutcome::Succeeded,
            version: Some("5".into()),
            rows: None,
        }],
        ..BatchStatus::default()
    });
    first.workloads = Arc::new(ws);
    let mut prev = first.clone();
    let mut screens = Vec::new();
    for minutes in [1, 60 * 24 + 2, 60 * 24 + 10, 3] {
        let next = Snapshot {
            at: first.at.plus_millis(minutes * 60_000),
            ..with_health(&prev, |h| h.request_rate = h.request_rate.map(|r| r + 1.0))
        };
        assert!(Arc::ptr_eq(&next.workloads, &first.workloads));
        screens.push(refresh_reads_as_fresh(
            &prev,
            &next,
            &format!("+{minutes}m"),
        ));
        prev = next;
    }
    assert!(
        screens.iter().any(|s| s.contains("Missed"))
            && screens.iter().any(|s| !s.contains("Missed")),
        "the clock moved the CronJob's verdict:\n{}",
        screens.join("\n")
    );
}
