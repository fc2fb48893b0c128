//! `modeldeck drift <model> [--version V] [--window 24h]`: the Drift
//! screen as a document. The version's reference profile comes from the
//! registry, the live counts from the metrics backend, the verdicts from
//! `Console::drift_with` (core's `drift::evaluate`), so the CLI, the TUI
//! and reports show the same numbers; the wording of scores, thresholds
//! and windows is core's `drift::text`.

use super::resolve::{require_model, resolve_version};
use crate::cli::DriftArgs;
use crate::failure::{Exit, Failure};
use crate::render::Printer;
use crate::render::table::{Cell, Paint, Table, clean};
use modeldeck_core::Console;
use modeldeck_core::console::Snapshot;
use modeldeck_core::domain::{RegisteredModel, Timestamp};
use modeldeck_core::drift::text;
use modeldeck_core::drift::{
    DriftReport, FeatureDriftRow, FeatureKind, Method, PROFILE_TAG, ReferenceProfile,
};
use modeldeck_core::error::{Backend, BackendError, ErrorCode};
use serde::Serialize;

/// The `drift` document.
#[derive(Debug, Serialize)]
pub struct DriftDoc {
    /// Registered model.
    pub model: String,
    /// The version compared with its reference.
    pub version: String,
    /// How the version was chosen: `given` (`--version`), `served` (what
    /// its workloads serve), `default_alias` (`champion`), `latest`.
    pub version_source: &'static str,
    /// Why this version, in one line.
    pub version_reason: String,
    /// Versions of the model served by workloads, most served first,
    /// canaries after (empty when no workload is bound or readable).
    pub served: Vec<ServedDoc>,
    /// The window, as typed back (`24h`).
    pub window: String,
    /// The window, milliseconds.
    pub window_ms: i64,
    /// End of the window (RFC 3339).
    pub at: String,
    /// Same, Unix milliseconds.
    pub at_ms: i64,
    /// The reference profile compared with.
    pub reference: ReferenceDoc,
    /// Whether any feature had live data over the window.
    pub live_data: bool,
    /// Input features, worst first (furthest past its threshold; features
    /// without a score last; ties in the profile's order).
    pub features: Vec<FeatureDoc>,
    /// The prediction, when the profile has one.
    pub prediction: Option<FeatureDoc>,
    /// Dataset drift.
    pub dataset_drift: DatasetDoc,
}

/// A version served by workloads of the model.
#[derive(Debug, Serialize)]
pub struct ServedDoc {
    /// Version.
    pub version: String,
    /// `stable` or `canary`.
    pub role: &'static str,
    /// The workloads serving it (`context/namespace/kind/name`).
    pub workloads: Vec<String>,
}

/// The reference profile.
#[derive(Debug, Serialize)]
pub struct ReferenceDoc {
    /// Rows of the reference data.
    pub rows: u64,
    /// When it was computed (RFC 3339, as the profile says).
    pub created: String,
    /// Same, Unix milliseconds; null when `created` is not RFC 3339.
    pub created_ms: Option<i64>,
    /// Digest of the source data, when known.
    pub digest: Option<String>,
    /// Profile schema version.
    pub schema: u32,
}

/// One feature (or the prediction).
#[derive(Debug, Serialize)]
pub struct FeatureDoc {
    /// Feature name, raw.
    pub feature: String,
    /// `numeric` or `categorical`.
    pub kind: FeatureKind,
    /// `psi`, `ks`, `jensen_shannon`, `wasserstein`, `chi_square`,
    /// `hellinger`; null without a score.
    pub method: Option<Method>,
    /// The value compared with the threshold: a distance, or a p-value.
    pub score: Option<f64>,
    /// `distance` (high means drift) or `p_value` (low means drift).
    pub score_kind: Option<&'static str>,
    /// The test statistic of p-value methods (KS D, chi-square).
    pub statistic: Option<f64>,
    /// The threshold the verdict used.
    pub threshold: Option<f64>,
    /// Distance at or above the threshold, or p-value below it.
    pub drifted: bool,
    /// `drift`, `ok` or `no_data`.
    pub verdict: &'static str,
    /// How far past its threshold, one scale for every method (1 at the
    /// threshold); null without a score.
    pub severity: Option<f64>,
    /// Missing values / values seen over the window.
    pub missing_rate: Option<f64>,
    /// The reference's missing rate.
    pub reference_missing_rate: Option<f64>,
    /// Share of live values in the underflow and overflow bins (numeric).
    pub out_of_range_rate: Option<f64>,
    /// Live categories the reference never saw (categorical), raw.
    pub unseen_categories: Vec<String>,
    /// Reference values counted.
    pub reference_n: f64,
    /// Live values counted over the window.
    pub live_n: f64,
}

