//! The promotion ledger on Kubernetes: `ModelPromotion` and
//! `ModelApproval` objects (`modeldeck.io/v1alpha1`, namespaced), read
//! and written with kube-rs's dynamic API and the caller's own
//! credentials, and whether a context binds approvals to identities: the
//! two CRDs, the admission policy and its binding installed as shipped
//! (compared by [`crate::install`]'s one comparison; the example
//! ClusterRoles do not count), kept per context for
//! [`KubeOptions::ledger_ttl`](crate::KubeOptions::ledger_ttl).
//!
//! A malformed object never panics: the one asked for is a
//! `malformed_response` naming context, namespace and name; in a list it
//! is skipped with a warning naming it.

use crate::cluster::KubeCluster;
use crate::error::{bounded, cluster_error, from_kube, scrub};
use crate::install::{self, State};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
use kube::core::GroupVersionKind;
use modeldeck_core::domain::{
    ApprovalObject, Decision, LedgerState, PromotionObject, PromotionObjectStatus, PromotionSpec,
};
use modeldeck_core::error::{BackendError, ErrorCode, PortResult};
use modeldeck_manifests as manifests;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Label on a `ModelPromotion` (its own name) and on each `ModelApproval`
/// (the promotion's name), so approvals are listed by selector.
pub const PROMOTION_LABEL: &str = "modeldeck.io/promotion";

/// The `modelpromotions` resource.
pub fn promotion_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk(manifests::GROUP, manifests::VERSION, "ModelPromotion");
    ApiResource::from_gvk_with_plural(&gvk, "modelpromotions")
}

/// The `modelapprovals` resource.
pub fn approval_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk(manifests::GROUP, manifests::VERSION, "ModelApproval");
    ApiResource::from_gvk_with_plural(&gvk, "modelapprovals")
}

/// The last [`LedgerState`] of each context and when it was read.
#[derive(Debug, Default)]
pub(crate) struct LedgerCache(Mutex<HashMap<String, (Instant, LedgerState)>>);

impl LedgerCache {
    fn get(&self, context: &str, ttl: Duration) -> Option<LedgerState> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(context)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, s)| s.clone())
    }

    fn put(&self, context: &str, state: LedgerState) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(context.to_string(), (Instant::now(), state));
    }
}

/// `spec` of a `ModelApproval`, as the CRD names its fields.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApprovalSpec {
    promotion: String,
    approver: String,
    requester: String,
    decision: Decision,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    evidence_digest: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bound_run: Option<String>,
}

/// Whether `v` may be a label value (63 characters at most, alphanumeric
/// at both ends, `-`, `_` and `.` between).
fn label_value(v: &str) -> bool {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !v.is_empty()
        && v.len() <= 63
        && ends(v.chars().next())
        && ends(v.chars().last())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn labels_of(promotion: &str) -> Option<BTreeMap<String, String>> {
    label_value(promotion).then(|| [(PROMOTION_LABEL.to_string(), promotion.to_string())].into())
}

fn require(context: &str, what: &str, fields: &[(&str, &str)]) -> PortResult<()> {
    match fields.iter().find(|(_, v)| v.trim().is_empty()) {
        Some((field, _)) => Err(cluster_error(
            ErrorCode::InvalidRequest,
            context,
            format!("{what}: the {field} is empty"),
        )),
        None => Ok(()),
    }
}

fn malformed(context: &str, kind: &str, o: &DynamicObject, why: String) -> BackendError {
    let ns = o.metadata.namespace.as_deref().unwrap_or("");
    let name = o.metadata.name.as_deref().unwrap_or("");
    cluster_error(
        ErrorCode::MalformedResponse,
        context,
        format!("{kind} {ns}/{name} on cluster {context}: {why}"),
    )
}

/// A stored `ModelPromotion` as the domain's object.
pub fn promotion_of(context: &str, o: &DynamicObject) -> PortResult<PromotionObject> {
    let bad = |why: String| malformed(context, "ModelPromotion", o, why);
    let spec: PromotionSpec = match o.data.get("spec") {
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| bad(format!("its spec does not decode: {e}")))?,
        None => return Err(bad("it has no spec".into())),
    };
    let status: PromotionObjectStatus = match o.data.get("status") {
        None | Some(Value::Null) => PromotionObjectStatus::default(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| bad(format!("its status does not decode: {e}")))?,
    };
    Ok(PromotionObject {
        name: o.metadata.name.clone().unwrap_or_default(),
        namespace: o.metadata.namespace.clone().unwrap_or_default(),
        resource_version: o.metadata.resource_version.clone().unwrap_or_default(),
        spec,
        status,
    })
}

