//! GET of one object (and its `status`/`scale` subresources) and LIST with
//! selectors, `limit` and `continue` tokens.

use super::route::Target;
use super::{App, Query, json, table};
use crate::selector::{FieldSelector, LabelSelector};
use crate::status::{ApiError, ApiResult};
use axum::response::Response;
use modeldeck_core::domain::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;

/// Label and field selectors of a request.
pub fn selectors(q: &Query) -> ApiResult<(LabelSelector, FieldSelector)> {
    let l = LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))?;
    let f = FieldSelector::parse(q.get("fieldSelector").map_or("", String::as_str))?;
    Ok((l, f))
}

/// The autoscaling/v1 Scale of a Deployment or ReplicaSet.
pub fn scale_of(obj: &Value) -> Value {
    let sel = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    let m = &obj["metadata"];
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"],
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {"replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": sel},
    })
}

/// GET one object.
pub fn get(app: &Arc<App>, t: &Target, as_table: bool) -> ApiResult<Response> {
    let name = t.name.as_deref().unwrap_or("");
    let obj = app
        .store
        .get(t.res, t.ns_str(), name)
        .ok_or_else(|| ApiError::not_found(t.ty(), name))?;
    if t.sub.as_deref() == Some("scale") {
        return Ok(json(200, &scale_of(&obj)));
    }
    if as_table && t.sub.is_none() {
        let meta = json!({"resourceVersion": obj["metadata"]["resourceVersion"]});
        return Ok(json(
            200,
            &table::table(t.res, &[obj], meta, Timestamp::now().0, true),
        ));
    }
    Ok(json(200, &obj))
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    hex::encode(format!("{rv}\n{ns}\n{name}"))
}

fn decode_continue(token: &str) -> ApiResult<(u64, String, String)> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let raw = hex::decode(token).map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = s.splitn(3, '\n');
    let rv = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let ns = parts.next().ok_or_else(bad)?.to_string();
    let name = parts.next().ok_or_else(bad)?.to_string();
    Ok((rv, ns, name))
}

/// LIST a collection: selectors, `limit`, `continue` (410 when expired).
pub fn list(app: &Arc<App>, t: &Target, q: &Query, as_table: bool) -> ApiResult<Response> {
    let (labels, fields) = selectors(q)?;
    let limit = match q.get("limit") {
        Some(l) => Some(l.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("limit must be a non-negative integer, got `{l}`"))
        })?)
        .filter(|l| *l > 0),
        None => None,
    };
    let (list_rv, after) = match q.get("continue").filter(|c| !c.is_empty()) {
        Some(tok) => {
            let (rv, ns, name) = decode_continue(tok)?;
            if rv < app.store.compacted() {
                return Err(ApiError::expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                ));
            }
            (Some(rv), Some((ns, name)))
        }
        None => (None, None),
    };
    let keep = |o: &Value| labels.matches(o) && fields.matches(o);
    let page = app
        .store
        .list(t.res, t.ns.as_deref(), after.as_ref(), limit, &keep);
    let rv = list_rv.unwrap_or(page.rv);
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some((ns, name)) = &page.next {
        meta["continue"] = json!(encode_continue(rv, ns, name));
        meta["remainingItemCount"] = json!(page.remaining);
    }
    if as_table {
        let tbl = table::table(t.res, &page.items, meta, Timestamp::now().0, true);
        return Ok(json(200, &tbl));
    }
    let ty = t.ty();
    let items: Vec<&Value> = page.items.iter().map(|a| a.as_ref()).collect();
    let body = json!({
        "kind": ty.list_kind(),
        "apiVersion": ty.api_version(),
        "metadata": meta,
        "items": items,
    });
    Ok(json(200, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let t = encode_continue(42, "ml", "fraud");
        assert_eq!(
            decode_continue(&t).unwrap(),
            (42, "ml".into(), "fraud".into())
        );
        assert!(decode_continue("zz").is_err());
    }
}
