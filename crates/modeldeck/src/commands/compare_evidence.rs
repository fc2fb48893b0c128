//! The evidence part of `modeldeck compare`: the schema diff, the data
//! lineage and (with `--curve`) training curves, as JSON fields and as
//! table sections. Each part that could not be read carries its error and
//! leaves the others in place.

use crate::failure::ErrorBody;
use crate::render::table::{Cell, Paint, Table};
use modeldeck_core::compare_curves::CurvePair;
use modeldeck_core::compare_evidence::CompareEvidence;
use modeldeck_core::compare_lineage::{DataVerdict, Lineage};
use modeldeck_core::compare_schema::{ChangeKind, ModelSchema, SchemaDiff};
use modeldeck_core::error::PortResult;
use serde::Serialize;

/// A part of the evidence: its fields, or `error`.
#[derive(Debug, Serialize)]
pub struct PartDoc<T> {
    /// The part, when it was read.
    #[serde(flatten)]
    pub value: Option<T>,
    /// Why it could not be read.
    pub error: Option<ErrorBody>,
}

impl<T> PartDoc<T> {
    fn of(r: PortResult<T>) -> Self {
        match r {
            Ok(v) => PartDoc {
                value: Some(v),
                error: None,
            },
            Err(e) => PartDoc {
                value: None,
                error: Some(ErrorBody::from(&e)),
            },
        }
    }
}

/// One metric's histories: `[step, value]` pairs, value null for NaN.
#[derive(Debug, Serialize)]
pub struct CurveDoc {
    /// Metric key.
    pub metric: String,
    /// A's history, by step.
    pub a: Vec<(i64, Option<f64>)>,
    /// B's history, by step.
    pub b: Vec<(i64, Option<f64>)>,
}

impl From<CurvePair> for CurveDoc {
    fn from(c: CurvePair) -> Self {
        let pts = |h: Vec<modeldeck_core::domain::MetricPoint>| {
            h.into_iter()
                .map(|p| (p.step, p.value.is_finite().then_some(p.value)))
                .collect()
        };
        CurveDoc {
            metric: c.metric,
            a: pts(c.a),
            b: pts(c.b),
        }
    }
}

/// Schema, lineage and curve candidates as documents.
pub fn docs(ev: CompareEvidence) -> (PartDoc<SchemaDiff>, PartDoc<Lineage>, Vec<String>) {
    (
        PartDoc::of(ev.schema),
        PartDoc::of(ev.lineage),
        ev.curve_metrics,
    )
}

fn state_word(s: &ModelSchema) -> String {
    match s {
        ModelSchema::Signature { signature } => format!(
            "{} inputs, {} outputs{}",
            signature.inputs.len(),
            signature.outputs.len(),
            if signature.params.is_empty() {
                String::new()
            } else {
                format!(", {} params", signature.params.len())
            }
        ),
        other => other.missing_reason().unwrap_or("").to_string(),
    }
}

/// The SCHEMA section of the table.
pub fn render_schema(doc: &PartDoc<SchemaDiff>, color: bool) -> String {
    let d = match (&doc.value, &doc.error) {
        (_, Some(e)) => return format!("schema: not read ({}: {})\n", e.code, e.message),
        (Some(d), None) => d,
        (None, None) => return String::new(),
    };
    let mut out = format!("schema: A {}; B {}\n", state_word(&d.a), state_word(&d.b));
    if !d.comparable {
        out.push_str("schema: not compared (a side has no signature)\n");
        return out;
    }
    let breaking = d.changes.iter().filter(|c| c.breaking).count();
    out.push_str(&format!(
        "schema: {} changed, {} unchanged, {breaking} breaking\n",
        d.changes.len(),
        d.unchanged
    ));
    if d.changes.is_empty() {
        return out;
    }
    let mut t = Table::new(&["PART", "COLUMN", "CHANGE", "A", "B", "BREAKING", "WHY"]);
    for c in &d.changes {
        let change = match c.change {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Retyped => "retyped",
            ChangeKind::RequiredChanged => "required",
        };
        let side = |s: &Option<modeldeck_core::compare_schema::ColumnSpec>| match s {
            Some(c) if c.required => Cell::new(c.kind.clone()),
            Some(c) => Cell::new(format!("{} (optional)", c.kind)),
            None => Cell::missing(),
        };
        t.row(vec![
            c.part.word().into(),
            Cell::clipped(&c.name, 32),
            change.into(),
            side(&c.a),
            side(&c.b),
            if c.breaking {
                Cell::painted("yes", Paint::Red)
            } else {
                Cell::painted("no", Paint::Dim)
            },
            Cell::clipped(&c.reason, 70),
        ]);
    }
    out.push_str(&t.render(color));
    out
}

