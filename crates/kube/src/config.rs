//! How the adapter is configured: which kubeconfig files (and how several
//! are merged) and contexts, which namespaces, the binding convention's
//! names, and the time budgets.

use kube::config::Kubeconfig;
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The names of the binding convention (all configurable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingConfig {
    /// Label naming the registered model (`modeldeck.io/model`); only
    /// workloads carrying it are watched.
    pub model_label: String,
    /// Pod-template annotation with the served version (`modeldeck.io/model-version`);
    /// on an InferenceService, the stable version during a canary.
    pub version_annotation: String,
    /// Container env with the version (`MODEL_VERSION`).
    pub version_env: String,
    /// Container env with the model URI (`MODEL_URI`).
    pub uri_env: String,
    /// URI prefix of registry model URIs (`models:/`, as in `models:/<name>/<version>`).
    pub uri_prefix: String,
    /// Label that marks a Deployment as a stream consumer (`modeldeck.io/kind`)...
    pub kind_label: String,
    /// ...when it has this value (`stream`).
    pub stream_value: String,
}

impl Default for BindingConfig {
    fn default() -> Self {
        BindingConfig {
            model_label: "modeldeck.io/model".into(),
            version_annotation: "modeldeck.io/model-version".into(),
            version_env: "MODEL_VERSION".into(),
            uri_env: "MODEL_URI".into(),
            uri_prefix: "models:/".into(),
            kind_label: "modeldeck.io/kind".into(),
            stream_value: "stream".into(),
        }
    }
}

impl BindingConfig {
    /// `models:/<model>/<version>`.
    pub fn model_uri(&self, model: &str, version: &str) -> String {
        format!("{}{model}/{version}", self.uri_prefix)
    }

    /// `(model, version)` of a registry model URI, if it is one.
    pub fn parse_uri<'a>(&self, uri: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = uri.strip_prefix(self.uri_prefix.as_str())?;
        let (model, version) = rest.rsplit_once('/')?;
        (!model.is_empty() && !version.is_empty()).then_some((model, version))
    }
}

/// Which kubeconfig contexts to watch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Contexts {
    /// The kubeconfig's current context.
    #[default]
    Current,
    /// Every context in the kubeconfig.
    All,
    /// These contexts, by name.
    Named(Vec<String>),
}

/// Options of [`crate::KubeCluster`].
#[derive(Debug, Clone)]
pub struct KubeOptions {
    /// Kubeconfig files, merged as kubectl merges `KUBECONFIG` (see
    /// [`read_kubeconfig`]); empty reads `$KUBECONFIG` the same way, or
    /// `~/.kube/config`.
    pub kubeconfig: Vec<PathBuf>,
    /// Contexts to watch.
    pub contexts: Contexts,
    /// Namespaces to watch in every context; `None` for all namespaces.
    pub namespaces: Option<Vec<String>>,
    /// Binding names.
    pub binding: BindingConfig,
    /// Budget of every user-initiated call (reads of events and logs,
    /// patches, reviews, rollbacks).
    pub call_timeout: Duration,
    /// TCP connect timeout of every client.
    pub connect_timeout: Duration,
    /// Watch KServe InferenceServices where the API group exists.
    pub inference_services: bool,
    /// Most Events returned by `events`.
    pub max_events: usize,
    /// Largest answer body read (lists, gets, discovery); watches and
    /// followed logs are streams and not capped. Past it: `too_large`.
    pub max_body_bytes: usize,
    /// How long the answer of `Cluster::ledger` (whether a context binds
    /// approvals to identities) is kept per context before it is asked
    /// again: it is read on every status.
    pub ledger_ttl: Duration,
}

impl Default for KubeOptions {
    fn default() -> Self {
        KubeOptions {
            kubeconfig: Vec::new(),
            contexts: Contexts::Current,
            namespaces: None,
            binding: BindingConfig::default(),
            call_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            inference_services: true,
            max_events: 200,
            max_body_bytes: crate::cap::DEFAULT_MAX_BODY_BYTES,
            ledger_ttl: Duration::from_secs(60),
        }
    }
}

