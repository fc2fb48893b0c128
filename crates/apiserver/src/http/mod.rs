//! The HTTP front: parses Kubernetes REST paths, authenticates the bearer
//! token, authorizes with the user's rules and dispatches to discovery,
//! list/get/watch, writes, subresources and the review APIs.

mod logs;
mod read;
mod route;
pub mod table;
mod watch;
mod writes;

use crate::auth::{self, Attributes};
use crate::config::User;
use crate::resources;
use crate::status::{ApiError, ApiResult};
use crate::store::Store;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use route::{Route, Target};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Shared state of one server.
pub struct App {
    /// Objects.
    pub store: Arc<Store>,
    /// Users by token; replaceable at runtime.
    pub users: RwLock<Vec<User>>,
    /// User of requests without a bearer token.
    pub anonymous: Option<String>,
    /// BOOKMARK interval.
    pub bookmark_interval: Duration,
    /// Pod log line interval.
    pub log_interval: Duration,
    /// Requests served, by (verb, resource).
    pub counters: Mutex<BTreeMap<(String, String), u64>>,
    /// Watches open now, by resource.
    pub open_watches: Mutex<BTreeMap<String, i64>>,
    /// Flips to true when the server stops: streams end, connections close.
    pub stopping: tokio::sync::watch::Sender<bool>,
}

impl App {
    /// Resolves once the server is stopping.
    pub async fn stopped(&self) {
        let mut rx = self.stopping.subscribe();
        let _ = rx.wait_for(|v| *v).await;
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store).finish()
    }
}

/// Query parameters of one request.
pub type Query = HashMap<String, String>;

/// A JSON response with `code`.
pub fn json(code: u16, v: &Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// An error as its `Status` response.
pub fn error(e: &ApiError) -> Response {
    json(e.code, &e.to_status())
}

fn flag(q: &Query, k: &str) -> bool {
    q.get(k).is_some_and(|v| v == "true" || v == "1")
}

/// Whether the client asked for server-side printing.
fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=Table"))
}

/// Entry point for every request.
pub async fn handle(
    app: Arc<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if matches!(path.as_str(), "/healthz" | "/readyz" | "/livez") {
        return (StatusCode::OK, "ok").into_response();
    }
    let query: Query = axum::extract::Query::<Query>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default();
    let user = {
        let users = app.users.read().unwrap_or_else(|e| e.into_inner());
        let hdr = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let anon = match (hdr, &app.anonymous) {
            (None, Some(name)) => users.iter().find(|u| &u.name == name),
            _ => None,
        };
        match anon
            .map(Ok)
            .unwrap_or_else(|| auth::authenticate(&users, hdr))
        {
            Ok(u) => u.clone(),
            Err(e) => return error(&e),
        }
    };
    match route::parse(&path) {
        Err(e) => error(&e),
        Ok(Route::Doc(v)) => match hide_uninstalled(&app, &path, v) {
            Some(v) => json(200, &v),
            None => error(&ApiError::no_route(&path)),
        },
        Ok(Route::Resource(t)) => {
            match dispatch(&app, &user, &method, t, &query, &headers, &body) {
                Ok(r) => r,
                Err(e) => error(&e),
            }
        }
    }
}

/// Whether `ty` is served now: custom resources only while their
/// CustomResourceDefinition exists, as on a real cluster.
fn crd_installed(app: &App, ty: &resources::ResourceType) -> bool {
    !resources::is_custom(ty)
        || app
            .store
            .get(resources::ids::CRDS, "", &ty.qualified())
            .is_some()
}

