//! The registry tag schema. A promotion lives as model-version tags on its
//! candidate version, all under `modeldeck.promotion/<id>/`:
//!
//! | key suffix | value |
//! |---|---|
//! | `request` | [`RequestRecord`] JSON |
//! | `approval/<approver key>` | [`ApprovalRecord`] JSON, one key per reviewer |
//! | `claim` | [`ClaimRecord`]: the executor holding it |
//! | `exec` | [`ExecRecord`]: phase and plan of the execution in flight |
//! | `outcome` | [`OutcomeRecord`]: Promoted / RolledBack with before and after |
//! | `cancel` | [`CancelRecord`] |
//! | `state` | the derived state as a bare word, for people browsing MLflow |
//! | `audit/<13-digit ms>-<12 hex>` | [`AuditMirror`] of a journal entry |
//!
//! Limits (MLflow, all backends): key <= 250 bytes, value <= 5000 bytes; key
//! characters `[A-Za-z0-9_./ :-]`, no path tricks. Keys never embed a raw
//! user string: ids are validated, approver names become a sanitized prefix
//! plus a hash (distinct people never share a key). Values are JSON, so
//! quotes, newlines or control characters in names and comments are escaped;
//! a value over the limit is refused, never silently cut.

mod records;

pub use records::*;

use crate::error::PromotionError;
use modeldeck_core::domain::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Every promotion tag key starts with this.
pub const PREFIX: &str = "modeldeck.promotion/";
/// The single-tag request format the sandbox seeds its demo with (a core
/// `Promotion` as JSON); read as a request, never written.
pub const LEGACY_REQUEST: &str = "modeldeck.promotion.request";
/// MLflow's tag key limit, bytes.
pub const MAX_KEY_BYTES: usize = 250;
/// MLflow's tag value limit, bytes.
pub const MAX_VALUE_BYTES: usize = 5000;
/// Longest free text (reason, comment) accepted, bytes.
pub const MAX_TEXT_BYTES: usize = 1000;

/// Which tag of a promotion a key names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TagKind {
    /// `request`.
    Request,
    /// `approval/<approver key>`.
    Approval(String),
    /// `claim`.
    Claim,
    /// `exec`.
    Exec,
    /// `outcome`.
    Outcome,
    /// `cancel`.
    Cancel,
    /// `state`.
    State,
    /// `audit/<suffix>`.
    Audit(String),
}

/// The tag key of `kind` for promotion `id`.
pub fn key(id: &str, kind: &TagKind) -> String {
    let tail = match kind {
        TagKind::Request => "request".to_string(),
        TagKind::Approval(a) => format!("approval/{a}"),
        TagKind::Claim => "claim".into(),
        TagKind::Exec => "exec".into(),
        TagKind::Outcome => "outcome".into(),
        TagKind::Cancel => "cancel".into(),
        TagKind::State => "state".into(),
        TagKind::Audit(s) => format!("audit/{s}"),
    };
    format!("{PREFIX}{id}/{tail}")
}

/// Splits a promotion tag key into its id and kind; `None` for other tags.
pub fn parse_key(key: &str) -> Option<(String, TagKind)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (id, tail) = rest.split_once('/')?;
    validate_id(id).ok()?;
    let kind = match tail {
        "request" => TagKind::Request,
        "claim" => TagKind::Claim,
        "exec" => TagKind::Exec,
        "outcome" => TagKind::Outcome,
        "cancel" => TagKind::Cancel,
        "state" => TagKind::State,
        t => match t.split_once('/') {
            Some(("approval", a)) if !a.is_empty() => TagKind::Approval(a.to_string()),
            Some(("audit", s)) if !s.is_empty() => TagKind::Audit(s.to_string()),
            _ => return None,
        },
    };
    Some((id.to_string(), kind))
}

/// Checks an operation id: 1..=63 of `[a-z0-9-]`, starting alphanumeric.
pub fn validate_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && id.as_bytes()[0] != b'-';
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not an operation id (1 to 63 of a-z, 0-9 and '-', not starting with '-')",
            id.chars().take(80).collect::<String>()
        ))
    }
}

/// A new operation id, unique with overwhelming probability: `p` and 15 hex
/// digits of a hash over `parts`, the time and a process-wide counter.
pub fn new_id(parts: &[&str], now: Timestamp) -> String {
    format!("p{}", &random_hex(parts, now)[..15])
}

/// 64 hex digits that differ on every call (claim tokens, ids).
pub fn random_hex(parts: &[&str], now: Timestamp) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.update(now.0.to_le_bytes());
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(nanos.to_le_bytes());
    hex::encode(h.finalize())
}

/// The key segment for `approver`: up to 40 bytes of `[a-z0-9_-]` for
/// people browsing tags, then `-` and 12 hex digits of SHA-256 of the exact
/// name, so `Alice`, `alice` and `alice@x` get distinct keys.
pub fn approver_key(approver: &str) -> String {
    let mut readable: String = approver
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '_') => c,
            _ => '_',
        })
        .take(40)
        .collect();
    if readable.is_empty() {
        readable.push('x');
    }
    let digest = hex::encode(Sha256::digest(approver.as_bytes()));
    format!("{readable}-{}", &digest[..12])
}

