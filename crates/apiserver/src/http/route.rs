//! Kubernetes REST paths: discovery documents and
//! `/api/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]`,
//! `/apis/<group>/<version>/...`.

use crate::resources::{self, ResourceId, ResourceType};
use crate::status::{ApiError, ApiResult};
use serde_json::Value;

/// A parsed resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Resource type.
    pub res: ResourceId,
    /// Namespace from the path.
    pub ns: Option<String>,
    /// Object name.
    pub name: Option<String>,
    /// Subresource.
    pub sub: Option<String>,
}

impl Target {
    /// The resource type.
    pub fn ty(&self) -> &'static ResourceType {
        self.res.ty()
    }

    /// Namespace or `""`.
    pub fn ns_str(&self) -> &str {
        self.ns.as_deref().unwrap_or("")
    }
}

/// What a path names.
#[derive(Debug)]
pub enum Route {
    /// A discovery or version document.
    Doc(Value),
    /// A resource, collection or subresource.
    Resource(Target),
}

/// Parses a request path.
pub fn parse(path: &str) -> ApiResult<Route> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let missing = || ApiError::no_route(path);
    match segs.as_slice() {
        ["version"] => Ok(Route::Doc(resources::version_info())),
        ["api"] => Ok(Route::Doc(resources::api_versions())),
        ["apis"] => Ok(Route::Doc(resources::api_group_list())),
        ["api", "v1"] => resources::api_resource_list("", "v1")
            .map(Route::Doc)
            .ok_or_else(missing),
        ["apis", g] => resources::api_group(g).map(Route::Doc).ok_or_else(missing),
        ["apis", g, v] => resources::api_resource_list(g, v)
            .map(Route::Doc)
            .ok_or_else(missing),
        ["openapi", "v3"] => Ok(Route::Doc(resources::openapi_v3_root())),
        ["openapi", "v3", rest @ ..] => resources::openapi_v3_group(&rest.join("/"))
            .map(Route::Doc)
            .ok_or_else(missing),
        ["api", "v1", rest @ ..] => resource("", "v1", rest, path),
        ["apis", g, v, rest @ ..] => resource(g, v, rest, path),
        _ => Err(missing()),
    }
}

fn resource(group: &str, version: &str, rest: &[&str], path: &str) -> ApiResult<Route> {
    let missing = || ApiError::no_route(path);
    let namespaced_path = rest.len() >= 3
        && rest[0] == "namespaces"
        && !(rest.len() == 3 && matches!(rest[2], "status" | "finalize"));
    let (ns, plural, name, sub, extra) = if namespaced_path {
        (
            Some(rest[1]),
            rest[2],
            rest.get(3),
            rest.get(4),
            rest.len() > 5,
        )
    } else {
        let first = rest.first().ok_or_else(missing)?;
        (None, *first, rest.get(1), rest.get(2), rest.len() > 3)
    };
    if extra {
        return Err(missing());
    }
    let res = resources::find(group, version, plural).ok_or_else(missing)?;
    let ty = res.ty();
    if ns.is_some() && !ty.namespaced {
        return Err(missing());
    }
    if let Some(s) = sub
        && !ty.subresources.contains(s)
    {
        return Err(missing());
    }
    if ty.namespaced && ns.is_none() && name.is_some() {
        return Err(missing());
    }
    Ok(Route::Resource(Target {
        res,
        ns: ns.map(String::from),
        name: name.map(|s| s.to_string()),
        sub: sub.map(|s| s.to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ids;

    fn target(p: &str) -> Target {
        match parse(p).unwrap() {
            Route::Resource(t) => t,
            Route::Doc(_) => panic!("not a resource: {p}"),
        }
    }

    #[test]
    fn paths() {
        let t = target("/apis/apps/v1/namespaces/ml/deployments/fraud/scale");
        assert_eq!(t.res, ids::DEPLOYMENTS);
        assert_eq!(t.ns.as_deref(), Some("ml"));
        assert_eq!(t.name.as_deref(), Some("fraud"));
        assert_eq!(t.sub.as_deref(), Some("scale"));
        let all = target("/apis/apps/v1/deployments");
        assert_eq!(all.ns, None);
        assert_eq!(target("/api/v1/namespaces/ml").res, ids::NAMESPACES);
        assert_eq!(
            target("/api/v1/namespaces/ml/status").sub.as_deref(),
            Some("status")
        );
        assert_eq!(
            target("/api/v1/namespaces/ml/pods/p/log").sub.as_deref(),
            Some("log")
        );
        assert!(parse("/apis/apps/v1/namespaces/ml/deployments/x/nope").is_err());
        assert!(parse("/apis/apps/v1/deployments/x").is_err());
        assert!(parse("/openapi/v2").is_err());
        assert!(matches!(parse("/apis").unwrap(), Route::Doc(_)));
    }
}
