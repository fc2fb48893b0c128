//! The promotion work the UI asks for, run against a
//! [`modeldeck_promotion::Promotions`] service: the inbox and the list, one
//! promotion's review (status with live gates, approvals, allowed actions),
//! an action (request, approve, reject, execute, roll back, cancel), and
//! the targets' recent events and log tails. Errors become the service's
//! own words, never a panic.

use futures::future::join_all;
use modeldeck_core::Console;
use modeldeck_core::domain::{ClusterEvent, PromotionState, WorkloadRef};
use modeldeck_core::error::PortResult;
use modeldeck_core::report::ErrorReport;
use modeldeck_promotion::{
    ActionKind, ExecuteOptions, NewPromotion, PromotionStatus, Promotions, Review,
};

/// Log lines read per target.
pub const LOG_LINES: usize = 20;

/// One row of the Promotions list.
#[derive(Debug, Clone, PartialEq)]
pub struct PromoRow {
    /// The promotion as listed (approval checklist, no live metric gates).
    pub status: PromotionStatus,
    /// True when it waits for the current user (the inbox).
    pub inbox: bool,
    /// Approvals that count now.
    pub valid: usize,
    /// Approvals the model's policy requires.
    pub need: u32,
}

/// The inbox and every promotion, inbox first, then newest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PromoLists {
    /// Rows.
    pub rows: Vec<PromoRow>,
    /// Why the inbox could not be read (the list still shows).
    pub inbox_error: Option<String>,
}

/// A promotion action with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    /// Ask for a promotion.
    Request(NewPromotion),
    /// An action on an existing promotion, with the comment or reason typed.
    On {
        /// Promotion id.
        id: String,
        /// Which.
        action: ActionKind,
        /// Comment (approve, reject) or reason (roll back, cancel).
        text: String,
        /// Execute: the user confirmed inconclusive gates.
        confirm_inconclusive: bool,
        /// Execute: start one run of each CronJob target now (`r`).
        run_now: bool,
    },
}

/// What a target shows during a rollout: its recent events and log tail.
#[derive(Debug, Clone)]
pub struct TargetActivity {
    /// The workload.
    pub target: WorkloadRef,
    /// Recent events, oldest first.
    pub events: PortResult<Vec<ClusterEvent>>,
    /// The last lines of its newest pod's log.
    pub logs: PortResult<Vec<String>>,
}

/// What the service said about an action: the promotion it concerns and a
/// one-line account (success) or its refusal or failure in its own words.
#[derive(Debug, Clone, PartialEq)]
pub struct Acted {
    /// Promotion id (for a request: the new one, when it succeeded).
    pub id: Option<String>,
    /// The outcome in words.
    pub result: Result<String, ErrorReport>,
}

/// The message shown when no service is configured.
pub const NOT_CONFIGURED: &str = "promotions are not configured for this profile";

/// Reads the list and the inbox.
pub async fn lists(svc: &Promotions) -> Result<PromoLists, ErrorReport> {
    let (all, inbox) = futures::join!(svc.list(None), svc.inbox());
    let all = all.map_err(|e| ErrorReport::from(&e))?;
    let (inbox_ids, inbox_error): (Vec<String>, _) = match inbox {
        Ok(v) => (v.into_iter().map(|s| s.promotion.id).collect(), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let mut rows: Vec<PromoRow> = all
        .into_iter()
        .map(|status| {
            let approved = status.promotion.approvals_given();
            PromoRow {
                inbox: inbox_ids.contains(&status.promotion.id),
                valid: approved.saturating_sub(status.not_counted.len()),
                need: svc
                    .policies()
                    .for_model(&status.promotion.model)
                    .min_approvals,
                status,
            }
        })
        .collect();
    // Stable: inbox first, each part keeps the service's newest-first order.
    rows.sort_by_key(|r| !r.inbox);
    Ok(PromoLists { rows, inbox_error })
}

/// Reads one promotion's review.
pub async fn review(svc: &Promotions, id: &str) -> Result<Box<Review>, ErrorReport> {
    svc.review(id)
        .await
        .map(Box::new)
        .map_err(|e| ErrorReport::from(&e))
}

/// Runs an action.
pub async fn act(svc: &Promotions, act: &Act) -> Acted {
    match act {
        Act::Request(input) => match svc.request(input.clone()).await {
            Ok(p) => Acted {
                result: Ok(format!(
                    "requested {} v{} -> {} as {} ({} target{})",
                    p.model,
                    p.version,
                    p.alias,
                    p.id,
                    p.targets.len(),
                    if p.targets.len() == 1 { "" } else { "s" }
                )),
                id: Some(p.id),
            },
            Err(e) => Acted {
                id: input.id.clone(),
                result: Err(ErrorReport::from(&e)),
            },
        },
        Act::On {
            id,
            action,
            text,
            confirm_inconclusive,
            run_now,
        } => {
            let result = match action {
                ActionKind::Approve => svc.approve(id, text).await.map(|p| decided("approved", &p)),
                ActionKind::Reject => svc.reject(id, text).await.map(|p| decided("rejected", &p)),
                ActionKind::Cancel => svc.cancel(id, text).await.map(|_| "cancelled".to_string()),
                ActionKind::Execute => {
                    let opts = ExecuteOptions {
                        confirm_inconclusive: *confirm_inconclusive,
                        run_now: *run_now,
                        ..ExecuteOptions::default()
                    };
                    svc.execute(id, opts)
                        .await
                        .map(|r| format!("{:?}: {}", r.state, r.note))
                }
                ActionKind::Rollback => svc.rollback_promotion(id, text).await.map(|r| {
                    format!(
                        "rolled back: {} v{} -> {}",
                        r.alias,
                        r.from_version,
                        r.restored_version
                            .as_deref()
                            .map_or("nothing".to_string(), |v| format!("v{v}"))
                    )
                }),
            };
            Acted {
                id: Some(id.clone()),
                result: result.map_err(|e| ErrorReport::from(&e)),
            }
        }
    }
}

fn decided(word: &str, p: &modeldeck_core::domain::Promotion) -> String {
    let state = match p.state {
        PromotionState::Approved => "now Approved".to_string(),
        s => format!("now {s:?}"),
    };
    format!("{word} {} v{}; {state}", p.model, p.version)
}

/// Events and log tails of `targets`, read side by side.
pub async fn activity(console: &Console, targets: &[WorkloadRef]) -> Vec<TargetActivity> {
    let cluster = console.backends().cluster.clone();
    let reads = targets.iter().map(|t| {
        let cluster = cluster.clone();
        async move {
            let (events, logs) = futures::join!(cluster.events(t), cluster.log_tail(t, LOG_LINES));
            TargetActivity {
                target: t.clone(),
                events,
                logs,
            }
        }
    });
    join_all(reads).await
}
