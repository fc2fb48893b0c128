//! The resource types this server knows and the discovery documents
//! (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) built from them.

use serde_json::{Value, json};

mod argo;

/// One served resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// API group (`""` for core).
    pub group: &'static str,
    /// Version (`v1`, `v1beta1`).
    pub version: &'static str,
    /// Plural resource name in URLs.
    pub plural: &'static str,
    /// Singular name.
    pub singular: &'static str,
    /// Kind.
    pub kind: &'static str,
    /// Namespaced or cluster-scoped.
    pub namespaced: bool,
    /// kubectl short names.
    pub short_names: &'static [&'static str],
    /// Subresources served (`status`, `scale`, `log`).
    pub subresources: &'static [&'static str],
    /// Whether `status` is a subresource (main-resource writes keep the old status).
    pub status_subresource: bool,
    /// Whether `metadata.generation` counts spec changes.
    pub generation: bool,
    /// Whether strategic merge patch is accepted (built-in types only).
    pub strategic: bool,
    /// Create-only review types answered on the fly, never stored.
    pub virtual_review: bool,
}

const RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

impl ResourceType {
    /// `deployments.apps`, or just `pods` for the core group.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The `kind` of a list of these.
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    fn verbs(&self) -> &'static [&'static str] {
        if self.virtual_review { &["create"] } else { RW }
    }
}

const fn res(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
) -> ResourceType {
    ResourceType {
        group,
        version,
        plural,
        singular,
        kind,
        namespaced,
        short_names: &[],
        subresources: &[],
        status_subresource: false,
        generation: false,
        strategic: true,
        virtual_review: false,
    }
}

/// Every served resource type. Indexes into this table are [`ResourceId`]s.
pub static RESOURCES: &[ResourceType] = &[
    ResourceType {
        short_names: &["ns"],
        subresources: &["status"],
        status_subresource: true,
        ..res("", "v1", "namespaces", "namespace", "Namespace", false)
    },
    ResourceType {
        short_names: &["po"],
        subresources: &["status", "log"],
        status_subresource: true,
        ..res("", "v1", "pods", "pod", "Pod", true)
    },
    ResourceType {
        short_names: &["ev"],
        ..res("", "v1", "events", "event", "Event", true)
    },
    ResourceType {
        short_names: &["cm"],
        ..res("", "v1", "configmaps", "configmap", "ConfigMap", true)
    },
    ResourceType {
        short_names: &["deploy"],
        subresources: &["status", "scale"],
        status_subresource: true,
        generation: true,
        ..res(
            "apps",
            "v1",
            "deployments",
            "deployment",
            "Deployment",
            true,
        )
    },
    ResourceType {
        short_names: &["rs"],
        subresources: &["status", "scale"],
        status_subresource: true,
        generation: true,
        ..res(
            "apps",
            "v1",
            "replicasets",
            "replicaset",
            "ReplicaSet",
            true,
        )
    },
    ResourceType {
        short_names: &["cj"],
        subresources: &["status"],
        status_subresource: true,
        generation: true,
        ..res("batch", "v1", "cronjobs", "cronjob", "CronJob", true)
    },
    ResourceType {
        subresources: &["status"],
        status_subresource: true,
        generation: true,
        ..res("batch", "v1", "jobs", "job", "Job", true)
    },
    ResourceType {
        short_names: &["isvc"],
        subresources: &["status"],
        status_subresource: true,
        generation: true,
        strategic: false,
        ..res(
            "serving.kserve.io",
            "v1beta1",
            "inferenceservices",
            "inferenceservice",
            "InferenceService",
            true,
        )
    },
    ResourceType {
        virtual_review: true,
        ..res(
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
            "",
            "SelfSubjectAccessReview",
            false,
        )
    },
    ResourceType {
        virtual_review: true,
        ..res(
            "authorization.k8s.io",
            "v1",
            "selfsubjectrulesreviews",
            "",
            "SelfSubjectRulesReview",
            false,
        )
    },
    ResourceType {
        virtual_review: true,
        ..res(
            "authentication.k8s.io",
            "v1",
            "selfsubjectreviews",
            "",
            "SelfSubjectReview",
            false,
        )
    },
    ResourceType {
        short_names: &["crd", "crds"],
        subresources: &["status"],
        status_subresource: true,
        generation: true,
        strategic: false,
        ..res(
            "apiextensions.k8s.io",
            "v1",
            "customresourcedefinitions",
            "customresourcedefinition",
            "CustomResourceDefinition",
            false,
        )
    },
    ResourceType {
        subresources: &["status"],
        status_subresource: true,
        generation: true,
        strategic: false,
        ..res(
            "admissionregistration.k8s.io",
            "v1",
            "validatingadmissionpolicies",
            "validatingadmissionpolicy",
            "ValidatingAdmissionPolicy",
            false,
        )
    },
    ResourceType {
        generation: true,
        strategic: false,
        ..res(
            "admissionregistration.k8s.io",
            "v1",
            "validatingadmissionpolicybindings",
            "validatingadmissionpolicybinding",
            "ValidatingAdmissionPolicyBinding",
            false,
        )
    },
    ResourceType {
        ..res(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterroles",
            "clusterrole",
            "ClusterRole",
            false,
        )
    },
    // The custom resources of modeldeck.io: served only while their
    // CustomResourceDefinition is installed (see `crd_installed`).
    ResourceType {
        short_names: &["mpromo"],
        subresources: &["status"],
        status_subresource: true,
        generation: true,
        strategic: false,
        ..res(
            "modeldeck.io",
            "v1alpha1",
            "modelpromotions",
            "modelpromotion",
            "ModelPromotion",
            true,
        )
    },
    ResourceType {
        short_names: &["mapproval"],
        generation: true,
        strategic: false,
        ..res(
            "modeldeck.io",
            "v1alpha1",
            "modelapprovals",
            "modelapproval",
            "ModelApproval",
            true,
        )
    },
    argo::WORKFLOW_TEMPLATES,
    argo::WORKFLOWS,
    argo::CRON_WORKFLOWS,
    argo::SCHEDULED_WORKFLOWS,
];

