//! The exporter's counters back in time, as OpenMetrics text for
//! `promtool tsdb create-blocks-from openmetrics` (`sandbox serve
//! --backfill`): a Prometheus started on the backfill has the world's past
//! hours at once, and the live scrapes continue the same series (no reset).
//! The format is what promtool 2.42 reads: seconds timestamps, counter
//! families named without `_total`, each family whole with its samples in
//! time order, `# EOF` last. The PSI gauge is left out (it is the drift at
//! an instant; the live scrapes carry it).

use super::{Exporter, whole_second};
use modeldeck_core::domain::Timestamp;
use std::fmt::Write as _;
use std::sync::PoisonError;
use std::time::Duration;

/// Longest history [`Exporter::history`] writes.
pub const MAX_HISTORY: Duration = Duration::from_secs(7 * 86_400);
/// The last [`FINE_SPAN_MS`] of a history are sampled this often, so a
/// Prometheus started on it has the rate windows (`5m`) filled at once.
pub const FINE_STEP_MS: i64 = 15_000;
/// See [`FINE_STEP_MS`].
pub const FINE_SPAN_MS: i64 = 600_000;

/// One family across the steps: name, kind, help, and per step its time
/// (seconds) and sample lines.
struct Family {
    name: String,
    kind: String,
    help: String,
    steps: Vec<(i64, Vec<String>)>,
}

impl Exporter {
    /// The `span` before the world's now, one sample every `step` (every
    /// 15 s over the last 10 minutes), as OpenMetrics text; the exporter's
    /// counters then stand at its last sample (now, to the second) and
    /// later renders continue from there.
    ///
    /// Errors (a message naming the value): the exporter has rendered
    /// already (its counters cannot go back), `span` is 0 or above
    /// [`MAX_HISTORY`], `step` is under 10 s or above `span`.
    pub fn history(&self, span: Duration, step: Duration) -> Result<String, String> {
        if span.is_zero() || span > MAX_HISTORY {
            return Err(format!(
                "history of {} s: between 1 s and {} s (7 days)",
                span.as_secs(),
                MAX_HISTORY.as_secs()
            ));
        }
        if step < Duration::from_secs(10) || step > span {
            return Err(format!(
                "history step of {} s: at least 10 s and at most the span ({} s)",
                step.as_secs(),
                span.as_secs()
            ));
        }
        let w = self.shared.lock();
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if st.until.is_some() {
            return Err("the exporter has rendered already: its history must come first".into());
        }
        let step_ms = step.as_millis() as i64;
        let n = span.as_millis() as i64 / step_ms;
        let end = whole_second(w.now);
        let start = end.plus_millis(-n * step_ms);
        let fine_from = end.plus_millis(-FINE_SPAN_MS.min(n * step_ms));
        let mut times: Vec<Timestamp> = (0..=n)
            .map(|k| start.plus_millis(k * step_ms))
            .take_while(|t| *t < fine_from)
            .collect();
        let mut t = fine_from;
        while t <= end {
            times.push(t);
            t = t.plus_millis(FINE_STEP_MS.min(step_ms));
        }
        let mut families: Vec<Family> = Vec::new();
        for t in times {
            st.advance(&w, t);
            let mut body = String::new();
            st.write(&w, &mut body, false);
            collect(&body, t.0 / 1000, &mut families);
        }
        let lines: usize = families
            .iter()
            .flat_map(|f| &f.steps)
            .map(|s| s.1.len())
            .sum();
        let mut out = String::with_capacity(lines * 140);
        for f in &families {
            let name = match f.kind.as_str() {
                "counter" => f.name.strip_suffix("_total").unwrap_or(&f.name),
                _ => &f.name,
            };
            let _ = writeln!(out, "# HELP {name} {}", f.help);
            let _ = writeln!(out, "# TYPE {name} {}", f.kind);
            for (secs, samples) in &f.steps {
                for s in samples {
                    let _ = writeln!(out, "{s} {secs}");
                }
            }
        }
        out.push_str("# EOF\n");
        Ok(out)
    }
}

/// Adds one step's text-format body to `families` (same order every step).
fn collect(body: &str, secs: i64, families: &mut Vec<Family>) {
    let mut i = None;
    let mut help = String::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = rest.split_once(' ').map_or("", |p| p.1).to_string();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let at = match families.iter().position(|f| f.name == name) {
                Some(at) => at,
                None => {
                    families.push(Family {
                        name: name.to_string(),
                        kind: kind.to_string(),
                        help: help.clone(),
                        steps: Vec::new(),
                    });
                    families.len() - 1
                }
            };
            if let Some(f) = families.get_mut(at) {
                f.steps.push((secs, Vec::new()));
            }
            i = Some(at);
        } else if let Some(f) = i.and_then(|i| families.get_mut(i))
            && let Some(step) = f.steps.last_mut()
        {
            step.1.push(line.to_string());
        }
    }
}