/// Dataset drift.
#[derive(Debug, Serialize)]
pub struct DatasetDoc {
    /// Drifted input features / input features with a score; null when
    /// none has a score.
    pub share: Option<f64>,
    /// The share at which the dataset drifts (the profile's policy, else 0.5).
    pub threshold: f64,
    /// Whether `share >= threshold`.
    pub drifted: bool,
    /// Input features that drifted.
    pub drifted_features: usize,
    /// Input features with a score.
    pub scored_features: usize,
}

/// Runs `drift`. Exits 0 when the report was printed, whatever it says
/// (CI reads `dataset_drift.drifted` or a feature's `drifted`).
pub async fn run(console: &Console, args: &DriftArgs, printer: Printer) -> Result<Exit, Failure> {
    let model = require_model(console, &args.model).await?;
    let choice = choose_version(console, &model, args.version.as_deref()).await?;
    let version = choice.version.clone();
    let profile = match console.reference_profile(&model.name, &version).await {
        Ok(p) => p,
        Err(e) if e.code == ErrorCode::NotFound && e.backend == Backend::Registry => {
            return Err(no_profile(&model.name, &version));
        }
        Err(e) => return Err(e.into()),
    };
    let report = console
        .drift_with(&model.name, &version, &profile, args.window)
        .await?;
    let doc = build(&model.name, choice, &profile, &report);
    printer.print(&doc, |color| render(&doc, color))?;
    Ok(Exit::Ok)
}

fn no_profile(model: &str, version: &str) -> Failure {
    Failure::Backend(BackendError::not_found(
        Backend::Registry,
        format!(
            "model {model:?} version {version} has no reference profile (no {PROFILE_TAG} tag on \
             the version); build one from its training data and log it: `modeldeck profile build \
             --from train.csv --out profile.json --log-to {model}/{version}`"
        ),
    ))
}

/// The version to report and why.
pub(crate) struct Choice {
    /// The version.
    pub(crate) version: String,
    source: &'static str,
    reason: String,
    served: Vec<ServedDoc>,
}

/// `--version` resolved, else the version the model's workloads serve
/// most (canaries after), else the default alias, else the latest version
/// (`drift`, `report` and `fairness` pick alike).
pub(crate) async fn choose_version(
    console: &Console,
    model: &RegisteredModel,
    wanted: Option<&str>,
) -> Result<Choice, Failure> {
    console.refresh_cluster().await;
    let snap = console.snapshot();
    let served = served_versions(&snap, &model.name);
    if let Some(w) = wanted {
        let versions = console.list_versions(&model.name).await?;
        let version = resolve_version(model, &versions, w)?;
        let reason = if version == w.trim_start_matches(['v', 'V']) {
            "given with --version".to_string()
        } else {
            format!("--version {w} names version {version}")
        };
        return Ok(Choice {
            version,
            source: "given",
            reason,
            served,
        });
    }
    if let Some(first) = served.first() {
        let n = first.workloads.len();
        let mut reason = format!(
            "served by {n} workload{}{}",
            if n == 1 { "" } else { "s" },
            if first.role == "canary" {
                " as a canary"
            } else {
                ""
            }
        );
        if served.len() > 1 {
            let others: Vec<String> = served[1..]
                .iter()
                .map(|s| format!("v{} ({})", s.version, s.role))
                .collect();
            reason.push_str(&format!(
                "; also served: {}, pick it with --version",
                others.join(", ")
            ));
        }
        return Ok(Choice {
            version: first.version.clone(),
            source: "served",
            reason,
            served,
        });
    }
    let unserved = match &snap.cluster.error {
        Some(e) => format!("the cluster could not be read ({})", e.message),
        None => "no workload serves it".to_string(),
    };
    let alias = modeldeck_promotion::service::PromotionOptions::default().default_alias;
    if let Some(v) = model.aliases.get(&alias) {
        return Ok(Choice {
            version: v.clone(),
            source: "default_alias",
            reason: format!("{unserved}; the {alias} alias"),
            served,
        });
    }
    if let Some(v) = &model.latest_version {
        return Ok(Choice {
            version: v.clone(),
            source: "latest",
            reason: format!("{unserved} and it has no {alias} alias; the latest version"),
            served,
        });
    }
    Err(Failure::Backend(BackendError::not_found(
        Backend::Registry,
        format!(
            "model {:?} has no version to look at (none served, no {alias} alias, none registered)",
            model.name
        ),
    )))
}