/// A stored `ModelApproval` as the domain's object (`created_at` from
/// `metadata.creationTimestamp`).
pub fn approval_of(context: &str, o: &DynamicObject) -> PortResult<ApprovalObject> {
    let spec: ApprovalSpec = match o.data.get("spec") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| {
            malformed(
                context,
                "ModelApproval",
                o,
                format!("its spec does not decode: {e}"),
            )
        })?,
        None => {
            return Err(malformed(
                context,
                "ModelApproval",
                o,
                "it has no spec".into(),
            ));
        }
    };
    Ok(ApprovalObject {
        name: o.metadata.name.clone().unwrap_or_default(),
        namespace: o.metadata.namespace.clone().unwrap_or_default(),
        promotion: spec.promotion,
        approver: spec.approver,
        requester: spec.requester,
        decision: spec.decision,
        comment: spec.comment,
        evidence_digest: spec.evidence_digest,
        bound_run: spec.bound_run,
        created_at: o
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.to_string()),
    })
}

/// Keeps what decodes; warns about (and skips) the rest.
fn decoded<T>(
    context: &str,
    kind: &str,
    items: Vec<DynamicObject>,
    of: fn(&str, &DynamicObject) -> PortResult<T>,
) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for o in &items {
        match of(context, o) {
            Ok(t) => out.push(t),
            Err(e) => tracing::warn!(
                context,
                kind,
                namespace = o.metadata.namespace.as_deref().unwrap_or(""),
                name = o.metadata.name.as_deref().unwrap_or(""),
                error = %e.message,
                "skipping a malformed object of the promotion ledger"
            ),
        }
    }
    out
}

/// A 404 on a list: the kind is not served (its CRD is not installed),
/// so nothing of it exists.
fn not_served(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// The shipped objects that make a ledger identity-bound.
fn shipped(context: &str) -> PortResult<Vec<Value>> {
    let bad = |e: manifests::ManifestError| {
        cluster_error(
            ErrorCode::Unsupported,
            context,
            format!("the manifests this build ships do not read: {e}"),
        )
    };
    Ok(vec![
        manifests::promotions_crd().map_err(bad)?,
        manifests::approvals_crd().map_err(bad)?,
        manifests::approval_policy().map_err(bad)?,
        manifests::approval_policy_binding().map_err(bad)?,
    ])
}

/// Compares `context` with the shipped CRDs, policy and binding.
pub async fn ledger_state(client: &Client, context: &str) -> PortResult<LedgerState> {
    let mut why = Vec::new();
    for obj in shipped(context)? {
        let what = format!(
            "{} {}",
            obj["kind"].as_str().unwrap_or("?"),
            obj["metadata"]["name"].as_str().unwrap_or("?")
        );
        match install::compare(client, &obj).await {
            Ok((State::AsShipped, _)) => {}
            Ok((State::Missing, _)) => why.push(format!("{what} is not installed")),
            Ok((State::Differs, path)) => why.push(format!(
                "{what} differs from the shipped manifest at {}",
                path.unwrap_or_else(|| ".".into())
            )),
            Err(kube::Error::Api(s)) if s.code == 403 => why.push(format!(
                "{what} could not be read with these credentials ({})",
                scrub(&s.message)
            )),
            Err(e) => return Err(from_kube(e, context, &format!("reading {what}"))),
        }
    }
    if why.is_empty() {
        return Ok(LedgerState::Bound);
    }
    Ok(LedgerState::Unbound {
        reason: format!(
            "{} (`modeldeck cluster check` compares, `modeldeck cluster install` installs)",
            why.join("; ")
        ),
    })
}

/// [`Cluster::ledger`](modeldeck_core::ports::Cluster::ledger): from the
/// cache while fresh, else compared and kept.
pub(crate) async fn state(c: &KubeCluster, context: &str) -> PortResult<LedgerState> {
    if let Some(s) = c.ledger_cache().get(context, c.options().ledger_ttl) {
        return Ok(s);
    }
    let client = c.client(context).await?;
    let what = "checking the promotion ledger";
    let s = bounded(c.budget(), context, what, ledger_state(&client, context)).await?;
    c.ledger_cache().put(context, s.clone());
    Ok(s)
}

fn promotions(client: &Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, &promotion_resource())
}

