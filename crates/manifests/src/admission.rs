//! One implementation of "evaluate a `ValidatingAdmissionPolicy`" for both
//! simulators (the sandbox API server and the in-process sandbox cluster):
//! whether a policy's `matchConstraints.resourceRules` match a request, and
//! its `spec.validations[].expression`s evaluated (with `cel-interpreter`)
//! against `object`, `oldObject` (null on CREATE), `request` and `params`
//! (always null). The first expression that is false (or fails to
//! evaluate, with `failurePolicy: Fail`, the default) refuses the request
//! with that validation's `message` and `reason` (default `Invalid`).
//!
//! The expressions are whatever the policy object says (the shipped
//! manifest, for the sandbox). Not modelled: `paramKind`/`paramRef`,
//! `variables`, `matchConditions`, `messageExpression`, `auditAnnotations`.
//! Bindings (which policies are in force) are the caller's business.

use cel_interpreter::{Context, Program, Value as Cel};
use serde_json::{Value, json};

/// A request under admission, as the `request` variable describes it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// API group (`modeldeck.io`).
    pub group: &'a str,
    /// API version (`v1alpha1`).
    pub version: &'a str,
    /// Kind (`ModelApproval`).
    pub kind: &'a str,
    /// Resource plural (`modelapprovals`).
    pub resource: &'a str,
    /// Subresource (`status`), if any.
    pub subresource: Option<&'a str>,
    /// `CREATE` or `UPDATE`.
    pub operation: &'a str,
    /// The authenticated user's name.
    pub username: &'a str,
    /// The authenticated user's groups.
    pub groups: &'a [String],
    /// Dry run (still admitted, like a real server).
    pub dry_run: bool,
}

impl<'a> Request<'a> {
    /// A request on one of our resources (`modelapprovals`,
    /// `modelpromotions`) of group [`crate::GROUP`], version
    /// [`crate::VERSION`], by `username` with no groups.
    pub fn modeldeck(resource: &'a str, operation: &'a str, username: &'a str) -> Request<'a> {
        Request {
            group: crate::GROUP,
            version: crate::VERSION,
            kind: kind_of(resource),
            resource,
            subresource: None,
            operation,
            username,
            groups: &[],
            dry_run: false,
        }
    }
}

/// The kind of one of our resource plurals (empty for others).
fn kind_of(plural: &str) -> &'static str {
    match plural {
        "modelapprovals" => "ModelApproval",
        "modelpromotions" => "ModelPromotion",
        _ => "",
    }
}

/// Why a policy refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The policy's `metadata.name`.
    pub policy: String,
    /// The validation's `reason` (`Invalid` unless it says otherwise).
    pub reason: String,
    /// The validation's `message` (or `failed expression: ...`), or the
    /// evaluation error.
    pub message: String,
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

/// Whether `policy`'s `matchConstraints.resourceRules` match `req` (a
/// subresource is matched only by `plural/sub`, `*/sub` or `*/*`).
pub fn matches(policy: &Value, req: &Request<'_>) -> bool {
    let rules = &policy["spec"]["matchConstraints"]["resourceRules"];
    rules.as_array().is_some_and(|rules| {
        rules.iter().any(|r| {
            listed(&strs(&r["apiGroups"]), req.group)
                && listed(&strs(&r["apiVersions"]), req.version)
                && listed(&strs(&r["operations"]), req.operation)
                && resource_listed(&strs(&r["resources"]), req.resource, req.subresource)
        })
    })
}

fn metadata<'v>(o: &'v Value, field: &str) -> &'v str {
    o["metadata"][field].as_str().unwrap_or("")
}

/// The `request` variable a real API server gives the expressions.
pub fn request_variable(req: &Request<'_>, object: &Value) -> Value {
    json!({
        "operation": req.operation,
        "name": metadata(object, "name"),
        "namespace": metadata(object, "namespace"),
        "kind": {"group": req.group, "version": req.version, "kind": req.kind},
        "resource": {"group": req.group, "version": req.version, "resource": req.resource},
        "subResource": req.subresource.unwrap_or(""),
        "userInfo": {"username": req.username, "groups": req.groups},
        "dryRun": req.dry_run,
    })
}

/// Runs `policy`'s validations on `object` (what would be stored) given
/// `old` (the stored object on UPDATE), without looking at its match
/// constraints: the first refusal, honouring `failurePolicy: Ignore`.
pub fn validate(
    policy: &Value,
    req: &Request<'_>,
    object: &Value,
    old: Option<&Value>,
) -> Result<(), Denial> {
    let request = request_variable(req, object);
    let null = Value::Null;
    let vars = [
        ("object", object),
        ("oldObject", old.unwrap_or(&null)),
        ("request", &request),
        ("params", &null),
    ];
    let fail_open = policy["spec"]["failurePolicy"].as_str() == Some("Ignore");
    let deny = |reason: &str, message: String| Denial {
        policy: metadata(policy, "name").to_string(),
        reason: reason.to_string(),
        message,
    };
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
                return Err(deny(reason, msg));
            }
            Err(_) if fail_open => {}
            Err(e) => return Err(deny(reason, e)),
        }
    }
    Ok(())
}

/// Admits `object` when `policy` does not match `req` or every validation
/// passes ([`matches`], then [`validate`]).
pub fn admit(
    policy: &Value,
    req: &Request<'_>,
    object: &Value,
    old: Option<&Value>,
) -> Result<(), Denial> {
    if !matches(policy, req) {
        return Ok(());
    }
    validate(policy, req, object, old)
}