/// The DATA section of the table.
pub fn render_lineage(doc: &PartDoc<Lineage>, color: bool) -> String {
    let l = match (&doc.value, &doc.error) {
        (_, Some(e)) => return format!("data: not read ({}: {})\n", e.code, e.message),
        (Some(l), None) => l,
        (None, None) => return String::new(),
    };
    let mut out = format!("data: {}\n", l.verdict.phrase());
    if l.rows.is_empty() {
        return out;
    }
    let mut t = Table::new(&[
        "CONTEXT",
        "A DATASET",
        "A DIGEST",
        "B DATASET",
        "B DIGEST",
        "SAME",
        ">ROWS A",
        ">ROWS B",
    ]);
    for r in &l.rows {
        let name = |d: &Option<modeldeck_core::compare_lineage::DatasetInput>| {
            d.as_ref()
                .map_or(Cell::missing(), |d| Cell::clipped(&d.name, 30))
        };
        let digest = |d: &Option<modeldeck_core::compare_lineage::DatasetInput>| {
            d.as_ref()
                .map_or(Cell::missing(), |d| Cell::clipped(&d.digest, 12))
        };
        let rows = |d: &Option<modeldeck_core::compare_lineage::DatasetInput>| {
            Cell::opt(d.as_ref().and_then(|d| d.rows), |n| n.to_string())
        };
        t.row(vec![
            r.context.clone().unwrap_or_else(|| "-".into()).into(),
            name(&r.a),
            digest(&r.a),
            name(&r.b),
            digest(&r.b),
            if r.same {
                Cell::painted("yes", Paint::Green)
            } else {
                Cell::painted("no", Paint::Yellow)
            },
            rows(&r.a),
            rows(&r.b),
        ]);
    }
    out.push_str(&t.render(color));
    if l.verdict == DataVerdict::DifferentData {
        for r in l.rows.iter().filter(|r| !r.same) {
            if let (Some(a), Some(b)) = (&r.a, &r.b) {
                let added: Vec<&String> = b
                    .features
                    .iter()
                    .filter(|f| !a.features.contains(f))
                    .collect();
                if !added.is_empty() {
                    let list: Vec<&str> = added.iter().map(|s| s.as_str()).collect();
                    out.push_str(&format!(
                        "data: {} adds columns {}\n",
                        b.name,
                        list.join(", ")
                    ));
                }
            }
        }
    }
    out
}

/// One line per curve: points, first and last value of each side.
pub fn render_curves(curves: &[CurveDoc]) -> String {
    let mut out = String::new();
    for c in curves {
        let sum = |h: &[(i64, Option<f64>)]| match (h.first(), h.last()) {
            (Some(f), Some(l)) => format!(
                "{} steps {}..{}, {} -> {}",
                h.len(),
                f.0,
                l.0,
                f.1.map_or("NaN".into(), crate::render::metric),
                l.1.map_or("NaN".into(), crate::render::metric)
            ),
            _ => "no history".into(),
        };
        out.push_str(&format!(
            "curve {}: A {}; B {}\n",
            c.metric,
            sum(&c.a),
            sum(&c.b)
        ));
    }
    out
}
