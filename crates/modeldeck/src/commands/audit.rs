//! `modeldeck audit [verify|export]`: the hash-chained journal read back
//! (filtered by model and time), verified end to end (against the
//! registry's mirror too), exported. `history` is in `history.rs`.

use crate::cli::{AuditAction, AuditArgs, GlobalArgs, OutputArgs};
use crate::failure::{Exit, Failure};
use crate::render::table::{Cell, Table};
use crate::render::{Printer, write_stdout};
use crate::session;
use modeldeck_core::domain::{AuditEntry, Clock, SystemClock, Timestamp};
use modeldeck_promotion::journal::mirror_check::{Mirror, MirrorCheck, verify_against_mirror};
use modeldeck_promotion::journal::{ExportFormat, read_path, verify_path};
use modeldeck_promotion::policy::Span;
use serde::Serialize;
use std::path::Path;

/// Parses `--since`/`--at`: a span ago (`30m`, `24h`, `7d`) or RFC 3339
/// UTC (`2026-11-28T13:02:11Z`).
pub fn parse_when(text: &str, now: Timestamp) -> Result<Timestamp, Failure> {
    if let Ok(span) = Span::parse(text) {
        return Ok(now.plus_millis(-span.as_millis_i64()));
    }
    parse_rfc3339(text).ok_or_else(|| {
        Failure::Usage(format!(
            "{text:?} is neither a span such as 30m, 24h, 7d nor an RFC 3339 time such as 2026-11-28T13:02:11Z"
        ))
    })
}

fn parse_rfc3339(t: &str) -> Option<Timestamp> {
    let t = t.trim().strip_suffix('Z')?;
    let (date, time) = t.split_once('T')?;
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let h: Vec<&str> = time.split(':').collect();
    let [y, m, day] = d.as_slice() else {
        return None;
    };
    let [hh, mm, ss] = h.as_slice() else {
        return None;
    };
    let (hh, mm): (i64, i64) = (hh.parse().ok()?, mm.parse().ok()?);
    let ss: f64 = ss.parse().ok()?;
    if !(1..=12).contains(m) || !(1..=31).contains(day) || hh > 23 || mm > 59 || ss >= 61.0 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if *m <= 2 { y - 1 } else { *y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = ((days * 86_400 + hh * 3600 + mm * 60) as f64 + ss) * 1000.0;
    Some(Timestamp(ms.round() as i64))
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

/// One copy of the audit trail as `audit verify` saw it.
#[derive(Debug, Serialize)]
pub struct CopyDoc {
    /// `journal` (this machine's file) or `registry` (the MLflow mirror).
    pub name: &'static str,
    /// Whether it was checked (the registry may be skipped or unreachable).
    pub checked: bool,
    /// True when it verified (journal) or agrees with the journal
    /// (registry); `null` when not checked.
    pub ok: Option<bool>,
    /// Entries in it (journal lines; mirrored entries).
    pub entries: Option<u64>,
    /// Why it is not ok, or why it was not checked.
    pub detail: Option<String>,
}

/// The first entry on which `audit verify` found a problem.
#[derive(Debug, Serialize)]
pub struct FirstBadDoc {
    /// Journal sequence number (line number for a local chain problem).
    pub seq: u64,
    /// What: a chain problem (`edited`, `rewritten`, `deleted`,
    /// `reordered`, `truncated`...) or a disagreement with the mirror
    /// (`hash_differs`, `missing_from_journal`, `reordered`, `mirror_edited`).
    pub reason: String,
    /// The copy found wrong: `journal` or `registry`.
    pub copy: &'static str,
    /// Why, with the numbers.
    pub detail: String,
}

/// Whether the registry mirror was read, and what the comparison found.
#[derive(Debug, Serialize)]
pub struct MirrorDoc {
    /// False with `--local-only`, or when the registry is not configured
    /// or unreachable.
    pub checked: bool,
    /// Why it was not checked.
    pub reason: Option<String>,
    /// Mirrored entries read.
    pub mirrored: usize,
    /// Of those, agreeing with the journal.
    pub agreeing: usize,
    /// Journal entries about a promotion the registry does not hold (not
    /// mirrored by design, or the tag write failed): not an error.
    pub unmirrored: usize,
    /// Mirrored entries of other journals writing to the same registry
    /// (another operator's): not compared.
    pub foreign: usize,
    /// Mirrored entries beyond this journal's end that cannot be told from
    /// another journal's (foreign entries exist): not compared.
    pub unattributed: usize,
    /// Audit tags that could not be decoded.
    pub problems: Vec<String>,
}

/// `audit verify`.
#[derive(Debug, Serialize)]
pub struct VerifyDoc {
    /// Journal file.
    pub journal: String,
    /// True when the whole chain verified and the mirror, when checked, agrees.
    pub ok: bool,
    /// Entries verified.
    pub count: Option<u64>,
    /// Hash of the last entry.
    pub head: Option<String>,
    /// The journal chain's first problem: line, kind (`edited`, `deleted`, `reordered`, `truncated`...), detail.
    pub error: Option<modeldeck_promotion::journal::VerifyError>,
    /// Each copy: `journal`, then `registry`.
    pub copies: Vec<CopyDoc>,
    /// The first bad entry, in whichever copy.
    pub first_bad: Option<FirstBadDoc>,
    /// The registry mirror check.
    pub mirror: MirrorDoc,
}

impl MirrorDoc {
    fn skipped(reason: String) -> MirrorDoc {
        MirrorDoc {
            checked: false,
            reason: Some(reason),
            mirrored: 0,
            agreeing: 0,
            unmirrored: 0,
            foreign: 0,
            unattributed: 0,
            problems: Vec::new(),
        }
    }
}

/// Reads the registry's mirror (opening a session for it) and compares the
/// journal's lines with it; `Err` is why the mirror was not checked.
async fn check_mirror(
    global: &GlobalArgs,
    journal: &Path,
) -> Result<(Mirror, MirrorCheck), String> {
    let lines =
        read_path(journal).map_err(|e| format!("the journal cannot be read line by line: {e}"))?;
    let s = modeldeck_app::Session::open(session::options(global))
        .await
        .map_err(|e| e.to_string())?;
    let registry = s.console.backends().registry.clone();
    // Dropped without close(): verify changes nothing, so a kept sandbox
    // world is not written.
    drop(s);
    match tokio::time::timeout(MIRROR_TIMEOUT, verify_against_mirror(&*registry, &lines)).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!(
            "the registry did not answer within {}s",
            MIRROR_TIMEOUT.as_secs()
        )),
    }
}

