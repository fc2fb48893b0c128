//! Fairness as the front ends ask for it ([`Console::fairness`]): per
//! protected attribute of one model version, its groups' positive rates,
//! statistical parity difference, disparate impact ratio and verdicts,
//! from every source that has them:
//!
//! 1. live counters (`modeldeck_outcome_total` over the window, through
//!    [`Metrics::outcome_counts`](crate::ports::Metrics::outcome_counts)),
//!    judged by [`crate::drift::fairness::evaluate_attribute`];
//! 2. TrustyAI's gauges (`trustyai_spd`, `trustyai_dir`), shown as they are;
//! 3. the version's MLflow run metrics `fairness.spd.<attribute>` and
//!    `fairness.dir.<attribute>` (computed at evaluation time).
//!
//! Thresholds and reference groups come from the reference profile's
//! policy (`fairness = {..}`), the defaults when the version has no
//! profile. Each source is best effort: one that fails is named in
//! [`FairnessView::notes`]; only when every source fails is the call an
//! error (the first failure). A source the backend does not support is
//! left out silently.

use super::Console;
use crate::domain::Timestamp;
use crate::drift::fairness::{self, AttributeFairness, FairnessPolicy, Verdict};
use crate::error::{Backend, BackendError, ErrorCode, PortResult};
use serde::Serialize;

/// Where an attribute's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FairnessSource {
    /// `modeldeck_outcome_total` counters over the window.
    Live,
    /// TrustyAI's `trustyai_spd` / `trustyai_dir` gauges (latest values).
    Trustyai,
    /// The version's MLflow run metrics `fairness.spd.<attribute>` /
    /// `fairness.dir.<attribute>`.
    MlflowRun,
}

impl FairnessSource {
    /// The words the front ends show.
    pub fn label(self) -> &'static str {
        match self {
            FairnessSource::Live => "live counters",
            FairnessSource::Trustyai => "TrustyAI",
            FairnessSource::MlflowRun => "MLflow run metrics",
        }
    }
}

/// One attribute from one source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairnessRow {
    /// Where the numbers come from.
    pub source: FairnessSource,
    /// Groups, rates, SPD, DIR, reference, worst group and verdict.
    #[serde(flatten)]
    pub fairness: AttributeFairness,
}

/// A source that could not be read, or a count that could not be judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairnessNote {
    /// The source concerned.
    pub source: FairnessSource,
    /// What went wrong, naming the backend.
    pub message: String,
}

/// One model version's fairness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairnessView {
    /// Registered model.
    pub model: String,
    /// Version.
    pub version: String,
    /// End of the live window.
    pub at: Timestamp,
    /// Live window, milliseconds.
    pub window_ms: i64,
    /// The policy used (the profile's, else the defaults).
    pub policy: FairnessPolicy,
    /// Whether the policy came from the version's reference profile.
    pub policy_from_profile: bool,
    /// Per source (live, TrustyAI, MLflow run), per attribute in name
    /// order.
    pub attributes: Vec<FairnessRow>,
    /// Sources that failed, attributes that could not be judged.
    pub notes: Vec<FairnessNote>,
    /// `unfair` when any attribute is, `fair` when one was judged,
    /// `too_few` when attributes exist but none could be judged, `None`
    /// without any fairness data.
    pub verdict: Option<Verdict>,
}

impl FairnessView {
    /// The attributes past a threshold.
    pub fn unfair(&self) -> impl Iterator<Item = &FairnessRow> {
        self.attributes
            .iter()
            .filter(|r| r.fairness.verdict == Verdict::Unfair)
    }
}

/// The overall verdict of several attributes.
pub fn overall_verdict<'a>(
    rows: impl IntoIterator<Item = &'a AttributeFairness>,
) -> Option<Verdict> {
    let mut out: Option<Verdict> = None;
    for r in rows {
        out = Some(match (out, r.verdict) {
            (_, Verdict::Unfair) | (Some(Verdict::Unfair), _) => Verdict::Unfair,
            (_, Verdict::Fair) | (Some(Verdict::Fair), _) => Verdict::Fair,
            _ => Verdict::TooFew,
        });
    }
    out
}

fn unsupported(e: &BackendError) -> bool {
    e.code == ErrorCode::Unsupported
}

