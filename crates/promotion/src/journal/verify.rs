//! Verification of a journal against its head: every line's own hash, the
//! chain from line to line, the sequence numbers, and the head's count, hash
//! and (optionally) signature. The first problem found is reported with the
//! line it concerns and what kind of tampering explains it.

use super::head::Head;
use super::line::{parse_envelope, peek_seq};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::BufRead;

/// What kind of damage verification found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Tamper {
    /// A line is not a journal line any more (edited into another shape).
    Malformed,
    /// A line's content no longer matches its own hash.
    Edited,
    /// A line was rewritten with a recomputed hash: the next line (or the
    /// head) no longer chains to it.
    Rewritten,
    /// One or more entries are missing from the middle.
    Deleted,
    /// Entries are out of order (or one was duplicated).
    Reordered,
    /// Entries are missing from the end, or the last line was cut short.
    Truncated,
    /// Lines after what the head records: appended without a head update.
    Unanchored,
    /// There is no head to check the end of the journal against.
    HeadMissing,
    /// The head's signature does not match the configured key.
    HeadForged,
    /// The journal could not be read.
    Unreadable,
}

impl Tamper {
    /// snake_case name, as in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Tamper::Malformed => "malformed",
            Tamper::Edited => "edited",
            Tamper::Rewritten => "rewritten",
            Tamper::Deleted => "deleted",
            Tamper::Reordered => "reordered",
            Tamper::Truncated => "truncated",
            Tamper::Unanchored => "unanchored",
            Tamper::HeadMissing => "head_missing",
            Tamper::HeadForged => "head_forged",
            Tamper::Unreadable => "unreadable",
        }
    }
}

impl fmt::Display for Tamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first problem verification found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("journal line {line}: {kind}: {detail}")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyError {
    /// 1-based line number of the first bad line.
    pub line: u64,
    /// What kind of damage.
    pub kind: Tamper,
    /// Why, with the numbers.
    pub detail: String,
}

/// A journal that verified: how many entries and the hash of the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Verified {
    /// Number of entries.
    pub count: u64,
    /// Hash of the last entry (the genesis hash when empty).
    pub head: String,
}

fn fail(line: u64, kind: Tamper, detail: impl Into<String>) -> VerifyError {
    VerifyError {
        line,
        kind,
        detail: detail.into(),
    }
}

/// Verifies the journal read from `reader` against `head` (the sidecar;
/// `None` when it is missing) and, when `key` is set, the head's signature.
pub fn verify_reader<R: BufRead>(
    reader: R,
    head: Option<&Head>,
    key: Option<&[u8]>,
) -> Result<Verified, VerifyError> {
    let scan = scan(reader)?;
    check_head(scan.count, &scan.last, head, key)?;
    Ok(Verified {
        count: scan.count,
        head: scan.last,
    })
}

/// The chain as read, before the head is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Lines read.
    pub count: u64,
    /// Hash of the last line (genesis when empty).
    pub last: String,
    /// Hash of the line before the last (genesis when fewer than two).
    pub before_last: String,
}

/// Checks every line and the chain between them, without the head.
pub fn scan<R: BufRead>(mut reader: R) -> Result<Scan, VerifyError> {
    // Hashes are compared as hex bytes with plain loops: iterator-heavy hex
    // code costs more than SHA-256 itself in debug builds.
    let mut before_last = [b'0'; 64];
    let mut prev = [b'0'; 64];
    let mut n: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| fail(n + 1, Tamper::Unreadable, e.to_string()))?;
        if read == 0 {
            break;
        }
        let i = n + 1;
        let complete = buf.last() == Some(&b'\n');
        let line = if complete {
            &buf[..buf.len() - 1]
        } else {
            &buf[..]
        };
        let env = match parse_envelope(line) {
            Ok(env) => env,
            Err(why) if !complete => {
                return Err(fail(
                    i,
                    Tamper::Truncated,
                    format!("last line is cut short: {why}"),
                ));
            }
            Err(why) if line.is_empty() => {
                return Err(fail(i, Tamper::Malformed, format!("empty line ({why})")));
            }
            Err(why) => return Err(fail(i, Tamper::Malformed, format!("line {why}"))),
        };
        let actual = hex64(&Sha256::digest(env.body).into());
        if actual[..] != *env.hash.as_bytes() {
            let actual = String::from_utf8_lossy(&actual);
            return Err(fail(
                i,
                Tamper::Edited,
                format!(
                    "content does not match its hash (records {}, content hashes to {}): the entry was edited",
                    short(env.hash),
                    short(&actual)
                ),
            ));
        }
        if env.seq != i {
            return Err(classify_seq(i, env.seq, &mut reader));
        }
        if prev[..] != *env.prev.as_bytes() {
            let prev = String::from_utf8_lossy(&prev);
            return Err(if i == 1 {
                fail(
                    1,
                    Tamper::Rewritten,
                    "does not chain to the genesis hash: the first entry was replaced",
                )
            } else {
                fail(
                    i - 1,
                    Tamper::Rewritten,
                    format!(
                        "hashes to {} but line {i} chains to {}: line {} was rewritten with a recomputed hash (or line {i} was)",
                        short(&prev),
                        short(env.prev),
                        i - 1
                    ),
                )
            });
        }
        if !complete {
            return Err(fail(
                i,
                Tamper::Truncated,
                "last line has no newline: the write was cut short",
            ));
        }
        before_last = std::mem::replace(&mut prev, actual);
        n = i;
    }
    Ok(Scan {
        count: n,
        last: String::from_utf8_lossy(&prev).into_owned(),
        before_last: String::from_utf8_lossy(&before_last).into_owned(),
    })
}

