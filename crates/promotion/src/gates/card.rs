//! The `card` gate: the candidate's model card (core `card::build_card`)
//! must have every field the policy's `card_required` names. A missing
//! field fails the gate, naming the fields and the tags that would fill
//! them; a registry that cannot say fails it too (no data is not good news).

use super::gate;
use crate::policy::Policy;
use modeldeck_core::card::{CARD_TAG_PREFIX, CardField, build_card};
use modeldeck_core::domain::{GateResult, GateStatus, ModelVersion, RegisteredModel, RunData};
use modeldeck_core::error::PortResult;

/// The gate's name in checklists and approvals.
pub const CARD_GATE: &str = "card";

/// The `card` gate for `candidate` of `model`; `None` when the policy
/// requires no card field. The run matters only for the fairness field
/// (fairness metrics fill it): an unreadable run is named when that field
/// is missing.
pub fn card_gate(
    policy: &Policy,
    model: &PortResult<RegisteredModel>,
    candidate: &(ModelVersion, PortResult<Option<RunData>>),
) -> Option<GateResult> {
    if policy.card_required.is_empty() {
        return None;
    }
    let (v, run) = candidate;
    let model = match model {
        Ok(m) => m,
        Err(e) => {
            return Some(gate(
                CARD_GATE,
                GateStatus::Fail,
                format!("cannot read registered model {}: {e}", v.model),
            ));
        }
    };
    let run_ok = run.as_ref().ok().and_then(Option::as_ref);
    let card = build_card(model, Some(v), run_ok);
    let missing = card.missing(&policy.card_required);
    let keys = |fs: &[CardField]| fs.iter().map(|f| f.key()).collect::<Vec<_>>().join(", ");
    if missing.is_empty() {
        return Some(gate(
            CARD_GATE,
            GateStatus::Pass,
            format!(
                "model card of v{} has {}",
                v.version,
                keys(&policy.card_required)
            ),
        ));
    }
    let tags: Vec<String> = missing
        .iter()
        .map(|f| format!("{CARD_TAG_PREFIX}{}", f.key()))
        .collect();
    let mut detail = format!(
        "model card of v{} lacks {} (policy requires {}); set tags {} or description sections",
        v.version,
        keys(&missing),
        keys(&policy.card_required),
        tags.join(", ")
    );
    if let (true, Err(e)) = (missing.contains(&CardField::Fairness), run) {
        detail.push_str(&format!("; the run (fairness metrics) is unreadable: {e}"));
    }
    Some(gate(CARD_GATE, GateStatus::Fail, detail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use modeldeck_core::domain::{Timestamp, VersionStatus};
    use modeldeck_core::error::{Backend, BackendError, ErrorCode};
    use std::collections::BTreeMap;

    fn model(tags: &[(&str, &str)]) -> RegisteredModel {
        RegisteredModel {
            name: "ltv-estimator".into(),
            description: Some("LTV\n## Intended use\nCRM budgets".into()),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            aliases: BTreeMap::new(),
            latest_version: Some("3".into()),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn version() -> ModelVersion {
        ModelVersion {
            model: "ltv-estimator".into(),
            version: "3".into(),
            run_id: None,
            source: "runs:/r/model".into(),
            status: VersionStatus::Ready,
            aliases: vec![],
            tags: BTreeMap::new(),
            description: None,
            user: None,
            created_at: Timestamp(0),
        }
    }

    fn policy(fields: &[CardField]) -> Policy {
        Policy {
            card_required: fields.to_vec(),
            ..Policy::default()
        }
    }

    const REQUIRED: [CardField; 3] = [
        CardField::IntendedUse,
        CardField::Limitations,
        CardField::Owner,
    ];

    #[test]
    fn missing_fields_fail_by_name() {
        let g =
            card_gate(&policy(&REQUIRED), &Ok(model(&[])), &(version(), Ok(None))).expect("a gate");
        assert_eq!(g.name, "card");
        assert_eq!(g.status, GateStatus::Fail);
        assert!(
            g.detail
                .starts_with("model card of v3 lacks limitations, owner ("),
            "{}",
            g.detail
        );
        assert!(g.detail.contains("modeldeck.card.owner"), "{}", g.detail);
    }

    #[test]
    fn a_complete_card_passes_and_no_requirement_is_no_gate() {
        let m = model(&[
            ("modeldeck.card.limitations", "US only"),
            ("owner", "growth-analytics"),
        ]);
        let g =
            card_gate(&policy(&REQUIRED), &Ok(m.clone()), &(version(), Ok(None))).expect("a gate");
        assert_eq!(g.status, GateStatus::Pass, "{}", g.detail);
        assert!(card_gate(&policy(&[]), &Ok(m), &(version(), Ok(None))).is_none());
    }

    #[test]
    fn an_unreadable_registry_fails() {
        let err = BackendError::new(Backend::Registry, ErrorCode::Unreachable, "mlflow down");
        let g = card_gate(
            &policy(&REQUIRED),
            &Err(err.clone()),
            &(version(), Ok(None)),
        )
        .expect("a gate");
        assert_eq!(g.status, GateStatus::Fail);
        assert!(
            g.detail
                .contains("cannot read registered model ltv-estimator")
        );
        let g = card_gate(
            &policy(&[CardField::Fairness]),
            &Ok(model(&[])),
            &(version(), Err(err)),
        )
        .expect("a gate");
        assert_eq!(g.status, GateStatus::Fail);
        assert!(g.detail.contains("lacks fairness"), "{}", g.detail);
        assert!(g.detail.contains("run (fairness metrics) is unreadable"));
    }
}