async fn write_status(
    client: &Client,
    context: &str,
    p: &PromotionObject,
) -> PortResult<PromotionObject> {
    let what = format!(
        "writing the status of ModelPromotion {}/{}",
        p.namespace, p.name
    );
    require(
        context,
        &what,
        &[
            ("namespace", &p.namespace),
            ("name", &p.name),
            (
                "resourceVersion (read the object first)",
                &p.resource_version,
            ),
        ],
    )?;
    let mut body = DynamicObject::new(&p.name, &promotion_resource()).within(&p.namespace);
    body.metadata.resource_version = Some(p.resource_version.clone());
    body.data = json!({"spec": p.spec, "status": p.status});
    let stored = promotions(client, &p.namespace)
        .replace_status(&p.name, &PostParams::default(), &body)
        .await
        .map_err(|e| {
            let mut be = from_kube(e, context, &what);
            if be.code == ErrorCode::Conflict {
                be.message = format!(
                    "{what}: it changed since resourceVersion {} was read; read it again and retry",
                    p.resource_version
                );
            }
            be
        })?;
    promotion_of(context, &stored)
}

async fn create_promotion_with(
    client: &Client,
    context: &str,
    p: &PromotionObject,
) -> PortResult<PromotionObject> {
    let what = format!("creating ModelPromotion {}/{}", p.namespace, p.name);
    require(
        context,
        &what,
        &[("namespace", &p.namespace), ("name", &p.name)],
    )?;
    let mut body = DynamicObject::new(&p.name, &promotion_resource()).within(&p.namespace);
    body.metadata.labels = labels_of(&p.name);
    body.data = json!({ "spec": p.spec });
    let created = promotions(client, &p.namespace)
        .create(&PostParams::default(), &body)
        .await
        .map_err(|e| from_kube(e, context, &what))?;
    let mut out = promotion_of(context, &created)?;
    if p.status == PromotionObjectStatus::default() {
        return Ok(out);
    }
    // A create ignores status where it is a subresource: written next.
    out.status = p.status.clone();
    write_status(client, context, &out).await.map_err(|mut e| {
        e.message = format!(
            "{what}: created, but its status was not written: {}",
            e.message
        );
        e
    })
}

/// [`Cluster::create_promotion`](modeldeck_core::ports::Cluster::create_promotion).
pub(crate) async fn create_promotion(
    c: &KubeCluster,
    context: &str,
    p: &PromotionObject,
) -> PortResult<PromotionObject> {
    let client = c.client(context).await?;
    let what = "creating a promotion";
    bounded(
        c.budget(),
        context,
        what,
        create_promotion_with(&client, context, p),
    )
    .await
}

/// [`Cluster::get_promotion`](modeldeck_core::ports::Cluster::get_promotion).
pub(crate) async fn get_promotion(
    c: &KubeCluster,
    context: &str,
    namespace: &str,
    name: &str,
) -> PortResult<Option<PromotionObject>> {
    let what = format!("reading ModelPromotion {namespace}/{name}");
    require(context, &what, &[("namespace", namespace), ("name", name)])?;
    let client = c.client(context).await?;
    let read = async {
        match promotions(&client, namespace).get_opt(name).await {
            Ok(Some(o)) => promotion_of(context, &o).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(from_kube(e, context, &what)),
        }
    };
    bounded(c.budget(), context, &what, read).await
}

/// [`Cluster::list_promotions`](modeldeck_core::ports::Cluster::list_promotions).
pub(crate) async fn list_promotions(
    c: &KubeCluster,
    context: &str,
) -> PortResult<Vec<PromotionObject>> {
    let client = c.client(context).await?;
    let what = "listing ModelPromotions";
    let read = async {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &promotion_resource());
        match api.list(&ListParams::default()).await {
            Ok(l) => Ok(decoded(context, "ModelPromotion", l.items, promotion_of)),
            Err(e) if not_served(&e) => Ok(Vec::new()),
            Err(e) => Err(from_kube(e, context, what)),
        }
    };
    bounded(c.budget(), context, what, read).await
}

