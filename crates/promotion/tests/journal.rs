//! The audit journal against tampering: a 10,000-entry journal verifies
//! untouched, and every one of 1,000 random single edits, rewrites,
//! deletions and reorderings, plus truncations, is detected at the right
//! line with the right kind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{Lcg, TempDir};
use modeldeck_core::domain::{AuditEntry, GateResult, GateStatus, Timestamp};
use modeldeck_promotion::journal::line::{encode_line, sha256_hex};
use modeldeck_promotion::journal::verify::verify_reader;
use modeldeck_promotion::journal::{
    AuditRecord, ExportFormat, Head, Journal, JournalOptions, Tamper, read_path, verify_path,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::fs;

fn record(i: u64) -> AuditRecord {
    AuditRecord {
        entry: AuditEntry {
            at: Timestamp(1_795_869_880_000 + i as i64 * 1000),
            actor: ["alice", "bob", "carol", "ci-bot"][i as usize % 4].into(),
            action: [
                "promotion.requested",
                "promotion.approved",
                "alias.moved",
                "workload.patched",
            ][i as usize % 4]
                .into(),
            subject: format!(
                "promotion p{i:04x} (fraud-detector v{} -> champion)",
                i % 9 + 1
            ),
            before: json!({ "version": (i % 9).to_string(), "rv": i }),
            after: json!({ "version": (i % 9 + 1).to_string(), "note": "quotes \" and\nnewlines é" }),
            outcome: "ok".into(),
        },
        promotion: Some(format!("p{i:04x}")),
        gates: vec![GateResult {
            name: "metric:auc".into(),
            status: GateStatus::Pass,
            detail: format!("auc 0.9{i} vs 0.90"),
        }],
        approvals: vec![],
        mirror_failures: vec![],
        shared_to: vec![],
    }
}

fn fast() -> JournalOptions {
    JournalOptions {
        head_key: None,
        fsync: false,
    }
}

#[test]
fn appends_read_back_and_reopen_continues_the_chain() {
    let dir = TempDir::new("journal-basic");
    let path = dir.path().join("audit/journal.jsonl");
    {
        let j = Journal::open(&path, JournalOptions::default()).unwrap();
        for i in 0..5 {
            let line = j.append(&record(i)).unwrap();
            assert_eq!(line.seq, i + 1);
        }
        assert_eq!(j.verify().unwrap().count, 5);
    }
    let j = Journal::open(&path, JournalOptions::default()).unwrap();
    assert!(j.recovered().is_none());
    j.append(&record(5)).unwrap();
    let lines = j.read().unwrap();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[5].prev, lines[4].hash);
    assert_eq!(lines[3].record, record(3));
    let v = j.verify().unwrap();
    assert_eq!((v.count, v.head.clone()), (6, lines[5].hash.clone()));

    let mut out = Vec::new();
    assert_eq!(j.export(ExportFormat::JsonLines, &mut out).unwrap(), v);
    assert_eq!(
        out,
        fs::read(&path).unwrap(),
        "JSON-lines export is the journal verbatim"
    );
    let mut doc = Vec::new();
    j.export(ExportFormat::Json, &mut doc).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&doc).unwrap();
    assert_eq!(doc["entries"].as_array().unwrap().len(), 6);
    assert_eq!(doc["head"]["count"], 6);
}

#[test]
fn hash_covers_exactly_the_bytes_before_the_hash_field() {
    let (line, hash) =
        encode_line(1, modeldeck_promotion::journal::line::GENESIS, &record(1)).unwrap();
    let cut = line.rfind(",\"hash\":\"").unwrap();
    assert_eq!(sha256_hex(&line.as_bytes()[..cut]), hash);
    assert!(
        line.contains("\"record\":{\"approvals\"") || line.contains("\"record\":{\"entry\""),
        "canonical: sorted keys: {line}"
    );
}

