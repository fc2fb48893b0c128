//! The model card: what a registered model and one of its versions say about
//! themselves (intended use, limitations, owner, training data, evaluation
//! and fairness results, license, contact), gathered from registry tags,
//! Markdown descriptions and the version's run metrics, each field with the
//! place it came from. Both front ends render this view model; a promotion
//! policy can require named fields (`card_required`).
//!
//! Sources, strongest first (docs/model-card.md):
//! 1. a version tag `modeldeck.card.<field>` (or a plain alias: `owner`,
//!    `license`, `contact`...);
//! 2. a section of the version's description under a heading that names the
//!    field (`## Intended use`, Hugging Face's `## Training Data`...);
//! 3. a model tag, then 4. a section of the model's description.
//!
//! Fairness results come from run metrics `fairness.spd.<attribute>` and
//! `fairness.dir.<attribute>`. Every text is untrusted registry input: it is
//! kept raw here (and in JSON); front ends neutralize it when drawing.

use crate::domain::{ModelVersion, RegisteredModel, RunData};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prefix of the card's tags: `modeldeck.card.intended_use`...
pub const CARD_TAG_PREFIX: &str = "modeldeck.card.";

/// Run metric prefix of statistical parity differences, per attribute.
pub const FAIRNESS_SPD_PREFIX: &str = "fairness.spd.";
/// Run metric prefix of disparate impact ratios, per attribute.
pub const FAIRNESS_DIR_PREFIX: &str = "fairness.dir.";

/// One field of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CardField {
    /// What the model is for, and for whom.
    IntendedUse,
    /// Known failure modes and out-of-scope uses.
    Limitations,
    /// The accountable person or team.
    Owner,
    /// Where to ask about the model.
    Contact,
    /// The data it was trained on.
    TrainingData,
    /// How it was evaluated, and the results.
    Evaluation,
    /// Fairness considerations (present too when fairness metrics are).
    Fairness,
    /// The model's license.
    License,
}

impl CardField {
    /// Every field, in card order.
    pub const ALL: [CardField; 8] = [
        CardField::IntendedUse,
        CardField::Limitations,
        CardField::Owner,
        CardField::Contact,
        CardField::TrainingData,
        CardField::Evaluation,
        CardField::Fairness,
        CardField::License,
    ];

    /// The key in tags, policies and JSON (`intended_use`).
    pub fn key(self) -> &'static str {
        match self {
            CardField::IntendedUse => "intended_use",
            CardField::Limitations => "limitations",
            CardField::Owner => "owner",
            CardField::Contact => "contact",
            CardField::TrainingData => "training_data",
            CardField::Evaluation => "evaluation",
            CardField::Fairness => "fairness",
            CardField::License => "license",
        }
    }

    /// The label a reader sees (`Intended use`).
    pub fn label(self) -> &'static str {
        match self {
            CardField::IntendedUse => "Intended use",
            CardField::Limitations => "Limitations",
            CardField::Owner => "Owner",
            CardField::Contact => "Contact",
            CardField::TrainingData => "Training data",
            CardField::Evaluation => "Evaluation",
            CardField::Fairness => "Fairness",
            CardField::License => "License",
        }
    }

    /// The field a key names (`intended_use`, also `intended-use`).
    ///
    /// Errors: the unknown key and the known ones, for policy messages.
    pub fn parse(key: &str) -> Result<CardField, String> {
        let k = key.trim().to_ascii_lowercase().replace('-', "_");
        CardField::ALL
            .into_iter()
            .find(|f| f.key() == k)
            .ok_or_else(|| {
                let known: Vec<&str> = CardField::ALL.iter().map(|f| f.key()).collect();
                format!(
                    "unknown model card field {key:?} (known: {})",
                    known.join(", ")
                )
            })
    }

    /// Plain tag keys read as this field after `modeldeck.card.<key>`:
    /// common conventions in MLflow registries. `team` is not an owner: it
    /// is often a cost centre, not who answers for the model.
    fn tag_aliases(self) -> &'static [&'static str] {
        match self {
            CardField::Owner => &["owner", "model_owner", "owners"],
            CardField::Contact => &["contact", "contact_email"],
            CardField::License => &["license", "licence"],
            CardField::IntendedUse => &["intended_use"],
            CardField::Limitations => &["limitations"],
            CardField::TrainingData => &["training_data", "dataset"],
            _ => &[],
        }
    }

    /// The field a Markdown heading names, after normalisation (lower case,
    /// punctuation to spaces, `optional` markers dropped). Headings follow
    /// Google's Model Cards paper and Hugging Face's template.
    fn from_heading(heading: &str) -> Option<CardField> {
        let h = normalise_heading(heading);
        let field = match h.as_str() {
            "intended use"
            | "intended uses"
            | "intended uses and limitations"
            | "uses"
            | "direct use"
            | "primary intended uses"
            | "use cases"
            | "intended purpose" => CardField::IntendedUse,
            "limitations"
            | "known limitations"
            | "limitations and bias"
            | "bias risks and limitations"
            | "risks and limitations"
            | "caveats and recommendations"
            | "out of scope use"
            | "out of scope uses" => CardField::Limitations,
            "owner" | "owners" | "model owner" | "model owners" => CardField::Owner,
            "contact" | "model card contact" | "contact information" | "contacts" => {
                CardField::Contact
            }
            "training data" | "training dataset" | "training datasets" | "data" => {
                CardField::TrainingData
            }
            "evaluation"
            | "evaluation results"
            | "results"
            | "evaluation data"
            | "metrics"
            | "quantitative analyses"
            | "performance" => CardField::Evaluation,
            "fairness"
            | "fairness results"
            | "fairness considerations"
            | "ethical considerations" => CardField::Fairness,
            "license" | "licence" => CardField::License,
            _ => return None,
        };
        Some(field)
    }
}

