//! The text of a promotion's detail, as lines: the left column (summary,
//! progress, actions, gates, approvals, evidence) and the right one
//! (targets' live state, what the promotion changes in their specs
//! (`serving.rs`; after the gates in one column), recent events, log tails). Every string from the
//! registry or the cluster goes through `clean`.

use super::PromoState;
use crate::format;
use crate::jobs::TargetActivity;
use crate::theme;
use crate::views::card::{self, CardPanel};
use crate::views::{Fetched, RenderCtx};
use modeldeck_core::domain::{Decision, GateStatus, Timestamp};
use modeldeck_core::text::clean;
use modeldeck_promotion::{ActionKind, Review};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Events shown per target.
const EVENTS_PER_TARGET: usize = 6;
/// Log lines shown per target.
const LOG_LINES_SHOWN: usize = 8;

pub(super) struct Ctx<'a> {
    pub rc: &'a RenderCtx<'a>,
    pub promo: &'a PromoState,
    pub id: &'a str,
    pub review: &'a Review,
    pub review_error: Option<&'a str>,
    pub activity: &'a Fetched<Vec<TargetActivity>>,
    /// The candidate's card data.
    pub card: &'a CardPanel,
    /// Width of a column (the card is wrapped to it).
    pub width: u16,
    /// Two columns: the card ends the left one (the right one starts
    /// with the health charts).
    pub two: bool,
}

fn c(s: &str) -> String {
    clean(s).into_owned()
}

fn heading(s: &str) -> Line<'static> {
    Line::styled(s.to_string(), theme::title())
}

fn kv(k: &str, v: String, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:<11}"), theme::dim()),
        Span::styled(v, style),
    ])
}

fn ago(now: Timestamp, t: Timestamp) -> String {
    format!("{} ago", format::age(now, t))
}

/// Summary, progress, actions, gates, approvals, evidence.
pub(super) fn left(x: &Ctx) -> Vec<Line<'static>> {
    let rv = x.review;
    let p = &rv.status.promotion;
    let now = x.rc.now;
    let mut out = vec![Line::from(vec![
        Span::styled(c(&p.model), theme::key()),
        Span::styled(
            format!(" v{} → {}", c(&p.version), c(&p.alias)),
            theme::text(),
        ),
        Span::styled(
            format!(
                "  (was {})",
                p.previous_version
                    .as_deref()
                    .map_or("nothing".into(), |v| format!("v{}", c(v)))
            ),
            theme::dim(),
        ),
    ])];
    // Near the top, so it is read before anything is approved or executed.
    if let Some(u) = super::identity::Unbound::of(p) {
        out.push(Line::styled(u.sentence(), u.style()));
    }
    out.extend([
        kv(
            "state",
            match &rv.status.phase {
                Some(ph) => format!("{} ({ph:?})", super::state_word(p.state)),
                None => super::state_word(p.state).to_string(),
            },
            state_style(p.state),
        ),
        kv(
            "requested",
            format!("by {} {}", c(&p.requested_by), ago(now, p.requested_at)),
            theme::text(),
        ),
        kv("reason", c(&p.reason), theme::text()),
    ]);
    if let Some(o) = &rv.status.outcome
        && let Some(r) = &o.reason
    {
        out.push(kv("outcome", c(r), theme::warn()));
    }
    let outcome_reason = rv.status.outcome.as_ref().and_then(|o| o.reason.as_ref());
    if let Some(e) = rv
        .exec
        .as_ref()
        .and_then(|e| e.note.as_ref())
        .filter(|n| Some(*n) != outcome_reason)
    {
        out.push(kv("note", c(e), theme::warn()));
    }
    for d in rv.status.drift.iter().chain(&rv.status.problems) {
        out.push(kv("⚠", c(d), theme::warn()));
    }
    if let Some(e) = x.review_error {
        out.push(kv(
            "⚠ stale",
            format!("last re-read failed: {}", c(e)),
            theme::warn(),
        ));
    }
    progress(x, &mut out);
    out.push(Line::raw(""));
    out.extend(super::verification::lines(&rv.status.verification));
    actions(x, &mut out);
    out.push(Line::raw(""));
    gates(rv, &mut out);
    out.push(Line::raw(""));
    // One column: after the gates (the right column's place is far below).
    if !x.two {
        out.extend(super::serving::lines(&rv.status.serving_changes, x.width));
    }
    if !x.two {
        model_card(x, &mut out);
        out.push(Line::raw(""));
    }
    approvals(rv, now, &mut out);
    out.push(Line::raw(""));
    evidence(rv, &mut out);
    if x.two {
        out.push(Line::raw(""));
        model_card(x, &mut out);
    }
    out
}

