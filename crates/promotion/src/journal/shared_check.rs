//! Cross-checking this machine's journal (the local witness) against the
//! shared history on the `ModelPromotion` objects of every cluster, and
//! each shared chain against itself.
//!
//! What is compared: every shared entry whose witness names this journal
//! (`<journal id>:<seq>:<hash>`) against line `seq` (hash and content),
//! and every journal line that says where it was shared (`shared_to`)
//! against the copies there, unless a later `audit.share_failed` line
//! says that append failed. When hash and content disagree at once, the
//! registry mirror's hash for that line (if known) says which copy moved.

use super::JournalLine;
pub use crate::service::entry_hash;

/// Recomputes every `prevHash` and `hash` of `history` in order (what a
/// consistent rewrite does; tests use it to play the attacker).
pub fn rechain(history: &mut [LedgerEntry]) {
    let mut prev = String::new();
    for e in history.iter_mut() {
        e.prev_hash = prev.clone();
        e.hash = entry_hash(e);
        prev = e.hash.clone();
    }
}
use modeldeck_core::domain::LedgerEntry;
use std::collections::{BTreeMap, BTreeSet};

/// One promotion object's shared history as read from a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedCopy {
    /// Cluster (context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// Promotion id (object name).
    pub promotion: String,
    /// Its history, oldest first.
    pub history: Vec<LedgerEntry>,
}

impl SharedCopy {
    fn site(&self) -> String {
        format!("{}/{}", self.cluster, self.namespace)
    }
}

/// The first disagreement found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBad {
    /// `journal` or `shared`.
    pub copy: &'static str,
    /// Journal sequence number (or the shared entry's index + 1 for a
    /// broken shared chain).
    pub seq: u64,
    /// `chain_broken`, `edited`, `rewritten`, `deleted`, `truncated`.
    pub reason: &'static str,
    /// Where and how, in words.
    pub detail: String,
}

/// What the cross-check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedCheck {
    /// Promotion objects read.
    pub copies: usize,
    /// Shared entries in them.
    pub entries: usize,
    /// Of those, witnessed by this journal and agreeing with it.
    pub agreeing: usize,
    /// The journal seqs of those agreeing entries: lines the shared record
    /// witnessed exactly as the journal holds them now (hash and content).
    pub agreeing_seqs: BTreeSet<u64>,
    /// Entries of other journals (other operators): only their chain is checked.
    pub foreign: usize,
    /// The first problem, if any.
    pub first_bad: Option<SharedBad>,
}

fn content_matches(line: &JournalLine, e: &LedgerEntry) -> bool {
    let r = &line.record.entry;
    let clip = |s: &str| crate::tags::shorten(s, 2000);
    r.at.rfc3339() == e.at
        && r.actor == e.actor
        && r.action == e.action
        && e.outcome.as_deref() == Some(clip(&r.outcome).as_str())
}

fn witness(e: &LedgerEntry) -> Option<(&str, u64, &str)> {
    let w = e.witness.as_deref()?;
    let mut parts = w.splitn(3, ':');
    let id = parts.next()?;
    let seq = parts.next()?.parse().ok()?;
    let hash = parts.next()?;
    Some((id, seq, hash))
}

