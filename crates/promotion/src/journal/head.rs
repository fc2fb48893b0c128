//! The head sidecar (`<journal>.head`): how many lines the journal holds and
//! the hash of the last one, optionally signed with HMAC-SHA256. It is what
//! makes truncation detectable: a chain alone cannot tell a journal cut
//! after line 900 from one that only ever had 900 lines.

use super::JournalError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The persisted head of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Number of lines the journal holds.
    pub count: u64,
    /// Hash of the last line (the genesis hash when empty).
    pub head: String,
    /// HMAC-SHA256 over `count:head`, hex, when the journal has a head key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

impl Head {
    /// A head for `count` lines ending in `head`, signed when `key` is set.
    pub fn new(count: u64, head: String, key: Option<&[u8]>) -> Head {
        let mac = key.map(|k| hex::encode(hmac_sha256(k, head_message(count, &head).as_bytes())));
        Head { count, head, mac }
    }

    /// True when `key` is `None` or the MAC matches it.
    pub fn signature_ok(&self, key: Option<&[u8]>) -> bool {
        match key {
            None => true,
            Some(k) => {
                let want = hex::encode(hmac_sha256(
                    k,
                    head_message(self.count, &self.head).as_bytes(),
                ));
                self.mac.as_deref() == Some(want.as_str())
            }
        }
    }
}

fn head_message(count: u64, head: &str) -> String {
    format!("modeldeck-journal-head:{count}:{head}")
}

/// Where the head of the journal at `journal` lives.
pub fn head_path(journal: &Path) -> PathBuf {
    let mut p = journal.as_os_str().to_owned();
    p.push(".head");
    PathBuf::from(p)
}

/// Reads the head next to `journal`; `Ok(None)` when there is none.
pub fn read_head(journal: &Path) -> Result<Option<Head>, JournalError> {
    let path = head_path(journal);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| JournalError::BadHead {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(JournalError::io(&path, e)),
    }
}

/// Writes the head atomically: a temporary file, fsync, rename over the
/// old head, then fsync of the directory so the rename itself is durable.
pub fn write_head(journal: &Path, head: &Head, sync: bool) -> Result<(), JournalError> {
    let path = head_path(journal);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut bytes = serde_json::to_vec(head).map_err(|e| JournalError::BadHead {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    bytes.push(b'\n');
    {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| JournalError::io(&tmp, e))?;
        f.write_all(&bytes).map_err(|e| JournalError::io(&tmp, e))?;
        if sync {
            f.sync_all().map_err(|e| JournalError::io(&tmp, e))?;
        }
    }
    fs::rename(&tmp, &path).map_err(|e| JournalError::io(&path, e))?;
    if sync && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Directory fsync is what makes the rename durable on Linux; some
        // platforms refuse to open a directory, which is not an error here.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// HMAC-SHA256 (RFC 2104), written out because it is twelve lines over
/// `sha2` and the workspace carries no `hmac` crate.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_vectors() {
        // Test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn signed_heads_reject_other_keys_and_edits() {
        let h = Head::new(3, "ab".repeat(32), Some(b"k1"));
        assert!(h.signature_ok(Some(b"k1")));
        assert!(!h.signature_ok(Some(b"k2")));
        let mut edited = h.clone();
        edited.count = 2;
        assert!(!edited.signature_ok(Some(b"k1")));
        assert!(Head::new(3, "ab".repeat(32), None).signature_ok(None));
    }
}
