//! `modeldeck status`: the Fleet screen as a document. Rows come from
//! `modeldeck_core::fleet::fleet_rows` and each backend's state from
//! `Snapshot::backend_state`, so the CLI and the TUI agree on both; the
//! per-backend health says what could not be read.

use crate::cli::StatusArgs;
use crate::failure::{ErrorBody, Exit, Failure};
use crate::render::Printer;
use crate::render::fixed;
use crate::render::table::{Cell, Paint, Table};
use modeldeck_core::Console;
use modeldeck_core::console::{BackendState, Severity, Snapshot};
use modeldeck_core::domain::{DriftStatus, WorkloadKind, format_age};
use modeldeck_core::error::{Backend, PartialFailure};
use modeldeck_core::fleet::{FleetColumn, FleetRow, fleet_rows, sort_rows};
use serde::Serialize;

/// The `status` document.
#[derive(Debug, Serialize)]
pub struct StatusDoc {
    /// Profile name (`sandbox` on the simulated world).
    pub profile: String,
    /// True on the simulated world.
    pub sandbox: bool,
    /// When the data was read (RFC 3339).
    pub at: String,
    /// Same, Unix milliseconds.
    pub at_ms: i64,
    /// The `--filter` expression, if any.
    pub filter: Option<String>,
    /// The `--sort` order, if any.
    pub sort: Option<SortDoc>,
    /// Workloads before filtering.
    pub total: usize,
    /// Workloads listed.
    pub count: usize,
    /// Health of each backend.
    pub backends: Vec<BackendDoc>,
    /// The Fleet rows.
    pub workloads: Vec<WorkloadDoc>,
}

/// A sort order.
#[derive(Debug, Serialize)]
pub struct SortDoc {
    /// Column.
    pub column: FleetColumn,
    /// Descending.
    pub descending: bool,
}

/// Health of one backend.
#[derive(Debug, Serialize)]
pub struct BackendDoc {
    /// `cluster`, `registry` or `metrics`.
    pub backend: Backend,
    /// `ready`, `partial`, `empty`, `loading`, `failed`, `stale` or
    /// `not_configured` ([`BackendState::word`]). `partial`: it answered,
    /// but some of its parts (kube contexts) could not be read; see `partial`.
    pub state: &'static str,
    /// How much the state should worry the reader (the table's color).
    #[serde(skip)]
    pub severity: Severity,
    /// Where it is (no secrets).
    pub endpoint: String,
    /// Last successful read.
    pub last_ok: Option<String>,
    /// Same, Unix milliseconds.
    pub last_ok_ms: Option<i64>,
    /// Failing since.
    pub failing_since: Option<String>,
    /// Same, Unix milliseconds.
    pub failing_since_ms: Option<i64>,
    /// The latest error.
    pub error: Option<ErrorBody>,
    /// Parts that could not be read while the rest answered (one per
    /// failing kube context); empty otherwise.
    pub partial: Vec<PartialDoc>,
}

/// One part of a backend that could not be read while the rest answered.
#[derive(Debug, Serialize)]
pub struct PartialDoc {
    /// Stable code of its error.
    pub code: String,
    /// `context: cause (server URL)`.
    pub message: String,
    /// The backend it belongs to.
    pub backend: Backend,
    /// `context <name>`.
    pub location: String,
    /// The kube context.
    pub context: String,
    /// Its server URL (no credentials), when known.
    pub server: Option<String>,
    /// True when its workloads are still listed as last seen.
    pub stale: bool,
}

impl From<&PartialFailure> for PartialDoc {
    fn from(p: &PartialFailure) -> Self {
        PartialDoc {
            code: p.error.code.as_str().to_string(),
            message: p.summary(),
            backend: p.error.backend,
            location: format!("context {}", p.context),
            context: p.context.clone(),
            server: p.server.clone(),
            stale: p.stale,
        }
    }
}

