//! Unit tests of the version probe parsing and the alias <-> stage mapping.

use super::*;

fn v(version: &str, stage: &str) -> ModelVersion {
    serde_json::from_value(serde_json::json!({
        "name": "m", "version": version, "current_stage": stage, "source": "runs:/r/model"
    }))
    .unwrap()
}

#[test]
fn parses_versions() {
    let p = |s| ServerVersion::parse(s);
    assert_eq!(
        p("3.17.2"),
        Some(ServerVersion {
            major: 3,
            minor: 17,
            patch: 2
        })
    );
    assert_eq!(
        p("2.3\n"),
        Some(ServerVersion {
            major: 2,
            minor: 3,
            patch: 0
        })
    );
    assert_eq!(p("2.10.0rc1").map(|v| v.minor), Some(10));
    assert_eq!(p("2.2.2.dev0").map(|v| v.patch), Some(2));
    assert_eq!(p("<html>"), None);
    assert_eq!(p("3"), None);
    assert_eq!(p(""), None);
}

#[test]
fn alias_support_starts_at_2_3() {
    let p = |s| ServerVersion::parse(s).unwrap();
    assert_eq!(AliasMode::for_version(p("2.2.2")), AliasMode::Stages);
    assert_eq!(AliasMode::for_version(p("1.30.0")), AliasMode::Stages);
    assert_eq!(AliasMode::for_version(p("2.3.0")), AliasMode::Aliases);
    assert_eq!(AliasMode::for_version(p("2.10.1")), AliasMode::Aliases);
    assert_eq!(AliasMode::for_version(p("3.17.2")), AliasMode::Aliases);
}

#[test]
fn maps_both_ways() {
    let m = StageMapping::default();
    assert_eq!(m.stage_for_alias("champion"), Some("Production"));
    assert_eq!(m.stage_for_alias("challenger"), Some("Staging"));
    assert_eq!(m.stage_for_alias("shadow"), None);
    assert_eq!(m.alias_for_stage("production"), Some("champion"));
    assert_eq!(m.alias_for_stage("Staging"), Some("challenger"));
    assert_eq!(m.alias_for_stage("Archived"), None);
    assert_eq!(m.alias_for_stage("None"), None);
    let custom = StageMapping::new("prod", "cand");
    assert_eq!(custom.stage_for_alias("prod"), Some("Production"));
    assert_eq!(custom.stage_for_alias("champion"), None);
}

#[test]
fn derives_aliases_from_stages_highest_version_wins() {
    let m = StageMapping::default();
    let vs = vec![
        v("1", "Archived"),
        v("2", "Production"),
        v("10", "Production"),
        v("3", "Staging"),
        v("4", "None"),
    ];
    let a = m.aliases_from_stages(&vs);
    assert_eq!(a.get("champion").map(String::as_str), Some("10"));
    assert_eq!(a.get("challenger").map(String::as_str), Some("3"));
    assert_eq!(a.len(), 2);
    assert!(m.aliases_from_stages(&[v("1", "None")]).is_empty());
}

#[test]
fn plans_set_and_delete() {
    let m = StageMapping::default();
    assert_eq!(
        m.plan_set("champion", "7"),
        Some(StageMove {
            version: "7".into(),
            stage: "Production".into(),
            archive_existing: true
        })
    );
    assert_eq!(m.plan_set("shadow", "7"), None);
    let vs = vec![v("2", "Staging"), v("3", "staging"), v("4", "Production")];
    let del = m.plan_delete("challenger", &vs).unwrap();
    assert_eq!(
        del.iter()
            .map(|s| (s.version.as_str(), s.stage.as_str()))
            .collect::<Vec<_>>(),
        vec![("2", "None"), ("3", "None")]
    );
    assert_eq!(
        m.plan_delete("challenger", &[v("4", "Production")])
            .unwrap(),
        vec![]
    );
    assert_eq!(m.plan_delete("shadow", &vs), None);
}