/// Discovery without the custom resources whose CRD is not installed (and
/// without their group when none is): `None` for a document that then
/// names nothing.
fn hide_uninstalled(app: &App, path: &str, mut doc: Value) -> Option<Value> {
    let hidden: Vec<&resources::ResourceType> = resources::RESOURCES
        .iter()
        .filter(|r| !crd_installed(app, r))
        .collect();
    if hidden.is_empty() {
        return Some(doc);
    }
    let group_hidden = |g: &str| {
        resources::RESOURCES
            .iter()
            .filter(|r| r.group == g)
            .all(|r| hidden.contains(&r))
    };
    if let Some(groups) = doc.get_mut("groups").and_then(Value::as_array_mut) {
        groups.retain(|g| !g["name"].as_str().is_some_and(group_hidden));
    }
    if doc["kind"] == "APIGroup" && doc["name"].as_str().is_some_and(group_hidden) {
        return None;
    }
    if doc["kind"] == "APIResourceList" {
        let gv = doc["groupVersion"].as_str().unwrap_or("").to_string();
        if let Some(list) = doc.get_mut("resources").and_then(Value::as_array_mut) {
            list.retain(|e| {
                let base = e["name"]
                    .as_str()
                    .unwrap_or("")
                    .split('/')
                    .next()
                    .unwrap_or("");
                !hidden
                    .iter()
                    .any(|r| r.api_version() == gv && r.plural == base)
            });
            if list.is_empty() {
                return None;
            }
        }
    }
    if path.starts_with("/openapi/v3")
        && let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut)
    {
        paths.retain(|k, _| {
            !hidden.iter().any(|r| {
                k.trim_start_matches('/')
                    .starts_with(&format!("apis/{}", r.api_version()))
                    && group_hidden(r.group)
            })
        });
    }
    Some(doc)
}

fn verb_of(method: &Method, t: &Target, q: &Query) -> ApiResult<&'static str> {
    Ok(match (method.as_str(), t.name.is_some()) {
        ("GET", false) if flag(q, "watch") => "watch",
        ("GET", false) => "list",
        ("GET", true) => "get",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        (m, _) => return Err(ApiError::method_not_allowed(m, &t.ty().qualified())),
    })
}

fn dispatch(
    app: &Arc<App>,
    user: &User,
    method: &Method,
    t: Target,
    q: &Query,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<Response> {
    let ty = t.ty();
    let verb = verb_of(method, &t, q)?;
    {
        let mut c = app.counters.lock().unwrap_or_else(|e| e.into_inner());
        *c.entry((verb.to_string(), ty.plural.to_string()))
            .or_insert(0) += 1;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ty.virtual_review {
        return writes::review(user, &t, content_type, body);
    }
    if !crd_installed(app, ty) {
        return Err(ApiError::no_route(&format!(
            "/apis/{}/{}",
            ty.api_version(),
            ty.plural
        )));
    }
    if content_type.starts_with(crate::proto::CONTENT_TYPE) {
        return Err(ApiError::unsupported_media_type(
            content_type,
            &["application/json"],
        ));
    }
    let attrs = Attributes {
        verb,
        group: ty.group,
        resource: ty.plural,
        subresource: t.sub.as_deref(),
        namespace: t.ns.as_deref(),
    };
    if auth::allowed(user, &attrs).is_none() {
        return Err(ApiError::forbidden(
            &user.name,
            verb,
            ty,
            t.sub.as_deref(),
            t.name.as_deref(),
            t.ns.as_deref(),
        ));
    }
    let table = wants_table(headers);
    let dry_run = q.get("dryRun").is_some_and(|v| v == "All");
    match verb {
        "watch" => watch::serve(app, &t, q, table),
        "list" => read::list(app, &t, q, table),
        "get" if t.sub.as_deref() == Some("log") => logs::serve(app, &t, q),
        "get" => read::get(app, &t, table),
        "create" => writes::create(app, user, &t, body, dry_run),
        "update" => writes::update(app, user, &t, body, dry_run),
        "patch" => writes::patch(app, user, &t, content_type, body, dry_run),
        "delete" => writes::delete(app, &t, q, body, dry_run),
        _ => Err(ApiError::method_not_allowed(
            verb,
            &resources::ResourceType::qualified(ty),
        )),
    }
}

/// A streaming body from a channel of chunks.
pub fn stream_body(rx: tokio::sync::mpsc::Receiver<Bytes>) -> Body {
    let s = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<Bytes, std::convert::Infallible>(b), rx))
    });
    Body::from_stream(s)
}
