//! `modeldeck audit verify`: this machine's journal (its own chain), the
//! registry's mirror of it, and the shared history on the clusters'
//! `ModelPromotion` objects, each checked against the others: an edited,
//! deleted, reordered or truncated entry anywhere, and a consistent
//! rewrite of any one copy, is reported naming the copy and the first bad
//! entry.

use crate::cli::{GlobalArgs, OutputArgs};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::session;
use modeldeck_promotion::journal::mirror_check::{Mirror, MirrorCheck, verify_against_mirror};
use modeldeck_promotion::journal::shared_check::{self, SharedCheck, SharedRead};
use modeldeck_promotion::journal::{JournalLine, read_path, verify_path};
use serde::Serialize;
use std::path::Path;

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
    /// The copy found wrong: `journal`, `registry` or `shared`.
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
    /// The shared record check (the clusters' promotion objects).
    pub shared: SharedDoc,
    /// Whether the head's HMAC signature was checked (a journal key is set:
    /// `modeldeck login journal` or `MODELDECK_JOURNAL_KEY`).
    pub signed: bool,
}

/// What the shared record (the history on each cluster's `ModelPromotion`
/// objects) holds and whether it agrees with this journal.
#[derive(Debug, Serialize)]
pub struct SharedDoc {
    /// False with `--local-only`, or when no cluster could be read.
    pub checked: bool,
    /// Why it was not checked.
    pub reason: Option<String>,
    /// Promotion objects read.
    pub promotions: usize,
    /// History entries in them.
    pub entries: usize,
    /// Entries this journal witnessed that agree with it.
    pub agreeing: usize,
    /// Entries of other operators' journals: their chain is checked, not their content.
    pub foreign: usize,
    /// Clusters read.
    pub clusters: Vec<String>,
    /// Clusters not read, with why (`name: reason`).
    pub skipped: Vec<String>,
}

struct SharedOutcome {
    doc: SharedDoc,
    first_bad: Option<shared_check::SharedBad>,
}

/// Every hash the registry mirror holds per journal seq.
fn mirror_hashes(m: Option<&Mirror>) -> std::collections::BTreeMap<u64, Vec<String>> {
    let mut out: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    for e in m.map(|m| m.entries.as_slice()).unwrap_or_default() {
        out.entry(e.entry.seq)
            .or_default()
            .push(e.entry.hash.clone());
    }
    out
}

/// Reads the shared record from every bound cluster and compares it with
/// the journal.
async fn check_shared(
    cluster: &dyn modeldeck_core::ports::Cluster,
    lines: &[JournalLine],
    mirror: &std::collections::BTreeMap<u64, Vec<String>>,
    mirror_entries: &[modeldeck_promotion::journal::mirror_check::MirroredEntry],
) -> (SharedRead, SharedCheck) {
    let read = match tokio::time::timeout(MIRROR_TIMEOUT, shared_check::read_shared(cluster)).await
    {
        Ok(r) => r,
        Err(_) => SharedRead {
            skipped: vec![(
                "every cluster".into(),
                format!("no answer within {}s", MIRROR_TIMEOUT.as_secs()),
            )],
            ..SharedRead::default()
        },
    };
    let id = lines
        .first()
        .map(|l| l.hash[..16.min(l.hash.len())].to_string());
    let mut check = shared_check::compare(lines, id.as_deref(), &read.copies, &read.read, mirror);
    if check.first_bad.is_none() {
        let mirrored: Vec<_> = mirror_entries.iter().map(|e| e.entry.clone()).collect();
        check.first_bad =
            shared_check::foreign_against_mirror(&read.copies, id.as_deref(), &mirrored);
    }
    (read, check)
}

fn shared_docs(r: Result<(SharedRead, SharedCheck), String>) -> (CopyDoc, SharedOutcome) {
    match r {
        Ok((read, check)) => {
            let checked = !read.read.is_empty();
            let skipped: Vec<String> = read
                .skipped
                .iter()
                .map(|(c, why)| format!("{c}: {why}"))
                .collect();
            let reason = (!checked).then(|| {
                if skipped.is_empty() {
                    "no cluster is configured".to_string()
                } else {
                    format!("no cluster's ledger could be read ({})", skipped.join("; "))
                }
            });
            let bad = check.first_bad.clone();
            (
                CopyDoc {
                    name: "shared",
                    checked,
                    ok: checked.then_some(bad.as_ref().is_none_or(|b| b.copy != "shared")),
                    entries: checked.then_some(check.entries as u64),
                    detail: bad
                        .as_ref()
                        .filter(|b| b.copy == "shared")
                        .map(|b| format!("entry #{} ({}): {}", b.seq, b.reason, b.detail))
                        .or(reason.clone()),
                },
                SharedOutcome {
                    doc: SharedDoc {
                        checked,
                        reason,
                        promotions: check.copies,
                        entries: check.entries,
                        agreeing: check.agreeing,
                        foreign: check.foreign,
                        clusters: read.read.into_iter().collect(),
                        skipped,
                    },
                    first_bad: bad,
                },
            )
        }
        Err(reason) => (
            CopyDoc {
                name: "shared",
                checked: false,
                ok: None,
                entries: None,
                detail: Some(reason.clone()),
            },
            SharedOutcome {
                doc: SharedDoc {
                    checked: false,
                    reason: Some(reason),
                    promotions: 0,
                    entries: 0,
                    agreeing: 0,
                    foreign: 0,
                    clusters: Vec::new(),
                    skipped: Vec::new(),
                },
                first_bad: None,
            },
        ),
    }
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

/// The registry and cluster ports of the profile (a session opened and
/// dropped without close(): verify changes nothing, so a kept sandbox
/// world is not written).
async fn ports(
    global: &GlobalArgs,
) -> Result<(modeldeck_core::console::Backends, Option<Vec<u8>>), String> {
    let s = modeldeck_app::Session::open(session::options(global))
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        s.console.backends().clone(),
        s.journal_key().map(<[u8]>::to_vec),
    ))
}

