//! The Kubernetes manifests Modeldeck ships, one owner for their text: the
//! `modelpromotions.modeldeck.io` and `modelapprovals.modeldeck.io` CRDs,
//! the `ValidatingAdmissionPolicy` that binds an approval to the person the
//! API server authenticated (and its binding), and example ClusterRoles.
//!
//! The YAML files under `manifests/` are compiled in with `include_str!`;
//! `modeldeck cluster install` prints or applies them, `cluster check`
//! compares a cluster against them, and both simulators (the sandbox API
//! server and the in-process sandbox cluster) evaluate the policy's CEL
//! expressions from this text through [`admission`].

pub mod admission;
pub mod schema;

use serde_json::Value;

/// The API group of our resources.
pub const GROUP: &str = "modeldeck.io";
/// The served version of our resources.
pub const VERSION: &str = "v1alpha1";
/// Name of the promotions CRD.
pub const PROMOTIONS_CRD: &str = "modelpromotions.modeldeck.io";
/// Name of the approvals CRD.
pub const APPROVALS_CRD: &str = "modelapprovals.modeldeck.io";
/// Name of the approval admission policy.
pub const POLICY_NAME: &str = "modeldeck-approvals.modeldeck.io";
/// Name of the policy's binding.
pub const BINDING_NAME: &str = "modeldeck-approvals.modeldeck.io";

/// One shipped file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    /// File name under `manifests/`.
    pub file: &'static str,
    /// The YAML text (one or more documents).
    pub text: &'static str,
}

const PROMOTIONS_CRD_YAML: Manifest = Manifest {
    file: "modelpromotions.crd.yaml",
    text: include_str!("../manifests/modelpromotions.crd.yaml"),
};
const APPROVALS_CRD_YAML: Manifest = Manifest {
    file: "modelapprovals.crd.yaml",
    text: include_str!("../manifests/modelapprovals.crd.yaml"),
};
const POLICY_YAML: Manifest = Manifest {
    file: "approval-policy.yaml",
    text: include_str!("../manifests/approval-policy.yaml"),
};
const BINDING_YAML: Manifest = Manifest {
    file: "approval-policy-binding.yaml",
    text: include_str!("../manifests/approval-policy-binding.yaml"),
};
const CLUSTERROLES_YAML: Manifest = Manifest {
    file: "clusterroles.yaml",
    text: include_str!("../manifests/clusterroles.yaml"),
};

/// Every shipped file, in apply order (CRDs before the policy that matches
/// their resources, the policy before its binding).
pub const ALL: &[Manifest] = &[
    PROMOTIONS_CRD_YAML,
    APPROVALS_CRD_YAML,
    POLICY_YAML,
    BINDING_YAML,
    CLUSTERROLES_YAML,
];

/// Why a shipped manifest could not be read (a build defect, caught by tests).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not valid YAML.
    #[error("{file}: {source}")]
    Yaml {
        /// The file.
        file: &'static str,
        /// The parse error.
        source: serde_norway::Error,
    },
    /// A document the caller asked for is missing.
    #[error("no shipped manifest is a {kind} named {name}")]
    Missing {
        /// Kind looked for.
        kind: String,
        /// Name looked for.
        name: String,
    },
}

impl Manifest {
    /// The documents of this file, as JSON values (empty documents skipped).
    pub fn documents(&self) -> Result<Vec<Value>, ManifestError> {
        let mut out = Vec::new();
        for doc in serde_norway::Deserializer::from_str(self.text) {
            let v: Value =
                serde::Deserialize::deserialize(doc).map_err(|source| ManifestError::Yaml {
                    file: self.file,
                    source,
                })?;
            if !v.is_null() {
                out.push(v);
            }
        }
        Ok(out)
    }
}

/// Every shipped object, in apply order.
pub fn objects() -> Result<Vec<Value>, ManifestError> {
    let mut out = Vec::new();
    for m in ALL {
        out.extend(m.documents()?);
    }
    Ok(out)
}

/// The shipped object of `kind` named `name`.
pub fn object(kind: &str, name: &str) -> Result<Value, ManifestError> {
    objects()?
        .into_iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .ok_or_else(|| ManifestError::Missing {
            kind: kind.into(),
            name: name.into(),
        })
}

/// The promotions CRD.
pub fn promotions_crd() -> Result<Value, ManifestError> {
    object("CustomResourceDefinition", PROMOTIONS_CRD)
}

/// The approvals CRD.
pub fn approvals_crd() -> Result<Value, ManifestError> {
    object("CustomResourceDefinition", APPROVALS_CRD)
}

/// The approval admission policy.
pub fn approval_policy() -> Result<Value, ManifestError> {
    object("ValidatingAdmissionPolicy", POLICY_NAME)
}

/// The approval policy's binding.
pub fn approval_policy_binding() -> Result<Value, ManifestError> {
    object("ValidatingAdmissionPolicyBinding", BINDING_NAME)
}

/// Every file as one multi-document YAML stream (`---` between files), as
/// `modeldeck cluster install --dry-run` prints it.
pub fn multi_document_yaml() -> String {
    let mut out = String::new();
    for (i, m) in ALL.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(m.text);
        if !m.text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_names_its_objects() {
        let objs = objects().unwrap();
        let kinds: Vec<&str> = objs.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(
            kinds,
            [
                "CustomResourceDefinition",
                "CustomResourceDefinition",
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
                "ClusterRole",
                "ClusterRole",
                "ClusterRole"
            ]
        );
        assert_eq!(promotions_crd().unwrap()["spec"]["group"], GROUP);
        assert_eq!(
            approvals_crd().unwrap()["spec"]["versions"][0]["name"],
            VERSION
        );
        let policy = approval_policy().unwrap();
        assert_eq!(policy["spec"]["validations"].as_array().unwrap().len(), 5);
        assert_eq!(
            approval_policy_binding().unwrap()["spec"]["policyName"],
            POLICY_NAME
        );
    }

    #[test]
    fn the_stream_holds_every_document() {
        let all = multi_document_yaml();
        let n = serde_norway::Deserializer::from_str(&all)
            .filter_map(|d| serde_json::Value::deserialize(d).ok())
            .filter(|v| !v.is_null())
            .count();
        assert_eq!(n, objects().unwrap().len());
    }

    use serde::Deserialize;
}
