//! Policy parsing, validation and glob matching.

use super::*;
use proptest::prelude::*;

#[test]
fn globs_match_like_shells() {
    assert!(glob_match("fraud-*", "fraud-detector"));
    assert!(glob_match("*", ""));
    assert!(glob_match("*-v?", "churn-v2"));
    assert!(!glob_match("*-v?", "churn-v22"));
    assert!(!glob_match("fraud-*", "afraud-x"));
    assert!(glob_match("a*b*c", "axxbyyc"));
    assert!(!glob_match("a*b*c", "axxbyy"));
    assert!(glob_match("exact", "exact"));
}

#[test]
fn parses_toml_with_defaults_and_first_match_wins() {
    let set: PolicySet = toml::from_str(
        r#"
        [default]
        min_approvals = 1

        [[rules]]
        models = "fraud-*"
        [rules.policy]
        min_approvals = 2
        approval_ttl = "2h"
        metrics = [{ name = "auc", tolerance = 0.005 }, { name = "val_loss", direction = "lower_is_better" }]
        fairness = { metric = "demographic_parity_gap", max_gap = 0.05 }

        [[rules]]
        models = "*"
        [rules.policy]
        min_approvals = 3
        "#,
    )
    .unwrap();
    set.validate().unwrap();
    let fraud = set.for_model("fraud-detector");
    assert_eq!(fraud.min_approvals, 2);
    assert_eq!(fraud.approval_ttl, Span(Duration::from_secs(7200)));
    assert_eq!(fraud.metrics[1].direction, Some(Direction::LowerIsBetter));
    assert_eq!(
        fraud.drift_max_psi,
        Some(0.25),
        "unset fields take defaults"
    );
    assert_eq!(set.for_model("churn").min_approvals, 3);
}

#[test]
fn rejects_unknown_fields_and_bad_values_with_names() {
    let err = toml::from_str::<PolicySet>("[default]\nmin_aprovals = 2\n").unwrap_err();
    assert!(err.to_string().contains("min_aprovals"), "{err}");
    let err = toml::from_str::<PolicySet>("[default]\napproval_ttl = \"3 weeks\"\n").unwrap_err();
    assert!(err.to_string().contains("3 weeks"), "{err}");
    let set: PolicySet =
        toml::from_str("[[rules]]\nmodels = \"x\"\n[rules.policy]\nmin_approvals = 0\n").unwrap();
    let err = set.validate().unwrap_err();
    assert!(
        err.contains("rules[0]") && err.contains("min_approvals"),
        "{err}"
    );
    let set: PolicySet = toml::from_str("[default]\ndrift_max_psi = -1.0\n").unwrap();
    assert!(set.validate().unwrap_err().contains("drift_max_psi"));
}

#[test]
fn spans_parse_and_print() {
    assert_eq!(Span::parse("500ms").unwrap().0, Duration::from_millis(500));
    assert_eq!(Span::parse("90").unwrap().0, Duration::from_secs(90));
    assert_eq!(Span::parse("7d").unwrap().to_string(), "7d");
    assert_eq!(Span::parse("90s").unwrap().to_string(), "90s");
    assert!(Span::parse("").is_err());
    assert!(Span::parse("5y").is_err());
    assert!(Span::parse("99999999999999999999d").is_err());
}

fn naive_glob(p: &[char], t: &[char]) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some(('*', rest)) => (0..=t.len()).any(|i| naive_glob(rest, &t[i..])),
        Some((c, rest)) => !t.is_empty() && (*c == '?' || *c == t[0]) && naive_glob(rest, &t[1..]),
    }
}

proptest! {
    #[test]
    fn glob_agrees_with_a_naive_matcher(p in "[ab*?]{0,8}", t in "[ab]{0,10}") {
        let pc: Vec<char> = p.chars().collect();
        let tc: Vec<char> = t.chars().collect();
        prop_assert_eq!(glob_match(&p, &t), naive_glob(&pc, &tc));
    }
}

#[test]
fn canary_steps_parse_and_must_increase_within_one_to_ninety_nine() {
    let ok: PolicySet = toml::from_str("[default]\ncanary_steps = [10, 50]\n").unwrap();
    ok.validate().unwrap();
    assert_eq!(ok.default.canary_steps, vec![10, 50]);
    assert!(PolicySet::default().default.canary_steps.is_empty());
    for (bad, word) in [
        ("[50, 10]", "increase strictly"),
        ("[10, 10]", "increase strictly"),
        ("[0, 50]", "between 1 and 99"),
        ("[10, 100]", "between 1 and 99"),
    ] {
        let set: PolicySet = toml::from_str(&format!("[default]\ncanary_steps = {bad}\n")).unwrap();
        let e = set.validate().unwrap_err();
        assert!(
            e.contains(word) && e.starts_with("default: canary_steps"),
            "{bad}: {e}"
        );
    }
}
