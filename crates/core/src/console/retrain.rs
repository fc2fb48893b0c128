//! Retraining a drifting model, as both front ends ask for it: find the
//! model's training pipeline ([`Console::retrain_sources`], one chosen by
//! [`pick_retrain_source`]), read the drift numbers of its served version,
//! check RBAC, start a run and audit it ([`Console::retrain`]), then follow
//! it ([`Console::retrain_status`]).
//!
//! The audit entry is handed to a sink the caller supplies (the promotion
//! service's journal in the CLI and the TUI), so the core needs no journal
//! of its own and both front ends write the same entry.

use super::Console;
use crate::domain::*;
use crate::error::{Backend, BackendError, ErrorCode, PortResult};
use serde::Serialize;
use serde_json::json;

/// The audit action of a retraining run.
pub const RETRAIN_ACTION: &str = "retrain";

/// Where an audit entry goes (the journal). An error is a sentence naming
/// what failed.
pub type AuditSink<'a> = &'a (dyn Fn(&AuditEntry) -> Result<(), String> + Send + Sync);

/// What a user asks: retrain `model` because `reason`, optionally picking
/// the pipeline's cluster and namespace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetrainOrder {
    /// Registered model.
    pub model: String,
    /// Why (stored raw, at most [`MAX_REASON_BYTES`]).
    pub reason: String,
    /// Only pipelines in this cluster (kubeconfig context).
    pub context: Option<String>,
    /// Only pipelines in this namespace.
    pub namespace: Option<String>,
    /// Validate on the server only; nothing is created or audited.
    pub dry_run: bool,
    /// Window of the drift numbers, milliseconds (0: the default 24 h).
    pub window_ms: i64,
}

/// What [`Console::retrain`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrainOutcome {
    /// The pipeline used.
    pub source: RetrainSource,
    /// The request as sent (reason, who, evidence).
    pub request: RetrainRequest,
    /// The run as created (or as validated, for a dry run).
    pub run: RetrainRun,
    /// Why there are no drift numbers, when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_note: Option<String>,
    /// Whether the audit entry was written (false for a dry run).
    pub audited: bool,
}

/// The one pipeline among `sources` that the order's `context` and
/// `namespace` leave: none is `NotFound` naming the label, several is
/// `InvalidRequest` listing them and the flags that pick one.
pub fn pick_retrain_source(
    model: &str,
    sources: Vec<RetrainSource>,
    context: Option<&str>,
    namespace: Option<&str>,
) -> PortResult<RetrainSource> {
    let total = sources.len();
    let mut left: Vec<RetrainSource> = sources
        .into_iter()
        .filter(|s| context.is_none_or(|c| s.cluster == c))
        .filter(|s| namespace.is_none_or(|n| s.namespace == n))
        .collect();
    match left.len() {
        1 => Ok(left.remove(0)),
        0 => {
            let scope = match (context, namespace) {
                (None, None) => String::new(),
                (c, n) => format!(
                    " in {}{}",
                    c.map(|c| format!("context {c}")).unwrap_or_default(),
                    n.map(|n| format!(" namespace {n}")).unwrap_or_default()
                ),
            };
            let others = if total > 0 {
                format!(" ({total} elsewhere: drop or change --context/--namespace)")
            } else {
                String::new()
            };
            Err(BackendError::new(
                Backend::Cluster,
                ErrorCode::NotFound,
                format!(
                    "no CronJob or WorkflowTemplate labelled {RETRAIN_LABEL}={}{scope}{others}; label the training pipeline to retrain it from here",
                    crate::text::clean(model)
                ),
            ))
        }
        n => {
            let list: Vec<String> = left.iter().map(ToString::to_string).collect();
            Err(BackendError::new(
                Backend::Cluster,
                ErrorCode::InvalidRequest,
                format!(
                    "{n} training pipelines are labelled {RETRAIN_LABEL}={}: {}; pick one with --context and --namespace",
                    crate::text::clean(model),
                    list.join(", ")
                ),
            ))
        }
    }
}

fn check_reason(reason: &str) -> PortResult<()> {
    let bad = |m: String| BackendError::new(Backend::Cluster, ErrorCode::InvalidRequest, m);
    if reason.trim().is_empty() {
        return Err(bad(
            "the reason is empty: say why the model needs retraining (--reason)".into(),
        ));
    }
    if reason.len() > MAX_REASON_BYTES {
        return Err(bad(format!(
            "the reason is {} bytes; at most {MAX_REASON_BYTES} fit in the run's annotation",
            reason.len()
        )));
    }
    Ok(())
}

