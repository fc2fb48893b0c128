//! Pod logs of a workload, like `kubectl logs deploy/x`: find its pods by
//! selector, prefer ready and newer ones, read a bounded tail.

use crate::convert::ISVC_POD_LABEL;
use crate::error::{cluster_error, from_kube};
use crate::events::{list_all, selector_string};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use kube::{Client, ResourceExt};
use modeldeck_core::domain::{WorkloadKind, WorkloadRef};
use modeldeck_core::error::{ErrorCode, PortResult};
use std::collections::VecDeque;

/// What to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOptions {
    /// Container; the pod's only container when `None`.
    pub container: Option<String>,
    /// Lines to start from at the end of each pod's log.
    pub tail_lines: i64,
    /// Lines kept at most (the newest).
    pub max_lines: usize,
    /// Pods read at once (kubectl's `--max-log-requests` is 5).
    pub max_pods: usize,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            container: None,
            tail_lines: 100,
            max_lines: 1_000,
            max_pods: 1,
        }
    }
}

/// One log line and the pod it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Pod name.
    pub pod: String,
    /// The line, without its newline.
    pub line: String,
}

fn ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The pods of a workload, ready first, then newest first.
pub async fn pods_of(client: &Client, t: &WorkloadRef) -> PortResult<Vec<String>> {
    Ok(list_pods(client, t)
        .await?
        .iter()
        .map(|p| p.name_any())
        .collect())
}

/// The pod objects of a workload, ready first, then newest first.
async fn list_pods(client: &Client, t: &WorkloadRef) -> PortResult<Vec<Pod>> {
    let ctx = t.cluster.as_str();
    let ns = t.namespace.as_str();
    let sel = match t.kind {
        WorkloadKind::Deployment | WorkloadKind::StreamConsumer => {
            let d = Api::<Deployment>::namespaced(client.clone(), ns)
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, "reading the deployment"))?;
            selector_string(&d.spec.selector)
        }
        WorkloadKind::InferenceService => format!("{ISVC_POD_LABEL}={}", t.name),
        WorkloadKind::CronJob => {
            let c = Api::<CronJob>::namespaced(client.clone(), ns)
                .get(&t.name)
                .await
                .map_err(|e| from_kube(e, ctx, "reading the cronjob"))?;
            let uid = c.uid().unwrap_or_default();
            let jobs = list_all(
                &Api::<Job>::namespaced(client.clone(), ns),
                ListParams::default(),
                ctx,
                "listing jobs",
            )
            .await?;
            let names: Vec<String> = jobs
                .iter()
                .filter(|j| j.owner_references().iter().any(|o| o.uid == uid))
                .map(|j| j.name_any())
                .collect();
            if names.is_empty() {
                return Ok(Vec::new());
            }
            format!("job-name in ({})", names.join(","))
        }
        WorkloadKind::Pipeline => {
            let names = crate::argo::workflow_names(client, ctx, t).await?;
            if names.is_empty() {
                return Ok(Vec::new());
            }
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            format!("{} in ({})", crate::argo::WORKFLOW_LABEL, names.join(","))
        }
    };
    let mut pods = list_all(
        &Api::<Pod>::namespaced(client.clone(), ns),
        ListParams::default().labels(&sel),
        ctx,
        "listing pods",
    )
    .await?;
    pods.sort_by(|a, b| {
        ready(b).cmp(&ready(a)).then_with(|| {
            b.metadata
                .creation_timestamp
                .cmp(&a.metadata.creation_timestamp)
        })
    });
    Ok(pods)
}

