//! The Fleet table as data: every workload joined with its model's aliases
//! and its live health. The TUI, the CLI and the desktop app all render
//! these rows, so the screen and `modeldeck status --output json` agree.

use crate::console::Snapshot;
use crate::domain::{
    DriftStatus, Health, RegisteredModel, Timestamp, Workload, WorkloadKind, WorkloadRef,
};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// One row of the Fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FleetRow {
    /// Cluster (context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Workload name.
    pub name: String,
    /// Kind.
    pub kind: WorkloadKind,
    /// Registered model.
    pub model: Option<String>,
    /// Served version.
    pub version: Option<String>,
    /// Registry aliases on the served version.
    pub aliases: Vec<String>,
    /// Ready replicas.
    pub ready: u32,
    /// Desired replicas.
    pub desired: u32,
    /// Rollout state label (`Available`, `Progressing`...).
    pub rollout: String,
    /// Rollout detail (`3/5 updated`, a degradation reason).
    pub rollout_detail: Option<String>,
    /// Requests per second.
    pub rps: Option<f64>,
    /// p99 latency in milliseconds.
    pub p99_ms: Option<f64>,
    /// Error rate in percent.
    pub error_pct: Option<f64>,
    /// Highest feature PSI.
    pub drift_psi: Option<f64>,
    /// Drift verdict.
    pub drift: DriftStatus,
    /// Creation time.
    pub created_at: Timestamp,
    /// Object labels (used by `label=value` filters), shared with the workload.
    pub labels: crate::domain::Labels,
    /// A batch workload's last run, next run and verdict (CronJobs only);
    /// `rollout` and `rollout_detail` then say the same in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<crate::domain::BatchView>,
    /// A stream consumer's lag, trend and verdict (stream consumers with
    /// lag series only; the lag history is left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<crate::domain::StreamLag>,
}

impl FleetRow {
    /// The workload this row shows.
    pub fn workload_ref(&self) -> WorkloadRef {
        WorkloadRef {
            cluster: self.cluster.clone(),
            namespace: self.namespace.clone(),
            kind: self.kind,
            name: self.name.clone(),
        }
    }
}

/// Sortable Fleet columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FleetColumn {
    /// Cluster.
    Cluster,
    /// Namespace.
    Namespace,
    /// Name.
    Name,
    /// Kind.
    Kind,
    /// Model.
    Model,
    /// Version (numeric).
    Version,
    /// Ready replicas.
    Ready,
    /// Rollout state.
    Rollout,
    /// Request rate.
    Rps,
    /// p99 latency.
    P99,
    /// Error rate.
    Errors,
    /// Drift.
    Drift,
    /// Consumer lag (stream consumers): verdict first, then seconds behind,
    /// then messages behind.
    Lag,
    /// Age (creation time).
    Age,
}

impl FleetColumn {
    /// All columns in display order.
    pub const ALL: [FleetColumn; 14] = [
        FleetColumn::Cluster,
        FleetColumn::Namespace,
        FleetColumn::Name,
        FleetColumn::Kind,
        FleetColumn::Model,
        FleetColumn::Version,
        FleetColumn::Ready,
        FleetColumn::Rollout,
        FleetColumn::Rps,
        FleetColumn::P99,
        FleetColumn::Errors,
        FleetColumn::Drift,
        FleetColumn::Lag,
        FleetColumn::Age,
    ];

    /// Parses a column name as users type it (`p99`, `errors`, `age`...).
    pub fn parse(s: &str) -> Option<FleetColumn> {
        let s = s.to_ascii_lowercase();
        Some(match s.as_str() {
            "cluster" | "context" | "ctx" => FleetColumn::Cluster,
            "namespace" | "ns" => FleetColumn::Namespace,
            "name" => FleetColumn::Name,
            "kind" => FleetColumn::Kind,
            "model" => FleetColumn::Model,
            "version" | "ver" => FleetColumn::Version,
            "ready" => FleetColumn::Ready,
            "rollout" | "state" => FleetColumn::Rollout,
            "rps" | "traffic" => FleetColumn::Rps,
            "p99" | "latency" => FleetColumn::P99,
            "errors" | "error" | "err" => FleetColumn::Errors,
            "drift" => FleetColumn::Drift,
            "lag" | "consumer_lag" => FleetColumn::Lag,
            "age" => FleetColumn::Age,
            _ => return None,
        })
    }
}

/// Below this many workloads the rows are built on the calling thread.
const PARALLEL_FROM: usize = 20_000;

