//! The `#[tauri::command]`s: each takes the current session, makes the
//! same core or promotion call the CLI verb makes, and returns the core's
//! serialized type (or a view assembled from core types). No decision is
//! made here: refusals are the promotion service's, with its codes.

use crate::error::{DeskResult, DesktopError};
use crate::state::Desk;
use crate::views::{
    AuditView, CardView, ExecutionReport, HealthChart, InboxItem, OpenEvent, PromotionDetail,
    RollbackReport, SessionInfo, inbox_item, slo_thresholds,
};
use crate::{audit, markers, views::BackendView};
use modeldeck_app::Session;
use modeldeck_core::card::build_card;
use modeldeck_core::compare::Comparison;
use modeldeck_core::domain::{ModelVersion, WorkloadRef};
use modeldeck_core::fleet::{FleetRow, fleet_rows};
use modeldeck_promotion::{ExecuteOptions, PromotionStatus, Promotions, Review};
use std::sync::Arc;
use std::time::Duration;
use tauri::State;

/// How long `session_info` waits for the cluster to say who the user is.
const WHOAMI_TIMEOUT: Duration = Duration::from_secs(3);

fn service(s: &Session) -> DeskResult<Arc<Promotions>> {
    Ok(s.promotions()?)
}

fn required(name: &str, what: &str, value: &str) -> DeskResult<()> {
    if value.trim().is_empty() {
        return Err(DesktopError::invalid(format!("{name}: {what} is empty")));
    }
    Ok(())
}

/// The session the window shows: profile, banner, user, profiles, backends.
pub async fn session_info_of(desk: &Desk) -> SessionInfo {
    let s = desk.session();
    let snap = s.console.snapshot();
    let user = match snap.clusters.first() {
        Some(c) => tokio::time::timeout(WHOAMI_TIMEOUT, s.identity(c))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|i| i.username),
        None => None,
    };
    let profiles = modeldeck_core::config::load_file(&s.paths.config)
        .map(|f| f.profiles.into_keys().collect())
        .unwrap_or_default();
    SessionInfo {
        profile: s.profile_name().to_string(),
        sandbox: s.is_sandbox(),
        banner: desk.banner(),
        user,
        profiles,
        backends: BackendView::all(&snap),
    }
}

/// The current session.
#[tauri::command]
pub async fn session_info(desk: State<'_, Desk>) -> DeskResult<SessionInfo> {
    Ok(session_info_of(&desk).await)
}

/// Replaces the session with profile `name` (`null`: the simulated world).
#[tauri::command]
pub async fn open_profile(desk: State<'_, Desk>, name: Option<String>) -> DeskResult<SessionInfo> {
    desk.switch(name).await?;
    Ok(session_info_of(&desk).await)
}

/// The inbox rows of the session (the promotions waiting for the user).
pub async fn inbox_of(s: &Session) -> DeskResult<Vec<InboxItem>> {
    let p = service(s)?;
    let profile = s.profile_name();
    Ok(p.inbox()
        .await?
        .into_iter()
        .map(|st| {
            let need = p.policies().for_model(&st.promotion.model).min_approvals;
            inbox_item(st, need, profile)
        })
        .collect())
}

/// Promotions waiting for the user (`modeldeck promote list --inbox`).
#[tauri::command]
pub async fn inbox(desk: State<'_, Desk>) -> DeskResult<Vec<InboxItem>> {
    inbox_of(&desk.session()).await
}

/// Every promotion, newest first (`modeldeck promote list [--model]`).
#[tauri::command]
pub async fn promotions(
    desk: State<'_, Desk>,
    model: Option<String>,
) -> DeskResult<Vec<PromotionStatus>> {
    let s = desk.session();
    Ok(service(&s)?.list(model.as_deref()).await?)
}

/// A promotion's review, the candidate against the previous version, and
/// the candidate's card.
#[tauri::command]
pub async fn promotion(desk: State<'_, Desk>, id: String) -> DeskResult<PromotionDetail> {
    required("promotion", "the promotion id", &id)?;
    let s = desk.session();
    let review = service(&s)?.review(&id).await?;
    let p = &review.status.promotion;
    let (comparison, comparison_error) = match &p.previous_version {
        Some(prev) => match s.console.compare(&p.model, prev, &p.version).await {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e.to_string())),
        },
        None => (None, None),
    };
    let (card, card_error) = match candidate_card(&s, &p.model, &p.version).await {
        Ok(c) => (Some(c), None),
        Err(e) => (None, Some(e.message)),
    };
    Ok(PromotionDetail {
        review,
        comparison,
        comparison_error,
        card,
        card_error,
    })
}

/// `modeldeck card <model> --version <version>`.
async fn candidate_card(s: &Session, model: &str, version: &str) -> DeskResult<CardView> {
    let m = s.console.backends().registry.get_model(model).await?;
    let side = s.console.version_detail(model, version).await?;
    let card = build_card(&m, Some(&side.version), side.run.as_ref());
    let required = service(s)?
        .policies()
        .for_model(model)
        .card_required
        .clone();
    Ok(CardView::of(card, "given", required))
}

async fn review_after(s: &Session, id: &str) -> DeskResult<Review> {
    Ok(service(s)?.review(id).await?)
}

/// Approves as the current user (`modeldeck promote approve`); returns the
/// review after it.
#[tauri::command]
pub async fn approve(desk: State<'_, Desk>, id: String, comment: String) -> DeskResult<Review> {
    required("approve", "the promotion id", &id)?;
    let s = desk.session();
    service(&s)?.approve(&id, &comment).await?;
    review_after(&s, &id).await
}

