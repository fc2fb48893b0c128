//! The promotion ledger of the simulated clusters: `ModelPromotion` and
//! `ModelApproval` objects stored per cluster in the world (so they are
//! saved and restored with it), written as the identity the sandbox acts
//! as, and answered as a real API server with the shipped manifests
//! installed answers:
//!
//! - RBAC first: a write the access rules deny is `Forbidden` in the API
//!   server's words;
//! - the namespace must exist (`NotFound`);
//! - the object is checked against its CRD's schema (read from the shipped
//!   CRD by `modeldeck_manifests::schema`; `InvalidRequest`, 422);
//! - then the shipped `ValidatingAdmissionPolicy`, loaded from
//!   `modeldeck_manifests::approval_policy()` and evaluated by
//!   `modeldeck_manifests::admission` (the sandbox API server's evaluator,
//!   not a Rust copy of its rules), with the acting user's name and groups
//!   (`InvalidRequest` with the real server's refusal message);
//! - an existing name is a `Conflict` (`AlreadyExists`, 409).
//!
//! Creating a promotion drops its status (a CRD with a status subresource
//! does); a status update needs the current `resourceVersion` (stale:
//! `Conflict`, empty: `InvalidRequest`, as for any custom resource) and
//! keeps the stored spec whatever the caller sends (the status subresource
//! ignores it); one that changes nothing is not a write and keeps the
//! `resourceVersion`. Every write takes a fresh `resourceVersion` from the
//! world's counter. Reads are not RBAC-checked.

use crate::cluster::known_cluster;
use crate::shared::Shared;
use crate::world::World;
use modeldeck_core::domain::{ApprovalObject, LedgerState, PromotionObject};
use modeldeck_core::error::{Backend, BackendError, ErrorCode, PortResult};
use modeldeck_manifests::{BINDING_NAME, GROUP, VERSION, admission, schema};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const PROMOTIONS: &str = "modelpromotions";
const APPROVALS: &str = "modelapprovals";

/// The ledger objects of one cluster, by namespace, then name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ClusterLedger {
    #[serde(default)]
    pub promotions: BTreeMap<String, BTreeMap<String, PromotionObject>>,
    #[serde(default)]
    pub approvals: BTreeMap<String, BTreeMap<String, StoredApproval>>,
}

/// A stored `ModelApproval` (the domain type carries no resourceVersion).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredApproval {
    pub resource_version: String,
    pub object: ApprovalObject,
}

/// The shipped objects the sandbox clusters have "installed".
struct Installed {
    policy: Value,
    promotions_crd: Value,
    approvals_crd: Value,
}

fn installed() -> Result<&'static Installed, String> {
    static CELL: OnceLock<Result<Installed, String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let load = || -> Result<Installed, modeldeck_manifests::ManifestError> {
            Ok(Installed {
                policy: modeldeck_manifests::approval_policy()?,
                promotions_crd: modeldeck_manifests::promotions_crd()?,
                approvals_crd: modeldeck_manifests::approvals_crd()?,
            })
        };
        load().map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(Clone::clone)
}

fn err(code: ErrorCode, message: String) -> BackendError {
    BackendError::new(Backend::Cluster, code, message)
}

fn not_installed(why: String) -> BackendError {
    err(
        ErrorCode::ServerError,
        format!("the sandbox cannot load the shipped manifests: {why}"),
    )
}

/// `modelpromotions.modeldeck.io`, as the API server names a resource.
fn qualified(plural: &str) -> String {
    format!("{plural}.{GROUP}")
}

fn kind_of(plural: &str) -> &'static str {
    if plural == APPROVALS {
        "ModelApproval"
    } else {
        "ModelPromotion"
    }
}

/// RBAC: `Forbidden` when the latest access rule matching any of `asked`
/// denies (no matching rule: allowed, as `can_i` answers).
fn authorize(
    w: &World,
    asked: &[(&str, &str)],
    verb: &str,
    resource: &str,
    ns: &str,
) -> PortResult<()> {
    if w.access(asked).unwrap_or(true) {
        return Ok(());
    }
    let plural = resource.split('/').next().unwrap_or(resource);
    Err(err(
        ErrorCode::Forbidden,
        format!(
            "{} is forbidden: User {:?} cannot {verb} resource {resource:?} in API group {GROUP:?} in the namespace {ns:?}",
            qualified(plural),
            w.identity.username
        ),
    ))
}

fn namespace_exists(w: &World, ns: &str) -> PortResult<()> {
    if w.namespaces
        .binary_search_by(|n| n.as_str().cmp(ns))
        .is_ok()
    {
        Ok(())
    } else {
        Err(err(
            ErrorCode::NotFound,
            format!("namespaces {ns:?} not found"),
        ))
    }
}

fn to_json<T: Serialize>(v: &T) -> PortResult<Value> {
    serde_json::to_value(v).map_err(|e| err(ErrorCode::InvalidRequest, e.to_string()))
}