fn progress(x: &Ctx, out: &mut Vec<Line<'static>>) {
    if let Some(a) = &x.promo.acting
        && a.id.as_deref() == Some(x.id)
    {
        out.push(Line::styled(
            format!(
                "⟳ {} running for {}: watch the targets on the right",
                a.label,
                format::age(x.rc.now, a.started)
            ),
            theme::loading(),
        ));
    }
    if let Some((id, what, res)) = &x.promo.last
        && id.as_deref() == Some(x.id)
    {
        out.push(match res {
            Ok(m) => Line::styled(format!("✓ {what}: {}", c(m)), theme::ok()),
            Err(e) => Line::styled(format!("✗ {what}: {}", c(&e.message)), theme::error()),
        });
    }
}

fn key_of(a: ActionKind) -> &'static str {
    match a {
        ActionKind::Approve => "a",
        ActionKind::Reject => "r",
        ActionKind::Execute => "x",
        ActionKind::Rollback => "u",
        ActionKind::Cancel => "c",
    }
}

fn actions(x: &Ctx, out: &mut Vec<Line<'static>>) {
    let who = x.review.actor.as_deref().map_or("unknown".to_string(), c);
    out.push(heading(&format!("Actions (you are {who})")));
    if let Some(a) = &x.promo.acting {
        out.push(Line::styled(
            format!("  ⏳ {} is running: actions wait for its result", a.label),
            theme::loading(),
        ));
    }
    for check in &x.review.actions {
        let label = format!("  {} {:<10}", key_of(check.action), check.action.verb());
        let line = match &check.blocked {
            None => {
                let mut spans = vec![
                    Span::styled(label, theme::key()),
                    Span::styled("✓ available".to_string(), theme::ok()),
                ];
                if let Some(n) = &check.note {
                    spans.push(Span::styled(format!("  ⚠ {}", c(n)), theme::warn()));
                }
                Line::from(spans)
            }
            Some(why) => Line::from(vec![
                Span::styled(label, theme::dim()),
                Span::styled(format!("✗ {}", c(why)), theme::dim()),
            ]),
        };
        out.push(line);
    }
}

