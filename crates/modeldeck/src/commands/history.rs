//! `modeldeck history <model> [--alias A] [--at WHEN]`: which version served
//! an alias when, from the records the promotion service keeps.

use super::audit::parse_when;
use crate::cli::HistoryArgs;
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Table, clean};
use modeldeck_app::Session;
use modeldeck_core::domain::Timestamp;
use modeldeck_promotion::service::{HistoryEvent, HistoryKind, served_at};
use serde::Serialize;

/// One event of `history`.
#[derive(Debug, Serialize)]
pub struct HistoryEventDoc {
    /// When (Unix ms).
    pub at: Timestamp,
    /// Same, RFC 3339.
    pub at_rfc3339: String,
    /// `promoted`, `rolled_back` or `aborted`.
    pub kind: &'static str,
    /// Promotion id.
    pub promotion: String,
    /// The promotion's candidate.
    pub version: String,
    /// What the alias pointed at after it.
    pub serving: Option<String>,
    /// Before.
    pub previous: Option<String>,
    /// Who.
    pub by: String,
    /// Why (rollbacks).
    pub reason: Option<String>,
}

/// `history`.
#[derive(Debug, Serialize)]
pub struct HistoryDoc {
    /// Model.
    pub model: String,
    /// Alias.
    pub alias: String,
    /// Events, oldest first.
    pub events: Vec<HistoryEventDoc>,
    /// `--at`, if asked.
    pub at: Option<Timestamp>,
    /// The version serving at `--at`.
    pub serving_at: Option<String>,
}

fn kind_word(k: HistoryKind) -> &'static str {
    match k {
        HistoryKind::Promoted => "promoted",
        HistoryKind::RolledBack => "rolled_back",
        HistoryKind::Aborted => "aborted",
    }
}

/// Runs `history`.
pub async fn history(s: &Session, a: &HistoryArgs) -> Result<Exit, Failure> {
    let events: Vec<HistoryEvent> = s
        .promotions()?
        .history(&a.model, a.alias.as_deref())
        .await?;
    let now = s.console.options().clock.now();
    let at = a.at.as_deref().map(|t| parse_when(t, now)).transpose()?;
    let doc = HistoryDoc {
        model: a.model.clone(),
        alias: a.alias.clone().unwrap_or_else(|| "champion".into()),
        serving_at: at.and_then(|t| served_at(&events, t)),
        at,
        events: events
            .iter()
            .map(|e| HistoryEventDoc {
                at: e.at,
                at_rfc3339: e.at.rfc3339(),
                kind: kind_word(e.kind),
                promotion: e.promotion.clone(),
                version: e.version.clone(),
                serving: e.serving.clone(),
                previous: e.previous.clone(),
                by: e.by.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
    };
    Printer::new(a.out).print(&doc, |_| {
        let mut t = Table::new(&[
            "AT",
            "EVENT",
            "SERVING",
            "BEFORE",
            "BY",
            "PROMOTION",
            "REASON",
        ]);
        for e in &doc.events {
            t.row(vec![
                Cell::new(&e.at_rfc3339),
                Cell::new(e.kind),
                Cell::opt(e.serving.as_ref(), |v| format!("v{v}")),
                Cell::opt(e.previous.as_ref(), |v| format!("v{v}")),
                Cell::new(&e.by),
                Cell::new(&e.promotion),
                Cell::clipped(e.reason.as_deref().unwrap_or(""), 50),
            ]);
        }
        let mut out = if doc.events.is_empty() {
            format!(
                "{} alias {}: no promotion or rollback recorded\n",
                clean(&doc.model),
                clean(&doc.alias)
            )
        } else {
            format!(
                "{} alias {}\n{}",
                clean(&doc.model),
                clean(&doc.alias),
                t.render(false)
            )
        };
        if let Some(t) = doc.at {
            out.push_str(&format!(
                "\nat {}: {}\n",
                t.rfc3339(),
                doc.serving_at
                    .as_deref()
                    .map_or("unknown (no record covers it)".to_string(), |v| format!(
                        "v{v}"
                    ))
            ));
        }
        out
    })?;
    Ok(Exit::Ok)
}
