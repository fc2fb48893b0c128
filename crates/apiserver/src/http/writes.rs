//! POST, PUT, PATCH and DELETE over HTTP, including the `scale` and
//! `status` subresources, and the create-only review APIs.

use super::read::scale_of;
use super::route::Target;
use super::{App, Query, json};
use crate::admission::{Operation, Policies, Request};
use crate::auth;
use crate::config::User;
use crate::patch::{self, PatchType};
use crate::resources::ids;
use crate::status::{self, ApiError, ApiResult};
use crate::write;
use axum::body::Bytes;
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

fn parse_body(body: &Bytes) -> ApiResult<Value> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
}

fn request<'a>(user: &'a User, t: &'a Target, operation: Operation, dry_run: bool) -> Request<'a> {
    Request {
        user,
        res: t.res,
        subresource: t.sub.as_deref(),
        operation,
        dry_run,
    }
}

/// POST to a collection.
pub fn create(
    app: &Arc<App>,
    user: &User,
    t: &Target,
    body: &Bytes,
    dry_run: bool,
) -> ApiResult<Response> {
    let policies = Policies::load(&app.store);
    let req = request(user, t, Operation::Create, dry_run);
    let admit = |new: &Value, old: Option<&Value>| policies.admit(&req, new, old);
    let obj = write::create_admitted(
        &app.store,
        t.res,
        t.ns_str(),
        parse_body(body)?,
        dry_run,
        &admit,
    )?;
    Ok(json(201, &obj))
}

/// The SelfSubject*Review APIs (JSON or, as kubectl sends them, protobuf).
pub fn review(user: &User, t: &Target, content_type: &str, body: &Bytes) -> ApiResult<Response> {
    if t.name.is_some() {
        return Err(ApiError::method_not_allowed("GET", &t.ty().qualified()));
    }
    let body = if content_type.starts_with(crate::proto::CONTENT_TYPE) {
        crate::proto::decode(t.ty().kind, body)?
    } else {
        parse_body(body)?
    };
    let out = match t.ty().kind {
        "SelfSubjectAccessReview" => auth::access_review(user, &body)?,
        "SelfSubjectRulesReview" => auth::rules_review(user, &body)?,
        _ => auth::subject_review(user, &t.ty().api_version()),
    };
    Ok(json(201, &out))
}

fn set_replicas(app: &Arc<App>, t: &Target, scale: &Value, dry_run: bool) -> ApiResult<Value> {
    let name = t.name.as_deref().unwrap_or("");
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::bad_request("Scale: spec.replicas must be an integer"))?;
    let rv = scale
        .pointer("/metadata/resourceVersion")
        .cloned()
        .unwrap_or(Value::Null);
    let mut p = json!({"spec": {"replicas": replicas}});
    if rv.is_string() {
        p["metadata"] = json!({"resourceVersion": rv});
    }
    let body = p.to_string();
    let obj = write::patch(
        &app.store,
        t.res,
        t.ns_str(),
        name,
        PatchType::Merge,
        body.as_bytes(),
        None,
        dry_run,
    )?;
    Ok(scale_of(&obj))
}

/// PUT of an object or subresource.
pub fn update(
    app: &Arc<App>,
    user: &User,
    t: &Target,
    body: &Bytes,
    dry_run: bool,
) -> ApiResult<Response> {
    let body = parse_body(body)?;
    if t.sub.as_deref() == Some("scale") {
        return Ok(json(200, &set_replicas(app, t, &body, dry_run)?));
    }
    let name = t.name.as_deref().unwrap_or("");
    let policies = Policies::load(&app.store);
    let req = request(user, t, Operation::Update, dry_run);
    let admit = |new: &Value, old: Option<&Value>| policies.admit(&req, new, old);
    let obj = write::update_admitted(
        &app.store,
        t.res,
        t.ns_str(),
        name,
        body,
        t.sub.as_deref(),
        dry_run,
        &admit,
    )?;
    Ok(json(200, &obj))
}

/// PATCH of an object or subresource.
pub fn patch(
    app: &Arc<App>,
    user: &User,
    t: &Target,
    content_type: &str,
    body: &Bytes,
    dry_run: bool,
) -> ApiResult<Response> {
    let ty = patch::PatchType::from_content_type(content_type, t.ty().strategic)?;
    let name = t.name.as_deref().unwrap_or("");
    if t.sub.as_deref() == Some("scale") {
        let cur = app
            .store
            .get(t.res, t.ns_str(), name)
            .ok_or_else(|| ApiError::not_found(t.ty(), name))?;
        let patched = patch::apply(&scale_of(&cur), ty, body)?;
        return Ok(json(200, &set_replicas(app, t, &patched, dry_run)?));
    }
    let policies = Policies::load(&app.store);
    let req = request(user, t, Operation::Update, dry_run);
    let admit = |new: &Value, old: Option<&Value>| policies.admit(&req, new, old);
    let obj = write::patch_admitted(
        &app.store,
        t.res,
        t.ns_str(),
        name,
        ty,
        body,
        t.sub.as_deref(),
        dry_run,
        &admit,
    )?;
    Ok(json(200, &obj))
}

/// DELETE of one object; honours `preconditions.resourceVersion` and
/// `propagationPolicy: Orphan`.
pub fn delete(
    app: &Arc<App>,
    t: &Target,
    q: &Query,
    body: &Bytes,
    dry_run: bool,
) -> ApiResult<Response> {
    let opts: Value = if body.is_empty() {
        json!({})
    } else {
        parse_body(body)?
    };
    let precondition = opts
        .pointer("/preconditions/resourceVersion")
        .and_then(Value::as_str)
        .map(|s| {
            s.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("invalid precondition resourceVersion `{s}`"))
            })
        })
        .transpose()?;
    let policy = opts
        .get("propagationPolicy")
        .and_then(Value::as_str)
        .or(q.get("propagationPolicy").map(String::as_str))
        .unwrap_or("Background");
    let name = t.name.as_deref().unwrap_or("");
    let gone = write::delete(
        &app.store,
        t.res,
        t.ns_str(),
        name,
        precondition,
        policy == "Orphan",
        dry_run,
    )?;
    let uid = gone["metadata"]["uid"].as_str().unwrap_or("");
    if t.res == ids::NAMESPACES || t.res == ids::PODS {
        return Ok(json(200, &gone));
    }
    Ok(json(200, &status::success(t.ty(), name, uid)))
}