/// Compares `lines` (this journal, id `journal_id`) with `copies`, read
/// from the clusters in `read_clusters` (lines shared to another cluster
/// are not judged). `mirror` maps journal seq -> the hashes the registry
/// mirror holds for it (several journals may share a registry), used only to say which copy moved when both hash and
/// content differ.
pub fn compare(
    lines: &[JournalLine],
    journal_id: Option<&str>,
    copies: &[SharedCopy],
    read_clusters: &BTreeSet<String>,
    mirror: &BTreeMap<u64, Vec<String>>,
) -> SharedCheck {
    let mut out = SharedCheck {
        copies: copies.len(),
        ..SharedCheck::default()
    };
    let mut bad: Vec<SharedBad> = Vec::new();
    let by_seq: BTreeMap<u64, &JournalLine> = lines.iter().map(|l| (l.seq, l)).collect();
    let last_seq = lines.last().map_or(0, |l| l.seq);
    // Which (promotion, site, seq) the shared record holds for this journal.
    let mut witnessed: BTreeSet<(String, String, u64)> = BTreeSet::new();
    for c in copies {
        out.entries += c.history.len();
        if let Some((i, why)) = crate::service::first_broken(&c.history) {
            bad.push(SharedBad {
                copy: "shared",
                seq: i as u64 + 1,
                reason: "chain_broken",
                detail: format!(
                    "ModelPromotion {} on {}: history entry {} ({}): {why}",
                    c.promotion,
                    c.site(),
                    i + 1,
                    c.history[i].action
                ),
            });
        }
        for e in &c.history {
            let Some((id, seq, hash)) = witness(e) else {
                out.foreign += 1;
                continue;
            };
            if Some(id) != journal_id {
                out.foreign += 1;
                continue;
            }
            witnessed.insert((c.promotion.clone(), c.site(), seq));
            let Some(line) = by_seq.get(&seq) else {
                bad.push(SharedBad {
                    copy: "journal",
                    seq,
                    reason: "truncated",
                    detail: format!(
                        "ModelPromotion {} on {} holds entry #{seq} ({} by {}) of this journal, which ends at #{last_seq}",
                        c.promotion,
                        c.site(),
                        e.action,
                        e.actor
                    ),
                });
                continue;
            };
            let same_hash = line.hash == hash;
            let same_content = content_matches(line, e);
            let what = format!(
                "entry #{seq} ({} by {})",
                line.record.entry.action, line.record.entry.actor
            );
            match (same_hash, same_content) {
                (true, true) => {
                    out.agreeing += 1;
                    out.agreeing_seqs.insert(seq);
                }
                (true, false) => bad.push(SharedBad {
                    copy: "shared",
                    seq,
                    reason: "edited",
                    detail: format!(
                        "ModelPromotion {} on {}: {what} reads {} by {} ({}) there",
                        c.promotion,
                        c.site(),
                        e.action,
                        e.actor,
                        e.outcome.as_deref().unwrap_or("")
                    ),
                }),
                (false, true) => bad.push(SharedBad {
                    copy: "journal",
                    seq,
                    reason: "rewritten",
                    detail: format!(
                        "{what}: the journal's hash {} is not the {hash} witnessed on {} (the chain was recomputed)",
                        short(&line.hash),
                        c.site()
                    ),
                }),
                (false, false) => {
                    let journal_moved = mirror
                        .get(&seq)
                        .is_some_and(|m| !m.is_empty() && !m.contains(&line.hash));
                    bad.push(SharedBad {
                        copy: if journal_moved { "journal" } else { "shared" },
                        seq,
                        reason: if journal_moved { "rewritten" } else { "edited" },
                        detail: format!(
                            "{what} differs in hash and content from ModelPromotion {} on {}{}",
                            c.promotion,
                            c.site(),
                            if journal_moved {
                                " and from the registry mirror"
                            } else {
                                ""
                            }
                        ),
                    });
                }
            }
        }
    }
    // Lines that were shared and are not there any more.
    let failed: BTreeSet<(u64, String)> = lines
        .iter()
        .filter(|l| l.record.entry.action == "audit.share_failed")
        .flat_map(|l| {
            let seq = l.record.entry.after["seq"].as_u64().unwrap_or(0);
            l.record.entry.after["sites"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str())
                .map(move |site| (seq, site.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let read: BTreeSet<(String, String)> = copies
        .iter()
        .map(|c| (c.promotion.clone(), c.site()))
        .collect();
    for l in lines {
        let Some(p) = &l.record.promotion else {
            continue;
        };
        for site in &l.record.shared_to {
            let readable = read_clusters.iter().any(|c| {
                site.strip_prefix(c.as_str())
                    .is_some_and(|r| r.starts_with('/'))
            });
            if !readable
                || failed.contains(&(l.seq, site.clone()))
                || witnessed.contains(&(p.clone(), site.clone(), l.seq))
            {
                continue;
            }
            // Witnessed under another journal id (line 1 was rewritten, so
            // the id moved): the same moment and action at this seq means
            // the journal line changed, not the shared record.
            let same_moment = copies
                .iter()
                .filter(|c| c.promotion == *p && c.site() == *site)
                .flat_map(|c| c.history.iter())
                .find(|e| {
                    witness(e).is_some_and(|(_, seq, _)| seq == l.seq)
                        && e.at == l.record.entry.at.rfc3339()
                        && e.action == l.record.entry.action
                });
            if let Some(e) = same_moment {
                bad.push(SharedBad {
                    copy: "journal",
                    seq: l.seq,
                    reason: "rewritten",
                    detail: format!(
                        "entry #{} ({}): the journal reads {} by {}, the shared record on {site} witnessed {} by {} with another hash (the chain was recomputed)",
                        l.seq,
                        l.record.entry.action,
                        l.record.entry.action,
                        l.record.entry.actor,
                        e.action,
                        e.actor
                    ),
                });
                continue;
            }
            let detail = if read.contains(&(p.clone(), site.clone())) {
                format!(
                    "entry #{} ({} by {}) is missing from the history of ModelPromotion {p} on {site}",
                    l.seq, l.record.entry.action, l.record.entry.actor
                )
            } else {
                format!(
                    "entry #{} ({} by {}) was shared to {site}, where ModelPromotion {p} is gone",
                    l.seq, l.record.entry.action, l.record.entry.actor
                )
            };
            bad.push(SharedBad {
                copy: "shared",
                seq: l.seq,
                reason: "deleted",
                detail,
            });
        }
    }
    out.first_bad = bad.into_iter().min_by_key(|b| b.seq);
    out
}

fn short(h: &str) -> &str {
    &h[..12.min(h.len())]
}

/// What [`read_shared`] found on the clusters.
#[derive(Debug, Clone, Default)]
pub struct SharedRead {
    /// Every promotion object's history.
    pub copies: Vec<SharedCopy>,
    /// Clusters whose ledger was read.
    pub read: BTreeSet<String>,
    /// Clusters not read, each with why (unbound, unreachable, refused).
    pub skipped: Vec<(String, String)>,
}

/// Reads the shared history of every promotion object on every cluster of
/// `cluster` whose ledger is bound.
pub async fn read_shared(cluster: &dyn modeldeck_core::ports::Cluster) -> SharedRead {
    use modeldeck_core::domain::LedgerState;
    let mut out = SharedRead::default();
    for c in cluster.clusters() {
        match cluster.ledger(&c).await {
            Ok(LedgerState::Bound) => {}
            Ok(LedgerState::Unbound { reason }) => {
                out.skipped.push((c, reason));
                continue;
            }
            Err(e) => {
                out.skipped.push((c, e.message));
                continue;
            }
        }
        match cluster.list_promotions(&c).await {
            Ok(list) => {
                out.read.insert(c.clone());
                out.copies.extend(list.into_iter().map(|p| SharedCopy {
                    cluster: c.clone(),
                    namespace: p.namespace,
                    promotion: p.name,
                    history: p.status.history,
                }));
            }
            Err(e) => out.skipped.push((c, e.message)),
        }
    }
    out
}

/// Shared entries of other journals (other operators) checked against the
/// registry mirror, which holds every journal's entries: an entry whose
/// witness names a mirrored `seq:hash` must read as the mirror does (time,
/// actor, action, outcome). The first that does not is a shared-record
/// edit. Entries whose witness the mirror does not hold are not judged.
pub fn foreign_against_mirror(
    copies: &[SharedCopy],
    journal_id: Option<&str>,
    mirror: &[crate::tags::AuditMirror],
) -> Option<SharedBad> {
    let by: BTreeMap<(u64, &str), &crate::tags::AuditMirror> = mirror
        .iter()
        .map(|m| ((m.seq, m.hash.as_str()), m))
        .collect();
    let clip = |s: &str| crate::tags::shorten(s, 2000);
    for c in copies {
        for e in &c.history {
            let Some((id, seq, hash)) = witness(e) else {
                continue;
            };
            if Some(id) == journal_id {
                continue;
            }
            let Some(m) = by.get(&(seq, hash)) else {
                continue;
            };
            let same = m.at.rfc3339() == e.at
                && m.actor == e.actor
                && m.action == e.action
                && e.outcome.as_deref().map(clip) == Some(clip(&m.outcome));
            if !same {
                return Some(SharedBad {
                    copy: "shared",
                    seq,
                    reason: "edited",
                    detail: format!(
                        "ModelPromotion {} on {}: another journal's entry #{seq} reads {} by {} ({}) there, but {} by {} ({}) in the registry mirror",
                        c.promotion,
                        c.site(),
                        e.action,
                        e.actor,
                        e.outcome.as_deref().unwrap_or(""),
                        m.action,
                        m.actor,
                        m.outcome
                    ),
                });
            }
        }
    }
    None
}
