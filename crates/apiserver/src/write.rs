//! Write semantics on top of the store: create (metadata, defaults,
//! validation), update and patch (resourceVersion preconditions, immutable
//! metadata, status subresource, generation) and delete (cascading to
//! dependents like the garbage collector does).

use crate::defaults::{apply_defaults, validate};
use crate::ids::{new_uid, random_suffix};
use crate::patch::{self, PatchType};
use crate::resources::{ResourceId, ids};
use crate::status::{ApiError, ApiResult};
use crate::store::{Store, object_rv};
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;

/// The current wall-clock time in RFC 3339 (seconds), as metadata carries it.
pub fn now_rfc3339() -> String {
    Timestamp::now().rfc3339()
}

fn meta(obj: &Value, k: &str) -> Option<String> {
    obj.get("metadata")?.get(k)?.as_str().map(String::from)
}

/// Admission: sees the object about to be stored and, on update, the
/// stored one; an error refuses the write.
pub type Admit<'a> = &'a dyn Fn(&Value, Option<&Value>) -> ApiResult<()>;

fn admit_all(_: &Value, _: Option<&Value>) -> ApiResult<()> {
    Ok(())
}

/// Creates `body` as a `res` in `ns` (the URL's namespace).
pub fn create(
    store: &Store,
    res: ResourceId,
    ns: &str,
    body: Value,
    dry_run: bool,
) -> ApiResult<Arc<Value>> {
    create_with(store, res, ns, body, dry_run, false, &admit_all)
}

/// [`create`], refused when `admit` refuses the final object.
pub fn create_admitted(
    store: &Store,
    res: ResourceId,
    ns: &str,
    body: Value,
    dry_run: bool,
    admit: Admit<'_>,
) -> ApiResult<Arc<Value>> {
    create_with(store, res, ns, body, dry_run, false, admit)
}

/// Creates a seed object, keeping its `uid` and `creationTimestamp` when set.
pub fn seed(store: &Store, res: ResourceId, body: Value) -> ApiResult<Arc<Value>> {
    let ns = meta(&body, "namespace").unwrap_or_default();
    create_with(store, res, &ns, body, false, true, &admit_all)
}

fn create_with(
    store: &Store,
    res: ResourceId,
    ns: &str,
    mut body: Value,
    dry_run: bool,
    keep_identity: bool,
    admit: Admit<'_>,
) -> ApiResult<Arc<Value>> {
    let ty = res.ty();
    if !body.is_object() {
        return Err(ApiError::bad_request(format!(
            "the body of a {} create must be a JSON object",
            ty.kind
        )));
    }
    check_kind(res, &body)?;
    body["apiVersion"] = json!(ty.api_version());
    body["kind"] = json!(ty.kind);
    if !body.get("metadata").is_some_and(Value::is_object) {
        body["metadata"] = json!({});
    }
    if let Some(body_ns) = meta(&body, "namespace").filter(|n| !n.is_empty())
        && ty.namespaced
        && body_ns != ns
    {
        return Err(ApiError::bad_request(format!(
            "the namespace of the provided object ({body_ns}) does not match the namespace sent on the request ({ns})"
        )));
    }
    if ty.namespaced {
        body["metadata"]["namespace"] = json!(ns);
        if store.get(ids::NAMESPACES, "", ns).is_none() {
            return Err(ApiError::not_found(ids::NAMESPACES.ty(), ns));
        }
    } else if let Some(m) = body["metadata"].as_object_mut() {
        m.remove("namespace");
    }
    if meta(&body, "name").is_none_or(|n| n.is_empty()) {
        match meta(&body, "generateName") {
            Some(g) if !g.is_empty() => {
                body["metadata"]["name"] = json!(format!("{g}{}", random_suffix(5)))
            }
            _ => {
                return Err(ApiError::invalid(
                    ty,
                    "",
                    &[(
                        "metadata.name".into(),
                        "Required value: name or generateName is required".into(),
                    )],
                ));
            }
        }
    }
    let m = &mut body["metadata"];
    if !keep_identity
        || m.get("uid")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        m["uid"] = json!(new_uid());
    }
    if !keep_identity || m.get("creationTimestamp").is_none_or(Value::is_null) {
        m["creationTimestamp"] = json!(now_rfc3339());
    }
    if let Some(mm) = m.as_object_mut() {
        mm.remove("resourceVersion");
        mm.remove("managedFields");
        mm.remove("deletionTimestamp");
    }
    if ty.generation {
        body["metadata"]["generation"] = json!(1);
    }
    if ty.status_subresource && body.get("status").is_none() {
        body["status"] = json!({});
    }
    apply_defaults(res, &mut body);
    validate(res, &body)?;
    admit(&body, None)?;
    store.create(res, body, dry_run)
}