fn normalise_heading(h: &str) -> String {
    let lowered = h.to_lowercase().replace('&', " and ");
    let words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "optional")
        .collect();
    words.join(" ")
}

/// Where a field's value was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CardSource {
    /// A tag of the version.
    VersionTag {
        /// The tag key.
        key: String,
    },
    /// A section of the version's description.
    VersionDescription {
        /// The heading, as written.
        heading: String,
    },
    /// A tag of the registered model.
    ModelTag {
        /// The tag key.
        key: String,
    },
    /// A section of the registered model's description.
    ModelDescription {
        /// The heading, as written.
        heading: String,
    },
    /// Run metrics (`fairness.*`): the fairness field has no text.
    RunMetrics,
}

impl CardSource {
    /// Short words for screens: `version tag modeldeck.card.owner`.
    pub fn describe(&self) -> String {
        match self {
            CardSource::VersionTag { key } => format!("version tag {key}"),
            CardSource::VersionDescription { heading } => {
                format!("version description \u{a7} {heading}")
            }
            CardSource::ModelTag { key } => format!("model tag {key}"),
            CardSource::ModelDescription { heading } => {
                format!("model description \u{a7} {heading}")
            }
            CardSource::RunMetrics => "run metrics fairness.*".into(),
        }
    }
}

/// One field's value and where it came from (`value` is `None` when no
/// source has it, or only a placeholder such as `TODO`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CardEntry {
    /// Which field.
    pub field: CardField,
    /// The raw text (untrusted).
    pub value: Option<String>,
    /// Where it was read.
    pub source: Option<CardSource>,
}

/// Fairness metrics of one protected attribute, from the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FairnessResult {
    /// The attribute (`age_band`).
    pub attribute: String,
    /// Statistical parity difference (`fairness.spd.<attribute>`).
    pub spd: Option<f64>,
    /// Disparate impact ratio (`fairness.dir.<attribute>`).
    pub dir: Option<f64>,
}

/// The card of a model, or of one version of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelCard {
    /// Registered model name.
    pub model: String,
    /// The version the card is for, `None` for the model alone.
    pub version: Option<String>,
    /// The model description's text before its first heading.
    pub summary: Option<String>,
    /// Every field, in [`CardField::ALL`] order, present or not.
    pub fields: Vec<CardEntry>,
    /// Fairness metrics per attribute, sorted by attribute.
    pub fairness: Vec<FairnessResult>,
    /// The run's other metrics (the evaluation's numbers).
    pub metrics: BTreeMap<String, f64>,
}

impl ModelCard {
    /// The entry of `field`.
    pub fn entry(&self, field: CardField) -> Option<&CardEntry> {
        self.fields.iter().find(|e| e.field == field)
    }

    /// The value of `field`, if present.
    pub fn value(&self, field: CardField) -> Option<&str> {
        self.entry(field).and_then(|e| e.value.as_deref())
    }

    /// Whether `field` is filled (fairness: text or fairness metrics).
    pub fn has(&self, field: CardField) -> bool {
        self.value(field).is_some() || (field == CardField::Fairness && !self.fairness.is_empty())
    }

    /// The fields of `required` the card lacks, in the order given.
    pub fn missing(&self, required: &[CardField]) -> Vec<CardField> {
        let mut out: Vec<CardField> = Vec::new();
        for f in required {
            if !self.has(*f) && !out.contains(f) {
                out.push(*f);
            }
        }
        out
    }

    /// How many fields are filled, out of [`CardField::ALL`].
    pub fn filled(&self) -> usize {
        CardField::ALL.iter().filter(|f| self.has(**f)).count()
    }
}

