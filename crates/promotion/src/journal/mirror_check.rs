//! Cross-checks the local journal against its mirror in the registry: the
//! [`AuditMirror`] tag the promotion service writes for every mirrored
//! entry (`modeldeck.promotion/<id>/audit/<ms>-<hash>`, see
//! [`crate::tags`]).
//!
//! The journal's own chain cannot see a *consistent* rewrite (an entry
//! changed and every following hash recomputed, head included). The mirror
//! is a second copy of each mirrored entry's `seq`, hash, time, actor,
//! action and outcome, kept by another system: a rewrite has to forge it
//! too. [`compare`] is the pure comparison; [`verify_against_mirror`] reads
//! the mirror through the [`Registry`] port first.
//!
//! Not every journal entry is mirrored (entries about no promotion, no-op
//! repeats, and tags the registry refused), so a journal entry missing from
//! the mirror is counted ([`MirrorCheck::unmirrored`]), not a disagreement.
//! The mirror carries no journal identity, and every operator's journal
//! writes to the same registry: entries are attributed to this journal by
//! hash, or by the time and action of the journal's entry at their `seq`
//! (see [`compare`] and `docs/promotions.md`).

use super::JournalLine;
use crate::tags::{self, AuditMirror};
use modeldeck_core::error::PortResult;
use modeldeck_core::ports::Registry;
use serde::Serialize;
use std::collections::HashMap;

/// One mirrored entry as read from the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MirroredEntry {
    /// Promotion id the tag belongs to.
    pub promotion: String,
    /// Model and version carrying the tag.
    pub model: String,
    /// Version carrying the tag.
    pub version: String,
    /// The mirror record.
    pub entry: AuditMirror,
}

/// What the mirror read found: its entries and the audit tags it could not
/// decode (one line each).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mirror {
    /// Mirrored entries, by `seq` then time.
    pub entries: Vec<MirroredEntry>,
    /// Audit tags that could not be decoded, with why.
    pub problems: Vec<String>,
}

/// Why the journal and the mirror disagree at an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disagreement {
    /// The journal's entry `seq` hashes differently from the mirrored one:
    /// one copy was edited or rewritten (the fields say which changed).
    HashDiffers,
    /// The registry mirrored entry `seq`, the journal does not have it:
    /// deleted or truncated.
    MissingFromJournal,
    /// The mirrored hash sits at another position in the journal.
    Reordered,
    /// Same hash, but the mirror's fields no longer match the journal's:
    /// the mirror tag was edited.
    MirrorEdited,
}

impl Disagreement {
    /// snake_case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Disagreement::HashDiffers => "hash_differs",
            Disagreement::MissingFromJournal => "missing_from_journal",
            Disagreement::Reordered => "reordered",
            Disagreement::MirrorEdited => "mirror_edited",
        }
    }
}

/// The first entry on which the copies disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirstBad {
    /// Journal sequence number of the entry (as the mirror records it).
    pub seq: u64,
    /// What kind of disagreement.
    pub reason: Disagreement,
    /// The copy that does not match the other: `journal` when the journal
    /// lost or changed what the registry holds, `registry` when the mirror
    /// tag itself was edited.
    pub copy: &'static str,
    /// Why, with the values of both copies.
    pub detail: String,
}

/// The result of [`compare`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MirrorCheck {
    /// Mirrored entries compared.
    pub mirrored: usize,
    /// Mirrored entries that agree with the journal.
    pub agreeing: usize,
    /// Journal entries about a promotion that the registry does not hold
    /// (not mirrored by design, or the tag write failed): not an error.
    pub unmirrored: usize,
    /// Mirrored entries of other journals writing to the same registry (at
    /// a `seq` this journal has, with another time or action): not compared.
    pub foreign: usize,
    /// Mirrored entries beyond this journal's end that cannot be told from
    /// another journal's because foreign entries exist: not compared.
    pub unattributed: usize,
    /// The first disagreement, by `seq`; `None` when the copies agree.
    pub first_bad: Option<FirstBad>,
}

