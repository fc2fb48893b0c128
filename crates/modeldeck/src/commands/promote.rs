//! `modeldeck promote request|approve|reject|cancel|execute|status|list` and
//! `modeldeck rollback`: the promotion service's verbs for people and
//! pipelines. Every action is checked and audited by the service (four
//! eyes, RBAC, gates, bound state); this module parses, resolves targets
//! and prints. Refusals exit 5 (nothing changed), a failed execution that
//! was compensated exits 6.

use crate::cli::{ExecuteArgs, IdArgs, ListArgs, PromoteCommand, RequestArgs, RollbackArgs};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Table, clean};
use modeldeck_app::Session;
use modeldeck_core::domain::{
    Approval, Decision, ExecutionPhase, GateResult, GateStatus, Promotion, PromotionOutcome,
    TargetChange, Timestamp, WorkloadRef,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_core::serving_diff::ServingChanges;
use modeldeck_promotion::service::{RollbackReport, Verification};
use modeldeck_promotion::{ExecuteOptions, NewPromotion, PromotionStatus};
use serde::Serialize;

/// One promotion as printed.
#[derive(Debug, Serialize)]
pub struct PromotionDoc {
    /// The promotion (id, model, version, alias, targets, state, approvals, gates).
    #[serde(flatten)]
    pub promotion: Promotion,
    /// Requested at, RFC 3339.
    pub requested_at_rfc3339: String,
    /// Execution phase while executing.
    pub phase: Option<ExecutionPhase>,
    /// How it ended.
    pub outcome: Option<PromotionOutcome>,
    /// Decisions that do not count, with why.
    pub not_counted: Vec<String>,
    /// Registry records that could not be read.
    pub problems: Vec<String>,
    /// For a promoted promotion: where the world no longer matches it.
    pub drift: Vec<String>,
    /// While it waits for approval or execution (`promote status`): per
    /// target, what serving the candidate changes in its spec (empty in
    /// lists, and once executing or ended).
    pub serving_changes: Vec<ServingChanges>,
    /// Once executed (`promote status`): per CronJob or stream consumer
    /// target, whether the new version is verified (empty in lists).
    pub verification: Vec<Verification>,
    /// The deep link that opens it in Modeldeck Desktop
    /// (`modeldeck://promotion/<id>?profile=<p>`).
    pub link: String,
}

impl PromotionDoc {
    /// The printed form of `s`, opened in the desktop by `link`.
    pub fn new(s: PromotionStatus, link: String) -> Self {
        PromotionDoc {
            link,
            requested_at_rfc3339: s.promotion.requested_at.rfc3339(),
            promotion: s.promotion,
            phase: s.phase,
            outcome: s.outcome,
            not_counted: s.not_counted,
            problems: s.problems,
            drift: s.drift,
            serving_changes: s.serving_changes,
            verification: s.verification,
        }
    }
}

/// `promote list`.
#[derive(Debug, Serialize)]
pub struct ListDoc {
    /// `--inbox` was given.
    pub inbox: bool,
    /// The `--model` filter.
    pub model: Option<String>,
    /// How many.
    pub count: usize,
    /// The promotions, newest first.
    pub promotions: Vec<PromotionDoc>,
}

/// `promote execute`.
#[derive(Debug, Serialize)]
pub struct ExecuteDoc {
    /// Promotion id.
    pub id: String,
    /// State now.
    pub state: modeldeck_core::domain::PromotionState,
    /// False when it was already done (nothing written).
    pub wrote: bool,
    /// The gates as evaluated.
    pub gates: Vec<GateResult>,
    /// What happened.
    pub note: String,
    /// Per CronJob or stream consumer target, its verification after the
    /// execution (as `promote status` shows it).
    pub verification: Vec<Verification>,
}

/// `rollback`.
#[derive(Debug, Serialize)]
pub struct RollbackDoc {
    /// The promotion undone.
    pub promotion: String,
    /// Model.
    pub model: String,
    /// Alias.
    pub alias: String,
    /// Version taken out of service.
    pub from_version: String,
    /// Version the alias points at again (`null`: alias removed).
    pub restored_version: Option<String>,
    /// Each target's before and after.
    pub targets: Vec<TargetChange>,
}

impl From<RollbackReport> for RollbackDoc {
    fn from(r: RollbackReport) -> Self {
        RollbackDoc {
            promotion: r.promotion,
            model: r.model,
            alias: r.alias,
            from_version: r.from_version,
            restored_version: r.restored_version,
            targets: r.targets,
        }
    }
}

/// Runs a `promote` subcommand.
pub async fn run(s: &Session, cmd: &PromoteCommand) -> Result<Exit, Failure> {
    let p = s.promotions()?;
    match cmd {
        PromoteCommand::Request(a) => request(s, a).await,
        PromoteCommand::Approve(a) => {
            p.approve(&a.id, &a.comment).await?;
            show(s, &a.id, Printer::new(a.out)).await
        }
        PromoteCommand::Reject(a) => {
            require_comment(&a.comment, "reject")?;
            p.reject(&a.id, &a.comment).await?;
            show(s, &a.id, Printer::new(a.out)).await
        }
        PromoteCommand::Cancel(a) => {
            require_comment(&a.comment, "cancel")?;
            p.cancel(&a.id, &a.comment).await?;
            show(s, &a.id, Printer::new(a.out)).await
        }
        PromoteCommand::Execute(a) => execute(s, a).await,
        PromoteCommand::Status(IdArgs { id, out }) => show(s, id, Printer::new(*out)).await,
        PromoteCommand::List(a) => list(s, a).await,
    }
}

fn require_comment(comment: &str, verb: &str) -> Result<(), Failure> {
    if comment.trim().is_empty() {
        return Err(Failure::Usage(format!(
            "{verb} needs a reason: --comment \"...\" (kept in the audit trail)"
        )));
    }
    Ok(())
}

async fn show(s: &Session, id: &str, printer: Printer) -> Result<Exit, Failure> {
    let doc = PromotionDoc::new(s.promotions()?.status(id).await?, s.promotion_link(id));
    printer.print(&doc, |_| render_one(&doc))?;
    Ok(Exit::Ok)
}

/// Resolves `--target` words against the workloads bound to `model`.
fn resolve_targets(
    s: &Session,
    model: &str,
    words: &[String],
) -> Result<Vec<WorkloadRef>, Failure> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let snap = s.console.snapshot();
    let bound: Vec<&WorkloadRef> = snap
        .workloads
        .iter()
        .filter(|w| w.model.as_deref() == Some(model))
        .map(|w| &w.id)
        .collect();
    let mut out = Vec::new();
    for word in words {
        let hits: Vec<&&WorkloadRef> = bound
            .iter()
            .filter(|r| {
                let parts: Vec<&str> = word.split('/').collect();
                match parts.as_slice() {
                    [name] => r.name == *name,
                    [ns, name] => r.namespace == *ns && r.name == *name,
                    _ => r.to_string() == *word,
                }
            })
            .collect();
        match hits.as_slice() {
            [one] => out.push((**one).clone()),
            [] => {
                let known: Vec<String> = bound.iter().map(|r| r.to_string()).collect();
                return Err(Failure::Usage(format!(
                    "--target {word:?}: no workload bound to model {model:?} matches (bound: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            many => {
                let names: Vec<String> = many.iter().map(|r| r.to_string()).collect();
                return Err(Failure::Usage(format!(
                    "--target {word:?} is ambiguous: {}; use context/namespace/kind/name",
                    names.join(", ")
                )));
            }
        }
    }
    Ok(out)
}

async fn request(s: &Session, a: &RequestArgs) -> Result<Exit, Failure> {
    if !a.targets.is_empty() {
        s.console.refresh_cluster().await;
    }
    let targets = resolve_targets(s, &a.model, &a.targets)?;
    let version = resolve_version(s, &a.model, &a.version).await?;
    let p = s
        .promotions()?
        .request(NewPromotion {
            model: a.model.clone(),
            version,
            alias: a.alias.clone(),
            targets,
            reason: a.reason.clone(),
            id: a.id.clone(),
        })
        .await?;
    show(s, &p.id, Printer::new(a.out)).await
}

/// `7`, `v7` or an alias such as `challenger`.
async fn resolve_version(s: &Session, model: &str, v: &str) -> Result<String, Failure> {
    let digits = v.strip_prefix('v').unwrap_or(v);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(digits.to_string());
    }
    let m = s.console.backends().registry.get_model(model).await?;
    m.aliases.get(v).cloned().ok_or_else(|| {
        Failure::Backend(BackendError::new(
            Backend::Registry,
            ErrorCode::NotFound,
            format!("model {model:?} has no version or alias {v:?}"),
        ))
    })
}

async fn execute(s: &Session, a: &ExecuteArgs) -> Result<Exit, Failure> {
    let r = s
        .promotions()?
        .execute(
            &a.id,
            ExecuteOptions {
                confirm_inconclusive: a.confirm_inconclusive,
                run_now: a.run_now,
                wait: a.wait,
            },
        )
        .await?;
    let verification = match s.promotions()?.status(&r.id).await {
        Ok(st) => st.verification,
        Err(e) => {
            tracing::warn!(promotion = %r.id, error = %e, "verification not read");
            Vec::new()
        }
    };
    let doc = ExecuteDoc {
        id: r.id,
        state: r.state,
        wrote: r.wrote,
        gates: r.gates,
        note: r.note,
        verification,
    };
    Printer::new(a.out).print(&doc, |_| {
        let mut out = format!("{}: {:?}; {}\n", doc.id, doc.state, doc.note);
        out.push_str(&gates_table(&doc.gates));
        out.push_str(&verification_section(&doc.verification));
        out
    })?;
    Ok(Exit::Ok)
}

async fn list(s: &Session, a: &ListArgs) -> Result<Exit, Failure> {
    let all = if a.inbox {
        s.promotions()?.inbox().await?
    } else {
        s.promotions()?.list(a.model.as_deref()).await?
    };
    let promotions: Vec<PromotionDoc> = all
        .into_iter()
        .filter(|p| a.model.as_deref().is_none_or(|m| p.promotion.model == m))
        .map(|p| {
            let link = s.promotion_link(&p.promotion.id);
            PromotionDoc::new(p, link)
        })
        .collect();
    let doc = ListDoc {
        inbox: a.inbox,
        model: a.model.clone(),
        count: promotions.len(),
        promotions,
    };
    Printer::new(a.out).print(&doc, |_| {
        let mut t = Table::new(&[
            "ID",
            "MODEL",
            "VERSION",
            "ALIAS",
            "STATE",
            "REQUESTER",
            "APPROVALS",
            "TARGETS",
            "REQUESTED",
        ]);
        for p in &doc.promotions {
            let pr = &p.promotion;
            let ok = pr.approvals_given();
            t.row(vec![
                Cell::new(&pr.id),
                Cell::new(&pr.model),
                Cell::new(format!("v{}", pr.version)),
                Cell::new(&pr.alias),
                Cell::new(state_word(pr)),
                Cell::new(&pr.requested_by),
                Cell::new(ok.to_string()),
                Cell::new(pr.targets.len().to_string()),
                Cell::new(&p.requested_at_rfc3339),
            ]);
        }
        format!(
            "{}\n{} promotion(s){}\n",
            t.render(false),
            doc.count,
            if doc.inbox { " waiting for you" } else { "" }
        )
    })?;
    Ok(Exit::Ok)
}

/// Runs `rollback`.
pub async fn rollback(s: &Session, a: &RollbackArgs) -> Result<Exit, Failure> {
    let r = s
        .promotions()?
        .rollback(&a.model, a.alias.as_deref(), &a.reason)
        .await?;
    let doc = RollbackDoc::from(r);
    Printer::new(a.out).print(&doc, |_| {
        let mut out = format!(
            "rolled back {} of {}: {} -> {} (promotion {})\n",
            doc.alias,
            doc.model,
            doc.from_version,
            doc.restored_version.as_deref().unwrap_or("(alias removed)"),
            doc.promotion
        );
        for t in &doc.targets {
            out.push_str(&format!(
                "  {}: v{} -> {}\n",
                clean(&t.target.to_string()),
                clean(&t.after_version),
                t.before_version
                    .as_deref()
                    .map_or("(none)".to_string(), |v| format!("v{}", clean(v)))
            ));
        }
        out
    })?;
    Ok(Exit::Ok)
}

fn state_word(p: &Promotion) -> String {
    serde_json::to_value(p.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn gate_word(g: GateStatus) -> &'static str {
    match g {
        GateStatus::Pass => "PASS",
        GateStatus::Fail => "FAIL",
        GateStatus::Inconclusive => "INCONCLUSIVE",
        GateStatus::Pending => "PENDING",
    }
}

fn gates_table(gates: &[GateResult]) -> String {
    let mut t = Table::new(&["GATE", "STATUS", "DETAIL"]);
    for g in gates {
        t.row(vec![
            Cell::new(&g.name),
            Cell::new(gate_word(g.status)),
            Cell::new(&g.detail),
        ]);
    }
    t.render(false)
}

fn approval_line(a: &Approval) -> String {
    let verb = match a.decision {
        Decision::Approve => "approved",
        Decision::Reject => "rejected",
    };
    format!(
        "  {} {verb} at {}{}\n",
        clean(&a.approver),
        Timestamp::rfc3339(a.at),
        if a.comment.is_empty() {
            String::new()
        } else {
            format!(": {}", clean(&a.comment))
        }
    )
}

/// `what changes in production:` with each target's changed fields as
/// `path: before -> after` (`(none)` for a field added or removed).
fn serving_section(changes: &[ServingChanges]) -> String {
    let Some(first) = changes.first() else {
        return String::new();
    };
    let mut out = format!(
        "what changes in production (serving v{}):\n",
        clean(&first.candidate)
    );
    let side = |v: &Option<String>| {
        v.as_deref()
            .map_or("(none)".to_string(), |x| clean(x).into_owned())
    };
    for s in changes {
        out.push_str(&format!(
            "  {}: {}\n",
            clean(&s.target.to_string()),
            clean(&s.summary())
        ));
        for c in &s.changes {
            out.push_str(&format!(
                "    {}: {} -> {}\n",
                clean(&c.path),
                side(&c.before),
                side(&c.after)
            ));
        }
    }
    out
}

fn render_one(d: &PromotionDoc) -> String {
    let p = &d.promotion;
    let mut out = format!(
        "promotion {}\n  {} v{} -> alias {} (was {})\n  state {}{}\n  requested by {} at {}: {}\n",
        clean(&p.id),
        clean(&p.model),
        clean(&p.version),
        clean(&p.alias),
        p.previous_version
            .as_deref()
            .map_or("unset".to_string(), |v| format!("v{v}")),
        state_word(p),
        d.phase
            .map(|ph| format!(" ({ph:?})").to_lowercase())
            .unwrap_or_default(),
        clean(&p.requested_by),
        d.requested_at_rfc3339,
        clean(&p.reason)
    );
    // Percent-encoded, so it holds no terminal control text.
    out.push_str(&format!("  open in the desktop: {}\n", d.link));
    out.push_str("targets:\n");
    for t in &p.targets {
        out.push_str(&format!("  {t}\n"));
    }
    out.push_str(&serving_section(&d.serving_changes));
    out.push_str(&verification_section(&d.verification));
    out.push_str("gates:\n");
    out.push_str(&gates_table(&p.gates));
    out.push_str("\napprovals:\n");
    if p.approvals.is_empty() {
        out.push_str("  none yet\n");
    }
    for a in &p.approvals {
        out.push_str(&approval_line(a));
    }
    for n in &d.not_counted {
        out.push_str(&format!("  not counted: {}\n", clean(n)));
    }
    for n in d.problems.iter().chain(&d.drift) {
        out.push_str(&format!("warning: {}\n", clean(n)));
    }
    if let Some(o) = &d.outcome {
        out.push_str(&format!(
            "outcome: {:?} by {}{}\n",
            o.state,
            clean(&o.by),
            o.reason
                .as_deref()
                .map(|r| format!(": {}", clean(r)))
                .unwrap_or_default()
        ));
    }
    out
}

/// `verification:` and one line per target (with a failed run's log tail);
/// empty when there is nothing to verify.
fn verification_section(v: &[Verification]) -> String {
    if v.is_empty() {
        return String::new();
    }
    let mut out = String::from("verification:\n");
    for e in v {
        out.push_str(&format!(
            "  {} {}: {}\n",
            e.state.label(),
            e.target,
            clean(&e.detail)
        ));
        for l in &e.log_tail {
            out.push_str(&format!("    | {}\n", clean(l)));
        }
    }
    out
}