/// One Fleet row.
#[derive(Debug, Serialize)]
pub struct WorkloadDoc {
    /// Cluster (context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Workload name.
    pub name: String,
    /// `deployment`, `inference_service`, `cron_job` or `stream_consumer`.
    pub kind: WorkloadKind,
    /// Registered model.
    pub model: Option<String>,
    /// Served version.
    pub version: Option<String>,
    /// Aliases on the served version.
    pub aliases: Vec<String>,
    /// Ready replicas.
    pub ready: u32,
    /// Desired replicas.
    pub desired: u32,
    /// `available`, `progressing`, `paused`, `degraded`, `suspended`, `idle`;
    /// for a CronJob its last run: `failed`, `missed`, `running`,
    /// `succeeded`, `never_run`.
    pub rollout: String,
    /// `3/5 updated`, a degradation reason, a canary split.
    pub rollout_detail: Option<String>,
    /// Requests per second.
    pub rps: Option<f64>,
    /// p99 latency, milliseconds.
    pub p99_ms: Option<f64>,
    /// Error rate, percent.
    pub error_pct: Option<f64>,
    /// Highest feature PSI.
    pub drift_psi: Option<f64>,
    /// `ok`, `warning`, `drifting`, `unknown`.
    pub drift: DriftStatus,
    /// Creation time.
    pub created_at: String,
    /// Same, Unix milliseconds.
    pub created_at_ms: i64,
    /// Object labels.
    pub labels: modeldeck_core::domain::Labels,
    /// A CronJob's last run, next run and verdict (times in Unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<modeldeck_core::domain::BatchView>,
    /// A stream consumer's lag: group, topic, messages and seconds behind
    /// (null when the exporter gives no seconds), trend, throughput, top
    /// partitions and the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<modeldeck_core::domain::StreamLag>,
}

impl From<FleetRow> for WorkloadDoc {
    fn from(r: FleetRow) -> Self {
        WorkloadDoc {
            rollout: r.rollout.to_ascii_lowercase().replace(' ', "_"),
            created_at: r.created_at.rfc3339(),
            created_at_ms: r.created_at.0,
            cluster: r.cluster,
            namespace: r.namespace,
            name: r.name,
            kind: r.kind,
            model: r.model,
            version: r.version,
            aliases: r.aliases,
            ready: r.ready,
            desired: r.desired,
            rollout_detail: r.rollout_detail,
            rps: r.rps,
            p99_ms: r.p99_ms,
            error_pct: r.error_pct,
            drift_psi: r.drift_psi,
            drift: r.drift,
            labels: r.labels,
            batch: r.batch,
            stream: r.stream,
        }
    }
}

/// Reads everything once and prints the fleet. Exits 4 (after printing)
/// when a backend could not be read.
pub async fn run(console: &Console, args: &StatusArgs, printer: Printer) -> Result<Exit, Failure> {
    console.refresh_all().await;
    let snap = console.snapshot();
    let doc = build(&snap, args);
    printer.print(&doc, |color| render(&doc, &snap, color))?;
    let mut exit = Exit::Ok;
    for b in Backend::ALL {
        let state = snap.backend_state(b);
        if let Some(e) = state.error() {
            eprintln!("error: {e}");
        }
        // What was asked for and could not be read is a failure too, even
        // when the rest answered: the listing is incomplete.
        if let BackendState::Partial { failures } = &state {
            for f in failures {
                eprintln!("error: {f}");
            }
        }
        if state.is_failure() {
            exit = Exit::Backend;
        }
    }
    Ok(exit)
}

/// The document for a snapshot.
pub fn build(snap: &Snapshot, args: &StatusArgs) -> StatusDoc {
    let mut rows = fleet_rows(snap);
    let total = rows.len();
    if let Some(f) = &args.filter {
        rows.retain(|r| f.matches_row(r));
    }
    if let Some(col) = args.sort {
        sort_rows(&mut rows, col, args.desc);
    }
    StatusDoc {
        profile: snap.profile.clone(),
        sandbox: snap.sandbox,
        at: snap.at.rfc3339(),
        at_ms: snap.at.0,
        filter: args.filter.as_ref().map(|f| f.source().to_string()),
        sort: args.sort.map(|column| SortDoc {
            column,
            descending: args.desc,
        }),
        total,
        count: rows.len(),
        backends: Backend::ALL.iter().map(|&b| backend_doc(snap, b)).collect(),
        workloads: rows.into_iter().map(WorkloadDoc::from).collect(),
    }
}

fn backend_doc(snap: &Snapshot, b: Backend) -> BackendDoc {
    let st = snap.backend(b);
    let state = snap.backend_state(b);
    BackendDoc {
        backend: b,
        state: state.word(),
        severity: state.severity(),
        endpoint: st.endpoint.clone(),
        last_ok: st.last_ok.map(|t| t.rfc3339()),
        last_ok_ms: st.last_ok.map(|t| t.0),
        failing_since: st.failing_since.map(|t| t.rfc3339()),
        failing_since_ms: st.failing_since.map(|t| t.0),
        error: st.error.as_ref().map(ErrorBody::from),
        partial: st.partial.iter().map(PartialDoc::from).collect(),
    }
}

