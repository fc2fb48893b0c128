//! Writing kubeconfig files: one cluster, user and context per entry, so a
//! file can point standard clients at several servers (or a dead port);
//! or, for several users of the same clusters, one `<user>@<cluster>`
//! context per user and cluster.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
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

/// The kubeconfig document for `entries`, `current` as current-context:
/// one context per entry, named after its cluster (`entry.context`).
pub fn kubeconfig_value(entries: &[KubeconfigEntry], current: &str) -> Value {
    let named: Vec<(String, String, &KubeconfigEntry)> = entries
        .iter()
        .map(|e| (e.context.clone(), format!("{}-{}", e.context, e.user), e))
        .collect();
    document(&named, current)
}

/// The name of the context (and user entry) of `user` on `cluster` in a
/// kubeconfig shared by several users: `<user>@<cluster>`.
pub fn team_context(user: &str, cluster: &str) -> String {
    format!("{user}@{cluster}")
}

/// The kubeconfig document for several users of the same clusters: each
/// entry gets a context named [`team_context`]`(user, cluster)`; clusters
/// appear once each (`entry.context` names the cluster).
pub fn team_kubeconfig_value(entries: &[KubeconfigEntry], current: &str) -> Value {
    let named: Vec<(String, String, &KubeconfigEntry)> = entries
        .iter()
        .map(|e| {
            let n = team_context(&e.user, &e.context);
            (n.clone(), n, e)
        })
        .collect();
    document(&named, current)
}

/// `(context name, user entry name, entry)` rows to a document; a cluster
/// named twice is written once (the first entry's server and CA).
fn document(named: &[(String, String, &KubeconfigEntry)], current: &str) -> Value {
    let mut clusters: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (_, _, e) in named {
        if !seen.insert(e.context.as_str()) {
            continue;
        }
        let mut c = json!({"server": e.server});
        if let Some(ca) = &e.ca_pem {
            c["certificate-authority-data"] = json!(STANDARD.encode(ca.as_bytes()));
        }
        clusters.push(json!({"name": e.context, "cluster": c}));
    }
    let users: Vec<Value> = named
        .iter()
        .map(|(_, u, e)| json!({"name": u, "user": {"token": e.token}}))
        .collect();
    let contexts: Vec<Value> = named
        .iter()
        .map(|(name, u, e)| {
            let mut c = json!({"cluster": e.context, "user": u});
            if let Some(ns) = &e.namespace {
                c["namespace"] = json!(ns);
            }
            json!({"name": name, "context": c})
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
    write_document(path, &kubeconfig_value(entries, current))
}

/// Writes the kubeconfig of several users ([`team_kubeconfig_value`]),
/// mode 0600 on Unix.
pub fn write_team_kubeconfig(
    path: &Path,
    entries: &[KubeconfigEntry],
    current: &str,
) -> io::Result<()> {
    write_document(path, &team_kubeconfig_value(entries, current))
}

fn write_document(path: &Path, doc: &Value) -> io::Result<()> {
    let yaml = serde_norway::to_string(doc)
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

    fn entry(cluster: &str, user: &str, token: &str) -> KubeconfigEntry {
        KubeconfigEntry {
            context: cluster.into(),
            server: format!("https://{cluster}.test:6443"),
            user: user.into(),
            token: token.into(),
            namespace: None,
            ca_pem: None,
        }
    }

    #[test]
    fn team_contexts_are_user_at_cluster_with_clusters_once() {
        let es = [
            entry("eu", "alice", "ta"),
            entry("eu", "bob", "tb"),
            entry("us", "alice", "ta2"),
        ];
        let v = team_kubeconfig_value(&es, "alice@eu");
        let names = |k: &str| -> Vec<String> {
            v[k].as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names("clusters"), vec!["eu", "us"]);
        assert_eq!(names("contexts"), vec!["alice@eu", "bob@eu", "alice@us"]);
        assert_eq!(v["contexts"][1]["context"]["cluster"], "eu");
        assert_eq!(v["contexts"][1]["context"]["user"], "bob@eu");
        assert_eq!(v["users"][1]["user"]["token"], "tb");
        assert_eq!(v["current-context"], "alice@eu");
        // The single-user layout is unchanged: contexts named after clusters.
        let one = kubeconfig_value(&es[..1], "eu");
        assert_eq!(one["contexts"][0]["name"], "eu");
        assert_eq!(one["users"][0]["name"], "eu-alice");
    }
}