fn promotion_json(p: &PromotionObject) -> PortResult<Value> {
    Ok(json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "ModelPromotion",
        "metadata": {"name": p.name, "namespace": p.namespace},
        "spec": to_json(&p.spec)?,
        "status": to_json(&p.status)?,
    }))
}

fn approval_json(a: &ApprovalObject) -> PortResult<Value> {
    let mut spec = json!({
        "promotion": a.promotion,
        "approver": a.approver,
        "requester": a.requester,
        "decision": to_json(&a.decision)?,
        "comment": a.comment,
        "evidenceDigest": a.evidence_digest,
    });
    if let Some(run) = &a.bound_run {
        spec["boundRun"] = json!(run);
    }
    Ok(json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "ModelApproval",
        "metadata": {"name": a.name, "namespace": a.namespace},
        "spec": spec,
    }))
}

/// The CRD's schema check: `InvalidRequest` in the API server's words.
fn check_schema(crd: &Value, plural: &str, object: &Value) -> PortResult<()> {
    let errs = schema::validate(crd, VERSION, object);
    let name = object["metadata"]["name"].as_str().unwrap_or("");
    let what = match errs.as_slice() {
        [] => return Ok(()),
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    Err(err(
        ErrorCode::InvalidRequest,
        format!("{}.{GROUP} {name:?} is invalid: {what}", kind_of(plural)),
    ))
}

/// The shipped policy, as its binding applies it, for the acting user.
fn admit(
    w: &World,
    policy: &Value,
    plural: &str,
    operation: &str,
    subresource: Option<&str>,
    object: &Value,
    old: Option<&Value>,
) -> PortResult<()> {
    let req = admission::Request {
        subresource,
        groups: &w.identity.groups,
        ..admission::Request::modeldeck(plural, operation, &w.identity.username)
    };
    admission::admit(policy, &req, object, old).map_err(|d| {
        let name = object["metadata"]["name"].as_str().unwrap_or("");
        let code = if d.reason == "Forbidden" {
            ErrorCode::Forbidden
        } else {
            ErrorCode::InvalidRequest
        };
        err(
            code,
            format!(
                "{} {name:?} is forbidden: ValidatingAdmissionPolicy '{}' with binding '{BINDING_NAME}' denied request: {}",
                qualified(plural),
                d.policy,
                d.message
            ),
        )
    })
}

fn already_exists(plural: &str, name: &str) -> BackendError {
    err(
        ErrorCode::Conflict,
        format!("{} {name:?} already exists", qualified(plural)),
    )
}

/// Whether `cluster` binds approvals: the shipped manifests are what every
/// sandbox cluster has installed.
pub(crate) fn state(shared: &Shared, cluster: &str) -> PortResult<LedgerState> {
    shared.call(Backend::Cluster, |w| {
        known_cluster(w, cluster)?;
        Ok(match installed() {
            Ok(_) => LedgerState::Bound,
            Err(why) => LedgerState::Unbound {
                reason: format!("the shipped manifests do not load: {why}"),
            },
        })
    })
}

/// Creates a `ModelPromotion` as the acting user.
pub(crate) fn create_promotion(
    shared: &Shared,
    cluster: &str,
    object: &PromotionObject,
) -> PortResult<PromotionObject> {
    shared.call(Backend::Cluster, |w| {
        known_cluster(w, cluster)?;
        let inst = installed().map_err(not_installed)?;
        let (ns, name) = (object.namespace.as_str(), object.name.as_str());
        authorize(w, &[("create", PROMOTIONS)], "create", PROMOTIONS, ns)?;
        namespace_exists(w, ns)?;
        // A CRD with a status subresource drops the status on create.
        let mut stored = PromotionObject {
            status: Default::default(),
            resource_version: String::new(),
            ..object.clone()
        };
        let json = promotion_json(&stored)?;
        check_schema(&inst.promotions_crd, PROMOTIONS, &json)?;
        admit(w, &inst.policy, PROMOTIONS, "CREATE", None, &json, None)?;
        if promotion(w, cluster, ns, name).is_some() {
            return Err(already_exists(PROMOTIONS, name));
        }
        stored.resource_version = w.next_rv().to_string();
        w.ledgers
            .entry(cluster.to_string())
            .or_default()
            .promotions
            .entry(ns.to_string())
            .or_default()
            .insert(name.to_string(), stored.clone());
        Ok(stored)
    })
}

fn promotion<'w>(w: &'w World, cluster: &str, ns: &str, name: &str) -> Option<&'w PromotionObject> {
    w.ledgers.get(cluster)?.promotions.get(ns)?.get(name)
}

/// One `ModelPromotion` (`None`: no such object).
pub(crate) fn get_promotion(
    shared: &Shared,
    cluster: &str,
    ns: &str,
    name: &str,
) -> PortResult<Option<PromotionObject>> {
    shared.call(Backend::Cluster, |w| {
        known_cluster(w, cluster)?;
        Ok(promotion(w, cluster, ns, name).cloned())
    })
}