/// Versions of `model` served by the snapshot's workloads: stable ones by
/// how many workloads serve them (then by version), canaries after.
fn served_versions(snap: &Snapshot, model: &str) -> Vec<ServedDoc> {
    let mut stable: Vec<ServedDoc> = Vec::new();
    let mut canary: Vec<ServedDoc> = Vec::new();
    for w in snap.workloads_of(model) {
        let id = w.id.to_string();
        let add = |list: &mut Vec<ServedDoc>, version: &String, role| match list
            .iter_mut()
            .find(|s| &s.version == version)
        {
            Some(s) => s.workloads.push(id.clone()),
            None => list.push(ServedDoc {
                version: version.clone(),
                role,
                workloads: vec![id.clone()],
            }),
        };
        if let Some(v) = &w.served_version {
            add(&mut stable, v, "stable");
        }
        if let Some(c) = &w.canary {
            add(&mut canary, &c.version, "canary");
        }
    }
    stable.sort_by(|a, b| {
        b.workloads
            .len()
            .cmp(&a.workloads.len())
            .then_with(|| a.version.cmp(&b.version))
    });
    canary.retain(|c| !stable.iter().any(|s| s.version == c.version));
    stable.extend(canary);
    stable
}

fn build(
    model: &str,
    choice: Choice,
    profile: &ReferenceProfile,
    report: &DriftReport,
) -> DriftDoc {
    let mut rows: Vec<&FeatureDriftRow> = report.features.iter().collect();
    // Stable: equal severities keep the profile's order.
    rows.sort_by(|a, b| severity(b).total_cmp(&severity(a)));
    let scored = report
        .features
        .iter()
        .filter(|r| r.score.is_some_and(|s| !s.value.is_nan()))
        .count();
    let live_data = report
        .features
        .iter()
        .chain(report.prediction.iter())
        .any(|r| r.live_n > 0.0 || r.quality.missing_rate.is_some());
    DriftDoc {
        model: model.to_string(),
        version: choice.version,
        version_source: choice.source,
        version_reason: choice.reason,
        served: choice.served,
        window: text::window(report.window_ms),
        window_ms: report.window_ms,
        at: report.at.rfc3339(),
        at_ms: report.at.0,
        reference: ReferenceDoc {
            rows: profile.rows,
            created: profile.created_at.clone(),
            created_ms: Timestamp::parse_rfc3339(&profile.created_at).map(|t| t.0),
            digest: profile.source_digest.clone(),
            schema: profile.schema,
        },
        live_data,
        features: rows.into_iter().map(feature_doc).collect(),
        prediction: report.prediction.as_ref().map(feature_doc),
        dataset_drift: DatasetDoc {
            share: report.drifted_share,
            threshold: report.dataset_threshold,
            drifted: report.dataset_drift,
            drifted_features: report.drifted().count(),
            scored_features: scored,
        },
    }
}

/// How far past its threshold a row is; rows without a score sort last.
fn severity(row: &&FeatureDriftRow) -> f64 {
    match row.score {
        Some(s) if !s.severity().is_nan() => s.severity(),
        _ => f64::NEG_INFINITY,
    }
}

fn feature_doc(r: &FeatureDriftRow) -> FeatureDoc {
    let s = r.score;
    let verdict = match text::verdict(s.as_ref()) {
        "drift" => "drift",
        "ok" => "ok",
        _ => "no_data",
    };
    FeatureDoc {
        feature: r.feature.clone(),
        kind: r.kind,
        method: s.map(|s| s.method),
        score: s.map(|s| s.value),
        score_kind: s.map(|s| {
            if s.method.is_p_value() {
                "p_value"
            } else {
                "distance"
            }
        }),
        statistic: s.and_then(|s| s.statistic),
        threshold: s.map(|s| s.threshold),
        drifted: s.is_some_and(|s| s.drifted),
        verdict,
        severity: s.map(|s| s.severity()).filter(|v| !v.is_nan()),
        missing_rate: r.quality.missing_rate,
        reference_missing_rate: r.quality.reference_missing_rate,
        out_of_range_rate: r.quality.out_of_range_rate,
        unseen_categories: r.quality.unseen_categories.clone(),
        reference_n: r.reference_n,
        live_n: r.live_n,
    }
}

