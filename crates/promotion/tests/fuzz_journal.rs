//! Issue 12 item 5: the audit journal's decoders under property tests, on
//! stable Rust: one line (`parse_envelope`, then the record's JSON) and the
//! whole file with its head sidecar (`read_path`, `verify_path`,
//! `Journal::open`, which recovers a torn tail). Each gets arbitrary bytes
//! and a structure-aware generator: a valid journal of a few entries with
//! random edits (a line's JSON mutated, bytes flipped, lines cut, removed,
//! duplicated or swapped, hostile text inserted, the head sidecar
//! rewritten). Properties: no panic; an error that names the line (within
//! the file) and says why; a changed file never verifies; a line that
//! parses gives back its own bytes.
//!
//! Cases per property: `MODELDECK_PROPTEST_CASES` (default 256, for CI; the
//! benchmark run in `docs/benchmarks.md` uses 100,000); the file properties
//! write a journal per case and run a quarter of that.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use modeldeck_core::domain::{AuditEntry, Timestamp};
use modeldeck_promotion::journal::line::parse_envelope;
use modeldeck_promotion::journal::{
    AuditRecord, Journal, JournalError, JournalOptions, head, read_path, verify_path,
};
use modeldeck_testkit::fuzz::{config, edit, hostile_string, mutate};
use proptest::prelude::*;
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A scratch directory per case, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "modeldeck-fuzz-journal-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn record(i: u64) -> AuditRecord {
    AuditRecord::new(AuditEntry {
        at: Timestamp(1_795_869_880_000 + i as i64 * 1000),
        actor: ["alice", "bob"][i as usize % 2].into(),
        action: "promotion.requested".into(),
        subject: format!("promotion p{i} (fraud v{i} -> champion)"),
        before: json!({ "version": i.to_string() }),
        after: json!({ "version": (i + 1).to_string(), "note": "quotes \" and\nnewlines é" }),
        outcome: "ok".into(),
    })
}