fn build(n: u64) -> (Vec<Vec<u8>>, Head) {
    let mut prev = modeldeck_promotion::journal::line::GENESIS.to_string();
    let mut lines = Vec::with_capacity(n as usize);
    for i in 1..=n {
        let (l, h) = encode_line(i, &prev, &record(i)).unwrap();
        lines.push(l.into_bytes());
        prev = h;
    }
    (lines, Head::new(n, prev, None))
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// Rewrites line `i` (0-based) with a changed actor and a correctly
/// recomputed own hash: only the chain can tell.
fn rewrite(lines: &[Vec<u8>], i: usize) -> Vec<u8> {
    let text = std::str::from_utf8(&lines[i]).unwrap();
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut rec: AuditRecord = serde_json::from_value(v["record"].clone()).unwrap();
    rec.entry.actor = "mallory".into();
    let (l, _) = encode_line(
        v["seq"].as_u64().unwrap(),
        v["prev"].as_str().unwrap(),
        &rec,
    )
    .unwrap();
    l.into_bytes()
}

#[test]
fn ten_thousand_entries_verify_and_every_single_tampering_is_caught() {
    let (lines, head) = build(10_000);
    let clean = join(&lines);
    let ok = verify_reader(&clean[..], Some(&head), None).unwrap();
    assert_eq!((ok.count, &ok.head), (10_000, &head.head));

    let mut rng = Lcg(0x5eed_2026);
    let mut detected: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut kinds: BTreeMap<Tamper, usize> = BTreeMap::new();
    let n = lines.len();
    // Byte offset where each line starts in `clean` (one past: the end).
    let mut starts = vec![0usize];
    for l in &lines {
        starts.push(starts.last().unwrap() + l.len() + 1);
    }
    let span = |i: usize| &clean[starts[i]..starts[i + 1]];
    for round in 0..1000 {
        let (label, expect_line, allowed, bytes): (&str, u64, &[Tamper], Vec<u8>) = match round % 5
        {
            0 | 1 => {
                let i = rng.below(n);
                let at = starts[i] + rng.below(lines[i].len());
                let mut b = b' ' + rng.below(95) as u8;
                if b == clean[at] {
                    b = if b == b'~' { b'!' } else { b + 1 };
                }
                let mut m = clean.clone();
                m[at] = b;
                (
                    "byte edit",
                    i as u64 + 1,
                    &[Tamper::Edited, Tamper::Malformed],
                    m,
                )
            }
            2 => {
                let i = rng.below(n);
                let mut m = clean[..starts[i]].to_vec();
                m.extend_from_slice(&rewrite(&lines, i));
                m.push(b'\n');
                m.extend_from_slice(&clean[starts[i + 1]..]);
                (
                    "rewrite with recomputed hash",
                    i as u64 + 1,
                    &[Tamper::Rewritten],
                    m,
                )
            }
            3 => {
                let i = rng.below(n - 1);
                let mut m = clean[..starts[i]].to_vec();
                m.extend_from_slice(&clean[starts[i + 1]..]);
                ("deletion", i as u64 + 1, &[Tamper::Deleted], m)
            }
            _ => {
                let i = rng.below(n - 1);
                let j = i + 1 + rng.below((n - i - 1).min(50));
                let mut m = clean[..starts[i]].to_vec();
                if rng.below(2) == 0 {
                    // Swap lines i and j.
                    m.extend_from_slice(span(j));
                    m.extend_from_slice(&clean[starts[i + 1]..starts[j]]);
                    m.extend_from_slice(span(i));
                } else {
                    // Move line j up to position i.
                    m.extend_from_slice(span(j));
                    m.extend_from_slice(&clean[starts[i]..starts[j]]);
                }
                m.extend_from_slice(&clean[starts[j + 1]..]);
                ("reordering", i as u64 + 1, &[Tamper::Reordered], m)
            }
        };
        let err = verify_reader(&bytes[..], Some(&head), None).expect_err(label);
        assert!(
            allowed.contains(&err.kind),
            "{label} at line {expect_line}: got {err}"
        );
        assert_eq!(err.line, expect_line, "{label}: {err}");
        let slot = detected.entry(label).or_default();
        slot.0 += 1;
        slot.1 += 1;
        *kinds.entry(err.kind).or_default() += 1;
    }
    let total: usize = detected.values().map(|(d, _)| d).sum();
    assert_eq!(total, 1000);
    println!("detected {total}/1000 single tamperings: {detected:?}, as {kinds:?}");

    // Truncations: whole lines off the end, the last line alone, half a line.
    for keep in [0usize, 1, 5_000, 9_999] {
        let bytes = join(&lines[..keep]);
        let err = verify_reader(&bytes[..], Some(&head), None).unwrap_err();
        assert_eq!(
            (err.kind, err.line),
            (Tamper::Truncated, keep as u64 + 1),
            "{err}"
        );
    }
    let mut half = clean.clone();
    half.truncate(clean.len() - 40);
    let err = verify_reader(&half[..], Some(&head), None).unwrap_err();
    assert_eq!((err.kind, err.line), (Tamper::Truncated, 10_000), "{err}");
    // The last line rewritten consistently is caught by the head.
    let mut m = lines.clone();
    m[9_999] = rewrite(&lines, 9_999);
    let err = verify_reader(&join(&m)[..], Some(&head), None).unwrap_err();
    assert_eq!((err.kind, err.line), (Tamper::Rewritten, 10_000), "{err}");
    println!("detected 6/6 truncations and tail rewrites");
}

#[test]
fn truncating_the_file_on_disk_is_detected_and_not_reopened() {
    let dir = TempDir::new("journal-trunc");
    let path = dir.path().join("j.jsonl");
    let j = Journal::open(&path, fast()).unwrap();
    for i in 0..20 {
        j.append(&record(i)).unwrap();
    }
    drop(j);
    let bytes = fs::read(&path).unwrap();
    let cut: usize = bytes
        .split(|b| *b == b'\n')
        .take(12)
        .map(|l| l.len() + 1)
        .sum();
    fs::write(&path, &bytes[..cut]).unwrap();
    let err = verify_path(&path, None).unwrap_err();
    assert_eq!((err.kind, err.line), (Tamper::Truncated, 13), "{err}");
    assert!(err.detail.contains("8 truncated"), "{err}");
    let err = Journal::open(&path, fast()).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn a_crash_between_line_and_head_is_recovered_but_a_forged_tail_is_not() {
    let dir = TempDir::new("journal-crash");
    let path = dir.path().join("j.jsonl");
    let j = Journal::open(&path, fast()).unwrap();
    for i in 0..3 {
        j.append(&record(i)).unwrap();
    }
    let head_before = fs::read(format!("{}.head", path.display())).unwrap();
    j.append(&record(3)).unwrap();
    drop(j);
    // The head update of entry 4 "never happened".
    fs::write(format!("{}.head", path.display()), &head_before).unwrap();
    let err = verify_path(&path, None).unwrap_err();
    assert_eq!((err.kind, err.line), (Tamper::Unanchored, 4), "{err}");
    let j = Journal::open(&path, fast()).unwrap();
    assert!(
        j.recovered().unwrap().contains("re-anchored"),
        "{:?}",
        j.recovered()
    );
    assert_eq!(j.verify().unwrap().count, 4);

    // A half-written fifth line is dropped on open.
    let mut bytes = fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":5,\"prev\":\"ab");
    fs::write(&path, &bytes).unwrap();
    drop(j);
    let err = verify_path(&path, None).unwrap_err();
    assert_eq!(err.kind, Tamper::Truncated, "{err}");
    let j = Journal::open(&path, fast()).unwrap();
    assert!(j.recovered().unwrap().contains("half-written"));
    j.append(&record(4)).unwrap();
    assert_eq!(j.verify().unwrap().count, 5);
    drop(j);

    // Two unanchored lines are not a crash: refused.
    fs::write(format!("{}.head", path.display()), &head_before).unwrap();
    let err = Journal::open(&path, fast()).unwrap_err();
    assert!(err.to_string().contains("unanchored"), "{err}");
}

#[test]
fn a_signed_head_resists_a_full_rewrite() {
    let dir = TempDir::new("journal-signed");
    let path = dir.path().join("j.jsonl");
    let key = JournalOptions {
        head_key: Some(b"ops-secret".to_vec()),
        fsync: false,
    };
    let j = Journal::open(&path, key.clone()).unwrap();
    for i in 0..10 {
        j.append(&record(i)).unwrap();
    }
    drop(j);
    // An attacker drops the last 3 entries and writes a consistent head
    // without the key.
    let (lines, _) = build(7);
    let lines: Vec<Vec<u8>> = lines;
    let bytes = fs::read(&path).unwrap();
    let kept: Vec<&[u8]> = bytes.split(|b| *b == b'\n').take(7).collect();
    fs::write(
        &path,
        join(&kept.iter().map(|l| l.to_vec()).collect::<Vec<_>>()),
    )
    .unwrap();
    let last = std::str::from_utf8(kept[6]).unwrap();
    let h = &last[last.len() - 66..last.len() - 2];
    fs::write(
        format!("{}.head", path.display()),
        serde_json::to_vec(&Head::new(7, h.to_string(), None)).unwrap(),
    )
    .unwrap();
    assert_eq!(
        verify_path(&path, None).unwrap().count,
        7,
        "without the key the forgery passes"
    );
    let err = verify_path(&path, Some(b"ops-secret")).unwrap_err();
    assert_eq!(err.kind, Tamper::HeadForged, "{err}");
    assert_eq!(lines.len(), 7);
    assert_eq!(read_path(&path).unwrap().len(), 7);
}