fn check_kind(res: ResourceId, body: &Value) -> ApiResult<()> {
    let ty = res.ty();
    let kind = body.get("kind").and_then(Value::as_str);
    let av = body.get("apiVersion").and_then(Value::as_str);
    if kind.is_some_and(|k| k != ty.kind) || av.is_some_and(|a| a != ty.api_version()) {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({}) does not match the expected API version ({}) or the kind ({}) is not {}",
            av.unwrap_or(""),
            ty.api_version(),
            kind.unwrap_or(""),
            ty.kind
        )));
    }
    Ok(())
}

/// Turns `new` (a client's full or patched object) into what is stored,
/// given the current object: immutable metadata kept, status or spec kept
/// depending on `subresource`, generation bumped on spec changes.
fn finalize(
    res: ResourceId,
    cur: &Value,
    mut new: Value,
    subresource: Option<&str>,
) -> ApiResult<Value> {
    let ty = res.ty();
    let name = meta(cur, "name").unwrap_or_default();
    if !new.is_object() {
        return Err(ApiError::bad_request(
            "the result of the write is not a JSON object",
        ));
    }
    check_kind(res, &new)?;
    if meta(&new, "name").is_some_and(|n| n != name) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta(&new, "name").unwrap_or_default()
        )));
    }
    if let Some(want) = new
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        && want.parse::<u64>().ok() != object_rv(cur)
    {
        return Err(ApiError::conflict(ty, &name));
    }
    let mut out = match subresource {
        Some("status") => {
            let mut o = cur.clone();
            o["status"] = new.get("status").cloned().unwrap_or(json!({}));
            o
        }
        _ => {
            if ty.status_subresource {
                new["status"] = cur.get("status").cloned().unwrap_or(json!({}));
            }
            new
        }
    };
    out["apiVersion"] = json!(ty.api_version());
    out["kind"] = json!(ty.kind);
    if !out.get("metadata").is_some_and(Value::is_object) {
        out["metadata"] = json!({});
    }
    for k in [
        "uid",
        "creationTimestamp",
        "name",
        "namespace",
        "generation",
    ] {
        match cur["metadata"].get(k) {
            Some(v) => out["metadata"][k] = v.clone(),
            None => {
                if let Some(m) = out["metadata"].as_object_mut() {
                    m.remove(k);
                }
            }
        }
    }
    if let Some(m) = out["metadata"].as_object_mut() {
        m.remove("managedFields");
    }
    apply_defaults(res, &mut out);
    if ty.generation && out.get("spec") != cur.get("spec") {
        let g = cur
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        out["metadata"]["generation"] = json!(g + 1);
    }
    validate(res, &out)?;
    Ok(out)
}

/// PUT: replaces an object (or its status).
pub fn update(
    store: &Store,
    res: ResourceId,
    ns: &str,
    name: &str,
    body: Value,
    subresource: Option<&str>,
    dry_run: bool,
) -> ApiResult<Arc<Value>> {
    update_admitted(store, res, ns, name, body, subresource, dry_run, &admit_all)
}

