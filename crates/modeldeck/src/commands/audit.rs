//! `modeldeck audit [verify|export]`: the hash-chained journal read back
//! (filtered by model and time), verified end to end (against the
//! registry's mirror too), exported. `history` is in `history.rs`.

use crate::cli::{AuditAction, AuditArgs, GlobalArgs};
use crate::failure::{Exit, Failure};
use crate::render::table::{Cell, Table};
use crate::render::{Printer, write_stdout};
use crate::session;
use modeldeck_core::domain::{AuditEntry, Clock, SystemClock, Timestamp};
use modeldeck_promotion::journal::ExportFormat;
use modeldeck_promotion::policy::Span;
use serde::Serialize;
use std::path::Path;

/// Parses `--since`/`--at`: a span ago (`30m`, `24h`, `7d`) or RFC 3339
/// UTC (`2026-11-28T13:02:11Z`).
pub fn parse_when(text: &str, now: Timestamp) -> Result<Timestamp, Failure> {
    if let Ok(span) = Span::parse(text) {
        return Ok(now.plus_millis(-span.as_millis_i64()));
    }
    Timestamp::parse_rfc3339(text).ok_or_else(|| {
        Failure::Usage(format!(
            "{text:?} is neither a span such as 30m, 24h, 7d nor an RFC 3339 time such as 2026-11-28T13:02:11Z"
        ))
    })
}

/// One audit entry as listed.
#[derive(Debug, Serialize)]
pub struct EntryDoc {
    /// Sequence number in the journal (1-based).
    pub seq: u64,
    /// This entry's hash.
    pub hash: String,
    /// When, RFC 3339.
    pub at_rfc3339: String,
    /// The entry: at (Unix ms), actor, action, subject, before, after, outcome.
    #[serde(flatten)]
    pub entry: AuditEntry,
    /// Promotion id.
    pub promotion: Option<String>,
}

/// `audit`.
#[derive(Debug, Serialize)]
pub struct AuditDoc {
    /// Journal file.
    pub journal: String,
    /// Entries in the journal.
    pub total: u64,
    /// Entries listed.
    pub count: usize,
    /// The entries, oldest first.
    pub entries: Vec<EntryDoc>,
}

/// Runs `audit`, `audit export` and `audit verify` on this machine's
/// journal ([`SessionOptions::journal_path`](modeldeck_app::SessionOptions::journal_path),
/// decided without opening anything). Only `verify` opens a session, to
/// read the registry's mirror; the rest needs no backend, and a damaged
/// journal is what verify reports, so none of them opens the journal.
pub async fn run(global: &GlobalArgs, a: &AuditArgs) -> Result<Exit, Failure> {
    let journal = session::options(global).journal_path();
    match a.action {
        Some(AuditAction::Verify(out)) => {
            super::verify::verify(global, &journal, out, a.local_only).await
        }
        Some(AuditAction::Shared(out)) => super::audit_shared::run(global, a, out).await,
        _ => audit(&journal, a),
    }
}

/// Runs `audit` and `audit export` (`audit verify` is [`verify`]).
fn audit(journal: &Path, a: &AuditArgs) -> Result<Exit, Failure> {
    let name = journal.display().to_string();
    let printer = Printer::new(a.out);
    match a.action {
        // `run` sends verify to `verify`.
        Some(AuditAction::Verify(_) | AuditAction::Shared(_)) => Err(Failure::Usage(
            "internal: audit verify or shared dispatched without a session".into(),
        )),
        Some(AuditAction::Export) => {
            let j = modeldeck_promotion::Journal::open(journal, Default::default())
                .map_err(|e| Failure::Other(anyhow::anyhow!("the audit journal {name}: {e}")))?;
            let mut buf = Vec::new();
            j.export(ExportFormat::Json, &mut buf)
                .map_err(|e| Failure::Other(anyhow::anyhow!("exporting {name}: {e}")))?;
            write_stdout(&String::from_utf8_lossy(&buf))?;
            Ok(Exit::Ok)
        }
        None => {
            let lines = if journal.exists() {
                modeldeck_promotion::journal::read_path(journal)
                    .map_err(|e| Failure::Other(anyhow::anyhow!("the audit journal {name}: {e}")))?
            } else {
                Vec::new()
            };
            let since = a
                .since
                .as_deref()
                .map(|s| parse_when(s, SystemClock.now()))
                .transpose()?;
            let total = lines.len() as u64;
            // An entry is about the model when its subject names it, or it
            // belongs to a promotion whose other entries do (workload patches).
            let names = |subject: &str, m: &str| {
                subject
                    .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';'))
                    .any(|w| w == m)
            };
            let promos: std::collections::BTreeSet<String> = match a.model.as_deref() {
                Some(m) => lines
                    .iter()
                    .filter(|l| names(&l.record.entry.subject, m))
                    .filter_map(|l| l.record.promotion.clone())
                    .collect(),
                None => Default::default(),
            };
            let entries: Vec<EntryDoc> = lines
                .into_iter()
                .filter(|l| since.is_none_or(|t| l.record.entry.at >= t))
                .filter(|l| {
                    a.model.as_deref().is_none_or(|m| {
                        names(&l.record.entry.subject, m)
                            || l.record
                                .promotion
                                .as_ref()
                                .is_some_and(|p| promos.contains(p))
                    })
                })
                .map(|l| EntryDoc {
                    seq: l.seq,
                    hash: l.hash,
                    at_rfc3339: l.record.entry.at.rfc3339(),
                    entry: l.record.entry,
                    promotion: l.record.promotion,
                })
                .collect();
            let doc = AuditDoc {
                journal: name,
                total,
                count: entries.len(),
                entries,
            };
            printer.print(&doc, |_| {
                let mut t = Table::new(&["#", "AT", "ACTOR", "ACTION", "SUBJECT", "OUTCOME"]);
                for e in &doc.entries {
                    t.row(vec![
                        Cell::new(e.seq.to_string()),
                        Cell::new(&e.at_rfc3339),
                        Cell::new(&e.entry.actor),
                        Cell::new(&e.entry.action),
                        Cell::clipped(&e.entry.subject, 60),
                        Cell::clipped(&e.entry.outcome, 60),
                    ]);
                }
                let table = if doc.entries.is_empty() {
                    String::new()
                } else {
                    format!("{}\n", t.render(false))
                };
                format!(
                    "{table}{} of {} entries in {}\n",
                    doc.count, doc.total, doc.journal
                )
            })?;
            Ok(Exit::Ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_is_a_span_ago_or_an_rfc3339_time() {
        let now = Timestamp(1_795_869_880_000);
        assert_eq!(parse_when("2h", now).unwrap().0, now.0 - 7_200_000);
        let t = parse_when("2026-11-28T13:02:11Z", now).unwrap();
        assert_eq!(t.rfc3339(), "2026-11-28T13:02:11Z");
        let t = parse_when("2000-02-29T00:00:00Z", now).unwrap();
        assert_eq!(t.rfc3339(), "2000-02-29T00:00:00Z");
        assert!(parse_when("yesterday", now).is_err());
        assert!(parse_when("2026-13-01T00:00:00Z", now).is_err());
    }
}
