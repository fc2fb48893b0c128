//! `modeldeck card <model> [--version V]`: the model card core builds
//! (`card::build_card`) from the registered model's and the version's
//! descriptions and tags and the version's run metrics, each field with its
//! source, and the fields the model's promotion policy requires
//! (`card_required`) that it lacks. Tables neutralize the (untrusted) text;
//! JSON carries it raw.

use super::resolve::{require_model, resolve_version};
use crate::cli::CardArgs;
use crate::failure::{Exit, Failure};
use crate::render::table::clean;
use crate::render::{Printer, metric};
use modeldeck_app::Session;
use modeldeck_core::card::{CardField, CardSource, FairnessResult, ModelCard, build_card};
use serde::Serialize;
use std::collections::BTreeMap;

/// The `card` document.
#[derive(Debug, Serialize)]
pub struct CardDoc {
    /// Registered model.
    pub model: String,
    /// The version whose card this is (`null`: the model has no versions).
    pub version: Option<String>,
    /// How the version was chosen: `given`, `champion`, `latest` or `none`.
    pub version_source: &'static str,
    /// The model description's text before its first heading.
    pub summary: Option<String>,
    /// Every card field in order, present or not.
    pub fields: Vec<FieldDoc>,
    /// Fairness metrics of the version's run, per attribute.
    pub fairness: Vec<FairnessResult>,
    /// The run's other metrics.
    pub metrics: BTreeMap<String, f64>,
    /// Fields the model's promotion policy requires (`card_required`).
    pub required: Vec<CardField>,
    /// Required fields the card lacks.
    pub missing: Vec<CardField>,
    /// Why the policy could not be read, if it could not (then `required`
    /// is empty).
    pub policy_error: Option<String>,
}

/// One field.
#[derive(Debug, Serialize)]
pub struct FieldDoc {
    /// Key (`intended_use`).
    pub key: &'static str,
    /// Label (`Intended use`).
    pub label: &'static str,
    /// Raw text, `null` when missing.
    pub value: Option<String>,
    /// Where it was read (`{"kind": "model_tag", "key": ...}`).
    pub source: Option<CardSource>,
}

