//! `modeldeck models`: registered models with their aliases and how many
//! workloads serve each.

use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Table};
use modeldeck_core::Console;
use serde::Serialize;
use std::collections::BTreeMap;

/// The `models` document.
#[derive(Debug, Serialize)]
pub struct ModelsDoc {
    /// Number of models.
    pub count: usize,
    /// Models sorted by name.
    pub models: Vec<ModelDoc>,
}

/// One registered model.
#[derive(Debug, Serialize)]
pub struct ModelDoc {
    /// Unique name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Alias -> version.
    pub aliases: BTreeMap<String, String>,
    /// Highest registered version.
    pub latest_version: Option<String>,
    /// Workloads bound to this model; `null` when the cluster could not be read.
    pub workloads: Option<usize>,
    /// Model tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: String,
    /// Same, Unix milliseconds.
    pub created_at_ms: i64,
    /// Last update.
    pub updated_at: String,
    /// Same, Unix milliseconds.
    pub updated_at_ms: i64,
}

/// Reads the registry (and the cluster, for workload counts) and prints the models.
///
/// Errors: the registry's error (exit 4). A cluster failure only blanks the
/// counts and is reported on stderr.
pub async fn run(console: &Console, printer: Printer) -> Result<Exit, Failure> {
    tokio::join!(console.refresh_registry(), console.refresh_cluster());
    let snap = console.snapshot();
    if let Some(e) = &snap.registry.error {
        return Err(Failure::Backend(e.clone()));
    }
    let cluster_ok = snap.cluster.error.is_none();
    if let Some(e) = &snap.cluster.error {
        eprintln!("warning: workload counts unknown: {e}");
    }
    let models: Vec<ModelDoc> = snap
        .models
        .iter()
        .map(|m| ModelDoc {
            name: m.name.clone(),
            description: m.description.clone(),
            aliases: m.aliases.clone(),
            latest_version: m.latest_version.clone(),
            workloads: cluster_ok.then(|| snap.workloads_of(&m.name).count()),
            tags: m.tags.clone(),
            created_at: m.created_at.rfc3339(),
            created_at_ms: m.created_at.0,
            updated_at: m.updated_at.rfc3339(),
            updated_at_ms: m.updated_at.0,
        })
        .collect();
    let doc = ModelsDoc {
        count: models.len(),
        models,
    };
    printer.print(&doc, |color| render(&doc, color))?;
    Ok(Exit::Ok)
}

fn render(doc: &ModelsDoc, color: bool) -> String {
    let mut t = Table::new(&[
        "NAME",
        ">LATEST",
        ">CHAMPION",
        ">CHALLENGER",
        "OTHER ALIASES",
        ">SERVING",
        "UPDATED",
        "DESCRIPTION",
    ]);
    let v = |v: Option<&String>| Cell::opt(v, |v| format!("v{v}"));
    for m in &doc.models {
        let others: Vec<String> = m
            .aliases
            .iter()
            .filter(|(a, _)| !matches!(a.as_str(), "champion" | "challenger"))
            .map(|(a, v)| format!("{a}=v{v}"))
            .collect();
        t.row(vec![
            m.name.as_str().into(),
            v(m.latest_version.as_ref()),
            v(m.aliases.get("champion")),
            v(m.aliases.get("challenger")),
            Cell::new(others.join(" ")),
            Cell::opt(m.workloads, |n| n.to_string()),
            m.updated_at.as_str().into(),
            m.description
                .as_deref()
                .map_or(Cell::missing(), |d| Cell::clipped(d, 60)),
        ]);
    }
    let mut out = t.render(color);
    out.push_str(&format!("\n{} models\n", doc.count));
    out
}
