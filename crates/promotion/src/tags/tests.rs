//! Tag keys, limits, hostile strings and grouping.

use super::*;
use modeldeck_core::domain::{Approval, Decision};
use proptest::prelude::*;

/// MLflow's key rule (`^[/\w.\- :]*$`, no leading `/`, normalized path).
fn mlflow_key_ok(k: &str) -> bool {
    k.len() <= MAX_KEY_BYTES
        && k.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | ' ' | ':' | '/'))
        && !k.starts_with('/')
        && !k.contains("//")
        && !k.contains("/.")
        && !k.ends_with('/')
}

fn approval(approver: &str, comment: &str) -> ApprovalRecord {
    ApprovalRecord {
        v: SCHEMA,
        promotion: "p1".into(),
        model: "fraud \"detector\"\n".into(),
        version: "7".into(),
        champion: Some("6".into()),
        approval: Approval {
            approver: approver.into(),
            decision: Decision::Approve,
            comment: comment.into(),
            at: Timestamp(5),
            bound_workloads: BTreeMap::from([("c/ns/deploy/x".into(), "uid@1".into())]),
            bound_run: Some("run".into()),
        },
        gates: vec![],
        gates_digest: "d".into(),
        expires_at: Timestamp(10),
        rbac_allowed: vec!["c/ns".into()],
        seen: vec![],
    }
}

#[test]
fn keys_round_trip_and_foreign_tags_are_ignored() {
    for kind in [
        TagKind::Request,
        TagKind::Approval(approver_key("alice@example.com")),
        TagKind::Claim,
        TagKind::Exec,
        TagKind::Outcome,
        TagKind::Cancel,
        TagKind::State,
        TagKind::Audit(audit_suffix(Timestamp(42), &"ab".repeat(32))),
    ] {
        let k = key("p0123", &kind);
        assert!(mlflow_key_ok(&k), "{k}");
        assert_eq!(parse_key(&k), Some(("p0123".to_string(), kind)));
    }
    assert_eq!(parse_key("modeldeck.promotion/p1/whatever"), None);
    assert_eq!(parse_key("modeldeck.promotion/P1/request"), None);
    assert_eq!(parse_key("validated"), None);
}

#[test]
fn approver_keys_are_safe_distinct_and_stable() {
    let names = [
        "alice",
        "Alice",
        "alice@example.com",
        "system:serviceaccount:ci:bot",
        "",
        "../../etc",
        "é/..\n",
    ];
    let keys: Vec<String> = names.iter().map(|n| approver_key(n)).collect();
    for k in &keys {
        assert!(
            mlflow_key_ok(&key("p1", &TagKind::Approval(k.clone()))),
            "{k}"
        );
    }
    let distinct: std::collections::BTreeSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), names.len());
    assert_eq!(approver_key("alice"), approver_key("alice"));
    assert!(approver_key(&"x".repeat(10_000)).len() <= 53);
}

#[test]
fn oversized_values_are_refused_not_cut() {
    let big = approval("bob", &"c".repeat(6000));
    let err = encode("k", &big).unwrap_err();
    assert_eq!(err.code(), "too_large");
    assert!(err.to_string().contains("the limit is 5000"), "{err}");
    assert_eq!(
        check_text("comment", &"é".repeat(600)).unwrap_err().code(),
        "too_large"
    );
    assert!(check_text("comment", &"é".repeat(500)).is_ok());
    assert_eq!(
        encode(&"k".repeat(251), &1).unwrap_err().code(),
        "too_large"
    );
}

#[test]
fn collect_groups_by_id_and_reports_corrupt_tags() {
    let good = approval("bob", "ok");
    let bk = key("p1", &TagKind::Approval(approver_key("bob")));
    let forged = key("p1", &TagKind::Approval(approver_key("mallory")));
    let tags = BTreeMap::from([
        ("validated".to_string(), "true".to_string()),
        (bk.clone(), encode(&bk, &good).unwrap()),
        (forged, encode("x", &good).unwrap()),
        (key("p1", &TagKind::Request), "{not json".to_string()),
        (key("p2", &TagKind::State), "promoted".to_string()),
        ("zzz".to_string(), "after the prefix".to_string()),
    ]);
    let all = collect(&tags);
    assert_eq!(all.len(), 2);
    let p1 = &all["p1"];
    assert_eq!(
        p1.approvals.len(),
        1,
        "the forged key holds bob's decision: ignored"
    );
    assert_eq!(p1.approvals[&approver_key("bob")], good);
    assert!(p1.request.is_none());
    assert_eq!(p1.problems.len(), 2, "{:?}", p1.problems);
    assert!(p1.problems.iter().any(|p| p.contains("not this one")));
    assert_eq!(all["p2"].state.as_deref(), Some("promoted"));
}

#[test]
fn shorten_respects_char_boundaries() {
    assert_eq!(shorten("abc", 5), "abc");
    let s = shorten(&"é".repeat(100), 11);
    assert!(s.len() <= 11 && s.ends_with("..."), "{s}");
}

proptest! {
    #[test]
    fn hostile_strings_round_trip_through_tags(
        approver in any::<String>(),
        comment in "\\PC{0,200}",
        ctrl in proptest::collection::vec(0u8..32, 0..20),
    ) {
        let comment = format!("{comment}{}", String::from_utf8(ctrl).unwrap());
        let rec = approval(&approver, &comment);
        let ak = approver_key(&approver);
        let k = key("p1", &TagKind::Approval(ak.clone()));
        prop_assert!(mlflow_key_ok(&k), "{}", k);
        let v = encode(&k, &rec).unwrap();
        prop_assert!(!v.contains('\n'));
        let back: ApprovalRecord = decode(&k, &v).unwrap();
        prop_assert_eq!(&back, &rec);
        let tags = BTreeMap::from([(k, v)]);
        prop_assert_eq!(&collect(&tags)["p1"].approvals[&ak], &rec);
    }

    #[test]
    fn ids_are_validated(id in "\\PC{0,70}") {
        let ok = validate_id(&id).is_ok();
        let expected = !id.is_empty() && id.len() <= 63 && !id.starts_with('-')
            && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        prop_assert_eq!(ok, expected);
    }
}

#[test]
fn new_ids_are_valid_and_distinct() {
    let a = new_id(&["m", "7"], Timestamp(1));
    let b = new_id(&["m", "7"], Timestamp(1));
    assert!(validate_id(&a).is_ok());
    assert_ne!(a, b);
}