/// [`admit`] for one of our resources (`modelapprovals`,
/// `modelpromotions`) as `username`: `Err` carries the first failing
/// validation's message.
pub fn admit_as(
    policy: &Value,
    resource: &str,
    operation: &str,
    object: &Value,
    old: Option<&Value>,
    username: &str,
) -> Result<(), String> {
    let req = Request::modeldeck(resource, operation, username);
    admit(policy, &req, object, old).map_err(|d| d.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Value {
        crate::approval_policy().unwrap()
    }

    fn approval(approver: &str, requester: &str) -> Value {
        json!({
            "apiVersion": "modeldeck.io/v1alpha1",
            "kind": "ModelApproval",
            "metadata": {"name": "p1-abc", "namespace": "risk"},
            "spec": {"promotion": "p1", "approver": approver, "requester": requester,
                     "decision": "approve"},
        })
    }

    fn promotion(requested_by: &str) -> Value {
        json!({
            "apiVersion": "modeldeck.io/v1alpha1",
            "kind": "ModelPromotion",
            "metadata": {"name": "p1", "namespace": "risk"},
            "spec": {"model": "fraud", "version": "7", "alias": "champion", "targets": [],
                     "requestedBy": requested_by},
        })
    }

    const APPROVALS: &str = "modelapprovals";
    const PROMOTIONS: &str = "modelpromotions";

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
        assert!(evaluate("1 + 1", &vars).unwrap_err().contains("not a bool"));
    }

    #[test]
    fn the_request_variable_has_the_api_server_shape() {
        let groups = vec!["system:authenticated".to_string()];
        let req = Request {
            subresource: Some("status"),
            groups: &groups,
            dry_run: true,
            ..Request::modeldeck(PROMOTIONS, "UPDATE", "ops")
        };
        assert_eq!(
            request_variable(&req, &promotion("alice")),
            json!({
                "operation": "UPDATE", "name": "p1", "namespace": "risk",
                "kind": {"group": "modeldeck.io", "version": "v1alpha1", "kind": "ModelPromotion"},
                "resource": {"group": "modeldeck.io", "version": "v1alpha1", "resource": "modelpromotions"},
                "subResource": "status",
                "userInfo": {"username": "ops", "groups": ["system:authenticated"]},
                "dryRun": true,
            })
        );
    }

    #[test]
    fn the_shipped_policy_binds_approvals_to_their_creator() {
        let p = policy();
        let create = |obj: &Value, user: &str| admit_as(&p, APPROVALS, "CREATE", obj, None, user);
        assert_eq!(create(&approval("bob", "alice"), "bob"), Ok(()));
        assert_eq!(
            create(&approval("carol", "alice"), "bob").unwrap_err(),
            "spec.approver must be the user creating the approval"
        );
        assert_eq!(
            create(&approval("alice", "alice"), "alice").unwrap_err(),
            "the requester of a promotion cannot approve it"
        );
        let old = approval("bob", "alice");
        let mut edited = old.clone();
        edited["spec"]["decision"] = json!("reject");
        let update =
            |new: &Value, user: &str| admit_as(&p, APPROVALS, "UPDATE", new, Some(&old), user);
        assert_eq!(
            update(&edited, "bob").unwrap_err(),
            "the spec of an approval cannot change after it is created"
        );
        let mut labelled = old.clone();
        labelled["metadata"]["labels"] = json!({"seen": "yes"});
        assert_eq!(update(&labelled, "admin"), Ok(()));
    }

    #[test]
    fn the_shipped_policy_binds_promotions_to_their_requester() {
        let p = policy();
        let create = |obj: &Value, user: &str| admit_as(&p, PROMOTIONS, "CREATE", obj, None, user);
        assert_eq!(create(&promotion("alice"), "alice"), Ok(()));
        assert_eq!(
            create(&promotion("alice"), "mallory").unwrap_err(),
            "spec.requestedBy must be the user creating the promotion"
        );
        let old = promotion("alice");
        let mut edited = old.clone();
        edited["spec"]["version"] = json!("8");
        assert_eq!(
            admit_as(&p, PROMOTIONS, "UPDATE", &edited, Some(&old), "alice").unwrap_err(),
            "the spec of a promotion cannot change after it is created"
        );
        // The status subresource is not among the policy's resources: a
        // real server does not run it there (and keeps the stored spec).
        let req = Request {
            subresource: Some("status"),
            ..Request::modeldeck(PROMOTIONS, "UPDATE", "ops")
        };
        assert!(!matches(&p, &req));
        assert_eq!(admit(&p, &req, &edited, Some(&old)), Ok(()));
        // Nor are other resources or groups.
        let other = Request {
            group: "apps",
            ..Request::modeldeck("deployments", "CREATE", "bob")
        };
        assert!(!matches(&p, &other));
    }

    #[test]
    fn failure_policy_and_reason_decide_what_an_error_does() {
        let mut p = json!({
            "metadata": {"name": "p"},
            "spec": {
                "matchConstraints": {"resourceRules": [{"apiGroups": ["*"], "apiVersions": ["*"],
                    "operations": ["*"], "resources": ["*"]}]},
                "validations": [
                    {"expression": "object.spec.nope == 1"},
                    {"expression": "false", "reason": "Forbidden"},
                ],
            },
        });
        let req = Request::modeldeck(APPROVALS, "CREATE", "bob");
        let obj = approval("bob", "alice");
        let d = admit(&p, &req, &obj, None).unwrap_err();
        assert_eq!((d.policy.as_str(), d.reason.as_str()), ("p", "Invalid"));
        assert!(d.message.contains("resulted in error"), "{}", d.message);
        p["spec"]["failurePolicy"] = json!("Ignore");
        let d = admit(&p, &req, &obj, None).unwrap_err();
        assert_eq!(d.reason, "Forbidden");
        assert_eq!(d.message, "failed expression: false");
    }
}
