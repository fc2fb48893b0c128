//! `modeldeck health <workload> [--window 24h]`: a workload's latency
//! p50/p95/p99, request rate and error ratio over a window, as series from
//! `Console::health` (one range query per signal, at most two points per
//! column and 11,000 per series), with the workload's rollouts and the
//! model's promotions and rollbacks in the window.

use crate::cli::HealthArgs;
use crate::failure::{ErrorBody, Exit, Failure, closest};
use crate::render::Printer;
use crate::render::table::{Cell, Paint, Table, clean};
use modeldeck_app::Session;
use modeldeck_core::console::{HealthSeries, HealthView, ServedVersion};
use modeldeck_core::domain::{Series, Signal, WorkloadKind, WorkloadRef};
use modeldeck_core::drift::text;
use modeldeck_core::error::{Backend, BackendError};
use modeldeck_promotion::service::HistoryKind;
use serde::Serialize;

/// The `health` document.
#[derive(Debug, Serialize)]
pub struct HealthDoc {
    /// `context/namespace/kind/name`.
    pub workload: String,
    /// Kubeconfig context.
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// `deployment`, `inference_service`, `cron_job`, `stream_consumer`.
    pub kind: WorkloadKind,
    /// Object name.
    pub name: String,
    /// The registered model it serves, when bound.
    pub model: Option<String>,
    /// The versions it serves: the stable one, then a canary's, with their
    /// traffic split when known.
    pub served: Vec<ServedVersion>,
    /// Whether each signal also has per-version series (`by_version`);
    /// false: the series are the workload's, every served version mixed.
    pub per_version: bool,
    /// Why a workload serving two versions has no per-version series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_version_note: Option<String>,
    /// The window, as typed back (`24h`).
    pub window: String,
    /// The window, milliseconds.
    pub window_ms: i64,
    /// Start of the window, the first point's time (RFC 3339).
    pub start: String,
    /// Same, Unix milliseconds.
    pub start_ms: i64,
    /// End of the window (RFC 3339).
    pub at: String,
    /// Same, Unix milliseconds.
    pub at_ms: i64,
    /// Query step, milliseconds.
    pub step_ms: i64,
    /// Chart width the step was chosen for (`--columns`).
    pub columns: u32,
    /// The five series.
    pub signals: SignalsDoc,
    /// Promotions and rollbacks of the model's default alias in the window,
    /// oldest first.
    pub markers: Vec<MarkerDoc>,
    /// Why markers could not be read, when they could not.
    pub markers_error: Option<String>,
    /// The workload's rollouts (new revisions) inside the window, oldest
    /// first.
    pub deploys: Vec<DeployDoc>,
    /// Why the rollout history could not be read, when it could not.
    pub deploys_error: Option<String>,
}

/// A rollout: a new revision of the workload.
#[derive(Debug, Serialize)]
pub struct DeployDoc {
    /// When the revision was created (Unix ms).
    pub at_ms: i64,
    /// Same, RFC 3339.
    pub at: String,
    /// The revision number.
    pub revision: String,
    /// Container images of its pod template.
    pub images: Vec<String>,
    /// Why (`kubernetes.io/change-cause`), when recorded.
    pub cause: Option<String>,
}

/// The series, named with their units.
#[derive(Debug, Serialize)]
pub struct SignalsDoc {
    /// p50 latency, seconds.
    pub latency_p50_s: SignalDoc,
    /// p95 latency, seconds.
    pub latency_p95_s: SignalDoc,
    /// p99 latency, seconds.
    pub latency_p99_s: SignalDoc,
    /// Requests per second.
    pub request_rate_rps: SignalDoc,
    /// Failed fraction of requests (0..=1).
    pub error_ratio: SignalDoc,
}

/// One series and its summary.
#[derive(Debug, Serialize)]
pub struct SignalDoc {
    /// `[unix_ms, value]` pairs in time order; a null value is a gap.
    pub points: Vec<(i64, Option<f64>)>,
    /// The latest value.
    pub last: Option<f64>,
    /// Smallest value in the window.
    pub min: Option<f64>,
    /// Largest value in the window.
    pub max: Option<f64>,
    /// Mean of the values in the window.
    pub mean: Option<f64>,
    /// Why the series could not be read, when it could not.
    pub error: Option<ErrorBody>,
    /// The same signal per serving version (canary vs stable), when the
    /// metrics backend splits it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_version: Vec<VersionSignalDoc>,
}

/// One signal of one version.
#[derive(Debug, Serialize)]
pub struct VersionSignalDoc {
    /// Model version.
    pub version: String,
    /// `stable` or `canary` when served now; null for an earlier version.
    pub role: Option<&'static str>,
    /// Points and summary, as the workload's.
    #[serde(flatten)]
    pub signal: SignalDoc,
}

