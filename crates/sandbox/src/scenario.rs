//! The scenario file format (`assets/scenarios/*.toml`): clusters, models
//! and workloads described in TOML, parsed strictly (unknown fields are
//! errors) and checked for consistency, every error naming the field and
//! the line.

use crate::error::SandboxError;
use crate::names::{line_of, valid_name};
use modeldeck_core::domain::WorkloadKind;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    /// Seed of everything random in the world.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Days of version history before the start.
    #[serde(default = "default_history_days")]
    pub history_days: u32,
    pub clusters: Vec<Spanned<ClusterSpec>>,
    pub models: Vec<Spanned<ModelSpec>>,
    #[serde(default)]
    pub workloads: Vec<Spanned<WorkloadSpec>>,
}

/// One cluster and its namespaces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClusterSpec {
    pub name: String,
    pub namespaces: Vec<String>,
}

/// What a model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TaskSpec {
    Classifier,
    Regressor,
    Ranker,
}

/// A pending promotion of a model's challenger.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PromotionSpec {
    /// Candidate version (default: the challenger).
    pub version: Option<u32>,
    pub requested_by: String,
    pub reason: String,
    /// How long ago it was requested.
    #[serde(default = "default_hours_ago")]
    pub hours_ago: u32,
}

/// One registered model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelSpec {
    pub name: String,
    pub task: TaskSpec,
    pub team: String,
    pub description: Option<String>,
    pub versions: u32,
    /// Default: the last version, or the one before when a challenger is set.
    pub champion: Option<u32>,
    pub challenger: Option<u32>,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub drifting: bool,
    #[serde(default = "default_latency_ms")]
    pub latency_ms: f64,
    #[serde(default = "default_error_ratio")]
    pub error_ratio: f64,
    #[serde(default)]
    pub broken: Vec<u32>,
    pub promotion: Option<PromotionSpec>,
    /// How the model's input data moves (`[models.drift]`).
    pub drift: Option<DriftSpec>,
    /// Extra model tags (`[models.tags]`): the card's `modeldeck.card.*`.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A model's drift scenarios (crates/sandbox/README.md, "Drift").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DriftSpec {
    pub sudden: Option<SuddenSpec>,
    pub gradual: Option<GradualSpec>,
    #[serde(default)]
    pub seasonal: Vec<SeasonalSpec>,
    pub missing: Option<MissingSpec>,
    pub protected: Option<ProtectedSpec>,
}

/// A step change `hours_ago` before the start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuddenSpec {
    pub feature: String,
    pub hours_ago: f64,
    /// Sigmas (numeric) or share of rows moved (categorical).
    pub shift: f64,
}

/// A linear drift begun `days` before the start, at `shift` by then and going on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GradualSpec {
    pub feature: String,
    pub days: f64,
    pub shift: f64,
}

/// A feature following the local time of day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeasonalSpec {
    pub feature: String,
    #[serde(default = "default_amplitude")]
    pub amplitude: f64,
}

/// A missing-value incident.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MissingSpec {
    pub feature: String,
    pub hours_ago: f64,
    pub hours: f64,
    pub rate: f64,
}

/// A protected attribute and each group's positive-outcome rate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProtectedSpec {
    pub feature: String,
    #[serde(default = "default_outcome")]
    pub outcome: String,
    pub rates: BTreeMap<String, f64>,
}

