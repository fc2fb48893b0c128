//! Writing kubeconfig files: one cluster, user and context per entry, so a
//! file can point standard clients at several servers (or a dead port).

use serde_json::{Value, json};
use std::io;
use std::path::Path;

/// One context of a kubeconfig.
#[derive(Clone, PartialEq, Eq)]
pub struct KubeconfigEntry {
    /// Context (and cluster) name.
    pub context: String,
    /// Server URL.
    pub server: String,
    /// User entry name.
    pub user: String,
    /// Bearer token (never printed by `Debug`).
    pub token: String,
    /// Default namespace of the context.
    pub namespace: Option<String>,
    /// PEM of the CA to trust, for HTTPS servers.
    pub ca_pem: Option<String>,
}

/// Standard base64 (with padding), for `certificate-authority-data`.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(T[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl std::fmt::Debug for KubeconfigEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeconfigEntry")
            .field("context", &self.context)
            .field("server", &self.server)
            .field("user", &self.user)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The kubeconfig document for `entries`, `current` as current-context.
pub fn kubeconfig_value(entries: &[KubeconfigEntry], current: &str) -> Value {
    let clusters: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut c = json!({"server": e.server});
            if let Some(ca) = &e.ca_pem {
                c["certificate-authority-data"] = json!(base64(ca.as_bytes()));
            }
            json!({"name": e.context, "cluster": c})
        })
        .collect();
    let users: Vec<Value> = entries
        .iter()
        .map(|e| json!({"name": format!("{}-{}", e.context, e.user), "user": {"token": e.token}}))
        .collect();
    let contexts: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut c = json!({"cluster": e.context, "user": format!("{}-{}", e.context, e.user)});
            if let Some(ns) = &e.namespace {
                c["namespace"] = json!(ns);
            }
            json!({"name": e.context, "context": c})
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": current,
    })
}

/// Writes a kubeconfig (mode 0600 on Unix: it holds tokens).
pub fn write_kubeconfig(path: &Path, entries: &[KubeconfigEntry], current: &str) -> io::Result<()> {
    let yaml = serde_norway::to_string(&kubeconfig_value(entries, current))
        .map_err(|e| io::Error::other(format!("cannot render kubeconfig: {e}")))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, yaml)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn debug_hides_tokens() {
        let e = KubeconfigEntry {
            context: "c".into(),
            server: "https://127.0.0.1:1".into(),
            user: "admin".into(),
            token: "s3cret".into(),
            namespace: None,
            ca_pem: Some("pem".into()),
        };
        assert!(!format!("{e:?}").contains("s3cret"));
        let v = kubeconfig_value(&[e], "c");
        assert_eq!(
            v["clusters"][0]["cluster"]["certificate-authority-data"],
            "cGVt"
        );
    }
}
