//! The simulated world as a Prometheus scrape target: `/metrics` in the
//! text exposition format 0.0.4 with the series Modeldeck's default PromQL
//! templates read (docs/metrics.md, docs/drift.md):
//!
//! - `model_predictions_total{cluster,model,namespace,workload,status}`
//!   (`ok` / `error`), from each workload's request rate and error ratio;
//! - `model_request_latency_seconds` (histogram, fixed buckets), a
//!   log-normal through each workload's p50 and p99;
//! - `model_feature_drift_psi{cluster,model,namespace,workload,feature}`
//!   (gauge), the PSI the Fleet shows;
//! - `modeldeck_feature_value{model,version,feature}` (histogram, buckets
//!   at the version's reference profile edges), `modeldeck_feature_category_total`,
//!   `modeldeck_feature_missing_total`, `modeldeck_prediction_value` and
//!   `modeldeck_prediction_category_total`: the live distributions of
//!   every version that served rows;
//! - `modeldeck_outcome_total{model,version,attribute,group,outcome}`,
//!   the fairness counters of a model with a protected attribute;
//! - `kafka_consumergroup_lag`, `kafka_consumergroup_current_offset` and
//!   `kafka_consumergroup_lag_seconds{cluster,consumergroup,topic,partition}`
//!   (gauges) of every stream consumer, kafka_exporter's names
//!   ([`streams`]).
//!
//! Counters are cumulative since the exporter's first render (they start
//! at 0), integrated from the world's rates slice by slice (slices of at
//! most a minute, one per second when scraped every second) with the
//! expected counts, no noise; so `increase()` over a window is what the
//! world served in it. Workloads carry a `cluster` label because the same
//! namespace and workload name exist in several simulated clusters: set
//! the profile's `promql.cluster_label = "cluster"`. [`Exporter::history`]
//! writes the counters' past as OpenMetrics for a promtool backfill, and
//! the live renders continue from its end.

use crate::drift::{self, live};
use crate::health;
use crate::shared::Shared;
use crate::world::World;
use modeldeck_core::domain::{Signal, Timestamp};
use modeldeck_core::drift::{Distribution, FeatureProfile, LiveCounts};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

/// The `Content-Type` of [`Exporter::render`]'s body.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency histogram's buckets, seconds (then `+Inf`).
/// Fine enough that `histogram_quantile`'s linear interpolation lands
/// near the simulated p50/p95/p99 (tens to hundreds of milliseconds).
pub const LATENCY_BUCKETS: [f64; 17] = [
    0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 30.0,
];

/// Longest slice the counters are integrated over.
const MAX_SLICE_MS: i64 = 60_000;
/// Most slices one render integrates (a long gap gets longer slices).
const MAX_SLICES: i64 = 1_440;
/// z of the 99th percentile of a standard normal.
const Z99: f64 = 2.326_347_874;

/// A scrape target over a sandbox world: renders `/metrics` bodies whose
/// counters grow with the world's clock. Cheap to share (`Arc`); renders
/// are serialised.
#[derive(Debug)]
pub struct Exporter {
    shared: Arc<Shared>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Counted up to here; `None` before the first render.
    until: Option<Timestamp>,
    /// By workload index.
    workloads: Vec<WorkloadCounts>,
    /// By (model index, version).
    versions: BTreeMap<(u32, u32), Vec<FeatureCounts>>,
    /// Fairness counters by (model index, version).
    outcomes: BTreeMap<(u32, u32), outcomes::Outcomes>,
}

#[derive(Debug, Default, Clone)]
struct WorkloadCounts {
    ok: f64,
    errors: f64,
    /// Per bucket of [`LATENCY_BUCKETS`], then `+Inf` (not cumulative).
    latency: [f64; LATENCY_BUCKETS.len() + 1],
    latency_sum: f64,
}

#[derive(Debug)]
struct FeatureCounts {
    name: String,
    prediction: bool,
    counts: Counts,
    missing: f64,
    /// Observations valued at their bin's middle (outer bins at the edge).
    sum: f64,
}

#[derive(Debug)]
enum Counts {
    Bins { edges: Vec<f64>, counts: Vec<f64> },
    Categories(BTreeMap<String, f64>),
}

impl crate::Sandbox {
    /// A `/metrics` exporter over this world (see [`Exporter`]).
    pub fn exporter(&self) -> Exporter {
        Exporter {
            shared: self.shared.clone(),
            state: Mutex::new(State::default()),
        }
    }
}