impl DriftSpec {
    /// The first problem: (field under `drift.`, message).
    fn problem(&self, features: &[String]) -> Option<(String, String)> {
        let known = |f: &str| features.iter().any(|n| n == f);
        let mut named: Vec<(&str, &str)> = Vec::new();
        if let Some(s) = &self.sudden {
            named.push(("sudden.feature", &s.feature));
            if !(s.hours_ago.is_finite() && s.hours_ago >= 0.0) {
                return Some(("sudden.hours_ago".into(), "must be a number >= 0".into()));
            }
            if !s.shift.is_finite() {
                return Some(("sudden.shift".into(), "must be a finite number".into()));
            }
        }
        if let Some(g) = &self.gradual {
            named.push(("gradual.feature", &g.feature));
            if !(g.days.is_finite() && g.days > 0.0) {
                return Some(("gradual.days".into(), "must be a number > 0".into()));
            }
            if !g.shift.is_finite() {
                return Some(("gradual.shift".into(), "must be a finite number".into()));
            }
        }
        for s in &self.seasonal {
            named.push(("seasonal.feature", &s.feature));
            if !s.amplitude.is_finite() {
                return Some((
                    "seasonal.amplitude".into(),
                    "must be a finite number".into(),
                ));
            }
        }
        if let Some(m) = &self.missing {
            named.push(("missing.feature", &m.feature));
            if !(m.hours_ago.is_finite() && m.hours.is_finite() && m.hours > 0.0) {
                return Some((
                    "missing.hours".into(),
                    "hours_ago and hours must be numbers, hours > 0".into(),
                ));
            }
            if !(0.0..=1.0).contains(&m.rate) {
                return Some(("missing.rate".into(), "must be between 0 and 1".into()));
            }
        }
        if let Some(p) = &self.protected {
            named.push(("protected.feature", &p.feature));
            if p.rates.len() < 2 {
                return Some(("protected.rates".into(), "needs at least two groups".into()));
            }
            if let Some((g, r)) = p.rates.iter().find(|(_, r)| !(0.0..=1.0).contains(*r)) {
                return Some((
                    "protected.rates".into(),
                    format!("group {g:?}: {r} is not between 0 and 1"),
                ));
            }
        }
        named
            .into_iter()
            .find(|(_, f)| !known(f))
            .map(|(field, f)| {
                (
                    field.to_string(),
                    format!("{f:?} is not one of the model's features {features:?}"),
                )
            })
    }
}

/// A version named by number or by alias (`"champion"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub(crate) enum VersionRef {
    Number(u32),
    Name(String),
}

/// A canary split.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CanarySpec {
    pub version: VersionRef,
    pub percent: u8,
}

/// One workload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkloadSpec {
    pub cluster: String,
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
    pub model: String,
    #[serde(default = "default_version")]
    pub version: VersionRef,
    #[serde(default = "default_replicas")]
    pub replicas: u32,
    /// Mean requests (messages) per second; default by kind.
    pub rps: Option<f64>,
    pub canary: Option<CanarySpec>,
    #[serde(default)]
    pub suspended: bool,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)] // past deploys (crate::revisions)
    pub deploys: Vec<crate::revisions::DeploySpec>,
    pub batch: Option<crate::batch::BatchSpec>, // a cron_job's runs (crate::batch)
    pub stream: Option<crate::stream::StreamSpec>, // a stream_consumer's topic and lag (crate::stream)
}

fn default_seed() -> u64 {
    42
}
fn default_history_days() -> u32 {
    120
}
fn default_hours_ago() -> u32 {
    3
}
fn default_amplitude() -> f64 {
    1.0
}
fn default_outcome() -> String {
    "positive".into()
}
fn default_latency_ms() -> f64 {
    25.0
}
fn default_error_ratio() -> f64 {
    0.002
}
fn default_version() -> VersionRef {
    VersionRef::Name("champion".into())
}
fn default_replicas() -> u32 {
    3
}

impl ModelSpec {
    /// The champion version number.
    pub fn champion(&self) -> u32 {
        self.champion.unwrap_or(match self.challenger {
            Some(_) => self.versions.saturating_sub(1).max(1),
            None => self.versions,
        })
    }

    /// Resolves `r` against this model's versions and aliases.
    pub fn resolve(&self, r: &VersionRef) -> Option<u32> {
        let n = match r {
            VersionRef::Number(n) => *n,
            VersionRef::Name(s) => match s.as_str() {
                "champion" => self.champion(),
                "challenger" => self.challenger?,
                other => other.parse().ok()?,
            },
        };
        (1..=self.versions).contains(&n).then_some(n)
    }
}

impl Scenario {
    /// Parses and checks scenario text.
    pub fn parse(text: &str) -> Result<Scenario, SandboxError> {
        let s: Scenario = toml::from_str(text).map_err(|e| SandboxError::Syntax {
            message: e.to_string().trim_end().to_string(),
        })?;
        s.check(text)?;
        Ok(s)
    }

