//! The byte format of one journal line: canonical JSON for the record, the
//! envelope around it, and the SHA-256 that chains lines together.
//!
//! A line is exactly
//! `{"seq":<n>,"prev":"<64 hex>","record":<canonical JSON>,"hash":"<64 hex>"}`
//! and `hash` is SHA-256 over every byte before `,"hash":"`. Because the
//! envelope has a fixed shape, a verifier finds the hash by position and
//! never has to trust a JSON parser's view of the line.

use super::AuditRecord;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of the first line: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const SEQ_PREFIX: &[u8] = b"{\"seq\":";
const PREV_PREFIX: &[u8] = b",\"prev\":\"";
const RECORD_PREFIX: &[u8] = b"\",\"record\":";
const HASH_PREFIX: &[u8] = b",\"hash\":\"";
const SUFFIX: &[u8] = b"\"}";
const HASH_HEX: usize = 64;

/// Serializes `value` canonically: object keys sorted by their UTF-8 bytes,
/// no whitespace, strings escaped by serde_json, numbers as serde_json
/// prints them. Independent of serde_json's `preserve_order` feature.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Encodes one line (without the trailing newline); returns it and its hash.
pub fn encode_line(
    seq: u64,
    prev: &str,
    record: &AuditRecord,
) -> Result<(String, String), serde_json::Error> {
    let value = serde_json::to_value(record)?;
    let body = format!(
        "{{\"seq\":{seq},\"prev\":\"{prev}\",\"record\":{}",
        canonical_json(&value)
    );
    let hash = sha256_hex(body.as_bytes());
    Ok((format!("{body},\"hash\":\"{hash}\"}}"), hash))
}

/// The envelope of one line, borrowed from its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// Sequence number (1 for the first line).
    pub seq: u64,
    /// Hash of the previous line as recorded in this one.
    pub prev: &'a str,
    /// The record's canonical JSON bytes.
    pub record: &'a [u8],
    /// Hash recorded at the end of the line.
    pub hash: &'a str,
    /// The bytes the hash covers.
    pub body: &'a [u8],
}

/// Splits a line into its envelope; `Err` says what is wrong with its shape.
pub fn parse_envelope(line: &[u8]) -> Result<Envelope<'_>, String> {
    let tail = HASH_PREFIX.len() + HASH_HEX + SUFFIX.len();
    if line.len() < SEQ_PREFIX.len() + tail || !line.starts_with(SEQ_PREFIX) {
        return Err("does not start like a journal line".into());
    }
    if !line.ends_with(SUFFIX) {
        return Err("does not end like a journal line (cut short?)".into());
    }
    let body_end = line.len() - tail;
    let body = &line[..body_end];
    if &line[body_end..body_end + HASH_PREFIX.len()] != HASH_PREFIX {
        return Err("has no hash field where one belongs".into());
    }
    let hash = hex_field(&line[body_end + HASH_PREFIX.len()..line.len() - SUFFIX.len()])
        .ok_or("hash is not 64 lower-case hex digits")?;
    let rest = &body[SEQ_PREFIX.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 || (digits > 1 && rest[0] == b'0') {
        return Err("seq is not a number".into());
    }
    let seq: u64 = std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("seq is not a number")?;
    let rest = &rest[digits..];
    let rest = rest
        .strip_prefix(PREV_PREFIX)
        .ok_or("prev field missing after seq")?;
    if rest.len() < HASH_HEX {
        return Err("prev field cut short".into());
    }
    let prev = hex_field(&rest[..HASH_HEX]).ok_or("prev is not 64 lower-case hex digits")?;
    let record = rest[HASH_HEX..]
        .strip_prefix(RECORD_PREFIX)
        .ok_or("record field missing after prev")?;
    Ok(Envelope {
        seq,
        prev,
        record,
        hash,
        body,
    })
}

fn hex_field(bytes: &[u8]) -> Option<&str> {
    if bytes.len() != HASH_HEX {
        return None;
    }
    // A table and a plain loop: this runs twice per line during
    // verification, and iterator code is slow in debug builds.
    let mut i = 0;
    while i < bytes.len() {
        if !HEX_DIGIT[bytes[i] as usize] {
            return None;
        }
        i += 1;
    }
    std::str::from_utf8(bytes).ok()
}

const HEX_DIGIT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = b'0';
    while c <= b'9' {
        t[c as usize] = true;
        c += 1;
    }
    let mut c = b'a';
    while c <= b'f' {
        t[c as usize] = true;
        c += 1;
    }
    t
};

/// The `seq` of a line, read without checking the rest of it.
pub fn peek_seq(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(SEQ_PREFIX)?;
    let mut n: u64 = 0;
    let mut i = 0;
    while i < rest.len() && rest[i].is_ascii_digit() {
        n = n.checked_mul(10)?.checked_add(u64::from(rest[i] - b'0'))?;
        i += 1;
    }
    (i > 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": null, "x": "é\n"}], "c": 1.5}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":1.5,"z":[3,{"x":"é\n","y":null}]},"b":1}"#
        );
    }

    #[test]
    fn envelope_round_trips_and_rejects_bad_shapes() {
        let rec = AuditRecord::for_test("alice", "promotion.requested");
        let (line, hash) = encode_line(7, GENESIS, &rec).unwrap();
        let env = parse_envelope(line.as_bytes()).unwrap();
        assert_eq!(env.seq, 7);
        assert_eq!(env.prev, GENESIS);
        assert_eq!(env.hash, hash);
        assert_eq!(sha256_hex(env.body), hash);
        assert!(serde_json::from_slice::<AuditRecord>(env.record).is_ok());
        assert!(parse_envelope(&line.as_bytes()[..line.len() - 1]).is_err());
        assert!(parse_envelope(b"{}").is_err());
        let bad_seq = line.replacen("\"seq\":7", "\"seq\":x", 1);
        assert!(parse_envelope(bad_seq.as_bytes()).is_err());
        let upper = line.replacen(&hash, &hash.to_uppercase(), 1);
        assert!(parse_envelope(upper.as_bytes()).is_err());
    }
}
