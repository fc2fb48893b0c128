//! This machine's audit journal read back and its chain verified, as
//! `modeldeck audit` and `modeldeck audit verify --local-only` do (the
//! registry mirror and the clusters' shared record are the CLI's checks).

use crate::error::{DeskResult, DesktopError};
use crate::views::{AuditVerify, AuditView};
use modeldeck_promotion::journal::{JournalLine, read_path, verify_path};
use std::collections::BTreeSet;
use std::path::Path;

/// The journal at `path`, entries about `model` only when given (its
/// subject names the model, or it belongs to a promotion whose other
/// entries do: the CLI's filter), and the chain check under `key`.
///
/// Errors: `internal` when the journal exists but cannot be read.
pub fn read(path: &Path, key: Option<&[u8]>, model: Option<&str>) -> DeskResult<AuditView> {
    let name = path.display().to_string();
    let lines = if path.exists() {
        read_path(path)
            .map_err(|e| DesktopError::new("internal", format!("the audit journal {name}: {e}")))?
    } else {
        Vec::new()
    };
    let total = lines.len() as u64;
    let verify = if path.exists() {
        match verify_path(path, key) {
            Ok(v) => AuditVerify {
                ok: true,
                signed: key.is_some(),
                count: Some(v.count),
                head: Some(v.head),
                error: None,
            },
            Err(e) => AuditVerify {
                ok: false,
                signed: key.is_some(),
                count: None,
                head: None,
                error: Some(e),
            },
        }
    } else {
        // No journal yet: nothing written, nothing to break.
        AuditVerify {
            ok: true,
            signed: key.is_some(),
            count: Some(0),
            head: None,
            error: None,
        }
    };
    let entries = match model {
        Some(m) => about(lines, m),
        None => lines,
    };
    Ok(AuditView {
        journal: name,
        total,
        entries,
        verify,
    })
}

fn names(subject: &str, m: &str) -> bool {
    subject
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';'))
        .any(|w| w == m)
}

fn about(lines: Vec<JournalLine>, m: &str) -> Vec<JournalLine> {
    let promos: BTreeSet<String> = lines
        .iter()
        .filter(|l| names(&l.record.entry.subject, m))
        .filter_map(|l| l.record.promotion.clone())
        .collect();
    lines
        .into_iter()
        .filter(|l| {
            names(&l.record.entry.subject, m)
                || l.record
                    .promotion
                    .as_ref()
                    .is_some_and(|p| promos.contains(p))
        })
        .collect()
}
