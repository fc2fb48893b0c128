//! Test 7 on the REAL backends: the journal of a promotion run against a
//! real MLflow and the sandbox API servers, grown to 10,000 entries,
//! verifies untouched; each of 1,000 random single edits, deletions and
//! reorderings, and every truncation, is detected at the right line. The
//! registry holds a second copy of every promotion entry's hash (an MLflow
//! tag per entry): a history rewritten consistently (chain and head
//! recomputed, no head key) passes the file check but not the comparison
//! with MLflow, and each entry is also on the workloads as an Event.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;
mod live;

use common::Lcg;
use live::{Live, approve, request};
use modeldeck_promotion::ExecuteOptions;
use modeldeck_promotion::journal::head::{Head, read_head};
use modeldeck_promotion::journal::line::{GENESIS, encode_line};
use modeldeck_promotion::journal::verify::verify_reader;
use modeldeck_promotion::journal::{AuditRecord, Tamper, read_path};
use modeldeck_promotion::tags;
use std::collections::BTreeMap;
use std::time::Instant;

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// The journal's lines re-encoded from `records` (a consistent rewrite).
fn reencode(records: &[AuditRecord]) -> (Vec<Vec<u8>>, Head) {
    let mut prev = GENESIS.to_string();
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let (l, h) = encode_line(i as u64 + 1, &prev, r).unwrap();
        out.push(l.into_bytes());
        prev = h;
    }
    (out, Head::new(records.len() as u64, prev, None))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_journal_of_ten_thousand_entries_detects_every_tampering() {
    let l = Live::start(&["recsys-ranker"]).await;
    let svc = l.service("ci-runner");
    let id = request(&l, &svc, "alice", "recsys-ranker", "8").await;
    approve(&l, &svc, &id, &["bob"]).await;
    l.act_as("carol").await;
    svc.execute(&id, ExecuteOptions::default()).await.unwrap();
    assert!(l.snapshot("recsys-ranker").await.all_on("8"));
    let real = read_path(svc.journal().path()).unwrap();
    let n_real = real.len();
    assert!(n_real >= 10, "{n_real}");

    // Every real entry is in MLflow with its hash, and on a workload as an Event.
    let mirrored = tags::collect(&l.tags("recsys-ranker", "8").await)[&id]
        .audit
        .clone();
    let in_mlflow: BTreeMap<u64, String> =
        mirrored.values().map(|m| (m.seq, m.hash.clone())).collect();
    for x in &real {
        assert_eq!(
            in_mlflow.get(&x.seq),
            Some(&x.hash),
            "entry {} in MLflow",
            x.seq
        );
    }
    let deploy = l.targets_of("recsys-ranker").await[0].clone();
    let events = l.events(&deploy);
    for x in real
        .iter()
        .filter(|x| x.record.entry.action.starts_with("promotion."))
    {
        assert!(
            events
                .iter()
                .any(|e| e.2.starts_with(&x.record.entry.action)),
            "{} not on {deploy}: {events:?}",
            x.record.entry.action
        );
    }

    // Grow the same journal to 10,000 entries (copies of the real records,
    // each with its own subject) through the journal's own append.
    let t0 = Instant::now();
    for i in n_real..10_000 {
        let mut r = real[i % n_real].record.clone();
        r.entry.subject = format!("{} #{i}", r.entry.subject);
        svc.journal().append(&r).unwrap();
    }
    let grow = t0.elapsed();
    let t0 = Instant::now();
    let ok = svc.journal().verify().unwrap();
    println!(
        "live journal: {n_real} real entries grown to {} in {grow:?}; verify took {:?}",
        ok.count,
        t0.elapsed()
    );
    assert_eq!(ok.count, 10_000);

    let path = svc.journal().path().to_path_buf();
    let clean = std::fs::read(&path).unwrap();
    let head = read_head(&path).unwrap().unwrap();
    let lines: Vec<Vec<u8>> = clean
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    assert_eq!(lines.len(), 10_000);
    let mut starts = vec![0usize];
    for x in &lines {
        starts.push(starts.last().unwrap() + x.len() + 1);
    }
    let mut rng = Lcg(0x7e57_0007 ^ std::process::id() as u64);
    let mut kinds: BTreeMap<Tamper, usize> = BTreeMap::new();
    let mut by_label: BTreeMap<&str, usize> = BTreeMap::new();
    for round in 0..1000 {
        let n = lines.len();
        let (label, line, allowed, bytes): (&str, u64, &[Tamper], Vec<u8>) = match round % 3 {
            0 => {
                let i = rng.below(n);
                let at = starts[i] + rng.below(lines[i].len());
                let mut m = clean.clone();
                m[at] = if m[at] == b'x' { b'y' } else { b'x' };
                (
                    "edit",
                    i as u64 + 1,
                    &[Tamper::Edited, Tamper::Malformed],
                    m,
                )
            }
            1 => {
                let i = rng.below(n - 1);
                let mut m = clean[..starts[i]].to_vec();
                m.extend_from_slice(&clean[starts[i + 1]..]);
                ("deletion", i as u64 + 1, &[Tamper::Deleted], m)
            }
            _ => {
                let i = rng.below(n - 1);
                let j = i + 1 + rng.below((n - i - 1).min(50));
                let mut m = clean[..starts[i]].to_vec();
                m.extend_from_slice(&clean[starts[j]..starts[j + 1]]);
                m.extend_from_slice(&clean[starts[i + 1]..starts[j]]);
                m.extend_from_slice(&clean[starts[i]..starts[i + 1]]);
                m.extend_from_slice(&clean[starts[j + 1]..]);
                ("reordering", i as u64 + 1, &[Tamper::Reordered], m)
            }
        };
        let err = verify_reader(&bytes[..], Some(&head), None).expect_err(label);
        assert!(allowed.contains(&err.kind), "{label} at line {line}: {err}");
        assert_eq!(err.line, line, "{label}: {err}");
        *kinds.entry(err.kind).or_default() += 1;
        *by_label.entry(label).or_default() += 1;
    }
    println!("live journal: detected 1000/1000 single tamperings {by_label:?} as {kinds:?}");
    for keep in [0usize, 1, n_real, 5_000, 9_999] {
        let err = verify_reader(&join(&lines[..keep])[..], Some(&head), None).unwrap_err();
        assert_eq!(
            (err.kind, err.line),
            (Tamper::Truncated, keep as u64 + 1),
            "{err}"
        );
    }

    // A consistent rewrite (mallory instead of carol, chain and head
    // recomputed, no head key) passes the file check ...
    let mut records: Vec<AuditRecord> = read_path(&path)
        .unwrap()
        .into_iter()
        .map(|x| x.record)
        .collect();
    let forged_at = records
        .iter()
        .position(|r| r.entry.action == "alias.moved")
        .unwrap();
    records[forged_at].entry.actor = "mallory".into();
    let (forged, forged_head) = reencode(&records);
    verify_reader(&join(&forged)[..], Some(&forged_head), None).unwrap();
    // ... but not the comparison with the hashes MLflow holds.
    let disagree: Vec<u64> = forged
        .iter()
        .enumerate()
        .take(n_real)
        .filter(|(i, x)| {
            let v: serde_json::Value = serde_json::from_slice(x).unwrap();
            in_mlflow.get(&(*i as u64 + 1)) != v["hash"].as_str().map(String::from).as_ref()
        })
        .map(|(i, _)| i as u64 + 1)
        .collect();
    assert_eq!(
        disagree.first(),
        Some(&(forged_at as u64 + 1)),
        "{disagree:?}"
    );
    println!(
        "live journal: a consistent rewrite of entry {} passes the file check; MLflow's copy disagrees from that entry on ({} entries)",
        forged_at + 1,
        disagree.len()
    );
}