fn config_error(message: String) -> BackendError {
    BackendError::new(Backend::Cluster, ErrorCode::InvalidRequest, message)
}

/// Reads the kubeconfig files `paths` and merges them by kubectl's rules
/// for `KUBECONFIG`: every file is read in order; the first file to name a
/// cluster, context or user wins it whole (later entries of that name are
/// dropped, not merged field by field), the first file to set
/// `current-context` (non-empty) sets it; a file that does not exist is
/// skipped, an empty path is ignored. The merge itself is kube-rs's
/// [`Kubeconfig::merge`]; what kube-rs's own `KUBECONFIG` reader does not
/// do (skip missing files, ignore an empty `current-context`) is done here.
/// Relative paths inside a file resolve against that file's directory.
///
/// With no paths: `$KUBECONFIG` the same way when it names any, else
/// `~/.kube/config`.
///
/// Errors (`invalid_request`): a file that exists but cannot be read or
/// parsed, files of different `apiVersion` or `kind`, or no file at all.
pub fn read_kubeconfig(paths: &[PathBuf]) -> PortResult<Kubeconfig> {
    if paths.is_empty() {
        let from_env: Vec<PathBuf> = std::env::var_os("KUBECONFIG")
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default();
        if from_env.iter().any(|p| !p.as_os_str().is_empty()) {
            return merge_files(&from_env);
        }
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .ok_or_else(|| {
                config_error(
                    "cannot find the kubeconfig: no $KUBECONFIG, and no home directory for ~/.kube/config"
                        .into(),
                )
            })?;
        return merge_files(&[PathBuf::from(home).join(".kube").join("config")]);
    }
    merge_files(paths)
}