/// A promotion or rollback.
#[derive(Debug, Serialize)]
pub struct MarkerDoc {
    /// When (Unix ms).
    pub at_ms: i64,
    /// Same, RFC 3339.
    pub at: String,
    /// `promoted`, `rolled_back` or `aborted`.
    pub kind: &'static str,
    /// The promotion's candidate version.
    pub version: String,
    /// Version the alias pointed at after it.
    pub serving: Option<String>,
    /// Before.
    pub previous: Option<String>,
    /// Who acted.
    pub by: String,
    /// Promotion id.
    pub promotion: String,
}

/// Runs `health`. Exits 4 (after printing) when a series could not be read.
pub async fn run(s: &Session, args: &HealthArgs, printer: Printer) -> Result<Exit, Failure> {
    let target = resolve_workload(s, &args.workload).await?;
    let view = s.console.health(&target, args.window, args.columns).await?;
    let (markers, markers_error) = markers(s, &view).await;
    let (deploys, deploys_error) = deploys(s, &view).await;
    let mut doc = build(&view, args, markers, markers_error);
    doc.deploys = deploys;
    doc.deploys_error = deploys_error;
    printer.print(&doc, |color| render(&doc, color))?;
    let mut exit = Exit::Ok;
    for sig in &view.signals {
        if let Some(e) = &sig.error {
            eprintln!("error: {}: {e}", label(sig.signal));
            exit = Exit::Backend;
        }
    }
    if let Some(e) = &doc.markers_error {
        eprintln!("warning: markers: {e}");
    }
    if let Some(e) = &doc.deploys_error {
        eprintln!("warning: deploys: {e}");
    }
    Ok(exit)
}

/// Finds the workload `word` names among the cluster's workloads:
/// `name`, `namespace/name`, `context/namespace/name` or
/// `context/namespace/kind/name`.
///
/// Errors: the cluster's error (exit 4) when it could not be read;
/// `not_found` (exit 3) naming the closest workload; a usage error (exit 2)
/// listing every match when the word names several.
async fn resolve_workload(s: &Session, word: &str) -> Result<WorkloadRef, Failure> {
    s.console.refresh_cluster().await;
    let snap = s.console.snapshot();
    let all: Vec<&WorkloadRef> = snap.workloads.iter().map(|w| &w.id).collect();
    if all.is_empty()
        && let Some(e) = &snap.cluster.error
    {
        return Err(Failure::Backend(e.clone()));
    }
    let parts: Vec<&str> = word.trim().split('/').collect();
    let hits: Vec<&WorkloadRef> = all
        .iter()
        .copied()
        .filter(|r| match parts.as_slice() {
            [name] => r.name == *name,
            [ns, name] => r.namespace == *ns && r.name == *name,
            [ctx, ns, name] => r.cluster == *ctx && r.namespace == *ns && r.name == *name,
            [ctx, ns, kind, name] => {
                r.cluster == *ctx
                    && r.namespace == *ns
                    && kind_matches(r.kind, kind)
                    && r.name == *name
            }
            _ => false,
        })
        .collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let names: Vec<String> = all.iter().map(|r| r.to_string()).collect();
            let last = parts.last().copied().unwrap_or(word);
            let hint = closest(word, names.iter().map(String::as_str))
                .or_else(|| closest(last, all.iter().map(|r| r.name.as_str())))
                .map(|c| format!(" (did you mean \"{}\"?)", clean(c)))
                .unwrap_or_default();
            Err(Failure::Backend(BackendError::not_found(
                Backend::Cluster,
                format!(
                    "workload \"{}\" not found among {} workloads{hint}; forms: name, \
                     namespace/name, context/namespace/name, context/namespace/kind/name",
                    clean(word),
                    all.len()
                ),
            )))
        }
        many => {
            let names: Vec<String> = many
                .iter()
                .map(|r| clean(&r.to_string()).into_owned())
                .collect();
            Err(Failure::Usage(format!(
                "workload \"{}\" is ambiguous: {}; name one as context/namespace/name or \
                 context/namespace/kind/name",
                clean(word),
                names.join(", ")
            )))
        }
    }
}

/// `deploy` or `deployment` (the table's short word or the JSON's).
fn kind_matches(kind: WorkloadKind, word: &str) -> bool {
    let long = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string));
    word == kind.short() || long.as_deref() == Some(word)
}

