//! The events drawn on a workload's health charts, gathered exactly as the
//! TUI's `modeldeck_tui::markers::gather` does (deploys from the rollout
//! history, approvals, promotions and rollbacks from the promotion
//! records): the desktop does not link the terminal UI, so the same core
//! calls are made here. Best effort: a source that cannot be read is left
//! out.

use modeldeck_core::Console;
use modeldeck_core::chart::{Marker, MarkerKind};
use modeldeck_core::domain::{Decision, Timestamp, WorkloadRef};
use modeldeck_promotion::Promotions;
use modeldeck_promotion::service::HistoryKind;

/// Markers of `model` from `from` on, oldest first.
pub async fn gather(
    console: &Console,
    promotions: Option<&Promotions>,
    model: &str,
    targets: &[WorkloadRef],
    from: Timestamp,
) -> Vec<Marker> {
    let mut out = Vec::new();
    for t in targets {
        match console.revisions(t).await {
            Ok(revs) => out.extend(revs.into_iter().filter(|r| r.at >= from).map(|r| {
                let image = r
                    .images
                    .first()
                    .map(|i| i.rsplit('/').next().unwrap_or(i).to_string())
                    .unwrap_or_default();
                let what = r.cause.clone().unwrap_or(image);
                Marker {
                    at: r.at.0,
                    kind: MarkerKind::Deploy,
                    label: format!("{} rev {}: {what}", t.cluster, r.revision),
                }
            })),
            Err(e) => tracing::debug!(target = %t, error = %e, "rollout history not read"),
        }
    }
    if let Some(svc) = promotions {
        match svc.history(model, None).await {
            Ok(events) => out.extend(events.into_iter().filter(|e| e.at >= from).filter_map(|e| {
                let kind = match e.kind {
                    HistoryKind::Promoted => MarkerKind::Promotion,
                    HistoryKind::RolledBack => MarkerKind::Rollback,
                    HistoryKind::Aborted => return None,
                };
                let serving = e.serving.as_deref().unwrap_or("?");
                let before = e.previous.as_deref().unwrap_or("?");
                Some(Marker {
                    at: e.at.0,
                    kind,
                    label: format!("{} v{before} → v{serving} by {}", kind.word(), e.by),
                })
            })),
            Err(e) => tracing::debug!(%model, error = %e, "promotion history not read"),
        }
        match svc.list(Some(model)).await {
            Ok(list) => {
                for st in list {
                    let p = &st.promotion;
                    out.extend(
                        p.approvals
                            .iter()
                            .filter(|a| a.at >= from && a.decision == Decision::Approve)
                            .map(|a| Marker {
                                at: a.at.0,
                                kind: MarkerKind::Approval,
                                label: format!("v{} by {}", p.version, a.approver),
                            }),
                    );
                }
            }
            Err(e) => tracing::debug!(%model, error = %e, "promotions not listed"),
        }
    }
    out.sort_by_key(|m| m.at);
    out
}