/// Compares the journal's lines with the registry's mirror; `Err` is why
/// the mirror was not checked.
async fn check_mirror(
    registry: &dyn modeldeck_core::ports::Registry,
    lines: &[JournalLine],
) -> Result<(Mirror, MirrorCheck), String> {
    match tokio::time::timeout(MIRROR_TIMEOUT, verify_against_mirror(registry, lines)).await {
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
    let lines =
        read_path(journal).map_err(|e| format!("the journal cannot be read line by line: {e}"));
    let opened = match (&lines, local_only) {
        (_, true) => Err("--local-only".to_string()),
        (Err(e), _) => Err(e.clone()),
        (Ok(_), false) => ports(global).await,
    };
    // The head's HMAC key: the profile's (environment, then keychain), or
    // with --local-only the environment's.
    let key = match &opened {
        Ok((_, k)) => k.clone(),
        Err(_) => std::env::var("MODELDECK_JOURNAL_KEY")
            .ok()
            .filter(|v| !v.is_empty())
            .map(String::into_bytes),
    };
    let local = verify_path(journal, key.as_deref());
    let ports = opened.map(|(p, _)| p);
    let lines = lines.unwrap_or_default();
    let mirror = match &ports {
        Ok(p) => check_mirror(&*p.registry, &lines).await,
        Err(e) => Err(e.clone()),
    };
    let shared = match &ports {
        Ok(p) => {
            let hashes = mirror_hashes(mirror.as_ref().ok().map(|(m, _)| m));
            let entries = mirror
                .as_ref()
                .map(|(m, _)| m.entries.as_slice())
                .unwrap_or_default();
            Ok(check_shared(&*p.cluster, &lines, &hashes, entries).await)
        }
        Err(e) => Err(e.clone()),
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
    // Journal lines the shared record witnessed exactly as they are now.
    let witnessed_as_is = shared
        .as_ref()
        .map(|(_, c)| c.agreeing_seqs.clone())
        .unwrap_or_default();
    let (registry_copy, mirror_doc) = match mirror {
        Ok((m, check)) => {
            let bad = check.first_bad.as_ref();
            if first_bad.is_none()
                && let Some(b) = bad
            {
                // The mirror alone cannot tell a rewritten journal line from
                // a rewritten tag (hash and fields both differ); when the
                // shared record witnessed that line as the journal holds it,
                // two copies agree and the tag is the one that moved.
                let tag_moved = b.copy == "journal" && witnessed_as_is.contains(&b.seq);
                first_bad = Some(FirstBadDoc {
                    seq: b.seq,
                    reason: b.reason.as_str().to_string(),
                    copy: if tag_moved { "registry" } else { b.copy },
                    detail: if tag_moved {
                        format!(
                            "{}; the shared record witnessed the journal's entry #{} as it is: the mirror tag was rewritten",
                            b.detail, b.seq
                        )
                    } else {
                        b.detail.clone()
                    },
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
    let (shared_copy, shared_doc) = shared_docs(shared);
    if first_bad.is_none()
        && let Some(b) = &shared_doc.first_bad
    {
        first_bad = Some(FirstBadDoc {
            seq: b.seq,
            reason: b.reason.to_string(),
            copy: b.copy,
            detail: b.detail.clone(),
        });
    }
    let shared_ok = shared_copy.ok.unwrap_or(true);
    // A journal that verifies by itself but disagrees with what the
    // shared record witnessed was rewritten consistently.
    let mut journal_copy = journal_copy;
    let mut journal_ok = local.is_ok();
    if let Some(b) = shared_doc
        .first_bad
        .as_ref()
        .filter(|b| b.copy == "journal")
    {
        journal_ok = false;
        journal_copy.ok = Some(false);
        journal_copy.detail = Some(format!(
            "disagrees with the shared record at entry #{} ({}): {}",
            b.seq, b.reason, b.detail
        ));
    }
    let doc = VerifyDoc {
        journal: name,
        ok: journal_ok && mirror_ok && shared_ok,
        count: local.as_ref().ok().map(|v| v.count),
        head: local.as_ref().ok().map(|v| v.head.clone()),
        error: local.as_ref().err().cloned(),
        copies: vec![journal_copy, registry_copy, shared_copy],
        first_bad,
        mirror: mirror_doc,
        shared: shared_doc.doc,
        signed: key.is_some(),
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
    let sh = &doc.shared;
    match (&sh.reason, doc.copies.get(2)) {
        (Some(reason), _) => out.push_str(&format!("shared record not checked: {reason}\n")),
        (None, Some(CopyDoc { ok: Some(false), detail, .. })) => out.push_str(&format!(
            "DISAGREES: the shared record {}\n",
            detail.as_deref().unwrap_or("disagrees with the journal")
        )),
        (None, _) => out.push_str(&format!(
            "shared record agrees: {} promotion objects on {} ({} entries; {} witnessed by this journal agree, {} by other operators' journals, chains intact)\n",
            sh.promotions,
            sh.clusters.join(", "),
            sh.entries,
            sh.agreeing,
            sh.foreign
        )),
    }
    for s in &sh.skipped {
        out.push_str(&format!("note: shared record not read on {s}\n"));
    }
    out
}
