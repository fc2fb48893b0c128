//! `modeldeck versions <model> --metric <name>`: one metric across every
//! version of a model (MLflow #4806), the series the desktop's Model screen
//! charts: one point per version whose training run logged the metric,
//! with its aliases, and the versions without a value, each with why.

use super::resolve::require_model;
use crate::failure::{Exit, Failure, closest};
use crate::render::table::{Cell, Paint, Table};
use crate::render::{Printer, metric};
use modeldeck_core::Console;
use modeldeck_core::error::{Backend, BackendError};
use modeldeck_core::version_metrics::{self, MetricHistory};

/// Bars for the table's trend column, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Prints `name` across the versions of `model`.
///
/// Errors: `not_found` (exit 3) for an unknown model, or a metric no
/// version's run logged (naming the closest one, or those there are);
/// registry errors (exit 4).
pub async fn run(
    console: &Console,
    model: &str,
    name: &str,
    printer: Printer,
) -> Result<Exit, Failure> {
    let m = require_model(console, model).await?;
    let name = name.trim();
    if name.is_empty() {
        return Err(Failure::Usage("--metric needs a metric name".into()));
    }
    let history = version_metrics::read(console, &m.name, Some(name)).await?;
    if !history.metrics.iter().any(|k| k == name) {
        return Err(unknown_metric(&history, name));
    }
    printer.print(&history, |color| render(&history, color))?;
    Ok(Exit::Ok)
}

fn unknown_metric(h: &MetricHistory, name: &str) -> Failure {
    let what = format!("metric \"{name}\" in the runs of model \"{}\"", h.model);
    let hint = match closest(name, h.metrics.iter().map(String::as_str)) {
        Some(k) => format!("did you mean \"{k}\"?"),
        None if h.metrics.is_empty() => "no version's run logged a metric".to_string(),
        None => format!("logged: {}", h.metrics.join(", ")),
    };
    Failure::Backend(BackendError::not_found(
        Backend::Registry,
        format!("{what} not found ({hint})"),
    ))
}

/// Every version in order, its value and a bar placing it between the
/// lowest and highest value; then what is missing.
fn render(h: &MetricHistory, color: bool) -> String {
    let name = h.metric.as_deref().unwrap_or("-");
    let mut t = Table::new(&[
        "VERSION".to_string(),
        format!(">{}", name.to_uppercase()),
        "TREND".to_string(),
        "ALIASES".to_string(),
    ]);
    let lo = h
        .points
        .iter()
        .map(|p| p.value)
        .fold(f64::INFINITY, f64::min);
    let hi = h
        .points
        .iter()
        .map(|p| p.value)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut rows: Vec<(u64, &str, Vec<Cell>)> = h
        .points
        .iter()
        .map(|p| {
            let paint = if p.aliases.is_empty() {
                Paint::None
            } else {
                Paint::Green
            };
            let cells = vec![
                Cell::new(format!("v{}", p.version)),
                Cell::new(metric(p.value)),
                Cell::new(bar(p.value, lo, hi).to_string()),
                Cell::painted(p.aliases.join(","), paint),
            ];
            (p.number, p.version.as_str(), cells)
        })
        .collect();
    rows.extend(h.missing.iter().map(|m| {
        let cells = vec![
            Cell::new(format!("v{}", m.version)),
            Cell::missing(),
            Cell::painted(m.reason.clone(), Paint::Yellow),
            Cell::new(m.aliases.join(",")),
        ];
        (m.number, m.version.as_str(), cells)
    }));
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, cells) in rows {
        t.row(cells);
    }
    let mut out = t.render(color);
    out.push_str(&format!(
        "\n{}: {name} in {} of {} versions\n",
        h.model,
        h.points.len(),
        h.points.len() + h.missing.len()
    ));
    out
}

/// The bar for `v` on the scale from `lo` to `hi` (the middle one when
/// every value is the same).
fn bar(v: f64, lo: f64, hi: f64) -> char {
    if lo.is_nan() || hi.is_nan() || hi <= lo {
        return BARS[BARS.len() / 2];
    }
    let i = ((v - lo) / (hi - lo) * (BARS.len() - 1) as f64).round() as usize;
    BARS[i.min(BARS.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_span_lowest_to_highest() {
        assert_eq!(bar(0.5, 0.5, 0.9), '▁');
        assert_eq!(bar(0.9, 0.5, 0.9), '█');
        assert_eq!(bar(0.7, 0.7, 0.7), '▅');
        assert_eq!(bar(f64::NAN, 0.5, 0.9), '▁');
    }
}
