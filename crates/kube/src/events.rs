//! Events of a workload and of the objects under it (a Deployment's
//! ReplicaSets and pods, an InferenceService's pods, a CronJob's Jobs), as
//! `kubectl describe` gathers them, newest last and capped.

use crate::convert::ISVC_POD_LABEL;
use crate::error::from_kube;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{Api, ListParams};
use kube::{Client, Resource, ResourceExt};
use modeldeck_core::domain::{ClusterEvent, Timestamp, WorkloadKind, WorkloadRef};
use modeldeck_core::error::PortResult;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;

/// Most objects of one kind read while collecting (pages of 500).
const MAX_LIST: usize = 5_000;

/// A label selector object as the query-string form.
pub fn selector_string(s: &LabelSelector) -> String {
    let mut parts: Vec<String> = s
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in s.match_expressions.iter().flatten() {
        let vals = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({vals})", e.key),
            "NotIn" => format!("{} notin ({vals})", e.key),
            "DoesNotExist" => format!("!{}", e.key),
            _ => e.key.clone(),
        });
    }
    parts.join(",")
}

/// Lists everything matching `lp`, following `continue` up to [`MAX_LIST`].
pub async fn list_all<K>(api: &Api<K>, lp: ListParams, ctx: &str, what: &str) -> PortResult<Vec<K>>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut lp = lp.limit(500);
    loop {
        let page = api.list(&lp).await.map_err(|e| from_kube(e, ctx, what))?;
        out.extend(page.items);
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(c) if out.len() < MAX_LIST => lp = lp.continue_token(&c),
            _ => return Ok(out),
        }
    }
}

fn owned_by(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    uids: &BTreeSet<String>,
) -> bool {
    meta.owner_references
        .iter()
        .flatten()
        .any(|o| uids.contains(&o.uid))
}

fn to_event(e: &Event) -> ClusterEvent {
    let at = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0.as_millisecond())
        .or_else(|| e.event_time.as_ref().map(|t| t.0.as_millisecond()))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0.as_millisecond()))
        .or_else(|| {
            e.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.as_millisecond())
        })
        .unwrap_or(0);
    let io = &e.involved_object;
    ClusterEvent {
        at: Timestamp(at),
        kind: e.type_.clone().unwrap_or_else(|| "Normal".into()),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        object: format!(
            "{}/{}",
            io.kind.clone().unwrap_or_default(),
            io.name.clone().unwrap_or_default()
        ),
    }
}

async fn events_of_kind(
    client: &Client,
    ctx: &str,
    ns: &str,
    kind: &str,
    name: Option<&str>,
) -> PortResult<Vec<Event>> {
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    let mut fs = format!("involvedObject.kind={kind}");
    if let Some(n) = name {
        fs.push_str(&format!(",involvedObject.name={n}"));
    }
    list_all(
        &api,
        ListParams::default().fields(&fs),
        ctx,
        &format!("listing events in {ns}"),
    )
    .await
}

/// The (kind, names) of the objects under a workload whose events matter.
async fn children(
    client: &Client,
    ctx: &str,
    t: &WorkloadRef,
) -> PortResult<(String, Vec<(&'static str, BTreeSet<String>)>)> {
    let ns = &t.namespace;
    let what = |k: &str| format!("reading {k} {ns}/{}", t.name);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    match t.kind {
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer => {
            let d = Api::<Deployment>::namespaced(client.clone(), ns)
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, &what("deployment")))?;
            let uid: BTreeSet<String> = d.metadata.uid.clone().into_iter().collect();
            let sel = selector_string(&d.spec.selector);
            let rss = list_all(
                &Api::<ReplicaSet>::namespaced(client.clone(), ns),
                ListParams::default().labels(&sel),
                ctx,
                "listing replicasets",
            )
            .await?;
            let rss: Vec<ReplicaSet> = rss
                .into_iter()
                .filter(|r| owned_by(&r.metadata, &uid))
                .collect();
            let rs_uids: BTreeSet<String> =
                rss.iter().filter_map(|r| r.metadata.uid.clone()).collect();
            let pod_list = list_all(
                &pods,
                ListParams::default().labels(&sel),
                ctx,
                "listing pods",
            )
            .await?;
            let pod_names = pod_list
                .iter()
                .filter(|p| owned_by(&p.metadata, &rs_uids))
                .map(|p| p.name_any())
                .collect();
            Ok((
                "Deployment".into(),
                vec![
                    ("ReplicaSet", rss.iter().map(|r| r.name_any()).collect()),
                    ("Pod", pod_names),
                ],
            ))
        }
        WorkloadKind::InferenceService => {
            let sel = format!("{ISVC_POD_LABEL}={}", t.name);
            let pod_list = list_all(
                &pods,
                ListParams::default().labels(&sel),
                ctx,
                "listing pods",
            )
            .await?;
            Ok((
                "InferenceService".into(),
                vec![("Pod", pod_list.iter().map(|p| p.name_any()).collect())],
            ))
        }
        WorkloadKind::CronJob => {
            let c = Api::<CronJob>::namespaced(client.clone(), ns)
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, &what("cronjob")))?;
            let uid: BTreeSet<String> = c.metadata.uid.clone().into_iter().collect();
            let jobs = list_all(
                &Api::<Job>::namespaced(client.clone(), ns),
                ListParams::default(),
                ctx,
                "listing jobs",
            )
            .await?;
            let jobs: BTreeSet<String> = jobs
                .iter()
                .filter(|j| owned_by(&j.metadata, &uid))
                .map(|j| j.name_any())
                .collect();
            Ok(("CronJob".into(), vec![("Job", jobs)]))
        }
        WorkloadKind::Pipeline => {
            let (_, kind, _) = crate::record::pipeline_object(client, t).await?;
            let names = crate::argo::workflow_names(client, ctx, t).await?;
            Ok((kind.into(), vec![("Workflow", names)]))
        }
    }
}

/// Events of `t` and its children, oldest first, at most `max` (the newest).
pub async fn collect(
    client: &Client,
    ctx: &str,
    t: &WorkloadRef,
    max: usize,
) -> PortResult<Vec<ClusterEvent>> {
    let (kind, kids) = children(client, ctx, t).await?;
    let own = events_of_kind(client, ctx, &t.namespace, &kind, Some(&t.name));
    let kid_lists =
        futures::future::try_join_all(kids.iter().filter(|(_, names)| !names.is_empty()).map(
            |(k, names)| async move {
                let evs = events_of_kind(client, ctx, &t.namespace, k, None).await?;
                Ok::<_, modeldeck_core::error::BackendError>(
                    evs.into_iter()
                        .filter(|e| {
                            e.involved_object
                                .name
                                .as_ref()
                                .is_some_and(|n| names.contains(n))
                        })
                        .collect::<Vec<_>>(),
                )
            },
        ));
    let (own, kids) = futures::try_join!(own, kid_lists)?;
    let mut out: Vec<ClusterEvent> = own
        .iter()
        .chain(kids.iter().flatten())
        .map(to_event)
        .collect();
    out.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.object.cmp(&b.object)));
    if out.len() > max {
        out.drain(..out.len() - max);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_render_like_kubectl() {
        let s: LabelSelector = serde_json::from_value(serde_json::json!({
            "matchLabels": {"app": "fraud"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}, {"key": "x", "operator": "DoesNotExist"}]
        }))
        .unwrap();
        assert_eq!(selector_string(&s), "app=fraud,tier in (a,b),!x");
    }
}