/// How long `audit verify` waits for the registry's mirror.
const MIRROR_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `audit verify`: the journal's own chain, then (unless
/// `local_only`) the registry's mirror of it.
pub async fn verify(
    global: &GlobalArgs,
    journal: &Path,
    out: OutputArgs,
    local_only: bool,
) -> Result<Exit, Failure> {
    let name = journal.display().to_string();
    let local = verify_path(journal, None);
    let mirror = if local_only {
        Err("--local-only".to_string())
    } else {
        check_mirror(global, journal).await
    };
    let journal_copy = CopyDoc {
        name: "journal",
        checked: true,
        ok: Some(local.is_ok()),
        entries: local.as_ref().ok().map(|v| v.count),
        detail: local.as_ref().err().map(ToString::to_string),
    };
    let mut first_bad = local.as_ref().err().map(|e| FirstBadDoc {
        seq: e.line,
        reason: e.kind.as_str().to_string(),
        copy: "journal",
        detail: e.detail.clone(),
    });
    let (registry_copy, mirror_doc) = match mirror {
        Ok((m, check)) => {
            let bad = check.first_bad.as_ref();
            if first_bad.is_none()
                && let Some(b) = bad
            {
                first_bad = Some(FirstBadDoc {
                    seq: b.seq,
                    reason: b.reason.as_str().to_string(),
                    copy: b.copy,
                    detail: b.detail.clone(),
                });
            }
            (
                CopyDoc {
                    name: "registry",
                    checked: true,
                    ok: Some(check.ok()),
                    entries: Some(check.mirrored as u64),
                    detail: bad.map(|b| {
                        format!(
                            "disagrees with the journal at entry #{} ({}): {}",
                            b.seq,
                            b.reason.as_str(),
                            b.detail
                        )
                    }),
                },
                MirrorDoc {
                    checked: true,
                    reason: None,
                    mirrored: check.mirrored,
                    agreeing: check.agreeing,
                    unmirrored: check.unmirrored,
                    foreign: check.foreign,
                    unattributed: check.unattributed,
                    problems: m.problems,
                },
            )
        }
        Err(reason) => (
            CopyDoc {
                name: "registry",
                checked: false,
                ok: None,
                entries: None,
                detail: Some(reason.clone()),
            },
            MirrorDoc::skipped(reason),
        ),
    };
    let mirror_ok = registry_copy.ok.unwrap_or(true);
    let doc = VerifyDoc {
        journal: name,
        ok: local.is_ok() && mirror_ok,
        count: local.as_ref().ok().map(|v| v.count),
        head: local.as_ref().ok().map(|v| v.head.clone()),
        error: local.as_ref().err().cloned(),
        copies: vec![journal_copy, registry_copy],
        first_bad,
        mirror: mirror_doc,
    };
    Printer::new(out).print(&doc, |_| verify_text(&doc))?;
    if !doc.ok {
        if let Some(b) = &doc.first_bad {
            eprintln!(
                "error: the audit trail does not verify: {} copy, entry #{}: {}: {}",
                b.copy, b.seq, b.reason, b.detail
            );
        }
        return Ok(Exit::Other);
    }
    Ok(Exit::Ok)
}

