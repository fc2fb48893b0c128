//! `modeldeck versions <model>`: every version, newest first, with aliases,
//! registration status, the training run's metrics and where it is served.

use super::resolve::require_model;
use crate::cli::MetricsScope;
use crate::failure::{Exit, Failure};
use crate::render::table::{Cell, Paint, Table};
use crate::render::{Printer, metric};
use modeldeck_core::Console;
use modeldeck_core::domain::RunData;
use modeldeck_core::domain::VersionStatus;
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use serde::Serialize;
use std::collections::BTreeMap;
use tokio::task::JoinSet;

/// How many metric columns the table shows (JSON has them all).
const TABLE_METRICS: usize = 4;
/// Concurrent run reads.
const PARALLEL_READS: usize = 8;

/// The `versions` document.
#[derive(Debug, Serialize)]
pub struct VersionsDoc {
    /// Registered model.
    pub model: String,
    /// Number of versions.
    pub count: usize,
    /// Versions, newest first.
    pub versions: Vec<VersionDoc>,
}

/// One version.
#[derive(Debug, Serialize)]
pub struct VersionDoc {
    /// Version (a string, as the registry has it: `"7"`).
    pub version: String,
    /// Aliases pointing here.
    pub aliases: Vec<String>,
    /// `ready`, `pending_registration` or `failed_registration`.
    pub status: &'static str,
    /// Registration time.
    pub created_at: String,
    /// Same, Unix milliseconds.
    pub created_at_ms: i64,
    /// Training run id.
    pub run_id: Option<String>,
    /// Artifact source.
    pub source: String,
    /// Who registered it.
    pub user: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Version tags.
    pub tags: BTreeMap<String, String>,
    /// Final metrics of the run (`null` without a run; a NaN value is `null`).
    pub metrics: Option<BTreeMap<String, f64>>,
    /// Workloads serving it (`cluster/namespace/kind/name`); `null` when the
    /// cluster could not be read.
    pub served_by: Option<Vec<String>>,
}

/// The stable name of a registration status.
pub fn status_name(s: VersionStatus) -> &'static str {
    match s {
        VersionStatus::Ready => "ready",
        VersionStatus::PendingRegistration => "pending_registration",
        VersionStatus::FailedRegistration => "failed_registration",
    }
}

/// Lists the versions of `model` and prints them.
///
/// Errors: `not_found` (exit 3) for an unknown model; registry errors (exit 4).
pub async fn run(
    console: &Console,
    model: &str,
    scope: MetricsScope,
    printer: Printer,
) -> Result<Exit, Failure> {
    let (m, _) = tokio::join!(require_model(console, model), console.refresh_cluster());
    let m = m?;
    let versions = console.list_versions(&m.name).await?;
    let wanted = match scope {
        MetricsScope::All => versions.len(),
        MetricsScope::Newest(n) => n.min(versions.len()),
    };
    let runs = read_runs(
        console,
        versions.iter().take(wanted).map(|v| v.run_id.clone()),
    )
    .await?;
    let snap = console.snapshot();
    if let Some(e) = snap
        .cluster
        .error
        .as_ref()
        .filter(|e| !e.is_not_configured())
    {
        eprintln!("warning: serving workloads unknown: {e}");
    }
    let docs: Vec<VersionDoc> = versions
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let run = runs.get(i).cloned().flatten();
            let served_by = snap.cluster.error.is_none().then(|| {
                snap.workloads_of(&m.name)
                    .filter(|w| w.served_version.as_deref() == Some(v.version.as_str()))
                    .map(|w| w.id.to_string())
                    .collect()
            });
            VersionDoc {
                status: status_name(v.status),
                created_at: v.created_at.rfc3339(),
                created_at_ms: v.created_at.0,
                metrics: run.map(|r| r.metrics),
                version: v.version,
                aliases: v.aliases,
                run_id: v.run_id,
                source: v.source,
                user: v.user,
                description: v.description,
                tags: v.tags,
                served_by,
            }
        })
        .collect();
    let doc = VersionsDoc {
        model: m.name.clone(),
        count: docs.len(),
        versions: docs,
    };
    printer.print(&doc, |color| render(&doc, color))?;
    Ok(Exit::Ok)
}