/// Rejects as the current user (`modeldeck promote reject`); the service
/// refuses a blank comment (`invalid_input`).
#[tauri::command]
pub async fn reject(desk: State<'_, Desk>, id: String, comment: String) -> DeskResult<Review> {
    required("reject", "the promotion id", &id)?;
    let s = desk.session();
    service(&s)?.reject(&id, &comment).await?;
    review_after(&s, &id).await
}

/// Executes (`modeldeck promote execute [--confirm-inconclusive]
/// [--run-now]`); `run_now` is refused by the service unless every target
/// is a CronJob.
#[tauri::command]
pub async fn execute(
    desk: State<'_, Desk>,
    id: String,
    confirm_inconclusive: Option<bool>,
    run_now: Option<bool>,
) -> DeskResult<ExecutionReport> {
    required("execute", "the promotion id", &id)?;
    let s = desk.session();
    let opts = ExecuteOptions {
        confirm_inconclusive: confirm_inconclusive.unwrap_or(false),
        run_now: run_now.unwrap_or(false),
        ..ExecuteOptions::default()
    };
    Ok(service(&s)?.execute(&id, opts).await?.into())
}

/// Rolls back a promotion (the TUI's roll back; `modeldeck rollback` by
/// model and alias reaches the same service).
#[tauri::command]
pub async fn rollback(
    desk: State<'_, Desk>,
    id: String,
    reason: String,
) -> DeskResult<RollbackReport> {
    required("rollback", "the promotion id", &id)?;
    let s = desk.session();
    Ok(service(&s)?.rollback_promotion(&id, &reason).await?.into())
}

/// The Fleet rows of the current snapshot (`modeldeck status`).
#[tauri::command]
pub async fn fleet(desk: State<'_, Desk>) -> DeskResult<Vec<FleetRow>> {
    Ok(fleet_rows(&desk.session().console.snapshot()))
}

/// A model's versions, newest first (`modeldeck versions`).
#[tauri::command]
pub async fn versions(desk: State<'_, Desk>, model: String) -> DeskResult<Vec<ModelVersion>> {
    required("versions", "the model name", &model)?;
    Ok(desk.session().console.list_versions(&model).await?)
}

/// Two versions compared (`modeldeck compare`).
#[tauri::command]
pub async fn compare(
    desk: State<'_, Desk>,
    model: String,
    a: String,
    b: String,
) -> DeskResult<Comparison> {
    required("compare", "the model name", &model)?;
    required("compare", "version a", &a)?;
    required("compare", "version b", &b)?;
    Ok(desk.session().console.compare(&model, &a, &b).await?)
}

/// A workload's health over `window_ms` for a chart `columns` wide, with
/// its markers (`modeldeck health`, the TUI's workload detail).
#[tauri::command]
pub async fn health(
    desk: State<'_, Desk>,
    cluster: String,
    namespace: String,
    name: String,
    window_ms: i64,
    columns: u32,
) -> DeskResult<HealthChart> {
    let s = desk.session();
    let target = find_workload(&s, &cluster, &namespace, &name)?;
    health_of(&s, &target, window_ms, columns).await
}

/// `target`'s health chart data: the view, its markers, its policy's
/// thresholds (what `health` returns and `save_chart` draws).
pub(crate) async fn health_of(
    s: &Session,
    target: &WorkloadRef,
    window_ms: i64,
    columns: u32,
) -> DeskResult<HealthChart> {
    let view = s.console.health(target, window_ms, columns).await?;
    let p = s.promotions().ok();
    let thresholds = match (&view.model, &p) {
        (Some(model), Some(p)) => slo_thresholds(&p.policies().for_model(model).slo),
        _ => Vec::new(),
    };
    let markers = match &view.model {
        Some(model) => {
            markers::gather(
                &s.console,
                p.as_deref(),
                model,
                std::slice::from_ref(target),
                view.range.start,
            )
            .await
        }
        None => Vec::new(),
    };
    Ok(HealthChart {
        health: view,
        markers,
        thresholds,
    })
}

pub(crate) fn find_workload(
    s: &Session,
    cluster: &str,
    namespace: &str,
    name: &str,
) -> DeskResult<WorkloadRef> {
    let snap = s.console.snapshot();
    snap.workloads
        .iter()
        .map(|w| &w.id)
        .find(|r| r.cluster == cluster && r.namespace == namespace && r.name == name)
        .cloned()
        .ok_or_else(|| {
            DesktopError::not_found(format!(
                "no workload {name:?} in namespace {namespace:?} of cluster {cluster:?}"
            ))
        })
}

/// This machine's audit trail (`modeldeck audit [--model]`) and its chain
/// check (`modeldeck audit verify --local-only`).
#[tauri::command]
pub async fn audit(desk: State<'_, Desk>, model: Option<String>) -> DeskResult<AuditView> {
    let s = desk.session();
    let path = s.journal_path();
    let key = s.journal_key().map(<[u8]>::to_vec);
    let model = model.filter(|m| !m.trim().is_empty());
    tauri::async_runtime::spawn_blocking(move || {
        audit::read(&path, key.as_deref(), model.as_deref())
    })
    .await
    .map_err(|e| DesktopError::new("internal", format!("reading the audit journal: {e}")))?
}

/// The promotion a deep link asked to open before the window listened
/// (`null`: none); taking it clears it. Later links arrive as `open` events.
#[tauri::command]
pub async fn take_open(desk: State<'_, Desk>) -> DeskResult<Option<OpenEvent>> {
    Ok(desk.take_pending_open())
}
