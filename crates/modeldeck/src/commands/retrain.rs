//! `modeldeck retrain <model> --reason R [--context C] [--namespace N]
//! [--dry-run] [--follow]`: starts a run of the model's training pipeline
//! through `Console::retrain` (the one the TUI's `R` calls: pipeline
//! choice, drift numbers of the served version, SelfSubjectAccessReview,
//! the run, the audit entry in this machine's journal), then with
//! `--follow` reads the run until it finishes. The reason is printed
//! neutralized in tables and raw in JSON/YAML.

use crate::cli::{OutputFormat, RetrainArgs};
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Paint, Table, clean};
use modeldeck_app::Session;
use modeldeck_core::console::{RetrainOrder, RetrainOutcome};
use modeldeck_core::domain::{AuditEntry, DriftEvidence, RetrainPhase, RetrainRun, Timestamp};
use modeldeck_core::drift::{Score, text};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use modeldeck_promotion::PromotionError;
use modeldeck_promotion::journal::AuditRecord;
use serde::Serialize;
use std::time::Duration;

/// The `retrain` document.
#[derive(Debug, Serialize)]
pub struct RetrainDoc {
    /// Registered model.
    pub model: String,
    /// The reason, raw.
    pub reason: String,
    /// Who asked (the cluster's name for the caller).
    pub requested_by: String,
    /// Only validated by the server; nothing was created.
    pub dry_run: bool,
    /// The pipeline used.
    pub source: SourceDoc,
    /// The run, as created or as last read with `--follow`.
    pub run: RunDoc,
    /// The drift numbers recorded with the run (`null` when unreadable).
    pub drift: Option<DriftEvidence>,
    /// Why `drift` is null.
    pub drift_note: Option<String>,
    /// Whether the audit entry was written (false for a dry run).
    pub audited: bool,
    /// Whether the run was followed to its end (`--follow`).
    pub followed: bool,
}

/// A training pipeline.
#[derive(Debug, Serialize)]
pub struct SourceDoc {
    /// Cluster (kubeconfig context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// `cron_job` or `workflow_template`.
    pub kind: modeldeck_core::domain::RetrainSourceKind,
    /// Object name.
    pub name: String,
    /// Cron schedule (CronJobs).
    pub schedule: Option<String>,
    /// Suspended CronJob.
    pub suspended: bool,
    /// Images the run executes.
    pub images: Vec<String>,
}

/// A run.
#[derive(Debug, Serialize)]
pub struct RunDoc {
    /// Cluster (kubeconfig context).
    pub cluster: String,
    /// Namespace.
    pub namespace: String,
    /// `job` or `workflow`.
    pub kind: modeldeck_core::domain::RetrainRunKind,
    /// Object name.
    pub name: String,
    /// Object uid (empty for a dry run).
    pub uid: String,
    /// `pending`, `running`, `succeeded`, `failed`.
    pub phase: RetrainPhase,
    /// Pods running, succeeded, failed.
    pub active: u32,
    /// Pods that succeeded.
    pub succeeded: u32,
    /// Pods that failed.
    pub failed: u32,
    /// Creation, start and completion (RFC 3339), when known.
    pub created_at: Option<String>,
    /// When it started running.
    pub started_at: Option<String>,
    /// When it finished.
    pub completed_at: Option<String>,
    /// Why it failed, when the server says.
    pub message: Option<String>,
    /// Its newest pod.
    pub pod: Option<String>,
    /// The last lines of that pod's log (raw), read by `--follow`.
    pub log_tail: Vec<String>,
}

fn rfc(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::rfc3339)
}

fn run_doc(r: &RetrainRun) -> RunDoc {
    RunDoc {
        cluster: r.cluster.clone(),
        namespace: r.namespace.clone(),
        kind: r.kind,
        name: r.name.clone(),
        uid: r.uid.clone(),
        phase: r.phase,
        active: r.active,
        succeeded: r.succeeded,
        failed: r.failed,
        created_at: rfc(r.created_at),
        started_at: rfc(r.started_at),
        completed_at: rfc(r.completed_at),
        message: r.message.clone(),
        pod: r.pod.clone(),
        log_tail: r.log_tail.clone(),
    }
}

fn doc(out: &RetrainOutcome, run: &RetrainRun, followed: bool) -> RetrainDoc {
    let s = &out.source;
    RetrainDoc {
        model: out.request.model.clone(),
        reason: out.request.reason.clone(),
        requested_by: out.request.requested_by.clone(),
        dry_run: out.request.dry_run,
        source: SourceDoc {
            cluster: s.cluster.clone(),
            namespace: s.namespace.clone(),
            kind: s.kind,
            name: s.name.clone(),
            schedule: s.schedule.clone(),
            suspended: s.suspended,
            images: s.containers.iter().map(|c| c.image.clone()).collect(),
        },
        run: run_doc(run),
        drift: out.request.evidence.clone(),
        drift_note: out.evidence_note.clone(),
        audited: out.audited,
        followed,
    }
}