/// [`Cluster::update_promotion_status`](modeldeck_core::ports::Cluster::update_promotion_status).
pub(crate) async fn update_promotion_status(
    c: &KubeCluster,
    context: &str,
    p: &PromotionObject,
) -> PortResult<PromotionObject> {
    let client = c.client(context).await?;
    let what = "writing a promotion's status";
    bounded(c.budget(), context, what, write_status(&client, context, p)).await
}

/// [`Cluster::create_approval`](modeldeck_core::ports::Cluster::create_approval).
pub(crate) async fn create_approval(
    c: &KubeCluster,
    context: &str,
    a: &ApprovalObject,
) -> PortResult<()> {
    let what = format!("creating ModelApproval {}/{}", a.namespace, a.name);
    require(
        context,
        &what,
        &[
            ("namespace", &a.namespace),
            ("name", &a.name),
            ("promotion", &a.promotion),
        ],
    )?;
    let spec = ApprovalSpec {
        promotion: a.promotion.clone(),
        approver: a.approver.clone(),
        requester: a.requester.clone(),
        decision: a.decision,
        comment: a.comment.clone(),
        evidence_digest: a.evidence_digest.clone(),
        bound_run: a.bound_run.clone(),
    };
    let mut body = DynamicObject::new(&a.name, &approval_resource()).within(&a.namespace);
    body.metadata.labels = labels_of(&a.promotion);
    body.data = json!({ "spec": spec });
    let client = c.client(context).await?;
    let create = async {
        Api::<DynamicObject>::namespaced_with(client.clone(), &a.namespace, &approval_resource())
            .create(&PostParams::default(), &body)
            .await
            .map(|_| ())
            .map_err(|e| from_kube(e, context, &what))
    };
    bounded(c.budget(), context, &what, create).await
}

/// [`Cluster::list_approvals`](modeldeck_core::ports::Cluster::list_approvals):
/// by label (every approval of a promotion whose name can be a label
/// value), then by `spec.promotion`, since a label can lie.
pub(crate) async fn list_approvals(
    c: &KubeCluster,
    context: &str,
    namespace: &str,
    promotion: &str,
) -> PortResult<Vec<ApprovalObject>> {
    let what = format!("listing the ModelApprovals of {namespace}/{promotion}");
    require(
        context,
        &what,
        &[("namespace", namespace), ("promotion", promotion)],
    )?;
    let lp = match label_value(promotion) {
        true => ListParams::default().labels(&format!("{PROMOTION_LABEL}={promotion}")),
        false => ListParams::default(),
    };
    let client = c.client(context).await?;
    let read = async {
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), namespace, &approval_resource());
        match api.list(&lp).await {
            Ok(l) => Ok(decoded(context, "ModelApproval", l.items, approval_of)
                .into_iter()
                .filter(|a| a.promotion == promotion)
                .collect()),
            Err(e) if not_served(&e) => Ok(Vec::new()),
            Err(e) => Err(from_kube(e, context, &what)),
        }
    };
    bounded(c.budget(), context, &what, read).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values() {
        assert!(label_value("fraud-v7"));
        assert!(label_value("a.b_c"));
        for bad in ["", "-x", "x-", "a,b", "a=b", "a b", &"x".repeat(64)] {
            assert!(!label_value(bad), "{bad:?}");
        }
    }

    #[test]
    fn malformed_objects_are_errors_naming_them() {
        let mut o = DynamicObject::new("p1", &promotion_resource()).within("ml");
        o.data = json!({"spec": {"model": 3}});
        let e = promotion_of("prod", &o).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedResponse);
        assert!(
            e.message.contains("ModelPromotion ml/p1 on cluster prod"),
            "{}",
            e.message
        );
        o.data = json!({});
        assert!(
            promotion_of("prod", &o)
                .unwrap_err()
                .message
                .contains("no spec")
        );
        let mut a = DynamicObject::new("a1", &approval_resource()).within("ml");
        a.data = json!({"spec": {"promotion": "p1", "decision": "maybe"}});
        let e = approval_of("prod", &a).unwrap_err();
        assert!(e.message.contains("ModelApproval ml/a1"), "{}", e.message);
        assert_eq!(
            decoded("prod", "ModelApproval", vec![a], approval_of).len(),
            0
        );
    }
}
