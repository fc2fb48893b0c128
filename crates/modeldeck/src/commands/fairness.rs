//! `modeldeck fairness <model> [--version V] [--window 24h] [--check]`:
//! per protected attribute of a model version, each group's positive rate,
//! statistical parity difference (SPD) and disparate impact ratio (DIR)
//! against the reference group, with verdicts and where the numbers come
//! from (live `modeldeck_outcome_total` counters, TrustyAI's gauges, the
//! version's MLflow run metrics). The numbers are `Console::fairness`'s
//! (core's `drift::fairness`), the ones the TUI and promotion gates use.

use super::resolve::{require_model, resolve_version};
use crate::cli::FairnessArgs;
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Paint, Table, clean};
use modeldeck_core::Console;
use modeldeck_core::console::{FairnessNote, FairnessRow, FairnessSource, FairnessView};
use modeldeck_core::domain::RegisteredModel;
use modeldeck_core::drift::fairness::{
    DEFAULT_FAVORABLE, FairnessPolicy, GroupFairness, ReferenceChoice, Thresholds, Verdict,
};
use modeldeck_core::drift::text;
use modeldeck_core::error::{Backend, BackendError};
use serde::Serialize;

/// The `fairness` document.
#[derive(Debug, Serialize)]
pub struct FairnessDoc {
    /// Registered model.
    pub model: String,
    /// The version judged.
    pub version: String,
    /// How the version was chosen: `given`, `served`, `default_alias`,
    /// `latest`.
    pub version_source: &'static str,
    /// Why this version, in one line.
    pub version_reason: String,
    /// The live window, as typed back (`24h`).
    pub window: String,
    /// The window, milliseconds.
    pub window_ms: i64,
    /// End of the window (RFC 3339).
    pub at: String,
    /// Same, Unix milliseconds.
    pub at_ms: i64,
    /// The thresholds used (policy or defaults filled in).
    pub thresholds: Thresholds,
    /// The policy as the profile has it (reference groups, favourable
    /// outcomes); `{}` for the defaults.
    pub policy: FairnessPolicy,
    /// Whether the policy came from the version's reference profile.
    pub policy_from_profile: bool,
    /// `fair`, `unfair`, `too_few`; null without any fairness data.
    pub verdict: Option<Verdict>,
    /// Per source and attribute.
    pub attributes: Vec<FairnessRow>,
    /// Sources that failed, attributes that could not be judged.
    pub notes: Vec<FairnessNote>,
}

/// Runs `fairness`. Exits 0 when the report was printed, 5 with `--check`
/// when an attribute is unfair.
pub async fn run(
    console: &Console,
    args: &FairnessArgs,
    printer: Printer,
) -> Result<Exit, Failure> {
    let model = require_model(console, &args.model).await?;
    let (version, source, reason) =
        choose_version(console, &model, args.version.as_deref()).await?;
    let view = console.fairness(&model.name, &version, args.window).await?;
    let doc = build(view, source, reason);
    printer.print(&doc, |color| render(&doc, color))?;
    Ok(if args.check && doc.verdict == Some(Verdict::Unfair) {
        Exit::Refused
    } else {
        Exit::Ok
    })
}

async fn choose_version(
    console: &Console,
    model: &RegisteredModel,
    wanted: Option<&str>,
) -> Result<(String, &'static str, String), Failure> {
    if let Some(w) = wanted {
        let versions = console.list_versions(&model.name).await?;
        let version = resolve_version(model, &versions, w)?;
        let reason = if version == w.trim_start_matches(['v', 'V']) {
            "given with --version".to_string()
        } else {
            format!("--version {w} names version {version}")
        };
        return Ok((version, "given", reason));
    }
    console.refresh_cluster().await;
    let snap = console.snapshot();
    let mut served: Vec<(String, usize)> = Vec::new();
    for v in snap
        .workloads_of(&model.name)
        .filter_map(|w| w.served_version.clone())
    {
        match served.iter_mut().find(|(s, _)| *s == v) {
            Some((_, n)) => *n += 1,
            None => served.push((v, 1)),
        }
    }
    served.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if let Some((v, n)) = served.into_iter().next() {
        let reason = format!("served by {n} workload{}", if n == 1 { "" } else { "s" });
        return Ok((v, "served", reason));
    }
    let alias = modeldeck_promotion::service::PromotionOptions::default().default_alias;
    if let Some(v) = model.aliases.get(&alias) {
        return Ok((
            v.clone(),
            "default_alias",
            format!("no workload serves it; the {alias} alias"),
        ));
    }
    if let Some(v) = &model.latest_version {
        return Ok((
            v.clone(),
            "latest",
            format!("no workload serves it and it has no {alias} alias; the latest version"),
        ));
    }
    Err(Failure::Backend(BackendError::not_found(
        Backend::Registry,
        format!(
            "model {:?} has no version to judge (none served, no {alias} alias, none registered)",
            model.name
        ),
    )))
}