/// Runs `retrain`.
pub async fn run(s: &Session, args: &RetrainArgs) -> Result<Exit, Failure> {
    let printer = Printer::new(args.out);
    let journal = s.promotions()?.journal().clone();
    let audit = move |e: &AuditEntry| {
        journal
            .append(&AuditRecord::new(e.clone()))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let order = RetrainOrder {
        model: args.model.clone(),
        reason: args.reason.clone(),
        context: args.context.clone(),
        namespace: args.namespace.clone(),
        dry_run: args.dry_run,
        window_ms: args.window,
    };
    let out = s.console.retrain(&order, &audit).await.map_err(|e| {
        // A refusal exits as promotions' refusals do; a bad reason or an
        // ambiguous pipeline is the user's to fix.
        match e.code {
            ErrorCode::Forbidden => Failure::Promotion(PromotionError::Forbidden(e)),
            ErrorCode::InvalidRequest => Failure::Usage(e.to_string()),
            _ => Failure::Backend(e),
        }
    })?;
    let mut run = out.run.clone();
    if args.follow {
        let table = args.out.output == OutputFormat::Table;
        run = follow(s, &run, args, table).await?;
    }
    let d = doc(&out, &run, args.follow);
    printer.print(&d, |color| render(&d, color))?;
    Ok(if run.phase == RetrainPhase::Failed {
        Exit::Other
    } else {
        Exit::Ok
    })
}

/// Reads `run` every second until it finishes (or `--follow-timeout`),
/// telling a person each phase change on stderr.
async fn follow(
    s: &Session,
    run: &RetrainRun,
    args: &RetrainArgs,
    tell: bool,
) -> Result<RetrainRun, Failure> {
    let deadline =
        tokio::time::Instant::now() + Duration::from_millis(args.follow_timeout.max(0) as u64);
    let mut last = None;
    loop {
        let now = s.console.retrain_status(run, args.log_lines).await?;
        if tell && last != Some(now.phase) {
            eprintln!("{}: {}", clean(&now.to_string()), now.phase.as_str());
        }
        last = Some(now.phase);
        if now.phase.is_done() {
            return Ok(now);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Failure::Backend(BackendError::new(
                Backend::Cluster,
                ErrorCode::Timeout,
                format!(
                    "{now} is still {} after {}; it keeps running (follow it with kubectl or `modeldeck retrain` status in the TUI)",
                    now.phase.as_str(),
                    text::window(args.follow_timeout)
                ),
            )));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn render(d: &RetrainDoc, color: bool) -> String {
    let mut t = Table::new(&["FIELD", "VALUE"]);
    let phase = match d.run.phase {
        RetrainPhase::Succeeded => Cell::painted("succeeded", Paint::Green),
        RetrainPhase::Failed => Cell::painted("failed", Paint::Red),
        p => Cell::new(p.as_str()),
    };
    let what = if d.dry_run { "would create" } else { "created" };
    t.row(vec![
        Cell::new("run"),
        Cell::new(format!(
            "{what} {}/{} in {}/{}",
            d.run.kind_str(),
            clean(&d.run.name),
            clean(&d.run.cluster),
            clean(&d.run.namespace)
        )),
    ]);
    t.row(vec![Cell::new("phase"), phase]);
    t.row(vec![
        Cell::new("from"),
        Cell::new(format!("{}/{}", d.source.kind_str(), clean(&d.source.name))),
    ]);
    t.row(vec![Cell::new("reason"), Cell::clipped(&d.reason, 100)]);
    t.row(vec![
        Cell::new("requested by"),
        Cell::new(clean(&d.requested_by)),
    ]);
    match &d.drift {
        Some(e) => {
            for f in &e.features {
                let score = Score {
                    method: f.method,
                    value: f.score,
                    statistic: None,
                    threshold: f.threshold,
                    drifted: f.drifted,
                };
                t.row(vec![
                    Cell::new("drift"),
                    Cell::new(format!(
                        "{} {} {} ({}) {}, v{} over {}",
                        clean(&f.feature),
                        f.method.label(),
                        text::score_value(&score),
                        text::threshold(&score),
                        text::verdict(Some(&score)),
                        clean(&e.version),
                        text::window(e.window_ms)
                    )),
                ]);
            }
        }
        None => t.row(vec![
            Cell::new("drift"),
            Cell::new(clean(d.drift_note.as_deref().unwrap_or("none"))),
        ]),
    }
    t.row(vec![
        Cell::new("audited"),
        Cell::new(if d.audited { "yes" } else { "no (dry run)" }),
    ]);
    if let Some(m) = &d.run.message {
        t.row(vec![Cell::new("message"), Cell::clipped(m, 100)]);
    }
    let mut text = t.render(color);
    for l in &d.run.log_tail {
        text.push_str(&format!("  | {}\n", clean(l)));
    }
    text
}

impl RunDoc {
    fn kind_str(&self) -> &'static str {
        self.kind.as_str()
    }
}

impl SourceDoc {
    fn kind_str(&self) -> &'static str {
        self.kind.as_str()
    }
}
