//! Who is calling (bearer token -> [`User`]) and what they may do: rule
//! evaluation shared by request authorization and the review APIs
//! (SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview).

use crate::config::{Rule, User};
use crate::status::{ApiError, ApiResult};
use serde_json::{Value, json};

/// One authorization question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributes<'a> {
    /// Verb.
    pub verb: &'a str,
    /// API group.
    pub group: &'a str,
    /// Resource plural.
    pub resource: &'a str,
    /// Subresource, if any.
    pub subresource: Option<&'a str>,
    /// Namespace; `None` = cluster scope or all namespaces.
    pub namespace: Option<&'a str>,
}

fn any(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == "*" || x == want)
}

fn resource_matches(rule: &Rule, resource: &str, sub: Option<&str>) -> bool {
    rule.resources.iter().any(|r| {
        if r == "*" {
            return true;
        }
        match sub {
            None => r == resource,
            Some(s) => {
                *r == format!("{resource}/{s}")
                    || *r == format!("*/{s}")
                    || *r == format!("{resource}/*")
            }
        }
    })
}

fn rule_allows(rule: &Rule, a: &Attributes<'_>) -> bool {
    let ns_ok = rule.namespaces.is_empty()
        || rule.namespaces.iter().any(|n| n == "*")
        || a.namespace
            .is_some_and(|ns| rule.namespaces.iter().any(|n| n == ns));
    ns_ok
        && any(&rule.verbs, a.verb)
        && any(&rule.groups, a.group)
        && resource_matches(rule, a.resource, a.subresource)
}

/// Whether `user` may do `a`, and which rule said so.
pub fn allowed(user: &User, a: &Attributes<'_>) -> Option<usize> {
    user.rules.iter().position(|r| rule_allows(r, a))
}

/// The user holding a bearer token from an `Authorization` header value.
pub fn authenticate<'u>(users: &'u [User], header: Option<&str>) -> ApiResult<&'u User> {
    let token = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(ApiError::unauthorized)?;
    users
        .iter()
        .find(|u| !u.token.is_empty() && u.token == token)
        .ok_or_else(ApiError::unauthorized)
}

/// Answers a SelfSubjectAccessReview body for `user` (echoes the spec, adds status).
pub fn access_review(user: &User, body: &Value) -> ApiResult<Value> {
    let spec = body
        .get("spec")
        .ok_or_else(|| ApiError::bad_request("SelfSubjectAccessReview: `spec` is required"))?;
    let allowed_by = if let Some(ra) = spec.get("resourceAttributes") {
        let s = |k: &str| ra.get(k).and_then(Value::as_str).unwrap_or("");
        let ns = s("namespace");
        let sub = s("subresource");
        let a = Attributes {
            verb: s("verb"),
            group: s("group"),
            resource: s("resource"),
            subresource: (!sub.is_empty()).then_some(sub),
            namespace: (!ns.is_empty()).then_some(ns),
        };
        if a.verb.is_empty() || a.resource.is_empty() {
            return Err(ApiError::bad_request(
                "SelfSubjectAccessReview: resourceAttributes.verb and .resource are required",
            ));
        }
        allowed(user, &a)
    } else if spec.get("nonResourceAttributes").is_some() {
        Some(usize::MAX)
    } else {
        return Err(ApiError::bad_request(
            "SelfSubjectAccessReview: one of spec.resourceAttributes or spec.nonResourceAttributes is required",
        ));
    };
    let status = match allowed_by {
        Some(usize::MAX) => {
            json!({"allowed": true, "reason": "non-resource URLs are open to authenticated users"})
        }
        Some(i) => {
            json!({"allowed": true, "reason": format!("allowed by rule {i} of user \"{}\"", user.name)})
        }
        None => json!({"allowed": false}),
    };
    Ok(json!({
        "kind": "SelfSubjectAccessReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": spec,
        "status": status,
    }))
}

/// Answers a SelfSubjectRulesReview: the rules that hold in `spec.namespace`.
pub fn rules_review(user: &User, body: &Value) -> ApiResult<Value> {
    let ns = body
        .pointer("/spec/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    let rules: Vec<Value> = user
        .rules
        .iter()
        .filter(|r| r.namespaces.is_empty() || r.namespaces.iter().any(|n| n == ns || n == "*"))
        .map(|r| json!({"verbs": r.verbs, "apiGroups": r.groups, "resources": r.resources}))
        .collect();
    Ok(json!({
        "kind": "SelfSubjectRulesReview",
        "apiVersion": "authorization.k8s.io/v1",
        "metadata": {"creationTimestamp": null},
        "spec": {"namespace": ns},
        "status": {
            "resourceRules": rules,
            "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": ["*"]}],
            "incomplete": false,
        },
    }))
}

/// Answers a SelfSubjectReview: the caller's user info.
pub fn subject_review(user: &User, api_version: &str) -> Value {
    json!({
        "kind": "SelfSubjectReview",
        "apiVersion": api_version,
        "metadata": {"creationTimestamp": null},
        "status": {"userInfo": {"username": user.name, "groups": user.groups}},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs<'a>(
        verb: &'a str,
        group: &'a str,
        res: &'a str,
        ns: Option<&'a str>,
    ) -> Attributes<'a> {
        Attributes {
            verb,
            group,
            resource: res,
            subresource: None,
            namespace: ns,
        }
    }

    #[test]
    fn rules_match_verbs_groups_namespaces_and_subresources() {
        let u = User::new(
            "dev",
            vec![
                Rule::new(&["get", "list"], &["*"], &["*"], &[]),
                Rule::new(&["patch"], &["apps"], &["deployments"], &["ml"]),
                Rule::new(&["get"], &[""], &["pods/log"], &[]),
            ],
        );
        assert!(allowed(&u, &attrs("list", "apps", "deployments", None)).is_some());
        assert!(allowed(&u, &attrs("patch", "apps", "deployments", Some("ml"))).is_some());
        assert!(allowed(&u, &attrs("patch", "apps", "deployments", Some("prod"))).is_none());
        assert!(allowed(&u, &attrs("patch", "apps", "deployments", None)).is_none());
        let mut log = attrs("get", "", "pods", Some("ml"));
        log.subresource = Some("log");
        assert!(allowed(&u, &log).is_some());
        log.verb = "create";
        assert!(allowed(&u, &log).is_none());
    }

    #[test]
    fn tokens_pick_users() {
        let users = vec![User::new("a", vec![]).with_token("t1")];
        assert_eq!(authenticate(&users, Some("Bearer t1")).unwrap().name, "a");
        assert_eq!(
            authenticate(&users, Some("Bearer nope")).unwrap_err().code,
            401
        );
        assert_eq!(authenticate(&users, None).unwrap_err().code, 401);
    }

    #[test]
    fn access_review_echoes_spec() {
        let u = User::new("v", vec![Rule::read_only()]);
        let body = json!({"spec": {"resourceAttributes": {"verb": "patch", "group": "apps", "resource": "deployments", "namespace": "ml"}}});
        let r = access_review(&u, &body).unwrap();
        assert_eq!(r["status"]["allowed"], false);
        assert_eq!(r["spec"]["resourceAttributes"]["verb"], "patch");
        assert!(access_review(&u, &json!({})).is_err());
    }
}
