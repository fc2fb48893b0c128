//! `modeldeck cluster install|check`: the shipped manifests
//! ([`modeldeck_manifests`]) applied to or compared with every chosen
//! kubeconfig context through the kube adapter.

pub use modeldeck_kube::Contexts;
pub use modeldeck_kube::install::{Action, ContextReport, ObjectReport, Outcome, State};
pub use modeldeck_manifests as manifests;
use std::path::PathBuf;

/// Kinds whose absence means approvals are not identity-bound (the example
/// ClusterRoles are reported but not required).
pub const REQUIRED_KINDS: &[&str] = &[
    "CustomResourceDefinition",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
];

/// Installs (create or update) or checks every shipped object in each
/// context. Errors: the kubeconfig cannot be read, or a shipped manifest
/// does not parse.
pub async fn run(
    kubeconfig: &[PathBuf],
    contexts: &Contexts,
    action: Action,
) -> Result<Vec<ContextReport>, String> {
    let objects = manifests::objects().map_err(|e| e.to_string())?;
    modeldeck_kube::install::run(kubeconfig, contexts, &objects, action).await
}

/// Whether a context has every required object as shipped.
pub fn as_shipped(r: &ContextReport) -> bool {
    r.error.is_none()
        && r.objects
            .iter()
            .filter(|o| REQUIRED_KINDS.contains(&o.kind.as_str()))
            .all(|o| o.state == Some(State::AsShipped) || o.outcome.is_some())
}