/// The run of each version (`None`: no run id, or the run is gone), in the
/// order given, each distinct run read once, at most [`PARALLEL_READS`]
/// registry reads at a time, each bounded by the console's call timeout.
async fn read_runs(
    console: &Console,
    run_ids: impl Iterator<Item = Option<String>>,
) -> Result<Vec<Option<RunData>>, Failure> {
    let ids: Vec<Option<String>> = run_ids.collect();
    let distinct: Vec<String> = ids
        .iter()
        .flatten()
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let timeout = console.options().call_timeout;
    let mut found: BTreeMap<String, RunData> = BTreeMap::new();
    for chunk in distinct.chunks(PARALLEL_READS) {
        let mut set = JoinSet::new();
        for id in chunk {
            let (reg, id) = (console.backends().registry.clone(), id.clone());
            set.spawn(async move {
                let got = tokio::time::timeout(timeout, reg.get_run(&id)).await;
                (id, got)
            });
        }
        while let Some(joined) = set.join_next().await {
            let (id, got) = joined.map_err(|e| Failure::Other(e.into()))?;
            match got {
                Ok(Ok(run)) => {
                    found.insert(id, run);
                }
                Ok(Err(e)) if e.code == ErrorCode::NotFound => {}
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => {
                    return Err(BackendError::new(
                        Backend::Registry,
                        ErrorCode::Timeout,
                        format!(
                            "reading run {id}: no answer within {} ms",
                            timeout.as_millis()
                        ),
                    )
                    .into());
                }
            }
        }
    }
    Ok(ids
        .into_iter()
        .map(|id| id.and_then(|id| found.get(&id).cloned()))
        .collect())
}

/// The metric keys found in the most versions (ties by name), for the table.
fn key_metrics(doc: &VersionsDoc) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &doc.versions {
        for k in v.metrics.iter().flat_map(|m| m.keys()) {
            *seen.entry(k).or_default() += 1;
        }
    }
    let mut keys: Vec<(&str, usize)> = seen.into_iter().collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    keys.into_iter()
        .take(TABLE_METRICS)
        .map(|(k, _)| k.to_string())
        .collect()
}

fn render(doc: &VersionsDoc, color: bool) -> String {
    let keys = key_metrics(doc);
    let mut headers: Vec<String> = ["VERSION", "ALIASES", "STATUS", ">SERVING", "CREATED", "RUN"]
        .map(String::from)
        .to_vec();
    headers.extend(keys.iter().map(|k| format!(">{}", k.to_uppercase())));
    let mut t = Table::new(&headers);
    for v in &doc.versions {
        let status_paint = match v.status {
            "ready" => Paint::None,
            "failed_registration" => Paint::Red,
            _ => Paint::Yellow,
        };
        let alias_paint = if v.aliases.is_empty() {
            Paint::None
        } else {
            Paint::Green
        };
        let mut row = vec![
            Cell::new(format!("v{}", v.version)),
            Cell::painted(v.aliases.join(","), alias_paint),
            Cell::painted(v.status, status_paint),
            Cell::opt(v.served_by.as_ref(), |s| s.len().to_string()),
            v.created_at.as_str().into(),
            Cell::opt(v.run_id.as_deref(), short_run),
        ];
        for k in &keys {
            row.push(Cell::opt(
                v.metrics.as_ref().and_then(|m| m.get(k)).copied(),
                metric,
            ));
        }
        t.row(row);
    }
    let mut out = t.render(color);
    out.push_str(&format!("\n{}: {} versions\n", doc.model, doc.count));
    out
}

fn short_run(id: &str) -> String {
    id.chars().take(12).collect()
}