/// The RBAC check a run needs: `create jobs` (group `batch`) or `create
/// workflows` (group `argoproj.io`) in the pipeline's namespace.
pub fn retrain_access(source: &RetrainSource) -> AccessCheck {
    let (group, resource) = match source.kind {
        RetrainSourceKind::CronJob => ("batch", "jobs"),
        RetrainSourceKind::WorkflowTemplate => ("argoproj.io", "workflows"),
    };
    AccessCheck {
        verb: "create".into(),
        group: group.into(),
        resource: resource.into(),
        namespace: Some(source.namespace.clone()),
    }
}

fn refused(who: &str, source: &RetrainSource, check: &AccessCheck) -> BackendError {
    BackendError::new(
        Backend::Cluster,
        ErrorCode::Forbidden,
        format!(
            "{} may not {} {} (group {}) in namespace {} on {}; nothing was created",
            crate::text::clean(who),
            check.verb,
            check.resource,
            check.group,
            source.namespace,
            source.cluster
        ),
    )
}

impl Console {
    /// Every training pipeline labelled for `model`.
    pub async fn retrain_sources(&self, model: &str) -> PortResult<Vec<RetrainSource>> {
        let c = self.inner.backends.cluster.clone();
        self.bounded(
            Backend::Cluster,
            "listing training pipelines",
            c.retrain_sources(model),
        )
        .await
    }

    /// The drift numbers of the version `model` serves (preferring a
    /// workload in `near`'s cluster and namespace) over `window_ms`, or
    /// why there are none.
    pub async fn retrain_evidence(
        &self,
        model: &str,
        near: &RetrainSource,
        window_ms: i64,
    ) -> Result<DriftEvidence, String> {
        let c = self.inner.backends.cluster.clone();
        let workloads = self
            .bounded(Backend::Cluster, "listing workloads", c.list_workloads())
            .await
            .map_err(|e| format!("the served version could not be read: {e}"))?;
        let mut serving: Vec<&Workload> = workloads
            .iter()
            .filter(|w| w.model.as_deref() == Some(model) && w.served_version.is_some())
            .collect();
        serving.sort_by_key(|w| {
            (
                w.id.cluster != near.cluster,
                w.id.namespace != near.namespace,
            )
        });
        let Some(version) = serving.first().and_then(|w| w.served_version.clone()) else {
            return Err(format!("no workload serves {}", crate::text::clean(model)));
        };
        let window = if window_ms > 0 {
            window_ms
        } else {
            super::DEFAULT_DRIFT_WINDOW
        };
        let view = self
            .drift(model, &version, window)
            .await
            .map_err(|e| format!("drift of v{version} could not be read: {e}"))?;
        Ok(DriftEvidence::from_report(&version, &view.report))
    }