/// Reads the model, its version and run, and prints the card.
///
/// Errors: `not_found` (exit 3) for an unknown model or version; registry
/// errors (exit 4); with `--check`, exit 5 when a required field is missing.
pub async fn run(s: &Session, args: &CardArgs, printer: Printer) -> Result<Exit, Failure> {
    let console = &s.console;
    let m = require_model(console, &args.model).await?;
    let versions = console.list_versions(&m.name).await?;
    let (version, version_source) = match &args.version {
        Some(v) => (Some(resolve_version(&m, &versions, v)?), "given"),
        None => match m.aliases.get("champion") {
            Some(v) => (Some(v.clone()), "champion"),
            None => match versions.first() {
                Some(v) => (Some(v.version.clone()), "latest"),
                None => (None, "none"),
            },
        },
    };
    let card = match &version {
        Some(v) => {
            let side = console.version_detail(&m.name, v).await?;
            build_card(&m, Some(&side.version), side.run.as_ref())
        }
        None => build_card(&m, None, None),
    };
    let (required, policy_error) = match s.promotions() {
        Ok(p) => (p.policies().for_model(&m.name).card_required.clone(), None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let doc = document(card, version_source, required, policy_error);
    printer.print(&doc, |_| render(&doc))?;
    if args.check && !doc.missing.is_empty() {
        return Ok(Exit::Refused);
    }
    Ok(Exit::Ok)
}

/// The document for `card` under a policy requiring `required`.
pub fn document(
    card: ModelCard,
    version_source: &'static str,
    required: Vec<CardField>,
    policy_error: Option<String>,
) -> CardDoc {
    let missing = card.missing(&required);
    CardDoc {
        model: card.model,
        version: card.version,
        version_source,
        summary: card.summary,
        fields: card
            .fields
            .into_iter()
            .map(|e| FieldDoc {
                key: e.field.key(),
                label: e.field.label(),
                value: e.value,
                source: e.source,
            })
            .collect(),
        fairness: card.fairness,
        metrics: card.metrics,
        required,
        missing,
        policy_error,
    }
}

fn render(doc: &CardDoc) -> String {
    let title = match &doc.version {
        Some(v) => format!("{} v{v}", clean(&doc.model)),
        None => clean(&doc.model).into_owned(),
    };
    let mut out = format!("Model card: {title}\n");
    if let Some(s) = &doc.summary {
        out.push_str(&format!("{}\n", clean(s.trim())));
    }
    out.push('\n');
    for f in &doc.fields {
        let mark = if doc.missing.iter().any(|m| m.key() == f.key) {
            " (required, missing)"
        } else if doc.required.iter().any(|m| m.key() == f.key) {
            " (required)"
        } else {
            ""
        };
        match (&f.value, &f.source) {
            (Some(v), src) => {
                let from = src.as_ref().map(|s| s.describe()).unwrap_or_default();
                out.push_str(&format!("{}{mark}  [{}]\n", f.label, clean(&from)));
                for line in v.lines() {
                    out.push_str(&format!("  {}\n", clean(line)));
                }
            }
            (None, Some(CardSource::RunMetrics)) => {
                out.push_str(&format!("{}{mark}  [run metrics fairness.*]\n", f.label));
            }
            (None, _) => out.push_str(&format!("{}{mark}\n  -\n", f.label)),
        }
    }
    if !doc.fairness.is_empty() {
        out.push_str("\nFairness results (run metrics)\n");
        for r in &doc.fairness {
            let show = |v: Option<f64>| v.map_or_else(|| "-".to_string(), metric);
            out.push_str(&format!(
                "  {}: parity difference {}, impact ratio {}\n",
                clean(&r.attribute),
                show(r.spd),
                show(r.dir)
            ));
        }
    }
    if !doc.metrics.is_empty() {
        out.push_str("\nEvaluation metrics (run)\n");
        for (k, v) in &doc.metrics {
            out.push_str(&format!("  {}: {}\n", clean(k), metric(*v)));
        }
    }
    if !doc.missing.is_empty() {
        let keys: Vec<&str> = doc.missing.iter().map(|f| f.key()).collect();
        out.push_str(&format!(
            "\nmissing for promotion (card_required): {}\n",
            keys.join(", ")
        ));
    }
    if let Some(e) = &doc.policy_error {
        out.push_str(&format!("\npolicy not read: {}\n", clean(e)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::{RegisteredModel, Timestamp};

    #[test]
    fn a_hostile_card_is_drawn_without_control_characters() {
        // A requester who may write registry tags sets a card field that
        // clears the screen, writes the clipboard (OSC 52) and reverses text.
        let hostile = "\u{1b}[2J\u{1b}]52;c;aGk=\u{7}owner\u{202e}evil\r\nsecond line";
        let m = RegisteredModel {
            name: "m\u{1b}[31m".into(),
            description: Some(format!("summary {hostile}\n## Limitations\n{hostile}")),
            tags: [("modeldeck.card.owner".to_string(), hostile.to_string())].into(),
            aliases: BTreeMap::new(),
            latest_version: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let doc = document(build_card(&m, None, None), "none", vec![], None);
        let out = render(&doc);
        let bad: Vec<char> = out
            .chars()
            .filter(|c| (c.is_control() && *c != '\n') || *c == '\u{202e}')
            .collect();
        assert!(bad.is_empty(), "{bad:?} in {out}");
        assert!(out.contains("owner"), "{out}");
        assert!(out.contains("second line"), "{out}");
        // JSON keeps the text as it is, escaped by serde.
        let json = serde_json::to_string(&doc).unwrap_or_default();
        assert!(json.contains("\\u001b[2J"), "{json}");
    }
}