/// Builds the Fleet rows from a snapshot, in the snapshot's workload order.
///
/// Runs on every refresh, so at 100,000 workloads it matters: the health
/// of each row is found by walking the health map alongside the workloads
/// (both are ordered by [`WorkloadRef`]) instead of a tree search per row,
/// and large fleets are split across the machine's cores. Front ends that
/// keep their rows between snapshots use [`refresh_rows`].
pub fn fleet_rows(snap: &Snapshot) -> Vec<FleetRow> {
    let ws = snap.workloads.as_slice();
    let mut parts = in_parallel(ws.len(), |range| {
        let mut rows = Vec::with_capacity(range.len());
        with_health(snap, &ws[range], |_, w, h| rows.push(row_with(snap, w, h)));
        rows
    });
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut rows = Vec::with_capacity(ws.len());
    for mut part in parts {
        rows.append(&mut part);
    }
    rows
}

/// Brings `rows`, built from `old_workloads` and `old_models`, up to date
/// with `snap`, giving exactly what [`fleet_rows`] gives. When the models
/// are unchanged, a row whose workload is unchanged keeps its strings and
/// only takes the new health (and, for a CronJob, its run times against
/// the new clock, judged again only when that clock leaves the view's
/// [`crate::domain::Validity`]); other rows are rebuilt. A refresh where
/// only the metrics moved, the usual case, then allocates nothing, and
/// when `old_workloads` is `snap`'s own slice (a metrics refresh keeps it)
/// nothing is compared either.
///
/// Says what still holds of what a front end derived from the rows.
pub fn refresh_rows(
    rows: &mut Vec<FleetRow>,
    old_workloads: &[Workload],
    old_models: &[RegisteredModel],
    snap: &Snapshot,
) -> Refreshed {
    let ws = snap.workloads.as_slice();
    if rows.len() != ws.len()
        || old_workloads.len() != ws.len()
        || old_models != snap.models.as_slice()
    {
        *rows = fleet_rows(snap);
        return Refreshed {
            same_ids: false,
            same_workloads: false,
        };
    }
    // The same allocation (a metrics refresh keeps the snapshot's
    // workloads): nothing to compare.
    let same_workloads = std::ptr::eq(old_workloads, ws);
    let chunk = chunk_len(ws.len());
    let pieces = rows
        .chunks_mut(chunk)
        .zip(ws.chunks(chunk))
        .zip(old_workloads.chunks(chunk));
    let refresh = |((rows, ws), old): ((&mut [FleetRow], &[Workload]), &[Workload])| {
        let mut out = Refreshed {
            same_ids: true,
            same_workloads: true,
        };
        with_health(snap, ws, |i, w, h| {
            if same_workloads || old[i] == *w {
                set_health(&mut rows[i], snap, w, h, true);
            } else {
                out.same_ids &= old[i].id == w.id;
                out.same_workloads = false;
                let old_batch = rows[i].batch.take();
                rows[i] = row_reusing(snap, w, h, old_batch);
            }
        });
        out
    };
    let all = Refreshed {
        same_ids: true,
        same_workloads: true,
    };
    if chunk >= ws.len() {
        return pieces.map(refresh).fold(all, Refreshed::and);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .map(|piece| scope.spawn(move || refresh(piece)))
            .collect();
        handles.into_iter().fold(all, |all, h| {
            let part = h
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            all.and(part)
        })
    })
}

/// What still holds after [`refresh_rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Every row still names the workload it named before (same cluster,
    /// namespace, kind and name at the same place), so what a front end
    /// derived from the identities alone still holds.
    pub same_ids: bool,
    /// Every row's workload and the models are unchanged, so only the
    /// health, the drift verdict and a CronJob's times can have moved
    /// (what a front end derived from the rest, such as the width of the
    /// name or version columns, still holds).
    pub same_workloads: bool,
}

impl Refreshed {
    fn and(self, other: Refreshed) -> Refreshed {
        Refreshed {
            same_ids: self.same_ids & other.same_ids,
            same_workloads: self.same_workloads & other.same_workloads,
        }
    }
}

/// How many workloads each thread takes: all of them below
/// [`PARALLEL_FROM`] or on one core.
fn chunk_len(n: usize) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(8));
    if n < PARALLEL_FROM || threads < 2 {
        n.max(1)
    } else {
        n.div_ceil(threads)
    }
}