/// Promotions and rollbacks of the model's default alias in the window.
async fn markers(s: &Session, view: &HealthView) -> (Vec<MarkerDoc>, Option<String>) {
    let Some(model) = &view.model else {
        return (Vec::new(), None);
    };
    let promotions = match s.promotions() {
        Ok(p) => p,
        Err(e) => return (Vec::new(), Some(e.to_string())),
    };
    match promotions.history(model, None).await {
        Ok(events) => (
            events
                .into_iter()
                .filter(|e| e.at >= view.range.start && e.at <= view.range.end)
                .map(|e| MarkerDoc {
                    at_ms: e.at.0,
                    at: e.at.rfc3339(),
                    kind: match e.kind {
                        HistoryKind::Promoted => "promoted",
                        HistoryKind::RolledBack => "rolled_back",
                        HistoryKind::Aborted => "aborted",
                    },
                    version: e.version,
                    serving: e.serving,
                    previous: e.previous,
                    by: e.by,
                    promotion: e.promotion,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    }
}

/// The workload's rollouts inside the window.
async fn deploys(s: &Session, view: &HealthView) -> (Vec<DeployDoc>, Option<String>) {
    match s.console.revisions(&view.target).await {
        Ok(mut revs) => {
            revs.retain(|r| r.at >= view.range.start && r.at <= view.range.end);
            revs.sort_by_key(|r| r.at);
            let docs = revs
                .into_iter()
                .map(|r| DeployDoc {
                    at_ms: r.at.0,
                    at: r.at.rfc3339(),
                    revision: r.revision,
                    images: r.images,
                    cause: r.cause,
                })
                .collect();
            (docs, None)
        }
        Err(e) => (Vec::new(), Some(e.to_string())),
    }
}

fn signal_doc(s: Option<&HealthSeries>) -> SignalDoc {
    let Some(s) = s else {
        return series_doc(&Series::default(), None);
    };
    let mut doc = series_doc(&s.series, s.error.as_ref().map(ErrorBody::from));
    doc.by_version = s
        .by_version
        .iter()
        .map(|v| VersionSignalDoc {
            version: v.version.clone(),
            role: v.role,
            signal: series_doc(&v.series, None),
        })
        .collect();
    doc
}

fn series_doc(series: &Series, error: Option<ErrorBody>) -> SignalDoc {
    let finite: Vec<(i64, f64)> = series
        .points
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(t, v)| (t.0, *v))
        .collect();
    let n = finite.len();
    SignalDoc {
        points: series
            .points
            .iter()
            .map(|(t, v)| (t.0, v.is_finite().then_some(*v)))
            .collect(),
        last: finite.last().map(|p| p.1),
        min: finite.iter().map(|p| p.1).reduce(f64::min),
        max: finite.iter().map(|p| p.1).reduce(f64::max),
        mean: (n > 0).then(|| finite.iter().map(|p| p.1).sum::<f64>() / n as f64),
        error,
        by_version: Vec::new(),
    }
}

fn build(
    view: &HealthView,
    args: &HealthArgs,
    markers: Vec<MarkerDoc>,
    markers_error: Option<String>,
) -> HealthDoc {
    let t = &view.target;
    let sig = |s: Signal| signal_doc(view.get(s));
    HealthDoc {
        workload: t.to_string(),
        cluster: t.cluster.clone(),
        namespace: t.namespace.clone(),
        kind: t.kind,
        name: t.name.clone(),
        model: view.model.clone(),
        served: view.served.clone(),
        per_version: view.per_version,
        per_version_note: view.per_version_note.clone(),
        window: text::window(args.window),
        window_ms: args.window,
        start: view.range.start.rfc3339(),
        start_ms: view.range.start.0,
        at: view.range.end.rfc3339(),
        at_ms: view.range.end.0,
        step_ms: view.range.step_ms,
        columns: args.columns,
        signals: SignalsDoc {
            latency_p50_s: sig(Signal::LatencyP50),
            latency_p95_s: sig(Signal::LatencyP95),
            latency_p99_s: sig(Signal::LatencyP99),
            request_rate_rps: sig(Signal::RequestRate),
            error_ratio: sig(Signal::ErrorRatio),
        },
        markers,
        markers_error,
        deploys: Vec::new(),
        deploys_error: None,
    }
}

fn label(s: Signal) -> &'static str {
    match s {
        Signal::LatencyP50 => "latency p50",
        Signal::LatencyP95 => "latency p95",
        Signal::LatencyP99 => "latency p99",
        Signal::RequestRate => "request rate",
        Signal::ErrorRatio => "error ratio",
        Signal::DriftMax => "drift",
    }
}

/// A value in the table's unit: latency in ms, rates in req/s, errors in %.
fn shown(unit: &str, v: f64) -> String {
    match unit {
        "ms" => format!("{:.1}", v * 1000.0),
        "%" => format!("{:.2}", v * 100.0),
        _ => format!("{v:.1}"),
    }
}

fn render(doc: &HealthDoc, color: bool) -> String {
    let s = &doc.signals;
    let points = [
        &s.latency_p50_s,
        &s.latency_p95_s,
        &s.latency_p99_s,
        &s.request_rate_rps,
        &s.error_ratio,
    ]
    .iter()
    .map(|d| d.points.len())
    .max()
    .unwrap_or(0);
    let mut out = format!(
        "{}{} · window {} ending {} · step {}s\n",
        clean(&doc.workload),
        doc.model
            .as_deref()
            .map(|m| format!(" · {}", clean(m)))
            .unwrap_or_default(),
        doc.window,
        doc.at,
        doc.step_ms / 1000
    );
    if doc.served.len() > 1 {
        let parts: Vec<String> = doc
            .served
            .iter()
            .map(|v| match v.traffic_percent {
                Some(p) => format!("v{} ({}, {p}%)", clean(&v.version), v.role),
                None => format!("v{} ({})", clean(&v.version), v.role),
            })
            .collect();
        if doc.per_version {
            out.push_str(&format!(
                "serves {}: each signal per version below the workload's\n",
                parts.join(" and ")
            ));
        } else {
            out.push_str(&format!(
                "serves {}: the series mix them ({})\n",
                parts.join(" and "),
                doc.per_version_note
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| {
                        "the metrics backend reports this workload, not each version".into()
                    })
            ));
        }
    } else if let Some(v) = doc.served.first() {
        out.push_str(&format!("serves v{}\n", clean(&v.version)));
    }
    out.push('\n');
    let mut t = Table::new(&[
        "SIGNAL", "UNIT", ">NOW", ">MIN", ">MAX", ">MEAN", ">POINTS", "SUMMARY",
    ]);
    for (name, unit, d) in [
        ("latency p50", "ms", &s.latency_p50_s),
        ("latency p95", "ms", &s.latency_p95_s),
        ("latency p99", "ms", &s.latency_p99_s),
        ("request rate", "req/s", &s.request_rate_rps),
        ("error ratio", "%", &s.error_ratio),
    ] {
        let summary = match (&d.error, d.last, d.max) {
            (Some(e), _, _) => Cell::painted(format!("{}: {}", e.code, e.message), Paint::Red),
            (None, Some(last), Some(max)) if max > 0.0 => {
                let share = last / max;
                let paint = if share >= 0.999 && d.points.len() > 1 {
                    Paint::Yellow
                } else {
                    Paint::None
                };
                Cell::painted(
                    format!(
                        "now {} vs window max {} ({:.0}% of max)",
                        shown(unit, last),
                        shown(unit, max),
                        share * 100.0
                    ),
                    paint,
                )
            }
            (None, Some(_), _) => Cell::new("flat at zero"),
            (None, None, _) => Cell::painted("no data", Paint::Dim),
        };
        t.row(vec![
            name.into(),
            unit.into(),
            Cell::opt(d.last, |v| shown(unit, v)),
            Cell::opt(d.min, |v| shown(unit, v)),
            Cell::opt(d.max, |v| shown(unit, v)),
            Cell::opt(d.mean, |v| shown(unit, v)),
            Cell::new(d.points.len().to_string()),
            summary,
        ]);
        for v in &d.by_version {
            let who = match v.role {
                Some(role) => format!("  v{} {role}", clean(&v.version)),
                None => format!("  v{}", clean(&v.version)),
            };
            let g = &v.signal;
            t.row(vec![
                Cell::new(who),
                unit.into(),
                Cell::opt(g.last, |x| shown(unit, x)),
                Cell::opt(g.min, |x| shown(unit, x)),
                Cell::opt(g.max, |x| shown(unit, x)),
                Cell::opt(g.mean, |x| shown(unit, x)),
                Cell::new(g.points.len().to_string()),
                Cell::painted("", Paint::None),
            ]);
        }
    }
    out.push_str(&t.render(color));
    out.push_str(&format!(
        "\nat most {} points per series (2 x {} columns, never over 11,000); at most {points} read\n",
        (2 * u64::from(doc.columns)).min(11_000),
        doc.columns
    ));
    if !doc.deploys.is_empty() {
        out.push_str("\ndeploys:\n");
        for d in &doc.deploys {
            out.push_str(&format!(
                "  {}  revision {} {}{}\n",
                d.at,
                clean(&d.revision),
                clean(&d.images.join(", ")),
                d.cause
                    .as_deref()
                    .map(|c| format!(" ({})", clean(c)))
                    .unwrap_or_default()
            ));
        }
    }
    if !doc.markers.is_empty() {
        out.push_str("\nmarkers:\n");
        for m in &doc.markers {
            let was = m
                .previous
                .as_deref()
                .map(|p| format!(" (was v{})", clean(p)))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}  {} v{}{was} by {}\n",
                m.at,
                m.kind.replace('_', " "),
                clean(&m.version),
                clean(&m.by)
            ));
        }
    }
    out
}
