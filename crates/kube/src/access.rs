//! Who am I (SelfSubjectReview) and may I (SelfSubjectAccessReview).

use crate::error::{cluster_error, from_kube};
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::Client;
use kube::api::{Api, PostParams};
use modeldeck_core::domain::{AccessCheck, Identity};
use modeldeck_core::error::{ErrorCode, PortResult};

/// The user the server says `client` authenticates as.
pub async fn whoami(client: &Client, ctx: &str) -> PortResult<Identity> {
    let api: Api<SelfSubjectReview> = Api::all(client.clone());
    let r = api
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .map_err(|e| {
            let be = from_kube(e, ctx, "asking who I am (SelfSubjectReview)");
            if be.code == ErrorCode::NotFound {
                cluster_error(ErrorCode::Unsupported, ctx, "the server has no SelfSubjectReview API (authentication.k8s.io/v1, Kubernetes >= 1.28)")
            } else {
                be
            }
        })?;
    let info = r.status.and_then(|s| s.user_info).ok_or_else(|| {
        cluster_error(
            ErrorCode::MalformedResponse,
            ctx,
            "SelfSubjectReview answer has no status.userInfo",
        )
    })?;
    Ok(Identity {
        username: info.username.unwrap_or_default(),
        groups: info.groups.unwrap_or_default(),
    })
}

/// Whether the caller may do `check`.
pub async fn can_i(client: &Client, ctx: &str, check: &AccessCheck) -> PortResult<bool> {
    let (resource, sub) = match check.resource.split_once('/') {
        Some((r, s)) => (r.to_string(), Some(s.to_string())),
        None => (check.resource.clone(), None),
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(check.verb.clone()),
                group: Some(check.group.clone()),
                resource: Some(resource),
                subresource: sub,
                namespace: check.namespace.clone(),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let what = format!("asking whether I may {} {}", check.verb, check.resource);
    let r = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| from_kube(e, ctx, &what))?;
    Ok(r.status
        .is_some_and(|s| s.allowed && !s.denied.unwrap_or(false)))
}