fn render(doc: &StatusDoc, snap: &Snapshot, color: bool) -> String {
    // LAG only when a consumer has lag, as in the TUI.
    let lag = doc.workloads.iter().any(|w| w.stream.is_some());
    let mut headers = vec![
        "CONTEXT",
        "NAMESPACE",
        "NAME",
        "KIND",
        "MODEL",
        "VER",
        "ALIASES",
        "READY",
        "ROLLOUT",
        ">RPS",
        ">P99MS",
        ">ERR%",
        ">DRIFT",
    ];
    if lag {
        headers.push(">LAG");
    }
    headers.push(">AGE");
    let mut t = Table::new(&headers);
    for w in &doc.workloads {
        let ready_paint = if w.ready < w.desired {
            Paint::Yellow
        } else {
            Paint::None
        };
        let rollout_paint = match w.rollout.as_str() {
            "degraded" => Paint::Red,
            "progressing" | "paused" => Paint::Yellow,
            _ => Paint::None,
        };
        let rollout = match &w.rollout_detail {
            Some(d) => format!("{} ({d})", capitalize(&w.rollout)),
            None => capitalize(&w.rollout),
        };
        let drift_paint = match w.drift {
            DriftStatus::Drifting => Paint::Red,
            DriftStatus::Warning => Paint::Yellow,
            _ => Paint::None,
        };
        let mut cells = vec![
            w.cluster.as_str().into(),
            w.namespace.as_str().into(),
            w.name.as_str().into(),
            w.kind.short().into(),
            Cell::opt(w.model.as_deref(), str::to_string),
            Cell::opt(w.version.as_deref(), |v| format!("v{v}")),
            Cell::new(w.aliases.join(",")),
            Cell::painted(format!("{}/{}", w.ready, w.desired), ready_paint),
            Cell::painted(rollout, rollout_paint),
            Cell::opt(w.rps, |v| fixed(v, 1)),
            Cell::opt(w.p99_ms, |v| fixed(v, 0)),
            Cell::opt(w.error_pct, |v| fixed(v, 2)),
            match w.drift_psi {
                Some(v) => Cell::painted(fixed(v, 3), drift_paint),
                None => Cell::missing(),
            },
        ];
        if lag {
            cells.push(lag_cell(w.stream.as_ref()));
        }
        cells.push(Cell::new(format_age(
            snap.at,
            modeldeck_core::domain::Timestamp(w.created_at_ms),
        )));
        t.row(cells);
    }
    let mut out = t.render(color);
    out.push_str(&match &doc.filter {
        Some(f) => format!("\n{} of {} workloads match {f:?}\n", doc.count, doc.total),
        None => format!("\n{} workloads\n", doc.count),
    });
    let mut b = Table::new(&["BACKEND", "STATE", "ENDPOINT", "LAST OK", "ERROR"]);
    for d in &doc.backends {
        let error = match (&d.error, d.partial.first()) {
            (Some(e), _) => Some((e.code.as_str(), e.message.as_str())),
            (None, Some(p)) => Some((p.code.as_str(), p.message.as_str())),
            (None, None) => None,
        };
        let more = match d.partial.len() {
            0 | 1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        b.row(vec![
            d.backend.name().into(),
            Cell::painted(d.state, Paint::from(d.severity)),
            d.endpoint.as_str().into(),
            Cell::opt(d.last_ok.as_deref(), str::to_string),
            Cell::opt(error, |(code, message)| format!("{code}: {message}{more}")),
        ]);
    }
    out.push('\n');
    out.push_str(&b.render(color));
    out
}

/// `2.2M ↑ 40m`: messages behind, the trend, and seconds behind when known.
fn lag_cell(s: Option<&modeldeck_core::domain::StreamLag>) -> Cell {
    use modeldeck_core::domain::{StreamVerdict, format_lag_seconds, format_messages};
    let Some(s) = s else {
        return Cell::missing();
    };
    let mut text = format!("{} {}", format_messages(s.lag_messages), s.trend.arrow());
    if let Some(secs) = s.lag_seconds {
        text.push(' ');
        text.push_str(&format_lag_seconds(secs));
    }
    let paint = match s.verdict {
        StreamVerdict::Behind => Paint::Red,
        StreamVerdict::Growing | StreamVerdict::High => Paint::Yellow,
        StreamVerdict::Ok => Paint::None,
    };
    Cell::painted(text, paint)
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