/// The card of `model` and, when given, its `version` (with the version's
/// `run` for fairness and evaluation metrics). Version sources override
/// model sources; within one level a tag overrides a description section.
pub fn build_card(
    model: &RegisteredModel,
    version: Option<&ModelVersion>,
    run: Option<&RunData>,
) -> ModelCard {
    let model_sections = model
        .description
        .as_deref()
        .map(sections)
        .unwrap_or_default();
    let version_sections = version
        .and_then(|v| v.description.as_deref())
        .map(sections)
        .unwrap_or_default();
    let mut fields = Vec::with_capacity(CardField::ALL.len());
    for field in CardField::ALL {
        let found = version
            .and_then(|v| from_tags(&v.tags, field))
            .map(|(key, v)| (v, CardSource::VersionTag { key }))
            .or_else(|| {
                from_sections(&version_sections, field)
                    .map(|(heading, v)| (v, CardSource::VersionDescription { heading }))
            })
            .or_else(|| {
                from_tags(&model.tags, field).map(|(key, v)| (v, CardSource::ModelTag { key }))
            })
            .or_else(|| {
                from_sections(&model_sections, field)
                    .map(|(heading, v)| (v, CardSource::ModelDescription { heading }))
            });
        let (value, source) = match found {
            Some((v, s)) => (Some(v), Some(s)),
            None => (None, None),
        };
        fields.push(CardEntry {
            field,
            value,
            source,
        });
    }
    let (fairness, metrics) = run.map(split_metrics).unwrap_or_default();
    if let Some(e) = fields.iter_mut().find(|e| e.field == CardField::Fairness)
        && e.value.is_none()
        && !fairness.is_empty()
    {
        e.source = Some(CardSource::RunMetrics);
    }
    let summary = model
        .description
        .as_deref()
        .and_then(|d| filled(preamble(d)));
    ModelCard {
        model: model.name.clone(),
        version: version.map(|v| v.version.clone()),
        summary,
        fields,
        fairness,
        metrics,
    }
}

/// A value that says nothing: empty, or a template's placeholder.
fn filled(text: &str) -> Option<String> {
    let t = text.trim();
    let bare = t
        .trim_matches(|c: char| matches!(c, '[' | ']' | '(' | ')' | '*' | '_' | '.'))
        .trim()
        .to_ascii_lowercase();
    let placeholder = matches!(
        bare.as_str(),
        "" | "todo" | "tbd" | "tba" | "more information needed" | "fill me" | "-"
    );
    (!placeholder).then(|| t.to_string())
}

fn from_tags(tags: &BTreeMap<String, String>, field: CardField) -> Option<(String, String)> {
    let own = format!("{CARD_TAG_PREFIX}{}", field.key());
    std::iter::once(own)
        .chain(field.tag_aliases().iter().map(|a| a.to_string()))
        .find_map(|k| tags.get(&k).and_then(|v| filled(v)).map(|v| (k, v)))
}

fn from_sections(sections: &[(String, String)], field: CardField) -> Option<(String, String)> {
    sections.iter().find_map(|(h, body)| {
        (CardField::from_heading(h) == Some(field))
            .then(|| filled(body))
            .flatten()
            .map(|b| (h.clone(), b))
    })
}

/// The ATX heading of a line (`## Intended use` -> (2, "Intended use")).
fn heading(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_start();
    if line.len() - t.len() > 3 {
        return None;
    }
    let level = t.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &t[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let text = rest.trim().trim_end_matches('#').trim();
    Some((level, text))
}

/// The text before the first heading.
fn preamble(description: &str) -> &str {
    let mut end = description.len();
    let mut at = 0;
    for line in description.split_inclusive('\n') {
        if heading(line).is_some() {
            end = at;
            break;
        }
        at += line.len();
    }
    &description[..end]
}

/// `(heading, body)` of every heading; a body runs to the next heading of
/// the same or a higher level (sub-sections stay in it). Lines in fenced
/// code blocks are never headings.
fn sections(description: &str) -> Vec<(String, String)> {
    let mut heads: Vec<(usize, usize, usize, String)> = Vec::new(); // level, start, body start, text
    let mut at = 0;
    let mut fenced = false;
    for line in description.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
        } else if !fenced && let Some((level, text)) = heading(line) {
            heads.push((level, at, at + line.len(), text.to_string()));
        }
        at += line.len();
    }
    let mut out = Vec::with_capacity(heads.len());
    for (i, (level, _, body, text)) in heads.iter().enumerate() {
        let end = heads[i + 1..]
            .iter()
            .find(|(l, ..)| l <= level)
            .map_or(description.len(), |(_, start, ..)| *start);
        out.push((text.clone(), description[*body..end].to_string()));
    }
    out
}

type SplitMetrics = (Vec<FairnessResult>, BTreeMap<String, f64>);

fn split_metrics(run: &RunData) -> SplitMetrics {
    let mut fair: BTreeMap<String, FairnessResult> = BTreeMap::new();
    let mut rest = BTreeMap::new();
    for (k, v) in &run.metrics {
        let (attr, spd) = if let Some(a) = k.strip_prefix(FAIRNESS_SPD_PREFIX) {
            (a, true)
        } else if let Some(a) = k.strip_prefix(FAIRNESS_DIR_PREFIX) {
            (a, false)
        } else {
            rest.insert(k.clone(), *v);
            continue;
        };
        if attr.is_empty() {
            rest.insert(k.clone(), *v);
            continue;
        }
        let e = fair
            .entry(attr.to_string())
            .or_insert_with(|| FairnessResult {
                attribute: attr.to_string(),
                spd: None,
                dir: None,
            });
        if spd {
            e.spd = Some(*v);
        } else {
            e.dir = Some(*v);
        }
    }
    (fair.into_values().collect(), rest)
}

#[cfg(test)]
mod tests;