impl Exporter {
    /// The exposition at the world's now (format 0.0.4, [`CONTENT_TYPE`]),
    /// after counting what the world served since the last render.
    pub fn render(&self) -> String {
        let w = self.shared.lock();
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.advance(&w, w.now);
        let mut out = String::with_capacity(64 * 1024);
        st.write(&w, &mut out, true);
        out
    }
}

/// `t` rounded down to the second.
fn whole_second(t: Timestamp) -> Timestamp {
    Timestamp(t.0 - t.0.rem_euclid(1000))
}

impl State {
    /// Counts what the world served up to `end` (at most its now); the
    /// first call only sets the origin.
    fn advance(&mut self, w: &World, end: Timestamp) {
        let end = end.min(w.now);
        let Some(from) = self.until else {
            self.until = Some(end);
            self.workloads = vec![WorkloadCounts::default(); w.workloads.len()];
            // Zero series for the versions serving now, so the first rows
            // they serve count as an increase.
            for state in &w.workloads {
                for (v, _) in health::shares_at(state, end).iter() {
                    self.entry(w, state.model, v);
                    outcomes::add(w, state.model, 0.0, &mut self.outcomes, v);
                }
            }
            return;
        };
        if self.workloads.len() < w.workloads.len() {
            self.workloads
                .resize(w.workloads.len(), WorkloadCounts::default());
        }
        let gap = end.millis_since(from);
        if gap <= 0 {
            return;
        }
        let n = ((gap + MAX_SLICE_MS - 1) / MAX_SLICE_MS).clamp(1, MAX_SLICES);
        let mut a = from;
        for i in 1..=n {
            let b = if i == n {
                end
            } else {
                from.plus_millis(gap * i / n)
            };
            self.slice(w, a, b);
            a = b;
        }
        self.until = Some(end);
    }

    /// Adds what the world served in `[a, b)`.
    fn slice(&mut self, w: &World, a: Timestamp, b: Timestamp) {
        let dt_ms = b.millis_since(a);
        let secs = dt_ms as f64 / 1000.0;
        let mid = a.plus_millis(dt_ms / 2);
        for (state, c) in w.workloads.iter().zip(self.workloads.iter_mut()) {
            if state.kind.is_batch() || state.created_at > mid {
                continue;
            }
            let at = |s| health::signal_at(w, state, s, mid);
            let (Some(rate), Some(p50), Some(p99)) = (
                at(Signal::RequestRate),
                at(Signal::LatencyP50),
                at(Signal::LatencyP99),
            ) else {
                continue;
            };
            let err = at(Signal::ErrorRatio).unwrap_or(0.0).clamp(0.0, 1.0);
            let requests = rate * secs;
            c.ok += requests * (1.0 - err);
            c.errors += requests * err;
            let (mu, sigma) = lognormal(p50, p99);
            let mut below = 0.0;
            for (k, le) in LATENCY_BUCKETS.iter().enumerate() {
                let p = lognormal_cdf(*le, mu, sigma);
                c.latency[k] += requests * (p - below).max(0.0);
                below = p.max(below);
            }
            c.latency[LATENCY_BUCKETS.len()] += requests * (1.0 - below).max(0.0);
            c.latency_sum += requests * (mu + sigma * sigma / 2.0).exp();
        }
        for (mi, m) in w.models.iter().enumerate() {
            let mi = mi as u32;
            let Some(sim) = drift::sim(w, mi) else {
                continue;
            };
            for v in &m.versions {
                let Some(profile) = drift::reference(w, mi, v.number) else {
                    continue;
                };
                let traffic = live::traffic(w, mi, v.number, b, dt_ms);
                if traffic.total <= 0.0 {
                    continue;
                }
                outcomes::add(w, mi, traffic.total, &mut self.outcomes, v.number);
                let Some(entry) = self.entry(w, mi, v.number) else {
                    continue;
                };
                for fc in entry.iter_mut() {
                    let (Some(fs), Some(pf)) = (sim.get(&fc.name), profile.feature(&fc.name))
                    else {
                        continue;
                    };
                    if let Some(f) = live::expected(fs, pf, &traffic) {
                        fc.add(&f.counts, f.missing);
                    }
                }
            }
        }
    }

    /// The counts of model `mi` version `version`, made (at zero) when
    /// missing; `None` when the version has no reference profile.
    fn entry(&mut self, w: &World, mi: u32, version: u32) -> Option<&mut Vec<FeatureCounts>> {
        let profile = drift::reference(w, mi, version)?;
        let sim = drift::sim(w, mi)?;
        Some(
            self.versions
                .entry((mi, version))
                .or_insert_with(|| empty_counts(&profile, &sim)),
        )
    }