impl Console {
    /// Every protected attribute of `model` `version` with fairness data:
    /// live counters over the `window_ms` ending now, TrustyAI's gauges and
    /// the version's run metrics (see the module documentation).
    pub async fn fairness(
        &self,
        model: &str,
        version: &str,
        window_ms: i64,
    ) -> PortResult<FairnessView> {
        if window_ms <= 0 {
            return Err(BackendError::new(
                Backend::Metrics,
                ErrorCode::InvalidRequest,
                format!("window must be positive, got {window_ms} ms"),
            ));
        }
        let at = self.now();
        let mut notes = Vec::new();
        let mut failures: Vec<BackendError> = Vec::new();
        let mut answered = 0usize;
        let mut rows = Vec::new();

        let (policy, policy_from_profile) = match self.reference_profile(model, version).await {
            Ok(p) => (p.policy.fairness, true),
            Err(_) => (FairnessPolicy::default(), false),
        };
        if let Err(e) = policy.validate() {
            return Err(BackendError::new(
                Backend::Registry,
                ErrorCode::InvalidRequest,
                format!("{model} v{version}'s reference profile policy: {e}"),
            ));
        }

        let m = self.inner.backends.metrics.clone();
        match self
            .bounded(
                Backend::Metrics,
                "reading outcome counts",
                m.outcome_counts(model, version, window_ms, Some(at)),
            )
            .await
        {
            Ok(sample) => {
                answered += 1;
                for (attr, groups) in sample.group_counts(&policy) {
                    let positives: f64 = groups.values().map(|g| g.positive).sum();
                    let outcomes = sample.outcomes(&attr);
                    if positives == 0.0 && !outcomes.iter().any(|o| policy.is_favorable(o)) {
                        notes.push(FairnessNote {
                            source: FairnessSource::Live,
                            message: format!(
                                "attribute {attr:?}: none of its outcomes {outcomes:?} is favourable; name the positive one in the policy (fairness.favorable)"
                            ),
                        });
                        continue;
                    }
                    rows.push(FairnessRow {
                        source: FairnessSource::Live,
                        fairness: fairness::evaluate_attribute(&attr, &groups, &policy),
                    });
                }
            }
            Err(e) if unsupported(&e) => {}
            Err(e) => {
                notes.push(note(FairnessSource::Live, &e));
                failures.push(e);
            }
        }

        match self
            .bounded(
                Backend::Metrics,
                "reading TrustyAI gauges",
                m.fairness_gauges(model),
            )
            .await
        {
            Ok(g) => {
                answered += 1;
                rows.extend(
                    fairness::from_gauges(&g, &policy)
                        .into_iter()
                        .map(|f| FairnessRow {
                            source: FairnessSource::Trustyai,
                            fairness: f,
                        }),
                );
            }
            Err(e) if unsupported(&e) => {}
            Err(e) => {
                notes.push(note(FairnessSource::Trustyai, &e));
                failures.push(e);
            }
        }

        match self.run_metrics(model, version).await {
            Ok(metrics) => {
                answered += 1;
                rows.extend(
                    fairness::from_run_metrics(&metrics, &policy)
                        .into_iter()
                        .map(|f| FairnessRow {
                            source: FairnessSource::MlflowRun,
                            fairness: f,
                        }),
                );
            }
            Err(e) if unsupported(&e) => {}
            Err(e) => {
                notes.push(note(FairnessSource::MlflowRun, &e));
                failures.push(e);
            }
        }

        if answered == 0
            && let Some(first) = failures.into_iter().next()
        {
            return Err(first);
        }
        let verdict = overall_verdict(rows.iter().map(|r| &r.fairness));
        Ok(FairnessView {
            model: model.to_string(),
            version: version.to_string(),
            at,
            window_ms,
            policy,
            policy_from_profile,
            attributes: rows,
            notes,
            verdict,
        })
    }

    /// The final metrics of `model` `version`'s run; empty when the version
    /// has no run.
    async fn run_metrics(
        &self,
        model: &str,
        version: &str,
    ) -> PortResult<std::collections::BTreeMap<String, f64>> {
        let r = self.inner.backends.registry.clone();
        let v = self
            .bounded(
                Backend::Registry,
                "reading the model version",
                r.get_version(model, version),
            )
            .await?;
        let Some(run) = v.run_id.filter(|r| !r.is_empty()) else {
            return Ok(Default::default());
        };
        let data = self
            .bounded(Backend::Registry, "reading the run", r.get_run(&run))
            .await?;
        Ok(data.metrics)
    }
}

fn note(source: FairnessSource, e: &BackendError) -> FairnessNote {
    FairnessNote {
        source,
        message: e.to_string(),
    }
}