/// Reads one kubeconfig file with kube-rs, guarded: kube-client 5.0.0
/// panics on a file that starts with a UTF-16 byte-order mark and has an
/// odd number of bytes (it reads the text two bytes at a time), so such a
/// file is refused here first. Parse errors name the file and the line and
/// column, never the file's text: the YAML parser's message quotes the
/// surrounding lines and the offending value, and a kubeconfig's lines
/// hold bearer tokens and passwords.
fn read_one(path: &Path) -> PortResult<Kubeconfig> {
    let bad =
        |why: String| config_error(format!("cannot read kubeconfig {}: {why}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    if let [0xFF, 0xFE, rest @ ..] | [0xFE, 0xFF, rest @ ..] = bytes.as_slice()
        && rest.len() % 2 == 1
    {
        return Err(bad(format!(
            "it starts with a UTF-16 byte-order mark but has an odd number of bytes ({}), so it is not UTF-16 text",
            bytes.len()
        )));
    }
    refuse_alias_bombs(&bytes).map_err(bad)?;
    drop(bytes);
    Kubeconfig::read_from(path).map_err(|e| bad(describe_kubeconfig_error(&e)))
}

/// Refuses a file whose YAML aliases replay more events than the file has
/// bytes (plus 1,024): nested aliases double at each level, so 168 bytes
/// could decode to 21,601 under kube-rs's parser, whose limit is a million
/// replayed events whatever the file's size. A kubeconfig that shares a
/// block with an alias or a `<<:` merge stays far below this. The text is
/// decoded as kube-rs decodes it (UTF-8, or UTF-16 after its byte-order
/// mark); any other parse error is left to kube-rs, which names it.
fn refuse_alias_bombs(bytes: &[u8]) -> Result<(), String> {
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    };
    if !text.contains('*') {
        return Ok(());
    }
    let mut options = serde_saphyr::Options::default();
    options.alias_limits.max_total_replayed_events = text.len() + 1024;
    let Err(e) = serde_saphyr::from_multiple_with_options::<serde::de::IgnoredAny>(&text, options)
    else {
        return Ok(());
    };
    let mut inner = &e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    match inner {
        serde_saphyr::Error::AliasReplayLimitExceeded {
            max_total_replayed_events,
            ..
        } => Err(format!(
            "its YAML aliases expand to more than {max_total_replayed_events} parser events \
             from {} bytes (nested aliases, a \"billion laughs\" file); refused",
            bytes.len()
        )),
        _ => Ok(()),
    }
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> String {
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| word([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

/// A kube-rs kubeconfig error as one line without any of the file's values.
pub(crate) fn describe_kubeconfig_error(e: &kube::config::KubeconfigError) -> String {
    match e {
        kube::config::KubeconfigError::Parse(p) => {
            let text = p.without_snippet().to_string();
            let first = text.lines().next().unwrap_or("").trim();
            let mut out = format!("not valid kubeconfig YAML ({})", mask_quoted(first));
            if let Some(at) = p.location().filter(|_| !first.contains(" at line ")) {
                out.push_str(&format!(" at line {}, column {}", at.line(), at.column()));
            }
            out
        }
        other => mask_quoted(other.to_string().lines().next().unwrap_or("")),
    }
}

/// `text` with every quoted span ("…", `…`, and '…' opened after a
/// non-alphanumeric character) replaced by `…`: a parser quotes the values
/// it refused, and a kubeconfig's values may be secrets.
fn mask_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut prev_alnum = false;
    while let Some(c) = chars.next() {
        let opens = matches!(c, '"' | '`') || (c == '\'' && !prev_alnum);
        if opens {
            out.push(c);
            out.push('…');
            for d in chars.by_ref() {
                if d == c {
                    break;
                }
            }
            out.push(c);
            prev_alnum = false;
        } else {
            prev_alnum = c.is_alphanumeric();
            out.push(c);
        }
    }
    out
}

fn merge_files(paths: &[PathBuf]) -> PortResult<Kubeconfig> {
    let named: Vec<&Path> = paths
        .iter()
        .map(PathBuf::as_path)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    let mut merged: Option<Kubeconfig> = None;
    for path in &named {
        if !path.exists() {
            tracing::debug!(path = %path.display(), "kubeconfig file missing; skipped as kubectl does");
            continue;
        }
        let mut next = read_one(path)?;
        // kubectl takes the first non-empty value: an empty current-context
        // sets nothing.
        if next.current_context.as_deref() == Some("") {
            next.current_context = None;
        }
        merged = Some(match merged {
            None => next,
            Some(m) => m.merge(next).map_err(|e| {
                config_error(format!("cannot merge kubeconfig {}: {e}", path.display()))
            })?,
        });
    }
    merged.ok_or_else(|| {
        let list: Vec<String> = named.iter().map(|p| p.display().to_string()).collect();
        config_error(format!(
            "no kubeconfig file exists (looked for: {})",
            list.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_uris() {
        let b = BindingConfig::default();
        assert_eq!(b.model_uri("fraud", "7"), "models:/fraud/7");
        assert_eq!(b.parse_uri("models:/fraud/7"), Some(("fraud", "7")));
        assert_eq!(
            b.parse_uri("models:/team/fraud/7"),
            Some(("team/fraud", "7"))
        );
        assert_eq!(b.parse_uri("s3://bucket/fraud/7"), None);
        assert_eq!(b.parse_uri("models:/fraud"), None);
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;

    /// A kubeconfig with one cluster, user and context per name (each
    /// pointing at `server`), and `current`.
    fn write(dir: &Path, file: &str, names: &[&str], server: &str, current: &str) -> PathBuf {
        let mut y = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for n in names {
            y.push_str(&format!(
                "- name: {n}\n  cluster:\n    server: {server}/{n}\n"
            ));
        }
        y.push_str("users:\n");
        for n in names {
            y.push_str(&format!("- name: {n}\n  user:\n    username: u-{file}\n"));
        }
        y.push_str("contexts:\n");
        for n in names {
            y.push_str(&format!(
                "- name: {n}\n  context:\n    cluster: {n}\n    user: {n}\n"
            ));
        }
        y.push_str(&format!("current-context: \"{current}\"\n"));
        let p = dir.join(file);
        std::fs::write(&p, y).unwrap();
        p
    }

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("modeldeck-kc-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn server_of(kc: &Kubeconfig, cluster: &str) -> String {
        kc.clusters
            .iter()
            .find(|c| c.name == cluster)
            .and_then(|c| c.cluster.as_ref())
            .and_then(|c| c.server.clone())
            .unwrap()
    }

    #[test]
    fn several_files_merge_as_kubectl_merges_them() {
        let d = dir("merge");
        let a = write(&d, "a.yaml", &["prod", "shared"], "https://a", "prod");
        let b = write(&d, "b.yaml", &["shared", "staging"], "https://b", "staging");
        let missing = d.join("missing.yaml");
        let kc = read_kubeconfig(&[a.clone(), PathBuf::new(), missing.clone(), b.clone()]).unwrap();
        let contexts: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            contexts,
            ["prod", "shared", "staging"],
            "both files, no repeats"
        );
        assert_eq!(
            server_of(&kc, "shared"),
            "https://a/shared",
            "first file wins"
        );
        assert_eq!(server_of(&kc, "staging"), "https://b/staging");
        let user = |u: &str| {
            kc.auth_infos
                .iter()
                .find(|x| x.name == u)
                .and_then(|x| x.auth_info.as_ref())
                .and_then(|x| x.username.clone())
        };
        assert_eq!(
            user("shared").as_deref(),
            Some("u-a.yaml"),
            "first file wins"
        );
        assert_eq!(user("staging").as_deref(), Some("u-b.yaml"));
        assert_eq!(kc.current_context.as_deref(), Some("prod"));
        // The other order: the other file wins.
        let kc = read_kubeconfig(&[b.clone(), a.clone()]).unwrap();
        assert_eq!(server_of(&kc, "shared"), "https://b/shared");
        assert_eq!(kc.current_context.as_deref(), Some("staging"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_empty_current_context_sets_nothing() {
        let d = dir("empty-current");
        let a = write(&d, "a.yaml", &["prod"], "https://a", "");
        let b = write(&d, "b.yaml", &["staging"], "https://b", "staging");
        let kc = read_kubeconfig(&[a, b]).unwrap();
        assert_eq!(kc.current_context.as_deref(), Some("staging"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn only_missing_files_or_a_broken_one_is_an_error() {
        let d = dir("errors");
        let e = read_kubeconfig(&[d.join("nope.yaml"), d.join("nada.yaml")]).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(
            e.message.contains("nope.yaml") && e.message.contains("nada.yaml"),
            "{e}"
        );
        let a = write(&d, "a.yaml", &["prod"], "https://a", "prod");
        let broken = d.join("broken.yaml");
        std::fs::write(&broken, "clusters: [ {").unwrap();
        let e = read_kubeconfig(&[a, broken]).unwrap_err();
        assert!(e.message.contains("broken.yaml"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}

/// Prepares a context's credentials before its client is built: a
/// `tokenFile` whose contents carry surrounding whitespace (a trailing
/// newline from `echo` or `kubectl create token > file`) is trimmed as
/// client-go trims it, where kube-rs would send the newline and fail with
/// "invalid bearer token". Such a token is read once here (kube-rs re-reads
/// a clean file every minute, which rotating service-account tokens rely
/// on, so a file without whitespace is left to it). Then every secret of
/// `auth` is registered for scrubbing.
pub(crate) fn prepare_auth(auth: &mut kube::config::AuthInfo) {
    if auth.token.is_none()
        && let Some(path) = &auth.token_file
        && let Ok(text) = std::fs::read_to_string(path)
        && text.trim() != text
        && !text.trim().is_empty()
    {
        auth.token = Some(secrecy::SecretString::from(text.trim().to_string()));
        auth.token_file = None;
    }
    crate::error::register_secrets(auth);
}
