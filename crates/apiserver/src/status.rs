//! API errors as Kubernetes `Status` objects: the HTTP code, the `reason`
//! clients branch on (`NotFound`, `Conflict`, `Expired`...) and messages
//! worded like the real apiserver's.

use crate::resources::ResourceType;
use serde_json::{Value, json};

/// An error answered as a `Status` object.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    /// HTTP status code, repeated in `Status.code`.
    pub code: u16,
    /// `Status.reason`.
    pub reason: &'static str,
    /// `Status.message`.
    pub message: String,
    /// `Status.details`, when there is an object to name.
    pub details: Option<Value>,
}

/// Shorthand result for handlers and the store.
pub type ApiResult<T> = Result<T, ApiError>;

fn details(ty: &ResourceType, name: &str) -> Value {
    json!({"name": name, "group": ty.group, "kind": ty.plural})
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, d: Value) -> Self {
        self.details = Some(d);
        self
    }

    /// 404: `deployments.apps "x" not found`.
    pub fn not_found(ty: &ResourceType, name: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", ty.qualified()),
        )
        .with_details(details(ty, name))
    }

    /// 404 for a URL that names no resource.
    pub fn no_route(path: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    /// 409 on a failed resourceVersion precondition.
    pub fn conflict(ty: &ResourceType, name: &str) -> Self {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                ty.qualified()
            ),
        )
        .with_details(details(ty, name))
    }

    /// 409 on create of a name that exists.
    pub fn already_exists(ty: &ResourceType, name: &str) -> Self {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", ty.qualified()),
        )
        .with_details(details(ty, name))
    }

    /// 410: a watch or continue token older than the retained history.
    pub fn expired(message: impl Into<String>) -> Self {
        ApiError::new(410, "Expired", message)
    }

    /// 401: no or unknown bearer token.
    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403 in the RBAC authorizer's words.
    pub fn forbidden(
        user: &str,
        verb: &str,
        ty: &ResourceType,
        sub: Option<&str>,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> Self {
        let what = match name {
            Some(n) => format!("{} \"{n}\"", ty.qualified()),
            None => ty.qualified(),
        };
        let resource = match sub {
            Some(s) => format!("{}/{s}", ty.plural),
            None => ty.plural.to_string(),
        };
        let scope = match namespace {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_string(),
        };
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{what} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{}\"{scope}",
                ty.group
            ),
        )
        .with_details(details(ty, name.unwrap_or("")))
    }

    /// 400 with a message naming what was wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    /// 422 with field causes (`field`, `message`).
    pub fn invalid(ty: &ResourceType, name: &str, causes: &[(String, String)]) -> Self {
        let text: Vec<String> = causes.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        let mut d = details(ty, name);
        d["kind"] = json!(ty.kind);
        d["causes"] = causes
            .iter()
            .map(|(f, m)| json!({"reason": "FieldValueInvalid", "message": m, "field": f}))
            .collect();
        ApiError::new(
            422,
            "Invalid",
            format!("{} \"{name}\" is invalid: {}", ty.kind, text.join(", ")),
        )
        .with_details(d)
    }

    /// 422 for a patch that cannot be applied (a failed JSON-patch `test`).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        ApiError::new(422, "Invalid", message)
    }

    /// 405 for a verb a resource does not support.
    pub fn method_not_allowed(verb: &str, what: &str) -> Self {
        ApiError::new(
            405,
            "MethodNotAllowed",
            format!(
                "the server does not allow this method on the requested resource ({verb} {what})"
            ),
        )
    }

    /// 415 for a patch type the resource does not take.
    pub fn unsupported_media_type(content_type: &str, accepted: &[&str]) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type}) - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 500 for a fault in this server.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "InternalError", message)
    }

    /// The error as a `Status` object.
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

/// A `Status` with `status: Success`, as a delete answers.
pub fn success(ty: &ResourceType, name: &str, uid: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "group": ty.group, "kind": ty.plural, "uid": uid},
    })
}