/// [`update`], refused when `admit` refuses the final object.
#[allow(clippy::too_many_arguments)]
pub fn update_admitted(
    store: &Store,
    res: ResourceId,
    ns: &str,
    name: &str,
    body: Value,
    subresource: Option<&str>,
    dry_run: bool,
    admit: Admit<'_>,
) -> ApiResult<Arc<Value>> {
    store.update(res, ns, name, dry_run, |cur| {
        let out = finalize(res, cur, body, subresource)?;
        admit(&out, Some(cur))?;
        Ok(Some(out))
    })
}

/// PATCH: applies a patch of type `ty` to an object (or its status).
#[allow(clippy::too_many_arguments)]
pub fn patch(
    store: &Store,
    res: ResourceId,
    ns: &str,
    name: &str,
    ty: PatchType,
    body: &[u8],
    subresource: Option<&str>,
    dry_run: bool,
) -> ApiResult<Arc<Value>> {
    patch_admitted(
        store,
        res,
        ns,
        name,
        ty,
        body,
        subresource,
        dry_run,
        &admit_all,
    )
}

/// [`patch`], refused when `admit` refuses the final object.
#[allow(clippy::too_many_arguments)]
pub fn patch_admitted(
    store: &Store,
    res: ResourceId,
    ns: &str,
    name: &str,
    ty: PatchType,
    body: &[u8],
    subresource: Option<&str>,
    dry_run: bool,
    admit: Admit<'_>,
) -> ApiResult<Arc<Value>> {
    store.update(res, ns, name, dry_run, |cur| {
        let patched = patch::apply(cur, ty, body)?;
        let out = finalize(res, cur, patched, subresource)?;
        admit(&out, Some(cur))?;
        Ok(Some(out))
    })
}

/// DELETE: removes an object and, unless `orphan`, everything it owns.
pub fn delete(
    store: &Store,
    res: ResourceId,
    ns: &str,
    name: &str,
    precondition_rv: Option<u64>,
    orphan: bool,
    dry_run: bool,
) -> ApiResult<Arc<Value>> {
    let gone = store.delete(res, ns, name, precondition_rv, dry_run)?;
    if dry_run || orphan {
        return Ok(gone);
    }
    if res == ids::NAMESPACES {
        for r in [
            ids::DEPLOYMENTS,
            ids::REPLICASETS,
            ids::PODS,
            ids::EVENTS,
            ids::CRONJOBS,
            ids::JOBS,
            ids::INFERENCESERVICES,
            ids::CONFIGMAPS,
        ] {
            for o in store.list(r, Some(name), None, None, &|_| true).items {
                let (_, n) = crate::store::key_of(&o);
                let _ = store.delete(r, name, &n, None, false);
            }
        }
        return Ok(gone);
    }
    let uid = meta(&gone, "uid").unwrap_or_default();
    delete_dependents(store, ns, &uid);
    Ok(gone)
}