    /// Every family; the PSI gauge (the drift at the world's now) only
    /// with `psi`.
    fn write(&self, w: &World, out: &mut String, psi: bool) {
        let workloads: Vec<(String, &WorkloadCounts)> = w
            .workloads
            .iter()
            .zip(&self.workloads)
            .filter(|(s, _)| !s.kind.is_batch())
            .map(|(s, c)| {
                let labels = format!(
                    "cluster=\"{}\",model=\"{}\",namespace=\"{}\",workload=\"{}\"",
                    esc(w
                        .clusters
                        .get(s.cluster as usize)
                        .map_or("", String::as_str)),
                    esc(w
                        .models
                        .get(s.model as usize)
                        .map_or("", |m| m.name.as_str())),
                    esc(w
                        .namespaces
                        .get(s.namespace as usize)
                        .map_or("", String::as_str)),
                    esc(&s.name),
                );
                (labels, c)
            })
            .collect();
        header(
            out,
            "model_predictions_total",
            "counter",
            "Predictions served (simulated), by outcome.",
        );
        for (l, c) in &workloads {
            sample(
                out,
                "model_predictions_total",
                &format!("{l},status=\"ok\""),
                c.ok,
            );
            sample(
                out,
                "model_predictions_total",
                &format!("{l},status=\"error\""),
                c.errors,
            );
        }
        let name = "model_request_latency_seconds";
        header(
            out,
            name,
            "histogram",
            "Request latency (simulated), seconds.",
        );
        for (l, c) in &workloads {
            let mut cum = 0.0;
            for (k, le) in LATENCY_BUCKETS.iter().enumerate() {
                cum += c.latency[k];
                sample(
                    out,
                    &format!("{name}_bucket"),
                    &format!("{l},le=\"{}\"", num(*le)),
                    cum,
                );
            }
            let count = cum + c.latency[LATENCY_BUCKETS.len()];
            sample(
                out,
                &format!("{name}_bucket"),
                &format!("{l},le=\"+Inf\""),
                count,
            );
            sample(out, &format!("{name}_sum"), l, c.latency_sum);
            sample(out, &format!("{name}_count"), l, count);
        }
        if psi {
            header(
                out,
                "model_feature_drift_psi",
                "gauge",
                "Population stability index of each feature of the served version (simulated).",
            );
        }
        for ((l, _), s) in workloads
            .iter()
            .zip(w.workloads.iter().filter(|s| psi && !s.kind.is_batch()))
        {
            for f in health::feature_drift_at(w, s, w.now) {
                let labels = format!("{l},feature=\"{}\"", esc(&f.feature));
                sample(out, "model_feature_drift_psi", &labels, f.psi);
            }
        }
        self.write_features(w, out);
        outcomes::write(w, &self.outcomes, out);
        streams::write(w, self.until.unwrap_or(w.now), out);
        batch::write(w, self.until.unwrap_or(w.now), out);
    }

    fn write_features(&self, w: &World, out: &mut String) {
        let version_labels = |(mi, n): (u32, u32)| {
            let model = w.models.get(mi as usize).map_or("", |m| m.name.as_str());
            format!("model=\"{}\",version=\"{n}\"", esc(model))
        };
        let each = |prediction: bool| {
            self.versions.iter().flat_map(move |(k, fs)| {
                fs.iter()
                    .filter(move |f| f.prediction == prediction)
                    .map(move |f| (*k, f))
            })
        };
        for prediction in [false, true] {
            let (hist, cats) = if prediction {
                (
                    "modeldeck_prediction_value",
                    "modeldeck_prediction_category_total",
                )
            } else {
                (
                    "modeldeck_feature_value",
                    "modeldeck_feature_category_total",
                )
            };
            let labels = |k, f: &FeatureCounts| {
                if prediction {
                    version_labels(k)
                } else {
                    format!("{},feature=\"{}\"", version_labels(k), esc(&f.name))
                }
            };
            let what = if prediction { "prediction" } else { "feature" };
            header(
                out,
                hist,
                "histogram",
                &format!(
                    "Numeric {what} values (simulated), buckets at the reference profile's edges."
                ),
            );
            for (k, f) in each(prediction) {
                let Counts::Bins { edges, counts } = &f.counts else {
                    continue;
                };
                let l = labels(k, f);
                let mut cum = 0.0;
                for (i, c) in counts.iter().enumerate() {
                    cum += c;
                    let le = edges.get(i).map_or_else(|| "+Inf".to_string(), |e| num(*e));
                    sample(
                        out,
                        &format!("{hist}_bucket"),
                        &format!("{l},le=\"{le}\""),
                        cum,
                    );
                }
                sample(out, &format!("{hist}_sum"), &l, f.sum);
                sample(out, &format!("{hist}_count"), &l, cum);
            }
            header(
                out,
                cats,
                "counter",
                &format!("Categorical {what} values (simulated)."),
            );
            for (k, f) in each(prediction) {
                let Counts::Categories(counts) = &f.counts else {
                    continue;
                };
                let l = labels(k, f);
                for (cat, c) in counts {
                    sample(out, cats, &format!("{l},category=\"{}\"", esc(cat)), *c);
                }
            }
        }
        let name = "modeldeck_feature_missing_total";
        header(out, name, "counter", "Feature values missing (simulated).");
        for (k, f) in each(false) {
            let l = format!("{},feature=\"{}\"", version_labels(k), esc(&f.name));
            sample(out, name, &l, f.missing);
        }
    }
}