fn check_head(
    n: u64,
    last: &str,
    head: Option<&Head>,
    key: Option<&[u8]>,
) -> Result<(), VerifyError> {
    let Some(head) = head else {
        if n == 0 {
            return Ok(());
        }
        return Err(fail(
            n,
            Tamper::HeadMissing,
            format!("the head file is missing, so truncation after entry {n} cannot be ruled out"),
        ));
    };
    if !head.signature_ok(key) {
        return Err(fail(
            head.count.max(1),
            Tamper::HeadForged,
            if head.mac.is_none() {
                "the head is not signed although a journal key is set: it was rewritten \
                 without the key, or the journal was started before the key was set"
            } else {
                "the head's signature does not match the journal key: the head was rewritten"
            },
        ));
    }
    if n < head.count {
        return Err(fail(
            n + 1,
            Tamper::Truncated,
            format!(
                "the journal ends after entry {n} but its head records {} entries: {} truncated",
                head.count,
                head.count - n
            ),
        ));
    }
    if n > head.count {
        return Err(fail(
            head.count + 1,
            Tamper::Unanchored,
            format!(
                "entries {}..={n} come after the {} the head records: appended without a head update",
                head.count + 1,
                head.count
            ),
        ));
    }
    if head.head != last {
        return Err(fail(
            n.max(1),
            Tamper::Rewritten,
            format!(
                "the last entry hashes to {} but the head records {}: it was rewritten",
                short(last),
                short(&head.head)
            ),
        ));
    }
    Ok(())
}

/// Line `i` holds entry `seq`: decides between deletion and reordering by
/// looking for entry `i` further down.
fn classify_seq<R: BufRead>(i: u64, seq: u64, reader: &mut R) -> VerifyError {
    if seq < i {
        return fail(
            i,
            Tamper::Reordered,
            format!(
                "holds entry #{seq}, which belongs at line {seq}: entries were reordered or duplicated"
            ),
        );
    }
    let mut buf = Vec::new();
    let mut later = None;
    let mut line_no = i;
    while let Ok(read) = reader.read_until(b'\n', &mut buf) {
        if read == 0 {
            break;
        }
        line_no += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if peek_seq(line) == Some(i) {
            later = Some(line_no);
            break;
        }
        buf.clear();
    }
    match later {
        Some(at) => fail(
            i,
            Tamper::Reordered,
            format!(
                "holds entry #{seq} where #{i} belongs, and #{i} appears at line {at}: entries were reordered"
            ),
        ),
        None if seq == i + 1 => fail(
            i,
            Tamper::Deleted,
            format!("entry #{i} is missing (found #{seq}): it was deleted"),
        ),
        None => fail(
            i,
            Tamper::Deleted,
            format!(
                "entries #{i}..=#{} are missing (found #{seq}): they were deleted",
                seq - 1
            ),
        ),
    }
}

/// Lower-case hex of a digest, with a plain loop.
fn hex64(d: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < 32 {
        out[2 * i] = DIGITS[(d[i] >> 4) as usize];
        out[2 * i + 1] = DIGITS[(d[i] & 15) as usize];
        i += 1;
    }
    out
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
