//! `modeldeck cluster install [--dry-run]` and `modeldeck cluster check`:
//! the shipped manifests (CRDs, the approval admission policy and its
//! binding, example ClusterRoles) printed, applied to, or compared with
//! each kubeconfig context. No session: only the kubeconfig is read.

use crate::cli::{ClusterCommand, ClusterTargetArgs};
use crate::failure::{Exit, Failure};
use crate::render::table::{Cell, Table};
use crate::render::{Printer, write_stdout};
use modeldeck_app::cluster_admin::{self, Action, ContextReport, Contexts, manifests};
use serde::Serialize;

/// `modeldeck cluster check -o json`: the documented shape.
#[derive(Debug, Serialize)]
pub struct CheckDocument {
    /// True when every context has every required object as shipped.
    pub as_shipped: bool,
    /// Per context.
    pub contexts: Vec<ContextCheck>,
}

/// One context in [`CheckDocument`].
#[derive(Debug, Serialize)]
pub struct ContextCheck {
    /// Whether the CRDs, the policy and its binding are as shipped here.
    pub as_shipped: bool,
    /// The report.
    #[serde(flatten)]
    pub report: ContextReport,
}

fn contexts(t: &ClusterTargetArgs) -> Contexts {
    match t.contexts.as_slice() {
        [] => Contexts::Current,
        [one] if one == "*" => Contexts::All,
        many => Contexts::Named(many.to_vec()),
    }
}

/// Runs a `cluster` subcommand.
pub async fn run(cmd: &ClusterCommand) -> Result<Exit, Failure> {
    match cmd {
        ClusterCommand::Install(a) if a.dry_run => {
            write_stdout(&manifests::multi_document_yaml())?;
            Ok(Exit::Ok)
        }
        ClusterCommand::Install(a) => {
            let reports = go(&a.target, Action::Install).await?;
            let mut failed = false;
            for r in &reports {
                if let Some(e) = &r.error {
                    failed = true;
                    eprintln!("{}: {e}", r.context);
                }
                for o in &r.objects {
                    match (&o.outcome, &o.detail) {
                        (Some(out), _) => {
                            println!("{}: {} {} {out:?}", r.context, o.kind, o.name)
                        }
                        (None, d) => {
                            failed = true;
                            eprintln!(
                                "{}: {} {}: {}",
                                r.context,
                                o.kind,
                                o.name,
                                d.as_deref().unwrap_or("failed")
                            );
                        }
                    }
                }
            }
            Ok(if failed { Exit::Other } else { Exit::Ok })
        }
        ClusterCommand::Check(a) => {
            let reports = go(&a.target, Action::Check).await?;
            let contexts: Vec<ContextCheck> = reports
                .into_iter()
                .map(|report| ContextCheck {
                    as_shipped: cluster_admin::as_shipped(&report),
                    report,
                })
                .collect();
            let doc = CheckDocument {
                as_shipped: contexts.iter().all(|c| c.as_shipped),
                contexts,
            };
            Printer::new(a.out).print(&doc, |color| table(&doc, color))?;
            Ok(if doc.as_shipped {
                Exit::Ok
            } else {
                Exit::Other
            })
        }
    }
}

async fn go(t: &ClusterTargetArgs, action: Action) -> Result<Vec<ContextReport>, Failure> {
    let paths: Vec<std::path::PathBuf> = t.kubeconfig.iter().cloned().collect();
    cluster_admin::run(&paths, &contexts(t), action)
        .await
        .map_err(Failure::Usage)
}

fn table(doc: &CheckDocument, color: bool) -> String {
    let mut t = Table::new(&["CONTEXT", "KIND", "NAME", "STATE", "DETAIL"]);
    for c in &doc.contexts {
        if let Some(e) = &c.report.error {
            t.row(vec![
                Cell::new(&c.report.context),
                Cell::missing(),
                Cell::missing(),
                Cell::new("unreachable"),
                Cell::new(e),
            ]);
        }
        for o in &c.report.objects {
            let state = match o.state {
                Some(s) => format!("{s:?}"),
                None => "error".into(),
            };
            t.row(vec![
                Cell::new(&c.report.context),
                Cell::new(&o.kind),
                Cell::new(&o.name),
                Cell::new(state),
                Cell::opt(o.detail.as_deref(), String::from),
            ]);
        }
    }
    let mut out = t.render(color);
    for c in &doc.contexts {
        out.push_str(&if c.as_shipped {
            format!(
                "{}: approvals are identity-bound (CRDs and policy as shipped)\n",
                c.report.context
            )
        } else {
            format!(
                "{}: approvals are not identity-bound (CRDs or policy missing or changed)\n",
                c.report.context
            )
        });
    }
    out
}