/// The last `lines` lines of the workload's newest started pod (by creation
/// time, ready or not: during a rollout that is the new version's; for a
/// CronJob, the pod of its newest failed Job), at most
/// [`MAX_NEWEST_TAIL`]. A workload without pods has an empty tail.
pub async fn newest_tail(
    client: &Client,
    t: &WorkloadRef,
    lines: usize,
) -> PortResult<Vec<String>> {
    let ctx = t.cluster.as_str();
    let lines = lines.min(MAX_NEWEST_TAIL);
    if lines == 0 {
        return Ok(Vec::new());
    }
    let pods = if t.kind == WorkloadKind::CronJob {
        last_failed_pods(client, t).await?
    } else if t.kind == WorkloadKind::Pipeline {
        crate::argo::last_failed_pods(client, t).await?
    } else {
        list_pods(client, t).await?
    };
    let Some(pod) = pods
        .iter()
        .filter(|p| has_log(p))
        .max_by(|a, b| {
            a.metadata
                .creation_timestamp
                .cmp(&b.metadata.creation_timestamp)
                .then_with(|| a.name_any().cmp(&b.name_any()))
        })
        .map(|p| p.name_any())
    else {
        return Ok(Vec::new());
    };
    let api: Api<Pod> = Api::namespaced(client.clone(), &t.namespace);
    let o = LogOptions {
        tail_lines: i64::try_from(lines).unwrap_or(i64::MAX),
        max_lines: lines,
        ..LogOptions::default()
    };
    let text = api
        .logs(&pod, &params(&o))
        .await
        .map_err(|e| from_kube(e, ctx, &format!("reading the log of pod {pod}")))?;
    let all: Vec<String> = text.lines().map(str::to_string).collect();
    Ok(all[all.len().saturating_sub(lines)..].to_vec())
}

/// The pods of a CronJob's newest failed Job (by start; none when no kept
/// Job failed): what an on-call engineer reads after a failed run.
async fn last_failed_pods(client: &Client, t: &WorkloadRef) -> PortResult<Vec<Pod>> {
    let ctx = t.cluster.as_str();
    let ns = t.namespace.as_str();
    let c = Api::<CronJob>::namespaced(client.clone(), ns)
        .get(&t.name)
        .await
        .map_err(|e| from_kube(e, ctx, "reading the cronjob"))?;
    let jobs = crate::batch::jobs_in(client, ctx, ns).await?;
    let b = crate::config::BindingConfig::default();
    let runs = crate::batch::runs_owned_by(&b, &jobs, &c.uid().unwrap_or_default());
    let Some(failed) = runs
        .iter()
        .rev()
        .find(|r| r.outcome == modeldeck_core::domain::RunOutcome::Failed)
    else {
        return Ok(Vec::new());
    };
    list_all(
        &Api::<Pod>::namespaced(client.clone(), ns),
        ListParams::default().labels(&format!("job-name={}", failed.job)),
        ctx,
        "listing pods",
    )
    .await
}

/// Whether a container of `p` has started (a waiting one has no log yet).
pub(crate) fn has_log(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.state
                    .as_ref()
                    .is_some_and(|st| st.running.is_some() || st.terminated.is_some())
            })
        })
}

/// Most lines [`newest_tail`] returns.
pub const MAX_NEWEST_TAIL: usize = 1_000;

fn params(o: &LogOptions) -> LogParams {
    LogParams {
        container: o.container.clone(),
        tail_lines: Some(o.tail_lines.max(0)),
        ..LogParams::default()
    }
}

/// The last lines of the workload's first `max_pods` pods.
pub async fn tail(client: &Client, t: &WorkloadRef, o: &LogOptions) -> PortResult<Vec<LogLine>> {
    let ctx = t.cluster.as_str();
    let pods = pods_of(client, t).await?;
    if pods.is_empty() {
        return Err(cluster_error(
            ErrorCode::NotFound,
            ctx,
            format!("{t} has no pods"),
        ));
    }
    let api: Api<Pod> = Api::namespaced(client.clone(), &t.namespace);
    let mut out = VecDeque::new();
    for pod in pods.iter().take(o.max_pods.max(1)) {
        let text = api
            .logs(pod, &params(o))
            .await
            .map_err(|e| from_kube(e, ctx, &format!("reading the log of pod {pod}")))?;
        for l in text.lines() {
            out.push_back(LogLine {
                pod: pod.clone(),
                line: l.to_string(),
            });
            if out.len() > o.max_lines.max(1) {
                out.pop_front();
            }
        }
    }
    Ok(out.into())
}
