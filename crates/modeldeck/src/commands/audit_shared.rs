//! `modeldeck audit shared`: the shared record, read from every cluster
//! that binds approvals: each promotion object's history (who did what,
//! when, with which outcome), whoever's machine wrote it. What a reviewer
//! on any machine with read RBAC sees, unlike `audit`, which lists this
//! machine's journal.

use crate::cli::{AuditArgs, GlobalArgs, OutputArgs};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Table};
use crate::session;
use modeldeck_core::domain::LedgerEntry;
use modeldeck_promotion::journal::shared_check::read_shared;
use modeldeck_promotion::service::first_broken;
use serde::Serialize;

/// One promotion object's history.
#[derive(Debug, Serialize)]
pub struct SharedPromotionDoc {
    /// Cluster (context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Promotion id.
    pub promotion: String,
    /// Whether the history's own hash chain holds (`audit verify` compares
    /// it with this machine's journal too).
    pub chain_ok: bool,
    /// The entries, oldest first.
    pub entries: Vec<LedgerEntry>,
}

/// `audit shared`.
#[derive(Debug, Serialize)]
pub struct SharedListDoc {
    /// Clusters read.
    pub clusters: Vec<String>,
    /// Clusters not read, `name: why` (not bound, unreachable, refused).
    pub skipped: Vec<String>,
    /// Every promotion object's history.
    pub promotions: Vec<SharedPromotionDoc>,
}

/// Runs `audit shared` (`--since` filters entries by time).
pub async fn run(global: &GlobalArgs, a: &AuditArgs, out: OutputArgs) -> Result<Exit, Failure> {
    let s = modeldeck_app::Session::open(session::options(global)).await?;
    let since = match &a.since {
        Some(w) => Some(super::audit::parse_when(
            w,
            modeldeck_core::domain::Timestamp::now(),
        )?),
        None => None,
    };
    let read = read_shared(&*s.console.backends().cluster).await;
    let mut promotions: Vec<SharedPromotionDoc> = read
        .copies
        .into_iter()
        .map(|c| SharedPromotionDoc {
            chain_ok: first_broken(&c.history).is_none(),
            entries: c
                .history
                .into_iter()
                .filter(|e| {
                    since.is_none_or(|t| {
                        modeldeck_core::domain::Timestamp::parse_rfc3339(&e.at)
                            .is_none_or(|at| at >= t)
                    })
                })
                .collect(),
            cluster: c.cluster,
            namespace: c.namespace,
            promotion: c.promotion,
        })
        .collect();
    promotions.retain(|p| !p.entries.is_empty() || since.is_none());
    let doc = SharedListDoc {
        clusters: read.read.into_iter().collect(),
        skipped: read
            .skipped
            .into_iter()
            .map(|(c, why)| format!("{c}: {why}"))
            .collect(),
        promotions,
    };
    Printer::new(out).print(&doc, |_| text(&doc))?;
    Ok(Exit::Ok)
}

fn text(doc: &SharedListDoc) -> String {
    let mut t = Table::new(&["PROMOTION", "WHERE", "AT", "ACTOR", "ACTION", "OUTCOME"]);
    let mut n = 0;
    for p in &doc.promotions {
        for e in &p.entries {
            n += 1;
            t.row(vec![
                Cell::new(&p.promotion),
                Cell::new(format!("{}/{}", p.cluster, p.namespace)),
                Cell::new(&e.at),
                Cell::new(&e.actor),
                Cell::new(&e.action),
                Cell::clipped(e.outcome.as_deref().unwrap_or(""), 60),
            ]);
        }
    }
    let mut out = if n == 0 {
        String::new()
    } else {
        format!("{}\n", t.render(false))
    };
    out.push_str(&format!(
        "{n} shared entries on {} promotion objects from {}\n",
        doc.promotions.len(),
        if doc.clusters.is_empty() {
            "no cluster".to_string()
        } else {
            doc.clusters.join(", ")
        }
    ));
    for p in doc.promotions.iter().filter(|p| !p.chain_ok) {
        out.push_str(&format!(
            "warning: the history of {} on {}/{} does not chain: run `modeldeck audit verify`\n",
            p.promotion, p.cluster, p.namespace
        ));
    }
    for s in &doc.skipped {
        out.push_str(&format!("note: not read on {s}\n"));
    }
    out
}