    /// Starts a retraining run: picks the pipeline, reads the drift
    /// numbers, asks who we are and whether we may create the run
    /// (SelfSubjectAccessReview), creates it, and hands the audit entry to
    /// `audit` (refusals too; a dry run is not audited). A refusal is
    /// `Forbidden` naming verb, resource and namespace, with nothing created.
    pub async fn retrain(
        &self,
        order: &RetrainOrder,
        audit: AuditSink<'_>,
    ) -> PortResult<RetrainOutcome> {
        check_reason(&order.reason)?;
        let sources = self.retrain_sources(&order.model).await?;
        let source = pick_retrain_source(
            &order.model,
            sources,
            order.context.as_deref(),
            order.namespace.as_deref(),
        )?;
        let (evidence, evidence_note) = match self
            .retrain_evidence(&order.model, &source, order.window_ms)
            .await
        {
            Ok(e) => (Some(e), None),
            Err(note) => (None, Some(note)),
        };
        let c = self.inner.backends.cluster.clone();
        let requested_by = match self
            .bounded(
                Backend::Cluster,
                "asking who I am",
                c.whoami(&source.cluster),
            )
            .await
        {
            Ok(id) => id.username,
            Err(e) if e.code == ErrorCode::Unsupported => "unknown".into(),
            Err(e) => return Err(e),
        };
        let request = RetrainRequest {
            model: order.model.clone(),
            reason: order.reason.clone(),
            requested_by,
            evidence,
            dry_run: order.dry_run,
        };
        let check = retrain_access(&source);
        let allowed = match self
            .bounded(
                Backend::Cluster,
                "checking access",
                c.can_i(&source.cluster, &check),
            )
            .await
        {
            Ok(a) => a,
            // No access review here: the server decides on create.
            Err(e) if e.code == ErrorCode::Unsupported => true,
            Err(e) => return Err(e),
        };
        let started = if allowed {
            self.bounded(
                Backend::Cluster,
                "starting a retraining run",
                c.start_retrain(&source, &request),
            )
            .await
        } else {
            Err(refused(&request.requested_by, &source, &check))
        };
        let run = match started {
            Ok(run) => run,
            Err(e) => {
                if e.code == ErrorCode::Forbidden && !order.dry_run {
                    let entry = self.retrain_entry(&source, &request, None, &e.to_string());
                    if let Err(why) = audit(&entry) {
                        tracing::warn!("the refused retraining could not be audited: {why}");
                    }
                }
                return Err(e);
            }
        };
        let mut audited = false;
        if !order.dry_run {
            let entry = self.retrain_entry(&source, &request, Some(&run), "ok");
            audit(&entry).map_err(|why| {
                BackendError::new(
                    Backend::Cluster,
                    ErrorCode::ServerError,
                    format!("{run} was created but could not be audited: {why}"),
                )
            })?;
            audited = true;
        }
        Ok(RetrainOutcome {
            source,
            request,
            run,
            evidence_note,
            audited,
        })
    }

    /// `run` as it is now, with the last `log_lines` lines of its pod.
    pub async fn retrain_status(
        &self,
        run: &RetrainRun,
        log_lines: usize,
    ) -> PortResult<RetrainRun> {
        let c = self.inner.backends.cluster.clone();
        self.bounded(
            Backend::Cluster,
            "reading a retraining run",
            c.retrain_status(run, log_lines),
        )
        .await
    }

    /// The audit entry of a retraining (`outcome` `ok` with the run, or
    /// `refused: ...` without one).
    fn retrain_entry(
        &self,
        source: &RetrainSource,
        request: &RetrainRequest,
        run: Option<&RetrainRun>,
        outcome: &str,
    ) -> AuditEntry {
        let outcome = if outcome == "ok" {
            outcome.to_string()
        } else {
            format!("refused: {outcome}")
        };
        AuditEntry {
            at: self.now(),
            actor: request.requested_by.clone(),
            action: RETRAIN_ACTION.into(),
            subject: format!("model {}", request.model),
            before: serde_json::Value::Null,
            after: json!({
                "model": request.model,
                "reason": request.reason,
                "requested_by": request.requested_by,
                "source": {"cluster": source.cluster, "namespace": source.namespace,
                           "kind": source.kind, "name": source.name},
                "run": run.map(|r| json!({"cluster": r.cluster, "namespace": r.namespace,
                                          "kind": r.kind, "name": r.name, "uid": r.uid})),
                "drift": request.evidence,
            }),
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(cluster: &str, ns: &str) -> RetrainSource {
        RetrainSource {
            cluster: cluster.into(),
            namespace: ns.into(),
            name: "m-retrain".into(),
            kind: RetrainSourceKind::CronJob,
            model: "m".into(),
            schedule: None,
            suspended: true,
            containers: Vec::new(),
        }
    }

    #[test]
    fn none_names_the_label_and_two_are_listed() {
        let e = pick_retrain_source("m", Vec::new(), None, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert!(e.message.contains("modeldeck.io/retrain-for=m"), "{e}");
        let two = vec![src("a", "x"), src("b", "x")];
        let e = pick_retrain_source("m", two.clone(), None, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.message.contains("cronjob/m-retrain in a/x"), "{e}");
        assert!(e.message.contains("cronjob/m-retrain in b/x"), "{e}");
        assert_eq!(
            pick_retrain_source("m", two.clone(), Some("b"), None)
                .unwrap()
                .cluster,
            "b"
        );
        let e = pick_retrain_source("m", two, Some("c"), None).unwrap_err();
        assert!(e.message.contains("2 elsewhere"), "{e}");
    }

    #[test]
    fn reasons_are_checked() {
        assert!(check_reason("  ").is_err());
        assert!(check_reason(&"x".repeat(MAX_REASON_BYTES + 1)).is_err());
        assert!(check_reason("lag_7d shifted").is_ok());
    }
}