/// A journal of `n` entries; its bytes.
fn journal(dir: &Scratch, n: u64) -> (PathBuf, Vec<u8>) {
    let path = dir.0.join("journal.jsonl");
    let j = Journal::open(
        &path,
        JournalOptions {
            head_key: None,
            fsync: false,
        },
    )
    .unwrap();
    for i in 0..n {
        j.append(&record(i)).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// The promises of the line decoder on `line`.
fn check_line(line: &[u8]) -> Result<(), TestCaseError> {
    match parse_envelope(line) {
        Ok(env) => {
            // Every part is a slice of the line itself.
            prop_assert!(env.body.len() <= line.len());
            prop_assert!(line.starts_with(env.body));
            prop_assert_eq!(env.prev.len(), 64);
            prop_assert_eq!(env.hash.len(), 64);
            prop_assert!(env.record.len() < line.len());
            if let Err(e) = serde_json::from_slice::<AuditRecord>(env.record) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
        Err(why) => prop_assert!(!why.is_empty()),
    }
    Ok(())
}

/// The promises of the file decoders on the journal at `path`, which has
/// `lines` lines; `changed`: its bytes differ from what was appended.
fn check_file(path: &PathBuf, lines: u64, changed: bool) -> Result<(), TestCaseError> {
    match read_path(path) {
        Ok(read) => prop_assert!(read.len() as u64 <= lines),
        Err(JournalError::Record { line, reason }) => {
            prop_assert!((1..=lines.max(1)).contains(&line), "line {line} of {lines}");
            prop_assert!(!reason.is_empty());
        }
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    match verify_path(path, None) {
        Ok(v) => {
            prop_assert!(!changed, "a changed journal verified: {v:?}");
        }
        Err(e) => {
            prop_assert!(e.line <= lines + 1, "line {} of {lines}", e.line);
            prop_assert!(!e.to_string().is_empty());
        }
    }
    match Journal::open(
        path,
        JournalOptions {
            head_key: None,
            fsync: false,
        },
    ) {
        Ok(j) => {
            let _ = j.verify();
        }
        Err(e) => prop_assert!(!e.to_string().is_empty()),
    }
    Ok(())
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.split(|b| *b == b'\n').count() as u64
}

/// One random change of the file's bytes.
#[derive(Debug, Clone)]
enum FileEdit {
    /// The n-th line's JSON through the shared JSON mutations.
    Json(usize, Vec<modeldeck_testkit::fuzz::Edit>),
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, String),
    RemoveLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn file_edit() -> impl Strategy<Value = FileEdit> {
    prop_oneof![
        3 => (any::<usize>(), prop::collection::vec(edit(), 1..3)).prop_map(|(i, e)| FileEdit::Json(i, e)),
        2 => (any::<usize>(), 1u8..=255).prop_map(|(i, b)| FileEdit::Flip(i, b)),
        1 => any::<usize>().prop_map(FileEdit::Cut),
        1 => (any::<usize>(), hostile_string(40)).prop_map(|(i, s)| FileEdit::Insert(i, s)),
        1 => any::<usize>().prop_map(FileEdit::RemoveLine),
        1 => any::<usize>().prop_map(FileEdit::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| FileEdit::SwapLines(a, b)),
    ]
}

fn apply(bytes: &[u8], edits: &[FileEdit]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for e in edits {
        let mut lines: Vec<Vec<u8>> = b.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
        // The last element is the empty tail after the final newline.
        let n = lines.len().saturating_sub(1).max(1);
        match e {
            FileEdit::Json(i, edits) => {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&lines[i % n]) {
                    lines[i % n] = mutate(v, edits).into_bytes();
                }
            }
            FileEdit::Flip(i, x) if !b.is_empty() => {
                let at = i % b.len();
                b[at] ^= x;
                continue;
            }
            FileEdit::Cut(i) => {
                b.truncate(i % (b.len() + 1));
                continue;
            }
            FileEdit::Insert(i, s) => {
                let at = i % (b.len() + 1);
                b.splice(at..at, s.bytes());
                continue;
            }
            FileEdit::RemoveLine(i) if lines.len() > 1 => {
                lines.remove(i % n);
            }
            FileEdit::DuplicateLine(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            FileEdit::SwapLines(x, y) => lines.swap(x % n, y % n),
            _ => continue,
        }
        b = lines.join(&b'\n');
    }
    b
}

#[test]
fn a_fresh_journal_reads_and_verifies() {
    let dir = Scratch::new();
    let (path, bytes) = journal(&dir, 4);
    assert_eq!(read_path(&path).unwrap().len(), 4);
    assert_eq!(verify_path(&path, None).unwrap().count, 4);
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let env = parse_envelope(line).unwrap();
        serde_json::from_slice::<AuditRecord>(env.record).unwrap();
    }
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn journal_line_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_line(&bytes)?;
    }

    #[test]
    fn journal_line_mutated_lines_parse_or_say_why(
        at in any::<usize>(),
        edits in prop::collection::vec(edit(), 1..4),
        cut in any::<usize>(),
        splice in hostile_string(16),
    ) {
        let line = LINE.with(|l| l.clone());
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        let mut text = mutate(v, &edits).into_bytes();
        check_line(&text)?;
        // The same line with hostile text spliced in, and cut short.
        let at = at % (text.len() + 1);
        text.splice(at..at, splice.bytes());
        check_line(&text)?;
        text.truncate(cut % (text.len() + 1));
        check_line(&text)?;
    }
}

proptest! {
    #![proptest_config(config(4))]

    #[test]
    fn journal_file_arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        head_bytes in prop::option::of(prop::collection::vec(any::<u8>(), 0..256)),
    ) {
        let dir = Scratch::new();
        let path = dir.0.join("journal.jsonl");
        std::fs::write(&path, &bytes).unwrap();
        if let Some(h) = head_bytes {
            std::fs::write(head::head_path(&path), h).unwrap();
        }
        check_file(&path, count_lines(&bytes), !bytes.is_empty())?;
    }

    #[test]
    fn journal_file_edits_are_caught_at_a_line_or_say_why(
        n in 1u64..6,
        edits in prop::collection::vec(file_edit(), 1..4),
        head in prop::option::of(hostile_string(80)),
    ) {
        let dir = Scratch::new();
        let (path, before) = journal(&dir, n);
        let after = apply(&before, &edits);
        std::fs::write(&path, &after).unwrap();
        let mut changed = after != before;
        if let Some(h) = head {
            std::fs::write(head::head_path(&path), h).unwrap();
            changed = true;
        }
        check_file(&path, count_lines(&after), changed)?;
    }
}

thread_local! {
    /// One valid journal line (the first of a fresh journal).
    static LINE: Vec<u8> = {
        let dir = Scratch::new();
        let (_, bytes) = journal(&dir, 1);
        bytes.split(|b| *b == b'\n').next().unwrap().to_vec()
    };
}