/// Runs `work` on consecutive ranges of `0..n`, one per thread, and gives
/// the results in order.
fn in_parallel<T: Send>(n: usize, work: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
    let chunk = chunk_len(n);
    if chunk >= n {
        return vec![work(0..n)];
    }
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| scope.spawn(move || work(start..(start + chunk).min(n))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Calls `f(index, workload, health)` for each workload of a run. When the
/// run is ordered by id, as the snapshot keeps it, the health map is walked
/// in step from the first id (one pass, memory read in order); otherwise
/// each workload looks its health up.
fn with_health<'s>(
    snap: &'s Snapshot,
    ws: &[Workload],
    mut f: impl FnMut(usize, &Workload, Option<&'s Health>),
) {
    let Some(first) = ws.first() else {
        return;
    };
    if !ws.is_sorted_by(|a, b| a.id < b.id) {
        for (i, w) in ws.iter().enumerate() {
            f(i, w, snap.health.get(&w.id));
        }
        return;
    }
    let mut health = snap.health.range(&first.id..).peekable();
    for (i, w) in ws.iter().enumerate() {
        while health.next_if(|(id, _)| *id < &w.id).is_some() {}
        let h = health.next_if(|(id, _)| *id == &w.id).map(|(_, h)| h);
        f(i, w, h);
    }
}

/// Builds one Fleet row.
pub fn fleet_row(snap: &Snapshot, w: &Workload) -> FleetRow {
    row_with(snap, w, snap.health.get(&w.id))
}

fn row_with(snap: &Snapshot, w: &Workload, health: Option<&Health>) -> FleetRow {
    row_reusing(snap, w, health, None)
}

/// [`row_with`], handing a previous row's batch view to [`set_health`] so
/// its runs' strings are reused.
fn row_reusing(
    snap: &Snapshot,
    w: &Workload,
    health: Option<&Health>,
    old_batch: Option<crate::domain::BatchView>,
) -> FleetRow {
    let aliases = match (&w.model, &w.served_version) {
        (Some(m), Some(v)) => snap.model(m).map(|rm| rm.aliases_of(v)).unwrap_or_default(),
        _ => Vec::new(),
    };
    let rollout_detail = match &w.rollout {
        crate::domain::RolloutState::Progressing { updated, desired } => {
            Some(format!("{updated}/{desired} updated"))
        }
        crate::domain::RolloutState::Degraded { reason } => Some(reason.clone()),
        _ => w
            .canary
            .as_ref()
            .map(|c| format!("canary v{} {}%", c.version, c.traffic_percent)),
    };
    let mut row = FleetRow {
        cluster: w.id.cluster.clone(),
        namespace: w.id.namespace.clone(),
        name: w.id.name.clone(),
        kind: w.id.kind,
        model: w.model.clone(),
        version: w.served_version.clone(),
        aliases,
        ready: w.ready_replicas,
        desired: w.desired_replicas,
        rollout: w.rollout.label().to_string(),
        rollout_detail,
        rps: None,
        p99_ms: None,
        error_pct: None,
        drift_psi: None,
        drift: DriftStatus::Unknown,
        created_at: w.created_at,
        labels: w.labels.clone(),
        batch: old_batch,
        stream: None,
    };
    set_health(&mut row, snap, w, health, false);
    row
}

/// The parts of a row that move with the snapshot rather than with its
/// workload: the health numbers, the drift verdict, and a CronJob's run
/// times (relative to the snapshot's clock).
///
/// `unchanged`: `w` equals the workload `row` was built from, so a batch
/// view still inside its [`crate::domain::Validity`] is kept.
fn set_health(
    row: &mut FleetRow,
    snap: &Snapshot,
    w: &Workload,
    health: Option<&Health>,
    unchanged: bool,
) {
    row.rps = health.and_then(|h| h.request_rate);
    row.p99_ms = health.and_then(|h| h.latency_p99).map(|s| s * 1000.0);
    row.error_pct = health.and_then(|h| h.error_ratio).map(|r| r * 100.0);
    row.drift_psi = health.and_then(|h| h.drift_max);
    row.drift = DriftStatus::from_psi(row.drift_psi, snap.drift_warn, snap.drift_alert);
    row.stream = match health.and_then(|h| h.stream.as_ref()) {
        Some(s) if w.id.kind == WorkloadKind::StreamConsumer => {
            let applied = snap.lag_thresholds(w);
            Some(crate::domain::StreamLag {
                verdict: s.judge(&applied.thresholds()),
                thresholds: Some(applied),
                history: Vec::new(),
                ..s.clone()
            })
        }
        _ => None,
    };
    if let Some(b) = &w.batch {
        let scored = snap.batch_rows.get(&w.id);
        let mut view = match row.batch.take() {
            // The same CronJob and runs as when its view was judged, and
            // the clock still inside that view's validity: only the rows
            // scored and the words beside the label are new.
            Some(v)
                if unchanged
                    && v.validity.holds_at(snap.at)
                    && (scored.is_some() || !v.validity.overlaid) =>
            {
                v
            }
            old => b.view_reusing(
                w.created_at,
                snap.at,
                old.map(|v| v.runs).unwrap_or_default(),
            ),
        };
        if let Some(rows) = scored {
            for r in &mut view.runs {
                r.rows = rows.get(&r.job).copied();
            }
            view.validity.overlaid = true;
        }
        row.rollout = view.label().to_string();
        // A suspended CronJob that never ran has nothing to say beside its
        // label: no detail rather than an empty one (`Suspended ()`).
        row.rollout_detail = Some(view.detail(snap.at)).filter(|d| !d.is_empty());
        row.batch = Some(view);
    } else {
        row.batch = None;
    }
}

/// How bad a row's rollout (or last batch run, or consumer lag) is, worst
/// first, so sorting by ROLLOUT puts what needs a person on top whatever
/// the kind: a consumer falling behind ranks with a degraded rollout, a
/// growing lag with a missed run.
fn rollout_rank(r: &FleetRow) -> u8 {
    let rollout = match r.rollout.as_str() {
        "Degraded" | "Failed" => 0,
        "Missed" | "Overran" => 1,
        "Progressing" => 2,
        "Paused" | "Suspended" => 3,
        "Running" => 4,
        _ => 5,
    };
    rollout.min(lag_rank(r))
}

/// A consumer's lag verdict as a rank on [`rollout_rank`]'s scale (5: no
/// lag problem, or not a consumer).
fn lag_rank(r: &FleetRow) -> u8 {
    use crate::domain::StreamVerdict;
    match r.stream.as_ref().map(|s| s.verdict) {
        Some(StreamVerdict::Behind) => 0,
        Some(StreamVerdict::Growing) => 1,
        Some(StreamVerdict::High) => 2,
        _ => 5,
    }
}

/// Sorts rows by `column`; ties keep cluster/namespace/name order. Missing
/// numbers sort last in either direction.
pub fn sort_rows(rows: &mut [FleetRow], column: FleetColumn, descending: bool) {
    rows.sort_by(|x, y| compare_rows(x, y, column, descending));
}

/// The order [`sort_rows`] uses, for callers that sort indices or
/// references instead of moving rows (a 100,000-row table re-sorts much
/// faster that way).
pub fn compare_rows(x: &FleetRow, y: &FleetRow, column: FleetColumn, descending: bool) -> Ordering {
    compare_by(x, y, column, descending)
        .then_with(|| (&x.cluster, &x.namespace, &x.name).cmp(&(&y.cluster, &y.namespace, &y.name)))
}

fn compare_by(x: &FleetRow, y: &FleetRow, column: FleetColumn, desc: bool) -> Ordering {
    let ord = |o: Ordering| if desc { o.reverse() } else { o };
    let num = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => ord(a.total_cmp(&b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    match column {
        FleetColumn::Cluster => ord(x.cluster.cmp(&y.cluster)),
        FleetColumn::Namespace => ord(x.namespace.cmp(&y.namespace)),
        FleetColumn::Name => ord(x.name.cmp(&y.name)),
        FleetColumn::Kind => ord(x.kind.cmp(&y.kind)),
        FleetColumn::Model => ord(x.model.cmp(&y.model)),
        FleetColumn::Version => num(
            x.version.as_deref().and_then(|v| v.parse().ok()),
            y.version.as_deref().and_then(|v| v.parse().ok()),
        ),
        FleetColumn::Ready => ord((x.ready, x.desired).cmp(&(y.ready, y.desired))),
        FleetColumn::Rollout => {
            ord((rollout_rank(x), &x.rollout).cmp(&(rollout_rank(y), &y.rollout)))
        }
        FleetColumn::Rps => num(x.rps, y.rps),
        FleetColumn::P99 => num(x.p99_ms, y.p99_ms),
        FleetColumn::Errors => num(x.error_pct, y.error_pct),
        FleetColumn::Drift => num(x.drift_psi, y.drift_psi),
        FleetColumn::Lag => {
            // Worst verdict first when descending; rows without lag last.
            let key = |r: &FleetRow| {
                r.stream.as_ref().map(|s| {
                    (
                        5 - lag_rank(r),
                        s.lag_seconds.unwrap_or(f64::NEG_INFINITY),
                        s.lag_messages,
                    )
                })
            };
            match (key(x), key(y)) {
                (Some(a), Some(b)) => ord(a
                    .0
                    .cmp(&b.0)
                    .then(a.1.total_cmp(&b.1))
                    .then(a.2.total_cmp(&b.2))),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        FleetColumn::Age => ord(y.created_at.cmp(&x.created_at)),
    }
}

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "fleet_stream_tests.rs"]
mod stream_tests;

#[cfg(test)]
#[path = "fleet_batch_tests.rs"]
mod batch_tests;

#[cfg(test)]
#[path = "fleet_test_support.rs"]
mod test_support;