/// Index of a resource type in [`RESOURCES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId(pub u8);

impl ResourceId {
    /// The type behind this id.
    pub fn ty(self) -> &'static ResourceType {
        &RESOURCES[self.0 as usize % RESOURCES.len()]
    }
}

/// Well-known ids, so the controller and seeding need no look-ups.
pub mod ids {
    use super::ResourceId;
    /// namespaces
    pub const NAMESPACES: ResourceId = ResourceId(0);
    /// pods
    pub const PODS: ResourceId = ResourceId(1);
    /// events
    pub const EVENTS: ResourceId = ResourceId(2);
    /// configmaps
    pub const CONFIGMAPS: ResourceId = ResourceId(3);
    /// deployments
    pub const DEPLOYMENTS: ResourceId = ResourceId(4);
    /// replicasets
    pub const REPLICASETS: ResourceId = ResourceId(5);
    /// cronjobs
    pub const CRONJOBS: ResourceId = ResourceId(6);
    /// jobs
    pub const JOBS: ResourceId = ResourceId(7);
    /// inferenceservices
    pub const INFERENCESERVICES: ResourceId = ResourceId(8);
    /// customresourcedefinitions.apiextensions.k8s.io
    pub const CRDS: ResourceId = ResourceId(12);
    /// validatingadmissionpolicies.admissionregistration.k8s.io
    pub const VAPS: ResourceId = ResourceId(13);
    /// validatingadmissionpolicybindings.admissionregistration.k8s.io
    pub const VAP_BINDINGS: ResourceId = ResourceId(14);
    /// clusterroles.rbac.authorization.k8s.io
    pub const CLUSTERROLES: ResourceId = ResourceId(15);
    /// modelpromotions.modeldeck.io (needs its CRD)
    pub const MODELPROMOTIONS: ResourceId = ResourceId(16);
    /// modelapprovals.modeldeck.io (needs its CRD)
    pub const MODELAPPROVALS: ResourceId = ResourceId(17);
}

/// Whether a resource type is a custom resource, served only while the
/// CustomResourceDefinition named by [`ResourceType::qualified`] exists.
pub fn is_custom(ty: &ResourceType) -> bool {
    matches!(ty.group, "modeldeck.io" | "argoproj.io" | "kubeflow.org")
}

/// The resource served at `group/version/plural`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<ResourceId> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.plural == plural)
        .map(|i| ResourceId(i as u8))
}

/// The resource whose objects have this `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<ResourceId> {
    RESOURCES
        .iter()
        .position(|r| r.api_version() == api_version && r.kind == kind)
        .map(|i| ResourceId(i as u8))
}

fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}

/// `GET /api`.
pub fn api_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    })
}

fn group_doc(group: &str, version: &str) -> Value {
    let gv = format!("{group}/{version}");
    json!({
        "name": group,
        "versions": [{"groupVersion": gv, "version": version}],
        "preferredVersion": {"groupVersion": gv, "version": version},
    })
}

