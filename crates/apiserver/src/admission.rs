//! ValidatingAdmissionPolicy (`admissionregistration.k8s.io/v1`) as a real
//! API server applies it: every installed binding whose
//! `validationActions` include `Deny` brings in its policy; a policy whose
//! `matchConstraints.resourceRules` match the request has each
//! `spec.validations[].expression` evaluated against `object`, `oldObject`
//! (null on CREATE) and `request`. The first expression that is false (or
//! fails to evaluate, with `failurePolicy: Fail`, the default) refuses the
//! request with the validation's `reason` (default `Invalid`, 422) and the
//! message
//! `ValidatingAdmissionPolicy '<policy>' with binding '<binding>' denied request: <message>`.
//!
//! Matching and evaluation (with `cel-interpreter`) are
//! [`modeldeck_manifests::admission`], the one implementation the
//! in-process sandbox cluster uses too; this module finds the bindings in
//! force and words the refusal as the API server does.
//!
//! The expressions are whatever the stored policy objects say: installing
//! the shipped manifest is what puts them here, so tests prove the shipped
//! text. Not modelled: `paramKind`/`paramRef`, `variables`,
//! `matchConditions`, `messageExpression`, `auditAnnotations` and the
//! binding's `matchResources` (a binding applies to everything its policy
//! matches, as the shipped binding, which sets none, does).

use crate::config::User;
use crate::resources::{ResourceId, ResourceType, ids};
use crate::status::{ApiError, ApiResult};
use crate::store::Store;
use modeldeck_manifests::admission as vap;
use serde_json::{Value, json};
use std::sync::Arc;

/// Evaluates one expression; `Ok(true)` admits.
pub use modeldeck_manifests::admission::evaluate;

/// The operation under admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// POST.
    Create,
    /// PUT or PATCH.
    Update,
}

impl Operation {
    /// As `request.operation` and `resourceRules[].operations` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
        }
    }
}

/// One request under admission.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who is asking.
    pub user: &'a User,
    /// What is written.
    pub res: ResourceId,
    /// Subresource (`status`), if any.
    pub subresource: Option<&'a str>,
    /// CREATE or UPDATE.
    pub operation: Operation,
    /// Dry run (still admitted, like a real server).
    pub dry_run: bool,
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn name_of(o: &Value) -> &str {
    o.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn code_of(reason: &str) -> (u16, &'static str) {
    match reason {
        "Unauthorized" => (401, "Unauthorized"),
        "Forbidden" => (403, "Forbidden"),
        "RequestEntityTooLarge" => (413, "RequestEntityTooLarge"),
        _ => (422, "Invalid"),
    }
}

/// The refusal a real API server answers: `admission.NewForbidden` wording,
/// the validation's reason and code, one cause carrying the message.
fn denial(
    ty: &ResourceType,
    name: &str,
    policy: &str,
    binding: &str,
    reason: &str,
    msg: &str,
) -> ApiError {
    let message = format!(
        "ValidatingAdmissionPolicy '{policy}' with binding '{binding}' denied request: {msg}"
    );
    let (code, reason) = code_of(reason);
    ApiError {
        code,
        reason,
        message: format!("{} \"{name}\" is forbidden: {message}", ty.qualified()),
        details: Some(json!({
            "name": name,
            "group": ty.group,
            "kind": ty.plural,
            "causes": [{"message": message}],
        })),
    }
}

/// The policies in force: each `Deny` binding with the policy it names,
/// read before a write (admission runs under the store's lock, so it must
/// not read the store itself).
#[derive(Debug, Clone, Default)]
pub struct Policies {
    bound: Vec<(String, Arc<Value>)>,
}

impl Policies {
    /// The bindings and policies installed in `store` now.
    pub fn load(store: &Store) -> Policies {
        let mut bound = Vec::new();
        for b in store.all(ids::VAP_BINDINGS) {
            if !strs(&b["spec"]["validationActions"]).contains(&"Deny") {
                continue;
            }
            let Some(policy_name) = b.pointer("/spec/policyName").and_then(Value::as_str) else {
                continue;
            };
            if let Some(policy) = store.get(ids::VAPS, "", policy_name) {
                bound.push((name_of(&b).to_string(), policy));
            }
        }
        Policies { bound }
    }

    /// Admits or refuses `object` (after defaults: what would be stored)
    /// given `old` (the stored object on UPDATE).
    pub fn admit(&self, req: &Request<'_>, object: &Value, old: Option<&Value>) -> ApiResult<()> {
        let ty = req.res.ty();
        if self.bound.is_empty() || ty.virtual_review {
            return Ok(());
        }
        let request = vap::Request {
            group: ty.group,
            version: ty.version,
            kind: ty.kind,
            resource: ty.plural,
            subresource: req.subresource,
            operation: req.operation.as_str(),
            username: &req.user.name,
            groups: &req.user.groups,
            dry_run: req.dry_run,
        };
        for (binding_name, policy) in &self.bound {
            if let Err(d) = vap::admit(policy, &request, object, old) {
                let name = name_of(object);
                return Err(denial(
                    ty,
                    name,
                    &d.policy,
                    binding_name,
                    &d.reason,
                    &d.message,
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denial_is_the_status_a_real_api_server_answers() {
        let e = denial(ids::MODELAPPROVALS.ty(), "a1", "p", "b", "Invalid", "no");
        let s = e.to_status();
        let m = "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: no";
        assert_eq!(s["code"], 422);
        assert_eq!(s["reason"], "Invalid");
        assert_eq!(s["status"], "Failure");
        assert_eq!(
            s["message"],
            format!("modelapprovals.modeldeck.io \"a1\" is forbidden: {m}")
        );
        assert_eq!(
            s["details"],
            json!({"name": "a1", "group": "modeldeck.io", "kind": "modelapprovals", "causes": [{"message": m}]})
        );
        assert_eq!(
            denial(ids::MODELAPPROVALS.ty(), "a1", "p", "b", "Forbidden", "no").code,
            403
        );
    }
}
