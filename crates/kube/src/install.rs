//! Installing and checking cluster-wide manifests (the CRDs, admission
//! policy and ClusterRoles Modeldeck ships) in every chosen kubeconfig
//! context, with kube-rs's dynamic API: the resource of each object is
//! found by discovery (`pinned_kind`), then created, or replaced when the
//! live object differs. "As shipped" means every field the manifest sets
//! (outside `metadata` and `status`) has the shipped value on the cluster;
//! fields the API server adds (defaults) are allowed.

use crate::config::{Contexts, read_kubeconfig};
use kube::api::{Api, DynamicObject, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::discovery::{Scope, pinned_kind};
use kube::{Client, Config};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// What install did to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It was missing and is created.
    Created,
    /// It differed and is replaced by the shipped one.
    Updated,
    /// It was already as shipped.
    Unchanged,
}

/// How one object on the cluster compares with the shipped one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Every shipped field has the shipped value.
    AsShipped,
    /// Not on the cluster (or its kind is not served).
    Missing,
    /// Present with other values.
    Differs,
}

/// One object's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectReport {
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// After `install`: what was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// After `check`: how it compares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// The first differing field (`check`), or the error of this object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One context's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextReport {
    /// Kubeconfig context.
    pub context: String,
    /// Why the context could not be reached at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Per object, in manifest order.
    pub objects: Vec<ObjectReport>,
}

/// The first path where `live` lacks a value `shipped` sets, or `None`
/// when `live` covers `shipped` (objects: every shipped key, recursively;
/// arrays: same length, element by element; scalars: equal).
pub fn first_difference(shipped: &Value, live: &Value, path: &str) -> Option<String> {
    match (shipped, live) {
        (Value::Object(s), Value::Object(l)) => s.iter().find_map(|(k, v)| match l.get(k) {
            Some(lv) => first_difference(v, lv, &format!("{path}.{k}")),
            None => Some(format!("{path}.{k}")),
        }),
        (Value::Array(s), Value::Array(l)) if s.len() == l.len() => s
            .iter()
            .zip(l)
            .enumerate()
            .find_map(|(i, (a, b))| first_difference(a, b, &format!("{path}[{i}]"))),
        (s, l) if s == l => None,
        _ => Some(if path.is_empty() {
            ".".into()
        } else {
            path.into()
        }),
    }
}

/// The object without what the server owns (`metadata` but its labels, `status`).
fn comparable(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
        let labels = m.get("metadata").and_then(|md| md.get("labels")).cloned();
        m.remove("metadata");
        if let Some(l) = labels {
            m.insert("metadata".into(), serde_json::json!({ "labels": l }));
        }
    }
    o
}

fn str_at<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

async fn api_for(client: &Client, obj: &Value) -> Result<Api<DynamicObject>, kube::Error> {
    let av = str_at(obj, "/apiVersion");
    let (group, version) = av.rsplit_once('/').unwrap_or(("", av));
    let gvk = GroupVersionKind::gvk(group, version, str_at(obj, "/kind"));
    let (ar, caps) = pinned_kind(client, &gvk).await?;
    let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str);
    Ok(match (caps.scope, ns) {
        (Scope::Namespaced, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
        (Scope::Namespaced, None) => Api::default_namespaced_with(client.clone(), &ar),
        (Scope::Cluster, _) => Api::all_with(client.clone(), &ar),
    })
}

fn report(obj: &Value) -> ObjectReport {
    ObjectReport {
        kind: str_at(obj, "/kind").into(),
        name: str_at(obj, "/metadata/name").into(),
        outcome: None,
        state: None,
        detail: None,
    }
}

async fn live_of(api: &Api<DynamicObject>, name: &str) -> Result<Option<Value>, kube::Error> {
    match api.get_opt(name).await? {
        Some(o) => serde_json::to_value(o)
            .map(Some)
            .map_err(kube::Error::SerdeError),
        None => Ok(None),
    }
}

/// Creates each object, or replaces it when the live one is not as shipped.
pub async fn install(client: &Client, objects: &[Value]) -> Vec<ObjectReport> {
    let mut out = Vec::new();
    for obj in objects {
        let mut r = report(obj);
        match install_one(client, obj).await {
            Ok(o) => r.outcome = Some(o),
            Err(e) => r.detail = Some(e.to_string()),
        }
        out.push(r);
    }
    out
}

async fn install_one(client: &Client, obj: &Value) -> Result<Outcome, kube::Error> {
    let api = api_for(client, obj).await?;
    let name = str_at(obj, "/metadata/name");
    let mut desired: DynamicObject =
        serde_json::from_value(obj.clone()).map_err(kube::Error::SerdeError)?;
    match live_of(&api, name).await? {
        None => {
            api.create(&PostParams::default(), &desired).await?;
            Ok(Outcome::Created)
        }
        Some(live) => {
            if first_difference(&comparable(obj), &comparable(&live), "").is_none() {
                return Ok(Outcome::Unchanged);
            }
            desired.metadata.resource_version = live
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .map(String::from);
            api.replace(name, &PostParams::default(), &desired).await?;
            Ok(Outcome::Updated)
        }
    }
}