/// `GET /apis`.
pub fn api_group_list() -> Value {
    let groups: Vec<Value> = groups().iter().map(|(g, v)| group_doc(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/<group>`, if served.
pub fn api_group(group: &str) -> Option<Value> {
    groups().iter().find(|(g, _)| *g == group).map(|(g, v)| {
        let mut d = group_doc(g, v);
        d["kind"] = json!("APIGroup");
        d["apiVersion"] = json!("v1");
        d
    })
}

/// `GET /api/v1` or `/apis/<group>/<version>`, if served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let mut list = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs(),
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.virtual_review && r.kind != "Event" && r.kind != "Namespace" {
            entry["categories"] = json!(["all"]);
        }
        list.push(entry);
        for sub in r.subresources {
            let (kind, verbs, group_over): (&str, Vec<&str>, Option<(&str, &str)>) = match *sub {
                "scale" => (
                    "Scale",
                    vec!["get", "patch", "update"],
                    Some(("autoscaling", "v1")),
                ),
                "log" => ("Pod", vec!["get"], None),
                _ => (r.kind, vec!["get", "patch", "update"], None),
            };
            let mut e = json!({
                "name": format!("{}/{sub}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": kind,
                "verbs": verbs,
            });
            if let Some((g, v)) = group_over {
                e["group"] = json!(g);
                e["version"] = json!(v);
            }
            list.push(e);
        }
    }
    if list.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
    )
}

/// `GET /version`.
pub fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-modeldeck",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn gv_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `GET /openapi/v3`: where each group-version's document is.
pub fn openapi_v3_root() -> Value {
    let mut paths = serde_json::Map::new();
    let mut gvs: Vec<(&str, &str)> = vec![("", "v1")];
    gvs.extend(groups());
    for (g, v) in gvs {
        let k = gv_key(g, v);
        paths.insert(
            k.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{k}?hash=modeldeck")}),
        );
    }
    json!({"paths": paths})
}

/// `GET /openapi/v3/<gv>`: a minimal OpenAPI 3 document. It declares the
/// PATCH operations with their `fieldValidation` parameter (so kubectl
/// `apply` validates server-side) and no schemas (so clients fall back to
/// their built-in types).
pub fn openapi_v3_group(path: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    for r in RESOURCES
        .iter()
        .filter(|r| gv_key(r.group, r.version) == path && !r.virtual_review)
    {
        let base = if r.namespaced {
            format!("/{path}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("/{path}/{}/{{name}}", r.plural)
        };
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
        paths.insert(
            base,
            json!({"patch": {
                "operationId": format!("patch{}", r.kind),
                "parameters": [
                    {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                    {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                ],
                "x-kubernetes-action": "patch",
                "x-kubernetes-group-version-kind": gvk,
            }}),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ids_match_the_table() {
        assert_eq!(ids::DEPLOYMENTS.ty().plural, "deployments");
        assert_eq!(ids::REPLICASETS.ty().plural, "replicasets");
        assert_eq!(ids::INFERENCESERVICES.ty().kind, "InferenceService");
        assert_eq!(ids::PODS.ty().kind, "Pod");
        assert_eq!(ids::EVENTS.ty().kind, "Event");
        assert_eq!(ids::CRONJOBS.ty().kind, "CronJob");
        assert_eq!(ids::JOBS.ty().kind, "Job");
        assert_eq!(ids::NAMESPACES.ty().kind, "Namespace");
        assert_eq!(ids::CONFIGMAPS.ty().kind, "ConfigMap");
        assert_eq!(ids::CRDS.ty().kind, "CustomResourceDefinition");
        assert_eq!(ids::VAPS.ty().kind, "ValidatingAdmissionPolicy");
        assert_eq!(
            ids::VAP_BINDINGS.ty().kind,
            "ValidatingAdmissionPolicyBinding"
        );
        assert_eq!(ids::CLUSTERROLES.ty().kind, "ClusterRole");
        assert_eq!(ids::MODELPROMOTIONS.ty().kind, "ModelPromotion");
        assert_eq!(ids::MODELAPPROVALS.ty().kind, "ModelApproval");
        assert_eq!(find("apps", "v1", "deployments"), Some(ids::DEPLOYMENTS));
        assert_eq!(by_kind("apps/v1", "Deployment"), Some(ids::DEPLOYMENTS));
    }

    #[test]
    fn discovery_lists_subresources_and_groups() {
        let apps = api_resource_list("apps", "v1").unwrap_or_default();
        let names: Vec<&str> = apps["resources"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
            .unwrap_or_default();
        assert!(names.contains(&"deployments/scale"));
        let groups = api_group_list();
        assert!(groups.to_string().contains("serving.kserve.io/v1beta1"));
        assert!(api_resource_list("nope", "v1").is_none());
    }
}