fn build(view: FairnessView, source: &'static str, reason: String) -> FairnessDoc {
    FairnessDoc {
        model: view.model,
        version: view.version,
        version_source: source,
        version_reason: reason,
        window: text::window(view.window_ms),
        window_ms: view.window_ms,
        at: view.at.rfc3339(),
        at_ms: view.at.0,
        thresholds: view.policy.thresholds(),
        policy: view.policy,
        policy_from_profile: view.policy_from_profile,
        verdict: view.verdict,
        attributes: view.attributes,
        notes: view.notes,
    }
}

fn num(v: Option<f64>, digits: usize) -> Cell {
    Cell::opt(v, |x| format!("{x:.digits$}"))
}

fn paint(v: Verdict) -> Paint {
    match v {
        Verdict::Unfair => Paint::Red,
        Verdict::Fair => Paint::Green,
        Verdict::Reference => Paint::None,
        Verdict::TooFew => Paint::Dim,
    }
}

fn group_row(g: &GroupFairness) -> Vec<Cell> {
    vec![
        Cell::clipped(&g.group, 40),
        Cell::new(format!("{:.0}", g.total)),
        Cell::new(format!("{:.0}", g.positive)),
        Cell::opt(g.rate, |r| format!("{:.1}%", r * 100.0)),
        num(g.spd, 3),
        num(g.dir, 3),
        Cell::painted(g.verdict.label(), paint(g.verdict)),
    ]
}

fn summary(row: &FairnessRow) -> String {
    let a = &row.fairness;
    let mut s = format!(
        "{} ({}): {}",
        clean(&a.attribute),
        row.source.label(),
        a.verdict.label().to_uppercase()
    );
    if let Some(r) = &a.reference {
        let how = match (row.source, a.reference_choice) {
            (_, Some(ReferenceChoice::Policy)) => " (policy)",
            (_, Some(ReferenceChoice::HighestRate)) => " (highest rate)",
            (FairnessSource::Trustyai, None) => " (privileged)",
            _ => "",
        };
        s.push_str(&format!(" · reference {}{how}", clean(r)));
    }
    let fmt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.3}"));
    match &a.worst_group {
        Some(w) => s.push_str(&format!(
            " · worst {}: SPD {}, DIR {}",
            clean(w),
            fmt(a.spd),
            fmt(a.dir)
        )),
        None if a.spd.is_some() || a.dir.is_some() => {
            s.push_str(&format!(" · SPD {}, DIR {}", fmt(a.spd), fmt(a.dir)))
        }
        None => {}
    }
    s.push('\n');
    s
}

fn render(doc: &FairnessDoc, color: bool) -> String {
    let t = &doc.thresholds;
    let mut out = format!(
        "{} v{} ({}) · window {} ending {}\n",
        clean(&doc.model),
        clean(&doc.version),
        clean(&doc.version_reason),
        doc.window,
        doc.at
    );
    let favorable = if doc.policy.favorable.is_empty() {
        DEFAULT_FAVORABLE.join(", ")
    } else {
        doc.policy
            .favorable
            .iter()
            .map(|f| clean(f).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&format!(
        "thresholds ({}): |SPD| <= {}, DIR between {} and {:.3}, groups of {} rows or more; positive outcomes: {favorable}\n",
        match (doc.policy_from_profile, doc.policy.is_default()) {
            (true, false) => "the reference profile's policy",
            (true, true) => "defaults: the reference profile's policy sets none",
            (false, _) => "defaults: no reference profile",
        },
        t.spd_max,
        t.dir_min,
        1.0 / t.dir_min,
        t.min_rows,
    ));
    for row in &doc.attributes {
        out.push('\n');
        out.push_str(&summary(row));
        if !row.fairness.groups.is_empty() {
            let mut tb = Table::new(&[
                "GROUP",
                ">ROWS",
                ">POSITIVE",
                ">RATE",
                ">SPD",
                ">DIR",
                "VERDICT",
            ]);
            for g in &row.fairness.groups {
                tb.row(group_row(g));
            }
            out.push_str(&tb.render(color));
        }
    }
    for n in &doc.notes {
        out.push_str(&format!(
            "note ({}): {}\n",
            n.source.label(),
            clean(&n.message)
        ));
    }
    out.push('\n');
    out.push_str(&match doc.verdict {
        Some(v) => {
            let unfair = doc
                .attributes
                .iter()
                .filter(|r| r.fairness.verdict == Verdict::Unfair)
                .count();
            format!(
                "verdict: {} ({unfair} of {} attribute rows past a threshold)\n",
                v.label().to_uppercase(),
                doc.attributes.len()
            )
        }
        None => format!(
            "no fairness data for {} v{}: export modeldeck_outcome_total{{model,version,attribute,group,outcome}}, \
             run TrustyAI's SPD/DIR, or log fairness.spd.<attribute> / fairness.dir.<attribute> on the run (docs/drift.md)\n",
            clean(&doc.model),
            clean(&doc.version)
        ),
    });
    out.push_str("SPD = P(positive | group) - P(positive | reference); DIR = P(positive | group) / P(positive | reference)\n");
    out
}
