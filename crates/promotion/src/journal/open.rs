//! Opening a journal: verify what is on disk, recover the two states a
//! crash during an append can leave (one half-written line, or one whole
//! line whose head update never happened), refuse everything else.

use super::head::{self, Head};
use super::line::GENESIS;
use super::verify::{VerifyError, scan, verify_reader};
use super::{Journal, JournalError, JournalOptions, State};
use std::fs::{self, OpenOptions};
use std::path::Path;
use std::sync::Mutex;

impl Journal {
    /// Opens (or creates) the journal at `path` and verifies it. A journal
    /// that fails verification is refused with the [`VerifyError`], except
    /// for the crash leftovers described in the module docs, which are
    /// repaired (see [`Journal::recovered`]).
    pub fn open(path: impl AsRef<Path>, opts: JournalOptions) -> Result<Journal, JournalError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| JournalError::io(dir, e))?;
        }
        let head = head::read_head(&path)?;
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(JournalError::io(&path, e)),
        };
        let key = opts.head_key.as_deref();
        let (count, last, keep, recovered) = match verify_reader(&bytes[..], head.as_ref(), key) {
            Ok(v) => (v.count, v.head, bytes.len(), None),
            Err(err) => recover(&bytes, head.as_ref(), key, err)?,
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| JournalError::io(&path, e))?;
        if keep < bytes.len() {
            file.set_len(keep as u64)
                .map_err(|e| JournalError::io(&path, e))?;
        }
        let head_stale = head
            .as_ref()
            .is_none_or(|h| h.count != count || h.head != last);
        if head_stale {
            head::write_head(&path, &Head::new(count, last.clone(), key), opts.fsync)?;
        }
        if let Some(note) = &recovered {
            tracing::warn!(journal = %path.display(), "{note}");
        }
        Ok(Journal {
            path,
            opts,
            state: Mutex::new(State {
                file,
                count,
                head: last,
                len: keep as u64,
                first: first_hash(&bytes[..keep]),
            }),
            recovered,
        })
    }
}

/// The hash of the first line of `bytes`, if it has a whole one.
fn first_hash(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().position(|b| *b == b'\n')?;
    super::line::parse_envelope(&bytes[..end])
        .ok()
        .map(|e| e.hash.to_string())
}

type Recovery = (u64, String, usize, Option<String>);

fn recover(
    bytes: &[u8],
    head: Option<&Head>,
    key: Option<&[u8]>,
    err: VerifyError,
) -> Result<Recovery, JournalError> {
    let refuse = || Err(JournalError::Tampered(err.clone()));
    let keep = if bytes.is_empty() || bytes.ends_with(b"\n") {
        bytes.len()
    } else {
        bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1)
    };
    let dropped = keep < bytes.len();
    let Ok(chain) = scan(&bytes[..keep]) else {
        return refuse();
    };
    let Some(head) = head else {
        // No head at all: only an empty (or half-first-line) journal is new.
        if chain.count == 0 {
            return Ok((
                0,
                GENESIS.to_string(),
                keep,
                dropped.then(|| half_line_note(1)),
            ));
        }
        return refuse();
    };
    if !head.signature_ok(key) {
        return refuse();
    }
    if chain.count == head.count && chain.last == head.head && dropped {
        return Ok((
            chain.count,
            chain.last,
            keep,
            Some(half_line_note(chain.count + 1)),
        ));
    }
    if chain.count == head.count + 1 && chain.before_last == head.head {
        let note = format!(
            "journal entry {} was written but its head update was not (crash during append): re-anchored{}",
            chain.count,
            if dropped {
                ", and a half-written line after it dropped"
            } else {
                ""
            }
        );
        return Ok((chain.count, chain.last, keep, Some(note)));
    }
    refuse()
}

fn half_line_note(line: u64) -> String {
    format!("journal line {line} was half-written (crash during append): dropped")
}