/// Every `ModelPromotion` on `cluster`, by namespace then name.
pub(crate) fn list_promotions(shared: &Shared, cluster: &str) -> PortResult<Vec<PromotionObject>> {
    shared.call(Backend::Cluster, |w| {
        known_cluster(w, cluster)?;
        Ok(w.ledgers
            .get(cluster)
            .map(|l| {
                l.promotions
                    .values()
                    .flat_map(|m| m.values().cloned())
                    .collect()
            })
            .unwrap_or_default())
    })
}

/// Replaces the status of a `ModelPromotion` (the `status` subresource).
pub(crate) fn update_promotion_status(
    shared: &Shared,
    cluster: &str,
    object: &PromotionObject,
) -> PortResult<PromotionObject> {
    shared.call(Backend::Cluster, |w| {
        known_cluster(w, cluster)?;
        let inst = installed().map_err(not_installed)?;
        let (ns, name) = (object.namespace.as_str(), object.name.as_str());
        let sub = format!("{PROMOTIONS}/status");
        authorize(w, &[("update", &sub)], "update", &sub, ns)?;
        let Some(current) = promotion(w, cluster, ns, name).cloned() else {
            return Err(err(
                ErrorCode::NotFound,
                format!("{} {name:?} not found", qualified(PROMOTIONS)),
            ));
        };
        if object.resource_version.is_empty() {
            return Err(err(
                ErrorCode::InvalidRequest,
                format!(
                    "ModelPromotion.{GROUP} {name:?} is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"
                ),
            ));
        }
        if object.resource_version != current.resource_version {
            return Err(err(
                ErrorCode::Conflict,
                format!(
                    "Operation cannot be fulfilled on {} {name:?}: the object has been modified; please apply your changes to the latest version and try again",
                    qualified(PROMOTIONS)
                ),
            ));
        }
        // The status subresource keeps the stored spec.
        let mut next = PromotionObject {
            status: object.status.clone(),
            ..current.clone()
        };
        if next == current {
            return Ok(current);
        }
        let (new_json, old_json) = (promotion_json(&next)?, promotion_json(&current)?);
        check_schema(&inst.promotions_crd, PROMOTIONS, &new_json)?;
        let status = Some("status");
        admit(w, &inst.policy, PROMOTIONS, "UPDATE", status, &new_json, Some(&old_json))?;
        next.resource_version = w.next_rv().to_string();
        if let Some(slot) = w
            .ledgers
            .get_mut(cluster)
            .and_then(|l| l.promotions.get_mut(ns))
            .and_then(|m| m.get_mut(name))
        {
            *slot = next.clone();
        }
        Ok(next)
    })
}

/// Creates a `ModelApproval` as the acting user, `created_at` from the
/// world's clock.
pub(crate) fn create_approval(
    shared: &Shared,
    cluster: &str,
    object: &ApprovalObject,
) -> PortResult<()> {
    shared.call(Backend::Cluster, |w| {
        known_cluster(w, cluster)?;
        let inst = installed().map_err(not_installed)?;
        let (ns, name) = (object.namespace.as_str(), object.name.as_str());
        // Creating an approval is `create modelapprovals`; tests written
        // before the ledger deny `approve modelpromotions` instead, so the
        // latest rule matching either decides (no rule: allowed).
        let asked = [("create", APPROVALS), ("approve", PROMOTIONS)];
        authorize(w, &asked, "create", APPROVALS, ns)?;
        namespace_exists(w, ns)?;
        let json = approval_json(object)?;
        check_schema(&inst.approvals_crd, APPROVALS, &json)?;
        admit(w, &inst.policy, APPROVALS, "CREATE", None, &json, None)?;
        if approvals_in(w, cluster, ns).is_some_and(|m| m.contains_key(name)) {
            return Err(already_exists(APPROVALS, name));
        }
        let stored = StoredApproval {
            resource_version: w.next_rv().to_string(),
            object: ApprovalObject {
                created_at: Some(w.now.rfc3339()),
                ..object.clone()
            },
        };
        w.ledgers
            .entry(cluster.to_string())
            .or_default()
            .approvals
            .entry(ns.to_string())
            .or_default()
            .insert(name.to_string(), stored);
        Ok(())
    })
}

fn approvals_in<'w>(
    w: &'w World,
    cluster: &str,
    ns: &str,
) -> Option<&'w BTreeMap<String, StoredApproval>> {
    w.ledgers.get(cluster)?.approvals.get(ns)
}

/// The `ModelApproval`s of `promotion` in `ns`, by name.
pub(crate) fn list_approvals(
    shared: &Shared,
    cluster: &str,
    ns: &str,
    promotion: &str,
) -> PortResult<Vec<ApprovalObject>> {
    shared.call(Backend::Cluster, |w| {
        known_cluster(w, cluster)?;
        Ok(approvals_in(w, cluster, ns)
            .map(|m| {
                m.values()
                    .filter(|a| a.object.promotion == promotion)
                    .map(|a| a.object.clone())
                    .collect()
            })
            .unwrap_or_default())
    })
}