/// Deletes every object in `ns` whose owner references name `owner_uid`, recursively.
pub fn delete_dependents(store: &Store, ns: &str, owner_uid: &str) {
    if owner_uid.is_empty() {
        return;
    }
    for r in [ids::REPLICASETS, ids::PODS, ids::JOBS] {
        let owned = store
            .list(r, Some(ns), None, None, &|o| {
                o.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|x| x["uid"] == owner_uid))
            })
            .items;
        for o in owned {
            let (_, n) = crate::store::key_of(&o);
            if let Ok(g) = store.delete(r, ns, &n, None, false) {
                delete_dependents(store, ns, &meta(&g, "uid").unwrap_or_default());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Store {
        let s = Store::new(100);
        create(
            &s,
            ids::NAMESPACES,
            "",
            json!({"metadata": {"name": "ml"}}),
            false,
        )
        .unwrap();
        s
    }

    fn deploy() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "fraud"}, "spec": {
            "selector": {"matchLabels": {"app": "fraud"}},
            "template": {"metadata": {"labels": {"app": "fraud"}}, "spec": {"containers": [{"name": "s", "image": "m:1"}]}}}})
    }

    #[test]
    fn create_fills_metadata_and_checks_namespace() {
        let s = setup();
        let d = create(&s, ids::DEPLOYMENTS, "ml", deploy(), false).unwrap();
        assert_eq!(d["metadata"]["generation"], 1);
        assert_eq!(d["metadata"]["namespace"], "ml");
        assert!(d["metadata"]["uid"].as_str().is_some());
        assert_eq!(
            create(&s, ids::DEPLOYMENTS, "nope", deploy(), false)
                .unwrap_err()
                .code,
            404
        );
        assert_eq!(
            create(&s, ids::DEPLOYMENTS, "ml", deploy(), false)
                .unwrap_err()
                .code,
            409
        );
    }

    #[test]
    fn patch_preconditions_generation_and_status() {
        let s = setup();
        let d = create(&s, ids::DEPLOYMENTS, "ml", deploy(), false).unwrap();
        let rv = object_rv(&d).unwrap();
        let body = format!(
            r#"{{"metadata": {{"resourceVersion": "{}"}}, "spec": {{"replicas": 3}}}}"#,
            rv + 7
        );
        let e = patch(
            &s,
            ids::DEPLOYMENTS,
            "ml",
            "fraud",
            PatchType::Merge,
            body.as_bytes(),
            None,
            false,
        )
        .unwrap_err();
        assert_eq!(e.code, 409);
        let body = format!(
            r#"{{"metadata": {{"resourceVersion": "{rv}"}}, "spec": {{"replicas": 3}}, "status": {{"replicas": 9}}}}"#
        );
        let p = patch(
            &s,
            ids::DEPLOYMENTS,
            "ml",
            "fraud",
            PatchType::Merge,
            body.as_bytes(),
            None,
            false,
        )
        .unwrap();
        assert_eq!(p["metadata"]["generation"], 2);
        assert_eq!(
            p["status"],
            json!({}),
            "status ignored on the main resource"
        );
        let st = patch(
            &s,
            ids::DEPLOYMENTS,
            "ml",
            "fraud",
            PatchType::Merge,
            br#"{"status": {"replicas": 9}, "spec": {"replicas": 1}}"#,
            Some("status"),
            false,
        )
        .unwrap();
        assert_eq!(st["status"]["replicas"], 9);
        assert_eq!(st["spec"]["replicas"], 3, "spec ignored on /status");
        assert_eq!(st["metadata"]["generation"], 2);
        let dry = patch(
            &s,
            ids::DEPLOYMENTS,
            "ml",
            "fraud",
            PatchType::Merge,
            br#"{"spec": {"replicas": 5}}"#,
            None,
            true,
        )
        .unwrap();
        assert_eq!(dry["spec"]["replicas"], 5);
        assert_eq!(
            s.get(ids::DEPLOYMENTS, "ml", "fraud").unwrap()["spec"]["replicas"],
            3
        );
    }

    #[test]
    fn delete_cascades_to_owned_objects() {
        let s = setup();
        let d = create(&s, ids::DEPLOYMENTS, "ml", deploy(), false).unwrap();
        let mut rs = deploy();
        rs["kind"] = json!("ReplicaSet");
        rs["metadata"] = json!({"name": "fraud-abc", "ownerReferences": [{"uid": d["metadata"]["uid"], "kind": "Deployment", "name": "fraud", "controller": true}]});
        create(&s, ids::REPLICASETS, "ml", rs, false).unwrap();
        delete(&s, ids::DEPLOYMENTS, "ml", "fraud", None, false, false).unwrap();
        assert!(s.get(ids::REPLICASETS, "ml", "fraud-abc").is_none());
    }
}