fn pct(v: f64) -> String {
    if v > 0.0 && v < 0.001 {
        "<0.1%".into()
    } else {
        format!("{:.1}%", v * 100.0)
    }
}

fn table_row(f: &FeatureDoc, prediction: bool) -> Vec<Cell> {
    let score = match (f.method, f.score, f.threshold) {
        (Some(method), Some(value), Some(threshold)) => Some(modeldeck_core::drift::Score {
            method,
            value,
            statistic: f.statistic,
            threshold,
            drifted: f.drifted,
        }),
        _ => None,
    };
    let verdict_paint = match f.verdict {
        "drift" => Paint::Red,
        "ok" => Paint::Green,
        _ => Paint::Dim,
    };
    // Missing values well above the reference's (5 points or more) are flagged.
    let missing_paint = match (f.missing_rate, f.reference_missing_rate) {
        (Some(m), r) if m - r.unwrap_or(0.0) >= 0.05 => Paint::Yellow,
        _ => Paint::None,
    };
    let name = if prediction {
        format!("{} (prediction)", f.feature)
    } else {
        f.feature.clone()
    };
    vec![
        Cell::clipped(&name, 48),
        Cell::new(match f.kind {
            FeatureKind::Numeric => "num",
            FeatureKind::Categorical => "cat",
        }),
        Cell::opt(f.method, |m| m.label().to_string()),
        Cell::opt(score.as_ref(), text::score_value),
        Cell::opt(score.as_ref(), text::threshold),
        Cell::painted(text::verdict(score.as_ref()), verdict_paint),
        match f.missing_rate {
            Some(m) => Cell::painted(
                match f.reference_missing_rate {
                    Some(r) => format!("{} (ref {})", pct(m), pct(r)),
                    None => pct(m),
                },
                missing_paint,
            ),
            None => Cell::missing(),
        },
        Cell::opt(f.out_of_range_rate, pct),
        if f.unseen_categories.is_empty() {
            Cell::missing()
        } else {
            Cell::clipped(&f.unseen_categories.join(", "), 40)
        },
    ]
}

fn render(doc: &DriftDoc, color: bool) -> String {
    let mut out = format!(
        "{} v{} ({}) · window {} ending {}\n",
        clean(&doc.model),
        clean(&doc.version),
        clean(&doc.version_reason),
        doc.window,
        doc.at
    );
    out.push_str(&format!(
        "reference: {} rows, created {}{}\n\n",
        doc.reference.rows,
        clean(&doc.reference.created),
        doc.reference
            .digest
            .as_deref()
            .map(|d| format!(", {}", clean(d)))
            .unwrap_or_default()
    ));
    let mut t = Table::new(&[
        "FEATURE",
        "KIND",
        "METHOD",
        ">SCORE",
        "THRESHOLD",
        "VERDICT",
        ">MISSING",
        ">OUT OF RANGE",
        "UNSEEN",
    ]);
    for f in &doc.features {
        t.row(table_row(f, false));
    }
    if let Some(p) = &doc.prediction {
        t.row(table_row(p, true));
    }
    out.push_str(&t.render(color));
    let d = &doc.dataset_drift;
    out.push('\n');
    out.push_str(&match d.share {
        Some(share) => format!(
            "dataset drift: {} of {} features drifted ({}), threshold {}: {}\n",
            d.drifted_features,
            d.scored_features,
            pct(share),
            pct(d.threshold),
            if d.drifted {
                "DATASET DRIFT"
            } else {
                "no dataset drift"
            }
        ),
        None => format!(
            "dataset drift: no feature has a score over {} (threshold {})\n",
            doc.window,
            pct(d.threshold)
        ),
    });
    if !doc.live_data {
        out.push_str(&format!(
            "no live data for {} v{} over {}: is this version served, and does it export the \
             modeldeck_feature_* metrics (docs/drift.md)?\n",
            clean(&doc.model),
            clean(&doc.version),
            doc.window
        ));
    }
    out.push_str(
        "p-values (ks, chi2): low means drift; distances (psi, js, wasserstein, hellinger): high means drift\n",
    );
    out
}
