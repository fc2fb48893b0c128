//! `kubectl rollout undo` for a Deployment: pick the ReplicaSet of the
//! wanted revision (default: the previous one), refuse a paused Deployment,
//! skip when the template already matches, then one JSON patch that
//! replaces the pod template and the annotations, guarded by the
//! resourceVersion (a stale one is a 409 `Conflict`).

use crate::error::{cluster_error, from_kube};
use crate::events::{list_all, selector_string};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt};
use modeldeck_core::domain::{WorkloadKind, WorkloadRef};
use modeldeck_core::error::{ErrorCode, PortResult};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Annotation with a revision number.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
const KEEP_FROM_DEPLOYMENT: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoOutcome {
    /// Revision running before.
    pub from_revision: u64,
    /// Revision rolled back to.
    pub to_revision: u64,
    /// True when the template already was that revision's (nothing patched).
    pub skipped: bool,
    /// resourceVersion after the patch (or as read, when skipped).
    pub resource_version: String,
}

fn revision(annotations: &BTreeMap<String, String>) -> u64 {
    annotations
        .get(REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

fn without_hash(mut t: Value) -> Value {
    if let Some(l) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        l.remove("pod-template-hash");
    }
    t
}

/// Rolls `t` back to `to_revision` (`None`: the previous revision).
pub async fn rollout_undo(
    client: &Client,
    t: &WorkloadRef,
    to_revision: Option<u64>,
    expected_rv: Option<&str>,
) -> PortResult<UndoOutcome> {
    let ctx = t.cluster.as_str();
    let what = format!("rolling back deployment {}/{}", t.namespace, t.name);
    if !matches!(
        t.kind,
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer
    ) {
        return Err(cluster_error(
            ErrorCode::Unsupported,
            ctx,
            format!("{what}: rollback needs a Deployment, not a {}", t.kind),
        ));
    }
    let api: Api<Deployment> = Api::namespaced(client.clone(), &t.namespace);
    let d = api
        .get(&t.name)
        .await
        .map_err(|e| from_kube(e, ctx, &what))?;
    if d.spec.paused.unwrap_or(false) {
        return Err(cluster_error(
            ErrorCode::InvalidRequest,
            ctx,
            format!("{what}: the deployment is paused; resume it before rolling back"),
        ));
    }
    let uid = d.uid().unwrap_or_default();
    let sel = selector_string(&d.spec.selector);
    let rss = list_all(
        &Api::<ReplicaSet>::namespaced(client.clone(), &t.namespace),
        ListParams::default().labels(&sel),
        ctx,
        "listing replicasets",
    )
    .await?;
    let mut by_rev: BTreeMap<u64, ReplicaSet> = BTreeMap::new();
    for rs in rss {
        let controlled = rs
            .owner_references()
            .iter()
            .any(|o| o.uid == uid && o.controller == Some(true));
        let rev = revision(rs.annotations());
        if controlled && rev > 0 {
            by_rev.insert(rev, rs);
        }
    }
    let current = by_rev.keys().next_back().copied().unwrap_or(0);
    let target = match to_revision.filter(|r| *r > 0) {
        Some(r) => r,
        None => by_rev.keys().rev().nth(1).copied().ok_or_else(|| {
            cluster_error(
                ErrorCode::InvalidRequest,
                ctx,
                format!("{what}: no rollout history found (only revision {current})"),
            )
        })?,
    };
    let rs = by_rev.get(&target).ok_or_else(|| {
        cluster_error(
            ErrorCode::NotFound,
            ctx,
            format!("{what}: unable to find revision {target} in the history"),
        )
    })?;
    let rs_tmpl = without_hash(serde_json::to_value(&rs.spec.template).unwrap_or_default());
    let cur_tmpl = without_hash(serde_json::to_value(&d.spec.template).unwrap_or_default());
    let rv = expected_rv
        .map(String::from)
        .or(d.resource_version())
        .unwrap_or_default();
    if rs_tmpl == cur_tmpl {
        return Ok(UndoOutcome {
            from_revision: current,
            to_revision: target,
            skipped: true,
            resource_version: rv,
        });
    }
    let mut ann: BTreeMap<String, String> = rs
        .annotations()
        .iter()
        .filter(|(k, _)| !KEEP_FROM_DEPLOYMENT.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in d.annotations() {
        if KEEP_FROM_DEPLOYMENT.contains(&k.as_str()) {
            ann.insert(k.clone(), v.clone());
        }
    }
    let ops = json!([
        {"op": "replace", "path": "/metadata/resourceVersion", "value": rv},
        {"op": "replace", "path": "/spec/template", "value": rs_tmpl},
        {"op": "add", "path": "/metadata/annotations", "value": ann},
    ]);
    let patch: json_patch::Patch = serde_json::from_value(ops).map_err(|e| {
        cluster_error(
            ErrorCode::InvalidRequest,
            ctx,
            format!("{what}: cannot build the patch: {e}"),
        )
    })?;
    let out = api
        .patch(&t.name, &PatchParams::default(), &Patch::<()>::Json(patch))
        .await
        .map_err(|e| {
            let mut be = from_kube(e, ctx, &what);
            if be.code == ErrorCode::Conflict {
                be.message = format!("{what}: the deployment changed since resourceVersion {rv} was read; reload it and try again");
            }
            be
        })?;
    Ok(UndoOutcome {
        from_revision: current,
        to_revision: target,
        skipped: false,
        resource_version: out.resource_version().unwrap_or_default(),
    })
}