fn verify_text(doc: &VerifyDoc) -> String {
    let mut out = match (&doc.error, doc.count, &doc.head) {
        (Some(e), _, _) => format!("TAMPERED: {}: {e}\n", doc.journal),
        (None, Some(n), Some(h)) => {
            format!("ok: {n} entries verified in {}; head {h}\n", doc.journal)
        }
        _ => String::new(),
    };
    let m = &doc.mirror;
    match (&m.reason, doc.copies.get(1)) {
        (Some(reason), _) => {
            out.push_str(&format!("registry mirror not checked: {reason}\n"));
        }
        (None, Some(CopyDoc { ok: Some(false), detail, .. })) => {
            out.push_str(&format!(
                "DISAGREES: the registry mirror {}\n",
                detail.as_deref().unwrap_or("disagrees with the journal")
            ));
        }
        (None, _) => out.push_str(&format!(
            "registry mirror agrees: {} mirrored entries match the journal ({} journal entries about a promotion not mirrored)\n",
            m.agreeing, m.unmirrored
        )),
    }
    if m.foreign + m.unattributed > 0 {
        out.push_str(&format!(
            "note: {} mirrored entries belong to other journals writing to this registry and {} beyond this journal's end cannot be attributed: not compared\n",
            m.foreign, m.unattributed
        ));
    }
    for p in &m.problems {
        out.push_str(&format!("warning: unreadable mirror tag: {p}\n"));
    }
    out
}

/// Runs `audit`, `audit export` and `audit verify` on this machine's
/// journal ([`SessionOptions::journal_path`](modeldeck_app::SessionOptions::journal_path),
/// decided without opening anything). Only `verify` opens a session, to
/// read the registry's mirror; the rest needs no backend, and a damaged
/// journal is what verify reports, so none of them opens the journal.
pub async fn run(global: &GlobalArgs, a: &AuditArgs) -> Result<Exit, Failure> {
    let journal = session::options(global).journal_path();
    match a.action {
        Some(AuditAction::Verify(out)) => verify(global, &journal, out, a.local_only).await,
        _ => audit(&journal, a),
    }
}

/// Runs `audit` and `audit export` (`audit verify` is [`verify`]).
fn audit(journal: &Path, a: &AuditArgs) -> Result<Exit, Failure> {
    let name = journal.display().to_string();
    let printer = Printer::new(a.out);
    match a.action {
        // `run` sends verify to `verify`.
        Some(AuditAction::Verify(_)) => Err(Failure::Usage(
            "internal: audit verify dispatched without its session".into(),
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
