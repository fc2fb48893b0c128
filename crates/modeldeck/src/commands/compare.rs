//! `modeldeck compare <model> <a> <b>`: two versions (numbers or aliases)
//! side by side; metric deltas are `b - a` and the winner follows each
//! metric's direction (higher or lower is better).

use super::resolve::{require_model, resolve_version};
use super::versions::status_name;
use crate::cli::CompareArgs;
use crate::failure::{Exit, Failure};
use crate::render::table::{Cell, Paint, Table};
use crate::render::{Printer, metric, signed};
use modeldeck_core::Console;
use modeldeck_core::compare::{Comparison, Direction, MetricDelta, Side, ValueDiff, Winner};
use serde::Serialize;

#[path = "compare_evidence.rs"]
mod evidence;
pub use evidence::{CurveDoc, PartDoc};
use modeldeck_core::compare_lineage::Lineage;
use modeldeck_core::compare_schema::SchemaDiff;

/// Longest param or tag value a table shows (JSON has them whole).
const VALUE_WIDTH: usize = 40;

/// The `compare` document.
#[derive(Debug, Serialize)]
pub struct CompareDoc {
    /// Registered model.
    pub model: String,
    /// First version.
    pub a: SideDoc,
    /// Second version.
    pub b: SideDoc,
    /// Metrics each side wins.
    pub score: ScoreDoc,
    /// `a`, `b` or `tie`: the side that wins more metrics.
    pub winner: &'static str,
    /// True when only differences are listed (`--diff-only`).
    pub diff_only: bool,
    /// Metrics, sorted by key.
    pub metrics: Vec<MetricDoc>,
    /// Run params, sorted by key.
    pub params: Vec<ValueDiff>,
    /// Version tags, sorted by key.
    pub tags: Vec<ValueDiff>,
    /// The two signatures compared (or `error`).
    pub schema: PartDoc<SchemaDiff>,
    /// The two runs' datasets compared (or `error`).
    pub lineage: PartDoc<Lineage>,
    /// Metrics both runs logged: what `--curve` accepts, losses first.
    pub curve_metrics: Vec<String>,
    /// With `--curve`: each named metric's history in both runs.
    pub curves: Vec<CurveDoc>,
}

/// One side of the comparison.
#[derive(Debug, Serialize)]
pub struct SideDoc {
    /// What was asked for (`champion`, `v6`, `6`).
    pub requested: String,
    /// The version it resolved to.
    pub version: String,
    /// Aliases on that version.
    pub aliases: Vec<String>,
    /// Registration status.
    pub status: &'static str,
    /// Training run id.
    pub run_id: Option<String>,
    /// Registration time.
    pub created_at: String,
    /// Same, Unix milliseconds.
    pub created_at_ms: i64,
}

/// Win counts.
#[derive(Debug, Serialize)]
pub struct ScoreDoc {
    /// Metrics A wins.
    pub a: usize,
    /// Metrics B wins.
    pub b: usize,
    /// Metrics equal within tolerance.
    pub ties: usize,
    /// Metrics without a verdict (missing or NaN on a side).
    pub unknown: usize,
}

/// One metric compared.
#[derive(Debug, Serialize)]
pub struct MetricDoc {
    /// Metric key.
    pub key: String,
    /// Value of A.
    pub a: Option<f64>,
    /// Value of B.
    pub b: Option<f64>,
    /// `b - a`.
    pub delta: Option<f64>,
    /// `100 * (b - a) / |a|`; `null` when A is 0 or missing.
    pub delta_pct: Option<f64>,
    /// `higher_is_better` or `lower_is_better`.
    pub direction: Direction,
    /// `a`, `b`, `tie` or `unknown`.
    pub winner: Winner,
    /// The promotion policy's tolerance for this metric's gate (relative,
    /// 0.005 = 0.5 %), which decided the tie; `null` when no gate names it.
    pub gate_tolerance: Option<f64>,
}

/// Resolves both references and prints the comparison.
///
/// Errors: `not_found` (exit 3) for an unknown model, version or alias;
/// registry errors (exit 4).
pub async fn run(console: &Console, args: &CompareArgs, printer: Printer) -> Result<Exit, Failure> {
    let m = require_model(console, &args.model).await?;
    let versions = console.list_versions(&m.name).await?;
    let va = resolve_version(&m, &versions, &args.a)?;
    let vb = resolve_version(&m, &versions, &args.b)?;
    let cmp = console.compare(&m.name, &va, &vb).await?;
    let mut curves = Vec::new();
    for metric in &args.curve {
        curves.push(CurveDoc::from(console.compare_curve(&cmp, metric).await?));
    }
    let ev = console.compare_evidence(&cmp).await;
    let mut doc = build(cmp, args);
    let (schema, lineage, curve_metrics) = evidence::docs(ev);
    doc.schema = schema;
    doc.lineage = lineage;
    doc.curve_metrics = curve_metrics;
    doc.curves = curves;
    printer.print(&doc, |color| render(&doc, color))?;
    Ok(Exit::Ok)
}

