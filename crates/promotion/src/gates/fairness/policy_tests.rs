//! The fairness rule in a policy: both forms, and bad values named.

use super::tests::thresholds;
use super::*;
use crate::policy::{FairnessRule, PolicySet};
use modeldeck_core::drift::fairness::FairnessPolicy;
use std::collections::BTreeMap;

#[test]
fn the_policys_keys_win_over_the_profiles() {
    let profile = FairnessPolicy {
        spd_max: Some(0.05),
        dir_min: Some(0.9),
        min_rows: Some(100.0),
        reference: BTreeMap::from([
            ("age_band".into(), "36-50".into()),
            ("region".into(), "north".into()),
        ]),
        favorable: vec!["granted".into()],
    };
    let rule = FairnessPolicy {
        spd_max: Some(0.1),
        reference: BTreeMap::from([("age_band".into(), "26-35".into())]),
        ..FairnessPolicy::default()
    };
    let m = merged(&rule, Some(&profile));
    assert_eq!(m.spd_max, Some(0.1));
    assert_eq!(m.dir_min, Some(0.9));
    assert_eq!(m.min_rows, Some(100.0));
    assert_eq!(m.reference["age_band"], "26-35");
    assert_eq!(m.reference["region"], "north");
    assert_eq!(m.favorable, ["granted"]);
    assert_eq!(merged(&rule, None), rule);
}

fn parse(text: &str) -> Result<PolicySet, String> {
    let set: PolicySet = toml::from_str(text).map_err(|e| e.to_string())?;
    set.validate()?;
    Ok(set)
}

#[test]
fn the_policy_takes_both_forms() {
    let set = parse(
        "[default]\nfairness = { spd_max = 0.1, dir_min = 0.8 }\n\
         [[rules]]\nmodels = \"ltv-*\"\n[rules.policy]\n\
         fairness = { metric = \"demographic_parity_gap\", max_gap = 0.05 }\n\
         [[rules]]\nmodels = \"credit-*\"\n[rules.policy]\n\
         fairness = { metric = \"gap\", max_gap = 0.02, min_rows = 50, reference = { age_band = \"36-50\" }, favorable = [\"approved\"] }\n\
         [[rules]]\nmodels = \"any\"\n[rules.policy]\nfairness = {}\n",
    )
    .unwrap();
    let f = set.default.fairness.as_ref().unwrap();
    assert_eq!(f.gap_part(), None);
    assert_eq!(f.group_part(), Some(thresholds()));
    let f = set.for_model("ltv-estimator").fairness.as_ref().unwrap();
    assert_eq!(f, &FairnessRule::gap("demographic_parity_gap", 0.05));
    assert_eq!(f.gap_part(), Some(("demographic_parity_gap", 0.05)));
    assert_eq!(f.group_part(), None, "the gap form alone has no group part");
    let f = set.for_model("credit-scorer").fairness.as_ref().unwrap();
    assert_eq!(f.gap_part(), Some(("gap", 0.02)));
    let g = f.group_part().unwrap();
    assert_eq!(
        (g.min_rows, g.reference["age_band"].as_str()),
        (Some(50.0), "36-50")
    );
    let f = set.for_model("any").fairness.as_ref().unwrap();
    assert_eq!(f.group_part(), Some(FairnessPolicy::default()));
    assert_eq!(
        FairnessRule::groups(thresholds()).group_part(),
        Some(thresholds())
    );
    // Unset keys are left out when written back.
    let json = serde_json::to_value(set.default.fairness.as_ref().unwrap()).unwrap();
    assert_eq!(json, serde_json::json!({ "spd_max": 0.1, "dir_min": 0.8 }));
}

#[test]
fn bad_fairness_values_are_named_with_their_rule() {
    let err = |f: &str| {
        parse(&format!(
            "[[rules]]\nmodels = \"credit-*\"\n[rules.policy]\nfairness = {f}\n"
        ))
        .unwrap_err()
    };
    let rule = "rules[0] (models = \"credit-*\"): ";
    for (f, want) in [
        (
            "{ spd_max = 1.5 }",
            "fairness.spd_max must be between 0 and 1, got 1.5",
        ),
        (
            "{ dir_min = 0 }",
            "fairness.dir_min must be above 0 and at most 1, got 0",
        ),
        (
            "{ dir_min = 1.2 }",
            "fairness.dir_min must be above 0 and at most 1, got 1.2",
        ),
        (
            "{ min_rows = -1 }",
            "fairness.min_rows must be 0 or more, got -1",
        ),
        (
            "{ metric = \"gap\" }",
            "fairness.metric needs fairness.max_gap (the highest acceptable value)",
        ),
        (
            "{ max_gap = 0.1 }",
            "fairness.max_gap needs fairness.metric (the run metric holding the gap)",
        ),
        (
            "{ metric = \" \", max_gap = 0.1 }",
            "fairness.metric is empty",
        ),
        (
            "{ metric = \"gap\", max_gap = -0.1 }",
            "fairness.max_gap must be a non-negative number, got -0.1",
        ),
        (
            "{ metric = \"gap\", max_gap = 0.1, spd_max = 2.0 }",
            "fairness.spd_max must be between 0 and 1, got 2",
        ),
        (
            "{ reference = { age_band = \"\" } }",
            "fairness.reference.age_band names an empty group",
        ),
        (
            "{ favorable = [\"\"] }",
            "fairness.favorable holds an empty outcome",
        ),
    ] {
        let e = err(f);
        assert_eq!(e, format!("{rule}{want}"), "{f}");
    }
    // An unknown key fails when the TOML is read, naming it.
    let e = err("{ spd_mx = 0.1 }");
    assert!(
        e.contains("unknown field `spd_mx`") && e.contains("spd_max"),
        "{e}"
    );
    let e = err("{ spd_max = \"0.1\" }");
    assert!(e.contains("invalid type"), "{e}");
}
