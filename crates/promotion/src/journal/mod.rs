//! The local audit journal: hash-chained JSON lines with a head sidecar.
//!
//! # Design
//! * Each line is `{"seq":n,"prev":<hash of line n-1>,"record":<canonical
//!   JSON>,"hash":<SHA-256 of everything before ,"hash">}` (see [`mod@line`]).
//!   Canonical JSON (sorted keys, no whitespace) makes the hash independent
//!   of map ordering, so any tool can recompute it.
//! * Editing a line breaks its own hash; rewriting it *with* a recomputed
//!   hash breaks the next line's `prev`; deleting or moving lines breaks the
//!   `seq` numbering. [`verify`](Journal::verify) names the first bad line
//!   and which of these it was.
//! * A chain cannot see truncation (a journal cut after line 900 is a valid
//!   900-line chain), so every append also rewrites `<journal>.head`
//!   (`{"count","head"}`) atomically: temp file, fsync, rename, directory
//!   fsync. Verification compares the journal's end with it.
//! * Append order is: line written and fsynced, then the head. A crash in
//!   between leaves exactly one unanchored line (or one half-written line);
//!   [`Journal::open`] recovers those two cases and nothing else, so a forged
//!   multi-line tail is still refused.
//! * Anyone who can write both files can rewrite history consistently. A
//!   head key (`JournalOptions::head_key`) signs the head with HMAC-SHA256 so
//!   that takes the key too; the promotion service also mirrors every
//!   entry's hash into registry tags, a second copy an attacker must forge.

pub mod head;
pub mod line;
pub mod mirror_check;
pub mod shared_check;
pub mod verify;

pub use head::Head;
pub use verify::{Tamper, Verified, VerifyError};

use line::{GENESIS, encode_line, parse_envelope};
use modeldeck_core::domain::{Approval, AuditEntry, GateResult};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What one journal line records: the audit entry plus the promotion it
/// concerns and the gate values and approvals in force at that moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditRecord {
    /// Actor, action, subject, before/after, outcome.
    pub entry: AuditEntry,
    /// Promotion id, when the entry concerns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<String>,
    /// Gate values at that moment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<GateResult>,
    /// Approvals at that moment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// Mirrors of this entry that could not be written (a Kubernetes Event
    /// the cluster refused), one line each; the entry itself stands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mirror_failures: Vec<String>,
    /// `cluster/namespace` of each promotion object whose shared history
    /// this entry is appended to (decided before the line is written, so
    /// `audit verify` knows where to find it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_to: Vec<String>,
}

impl AuditRecord {
    /// A record of `entry` alone.
    pub fn new(entry: AuditEntry) -> AuditRecord {
        AuditRecord {
            entry,
            promotion: None,
            gates: Vec::new(),
            approvals: Vec::new(),
            mirror_failures: Vec::new(),
            shared_to: Vec::new(),
        }
    }

    #[cfg(test)]
    pub(crate) fn for_test(actor: &str, action: &str) -> AuditRecord {
        AuditRecord::new(AuditEntry {
            at: modeldeck_core::domain::Timestamp(1_795_869_880_555),
            actor: actor.into(),
            action: action.into(),
            subject: "model fraud-detector v7".into(),
            before: serde_json::json!({"alias": "6"}),
            after: serde_json::json!({"alias": "7"}),
            outcome: "ok".into(),
        })
    }
}

/// One line as read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JournalLine {
    /// 1-based sequence number.
    pub seq: u64,
    /// Hash of the previous line.
    pub prev: String,
    /// This line's hash.
    pub hash: String,
    /// What it records.
    pub record: AuditRecord,
}

/// Errors of the journal itself (verification failures are [`VerifyError`]).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A file operation failed.
    #[error("journal file {path}: {source}")]
    Io {
        /// Which file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The head sidecar is unreadable.
    #[error("journal head {path} is unreadable: {reason}")]
    BadHead {
        /// Which file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The journal failed verification.
    #[error(transparent)]
    Tampered(#[from] VerifyError),
    /// A record could not be encoded or decoded.
    #[error("journal record at line {line}: {reason}")]
    Record {
        /// 1-based line (0 when encoding a new record).
        line: u64,
        /// Why.
        reason: String,
    },
}

impl JournalError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// How a journal is opened.
#[derive(Debug, Clone)]
pub struct JournalOptions {
    /// Key that signs the head (HMAC-SHA256); `None` leaves it unsigned.
    pub head_key: Option<Vec<u8>>,
    /// fsync each appended line and head (on by default; bulk imports and
    /// tests of verification may turn it off).
    pub fsync: bool,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            head_key: None,
            fsync: true,
        }
    }
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The lines verbatim (verifiable elsewhere with the head).
    JsonLines,
    /// One JSON document: `{"head": {...}, "entries": [...]}`.
    Json,
}

struct State {
    file: File,
    count: u64,
    head: String,
    len: u64,
    /// Hash of line 1, once there is one.
    first: Option<String>,
}

