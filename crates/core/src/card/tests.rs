use super::*;
use crate::domain::{Timestamp, VersionStatus};

fn model(desc: Option<&str>, tags: &[(&str, &str)]) -> RegisteredModel {
    RegisteredModel {
        name: "m".into(),
        description: desc.map(str::to_string),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        aliases: BTreeMap::new(),
        latest_version: Some("2".into()),
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
    }
}

fn version(desc: Option<&str>, tags: &[(&str, &str)]) -> ModelVersion {
    ModelVersion {
        model: "m".into(),
        version: "2".into(),
        run_id: Some("r".into()),
        source: "runs:/r/model".into(),
        status: VersionStatus::Ready,
        aliases: vec![],
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        description: desc.map(str::to_string),
        user: None,
        created_at: Timestamp(0),
    }
}

const HF_STYLE: &str = "Scores card-not-present payments.\n\n\
## Intended uses & limitations\nCheckout fraud scoring in the EU.\n\n\
### Out-of-scope use\nNot for credit decisions.\n\n\
## Training Data\nSix months of chargebacks.\n```\n## License\nnot a heading in code\n```\n\
## Bias, Risks, and Limitations\nWeak on new merchants.\n\n\
## License\n[More Information Needed]\n";

#[test]
fn tags_are_read_with_their_source() {
    let m = model(
        None,
        &[
            ("modeldeck.card.intended_use", "Fraud scoring"),
            ("owner", "dana"),
        ],
    );
    let c = build_card(&m, None, None);
    assert_eq!(c.value(CardField::IntendedUse), Some("Fraud scoring"));
    assert_eq!(
        c.entry(CardField::Owner).and_then(|e| e.source.clone()),
        Some(CardSource::ModelTag {
            key: "owner".into()
        })
    );
    assert_eq!(
        c.missing(&[
            CardField::IntendedUse,
            CardField::Limitations,
            CardField::Owner
        ]),
        vec![CardField::Limitations]
    );
    assert_eq!(c.fields.len(), CardField::ALL.len());
}

#[test]
fn description_headings_are_sections() {
    let m = model(Some(HF_STYLE), &[]);
    let c = build_card(&m, None, None);
    assert_eq!(
        c.summary.as_deref(),
        Some("Scores card-not-present payments.")
    );
    // The combined HF heading is the intended use, its sub-section included.
    let use_ = c.value(CardField::IntendedUse).unwrap_or_default();
    assert!(
        use_.starts_with("Checkout fraud scoring in the EU."),
        "{use_}"
    );
    assert!(use_.contains("Not for credit decisions."), "{use_}");
    // A sub-section is also a section of its own, but the first match wins:
    // limitations come from "Out-of-scope use", which precedes "Bias, ...".
    assert_eq!(
        c.value(CardField::Limitations),
        Some("Not for credit decisions.")
    );
    let data = c.value(CardField::TrainingData).unwrap_or_default();
    assert!(data.contains("## License\nnot a heading in code"), "{data}");
    // A template placeholder is missing, not filled.
    assert_eq!(c.value(CardField::License), None);
    assert_eq!(
        c.entry(CardField::TrainingData)
            .and_then(|e| e.source.clone()),
        Some(CardSource::ModelDescription {
            heading: "Training Data".into()
        })
    );
}