/// The key suffix of an audit mirror: time then hash prefix, so keys sort
/// by time and two entries in the same millisecond do not collide.
pub fn audit_suffix(at: Timestamp, hash: &str) -> String {
    format!("{:013}-{}", at.0.max(0), hash.get(..12).unwrap_or(hash))
}

/// Checks a free-text field (reason, comment) against [`MAX_TEXT_BYTES`].
pub fn check_text(field: &str, text: &str) -> Result<(), PromotionError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(PromotionError::TooLarge {
            what: field.to_string(),
            bytes: text.len(),
            limit: MAX_TEXT_BYTES,
        });
    }
    Ok(())
}

/// Encodes `record` for tag `key`, refusing keys or values over the limits.
pub fn encode<T: Serialize>(key: &str, record: &T) -> Result<String, PromotionError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(PromotionError::TooLarge {
            what: format!("tag key {key}"),
            bytes: key.len(),
            limit: MAX_KEY_BYTES,
        });
    }
    let value = serde_json::to_string(record).map_err(|e| PromotionError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })?;
    if value.len() > MAX_VALUE_BYTES {
        return Err(PromotionError::TooLarge {
            what: format!("tag {key}"),
            bytes: value.len(),
            limit: MAX_VALUE_BYTES,
        });
    }
    Ok(value)
}

/// Decodes the record in tag `key`.
pub fn decode<T: DeserializeOwned>(key: &str, value: &str) -> Result<T, PromotionError> {
    serde_json::from_str(value).map_err(|e| PromotionError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

/// Cuts `text` to at most `max` bytes on a character boundary, marking the cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Every tag of one promotion, decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PromotionTags {
    /// The request.
    pub request: Option<RequestRecord>,
    /// Decisions, by approver key.
    pub approvals: BTreeMap<String, ApprovalRecord>,
    /// The claim.
    pub claim: Option<ClaimRecord>,
    /// The execution in flight.
    pub exec: Option<ExecRecord>,
    /// The outcome.
    pub outcome: Option<OutcomeRecord>,
    /// The cancellation.
    pub cancel: Option<CancelRecord>,
    /// The state word.
    pub state: Option<String>,
    /// Audit mirrors, by key suffix (time order).
    pub audit: BTreeMap<String, AuditMirror>,
    /// Tags that could not be read, with why (they count for nothing).
    pub problems: Vec<String>,
}

/// Groups and decodes the promotion tags among a version's `tags`, by id.
pub fn collect(tags: &BTreeMap<String, String>) -> BTreeMap<String, PromotionTags> {
    let mut out: BTreeMap<String, PromotionTags> = BTreeMap::new();
    if let Some(legacy) = tags.get(LEGACY_REQUEST)
        && let Some(r) = legacy_request(legacy)
    {
        let id = r.id.clone();
        out.entry(id).or_default().request = Some(r);
    }
    for (k, v) in tags.range(PREFIX.to_string()..) {
        if !k.starts_with(PREFIX) {
            break;
        }
        let Some((id, kind)) = parse_key(k) else {
            continue;
        };
        let p = out.entry(id).or_default();
        let res = match kind {
            TagKind::Request => decode(k, v).map(|r| p.request = Some(r)),
            TagKind::Approval(a) => decode::<ApprovalRecord>(k, v).and_then(|r| {
                if approver_key(&r.approval.approver) == a {
                    p.approvals.insert(a, r);
                    Ok(())
                } else {
                    Err(PromotionError::Corrupt {
                        key: k.clone(),
                        reason: format!(
                            "holds a decision by {:?}, whose key is not this one",
                            shorten(&r.approval.approver, 80)
                        ),
                    })
                }
            }),
            TagKind::Claim => decode(k, v).map(|r| p.claim = Some(r)),
            TagKind::Exec => decode(k, v).map(|r| p.exec = Some(r)),
            TagKind::Outcome => decode(k, v).map(|r| p.outcome = Some(r)),
            TagKind::Cancel => decode(k, v).map(|r| p.cancel = Some(r)),
            TagKind::State => {
                p.state = Some(v.clone());
                Ok(())
            }
            TagKind::Audit(s) => decode(k, v).map(|r| {
                p.audit.insert(s, r);
            }),
        };
        if let Err(e) = res {
            p.problems.push(e.to_string());
        }
    }
    out
}

/// Reads a [`LEGACY_REQUEST`] value as a request (`None` if it is not one
/// or its id is not a valid operation id).
fn legacy_request(value: &str) -> Option<RequestRecord> {
    let p: modeldeck_core::domain::Promotion = serde_json::from_str(value).ok()?;
    validate_id(&p.id).ok()?;
    Some(RequestRecord {
        v: SCHEMA,
        id: p.id,
        model: p.model,
        version: p.version,
        alias: p.alias,
        targets: p.targets,
        requested_by: p.requested_by,
        reason: p.reason,
        requested_at: p.requested_at,
        previous_version: p.previous_version,
        source_run: None,
    })
}

#[cfg(test)]
mod tests;