impl MirrorCheck {
    /// True when every mirrored entry agrees with the journal.
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The fields of `line` that differ from `m`, as `field: journal X, registry Y`.
fn field_diffs(line: &JournalLine, m: &AuditMirror) -> Vec<String> {
    let e = &line.record.entry;
    let mut out = Vec::new();
    if e.at != m.at {
        out.push(format!("at: journal {}, registry {}", e.at.0, m.at.0));
    }
    let pairs = [
        ("actor", tags::shorten(&e.actor, 200), &m.actor),
        ("action", tags::shorten(&e.action, 100), &m.action),
        ("outcome", tags::shorten(&e.outcome, 3000), &m.outcome),
    ];
    for (name, journal, registry) in pairs {
        if journal != *registry {
            out.push(format!(
                "{name}: journal {:?}, registry {:?}",
                tags::shorten(&journal, 80),
                tags::shorten(registry, 80)
            ));
        }
    }
    out
}

/// True when `m` records the same moment and action as `l` (the fields a
/// rewrite of who, what or how rarely touches, and that two journals
/// practically never share).
fn same_slot(l: &JournalLine, m: &AuditMirror) -> bool {
    l.record.entry.at == m.at && tags::shorten(&l.record.entry.action, 100) == m.action
}

/// Compares `journal` (every line, in file order) with `mirror` (in any
/// order) and names the first disagreement by `seq`.
///
/// A mirrored entry is this journal's when its hash is one of the
/// journal's, or when the journal's entry of the same `seq` has the same
/// time and action (then a differing hash is a rewrite); one whose time and
/// action the journal holds at another `seq` was moved. Any other entry at
/// a `seq` the journal has belongs to another journal writing to the same
/// registry ([`MirrorCheck::foreign`]). An entry beyond the journal's end
/// is reported missing (deleted, truncated) when no foreign entry exists;
/// otherwise it cannot be told from another journal's and is counted in
/// [`MirrorCheck::unattributed`].
pub fn compare(journal: &[JournalLine], mirror: &[MirroredEntry]) -> MirrorCheck {
    let by_seq: HashMap<u64, &JournalLine> = journal.iter().map(|l| (l.seq, l)).collect();
    let by_hash: HashMap<&str, &JournalLine> =
        journal.iter().map(|l| (l.hash.as_str(), l)).collect();
    // Time and action -> the one journal entry with them (`None` when
    // several share them: a frozen sandbox clock, per-target entries).
    let mut by_moment: HashMap<(i64, String), Option<&JournalLine>> = HashMap::new();
    for l in journal {
        let key = (
            l.record.entry.at.0,
            tags::shorten(&l.record.entry.action, 100),
        );
        by_moment
            .entry(key)
            .and_modify(|v| *v = None)
            .or_insert(Some(l));
    }
    let mut sorted: Vec<&MirroredEntry> = mirror.iter().collect();
    sorted.sort_by(|a, b| {
        (a.entry.seq, a.entry.at, &a.entry.hash).cmp(&(b.entry.seq, b.entry.at, &b.entry.hash))
    });
    let moved = |m: &MirroredEntry, to: u64, how: &str| FirstBad {
        seq: m.entry.seq,
        reason: Disagreement::Reordered,
        copy: "journal",
        detail: format!(
            "the registry mirrored entry #{} ({} by {}, hash {}) but the journal holds it as #{to}{how}: entries were moved",
            m.entry.seq,
            m.entry.action,
            m.entry.actor,
            short(&m.entry.hash),
        ),
    };
    let mut first_bad: Option<FirstBad> = None;
    let mut agreeing = 0;
    let mut foreign = 0;
    let mut beyond: Vec<&MirroredEntry> = Vec::new();
    for m in &sorted {
        let e = &m.entry;
        let moment = by_moment
            .get(&(e.at.0, e.action.clone()))
            .copied()
            .flatten();
        let bad = match (by_hash.get(e.hash.as_str()), by_seq.get(&e.seq)) {
            (Some(l), _) if l.seq != e.seq => Some(moved(m, l.seq, "")),
            (Some(l), _) => {
                let diffs = field_diffs(l, e);
                if diffs.is_empty() {
                    None
                } else {
                    Some(FirstBad {
                        seq: e.seq,
                        reason: Disagreement::MirrorEdited,
                        copy: "registry",
                        detail: format!(
                            "the mirror tag of entry #{} (promotion {}, {} v{}) has the journal's hash but other fields ({}): the tag was edited",
                            e.seq,
                            m.promotion,
                            m.model,
                            m.version,
                            diffs.join("; ")
                        ),
                    })
                }
            }
            (None, Some(l)) if same_slot(l, e) => {
                let diffs = field_diffs(l, e);
                let what = if diffs.is_empty() {
                    "same time, actor, action and outcome, so a field the mirror does not keep (subject, before/after, gates, approvals) or an earlier entry changed".to_string()
                } else {
                    diffs.join("; ")
                };
                Some(FirstBad {
                    seq: e.seq,
                    reason: Disagreement::HashDiffers,
                    copy: "journal",
                    detail: format!(
                        "journal entry #{} hashes to {} but the registry mirrored {} (promotion {}): {what}; the journal was rewritten from here on, or the mirror tag was",
                        e.seq,
                        short(&l.hash),
                        short(&e.hash),
                        m.promotion
                    ),
                })
            }
            (None, _) if moment.is_some_and(|l| l.seq != e.seq) => Some(moved(
                m,
                moment.map_or(0, |l| l.seq),
                " (same time and action, rewritten hash)",
            )),
            (None, Some(_)) => {
                foreign += 1;
                continue;
            }
            (None, None) => {
                beyond.push(m);
                continue;
            }
        };
        match bad {
            None => agreeing += 1,
            Some(b) => {
                if first_bad.is_none() {
                    first_bad = Some(b);
                }
            }
        }
    }
    let mut unattributed = 0;
    if foreign == 0 {
        if let (None, Some(m)) = (&first_bad, beyond.first()) {
            let e = &m.entry;
            first_bad = Some(FirstBad {
                seq: e.seq,
                reason: Disagreement::MissingFromJournal,
                copy: "journal",
                detail: format!(
                    "the registry mirrored entry #{} ({} by {} at {}, promotion {}, hash {}) but the journal has no entry #{} ({} entries): it was deleted or the journal truncated",
                    e.seq,
                    e.action,
                    e.actor,
                    e.at.rfc3339(),
                    m.promotion,
                    short(&e.hash),
                    e.seq,
                    journal.len()
                ),
            });
        }
    } else {
        unattributed = beyond.len();
    }
    let mirrored_hashes: std::collections::HashSet<&str> =
        mirror.iter().map(|m| m.entry.hash.as_str()).collect();
    let unmirrored = journal
        .iter()
        .filter(|l| l.record.promotion.is_some() && !mirrored_hashes.contains(l.hash.as_str()))
        .count();
    MirrorCheck {
        mirrored: mirror.len(),
        agreeing,
        unmirrored,
        foreign,
        unattributed,
        first_bad,
    }
}

/// Reads every audit mirror tag of every version of every model.
///
/// Errors: the registry port's (unreachable, not configured).
pub async fn read_mirror(registry: &dyn Registry) -> PortResult<Mirror> {
    let mut out = Mirror::default();
    for model in registry.list_models().await? {
        for v in registry.list_versions(&model.name).await? {
            for (id, t) in tags::collect(&v.tags) {
                for entry in t.audit.into_values() {
                    out.entries.push(MirroredEntry {
                        promotion: id.clone(),
                        model: model.name.clone(),
                        version: v.version.clone(),
                        entry,
                    });
                }
                out.problems.extend(
                    t.problems
                        .into_iter()
                        .filter(|p| p.contains("/audit/"))
                        .map(|p| format!("{} v{}: {p}", model.name, v.version)),
                );
            }
        }
    }
    out.entries.sort_by(|a, b| {
        (a.entry.seq, a.entry.at, &a.entry.hash).cmp(&(b.entry.seq, b.entry.at, &b.entry.hash))
    });
    Ok(out)
}

/// Reads the mirror from `registry` and compares `journal` with it.
///
/// Errors: the registry port's; the caller reports the mirror as not checked.
pub async fn verify_against_mirror(
    registry: &dyn Registry,
    journal: &[JournalLine],
) -> PortResult<(Mirror, MirrorCheck)> {
    let mirror = read_mirror(registry).await?;
    let check = compare(journal, &mirror.entries);
    Ok((mirror, check))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::AuditRecord;
    use crate::journal::line::{GENESIS, encode_line};

    fn chain(actors: &[&str]) -> Vec<JournalLine> {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for (i, a) in actors.iter().enumerate() {
            let mut record = AuditRecord::for_test(a, "promotion.requested");
            record.entry.at.0 += i as i64;
            record.promotion = Some("p1".into());
            let (_, hash) = encode_line(i as u64 + 1, &prev, &record).unwrap();
            out.push(JournalLine {
                seq: i as u64 + 1,
                prev: std::mem::replace(&mut prev, hash.clone()),
                hash,
                record,
            });
        }
        out
    }

    fn mirror_of(lines: &[JournalLine]) -> Vec<MirroredEntry> {
        lines
            .iter()
            .map(|l| MirroredEntry {
                promotion: "p1".into(),
                model: "m".into(),
                version: "1".into(),
                entry: AuditMirror {
                    seq: l.seq,
                    hash: l.hash.clone(),
                    at: l.record.entry.at,
                    actor: l.record.entry.actor.clone(),
                    action: l.record.entry.action.clone(),
                    outcome: l.record.entry.outcome.clone(),
                },
            })
            .collect()
    }

    #[test]
    fn agreeing_copies_pass_and_a_consistent_rewrite_is_named() {
        let j = chain(&["alice", "bob", "carol"]);
        let m = mirror_of(&j);
        let ok = compare(&j, &m);
        assert!(ok.ok(), "{ok:?}");
        assert_eq!((ok.mirrored, ok.agreeing, ok.unmirrored), (3, 3, 0));

        let rewritten = chain(&["alice", "mallory", "carol"]);
        let bad = compare(&rewritten, &m).first_bad.unwrap();
        assert_eq!(
            (bad.seq, bad.reason, bad.copy),
            (2, Disagreement::HashDiffers, "journal")
        );
        assert!(bad.detail.contains("mallory"), "{}", bad.detail);
    }

    #[test]
    fn deletion_reordering_and_an_edited_tag_are_named() {
        let j = chain(&["alice", "bob", "carol"]);
        let m = mirror_of(&j);
        let bad = compare(&j[..2], &m).first_bad.unwrap();
        assert_eq!((bad.seq, bad.reason), (3, Disagreement::MissingFromJournal));

        let mut moved = j.clone();
        moved.swap(1, 2);
        moved[1].seq = 2;
        moved[2].seq = 3;
        let bad = compare(&moved, &m).first_bad.unwrap();
        assert_eq!((bad.seq, bad.reason), (2, Disagreement::Reordered));

        let mut edited = m.clone();
        edited[0].entry.actor = "mallory".into();
        let bad = compare(&j, &edited).first_bad.unwrap();
        assert_eq!(
            (bad.seq, bad.reason, bad.copy),
            (1, Disagreement::MirrorEdited, "registry")
        );

        // Another journal's entries at the same seqs are not compared, and
        // then an entry beyond this journal's end is not attributed.
        let mut other = mirror_of(&chain(&["dave", "erin", "frank", "gina"]));
        for o in &mut other {
            o.entry.at.0 += 1_000;
        }
        let both: Vec<_> = m.iter().chain(&other).cloned().collect();
        let shared = compare(&j, &both);
        assert!(shared.ok(), "{shared:?}");
        assert_eq!(
            (shared.agreeing, shared.foreign, shared.unattributed),
            (3, 3, 1)
        );
        let bad = compare(&chain(&["alice", "mallory", "carol"]), &both)
            .first_bad
            .unwrap();
        assert_eq!((bad.seq, bad.reason), (2, Disagreement::HashDiffers));

        // Entries the registry never got are counted, not failed.
        let partial = compare(&j, &m[..1]);
        assert!(partial.ok());
        assert_eq!(partial.unmirrored, 2);
    }
}