fn gates(rv: &Review, out: &mut Vec<Line<'static>>) {
    out.push(heading(if rv.status.promotion.state.is_terminal() {
        "Gates (approvals as they read now; metric gates are not re-run)"
    } else {
        "Gates"
    }));
    let g = &rv.status.promotion.gates;
    if g.is_empty() {
        out.push(Line::styled("  none evaluated", theme::dim()));
    }
    let width = g
        .iter()
        .map(|g| g.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(28);
    let word_of = |s: GateStatus| match s {
        GateStatus::Pass => ("✓", "pass", theme::ok()),
        GateStatus::Fail => ("✗", "FAIL", theme::error()),
        GateStatus::Inconclusive => ("?", "inconclusive", theme::warn()),
        GateStatus::Pending => ("…", "pending", theme::dim()),
    };
    let words = g
        .iter()
        .map(|x| word_of(x.status).1.len())
        .max()
        .unwrap_or(4);
    for gate in g {
        let (mark, word, style) = word_of(gate.status);
        out.push(Line::from(vec![
            Span::styled(format!("  {mark} {word:<words$} "), style),
            Span::styled(format!("{:<width$}  ", c(&gate.name)), theme::key()),
            Span::styled(c(&gate.detail), theme::text()),
        ]));
    }
}

/// The candidate version's card, what the policy requires and lacks.
fn model_card(x: &Ctx, out: &mut Vec<Line<'static>>) {
    let p = &x.review.status.promotion;
    out.push(heading(&format!(
        "Model card ({} v{})",
        c(&p.model),
        c(&p.version)
    )));
    let Some(d) = x.card.data_for(&p.model, Some(&p.version)) else {
        let what = format!("v{}'s card", c(&p.version));
        let line = x
            .card
            .status_line(&what)
            .unwrap_or_else(|| Line::styled(format!("⟳ reading {what}…"), theme::loading()));
        out.push(indent(line));
        return;
    };
    let Some(m) = x.rc.snap.model(&p.model) else {
        out.push(Line::styled(
            "  the registered model is not in the registry's list: no card",
            theme::warn(),
        ));
        return;
    };
    let built = modeldeck_core::card::build_card(m, d.version.as_ref(), d.run.as_ref());
    let width = x.width.saturating_sub(2);
    out.extend(
        card::lines(&built, &d.required, width)
            .into_iter()
            .map(indent),
    );
}

fn indent(line: Line<'static>) -> Line<'static> {
    let mut spans = vec![Span::raw("  ")];
    spans.extend(line.spans);
    Line::from(spans).style(line.style)
}

fn approvals(rv: &Review, now: Timestamp, out: &mut Vec<Line<'static>>) {
    let valid = rv.approvals.iter().filter(|a| a.counts).count();
    out.push(heading(&format!(
        "Approvals ({valid} of {} counted)",
        rv.min_approvals
    )));
    if rv.approvals.is_empty() {
        out.push(Line::styled("  none yet", theme::dim()));
    }
    for a in &rv.approvals {
        let ap = &a.approval;
        let (mark, word, style) = match (ap.decision, a.counts) {
            (Decision::Reject, _) => ("✗", "rejected", theme::error()),
            (Decision::Approve, true) => ("✓", "approved", theme::ok()),
            (Decision::Approve, false) => ("✗", "approved (not counted)", theme::warn()),
        };
        let expiry = if a.expires_at > now {
            format!("expires in {}", format::age(a.expires_at, now))
        } else {
            format!("expired {}", ago(now, a.expires_at))
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {mark} "), style),
            Span::styled(c(&ap.approver), theme::key()),
            Span::styled(format!(" {word} {} · {expiry}", ago(now, ap.at)), style),
        ]));
        if !ap.comment.is_empty() {
            out.push(Line::styled(
                format!("      “{}”", c(&ap.comment)),
                theme::text(),
            ));
        }
        if let Some(p) = &a.problem {
            out.push(Line::styled(format!("      {}", c(p)), theme::warn()));
        }
    }
}

fn evidence(rv: &Review, out: &mut Vec<Line<'static>>) {
    out.push(heading("Evidence (what approvals are bound to)"));
    let r = &rv.status.promotion;
    out.push(kv(
        "  subject",
        format!(
            "{} v{}, source run {}{}",
            c(&r.model),
            c(&r.version),
            rv.candidate_run.as_deref().map_or("none".into(), c),
            match (&rv.requested_run, &rv.candidate_run) {
                (Some(a), Some(b)) if a == b => String::new(),
                (Some(a), _) => format!(" (recorded at request: {})", c(a)),
                (None, _) => " (not recorded at request)".into(),
            }
        ),
        theme::text(),
    ));
    if rv.approvals.is_empty() {
        out.push(Line::styled(
            "  an approval will bind the run, the champion and each target's uid@resourceVersion",
            theme::dim(),
        ));
    }
    for a in &rv.approvals {
        let ap = &a.approval;
        out.push(Line::from(vec![
            Span::styled("  by ", theme::dim()),
            Span::styled(c(&ap.approver), theme::key()),
            Span::styled(
                format!(
                    ": run {}, champion {}",
                    ap.bound_run.as_deref().map_or("none".into(), c),
                    a.champion
                        .as_deref()
                        .map_or("none".into(), |v| format!("v{}", c(v)))
                ),
                theme::text(),
            ),
        ]));
        for (target, stamp) in &ap.bound_workloads {
            out.push(Line::styled(
                format!("      {}  uid@rv {}", c(target), c(stamp)),
                theme::dim(),
            ));
        }
    }
}