    /// The model named `name`.
    pub fn model(&self, name: &str) -> Option<&ModelSpec> {
        self.models
            .iter()
            .map(|m| m.get_ref())
            .find(|m| m.name == name)
    }

    fn check(&self, text: &str) -> Result<(), SandboxError> {
        let bad =
            |field: String, span: std::ops::Range<usize>, message: String| SandboxError::Invalid {
                field,
                line: Some(line_of(text, span.start)),
                message,
            };
        if self.clusters.is_empty() {
            return Err(SandboxError::Invalid {
                field: "clusters".into(),
                line: None,
                message: "at least one [[clusters]] entry is needed".into(),
            });
        }
        let mut names = BTreeSet::new();
        for (i, c) in self.clusters.iter().enumerate() {
            let at = || format!("clusters[{i}]");
            if !valid_name(&c.get_ref().name) {
                return Err(bad(
                    format!("{}.name", at()),
                    c.span(),
                    format!(
                        "{:?} is not a valid name (lowercase letters, digits, '-')",
                        c.get_ref().name
                    ),
                ));
            }
            if !names.insert(c.get_ref().name.clone()) {
                return Err(bad(
                    format!("{}.name", at()),
                    c.span(),
                    format!("cluster {:?} is declared twice", c.get_ref().name),
                ));
            }
            if c.get_ref().namespaces.is_empty() {
                return Err(bad(
                    format!("{}.namespaces", at()),
                    c.span(),
                    "a cluster needs at least one namespace".into(),
                ));
            }
            if let Some(ns) = c.get_ref().namespaces.iter().find(|n| !valid_name(n)) {
                return Err(bad(
                    format!("{}.namespaces", at()),
                    c.span(),
                    format!("{ns:?} is not a valid namespace name"),
                ));
            }
        }
        let mut models = BTreeSet::new();
        for (i, m) in self.models.iter().enumerate() {
            let spec = m.get_ref();
            let field = |f: &str| format!("models[{i}].{f}");
            if !valid_name(&spec.name) {
                return Err(bad(
                    field("name"),
                    m.span(),
                    format!("{:?} is not a valid model name", spec.name),
                ));
            }
            if !models.insert(spec.name.clone()) {
                return Err(bad(
                    field("name"),
                    m.span(),
                    format!("model {:?} is declared twice", spec.name),
                ));
            }
            if spec.versions == 0 || spec.versions > 500 {
                return Err(bad(
                    field("versions"),
                    m.span(),
                    format!("{} is out of range 1..=500", spec.versions),
                ));
            }
            let in_range = |v: u32| (1..=spec.versions).contains(&v);
            if let Some(c) = spec.champion.filter(|c| !in_range(*c)) {
                return Err(bad(
                    field("champion"),
                    m.span(),
                    format!(
                        "version {c} does not exist (the model has {} versions)",
                        spec.versions
                    ),
                ));
            }
            if let Some(c) = spec.challenger.filter(|c| !in_range(*c)) {
                return Err(bad(
                    field("challenger"),
                    m.span(),
                    format!(
                        "version {c} does not exist (the model has {} versions)",
                        spec.versions
                    ),
                ));
            }
            if let Some(b) = spec.broken.iter().find(|b| !in_range(**b)) {
                return Err(bad(
                    field("broken"),
                    m.span(),
                    format!("version {b} does not exist"),
                ));
            }
            if !(spec.latency_ms > 0.0 && spec.latency_ms.is_finite()) {
                return Err(bad(
                    field("latency_ms"),
                    m.span(),
                    "must be a positive number".into(),
                ));
            }
            if !(0.0..=1.0).contains(&spec.error_ratio) {
                return Err(bad(
                    field("error_ratio"),
                    m.span(),
                    "must be between 0 and 1".into(),
                ));
            }
            if let Some(d) = &spec.drift {
                let features = if spec.features.is_empty() {
                    crate::populate::default_features(spec.task)
                } else {
                    spec.features.clone()
                };
                if let Some((f, message)) = d.problem(&features) {
                    return Err(bad(field(&format!("drift.{f}")), m.span(), message));
                }
            }
            if let Some(p) = &spec.promotion {
                match p.version.or(spec.challenger) {
                    None => {
                        return Err(bad(
                            field("promotion.version"),
                            m.span(),
                            "no version to promote: set promotion.version or challenger".into(),
                        ));
                    }
                    Some(v) if !in_range(v) => {
                        return Err(bad(
                            field("promotion.version"),
                            m.span(),
                            format!("version {v} does not exist"),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (i, w) in self.workloads.iter().enumerate() {
            let spec = w.get_ref();
            let field = |f: &str| format!("workloads[{i}].{f}");
            let Some(cluster) = self
                .clusters
                .iter()
                .map(|c| c.get_ref())
                .find(|c| c.name == spec.cluster)
            else {
                return Err(bad(
                    field("cluster"),
                    w.span(),
                    format!("cluster {:?} is not declared in [[clusters]]", spec.cluster),
                ));
            };
            if !cluster.namespaces.contains(&spec.namespace) {
                return Err(bad(
                    field("namespace"),
                    w.span(),
                    format!(
                        "namespace {:?} is not one of cluster {:?}'s namespaces {:?}",
                        spec.namespace, cluster.name, cluster.namespaces
                    ),
                ));
            }
            if !valid_name(&spec.name) {
                return Err(bad(
                    field("name"),
                    w.span(),
                    format!("{:?} is not a valid object name", spec.name),
                ));
            }
            if !seen.insert((
                spec.cluster.clone(),
                spec.namespace.clone(),
                spec.kind,
                spec.name.clone(),
            )) {
                return Err(bad(
                    field("name"),
                    w.span(),
                    format!(
                        "{} {:?} is declared twice in {}/{}",
                        spec.kind, spec.name, spec.cluster, spec.namespace
                    ),
                ));
            }
            let Some(model) = self.model(&spec.model) else {
                return Err(bad(
                    field("model"),
                    w.span(),
                    format!("model {:?} is not declared in [[models]]", spec.model),
                ));
            };
            if model.resolve(&spec.version).is_none() {
                return Err(bad(
                    field("version"),
                    w.span(),
                    format!(
                        "{:?} names no version of model {:?} (use a number 1..={}, \"champion\" or \"challenger\")",
                        spec.version, model.name, model.versions
                    ),
                ));
            }
            if let Some(c) = &spec.canary {
                if model.resolve(&c.version).is_none() {
                    return Err(bad(
                        field("canary.version"),
                        w.span(),
                        format!("{:?} names no version of model {:?}", c.version, model.name),
                    ));
                }
                if c.percent > 100 {
                    return Err(bad(
                        field("canary.percent"),
                        w.span(),
                        format!("{} is over 100", c.percent),
                    ));
                }
                if spec.kind != WorkloadKind::InferenceService {
                    return Err(bad(
                        field("canary"),
                        w.span(),
                        "only an inference_service can have a canary".into(),
                    ));
                }
            }
            if let Some(r) = spec.rps.filter(|r| !(r.is_finite() && *r >= 0.0)) {
                return Err(bad(
                    field("rps"),
                    w.span(),
                    format!("{r} is not a non-negative number"),
                ));
            }
            if spec.labels.contains_key("modeldeck.io/model") {
                return Err(bad(
                    field("labels"),
                    w.span(),
                    "the binding label modeldeck.io/model comes from `model`; do not set it in labels".into(),
                ));
            }
            if spec.suspended && !spec.kind.is_batch() {
                return Err(bad(
                    field("suspended"),
                    w.span(),
                    "only a cron_job or a pipeline can be suspended".into(),
                ));
            }
            let problem = crate::revisions::deploys_problem(spec.kind, &spec.deploys)
                .or_else(|| crate::batch::problem(spec.kind, spec.batch.as_ref()))
                .or_else(|| {
                    let deployed = !spec.deploys.is_empty();
                    crate::stream::problem(spec.kind, spec.rps, spec.stream.as_ref(), deployed)
                });
            if let Some((f, m)) = problem {
                return Err(bad(field(&f), w.span(), m));
            }
        }
        Ok(())
    }
}
