//! ValidatingAdmissionPolicy (`admissionregistration.k8s.io/v1`) as a real
//! API server applies it: every installed binding whose
//! `validationActions` include `Deny` brings in its policy; a policy whose
//! `matchConstraints.resourceRules` match the request has each
//! `spec.validations[].expression` evaluated (with `cel-interpreter`)
//! against `object`, `oldObject` (null on CREATE) and `request`. The first
//! expression that is false (or fails to evaluate, with `failurePolicy:
//! Fail`, the default) refuses the request with the validation's `reason`
//! (default `Invalid`, 422) and the message
//! `ValidatingAdmissionPolicy '<policy>' with binding '<binding>' denied request: <message>`.
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
use cel_interpreter::{Context, Program, Value as Cel};
use serde_json::{Value, json};
use std::sync::Arc;

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

fn listed(list: &[&str], want: &str) -> bool {
    list.iter().any(|x| *x == "*" || *x == want)
}

fn resource_listed(list: &[&str], plural: &str, sub: Option<&str>) -> bool {
    list.iter().any(|r| match sub {
        None => *r == "*" || *r == plural,
        Some(s) => *r == "*/*" || *r == format!("{plural}/{s}") || *r == format!("*/{s}"),
    })
}

/// Whether `rules` (a `resourceRules` list) match this request.
fn rules_match(rules: &Value, ty: &ResourceType, req: &Request<'_>) -> bool {
    rules.as_array().is_some_and(|rules| {
        rules.iter().any(|r| {
            listed(&strs(&r["apiGroups"]), ty.group)
                && listed(&strs(&r["apiVersions"]), ty.version)
                && listed(&strs(&r["operations"]), req.operation.as_str())
                && resource_listed(&strs(&r["resources"]), ty.plural, req.subresource)
        })
    })
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

/// Evaluates one expression; `Ok(true)` admits.
pub fn evaluate(expression: &str, vars: &[(&str, &Value)]) -> Result<bool, String> {
    let program = Program::compile(expression).map_err(|e| format!("compilation error: {e}"))?;
    let mut ctx = Context::default();
    for (name, v) in vars {
        let cel = cel_interpreter::to_value(v).map_err(|e| e.to_string())?;
        ctx.add_variable_from_value(*name, cel);
    }
    match program.execute(&ctx) {
        Ok(Cel::Bool(b)) => Ok(b),
        Ok(other) => Err(format!("expression returned {other:?}, not a bool")),
        Err(e) => Err(format!("expression '{expression}' resulted in error: {e}")),
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
        let name = name_of(object);
        let ns = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("");
        let request = json!({
            "operation": req.operation.as_str(),
            "name": name,
            "namespace": ns,
            "kind": {"group": ty.group, "version": ty.version, "kind": ty.kind},
            "resource": {"group": ty.group, "version": ty.version, "resource": ty.plural},
            "subResource": req.subresource.unwrap_or(""),
            "userInfo": {"username": req.user.name, "groups": req.user.groups},
            "dryRun": req.dry_run,
        });
        let null = Value::Null;
        let vars = [
            ("object", object),
            ("oldObject", old.unwrap_or(&null)),
            ("request", &request),
            ("params", &null),
        ];
        for (binding_name, policy) in &self.bound {
            let policy_name = name_of(policy);
            if !rules_match(
                &policy["spec"]["matchConstraints"]["resourceRules"],
                ty,
                req,
            ) {
                continue;
            }
            let fail_open = policy
                .pointer("/spec/failurePolicy")
                .and_then(Value::as_str)
                == Some("Ignore");
            for v in policy["spec"]["validations"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let expr = v["expression"].as_str().unwrap_or("false");
                let reason = v["reason"].as_str().unwrap_or("Invalid");
                match evaluate(expr, &vars) {
                    Ok(true) => {}
                    Ok(false) => {
                        let msg = v["message"]
                            .as_str()
                            .map(String::from)
                            .unwrap_or_else(|| format!("failed expression: {expr}"));
                        return Err(denial(ty, name, policy_name, binding_name, reason, &msg));
                    }
                    Err(_) if fail_open => {}
                    Err(e) => return Err(denial(ty, name, policy_name, binding_name, reason, &e)),
                }
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

    #[test]
    fn expressions_see_object_old_object_and_request() {
        let obj = json!({"spec": {"approver": "bob", "requester": "alice"}});
        let req = json!({"operation": "CREATE", "userInfo": {"username": "bob", "groups": []}});
        let null = Value::Null;
        let vars = [("object", &obj), ("oldObject", &null), ("request", &req)];
        assert_eq!(
            evaluate("object.spec.approver == request.userInfo.username", &vars),
            Ok(true)
        );
        assert_eq!(
            evaluate("object.spec.approver != object.spec.requester", &vars),
            Ok(true)
        );
        assert_eq!(
            evaluate("oldObject == null || object.spec == oldObject.spec", &vars),
            Ok(true)
        );
        let changed = json!({"spec": {"approver": "bob", "requester": "carol"}});
        let vars = [("object", &obj), ("oldObject", &changed), ("request", &req)];
        assert_eq!(
            evaluate("oldObject == null || object.spec == oldObject.spec", &vars),
            Ok(false)
        );
        assert!(evaluate("object.spec.nope == 1", &vars).is_err());
    }
}