/// Zero counts for every feature of `profile`: every bin, every category
/// of the reference and of the simulation (so no series appears late).
fn empty_counts(
    profile: &modeldeck_core::drift::ReferenceProfile,
    sim: &drift::ModelSim,
) -> Vec<FeatureCounts> {
    let one = |pf: &FeatureProfile, prediction: bool| FeatureCounts {
        name: pf.name.clone(),
        prediction,
        counts: match &pf.dist {
            Distribution::Numeric { edges, .. } => Counts::Bins {
                edges: edges.clone(),
                counts: vec![0.0; edges.len() + 1],
            },
            Distribution::Categorical { counts } => {
                let simulated = match sim.get(&pf.name).map(|s| &s.shape) {
                    Some(drift::catalog::Shape::Categorical { names, .. }) => names.as_slice(),
                    _ => &[],
                };
                Counts::Categories(
                    counts
                        .keys()
                        .chain(simulated)
                        .map(|k| (k.clone(), 0.0))
                        .collect(),
                )
            }
        },
        missing: 0.0,
        sum: 0.0,
    };
    profile
        .features
        .iter()
        .map(|f| one(f, false))
        .chain(profile.prediction.iter().map(|p| one(p, true)))
        .collect()
}

impl FeatureCounts {
    fn add(&mut self, live: &LiveCounts, missing: f64) {
        self.missing += missing;
        match (&mut self.counts, live) {
            (Counts::Bins { edges, counts }, LiveCounts::Numeric(add)) => {
                for (i, (c, a)) in counts.iter_mut().zip(add).enumerate() {
                    *c += a;
                    self.sum += a * bin_value(edges, i);
                }
            }
            (Counts::Categories(counts), LiveCounts::Categorical(add)) => {
                for (k, a) in add {
                    *counts.entry(k.clone()).or_insert(0.0) += a;
                }
            }
            _ => {}
        }
    }
}

/// The value a bin's observations count for in `_sum`.
fn bin_value(edges: &[f64], i: usize) -> f64 {
    match (i.checked_sub(1).and_then(|j| edges.get(j)), edges.get(i)) {
        (Some(lo), Some(hi)) => (lo + hi) / 2.0,
        (None, Some(hi)) => *hi,
        (Some(lo), None) => *lo,
        (None, None) => 0.0,
    }
}

/// `(mu, sigma)` of the log-normal with median `p50` and 99th percentile `p99`.
fn lognormal(p50: f64, p99: f64) -> (f64, f64) {
    let p50 = p50.max(1e-6);
    let sigma = ((p99.max(p50) / p50).ln() / Z99).max(1e-3);
    (p50.ln(), sigma)
}

fn lognormal_cdf(x: f64, mu: f64, sigma: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    crate::drift::dist::normal_cdf((x.ln() - mu) / sigma)
}

/// A label value escaped for the text format: `\` `"` and line feed.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value or `le` bound as the text format spells floats.
fn num(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    let _ = writeln!(out, "{name}{{{labels}}} {}", num(value));
}

mod batch;
mod history;
mod outcomes;
mod streams;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(esc("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(esc("plain é"), "plain é");
    }

    #[test]
    fn floats_are_spelled_as_the_text_format_reads_them() {
        assert_eq!(num(0.25), "0.25");
        assert_eq!(num(30.0), "30");
        assert_eq!(num(f64::INFINITY), "+Inf");
        assert_eq!(num(f64::NAN), "NaN");
    }

    #[test]
    fn the_latency_log_normal_goes_through_p50_and_p99() {
        let (mu, sigma) = lognormal(0.05, 0.2);
        assert!((lognormal_cdf(0.05, mu, sigma) - 0.5).abs() < 1e-6);
        assert!((lognormal_cdf(0.2, mu, sigma) - 0.99).abs() < 1e-4);
        assert_eq!(lognormal_cdf(0.0, mu, sigma), 0.0);
    }
}