/// Targets' live state, events, logs.
pub(super) fn right(x: &Ctx) -> Vec<Line<'static>> {
    let p = &x.review.status.promotion;
    let snap = x.rc.snap;
    let mut out = vec![heading("Targets (live)")];
    if p.targets.is_empty() {
        out.push(Line::styled("  none: only the alias moves", theme::dim()));
    }
    for t in &p.targets {
        let found = snap
            .workloads
            .binary_search_by(|w| w.id.cmp(t))
            .ok()
            .and_then(|i| snap.workloads.get(i));
        out.push(Line::styled(
            format!("  {}", c(&t.to_string())),
            theme::key(),
        ));
        let Some(w) = found else {
            out.push(Line::styled(
                "      not in the cluster's list",
                theme::warn(),
            ));
            continue;
        };
        let row = modeldeck_core::fleet::fleet_row(snap, w);
        let style = match row.rollout.as_str() {
            "Available" => theme::ok(),
            "Progressing" => theme::loading(),
            "Degraded" => theme::error(),
            _ => theme::warn(),
        };
        let rollout = match &row.rollout_detail {
            Some(d) => format!("{} ({})", row.rollout, c(d)),
            None => row.rollout.clone(),
        };
        let canary = w.canary.as_ref().map_or(String::new(), |cn| {
            format!(", canary v{} at {}%", c(&cn.version), cn.traffic_percent)
        });
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "      serves {} · {}/{} ready{canary} · ",
                    format::version(w.served_version.as_deref()),
                    row.ready,
                    row.desired
                ),
                theme::text(),
            ),
            Span::styled(rollout, style),
        ]));
        out.push(Line::styled(
            format!("      uid@rv {}@{}", c(&w.uid), c(&w.resource_version)),
            theme::dim(),
        ));
    }
    out.push(Line::raw(""));
    if x.two {
        out.extend(super::serving::lines(
            &x.review.status.serving_changes,
            x.width,
        ));
    }
    activity(x, &mut out);
    out
}

fn activity(x: &Ctx, out: &mut Vec<Line<'static>>) {
    let now = x.rc.now;
    let Some(all) = &x.activity.data else {
        out.push(match &x.activity.error {
            Some((e, _)) => Line::styled(format!("✗ events and logs: {}", c(e)), theme::error()),
            None if x.activity.pending.is_some() => {
                Line::styled("⟳ reading events and logs…", theme::loading())
            }
            None => Line::styled("no target: no events or logs", theme::dim()),
        });
        return;
    };
    out.push(heading("Recent events"));
    for a in all {
        match &a.events {
            Ok(evs) if evs.is_empty() => out.push(Line::styled(
                format!("  {}: none", target_label(&a.target)),
                theme::dim(),
            )),
            Ok(evs) => {
                for e in evs.iter().rev().take(EVENTS_PER_TARGET) {
                    let style = if e.kind == "Warning" {
                        theme::warn()
                    } else {
                        theme::text()
                    };
                    out.push(Line::from(vec![
                        Span::styled(format!("  {:>4} ", format::age(now, e.at)), theme::dim()),
                        Span::styled(format!("{} ", target_label(&a.target)), theme::key()),
                        Span::styled(format!("{} ", c(&e.reason)), style),
                        Span::styled(c(&e.message), theme::text()),
                    ]));
                }
            }
            Err(e) => out.push(Line::styled(
                format!(
                    "  {}: cannot read events: {}",
                    target_label(&a.target),
                    c(&e.to_string())
                ),
                theme::error(),
            )),
        }
    }
    out.push(Line::raw(""));
    out.push(heading("Pod log tail"));
    for a in all {
        out.push(Line::styled(
            format!("  {}", target_label(&a.target)),
            theme::key(),
        ));
        match &a.logs {
            Ok(l) if l.is_empty() => out.push(Line::styled("    (no log lines)", theme::dim())),
            Ok(l) => {
                let skip = l.len().saturating_sub(LOG_LINES_SHOWN);
                for line in l.iter().skip(skip) {
                    out.push(Line::styled(format!("    {}", c(line)), theme::dim()));
                }
            }
            Err(e) if e.code == modeldeck_core::error::ErrorCode::Unsupported => {
                out.push(Line::styled(
                    format!("    logs unsupported here: {}", c(&e.message)),
                    theme::warn(),
                ))
            }
            Err(e) => out.push(Line::styled(
                format!("    cannot read logs: {}", c(&e.to_string())),
                theme::error(),
            )),
        }
    }
}

fn target_label(t: &modeldeck_core::domain::WorkloadRef) -> String {
    c(&format!("{}/{}", t.cluster, t.name))
}

fn state_style(s: modeldeck_core::domain::PromotionState) -> Style {
    use modeldeck_core::domain::PromotionState as S;
    match s {
        S::Promoted | S::Approved => theme::ok(),
        S::Rejected | S::RolledBack => theme::error(),
        S::Executing => theme::loading(),
        S::Cancelled => theme::dim(),
        S::Requested => theme::warn(),
    }
}