/// An open journal. Appends are serialized by an internal lock; file I/O is
/// blocking and small (one line and one head per append).
pub struct Journal {
    path: PathBuf,
    opts: JournalOptions,
    state: Mutex<State>,
    recovered: Option<String>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

mod open;

impl Journal {
    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What [`Journal::open`] repaired after a crash, if anything.
    pub fn recovered(&self) -> Option<&str> {
        self.recovered.as_deref()
    }

    /// This journal's id: the first 16 hex digits of its first line's
    /// hash (`None` while it is empty). Shared history entries name it in
    /// their witness so `audit verify` can tell this journal's entries
    /// from other operators'.
    pub fn id(&self) -> Option<String> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.first.as_ref().map(|h| h[..16.min(h.len())].to_string())
    }

    /// `(count, head hash)` as of now.
    pub fn head(&self) -> (u64, String) {
        match self.state.lock() {
            Ok(s) => (s.count, s.head.clone()),
            Err(p) => {
                let s = p.into_inner();
                (s.count, s.head.clone())
            }
        }
    }

    /// Appends `record`: the line is written and fsynced, then the head.
    pub fn append(&self, record: &AuditRecord) -> Result<JournalLine, JournalError> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let seq = st.count + 1;
        let (text, hash) =
            encode_line(seq, &st.head, record).map_err(|e| JournalError::Record {
                line: 0,
                reason: e.to_string(),
            })?;
        let mut bytes = text.into_bytes();
        bytes.push(b'\n');
        let written = st.file.write_all(&bytes).and_then(|()| {
            if self.opts.fsync {
                st.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            // Leave no half line behind for the next append to chain onto.
            let _ = st.file.set_len(st.len);
            return Err(JournalError::io(&self.path, e));
        }
        let head = Head::new(seq, hash.clone(), self.opts.head_key.as_deref());
        head::write_head(&self.path, &head, self.opts.fsync)?;
        if st.first.is_none() {
            st.first = Some(hash.clone());
        }
        let prev = std::mem::replace(&mut st.head, hash.clone());
        st.count = seq;
        st.len += bytes.len() as u64;
        Ok(JournalLine {
            seq,
            prev,
            hash,
            record: record.clone(),
        })
    }

    /// Verifies the journal file against its head (see the module docs).
    pub fn verify(&self) -> Result<Verified, VerifyError> {
        let _st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        verify_path(&self.path, self.opts.head_key.as_deref())
    }

    /// Every line, parsed. Does not verify: call [`Journal::verify`] first
    /// when the answer must be trusted.
    pub fn read(&self) -> Result<Vec<JournalLine>, JournalError> {
        let _st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        read_path(&self.path)
    }

    /// Verifies, then writes the journal to `out` in `format`.
    pub fn export(
        &self,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<Verified, JournalError> {
        let _st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let verified = verify_path(&self.path, self.opts.head_key.as_deref())?;
        let io = |e| JournalError::io(&self.path, e);
        match format {
            ExportFormat::JsonLines => {
                let bytes = fs::read(&self.path).map_err(io)?;
                out.write_all(&bytes).map_err(io)?;
            }
            ExportFormat::Json => {
                let head = head::read_head(&self.path)?;
                let doc = serde_json::json!({
                    "head": head,
                    "entries": read_path(&self.path)?,
                });
                serde_json::to_writer_pretty(&mut *out, &doc).map_err(|e| {
                    JournalError::Record {
                        line: 0,
                        reason: e.to_string(),
                    }
                })?;
                out.write_all(b"\n").map_err(io)?;
            }
        }
        Ok(verified)
    }
}

/// Verifies the journal at `path` against its head sidecar.
pub fn verify_path(path: &Path, key: Option<&[u8]>) -> Result<Verified, VerifyError> {
    let head = head::read_head(path).map_err(|e| VerifyError {
        line: 0,
        kind: Tamper::HeadForged,
        detail: e.to_string(),
    })?;
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && head.is_none() => {
            return Ok(Verified {
                count: 0,
                head: GENESIS.to_string(),
            });
        }
        Err(e) => {
            return Err(VerifyError {
                line: 0,
                kind: Tamper::Unreadable,
                detail: format!("{}: {e}", path.display()),
            });
        }
    };
    verify::verify_reader(BufReader::new(file), head.as_ref(), key)
}

/// Parses every line of the journal at `path` (no verification).
pub fn read_path(path: &Path) -> Result<Vec<JournalLine>, JournalError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(JournalError::io(path, e)),
    };
    let mut out = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let n = i as u64 + 1;
        let bad = |reason: String| JournalError::Record { line: n, reason };
        let env = parse_envelope(line).map_err(bad)?;
        let record = serde_json::from_slice(env.record).map_err(|e| bad(e.to_string()))?;
        out.push(JournalLine {
            seq: env.seq,
            prev: env.prev.to_string(),
            hash: env.hash.to_string(),
            record,
        });
    }
    Ok(out)
}