#[test]
fn version_overrides_model_and_tags_override_sections() {
    let m = model(
        Some("## Owner\nmodel-section\n## Limitations\nmodel-lim\n"),
        &[("modeldeck.card.owner", "model-tag"), ("license", "MIT")],
    );
    let v = version(
        Some("# Owner\nversion-section\n# Contact\nv@example.com"),
        &[("modeldeck.card.limitations", "  ")],
    );
    let c = build_card(&m, Some(&v), None);
    assert_eq!(c.version.as_deref(), Some("2"));
    // Version description beats the model's tag.
    assert_eq!(c.value(CardField::Owner), Some("version-section"));
    // A blank version tag is no value: the model's section stands.
    assert_eq!(c.value(CardField::Limitations), Some("model-lim"));
    assert_eq!(c.value(CardField::Contact), Some("v@example.com"));
    assert_eq!(c.value(CardField::License), Some("MIT"));
    let v2 = version(None, &[("modeldeck.card.owner", "version-tag")]);
    let c2 = build_card(&m, Some(&v2), None);
    assert_eq!(c2.value(CardField::Owner), Some("version-tag"));
    assert_eq!(
        c2.entry(CardField::Owner).and_then(|e| e.source.clone()),
        Some(CardSource::VersionTag {
            key: "modeldeck.card.owner".into()
        })
    );
}

#[test]
fn team_tag_is_not_an_owner() {
    let c = build_card(&model(None, &[("team", "risk")]), None, None);
    assert!(!c.has(CardField::Owner));
}

#[test]
fn fairness_metrics_fill_the_fairness_field() {
    let run = RunData {
        run_id: "r".into(),
        metrics: [
            ("fairness.spd.age_band", -0.27),
            ("fairness.dir.age_band", 0.6),
            ("fairness.spd.region", 0.01),
            ("fairness.spd.", 1.0),
            ("auc", 0.91),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect(),
        ..Default::default()
    };
    let c = build_card(&model(None, &[]), Some(&version(None, &[])), Some(&run));
    assert!(c.has(CardField::Fairness));
    assert_eq!(c.value(CardField::Fairness), None);
    assert_eq!(
        c.entry(CardField::Fairness).and_then(|e| e.source.clone()),
        Some(CardSource::RunMetrics)
    );
    assert_eq!(c.fairness.len(), 2);
    assert_eq!(c.fairness[0].attribute, "age_band");
    assert_eq!(c.fairness[0].spd, Some(-0.27));
    assert_eq!(c.fairness[0].dir, Some(0.6));
    assert_eq!(c.fairness[1].dir, None);
    assert_eq!(c.metrics.get("auc"), Some(&0.91));
    assert!(c.metrics.contains_key("fairness.spd."));
    assert_eq!(c.filled(), 1);
}

#[test]
fn hostile_text_is_kept_raw() {
    let hostile = "\u{1b}[2J\u{1b}]52;c;aGk=\u{7}owner\u{202e}evil\r\n<script>";
    let m = model(
        Some("#not-a-heading\n####### seven\n    ## indented code\n## Owner\n\u{1b}[31mred"),
        &[("modeldeck.card.contact", hostile)],
    );
    let c = build_card(&m, None, None);
    assert_eq!(c.value(CardField::Contact), Some(hostile.trim()));
    assert_eq!(c.value(CardField::Owner), Some("\u{1b}[31mred"));
    assert_eq!(
        c.summary.as_deref(),
        Some("#not-a-heading\n####### seven\n    ## indented code")
    );
    let json = serde_json::to_string(&c).unwrap_or_default();
    let back: ModelCard = serde_json::from_str(&json).expect("round trip");
    assert_eq!(back, c);
}

#[test]
fn field_keys_parse_and_unknown_ones_are_named() {
    assert_eq!(CardField::parse("intended-use"), Ok(CardField::IntendedUse));
    assert_eq!(CardField::parse(" Owner "), Ok(CardField::Owner));
    let e = CardField::parse("ownr").unwrap_err();
    assert!(e.contains("\"ownr\"") && e.contains("limitations"), "{e}");
    for f in CardField::ALL {
        assert_eq!(CardField::parse(f.key()), Ok(f));
    }
}

#[test]
fn empty_and_headingless_descriptions() {
    let c = build_card(&model(Some("just prose"), &[]), None, None);
    assert_eq!(c.summary.as_deref(), Some("just prose"));
    assert_eq!(c.filled(), 0);
    let c = build_card(&model(Some(""), &[]), None, None);
    assert_eq!(c.summary, None);
}
