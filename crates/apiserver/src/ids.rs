//! Identifiers the server mints: object uids, random name suffixes (the
//! `generateName` and pod-name alphabet) and pod-template hashes.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};

/// The alphabet Kubernetes uses for generated names (no vowels, no
/// look-alike digits), so names look like the real thing.
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A process-unique pseudo-random 64-bit value (time, pid and a counter
/// through SHA-256): good enough for names and uids, not for secrets.
pub fn random_u64() -> u64 {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(n.to_le_bytes());
    h.update(t.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// A random lower-case suffix of `len` characters from the safe alphabet.
pub fn random_suffix(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut v = random_u64();
    for _ in 0..len {
        if v == 0 {
            v = random_u64();
        }
        let i = (v % SAFE_ALPHABET.len() as u64) as usize;
        v /= SAFE_ALPHABET.len() as u64;
        out.push(SAFE_ALPHABET[i] as char);
    }
    out
}

/// A fresh object uid in the 8-4-4-4-12 hex layout.
pub fn new_uid() -> String {
    let a = random_u64();
    let b = random_u64();
    let h = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A random bearer token (hex, 32 characters).
pub fn new_token() -> String {
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

/// JSON with object keys sorted at every level: a stable form for hashing
/// and comparing, whatever order the map implementation keeps.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(*k) {
                    write_canonical(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The `pod-template-hash` of a pod template: a short, stable, safe-alphabet
/// digest of the template without its own `pod-template-hash` label.
pub fn template_hash(template: &Value) -> String {
    let mut t = template.clone();
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("pod-template-hash");
    }
    let digest = Sha256::digest(canonical_json(&t).as_bytes());
    let mut v = u64::from_le_bytes([
        digest[0], digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7],
    ]);
    let mut out = String::new();
    for _ in 0..10 {
        out.push(SAFE_ALPHABET[(v % SAFE_ALPHABET.len() as u64) as usize] as char);
        v /= SAFE_ALPHABET.len() as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_hash_ignores_its_own_label_and_key_order() {
        let a = json!({"metadata": {"labels": {"app": "x", "pod-template-hash": "abc"}}, "spec": {"b": 1, "a": 2}});
        let b = json!({"spec": {"a": 2, "b": 1}, "metadata": {"labels": {"app": "x"}}});
        assert_eq!(template_hash(&a), template_hash(&b));
        let c = json!({"spec": {"a": 3, "b": 1}, "metadata": {"labels": {"app": "x"}}});
        assert_ne!(template_hash(&a), template_hash(&c));
    }

    #[test]
    fn uids_and_suffixes_are_distinct() {
        assert_ne!(new_uid(), new_uid());
        let s = random_suffix(5);
        assert_eq!(s.len(), 5);
        assert!(s.bytes().all(|b| SAFE_ALPHABET.contains(&b)));
    }
}