/// The document for a comparison.
pub fn build(cmp: Comparison, args: &CompareArgs) -> CompareDoc {
    let count = |w: Winner| cmp.metrics.iter().filter(|m| m.winner == w).count();
    let score = ScoreDoc {
        a: count(Winner::A),
        b: count(Winner::B),
        ties: count(Winner::Tie),
        unknown: count(Winner::Unknown),
    };
    let winner = match score.a.cmp(&score.b) {
        std::cmp::Ordering::Greater => "a",
        std::cmp::Ordering::Less => "b",
        std::cmp::Ordering::Equal => "tie",
    };
    let keep_metric = |m: &MetricDelta| !args.diff_only || m.winner != Winner::Tie;
    let keep_value = |v: &ValueDiff| !args.diff_only || v.differs;
    CompareDoc {
        model: cmp.model.clone(),
        a: side_doc(&cmp.a, &args.a),
        b: side_doc(&cmp.b, &args.b),
        score,
        winner,
        diff_only: args.diff_only,
        metrics: cmp
            .metrics
            .into_iter()
            .filter(keep_metric)
            .map(metric_doc)
            .collect(),
        params: cmp.params.into_iter().filter(keep_value).collect(),
        tags: cmp.tags.into_iter().filter(keep_value).collect(),
        schema: PartDoc {
            value: None,
            error: None,
        },
        lineage: PartDoc {
            value: None,
            error: None,
        },
        curve_metrics: Vec::new(),
        curves: Vec::new(),
    }
}

fn side_doc(side: &Side, requested: &str) -> SideDoc {
    let v = &side.version;
    SideDoc {
        requested: requested.to_string(),
        version: v.version.clone(),
        aliases: v.aliases.clone(),
        status: status_name(v.status),
        run_id: v.run_id.clone(),
        created_at: v.created_at.rfc3339(),
        created_at_ms: v.created_at.0,
    }
}

fn metric_doc(m: MetricDelta) -> MetricDoc {
    let delta_pct = match (m.a, m.delta) {
        (Some(a), Some(d)) if a != 0.0 && a.is_finite() => Some(100.0 * d / a.abs()),
        _ => None,
    };
    MetricDoc {
        key: m.key,
        a: m.a,
        b: m.b,
        delta: m.delta,
        delta_pct,
        direction: m.direction,
        winner: m.winner,
        gate_tolerance: m.gate_tolerance,
    }
}

fn side_label(s: &SideDoc) -> String {
    if s.aliases.is_empty() {
        format!("v{}", s.version)
    } else {
        format!("v{} ({})", s.version, s.aliases.join(","))
    }
}

fn render(doc: &CompareDoc, color: bool) -> String {
    let mut out = format!(
        "{}: A = {}, B = {}\n\n",
        doc.model,
        side_label(&doc.a),
        side_label(&doc.b)
    );
    let mut t = Table::new(&[
        "METRIC",
        ">A",
        ">B",
        ">DELTA",
        ">DELTA%",
        "BETTER",
        ">GATE TOL",
        "WINNER",
    ]);
    for m in &doc.metrics {
        let (winner, paint) = match m.winner {
            Winner::A => ("A", Paint::Green),
            Winner::B => ("B", Paint::Green),
            Winner::Tie => ("tie", Paint::Dim),
            Winner::Unknown => ("?", Paint::Yellow),
        };
        let better = match m.direction {
            Direction::HigherIsBetter => "higher",
            Direction::LowerIsBetter => "lower",
        };
        t.row(vec![
            m.key.as_str().into(),
            Cell::opt(m.a, metric),
            Cell::opt(m.b, metric),
            Cell::opt(m.delta, signed),
            Cell::opt(m.delta_pct, |p| {
                format!("{}%", signed((p * 100.0).round() / 100.0))
            }),
            better.into(),
            Cell::opt(m.gate_tolerance, |t| format!("±{}%", metric(t * 100.0))),
            Cell::painted(winner, paint),
        ]);
    }
    out.push_str(&t.render(color));
    let s = &doc.score;
    let overall = match doc.winner {
        "a" => format!("A wins: {}", side_label(&doc.a)),
        "b" => format!("B wins: {}", side_label(&doc.b)),
        _ => "no winner".to_string(),
    };
    out.push_str(&format!(
        "\nscore: A {}, B {}, ties {}, unknown {}: {overall}\n",
        s.a, s.b, s.ties, s.unknown
    ));
    for (title, rows) in [("PARAM", &doc.params), ("TAG", &doc.tags)] {
        if rows.is_empty() {
            continue;
        }
        let mut t = Table::new(&[title, "A", "B", "DIFFERS"]);
        for r in rows.iter() {
            t.row(vec![
                r.key.as_str().into(),
                r.a.as_deref()
                    .map_or(Cell::missing(), |v| Cell::clipped(v, VALUE_WIDTH)),
                r.b.as_deref()
                    .map_or(Cell::missing(), |v| Cell::clipped(v, VALUE_WIDTH)),
                if r.differs {
                    Cell::painted("yes", Paint::Yellow)
                } else {
                    Cell::painted("no", Paint::Dim)
                },
            ]);
        }
        out.push('\n');
        out.push_str(&t.render(color));
    }
    for part in [
        evidence::render_schema(&doc.schema, color),
        evidence::render_lineage(&doc.lineage, color),
        evidence::render_curves(&doc.curves),
    ] {
        if !part.is_empty() {
            out.push('\n');
            out.push_str(&part);
        }
    }
    out
}