/// How the live copy of one shipped object compares with it: its state
/// and, when it differs, the first differing path. Errors are kube's (a
/// 403 stays a 403, so callers can tell "cannot read" from "missing").
pub(crate) async fn compare(
    client: &Client,
    obj: &Value,
) -> Result<(State, Option<String>), kube::Error> {
    let name = str_at(obj, "/metadata/name");
    let live = match api_for(client, obj).await {
        Ok(api) => live_of(&api, name).await?,
        // The kind is not served at all: nothing of it is installed.
        Err(kube::Error::Discovery(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(match live {
        None => (State::Missing, None),
        Some(live) => match first_difference(&comparable(obj), &comparable(&live), "") {
            None => (State::AsShipped, None),
            Some(path) => (State::Differs, Some(path)),
        },
    })
}

/// How each object on the cluster compares with the shipped one.
pub async fn check(client: &Client, objects: &[Value]) -> Vec<ObjectReport> {
    let mut out = Vec::new();
    for obj in objects {
        let mut r = report(obj);
        match compare(client, obj).await {
            Ok((state, path)) => {
                r.state = Some(state);
                r.detail = path.map(|p| format!("{p} differs from the shipped manifest"));
            }
            Err(e) => r.detail = Some(e.to_string()),
        }
        out.push(r);
    }
    out
}

/// The contexts `which` names in the merged kubeconfig `paths`.
fn context_names(kc: &Kubeconfig, which: &Contexts) -> Result<Vec<String>, String> {
    match which {
        Contexts::Current => {
            kc.current_context.clone().map(|c| vec![c]).ok_or_else(|| {
                "the kubeconfig has no current context; name one with --context".into()
            })
        }
        Contexts::All => Ok(kc.contexts.iter().map(|c| c.name.clone()).collect()),
        Contexts::Named(names) => Ok(names.clone()),
    }
}

/// A client of `context`, without retries (a user is waiting).
pub async fn client_of(kc: Kubeconfig, context: &str, connect: Duration) -> Result<Client, String> {
    let kopts = KubeConfigOptions {
        context: Some(context.to_string()),
        ..KubeConfigOptions::default()
    };
    let mut config = Config::from_custom_kubeconfig(kc, &kopts)
        .await
        .map_err(|e| format!("reading the kubeconfig: {e}"))?;
    crate::config::prepare_auth(&mut config.auth_info);
    config.connect_timeout = Some(connect);
    config.default_retry = false;
    Client::try_from(config).map_err(|e| format!("building the client: {e}"))
}

/// What to do in each context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create or update.
    Install,
    /// Compare.
    Check,
}

/// Runs `action` with `objects` in every context `which` names in the
/// kubeconfig files `paths` (empty: `$KUBECONFIG` or `~/.kube/config`).
pub async fn run(
    paths: &[PathBuf],
    which: &Contexts,
    objects: &[Value],
    action: Action,
) -> Result<Vec<ContextReport>, String> {
    let kc = read_kubeconfig(paths).map_err(|e| e.message)?;
    let mut out = Vec::new();
    for context in context_names(&kc, which)? {
        let mut r = ContextReport {
            context: context.clone(),
            error: None,
            objects: Vec::new(),
        };
        match client_of(kc.clone(), &context, Duration::from_secs(5)).await {
            Err(e) => r.error = Some(e),
            Ok(client) => {
                let work = async {
                    match action {
                        Action::Install => install(&client, objects).await,
                        Action::Check => check(&client, objects).await,
                    }
                };
                match tokio::time::timeout(Duration::from_secs(60), work).await {
                    Ok(objs) => r.objects = objs,
                    Err(_) => r.error = Some("timed out after 60 s".into()),
                }
            }
        }
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_defaults_are_allowed_and_changes_are_named() {
        let shipped = json!({"spec": {"a": 1, "list": [{"x": "y"}]}});
        let live = json!({"spec": {"a": 1, "list": [{"x": "y", "default": true}], "added": 2}});
        assert_eq!(first_difference(&shipped, &live, ""), None);
        let changed = json!({"spec": {"a": 2, "list": [{"x": "y"}]}});
        assert_eq!(
            first_difference(&shipped, &changed, ""),
            Some(".spec.a".into())
        );
        let shorter = json!({"spec": {"a": 1, "list": []}});
        assert_eq!(
            first_difference(&shipped, &shorter, ""),
            Some(".spec.list".into())
        );
    }
}
